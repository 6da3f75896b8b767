#!/usr/bin/env bash
# Tunnelscope benchmark: wrk through tunnelscope vs wrk straight to the same nginx, and a
# 1 GiB download through a CONNECT tunnel (and absolute-form) vs direct. Loopback only.
#
#   bench/run.sh [--bin PATH] [--duration SECONDS] [--connections N] [--threads N]
#
# Without --bin it builds a Release binary in build-bench/ (GUI off, tests off).
# Everything it starts is stopped on exit; every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD

BIN=
DURATION=10
CONNECTIONS=64
THREADS=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $DURATION =~ ^[0-9]+$ && $DURATION -le 60 ]] || { echo "bench: --duration 1..60" >&2; exit 2; }

log() { printf 'bench: %s\n' "$*" >&2; }
for tool in nginx wrk curl; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
        { log "$tool is missing: run ./dev.sh build first (it installs the packages)"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [[ -z $BIN ]]; then
    log "building a Release binary in build-bench/"
    if [[ ! -f build-bench/build.ninja ]]; then
        cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTS_BUILD_GUI=OFF \
              -DTS_BUILD_TESTS=OFF >/dev/null
    fi
    cmake --build build-bench -j 2 --target tunnelscope >/dev/null
    BIN=$ROOT/build-bench/app/tunnelscope
fi
[[ -x $BIN ]] || { log "no binary at $BIN"; exit 1; }

TMP=$(mktemp -d /tmp/ts-bench.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
    local port=$1 i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    log "nothing listens on 127.0.0.1:$port"
    return 1
}

# --- nginx origin --------------------------------------------------------------------------
mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k"
head -c 102400 /dev/urandom >"$TMP/www/100k"
truncate -s 1G "$TMP/www/1g"
NPORT=$(free_port)
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NPORT;
        root $TMP/www;
        location / { }
    }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" </dev/null &
PIDS+=($!)
wait_port "$NPORT"

# --- tunnelscope ---------------------------------------------------------------------------
"$BIN" --headless --listen 127.0.0.1:0 </dev/null >/dev/null 2>"$TMP/ts.err" &
TS_PID=$!
PIDS+=("$TS_PID")
PPORT=
for _ in $(seq 100); do
    PPORT=$(sed -n 's/.*tunnelscope: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/ts.err")
    [[ -n $PPORT ]] && break
    kill -0 "$TS_PID" 2>/dev/null || { log "tunnelscope exited: $(cat "$TMP/ts.err")"; exit 1; }
    sleep 0.1
done
[[ -n $PPORT ]] || { log "tunnelscope printed no listening line"; exit 1; }
ORIGIN=http://127.0.0.1:$NPORT
PROXY=http://127.0.0.1:$PPORT
log "nginx on $ORIGIN, tunnelscope on $PROXY ($("$BIN" --version 2>&1 | head -1))"

# --- measurements --------------------------------------------------------------------------
declare -A R

# wrk_run KEY URL [TARGET]: fills R[KEY.rps|p50|p99|err]
wrk_run() {
    local key=$1 url=$2 target=${3:-} out
    local -a extra=()
    [[ -n $target ]] && extra=(-- "$target")
    log "wrk $key: ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION}s"
    out=$(timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
          --timeout 5s -s bench/abs_form.lua "$url" "${extra[@]}" 2>&1) || true
    local line
    line=$(grep '^TS_RESULT' <<<"$out" || true)
    if [[ -z $line ]]; then
        log "wrk $key gave no result:"; printf '%s\n' "$out" >&2
        R[$key.rps]=nan; R[$key.p50]=nan; R[$key.p99]=nan; R[$key.err]=nan
        return
    fi
    R[$key.rps]=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
    R[$key.p50]=$(sed -E 's/.* p50_ms=([0-9.]+).*/\1/' <<<"$line")
    R[$key.p99]=$(sed -E 's/.* p99_ms=([0-9.]+).*/\1/' <<<"$line")
    R[$key.err]=$(sed -E 's/.* errors=([0-9]+) non2xx=([0-9]+).*/\1 \2/' <<<"$line" |
                  awk '{ print $1 + $2 }')
}

# download KEY [curl proxy args...]: fills R[KEY.mbs] (MB/s, 10^6 bytes), the best of two
# runs (the first read of the sparse file and a busy neighbour core make single runs noisy).
download() {
    local key=$1; shift
    log "1 GiB download $key (best of 2)"
    local out speed size best=0 run
    for run in 1 2; do
        out=$(curl -q -sS --max-time 120 -o /dev/null -w '%{speed_download} %{size_download}' \
              "$@" "$ORIGIN/1g" 2>&1) || { log "curl $key failed: $out"; R[$key.mbs]=nan; return; }
        read -r speed size <<<"$out"
        if [[ $size != 1073741824 ]]; then
            log "curl $key got $size bytes"; R[$key.mbs]=nan; return
        fi
        best=$(awk -v a="$best" -v b="$speed" 'BEGIN { print (b > a ? b : a) }')
    done
    R[$key.mbs]=$(awk -v s="$best" 'BEGIN { printf "%.1f", s / 1000000 }')
}

for size in 1k 100k; do
    wrk_run "direct.$size" "$ORIGIN/$size"
    wrk_run "proxy.$size" "$PROXY/" "$ORIGIN/$size"
done
curl -q -sS --max-time 120 -o /dev/null "$ORIGIN/1g"  # warm the page cache
download direct.dl
download connect.dl -p -x "$PROXY"
download forward.dl -x "$PROXY"
MAX_RSS=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$TS_PID/status" 2>/dev/null || echo "?")

# --- table ---------------------------------------------------------------------------------
ratio() {
    if [[ $1 == nan || $2 == nan || $2 == 0 ]]; then echo "-"; else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; fi
}
row() { printf '%-28s %14s %16s %12s\n' "$@"; }

echo
echo "Tunnelscope benchmark: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, loopback"
row "" "direct" "via tunnelscope" "proxy/direct"
row "----------------------------" "--------------" "----------------" "------------"
for size in 1k 100k; do
    label=$([[ $size == 1k ]] && echo "1 KiB" || echo "100 KiB")
    d=direct.$size p=proxy.$size
    row "$label GET  requests/s" "${R[$d.rps]}" "${R[$p.rps]}" "$(ratio "${R[$p.rps]}" "${R[$d.rps]}")"
    row "$label GET  p50 latency ms" "${R[$d.p50]}" "${R[$p.p50]}" "$(ratio "${R[$p.p50]}" "${R[$d.p50]}")"
    row "$label GET  p99 latency ms" "${R[$d.p99]}" "${R[$p.p99]}" "$(ratio "${R[$p.p99]}" "${R[$d.p99]}")"
    row "$label GET  errors" "${R[$d.err]}" "${R[$p.err]}" ""
done
row "1 GiB via CONNECT  MB/s" "${R[direct.dl.mbs]}" "${R[connect.dl.mbs]}" \
    "$(ratio "${R[connect.dl.mbs]}" "${R[direct.dl.mbs]}")"
row "1 GiB absolute-form MB/s" "${R[direct.dl.mbs]}" "${R[forward.dl.mbs]}" \
    "$(ratio "${R[forward.dl.mbs]}" "${R[direct.dl.mbs]}")"
echo "tunnelscope peak RSS: ${MAX_RSS} MiB"
