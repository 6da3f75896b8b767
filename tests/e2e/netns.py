"""Browser tests run in a network namespace of their own, so that nothing a browser reaches for
on its own (update, telemetry and safe-browsing hosts) leaves loopback. Started outside one, a
test file calls reexec_in_netns() before anything else: it replaces the process with itself
under `unshare --net`, with only the loopback interface up. unshare --net does not fork, so the
exit status ctest reads is the tests' own."""

import os
import shutil
import subprocess
import sys


def inside(marker):
    return os.environ.get(marker) == "1"


def reexec_in_netns(marker, test_name, script):
    unshare = shutil.which("unshare")
    ip = shutil.which("ip") or "/usr/sbin/ip"
    if unshare is None or not os.access(ip, os.X_OK):
        sys.exit(f"FAIL: {test_name} needs unshare (util-linux) and ip (iproute2); ./dev.sh "
                 "installs them")
    probe = subprocess.run([unshare, "--net", "--", ip, "link", "set", "lo", "up"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    if probe.returncode != 0:
        sys.exit(f"FAIL: {test_name} could not create a network namespace (`unshare --net` "
                 f"exited {probe.returncode}: {probe.stdout.decode(errors='replace').strip()}); "
                 "run it as root (it needs CAP_SYS_ADMIN)")
    env = dict(os.environ, **{marker: "1"})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(unshare, [unshare, "--net", "--", "sh", "-c", f'"{ip}" link set lo up && exec "$@"',
                         "sh", sys.executable, os.path.abspath(script), *sys.argv[1:]], env)


def assert_loopback_only():
    with open("/proc/self/net/dev") as f:
        ifaces = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    if ifaces != ["lo"]:
        raise AssertionError(f"not in a loopback-only network namespace: {ifaces}; run the "
                             "test file directly (it re-executes itself under unshare)")
