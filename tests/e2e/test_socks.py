"""The SOCKS5 listener end to end: curl --socks5 / --socks5-hostname (with and without
RFC 1929 credentials) to a plain nginx and, intercepted, to an HTTPS nginx signed by a test CA;
the reply codes a client can provoke from outside; raw SOCKS5 bytes for what curl never sends;
and headless Chromium with --proxy-server=socks5://... loading an HTTPS page.

Chromium reaches for Google hosts even with background networking off, so the whole file runs
in a network namespace of its own, as test_chromium.py does: started outside one, it
re-executes itself under `unshare --net` with only loopback up. That also makes the
unresolvable-name case fail fast and the same everywhere.
"""

import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time
import unittest

import netns

NETNS_MARKER = "TS_SOCKS_NETNS"
if __name__ == "__main__" and not netns.inside(NETNS_MARKER):
    netns.reexec_in_netns(NETNS_MARKER, "e2e.socks", __file__)

import support  # noqa: E402
import test_chromium  # noqa: E402  (its page, and how Chromium is run)
import tls_support  # noqa: E402
from support import HOST, curl  # noqa: E402

SOCKS_RE = re.compile(r"tunnelscope: SOCKS5 on (\S+):(\d+)")

USER = "alice"
PASSWORD = "pa55-w0rd-never-logged"

# RFC 1928 reply codes.
SUCCEEDED, GENERAL, RULESET, NET_UNREACHABLE, HOST_UNREACHABLE, REFUSED, TTL, COMMAND, ATYP = \
    range(9)


def socks_port(proxy):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in list(proxy.stderr_lines):
            m = SOCKS_RE.search(line)
            if m:
                return int(m.group(2))
        time.sleep(0.05)
    raise AssertionError(f"no 'SOCKS5 on' line on stderr: {proxy.stderr_lines}")


class SocksRaw:
    """A SOCKS5 client made of bytes, for requests curl will not send."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=10)

    def recv_exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError(f"closed after {data!r}")
            data += chunk
        return data

    def greet(self):
        self.sock.sendall(b"\x05\x01\x00")
        assert self.recv_exactly(2) == b"\x05\x00"

    def reply(self):
        head = self.recv_exactly(4)
        assert head[0] == 5 and head[3] == 1, head  # we always bind to an IPv4 0.0.0.0:0
        self.recv_exactly(6)
        return head[1]

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


class SocksCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tls_support.TestPki()
        cls.addClassCleanup(cls.pki.cleanup)
        cls.nginx = support.Nginx()
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()
        cls.tls = tls_support.NginxTls(cls.pki)
        cls.addClassCleanup(cls.tls.stop)
        test_chromium.write_page(cls.tls.www)
        cls.tls.start()

    def start_proxy(self, *args):
        proxy = support.Proxy("--upstream-ca", self.pki.ca, "--socks", f"{HOST}:0", *args)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        proxy.socks_port = socks_port(proxy)
        return proxy

    def ts_ca(self, proxy):
        return os.path.join(proxy.ca_dir, "ca.pem")

    def body(self, name):
        with open(self.nginx.path(name), "rb") as f:
            return f.read()

    def tunnels(self, proxy):
        proxy.stop()
        return proxy.har()["log"].get("_tunnels", [])


class Curl(SocksCase):
    def test_socks5_hostname_to_an_http_origin(self):
        proxy = self.start_proxy()
        r = curl("--socks5-hostname", f"{HOST}:{proxy.socks_port}",
                 f"http://localhost:{self.nginx.port}/1m")
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        self.assertTrue(r.stdout == self.body("1m"), "body differs")
        line = proxy.wait_line(rf" CONNECT localhost:{self.nginx.port} 200 up=\d+B down=\d+B")[0]
        self.assertGreater(int(re.search(r"down=(\d+)B", line).group(1)), 1 << 20, line)
        [tunnel] = self.tunnels(proxy)
        self.assertEqual(tunnel["host"], "localhost")
        self.assertFalse(tunnel.get("error"), tunnel)

    def test_socks5_with_an_address_to_an_http_origin(self):
        proxy = self.start_proxy()
        r = curl("-x", f"socks5://{HOST}:{proxy.socks_port}", self.nginx.url("100k"))
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        self.assertTrue(r.stdout == self.body("100k"), "body differs")
        proxy.wait_line(rf" CONNECT 127\.0\.0\.1:{self.nginx.port} 200 ")

    def test_https_through_socks5_is_intercepted(self):
        proxy = self.start_proxy()
        url = self.tls.url("1k")
        r = curl("-v", "--socks5-hostname", f"{HOST}:{proxy.socks_port}", "--cacert",
                 self.ts_ca(proxy), url)
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        self.assertRegex(r.stderr, r"issuer: .*Tunnelscope")
        proxy.wait_line(rf"GET {re.escape(url)} 200 1024B")
        proxy.stop()
        [entry] = [e for e in proxy.har()["log"]["entries"] if e["request"]["url"] == url]
        self.assertTrue(entry["_tls"]["intercepted"], entry["_tls"])
        self.assertTrue(entry["_tls"]["server"]["verified"], entry["_tls"])

    def test_https_without_trusting_the_ca_fails_and_is_recorded(self):
        proxy = self.start_proxy()
        r = curl("--socks5-hostname", f"{HOST}:{proxy.socks_port}", self.tls.url("1k"))
        self.assertEqual(r.returncode, 60, r)  # CURLE_PEER_FAILED_VERIFICATION
        proxy.wait_line(rf"CONNECT localhost:{self.tls.port} .*error=")

    def test_refused_port_is_reply_5(self):
        proxy = self.start_proxy()
        port = support.free_port()
        r = curl("--socks5-hostname", f"{HOST}:{proxy.socks_port}", f"http://{HOST}:{port}/")
        self.assertEqual(r.returncode, 97, r)  # CURLE_PROXY
        self.assertRegex(r.stderr, r"\(5\)", r)
        proxy.wait_line(rf"CONNECT 127\.0\.0\.1:{port} 502 .*connection refused")

    def test_unresolvable_name_is_reply_4(self):
        proxy = self.start_proxy()
        r = curl("--socks5-hostname", f"{HOST}:{proxy.socks_port}", "http://no-such-host.invalid/")
        self.assertEqual(r.returncode, 97, r)
        self.assertRegex(r.stderr, r"\(4\)", r)
        proxy.wait_line(r"CONNECT no-such-host\.invalid:80 502 .*could not resolve")

    def test_the_proxy_itself_is_reply_2(self):
        proxy = self.start_proxy()
        r = curl("--socks5", f"{HOST}:{proxy.socks_port}", f"http://{HOST}:{proxy.port}/")
        self.assertEqual(r.returncode, 97, r)
        self.assertRegex(r.stderr, r"\(2\)", r)
        proxy.wait_line(rf"CONNECT 127\.0\.0\.1:{proxy.port} 508 ")


class Credentials(SocksCase):
    def setUp(self):
        self.proxy = self.start_proxy("--socks-auth", f"{USER}:{PASSWORD}")

    def assertNoPassword(self):
        self.proxy.stop()
        everything = "\n".join(self.proxy.stdout_lines + self.proxy.stderr_lines)
        with open(self.proxy.har_path, encoding="utf-8") as f:
            everything += f.read()
        self.assertNotIn(PASSWORD, everything)
        self.assertNotIn("wrong-" + PASSWORD, everything)

    def test_right_credentials_in_the_url_and_with_proxy_user(self):
        port = self.proxy.socks_port
        for args in (["-x", f"socks5h://{USER}:{PASSWORD}@{HOST}:{port}"],
                     ["--socks5-hostname", f"{HOST}:{port}", "--proxy-user",
                      f"{USER}:{PASSWORD}"]):
            with self.subTest(args=args[0]):
                r = curl(*args, self.nginx.url("1k"))
                self.assertEqual((r.returncode, r.status), (0, 200), r)
                self.assertTrue(r.stdout == self.body("1k"))
        r = curl("-x", f"socks5h://{USER}:{PASSWORD}@{HOST}:{port}", "--cacert",
                 self.ts_ca(self.proxy), self.tls.url("1k"))
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        self.proxy.wait_line(rf"GET {re.escape(self.tls.url('1k'))} 200 1024B")
        self.assertNoPassword()

    def test_wrong_credentials_are_refused_and_recorded(self):
        r = curl("-x", f"socks5h://{USER}:wrong-{PASSWORD}@{HOST}:{self.proxy.socks_port}",
                 self.nginx.url("1k"))
        self.assertEqual(r.returncode, 97, r)
        self.assertRegex(r.stderr, r"rejected by the SOCKS5 server", r)
        self.proxy.wait_line(r"CONNECT :0 ERR .*wrong username or password for user 'alice'")
        self.assertNoPassword()

    def test_no_credentials_are_refused(self):
        r = curl("--socks5-hostname", f"{HOST}:{self.proxy.socks_port}", self.nginx.url("1k"))
        self.assertEqual(r.returncode, 97, r)
        self.assertRegex(r.stderr, r"[Nn]o authentication method was acceptable", r)
        self.proxy.wait_line(r"CONNECT :0 ERR .*SOCKS5")


class RawBytes(SocksCase):
    def test_bind_and_udp_associate_are_not_supported(self):
        proxy = self.start_proxy()
        for command in (2, 3):
            with self.subTest(command=command):
                c = SocksRaw(proxy.socks_port)
                try:
                    c.greet()
                    c.sock.sendall(bytes([5, command, 0, 1, 127, 0, 0, 1, 0, 80]))
                    self.assertEqual(c.reply(), COMMAND)
                    self.assertTrue(c.closed())
                finally:
                    c.close()
        proxy.wait_line(r"CONNECT :0 ERR .*not supported", count=2)

    def test_unknown_address_type_is_reply_8(self):
        proxy = self.start_proxy()
        c = SocksRaw(proxy.socks_port)
        try:
            c.greet()
            c.sock.sendall(bytes([5, 1, 0, 2, 127, 0, 0, 1, 0, 80]))
            self.assertEqual(c.reply(), ATYP)
            self.assertTrue(c.closed())
        finally:
            c.close()

    def test_request_sent_with_the_greeting_and_early_data(self):
        # A client that does not wait: greeting, CONNECT and the first request in one write.
        proxy = self.start_proxy()
        host = b"localhost"
        request = (b"\x05\x01\x00" + b"\x05\x01\x00\x03" + bytes([len(host)]) + host
                   + struct.pack(">H", self.nginx.port)
                   + b"GET /1k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        c = SocksRaw(proxy.socks_port)
        try:
            c.sock.sendall(request)
            self.assertEqual(c.recv_exactly(2), b"\x05\x00")
            self.assertEqual(c.reply(), SUCCEEDED)
            conn = support.RawConn.__new__(support.RawConn)
            conn.sock, conn.buf, conn.eof = c.sock, b"", False
            resp = conn.read_response()
            self.assertEqual((resp.status, resp.body), (200, self.body("1k")))
        finally:
            c.close()

    def test_client_half_close_still_gets_the_answer(self):
        # Request, then shutdown(SHUT_WR), then read (what nc -N does): the half-close goes on
        # to the server and the answer still comes back; the tunnel is recorded complete.
        proxy = self.start_proxy()
        host = b"localhost"
        c = SocksRaw(proxy.socks_port)
        try:
            c.greet()
            c.sock.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host
                           + struct.pack(">H", self.nginx.port))
            self.assertEqual(c.reply(), SUCCEEDED)
            c.sock.sendall(b"GET /1k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c.sock.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
            self.assertTrue(data.endswith(self.body("1k")), len(data))
        finally:
            c.close()
        [tunnel] = [t for t in self.tunnels(proxy) if t["port"] == self.nginx.port]
        self.assertNotIn("error", tunnel, tunnel)

    @unittest.skipUnless(support.ipv6_loopback_available(), "no IPv6 loopback")
    def test_ipv6_target(self):
        origin = support.PyOrigin("::1").start()
        self.addCleanup(origin.stop)
        proxy = self.start_proxy()
        r = curl("--socks5", f"{HOST}:{proxy.socks_port}", origin.url("/headers"))
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        proxy.wait_line(rf" CONNECT \[::1\]:{origin.port} 200 ")


class Chromium(SocksCase):
    """Chromium through the SOCKS5 listener: an HTTPS page, intercepted, trusted via NSS."""

    run_chromium = test_chromium.ChromiumTestCase.run_chromium
    make_nssdb = test_chromium.ChromiumTestCase.make_nssdb
    assertPageWorked = test_chromium.ChromiumTestCase.assertPageWorked

    def test_https_page_through_socks5(self):
        self.chromium = test_chromium.chromium_bin()
        proxy = self.start_proxy()
        self.home = tempfile.mkdtemp(prefix="ts-chromium-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.make_nssdb(self.ts_ca(proxy))
        base = f"https://localhost:{self.tls.port}/"
        run = self.run_chromium(f"socks5://{HOST}:{proxy.socks_port}", base)
        self.assertPageWorked(run)
        for path in ("", "app.js", "pixel.png"):
            proxy.wait_line(rf"GET {re.escape(base + path)} 200\b", timeout=10)
        proxy.stop()
        har = proxy.har()["log"]
        entries = [e for e in har["entries"] if e["request"]["url"].startswith(base)]
        self.assertTrue(entries)
        for e in entries:
            self.assertTrue(e["_tls"]["intercepted"], e["_tls"])
            self.assertTrue(e["_tls"]["server"]["verified"], e["_tls"])
        self.assertIn(f"localhost:{self.tls.port}",
                      [f"{t['host']}:{t['port']}" for t in har.get("_tunnels", [])])


if __name__ == "__main__":
    with open("/proc/self/net/dev") as f:
        ifaces = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    if ifaces != ["lo"]:
        sys.exit(f"FAIL: not in a loopback-only network namespace: {ifaces}")
    unittest.main(verbosity=2)
