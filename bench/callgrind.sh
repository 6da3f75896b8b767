#!/usr/bin/env bash
# Instructions per forwarded request, counted by callgrind: repeatable whatever else the
# machine is doing, so two builds compare exactly. For each binary given (e.g. before and after
# a change) and each path through the proxy:
#   - h1: HTTP/1.1 keep-alive, absolute-form GETs of a 1 KiB file from nginx;
#   - h2: HTTP/2 with prior knowledge (h2load), forward requests of the same file;
# the proxy runs headless under callgrind twice, with N1 and N2 requests, counting from when it
# listens, and the difference in its instruction count divided by N2 - N1 is the cost of one
# request (shut-down cancels out). Loopback only; bounded counts and timeouts.
#   bench/callgrind.sh [--n1 N] [--n2 N] BIN [BIN...]
# PATHS="h2" runs one path only; KEEP=DIR keeps the profiles for callgrind_annotate.
set -euo pipefail
N1=100
N2=600
while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
        --n1) N1=$2; shift 2 ;;
        --n2) N2=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -ge 1 ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
bench_setup callgrind valgrind nginx h2load python3

ORIGIN=$(free_port)
mkdir -p "$TMP/www" "$TMP/nginx"
head -c 1024 /dev/urandom > "$TMP/www/1k"
chmod 755 "$TMP" "$TMP/www" # nginx's workers (nobody, when started as root) read it
cat > "$TMP/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $TMP/nginx/pid;
error_log $TMP/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx; proxy_temp_path $TMP/nginx;
    fastcgi_temp_path $TMP/nginx; uwsgi_temp_path $TMP/nginx; scgi_temp_path $TMP/nginx;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$ORIGIN; root $TMP/www; }
}
CONF
"$NGINX" -c "$TMP/nginx.conf" -p "$TMP/nginx" &
PIDS+=($!)
wait_port "$ORIGIN"

# h1 N PORT: N absolute-form GETs on one keep-alive connection, each response read whole.
h1() {
    python3 - "$1" "$2" "$ORIGIN" <<'PY'
import socket, sys
n, port, origin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
req = f"GET http://127.0.0.1:{origin}/1k HTTP/1.1\r\nHost: 127.0.0.1:{origin}\r\n\r\n".encode()
buf = b""
for _ in range(n):
    s.sendall(req)
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, buf = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(buf) < length:
        buf += s.recv(65536)
    buf = buf[length:]
PY
}
# h2 N PORT: N forward requests on one h2 connection, 10 at a time.
h2() {
    local out
    out=$(timeout 600 h2load -n "$1" -c 1 -m 10 -H ":authority: 127.0.0.1:$ORIGIN" \
        "http://127.0.0.1:$2/1k" 2>&1)
    grep -q " $1 succeeded" <<<"$out" || { echo "h2load: $out" >&2; return 1; }
}

# instructions BIN PATH N: the proxy's total instruction count for N requests.
instructions() {
    local bin=$1 path=$2 n=$3 port out
    port=$(free_port)
    out=$TMP/cg.$RANDOM
    # Counted from the first request on: start-up (loading the CA, the system's trust store,
    # a leaf key made on a worker) costs a different amount from one run to the next, and
    # would not cancel out.
    timeout 900 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$bin" --headless --listen "127.0.0.1:$port" --ca-dir "$TMP/ca" >/dev/null \
        2>"$out.log" &
    local pid=$!
    wait_port "$port"
    sleep 1 # what start-up left to a worker thread
    # ($pid is timeout's; valgrind is its child.)
    callgrind_control -i on "$(pgrep -P "$pid" | head -n 1)" >/dev/null 2>&1
    "$path" "$n" "$port" >/dev/null || { kill -KILL "$pid"; exit 1; }
    kill -TERM "$pid"
    wait "$pid" || true
    # KEEP=DIR keeps each run's profile for callgrind_annotate (DIR/PATH-N-BINNAME.out).
    [[ -n ${KEEP:-} ]] && mkdir -p "$KEEP" && cp "$out" "$KEEP/$path-$n-$(basename "$bin").out"
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

printf 'Instructions per request through the proxy (callgrind; %d - %d requests, 1 KiB)\n' "$N2" "$N1"
printf '%-10s %-60s %15s\n' path binary instructions
for path in ${PATHS:-h1 h2}; do
    for bin in "$@"; do
        a=$(instructions "$bin" "$path" "$N1")
        b=$(instructions "$bin" "$path" "$N2")
        printf '%-10s %-60s %15d\n' "$path" "$bin" $(( (b - a) / (N2 - N1) ))
    done
done
