#!/usr/bin/env bash
# Tunnelscope benchmark: wrk through tunnelscope vs wrk straight to the same nginx, and a
# 1 GiB download through a CONNECT tunnel (and absolute-form) vs direct. Then intercepted
# HTTPS: tls_load (bench/tls_load.cpp) against nginx over TLS, direct vs through tunnelscope,
# keep-alive requests/s and new-connection handshakes/s, and the CA's leaf mint times
# (bench/mint_bench.cpp). First of all, start-up: exec to listening and to the first proxied
# 200 (bench/startup.py), beside squid's where squid is installed. Loopback only.
#
#   bench/run.sh [--bin PATH] [--duration SECONDS] [--connections N] [--threads N]
#                [--tls-connections N]
#
# Without --bin it builds a Release binary in build-bench/ (GUI off, tests off); the bench
# tools are built there either way. Everything it starts is stopped on exit; every load run
# is bounded in time.
#
#   bench/run.sh --compare REV [--duration SECONDS] [--connections N] [--threads N]
#                [--h2-requests N] [--n1 N --n2 N]
#
# Before and after in one run: builds REV (its tree from git archive, in build-bench-REV/,
# Release) and the working tree (build-bench/), then runs wrk through HTTP/1.1 (1 KiB and
# 100 KiB, direct and through each build), bench/h2.sh with both builds and
# bench/callgrind.sh with both builds, and ends with one table of the two side by side.
# --quick (either mode) makes every run short: a check that the scripts work, not a measure.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD

BIN=
DURATION=10
CONNECTIONS=64
THREADS=2
TLS_CONNECTIONS=32
COMPARE=
H2_REQUESTS=20000
N1=100
N2=600
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --tls-connections) TLS_CONNECTIONS=$2; shift 2 ;;
        --compare) COMPARE=$2; shift 2 ;;
        --h2-requests) H2_REQUESTS=$2; shift 2 ;;
        --n1) N1=$2; shift 2 ;;
        --n2) N2=$2; shift 2 ;;
        --quick) DURATION=3; H2_REQUESTS=2000; N1=20; N2=120; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 && $DURATION -le 60 ]] ||
    { echo "bench: --duration 1..60" >&2; exit 2; }
[[ $TLS_CONNECTIONS =~ ^[0-9]+$ && $TLS_CONNECTIONS -ge 1 && $TLS_CONNECTIONS -le 1024 ]] ||
    { echo "bench: --tls-connections 1..1024" >&2; exit 2; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf 'bench: %s\n' "$*" >&2; }
for tool in nginx wrk curl openssl; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
        { log "$tool is missing: run ./dev.sh build first (it installs the packages)"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TARGETS=(tls_load mint_bench)
[[ -z $BIN ]] && TARGETS+=(tunnelscope)
log "building ${TARGETS[*]} (Release) in build-bench/"
if [[ ! -f build-bench/build.ninja ]] ||
   ! grep -q '^TS_BUILD_BENCH:BOOL=ON' build-bench/CMakeCache.txt 2>/dev/null; then
    cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTS_BUILD_GUI=OFF \
          -DTS_BUILD_TESTS=OFF -DTS_BUILD_BENCH=ON >/dev/null
fi
cmake --build build-bench -j 2 --target "${TARGETS[@]}" >/dev/null
[[ -z $BIN ]] && BIN=$ROOT/build-bench/app/tunnelscope
[[ -x $BIN ]] || { log "no binary at $BIN"; exit 1; }
TLS_LOAD=$ROOT/build-bench/bench/tls_load
MINT_BENCH=$ROOT/build-bench/bench/mint_bench

# --compare REV: REV's tree (git archive, so no worktree to clean up) built in Release in
# build-bench-SHORT/ (GUI, tests and bench tools off); ccache shares what both trees have in
# common.
BEFORE_BIN=
if [[ -n $COMPARE ]]; then
    REV_SHA=$(git rev-parse --verify "$COMPARE^{commit}") ||
        { log "--compare: $COMPARE is not a commit"; exit 2; }
    REV_SHORT=$(git rev-parse --short "$REV_SHA")
    REV_DIR=$ROOT/build-bench-$REV_SHORT
    if [[ ! -f $REV_DIR/src/CMakeLists.txt ]]; then
        rm -rf "$REV_DIR/src"
        mkdir -p "$REV_DIR/src"
        git archive "$REV_SHA" | tar -x -C "$REV_DIR/src"
    fi
    log "building tunnelscope of $COMPARE ($REV_SHORT, Release) in build-bench-$REV_SHORT/"
    if [[ ! -f $REV_DIR/build/build.ninja ]]; then
        CCACHE_BASEDIR=$REV_DIR/src CCACHE_NOHASHDIR=1 \
        cmake -S "$REV_DIR/src" -B "$REV_DIR/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
              -DTS_BUILD_GUI=OFF -DTS_BUILD_TESTS=OFF -DTS_BUILD_BENCH=OFF \
              >"$REV_DIR/build.log" 2>&1 ||
            { log "configuring $REV_SHORT failed:"; tail -20 "$REV_DIR/build.log" >&2; exit 1; }
    fi
    CCACHE_BASEDIR=$REV_DIR/src CCACHE_NOHASHDIR=1 \
    cmake --build "$REV_DIR/build" -j 2 --target tunnelscope >>"$REV_DIR/build.log" 2>&1 ||
        { log "building $REV_SHORT failed:"; tail -20 "$REV_DIR/build.log" >&2; exit 1; }
    BEFORE_BIN=$REV_DIR/build/app/tunnelscope
    [[ -x $BEFORE_BIN ]] || { log "no binary at $BEFORE_BIN"; exit 1; }
    AFTER_NAME="after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null ||
                         echo ' + changes'))"
    BEFORE_NAME="before ($REV_SHORT)"
fi

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

# stop_pid PID: stops one of our processes early and forgets it, so cleanup never signals a
# reused pid.
stop_pid() {
    local pid=$1 p
    kill "$pid" 2>/dev/null || true
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
    local -a keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

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
# start_tunnelscope NAME [ARGS...]: sets TS_PID and PPORT. Its CA lives in $TMP/NAME-ca, never
# in the user's config directory.
start_tunnelscope() {
    local name=$1; shift
    : >"$TMP/$name.err" # exists before the first look, however late the child starts
    "$BIN" --headless --listen 127.0.0.1:0 --ca-dir "$TMP/$name-ca" "$@" \
        </dev/null >/dev/null 2>"$TMP/$name.err" &
    TS_PID=$!
    PIDS+=("$TS_PID")
    PPORT=
    local _
    for _ in $(seq 100); do
        PPORT=$(sed -n 's/.*tunnelscope: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
                "$TMP/$name.err" || true)
        [[ -n $PPORT ]] && break
        kill -0 "$TS_PID" 2>/dev/null ||
            { log "tunnelscope exited: $(cat "$TMP/$name.err")"; exit 1; }
        sleep 0.1
    done
    [[ -n $PPORT ]] || { log "tunnelscope printed no listening line"; exit 1; }
}
start_tunnelscope ts
ORIGIN=http://127.0.0.1:$NPORT
PROXY=http://127.0.0.1:$PPORT
log "nginx on $ORIGIN, tunnelscope on $PROXY ($("$BIN" --version 2>&1 | head -1))"

# --- measurements --------------------------------------------------------------------------
declare -A R

# --- start-up ------------------------------------------------------------------------------
# startup_run KEY STARTUP_ARGS... -- COMMAND...: fills R[KEY.listen|first] (medians, ms) with
# bench/startup.py: from exec to the listener accepting, and to a proxied 200 of nginx's /1k
# on that first connection. Measured first, while nothing else runs.
STARTUP_RUNS=$([[ $DURATION -le 3 ]] && echo 3 || echo 7)
startup_run() {
    local key=$1 out line; shift
    log "start-up $key: $STARTUP_RUNS starts"
    out=$(timeout 120 /usr/bin/python3 "$ROOT/bench/startup.py" --label "$key" \
          --origin-port "$NPORT" --runs "$STARTUP_RUNS" "$@" 2>&1) || true
    line=$(grep '^STARTUP_RESULT' <<<"$out" | grep -v failed= || true)
    if [[ -z $line ]]; then
        log "start-up $key failed:"; printf '%s\n' "$out" >&2
        R[$key.listen]=nan; R[$key.first]=nan; return
    fi
    R[$key.listen]=$(sed -E 's/.* listen_ms=([0-9.]+).*/\1/' <<<"$line")
    R[$key.first]=$(sed -E 's/.* first200_ms=([0-9.]+).*/\1/' <<<"$line")
}
# startup_all KEY BIN: the binary with the CA it made before (every start after the first)
# and with a new CA directory each time (the first start ever: a CA is made).
startup_all() {
    local key=$1 bin=$2
    startup_run "$key.warm" -- "$bin" --headless --listen '127.0.0.1:{port}' \
        --ca-dir "$TMP/ts-ca"
    startup_run "$key.fresh" -- "$bin" --headless --listen '127.0.0.1:{port}' \
        --ca-dir '{tmp}/ca'
}
startup_all startup.ts "$BIN"
[[ -n $BEFORE_BIN ]] && startup_all startup.before "$BEFORE_BIN"
SQUID=$(command -v squid || { [[ -x /usr/sbin/squid ]] && echo /usr/sbin/squid; } || true)
if [[ -n $SQUID ]]; then
    # {port} and {tmp} are startup.py's, put into squid's configuration by sed at each start.
    cat >"$TMP/squid.conf.in" <<'SQUID'
http_port 127.0.0.1:@PORT@
pid_filename none
cache_log @TMP@/cache.log
access_log none
cache deny all
http_access allow all
coredump_dir @TMP@
shutdown_lifetime 0 seconds
SQUID
    startup_run startup.squid -- sh -c "sed -e 's|@PORT@|{port}|' -e 's|@TMP@|{tmp}|g' \
        '$TMP/squid.conf.in' >'{tmp}/squid.conf' && exec '$SQUID' -N -f '{tmp}/squid.conf'"
fi
# startup_table: the rows, ours beside squid's.
startup_table() {
    local srow_fmt='%-44s %14s %14s\n'
    echo
    echo "Start-up: exec to the listener accepting, and to the first proxied 200 (nginx /1k on"
    echo "that first connection); median of $STARTUP_RUNS starts, loopback, ms"
    printf "$srow_fmt" "" "listening" "first 200"
    printf "$srow_fmt" "--------------------------------------------" "--------------" \
        "--------------"
    local k label
    for k in before ts; do
        [[ -n ${R[startup.$k.warm.listen]:-} ]] || continue
        label=$([[ $k == ts ]] && echo "tunnelscope" || echo "tunnelscope before")
        printf "$srow_fmt" "$label, its CA made before" "${R[startup.$k.warm.listen]}" \
            "${R[startup.$k.warm.first]}"
        printf "$srow_fmt" "$label, first start (makes its CA)" \
            "${R[startup.$k.fresh.listen]}" "${R[startup.$k.fresh.first]}"
    done
    if [[ -n ${R[startup.squid.listen]:-} ]]; then
        printf "$srow_fmt" "squid $("$SQUID" -v | sed -n 's/.*Version \([0-9.]*\).*/\1/p')" \
            "${R[startup.squid.listen]}" "${R[startup.squid.first]}"
    else
        printf "$srow_fmt" "squid (not installed)" "-" "-"
    fi
}

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

# ratio A B: A / B to two places, or "-" when either is not a positive number.
ratio() {
    if [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ && $2 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        echo "-"
    fi
}
row() { printf '%-28s %14s %16s %12s\n' "$@"; }

# --- before and after (--compare) ----------------------------------------------------------
if [[ -n $COMPARE ]]; then
    AFTER_PORT=$PPORT
    AFTER_PID=$TS_PID
    AFTER_BIN=$BIN
    BIN=$BEFORE_BIN
    start_tunnelscope ts-before
    BIN=$AFTER_BIN
    BEFORE_PORT=$PPORT
    BEFORE_PID=$TS_PID
    log "before: $BEFORE_BIN on port $BEFORE_PORT; after: $AFTER_BIN on port $AFTER_PORT"
    for size in 1k 100k; do
        wrk_run "direct.$size" "$ORIGIN/$size"
        wrk_run "before.$size" "http://127.0.0.1:$BEFORE_PORT/" "$ORIGIN/$size"
        wrk_run "after.$size" "http://127.0.0.1:$AFTER_PORT/" "$ORIGIN/$size"
    done
    stop_pid "$BEFORE_PID"
    stop_pid "$AFTER_PID"
    crow() { printf '%-30s %12s %12s %12s %13s\n' "$@"; }
    echo
    echo "HTTP/1.1: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, absolute-form GETs through" \
         "the proxy; $(nproc) cores, loopback"
    crow "" "direct" "before" "after" "after/before"
    crow "------------------------------" "------------" "------------" "------------" \
         "-------------"
    for size in 1k 100k; do
        label=$([[ $size == 1k ]] && echo "1 KiB" || echo "100 KiB")
        for k in rps p50 p99 err; do
            name=$(case $k in rps) echo "requests/s" ;; p50) echo "p50 latency ms" ;;
                   p99) echo "p99 latency ms" ;; err) echo "errors" ;; esac)
            r=
            [[ $k == err ]] || r=$(ratio "${R[after.$size.$k]}" "${R[before.$size.$k]}")
            crow "$label GET $name" "${R[direct.$size.$k]}" "${R[before.$size.$k]}" \
                 "${R[after.$size.$k]}" "$r"
        done
    done

    startup_table

    H2_RESULTS=$TMP/h2-results
    : >"$H2_RESULTS"
    H2_RESULTS=$H2_RESULTS "$ROOT/bench/h2.sh" --bin "$BEFORE_BIN" --label before \
        --bin "$AFTER_BIN" --label after --requests "$H2_REQUESTS" --no-tunnels ||
        log "bench/h2.sh failed"
    echo
    CG_OUT=$(PATHS="h1 h2" "$ROOT/bench/callgrind.sh" --n1 "$N1" --n2 "$N2" \
             "$BEFORE_BIN" "$AFTER_BIN") || log "bench/callgrind.sh failed"
    printf '%s\n' "$CG_OUT"
    # h2 LABEL KIND C: req/s of that row; h2ratio: its ratio to direct
    h2() { awk -F'|' -v l="$1" -v k="$2" -v c="$3" '$1 == l && $2 == k && $3 == c { print $4 }' \
               "$H2_RESULTS" | head -1; }
    h2ratio() { awk -F'|' -v l="$1" -v k="$2" -v c="$3" \
                    '$1 == l && $2 == k && $3 == c { print $7 }' "$H2_RESULTS" | head -1; }
    cg() { awk -v p="$1" -v b="$2" '$1 == p && $2 == b { print $3 }' <<<"$CG_OUT" | head -1; }
    srow() { printf '%-44s %16s %16s %13s\n' "$@"; }
    echo
    echo "Before and after in one run: $BEFORE_NAME vs $AFTER_NAME; $(nproc) cores," \
         "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    srow "" "before" "after" "after/before"
    srow "--------------------------------------------" "----------------" "----------------" \
         "-------------"
    for size in 1k 100k; do
        srow "wrk HTTP/1.1 $size req/s" "${R[before.$size.rps]}" "${R[after.$size.rps]}" \
             "$(ratio "${R[after.$size.rps]}" "${R[before.$size.rps]}")"
    done
    for c in 1 8; do
        for kind in h1 h2tls; do
            b=$(h2 before "$kind" "$c"); a=$(h2 after "$kind" "$c")
            what=$([[ $kind == h1 ]] && echo "h1 origin" || echo "h2 origin TLS")
            srow "h2load -c$c -m100 -> $what req/s" "${b:--}" "${a:--}" "$(ratio "${a:--}" "${b:--}")"
            srow "  (x direct)" "$(h2ratio before "$kind" "$c")" "$(h2ratio after "$kind" "$c")" ""
        done
    done
    for p in h1 h2; do
        b=$(cg "$p" "$BEFORE_BIN"); a=$(cg "$p" "$AFTER_BIN")
        srow "callgrind instructions/request, $p" "${b:--}" "${a:--}" "$(ratio "${a:--}" "${b:--}")"
    done
    echo "(req/s are noisy on a shared machine; callgrind counts are not. h2load rows: the"
    echo " proxy forwarding h2 prior-knowledge streams; x direct: against h2load straight to"
    echo " nginx, h2c for the h1 origin and h2 over TLS for the h2 origin.)"
    exit 0
fi

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
startup_table

# --- intercepted HTTPS ---------------------------------------------------------------------
# The plain-HTTP tunnelscope holds everything it recorded; a fresh one measures TLS.
stop_pid "$TS_PID"

# A test PKI made with the openssl CLI, as tests/e2e/tls_support.py makes it: an origin CA
# and a server certificate for localhost and 127.0.0.1, EC P-256.
PKI=$TMP/pki
mkdir -p "$PKI"
pki() {
    (cd "$PKI" && openssl "$@" >/dev/null 2>>"$PKI/openssl.log") ||
        { log "openssl $1 failed: $(cat "$PKI/openssl.log")"; exit 1; }
}
pki req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout origin-ca.key \
    -out origin-ca.pem -days 30 -subj "/CN=Tunnelscope bench origin CA"
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
    "basicConstraints=CA:FALSE" >"$PKI/server.ext"
pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
    -out server.csr -subj /CN=localhost
pki x509 -req -in server.csr -CA origin-ca.pem -CAkey origin-ca.key -CAcreateserial -days 30 \
    -extfile server.ext -out server.pem

SPORT=$(free_port)
cat >"$TMP/nginx-tls.conf" <<NGINX_TLS
worker_processes 1;
daemon off;
master_process off;
pid $TMP/nginx-tls.pid;
error_log $TMP/nginx-tls-error.log warn;
events { worker_connections 4096; }
http {
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$SPORT ssl;
        ssl_protocols TLSv1.2 TLSv1.3;  # nginx < 1.23.4 leaves 1.3 out; tunnelscope speaks it
        ssl_certificate $PKI/server.pem;
        ssl_certificate_key $PKI/server.key;
        root $TMP/www;
        location / { }
    }
}
NGINX_TLS
"$NGINX" -p "$TMP" -c "$TMP/nginx-tls.conf" -e "$TMP/nginx-tls-error.log" </dev/null &
PIDS+=($!)
wait_port "$SPORT"

start_tunnelscope ts-tls --upstream-ca "$PKI/origin-ca.pem"
TLS_TS_PID=$TS_PID
TLS_PPORT=$PPORT
TS_CA=$TMP/ts-tls-ca/ca.pem
[[ -s $TS_CA ]] || { log "tunnelscope made no CA in $TMP/ts-tls-ca"; exit 1; }
TARGET=localhost:$SPORT
log "nginx on https://$TARGET, tunnelscope (intercepting) on 127.0.0.1:$TLS_PPORT"

# tls_run KEY CAFILE [tls_load args...]: fills R[KEY.rps|hps|p50|p99|sp50|sp99|err|cpu]
tls_run() {
    local key=$1 cafile=$2 out line k; shift 2
    log "tls_load $key: ${TLS_CONNECTIONS} connections, ${DURATION}s $*"
    out=$(timeout $((DURATION + 45)) "$TLS_LOAD" --target "$TARGET" --cafile "$cafile" \
          --path /1k --connections "$TLS_CONNECTIONS" --duration "$DURATION" "$@" 2>&1) || true
    line=$(grep '^TLS_LOAD_RESULT' <<<"$out" || true)
    if [[ -z $line ]]; then
        log "tls_load $key gave no result:"; printf '%s\n' "$out" >&2
        for k in rps hps p50 p99 sp50 sp99 err cpu; do R[$key.$k]=nan; done
        return
    fi
    grep -E '^(tls_load: preflight|  first)' <<<"$out" |
        sed -E "s/^(tls_load: | +)/bench: $key: /" >&2 || true
    field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$line"; }
    R[$key.rps]=$(field rps)
    R[$key.hps]=$(field hps)
    R[$key.p50]=$(field req_p50_ms)
    R[$key.p99]=$(field req_p99_ms)
    R[$key.sp50]=$(field setup_p50_ms)
    R[$key.sp99]=$(field setup_p99_ms)
    R[$key.err]=$(( $(field errors) + $(field non2xx) ))
    R[$key.cpu]=$(field cpu_pct)
}

tls_run tls.direct.ka "$PKI/origin-ca.pem" --requests-per-connection 0
tls_run tls.proxy.ka "$TS_CA" --requests-per-connection 0 --proxy "127.0.0.1:$TLS_PPORT"
tls_run tls.direct.hs "$PKI/origin-ca.pem" --requests-per-connection 1
tls_run tls.proxy.hs "$TS_CA" --requests-per-connection 1 --proxy "127.0.0.1:$TLS_PPORT"
TLS_MAX_RSS=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$TLS_TS_PID/status" 2>/dev/null ||
              echo "?")

MINT_COUNT=500
MINT_HITS=20000
log "mint_bench: $MINT_COUNT fresh leaves, $MINT_HITS cache hits"
MINT_OUT=$(TMPDIR=$TMP timeout 120 "$MINT_BENCH" --count $MINT_COUNT --hits $MINT_HITS 2>&1) ||
    { log "mint_bench failed:"; printf '%s\n' "$MINT_OUT" >&2; }
for kind in mint hit; do
    line=$(grep "^MINT_RESULT kind=$kind " <<<"$MINT_OUT" || true)
    for k in mean p50 p99 cpu; do
        if [[ -n $line ]]; then
            R[$kind.$k]=$(sed -E "s/.* ${k}_us=([0-9.]+).*/\1/" <<<"$line")
        else
            R[$kind.$k]=nan
        fi
    done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Intercepted HTTPS: tls_load -c$TLS_CONNECTIONS -d${DURATION}s, GET /1k (1 KiB) from nginx" \
     "over TLS, direct vs through tunnelscope (CONNECT, intercepted)"
row "" "direct" "via tunnelscope" "proxy/direct"
row "----------------------------" "--------------" "----------------" "------------"
tls_row() { # LABEL FIELD
    local d=${R[tls.direct.$2]} p=${R[tls.proxy.$2]}
    row "$1" "$d" "$p" "$(ratio "$p" "$d")"
}
tls_row "keep-alive requests/s" ka.rps
tls_row "keep-alive p50 latency ms" ka.p50
tls_row "keep-alive p99 latency ms" ka.p99
row "keep-alive errors" "${R[tls.direct.ka.err]}" "${R[tls.proxy.ka.err]}" ""
tls_row "new conn. handshakes/s" hs.hps
tls_row "new conn. setup p50 ms" hs.sp50
tls_row "new conn. setup p99 ms" hs.sp99
tls_row "new conn. request p50 ms" hs.p50
row "new conn. errors" "${R[tls.direct.hs.err]}" "${R[tls.proxy.hs.err]}" ""
row "tls_load CPU %, keep-alive" "${R[tls.direct.ka.cpu]}" "${R[tls.proxy.ka.cpu]}" ""
row "tls_load CPU %, new conn." "${R[tls.direct.hs.cpu]}" "${R[tls.proxy.hs.cpu]}" ""
echo "new conn. = one request per connection (Connection: close). Via tunnelscope every one is"
echo "two full TLS handshakes, client side and server side; only the first mints a leaf (cached)."
echo "setup = TCP connect [+ CONNECT] + TLS handshake, as the client sees it. tls_load CPU is"
echo "the load generator's own share (% of one core) of the $(nproc) cores everything runs on."
echo "tunnelscope (HTTPS runs) peak RSS: ${TLS_MAX_RSS} MiB"
echo
echo "Leaf certificates (mint_bench: fresh CA, each leaf 1 + 2 names)"
printf '%-28s %10s %10s %10s %10s\n' "" "mean us" "p50 us" "p99 us" "CPU us"
printf '%-28s %10s %10s %10s %10s\n' "mint a new leaf (x$MINT_COUNT)" "${R[mint.mean]}" \
    "${R[mint.p50]}" "${R[mint.p99]}" "${R[mint.cpu]}"
printf '%-28s %10s %10s %10s %10s\n' "cache hit (x$MINT_HITS)" "${R[hit.mean]}" "${R[hit.p50]}" \
    "${R[hit.p99]}" "${R[hit.cpu]}"
echo "(wall times; CPU us = the minting thread's CPU time per call, mean: the wall time less"
echo " the waits for a busy core)"
echo
echo "load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end; $(nproc) cores"

# --- HTTP/2 from clients -------------------------------------------------------------------
"$ROOT/bench/h2.sh" --bin "$BIN" --requests "$H2_REQUESTS"
