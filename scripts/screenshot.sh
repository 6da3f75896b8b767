#!/usr/bin/env bash
# Screenshot a GUI program without a desktop: runs it on a virtual X display (xvfb-run),
# waits, captures the whole screen with ImageMagick's `import`, then stops the program.
#
#   scripts/screenshot.sh [-w SECONDS] [-s WIDTHxHEIGHTxDEPTH] OUTPUT.png COMMAND [ARGS...]
#
#   -w  seconds to wait before the capture (default 3)
#   -s  screen geometry (default 1400x900x24)
#
# Example: scripts/screenshot.sh -w 4 /tmp/main.png build/app/tunnelscope --listen 127.0.0.1:0
set -euo pipefail

wait_seconds=3
screen=1400x900x24
usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while getopts "w:s:h" opt; do
    case $opt in
    w) wait_seconds=$OPTARG ;;
    s) screen=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
output=$1
shift

for tool in xvfb-run import; do
    command -v "$tool" >/dev/null || { echo "screenshot.sh: $tool not found" >&2; exit 1; }
done
mkdir -p "$(dirname -- "$output")"

# Runs inside the virtual display: start the program, wait, capture, stop it. The program must
# still be running at capture time, or the screenshot would show an empty screen. Job control
# puts the program in its own process group, so a wrapper script and its children stop too.
inner='
    set -m
    output=$1 wait_seconds=$2
    shift 2
    "$@" &
    pid=$!
    sleep "$wait_seconds"
    if ! kill -0 "$pid" 2>/dev/null; then
        status=0
        wait "$pid" || status=$?
        echo "screenshot.sh: the program exited (status $status) before the capture" >&2
        exit 1
    fi
    import -window root "$output"
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
'
# Qt must draw on the X display, whatever the caller set (tests use offscreen).
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 $screen" bash -c "$inner" screenshot \
    "$output" "$wait_seconds" "$@"
echo "$output"
