#!/usr/bin/env bash
# Tunnelscope developer entry point.
#
#   ./dev.sh run [ARGS...]   install missing packages, build build/, launch the app with ARGS
#   ./dev.sh test            same setup, build with -Werror, run every test, then an
#                            ASan+UBSan build in build-asan/ and its core tests
#   ./dev.sh build           setup and build only
#   ./dev.sh package         a release build in build-package/ with Debian's hardening
#                            flags, then build-package/tunnelscope_VERSION_ARCH.deb (cpack)
#                            and lintian's verdict on it
#
# Idempotent: packages are checked with dpkg-query and apt-get runs only when something is
# missing; CMake configures only when build/ has no cache or the wanted options differ; Ninja
# rebuilds only what changed (ccache is picked up by CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD
JOBS=2

log() { printf 'dev.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- packages -----------------------------------------------------------------------------

wanted_packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$ROOT/scripts/packages.txt" | grep -v '^$'
}

missing_packages() {
    local -a pkgs
    mapfile -t pkgs < <(wanted_packages)
    # One dpkg-query for the whole list; unknown packages print nothing on stdout.
    local installed
    # (dpkg-query exits 1 when a package is unknown to dpkg: that only means "missing".)
    installed=$({ dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null ||
                  true; } | awk '$2 == "installed" { print $1 }' | sort -u)
    local p
    for p in "${pkgs[@]}"; do
        grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
    done
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root to run: $* (install sudo or run as root)"
    fi
}

ensure_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    log "installing missing packages: ${missing[*]}"
    # Packages such as nginx start their system service from postinst. The tests start
    # their own nginx as the current user, so keep the service from starting (or failing to
    # start, when port 80 is taken) during our install.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        made_policy=1
    fi
    local rc=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q ||
        rc=$?
    if [[ $rc -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
            install -y -q "${missing[@]}" || rc=$?
    fi
    [[ $made_policy -eq 1 ]] && as_root rm -f "$policy"
    [[ $rc -eq 0 ]] || die "apt-get failed (exit $rc)"
    mapfile -t missing < <(missing_packages)
    [[ ${#missing[@]} -eq 0 ]] || die "still missing after install: ${missing[*]}"
}

# --- build --------------------------------------------------------------------------------

# configure DIR [-DOPT=VALUE...]: run CMake only when DIR has no cache, was made by another
# generator, or one of the given options has another value in the cache. Later changes to
# CMakeLists.txt files are picked up by Ninja itself.
configure() {
    local dir=$1; shift
    local cache=$dir/CMakeCache.txt need=0 opt name value
    if [[ ! -f $cache || ! -f $dir/build.ninja ]]; then
        need=1
    elif ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$cache"; then
        log "$dir was configured with another generator; starting it afresh"
        rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
        need=1
    else
        for opt in "$@"; do
            opt=${opt#-D}
            name=${opt%%=*}
            value=${opt#*=}
            grep -qE "^${name}:[A-Z]+=${value}\$" "$cache" || need=1
        done
    fi
    if [[ $need -eq 1 ]]; then
        log "configuring $dir"
        cmake -S "$ROOT" -B "$dir" -G Ninja "$@"
    fi
}

build() {
    local dir=$1
    log "building $dir"
    cmake --build "$dir" -j "$JOBS"
}

setup_env() {
    # Share ccache hits between clones of the repo (CI builds in a fresh clone).
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
    export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
}

# --- commands -----------------------------------------------------------------------------

cmd_build() {
    ensure_packages
    setup_env
    # Keep whatever TS_WERROR the cache has (./dev.sh test turns it on); only a new build
    # directory gets the default, so switching between run and test never rebuilds it all.
    configure build
    build build
}

cmd_run() {
    cmd_build
    local bin=build/app/tunnelscope
    [[ -x $bin ]] || die "$bin was not built (does app/CMakeLists.txt define it yet?)"
    local headless=0 a
    for a in "$@"; do
        case $a in --headless|--help|-h|--version|-v) headless=1 ;; esac
    done
    if [[ $headless -eq 0 && -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
        die "no DISPLAY is set, so the window cannot open; try: ./dev.sh run --headless" \
            "(or run it under xvfb-run)"
    fi
    log "starting $bin $*"
    exec "$ROOT/$bin" "$@"
}

# Sum ctest's closing lines ("NN% tests passed, F tests failed out of T").
PASSED=0
FAILED=0
run_ctest() {
    local out rc=0
    out=$(mktemp)
    ctest "$@" 2>&1 | tee "$out" || rc=${PIPESTATUS[0]}
    local line total failed
    line=$(grep -E 'tests failed out of [0-9]+' "$out" | tail -1 || true)
    if [[ -n $line ]]; then
        failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
        total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
        PASSED=$((PASSED + total - failed))
        FAILED=$((FAILED + failed))
    fi
    rm -f "$out"
    return "$rc"
}

cmd_test() {
    ensure_packages
    setup_env
    local status=0

    configure build -DTS_WERROR=ON
    build build
    log "running every test in build/"
    run_ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600 || status=1

    configure build-asan -DTS_SANITIZE=ON -DTS_BUILD_GUI=OFF -DTS_WERROR=ON
    build build-asan
    log "running the core tests under ASan+UBSan in build-asan/"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        run_ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L core --timeout 600 ||
        status=1

    if [[ $status -eq 0 ]]; then
        log "all suites passed"
    else
        log "some tests failed"
    fi
    echo "dev.sh: $PASSED passed, $FAILED failed"
    return "$status"
}

cmd_package() {
    ensure_packages
    setup_env
    local dir=build-package
    # Debian's build flags (fortify, stack protector, relro, bind-now, PIE) as a Debian
    # package of the distribution would have them; read by CMake when it configures.
    export DEB_BUILD_MAINT_OPTIONS=hardening=+all
    CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
    LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
    export CXXFLAGS LDFLAGS
    configure "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTS_BUILD_TESTS=OFF -DTS_BUILD_BENCH=OFF
    build "$dir"
    log "packaging"
    (cd "$dir" && cpack -G DEB)
    local deb
    deb=$(ls -t "$dir"/tunnelscope_*.deb | head -1)
    if command -v lintian >/dev/null; then
        log "lintian $deb"
        lintian --allow-root "$deb" || die "lintian found errors in $deb"
    fi
    log "built $deb (install it with: apt install ./$deb)"
}

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

case ${1:-} in
    run)   shift; cmd_run "$@" ;;
    test)  shift; cmd_test "$@" ;;
    build) shift; cmd_build "$@" ;;
    package) shift; cmd_package "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
