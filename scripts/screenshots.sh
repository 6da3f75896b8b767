#!/usr/bin/env bash
# Screenshots of Tunnelscope with real traffic (scripts/screenshots.py): the main window with a
# flow selected, the tunnels, connections, frames and streams panes, the settings and CA
# dialogs. Runs in a network namespace of its own (unshare --net, loopback only), so Chromium
# and everything else reach nothing but the local origins. Needs root (CAP_SYS_ADMIN), Xvfb,
# xdotool, ImageMagick, nginx, curl, nghttp, chromium and certutil (scripts/packages.txt).
#
#   scripts/screenshots.sh BUILD_DIR [OUTPUT_DIR]   (default OUTPUT_DIR: packaging/screenshots)
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
here=$(cd "$(dirname -- "$0")" && pwd)
build=$(cd "$1" && pwd)
out=${2:-$here/../packaging/screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ip=$(command -v ip || echo /usr/sbin/ip)
# Debian's python3, which has the packages the e2e helpers use (python3-websockets), even
# where another python3 comes first on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
exec unshare --net -- sh -c '"$1" link set lo up && shift && exec "$@"' sh "$ip" \
    "$py" "$here/screenshots.py" "$build" "$out"
