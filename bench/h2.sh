#!/usr/bin/env bash
# HTTP/2 section of the benchmark (bench/run.sh runs it last; it also runs alone):
#  - h2load, prior knowledge: through tunnelscope (forward requests on h2 streams) vs straight
#    to nginx over h2c, -c 1 -m 100 and -c 8 -m 100;
#  - 100 concurrent CONNECT tunnels on one h2 connection (tests/e2e/h2_client.js), each
#    downloading a file, vs 100 HTTP/1.1 CONNECT tunnels (one TCP connection each).
# Loopback only; bounded request counts and timeouts.
#   bench/h2.sh --bin PATH [--requests N] [--file-mib M]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build-bench/app/tunnelscope
REQUESTS=20000
FILE_MIB=4
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --requests) REQUESTS=$2; shift 2 ;;
        --file-mib) FILE_MIB=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
bench_setup h2 nginx h2load node python3

mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k"
head -c $((FILE_MIB << 20)) /dev/urandom >"$TMP/www/big"
PLAIN=$(free_port); H2C=$(free_port)
cat >"$TMP/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
master_process off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/cb; proxy_temp_path $TMP/px; fastcgi_temp_path $TMP/fc;
    uwsgi_temp_path $TMP/uw; scgi_temp_path $TMP/sc;
    sendfile on;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$PLAIN; root $TMP/www; }
    server { listen 127.0.0.1:$H2C http2; root $TMP/www; }
}
NGINX
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" </dev/null &
PIDS+=($!)
wait_port "$PLAIN"; wait_port "$H2C"

"$BIN" --headless --listen 127.0.0.1:0 --ca-dir "$TMP/ca" >/dev/null 2>"$TMP/ts.err" </dev/null &
PIDS+=($!)
PPORT=
for _ in $(seq 100); do
    PPORT=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$TMP/ts.err" | head -1)
    [[ -n $PPORT ]] && break
    sleep 0.1
done
[[ -n $PPORT ]] || { echo "bench/h2.sh: tunnelscope did not start: $(cat "$TMP/ts.err")" >&2; exit 1; }

# h2load_rps ARGS...: "req/s succeeded/total"
h2load_rps() {
    local out
    out=$(timeout 120 h2load "$@" 2>&1) || true
    local rps ok
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
    printf '%s %s/%s' "${rps:-ERR}" "${ok:-0}" "$REQUESTS"
}

echo
echo "HTTP/2 (h2load -n $REQUESTS, 1 KiB file, prior knowledge; loopback, $(nproc) cores)"
printf '%-22s %22s %22s\n' "" "direct nginx h2c" "through tunnelscope"
for c in 1 8; do
    d=$(h2load_rps -n "$REQUESTS" -c "$c" -m 100 "http://127.0.0.1:$H2C/1k")
    p=$(h2load_rps -n "$REQUESTS" -c "$c" -m 100 -H ":authority: 127.0.0.1:$PLAIN" \
        "http://127.0.0.1:$PPORT/1k")
    printf '%-22s %22s %22s\n' "-c $c -m 100 req/s (ok)" "$d" "$p"
done

# 100 tunnels: one h2 connection vs 100 HTTP/1.1 CONNECTs.
STREAMS=$(python3 -c "import json; print(json.dumps([{'authority':'127.0.0.1:$PLAIN','path':'/big'}]*100))")
H2OUT=$(timeout 300 node "$ROOT/tests/e2e/h2_client.js" \
    "{\"proxy\":\"http://127.0.0.1:$PPORT\",\"timeout\":240,\"keepOpen\":true,\"streams\":$STREAMS}")
H2MBS=$(python3 -c "
import json,sys; r=json.loads(sys.argv[1]); ok=[x for x in r['results'] if x['status']==200 and x['bodyBytes']==$FILE_MIB<<20]
print(f\"{sum(x['bytes'] for x in r['results'])/r['seconds']/1e6:.0f} MB/s ({len(ok)}/100 complete, {r['seconds']:.2f} s)\")
bad=[(x['status'],x['bodyBytes'],x['error']) for x in r['results'] if x not in ok]
print('  incomplete:', bad[:5], file=sys.stderr) if bad else None" "$H2OUT")
H1MBS=$(python3 - "$PPORT" "$PLAIN" "$FILE_MIB" <<'PY'
import socket, sys, threading, time
proxy, origin, mib = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
got = [0] * 100
ok = [False] * 100
def one(i):
    s = socket.create_connection(("127.0.0.1", proxy), timeout=60)
    s.sendall(f"CONNECT 127.0.0.1:{origin} HTTP/1.1\r\nHost: 127.0.0.1:{origin}\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    s.sendall(f"GET /big HTTP/1.1\r\nHost: 127.0.0.1:{origin}\r\nConnection: close\r\n\r\n".encode())
    n = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        n += len(d)
    got[i] = n
    ok[i] = n > mib << 20
    s.close()
t0 = time.monotonic()
threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
for t in threads: t.start()
for t in threads: t.join(240)
dt = time.monotonic() - t0
print(f"{sum(got)/dt/1e6:.0f} MB/s ({sum(ok)}/100 complete, {dt:.2f} s)")
PY
)
echo
echo "100 concurrent tunnels, each downloading $FILE_MIB MiB from nginx through tunnelscope"
printf '  %-44s %s\n' "one HTTP/2 connection, 100 CONNECT streams:" "$H2MBS"
printf '  %-44s %s\n' "100 HTTP/1.1 CONNECT tunnels (python):" "$H1MBS"
