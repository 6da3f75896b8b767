"""The command line and headless mode: the listening line, bad arguments, a port in use,
one stdout line per flow, the HAR file written on SIGTERM/SIGINT."""

import json
import re
import signal
import socket
import subprocess
import unittest

import support
from support import HOST

LINE_RE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\S+) (?P<client>127\.0\.0\.1:\d+) (?P<method>[A-Z]+) "
    r"(?P<url>\S+) (?P<status>\d{3}|ERR) (?P<bytes>\d+)B (?P<ms>\d+(?:\.\d+)?)ms"
    r'(?: error="(?P<error>[^"]*)")?$')


def run_bin(*args, timeout=15):
    return subprocess.run([support.tunnelscope_bin(), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout, env=support.clean_env())


class CommandLine(unittest.TestCase):

    def assertOneLineReason(self, p):
        self.assertNotEqual(p.returncode, 0, p)
        lines = [line for line in p.stderr.decode(errors="replace").splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, f"expected a one-line reason on stderr, got {lines}")
        return lines[0]

    def test_help_and_version(self):
        p = run_bin("--help")
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("--headless", p.stdout.decode() + p.stderr.decode())
        p = run_bin("--version")
        self.assertEqual(p.returncode, 0, p)
        self.assertRegex(p.stdout.decode() + p.stderr.decode(), r"\d+\.\d+")

    def test_unknown_option(self):
        line = self.assertOneLineReason(run_bin("--headless", "--no-such-option"))
        self.assertIn("no-such-option", line)

    def test_bad_listen_address(self):
        self.assertOneLineReason(run_bin("--headless", "--listen", "not-an-address"))
        self.assertOneLineReason(run_bin("--headless", "--listen", "127.0.0.1:99999"))

    def test_bad_number(self):
        self.assertOneLineReason(run_bin("--headless", "--workers", "many"))
        self.assertOneLineReason(run_bin("--headless", "--listen", "127.0.0.1:0",
                                         "--response-timeout", "-3"))

    def test_port_in_use(self):
        with socket.socket() as s:
            s.bind((HOST, 0))
            s.listen(1)
            port = s.getsockname()[1]
            line = self.assertOneLineReason(run_bin("--headless", "--listen", f"{HOST}:{port}"))
        self.assertRegex(line, rf"(?i){port}|in use")

    def test_listening_line_names_the_real_port(self):
        proxy = support.Proxy()
        self.addCleanup(proxy.cleanup)
        proxy.start()
        self.assertNotEqual(proxy.port, 0)
        with socket.create_connection((HOST, proxy.port), timeout=5):
            pass
        listening = [line for line in proxy.stderr_lines if "listening on" in line]
        self.assertEqual(listening, [f"tunnelscope: listening on 127.0.0.1:{proxy.port}"])


class HeadlessAndHar(support.ProxyTestCase):

    def exchanges(self):
        """Make a known set of flows; return what the HAR must contain."""
        made = []
        r = self.curl_proxy("-o", "/dev/null", self.nginx.url("1k"))
        self.assertEqual(r.status, 200)
        made.append(("GET", self.nginx.url("1k"), 200))
        r = self.curl_proxy("-o", "/dev/null", "--data-binary", "hello", self.origin.url("/echo"))
        self.assertEqual(r.status, 200)
        made.append(("POST", self.origin.url("/echo"), 200))
        r = self.curl_proxy("-o", "/dev/null", "-I", self.nginx.url("100k"))
        self.assertEqual(r.status, 200)
        made.append(("HEAD", self.nginx.url("100k"), 200))
        r = self.curl_proxy("-o", "/dev/null", self.nginx.url("nope"))
        self.assertEqual(r.status, 404)
        made.append(("GET", self.nginx.url("nope"), 404))
        closed = support.free_port()
        r = self.curl_proxy("-o", "/dev/null", f"http://127.0.0.1:{closed}/x")
        self.assertEqual(r.status, 502)
        made.append(("GET", f"http://127.0.0.1:{closed}/x", 502))
        return made

    def test_one_line_per_flow(self):
        made = self.exchanges()
        self.proxy.wait_line(r"^\S+ ", count=len(made))
        parsed = []
        for line in self.proxy.stdout_lines:
            m = LINE_RE.match(line)
            self.assertIsNotNone(m, f"headless line does not match the format: {line!r}")
            parsed.append(m.groupdict())
        got = [(p["method"], p["url"], p["status"]) for p in parsed]
        for method, url, status in made:
            self.assertIn((method, url, str(status)), got)
        one_k = next(p for p in parsed if p["url"] == self.nginx.url("1k"))
        self.assertEqual(one_k["bytes"], "1024")
        echo = next(p for p in parsed if p["url"] == self.origin.url("/echo"))
        self.assertEqual(echo["bytes"], "5")
        failed = next(p for p in parsed if p["status"] == "502")
        self.assertTrue(failed["error"], f"the 502 flow has no error=: {failed}")

    def check_har(self, made):
        har = self.proxy.har()
        self.assertEqual(har["log"]["version"], "1.2")
        self.assertIn("creator", har["log"])
        entries = har["log"]["entries"]
        got = [(e["request"]["method"], e["request"]["url"], e["response"]["status"])
               for e in entries]
        for item in made:
            self.assertIn(item, got)
        for e in entries:
            for key in ("startedDateTime", "time", "request", "response", "timings"):
                self.assertIn(key, e)
            self.assertIsInstance(e["request"]["headers"], list)
            self.assertIsInstance(e["response"]["headers"], list)
            self.assertIn("size", e["response"]["content"])
        one_k = next(e for e in entries if e["request"]["url"] == self.nginx.url("1k"))
        self.assertEqual(one_k["response"]["content"]["size"], 1024)
        names = {h["name"].lower() for h in one_k["request"]["headers"]}
        self.assertIn("host", names)
        failed = [e for e in entries if e["response"]["status"] == 502]
        self.assertTrue(failed)
        for e in failed:
            self.assertTrue(e.get("_error") or e["response"].get("_error"),
                            f"a failed flow has no _error: {json.dumps(e)[:500]}")

    def test_har_written_on_sigterm(self):
        made = self.exchanges()
        self.proxy.wait_line(r"^\S+ ", count=len(made))
        self.assertEqual(self.proxy.stop(signal.SIGTERM), 0, self.proxy.stderr_lines)
        self.check_har(made)

    def test_har_written_on_sigint(self):
        made = self.exchanges()[:2]
        self.proxy.wait_line(r"^\S+ ", count=5)
        self.assertEqual(self.proxy.stop(signal.SIGINT), 0, self.proxy.stderr_lines)
        self.check_har(made)

    def test_workers_option(self):
        proxy = self.start_proxy("--workers", "1")
        r = support.curl("-x", proxy.url, "-o", "/dev/null", self.nginx.url("1k"))
        self.assertEqual(r.status, 200, r)
        proxy.wait_line(r" GET ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
