"""Headless Chromium through tunnelscope: --proxy-server=http://... and https://..., trusting
only tunnelscope's CA (an NSS db in a fresh HOME), loading an HTTPS page from nginx whose script
and image must come through; --dump-dom shows whether the script ran and the image loaded.

Everything runs in a network namespace of this test's own (Chromium reaches for Google hosts
even with background networking off): when started outside it, this file re-executes itself
under `unshare --net` with only the loopback interface up, so nginx, tunnelscope and Chromium
share that loopback and nothing else. The re-exec replaces this process (unshare --net does not
fork), so the exit status ctest reads is the tests' own.
"""

import contextlib
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

import netns

NETNS_MARKER = "TS_CHROMIUM_NETNS"
if __name__ == "__main__" and not netns.inside(NETNS_MARKER):
    netns.reexec_in_netns(NETNS_MARKER, "e2e.chromium", __file__)

import support  # noqa: E402
import tls_support  # noqa: E402
from support import HOST  # noqa: E402

CHROMIUM_TIMEOUT = 60

# The page: a script (at the end of the body) and an image, both fetched from the same origin.
# The markers are assembled at run time so that their text is in the DOM only if the script
# ran or the image's onload fired, never just because the page source says so.
INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>tunnelscope e2e</title></head>
<body>
<h1>through the proxy</h1>
<img id="pixel" src="/pixel.png" alt=""
     onload="var p = document.createElement('p'); p.id = 'img';
             p.textContent = ['image', 'loaded'].join(' '); document.body.appendChild(p);"
     onerror="var p = document.createElement('p'); p.id = 'img';
              p.textContent = ['image', 'failed'].join(' '); document.body.appendChild(p);">
<script src="/app.js"></script>
</body></html>
"""

APP_JS = """(function () {
  var p = document.createElement('p');
  p.id = 'ran';
  p.textContent = ['script', 'ran'].join(' ');
  document.body.appendChild(p);
})();
"""


def png_bytes(width=4, height=4, rgb=(0x2a, 0x7f, 0xd4)):
    """A real (tiny, truecolour) PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def write_page(www):
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write(INDEX_HTML)
    with open(os.path.join(www, "app.js"), "w") as f:
        f.write(APP_JS)
    with open(os.path.join(www, "pixel.png"), "wb") as f:
        f.write(png_bytes())


@contextlib.contextmanager
def malloc_perturbed(byte="165"):
    """Start children with glibc's MALLOC_PERTURB_: freed memory is overwritten, so a
    use-after-free in the proxy fails every run instead of once in a while."""
    had = os.environ.get("MALLOC_PERTURB_")
    os.environ.setdefault("MALLOC_PERTURB_", byte)
    try:
        yield
    finally:
        if had is None:
            os.environ.pop("MALLOC_PERTURB_", None)


def chromium_bin():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("chromium not found; ./dev.sh installs it (scripts/packages.txt)")


class ChromiumRun:
    def __init__(self, returncode, dom, stderr, elapsed, timed_out):
        self.returncode = returncode
        self.dom = dom
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out

    def __repr__(self):
        return (f"<chromium exit={self.returncode} timed_out={self.timed_out} "
                f"elapsed={self.elapsed:.1f}s\n--- dom ---\n{self.dom[-3000:]}\n"
                f"--- stderr (tail, without D-Bus noise) ---\n{self.quiet_stderr()[-3000:]}>")

    def quiet_stderr(self):
        # Chromium complains at length about the missing D-Bus; nothing here needs one.
        return "\n".join(line for line in self.stderr.splitlines()
                         if "dbus" not in line and "unexpected operator" not in line)


class ChromiumTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The whole point of the namespace: nothing but loopback.
        with open("/proc/self/net/dev") as f:
            ifaces = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
        if ifaces != ["lo"]:
            raise AssertionError(f"not in a loopback-only network namespace: {ifaces}; run "
                                 "this file directly (it re-executes itself under unshare)")
        cls.chromium = chromium_bin()
        if shutil.which("certutil") is None:
            raise RuntimeError("certutil not found; ./dev.sh installs libnss3-tools")
        cls.pki = tls_support.TestPki()
        cls.addClassCleanup(cls.pki.cleanup)
        cls.nginx = tls_support.NginxTls(cls.pki)  # HTTPS, the origin CA's certificate
        cls.addClassCleanup(cls.nginx.stop)
        write_page(cls.nginx.www)
        cls.nginx.start()
        cls.plain = support.Nginx()  # plain HTTP
        cls.addClassCleanup(cls.plain.stop)
        write_page(cls.plain.www)
        cls.plain.start()

    # Even with background networking and component updates off, Chromium 156 still asks
    # the proxy for clients2.google.com and update.googleapis.com (and, after a certificate
    # error, connectivitycheck.gstatic.com); in the namespace those fail to resolve with a 502.

    def setUp(self):
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca, "--listen-https", f"{HOST}:0")
        self.addCleanup(self.proxy.cleanup)
        with malloc_perturbed():
            self.proxy.start()
        self.https_port = self.https_proxy_port(self.proxy)
        self.home = tempfile.mkdtemp(prefix="ts-chromium-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.make_nssdb(os.path.join(self.proxy.ca_dir, "ca.pem"))

    def https_proxy_port(self, proxy):
        rx = re.compile(r"listening on \S+:(\d+) for HTTPS proxy clients")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for line in list(proxy.stderr_lines):
                m = rx.search(line)
                if m:
                    return int(m.group(1))
            time.sleep(0.05)
        self.fail(f"no HTTPS proxy listener line on stderr: {proxy.stderr_lines}")

    def make_nssdb(self, ca_pem):
        """Chromium on Linux trusts what $HOME/.pki/nssdb says: only tunnelscope's CA."""
        db = os.path.join(self.home, ".pki", "nssdb")
        os.makedirs(db)
        env = support.clean_env(HOME=self.home)
        for args in (["-N", "--empty-password"],
                     ["-A", "-t", "C,,", "-n", "tunnelscope", "-i", ca_pem]):
            subprocess.run(["certutil", "-d", f"sql:{db}", *args], check=True, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)

    def run_chromium(self, proxy_server, url):
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.home)
        args = [self.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", f"--user-data-dir={profile}",
                f"--proxy-server={proxy_server}", "--proxy-bypass-list=<-loopback>",
                "--virtual-time-budget=5000", "--dump-dom", url]
        env = support.clean_env(HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                                XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        t0 = time.monotonic()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=self.home,
                                start_new_session=True)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        finally:
            # Renderer, GPU and utility processes share the session: take them all down.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        return ChromiumRun(proc.returncode, out.decode(errors="replace"),
                           err.decode(errors="replace"), time.monotonic() - t0, timed_out)

    def assertPageWorked(self, run):
        self.assertFalse(run.timed_out, run)
        self.assertIn("<h1>through the proxy</h1>", run.dom, run)
        self.assertIn('<p id="ran">script ran</p>', run.dom, run)
        self.assertIn('<p id="img">image loaded</p>', run.dom, run)

    def assertFlowsShown(self, base):
        """The headless proxy printed a 200 for the page, its script and its image."""
        for path in ("", "app.js", "pixel.png"):
            self.proxy.wait_line(rf"GET {re.escape(base + path)} 200\b", timeout=10)

    def har_entries(self, base):
        self.proxy.stop()
        entries = self.proxy.har()["log"]["entries"]
        by_url = {}
        for e in entries:
            by_url.setdefault(e["request"]["url"], []).append(e)
        for path in ("", "app.js", "pixel.png"):
            self.assertIn(base + path, by_url, sorted(by_url))
        return {path: by_url[base + path] for path in ("", "app.js", "pixel.png")}

    def check_intercepted_https(self, proxy_server):
        base = f"https://localhost:{self.nginx.port}/"
        run = self.run_chromium(proxy_server, base)
        self.assertPageWorked(run)
        self.assertFlowsShown(base)
        for path, entries in self.har_entries(base).items():
            for e in entries:
                self.assertEqual(e["response"]["status"], 200, (path, e))
                self.assertTrue(e["_tls"]["intercepted"], (path, e["_tls"]))
                self.assertEqual(e["_tls"]["server"]["sni"], "localhost", e["_tls"])
                self.assertTrue(e["_tls"]["server"]["verified"], e["_tls"])
        return run

    def test_https_page_through_http_proxy(self):
        self.check_intercepted_https(f"http://{HOST}:{self.proxy.port}")

    def test_https_page_through_https_proxy(self):
        # Chromium speaks h2 to an https:// proxy: the tunnels are CONNECT streams, and inside
        # the intercepted TLS it speaks h2 again.
        self.check_intercepted_https(f"https://{HOST}:{self.https_port}")
        har = self.proxy.har()["log"]
        tunnels = [t for t in har["_tunnels"] if t["port"] == self.nginx.port]
        self.assertTrue(tunnels, har["_tunnels"])
        for t in tunnels:
            self.assertEqual(t["clientProtocol"], "HTTP/2", t)
            self.assertGreater(t.get("clientStream", 0), 0, t)
        for e in har["entries"]:
            if e["request"]["url"].startswith(f"https://localhost:{self.nginx.port}/"):
                self.assertEqual(e["request"]["httpVersion"], "http/2.0", e["request"])

    def test_http_page_through_https_proxy(self):
        # TLS to the proxy, plain HTTP inside it. Chromium offers h2 to an https:// proxy;
        # the flow records what was offered and what the proxy chose.
        base = f"http://localhost:{self.plain.port}/"
        run = self.run_chromium(f"https://{HOST}:{self.https_port}", base)
        self.assertPageWorked(run)
        self.assertFlowsShown(base)
        for path, entries in self.har_entries(base).items():
            for e in entries:
                self.assertEqual(e["response"]["status"], 200, (path, e))
                tls = e["_tls"]
                self.assertFalse(tls["intercepted"], tls)
                self.assertIn("h2", tls["client"]["alpnOffered"], tls)
                # The proxy chose h2: the http:// requests came as forward requests on streams.
                self.assertEqual(tls["client"]["alpn"], "h2", tls)
                self.assertEqual(e["request"]["httpVersion"], "http/2.0", e["request"])

    def test_chromium_refuses_a_proxy_ca_it_does_not_trust(self):
        # The control for the cases above: with only the origin's CA in the NSS db, Chromium
        # must refuse tunnelscope's certificate, so the page loading there is the proxy's CA
        # at work. The proxy records the refusal and keeps serving.
        shutil.rmtree(os.path.join(self.home, ".pki"))
        self.make_nssdb(self.pki.ca)
        run = self.run_chromium(f"http://{HOST}:{self.proxy.port}",
                                f"https://localhost:{self.nginx.port}/")
        time.sleep(0.5)
        self.assertTrue(self.proxy.alive(),
                        f"tunnelscope died (exit {self.proxy.proc.returncode}) after Chromium "
                        "rejected its certificate; its stderr:\n"
                        + "\n".join(self.proxy.stderr_lines) + f"\n{run}")
        self.assertFalse(run.timed_out, run)
        self.assertNotIn("script ran", run.dom, run)
        self.assertIn("ERR_CERT_AUTHORITY_INVALID", run.stderr, run)
        self.proxy.wait_line(rf"CONNECT localhost:{self.nginx.port} .*error=\"the client "
                             "rejected the certificate")
        base = f"http://localhost:{self.plain.port}/"
        self.assertPageWorked(self.run_chromium(f"http://{HOST}:{self.proxy.port}", base))

    def test_http_page_through_http_proxy(self):
        base = f"http://localhost:{self.plain.port}/"
        run = self.run_chromium(f"http://{HOST}:{self.proxy.port}", base)
        self.assertPageWorked(run)
        self.assertFlowsShown(base)
        for path, entries in self.har_entries(base).items():
            for e in entries:
                self.assertEqual(e["response"]["status"], 200, (path, e))


if __name__ == "__main__":
    unittest.main(verbosity=2)
