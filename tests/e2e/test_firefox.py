"""Firefox ESR through tunnelscope, with the profile the window's "Launch Firefox" button makes:
ts_browser_profile runs the same BrowserLauncher (user.js with the proxy, the CA added to the
profile's NSS database with certutil) and prints the browser command line instead of starting
it. The test starts that command headless with --screenshot on an HTTPS page from nginx (signed
by a CA only the proxy trusts); the page's script adds an image, so a request for it shows the
script ran. The flows must be intercepted, verified towards nginx, and 200.

The control: the same preferences without the CA in the profile, and Firefox refuses the
proxy's certificate, which the proxy records.

Everything runs in a network namespace of this test's own (see netns.py)."""

import os

import netns

NETNS_MARKER = "TS_FIREFOX_NETNS"
if __name__ == "__main__" and not netns.inside(NETNS_MARKER):
    netns.reexec_in_netns(NETNS_MARKER, "e2e.firefox", __file__)

import contextlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

import support  # noqa: E402
import test_chromium  # noqa: E402  (its tiny PNG)
import tls_support  # noqa: E402
from support import HOST  # noqa: E402

FIREFOX_TIMEOUT = 120

# The script adds an image while the page loads, so the load event (when --screenshot takes
# its picture and exits) waits for it: a request for /ran.png means the script ran.
INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>tunnelscope firefox e2e</title></head>
<body>
<h1>through the proxy</h1>
<img src="/pixel.png" alt="">
<script src="/app.js"></script>
</body></html>
"""

APP_JS = """(function () {
  var img = document.createElement('img');
  img.src = '/ran.png';
  document.body.appendChild(img);
})();
"""

PATHS = ("", "app.js", "pixel.png", "ran.png")


def write_page(www):
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write(INDEX_HTML)
    with open(os.path.join(www, "app.js"), "w") as f:
        f.write(APP_JS)
    for name in ("pixel.png", "ran.png"):
        with open(os.path.join(www, name), "wb") as f:
            f.write(test_chromium.png_bytes())


def profile_tool():
    tool = os.environ.get("TS_BROWSER_PROFILE")
    if not tool:
        build = os.environ.get("TS_BUILD_DIR", os.path.join(os.path.dirname(__file__),
                                                            "..", "..", "build"))
        tool = os.path.join(build, "tests", "e2e", "ts_browser_profile")
    if not os.access(tool, os.X_OK):
        raise RuntimeError(f"{tool} is missing: build the tree (./dev.sh build)")
    return tool


class FirefoxRun:
    def __init__(self, returncode, output, elapsed, timed_out, screenshot):
        self.returncode = returncode
        self.output = output
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.screenshot = screenshot

    def __repr__(self):
        return (f"<firefox exit={self.returncode} timed_out={self.timed_out} "
                f"elapsed={self.elapsed:.1f}s\n--- output (tail) ---\n{self.output[-3000:]}>")


class FirefoxTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netns.assert_loopback_only()
        if not (shutil.which("firefox-esr") or shutil.which("firefox")):
            raise RuntimeError("firefox-esr not found; ./dev.sh installs it "
                               "(scripts/packages.txt)")
        if shutil.which("certutil") is None:
            raise RuntimeError("certutil not found; ./dev.sh installs libnss3-tools")
        cls.pki = tls_support.TestPki()
        cls.addClassCleanup(cls.pki.cleanup)
        cls.nginx = tls_support.NginxTls(cls.pki)
        cls.addClassCleanup(cls.nginx.stop)
        write_page(cls.nginx.www)
        cls.nginx.start()

    def setUp(self):
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()
        # Profiles go under the system's temporary directory: this test's own.
        self.tmp = tempfile.mkdtemp(prefix="ts-firefox-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def make_profile(self):
        env = support.clean_env(TMPDIR=self.tmp)
        out = subprocess.run([profile_tool(), "firefox", f"{HOST}:{self.proxy.port}",
                              os.path.join(self.proxy.ca_dir, "ca.pem")],
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        launch = json.loads(out.stdout)
        self.assertTrue(launch["profile"].startswith(os.path.join(self.tmp,
                                                                  "tunnelscope-firefox-")))
        return launch

    def start_firefox(self, launch, url):
        shot = os.path.join(self.tmp, "shot.png")
        args = [launch["program"], *launch["arguments"], "--headless", "--screenshot", shot, url]
        env = dict(launch["environment"], MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1")
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, cwd=self.tmp,
                                start_new_session=True)
        # Content and utility processes share the session: take them all down.
        self.addCleanup(self.kill_group, proc)
        return proc, shot

    @staticmethod
    def kill_group(proc):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout and not proc.stdout.closed:
            proc.stdout.close()

    def run_firefox(self, launch, url):
        t0 = time.monotonic()
        proc, shot = self.start_firefox(launch, url)
        timed_out = False
        try:
            out, _ = proc.communicate(timeout=FIREFOX_TIMEOUT)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill_group(proc)
            out, _ = proc.communicate()
        self.kill_group(proc)
        return FirefoxRun(proc.returncode, out.decode(errors="replace"),
                          time.monotonic() - t0, timed_out, shot)

    def test_launcher_profile_loads_an_intercepted_https_page(self):
        launch = self.make_profile()
        # What the button starts: its own instance on this profile, nothing else.
        self.assertEqual(launch["arguments"][:2], ["--no-remote", "--new-instance"])
        self.assertEqual(launch["environment"]["HOME"], launch["profile"])
        base = f"https://localhost:{self.nginx.port}/"
        run = self.run_firefox(launch, base)
        self.assertFalse(run.timed_out, run)
        for path in PATHS:
            self.proxy.wait_line(rf"GET {re.escape(base + path)} 200\b", timeout=20)
        self.assertTrue(os.path.getsize(run.screenshot) > 0, run)
        self.proxy.stop()
        # The profile keeps Firefox's own traffic (telemetry, remote settings, push, plug-in
        # updates) out of the table: every flow is the page's.
        others = [line for line in self.proxy.stdout_lines if "localhost:" not in line]
        self.assertEqual(others, [])
        entries = [e for e in self.proxy.har()["log"]["entries"]
                   if e["request"]["url"].startswith(base)]
        urls = {e["request"]["url"] for e in entries}
        for path in PATHS:
            self.assertIn(base + path, urls)
        for e in entries:
            self.assertEqual(e["response"]["status"], 200, e["request"]["url"])
            self.assertTrue(e["_tls"]["intercepted"], e["_tls"])
            self.assertEqual(e["_tls"]["server"]["sni"], "localhost", e["_tls"])
            self.assertTrue(e["_tls"]["server"]["verified"], e["_tls"])

    def test_firefox_refuses_the_proxy_without_the_ca(self):
        # The control: the profile's preferences, a fresh NSS database without the CA.
        launch = self.make_profile()
        profile = launch["profile"]
        for name in os.listdir(profile):
            if name.endswith(".db"):
                os.remove(os.path.join(profile, name))
        base = f"https://localhost:{self.nginx.port}/"
        # Firefox shows its certificate error page and never finishes the screenshot: wait
        # for the proxy to record the refusal, then stop it.
        proc, _ = self.start_firefox(launch, base)
        self.proxy.wait_line(rf"CONNECT localhost:{self.nginx.port} .*error=\"the client "
                             "rejected the certificate", timeout=FIREFOX_TIMEOUT)
        self.kill_group(proc)
        self.assertTrue(self.proxy.alive())
        self.proxy.stop()
        urls = {e["request"]["url"] for e in self.proxy.har()["log"]["entries"]}
        self.assertNotIn(base + "app.js", urls)


if __name__ == "__main__":
    unittest.main(verbosity=2)
