# Shared by the benchmark scripts (sourced): tools, a scratch folder cleaned up on exit with
# every process started, free loopback ports.
#   bench_setup NAME TOOL...   checks the tools, makes $TMP, sets $NGINX
#   PIDS+=($!)                 after starting a process: stopped on exit
#   free_port / wait_port PORT

bench_setup() {
    BENCH_NAME=$1
    shift
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || [[ $tool == nginx && -x /usr/sbin/nginx ]] \
            || { echo "bench/$BENCH_NAME: $tool missing (scripts/packages.txt)" >&2; exit 1; }
    done
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    TMP=$(mktemp -d "/tmp/ts-bench-$BENCH_NAME.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
    local _
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench/$BENCH_NAME: nothing listens on port $1" >&2
    exit 1
}
