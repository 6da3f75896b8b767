#!/usr/bin/env bash
# HTTP/2 section of the benchmark (bench/run.sh runs it last; it also runs alone). One table:
#  - h2load with prior knowledge straight to nginx, over h2c and over h2 with TLS (the
#    baselines);
#  - h2load with prior knowledge to tunnelscope (forward requests on h2 streams), to an
#    HTTP/1.1 origin (:scheme http) and to an h2 origin over TLS (:scheme https: the proxy
#    opens TLS to nginx with ALPN h2 and trusts it through --upstream-ca);
# each at -c 1 -m 100 and -c 8 -m 100, with req/s, requests that succeeded, the flows the proxy
# recorded for them (its headless flow lines), and the ratio to the direct run of the same
# kind (h1 origin: direct h2c; h2 origin: direct h2 over TLS).
# Then 100 concurrent CONNECT tunnels on one h2 connection (tests/e2e/h2_client.js), each
# downloading a file, vs 100 HTTP/1.1 CONNECT tunnels (one TCP connection each).
# Several binaries (--bin, repeated, e.g. before and after a change) share the nginx and the
# direct runs, in one table. Loopback only; bounded request counts and timeouts; prints
# numbers and asserts none.
#   bench/h2.sh [--bin PATH [--label NAME]]... [--requests N] [--file-mib M] [--no-tunnels]
# H2_RESULTS=FILE also appends the proxied rows to FILE, one "|"-separated line each.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINS=()
LABELS=()
REQUESTS=20000
FILE_MIB=4
TUNNELS=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BINS+=("$2"); LABELS+=("$(basename "$(dirname "$(dirname "$2")")")"); shift 2 ;;
        --label)
            [[ ${#BINS[@]} -gt 0 ]] || { echo "--label comes after its --bin" >&2; exit 2; }
            LABELS[${#BINS[@]} - 1]=$2; shift 2 ;;
        --requests) REQUESTS=$2; shift 2 ;;
        --file-mib) FILE_MIB=$2; shift 2 ;;
        --no-tunnels) TUNNELS=0; shift ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $REQUESTS =~ ^[0-9]+$ && $REQUESTS -ge 100 && $REQUESTS -le 1000000 ]] ||
    { echo "bench/h2.sh: --requests 100..1000000" >&2; exit 2; }
[[ $FILE_MIB =~ ^[0-9]+$ && $FILE_MIB -ge 1 && $FILE_MIB -le 64 ]] ||
    { echo "bench/h2.sh: --file-mib 1..64" >&2; exit 2; }
if [[ ${#BINS[@]} -eq 0 ]]; then
    BINS=("$ROOT/build-bench/app/tunnelscope")
    LABELS=(build-bench)
fi
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
bench_setup h2 nginx h2load node python3 openssl
for bin in "${BINS[@]}"; do
    [[ -x $bin ]] || { echo "bench/h2.sh: no binary at $bin" >&2; exit 1; }
done

mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k"
head -c $((FILE_MIB << 20)) /dev/urandom >"$TMP/www/big"

# A test PKI made with the openssl CLI, as tests/e2e/tls_support.py makes it: an origin CA
# and a server certificate for localhost and 127.0.0.1.
PKI=$TMP/pki
mkdir -p "$PKI"
pki() {
    (cd "$PKI" && openssl "$@" >/dev/null 2>>"$PKI/openssl.log") ||
        { echo "bench/h2.sh: openssl $1 failed: $(cat "$PKI/openssl.log")" >&2; exit 1; }
}
pki req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout origin-ca.key \
    -out origin-ca.pem -days 30 -subj "/CN=Tunnelscope bench origin CA"
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
    "basicConstraints=CA:FALSE" >"$PKI/server.ext"
pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
    -out server.csr -subj /CN=localhost
pki x509 -req -in server.csr -CA origin-ca.pem -CAkey origin-ca.key -CAcreateserial -days 30 \
    -extfile server.ext -out server.pem

PLAIN=$(free_port); H2C=$(free_port); H2TLS=$(free_port)
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
    server {
        listen 127.0.0.1:$H2TLS ssl http2;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $PKI/server.pem;
        ssl_certificate_key $PKI/server.key;
        root $TMP/www;
    }
}
NGINX
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" </dev/null &
PIDS+=($!)
wait_port "$PLAIN"; wait_port "$H2C"; wait_port "$H2TLS"

# One tunnelscope per binary, all running through the table; each trusts the origin CA and
# writes its flow lines (one per finished flow) to $TMP/ts-I.out.
PPORTS=()
for i in "${!BINS[@]}"; do
    : >"$TMP/ts-$i.err"
    "${BINS[$i]}" --headless --listen 127.0.0.1:0 --ca-dir "$TMP/ca-$i" \
        --upstream-ca "$PKI/origin-ca.pem" >"$TMP/ts-$i.out" 2>"$TMP/ts-$i.err" </dev/null &
    PIDS+=($!)
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$TMP/ts-$i.err" | head -1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] ||
        { echo "bench/h2.sh: ${BINS[$i]} did not start: $(cat "$TMP/ts-$i.err")" >&2; exit 1; }
    PPORTS+=("$port")
done

# flows_200 I: how many flows tunnelscope I has recorded with status 200 so far (its flow
# lines are written every 100 ms).
flows_200() {
    sleep 0.3
    grep -c ' 200 ' "$TMP/ts-$1.out" || true
}

# h2load_run ARGS...: sets RPS and OK (succeeded requests) of one bounded h2load run.
h2load_run() {
    local out
    out=$(timeout 120 h2load -n "$REQUESTS" "$@" 2>&1) || true
    RPS=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    OK=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
    RPS=${RPS:-ERR}
    OK=${OK:-0}
    if [[ $OK != "$REQUESTS" ]]; then
        grep -E '^(requests|status codes|client could not)' <<<"$out" | sed 's/^/  h2load: /' >&2 ||
            true
    fi
}

# ratio A B: A / B to two places, or "-" when either is not a positive number.
ratio() {
    if [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ && $2 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        echo "-"
    fi
}
# result LABEL KIND C RPS OK FLOWS RATIO: with H2_RESULTS=FILE (bench/run.sh --compare), one
# line "LABEL|KIND|C|RPS|OK|FLOWS|RATIO" per proxied row, appended to FILE.
result() {
    [[ -z ${H2_RESULTS:-} ]] || (IFS='|'; echo "$*") >>"$H2_RESULTS"
}
row() { printf '%-40s %-10s %11s %13s %13s %9s\n' "$@"; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "HTTP/2: h2load -n $REQUESTS, prior knowledge, GET 1 KiB; loopback, $(nproc) cores"
row "path" "load" "req/s" "ok/sent" "flows/sent" "vs direct"
row "----------------------------------------" "----------" "-----------" "-------------" \
    "-------------" "---------"
for c in 1 8; do
    conc="-c$c -m100"
    h2load_run -c "$c" -m 100 "http://127.0.0.1:$H2C/1k"
    direct_h2c=$RPS
    row "direct nginx h2c" "$conc" "$RPS" "$OK/$REQUESTS" "-" "1.00"
    h2load_run -c "$c" -m 100 "https://127.0.0.1:$H2TLS/1k"
    direct_tls=$RPS
    row "direct nginx h2 TLS" "$conc" "$RPS" "$OK/$REQUESTS" "-" "1.00"
    for i in "${!BINS[@]}"; do
        before=$(flows_200 "$i")
        h2load_run -c "$c" -m 100 -H ":authority: 127.0.0.1:$PLAIN" \
            "http://127.0.0.1:${PPORTS[$i]}/1k"
        flows=$(( $(flows_200 "$i") - before ))
        row "${LABELS[$i]}: proxy -> h1 origin" "$conc" "$RPS" "$OK/$REQUESTS" \
            "$flows/$REQUESTS" "$(ratio "$RPS" "$direct_h2c")"
        result "${LABELS[$i]}" h1 "$c" "$RPS" "$OK" "$flows" "$(ratio "$RPS" "$direct_h2c")"
        before=$(flows_200 "$i")
        h2load_run -c "$c" -m 100 -H ":scheme: https" -H ":authority: localhost:$H2TLS" \
            "http://127.0.0.1:${PPORTS[$i]}/1k"
        flows=$(( $(flows_200 "$i") - before ))
        row "${LABELS[$i]}: proxy -> h2 origin TLS" "$conc" "$RPS" "$OK/$REQUESTS" \
            "$flows/$REQUESTS" "$(ratio "$RPS" "$direct_tls")"
        result "${LABELS[$i]}" h2tls "$c" "$RPS" "$OK" "$flows" "$(ratio "$RPS" "$direct_tls")"
    done
done
echo "vs direct: h1 origin against direct h2c, h2 origin against direct h2 over TLS."
echo "flows: flows the proxy recorded with status 200 during the run."
echo "load average (1/5/15 min): $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) now"

[[ $TUNNELS -eq 1 ]] || exit 0

# 100 tunnels: one h2 connection vs 100 HTTP/1.1 CONNECTs.
STREAMS=$(python3 -c "import json; print(json.dumps([{'authority':'127.0.0.1:$PLAIN','path':'/big'}]*100))")
echo
echo "100 concurrent tunnels, each downloading $FILE_MIB MiB from nginx through tunnelscope"
for i in "${!BINS[@]}"; do
    PPORT=${PPORTS[$i]}
    H2MBS=$( (timeout 300 node "$ROOT/tests/e2e/h2_client.js" \
        "{\"proxy\":\"http://127.0.0.1:$PPORT\",\"timeout\":240,\"keepOpen\":true,\"streams\":$STREAMS}" ||
        echo '{"results":[],"seconds":1}') | python3 -c "
import json,sys; r=json.loads(sys.stdin.read()); ok=[x for x in r['results'] if x['status']==200 and x['bodyBytes']==$FILE_MIB<<20]
print(f\"{sum(x['bytes'] for x in r['results'])/r['seconds']/1e6:.0f} MB/s ({len(ok)}/100 complete, {r['seconds']:.2f} s)\")
bad=[(x['status'],x['bodyBytes'],x['error']) for x in r['results'] if x not in ok]
print('  incomplete:', bad[:5], file=sys.stderr) if bad else None")
    H1MBS=$(timeout 300 python3 - "$PPORT" "$PLAIN" "$FILE_MIB" <<'PY'
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
threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(100)]
for t in threads: t.start()
for t in threads: t.join(240)
dt = time.monotonic() - t0
print(f"{sum(got)/dt/1e6:.0f} MB/s ({sum(ok)}/100 complete, {dt:.2f} s)")
PY
) || H1MBS=ERR
    printf '  %-58s %s\n' "${LABELS[$i]}: one HTTP/2 connection, 100 CONNECT streams:" "$H2MBS"
    printf '  %-58s %s\n' "${LABELS[$i]}: 100 HTTP/1.1 CONNECT tunnels (python):" "$H1MBS"
done
