#!/usr/bin/env bash
# Pictures of the inspector panes and dialogs, filled with synthetic live data: runs the demo
# modes of their tests on a virtual display (scripts/screenshot.sh) and writes one PNG each.
#
#   scripts/screenshot-panes.sh BUILD_DIR [OUTPUT_DIR]    (default OUTPUT_DIR: /tmp/ts-panes)
#
# Needs the ui tests built in BUILD_DIR, xvfb-run and ImageMagick's import.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
tests=$1/tests
out=${2:-/tmp/ts-panes}
here=$(dirname -- "$0")
mkdir -p "$out"

shot() { # NAME SCREEN TEST [VAR=VALUE...]
    local name=$1 screen=$2 test=$3
    shift 3
    # The demo runs longer than the capture waits; screenshot.sh stops it afterwards.
    "$here/screenshot.sh" -w 4 -s "$screen" "$out/$name.png" \
        env TS_DEMO_SECONDS=30 "$@" "$tests/$test" demo >/dev/null 2>&1 ||
        echo "screenshot-panes.sh: $name failed" >&2
}

shot connections-frames 1400x900x24 test.ui.panes.inspector_docks_test
shot tunnels-frames 1400x900x24 test.ui.panes.inspector_docks_test TS_DEMO_RAISE=tunnels
shot connections-streams 1400x900x24 test.ui.panes.inspector_docks_test TS_DEMO_RAISE=streams
shot settings 900x800x24 test.ui.dialogs.settings_dialog_test
shot ca 900x600x24 test.ui.dialogs.ca_dialog_test
ls "$out"/*.png
