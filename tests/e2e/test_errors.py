"""Bad input and bad peers get a clear answer, and nothing else breaks: 400, 414, 431, 502,
504, 508, the info page, an origin that dies mid-response."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import unittest

import support
from support import HOST, KIB


class ClientErrors(support.ProxyTestCase):
    PYORIGIN = False

    def assertPlainReason(self, resp):
        ctype = resp.header("Content-Type", "")
        self.assertTrue(ctype.lower().startswith("text/plain"), f"Content-Type {ctype!r}")
        self.assertTrue(resp.body.strip(), "error response without a reason in its body")

    def test_malformed_request_line_gets_400(self):
        resp = support.raw_request(self.proxy.port, b"THIS IS NOT HTTP\r\n\r\n")
        self.assertEqual(resp.status, 400, resp)
        self.assertPlainReason(resp)
        self.assertProxyAlive()

    def test_malformed_header_gets_400(self):
        req = (f"GET {self.nginx.url('1k')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Header Without Colon\r\n\r\n").encode()
        resp = support.raw_request(self.proxy.port, req)
        self.assertEqual(resp.status, 400, resp)
        self.assertPlainReason(resp)
        self.assertProxyAlive()

    def test_conflicting_framing_gets_400(self):
        req = (f"POST {self.nginx.url('1k')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").encode()
        resp = support.raw_request(self.proxy.port, req)
        self.assertEqual(resp.status, 400, resp)
        self.assertProxyAlive()

    def test_oversized_header_section_gets_431_then_next_client_is_served(self):
        with tempfile.NamedTemporaryFile("w", suffix=".hdr") as f:
            f.write("X-Big: " + "a" * (64 * KIB) + "\r\n")
            f.flush()
            r = self.curl_proxy("-H", f"@{f.name}", self.nginx.url("1k"))
        self.assertEqual(r.status, 431, r)
        # Raw socket too: the proxy answers 431 and closes this connection.
        conn = support.RawConn(self.proxy.port)
        try:
            conn.send((f"GET {self.nginx.url('1k')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       + "X-Big: " + "b" * (64 * KIB) + "\r\n\r\n").encode())
            resp = conn.read_response()
            self.assertEqual(resp.status, 431, resp)
            self.assertTrue(resp.closed or conn.wait_closed(5),
                            "connection stayed open after 431")
        finally:
            conn.close()
        # The next client is served.
        r = self.curl_proxy(self.nginx.url("1k"), "-o", "/dev/null")
        self.assertEqual(r.status, 200, r)

    def test_too_many_header_fields_gets_431(self):
        proxy = self.start_proxy("--max-header-fields", "20")
        headers = "".join(f"X-H{i}: {i}\r\n" for i in range(40))
        resp = support.raw_request(
            proxy.port,
            f"GET {self.nginx.url('1k')} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
        self.assertEqual(resp.status, 431, resp)
        r = support.curl("-x", proxy.url, "-o", "/dev/null", self.nginx.url("1k"))
        self.assertEqual(r.status, 200, r)

    def test_long_request_line_gets_414(self):
        long_url = self.nginx.url("1k") + "?" + "q" * (9 * KIB)
        r = self.curl_proxy(long_url, "-o", "/dev/null")
        self.assertEqual(r.status, 414, r)
        self.assertProxyAlive()

    def test_origin_form_request_gets_the_info_page(self):
        resp = support.raw_request(
            self.proxy.port,
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.proxy.port}\r\n\r\n".encode())
        self.assertEqual(resp.status, 200, resp)
        self.assertIn("text/html", resp.header("Content-Type", "").lower())
        self.assertRegex(resp.body.decode(errors="replace"), r"(?i)<html")
        self.assertRegex(resp.body.decode(errors="replace"), r"(?i)tunnelscope")

    def test_request_to_the_proxy_itself_is_refused(self):
        r = self.curl_proxy(f"http://127.0.0.1:{self.proxy.port}/loop")
        self.assertEqual(r.status, 508, r)
        self.assertProxyAlive()

    def test_refused_port_gets_502_naming_the_cause(self):
        port = support.free_port()  # nothing listens there
        r = self.curl_proxy(f"http://127.0.0.1:{port}/")
        self.assertEqual(r.status, 502, r)
        self.assertRegex(r.stdout.decode(errors="replace"), r"(?i)refused",
                         "the 502 body does not name the cause")
        self.assertProxyAlive()

    def test_connect_timeout_gets_504(self):
        proxy = self.start_proxy("--connect-timeout", "1")
        # A listener with a full accept queue drops SYNs, so connect() hangs (on loopback).
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind((HOST, 0))
        lsock.listen(0)
        filler = socket.create_connection(lsock.getsockname(), timeout=2)
        self.addCleanup(filler.close)
        r = support.curl("-x", proxy.url, f"http://127.0.0.1:{lsock.getsockname()[1]}/",
                         timeout=20)
        self.assertEqual(r.status, 504, r)
        self.assertLess(r.elapsed, 10, r)


class OriginErrors(support.ProxyTestCase):
    NGINX = True
    PROXY_ARGS = ("--response-timeout", "2")

    def test_origin_that_never_answers_gets_504(self):
        r = self.curl_proxy(self.origin.url("/never"), timeout=30)
        self.assertEqual(r.status, 504, r)
        self.assertGreater(r.elapsed, 1.5, r)
        self.assertLess(r.elapsed, 15, r)
        self.assertTrue(r.stdout.strip(), "504 without a reason")
        self.assertProxyAlive()

    def test_origin_dying_mid_response_is_never_a_complete_response(self):
        r = self.curl_proxy(self.origin.url("/die"), "-o", "/dev/null", timeout=20)
        self.assertNotEqual(r.returncode, 0, f"curl saw a complete response: {r}")
        self.assertIn(r.returncode, (18, 52, 56, 92), r)  # partial file / empty / recv error
        self.assertLess(r.info.get("size_download", 0), 100000, r)
        line = self.proxy.wait_line(rf"GET http://127\.0\.0\.1:{self.origin.port}/die ")
        self.assertIn("error=", line[0], "the flow does not record the error")
        self.assertProxyAlive()


class Unresolvable(unittest.TestCase):
    """An unresolvable name gets 502. Runs tunnelscope and curl in a network namespace of
    their own (only lo up), so the DNS query cannot leave the machine: the resolver's
    address is unreachable there and resolution fails at once."""

    SCRIPT = textwrap.dedent("""
        import json, subprocess, sys
        sys.path.insert(0, sys.argv[1])
        import support
        proxy = support.Proxy()
        try:
            proxy.start()
            r = support.curl("-x", proxy.url, "http://no-such-host.invalid/", timeout=20)
            print(json.dumps({"status": r.status, "body": r.stdout.decode(errors="replace"),
                              "stderr": r.stderr, "elapsed": r.elapsed}))
        finally:
            proxy.cleanup()
    """)

    def test_unresolvable_name_gets_502(self):
        support.tunnelscope_bin()
        unshare = shutil.which("unshare")
        ip = shutil.which("ip") or "/usr/sbin/ip"
        if not unshare or not os.path.exists(ip):
            self.skipTest("needs unshare and ip (util-linux, iproute2)")
        ns = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--net", "--map-root-user"]
        probe = subprocess.run(ns + ["true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot create a network namespace here: "
                          + probe.stderr.decode(errors="replace").strip())
        here = os.path.dirname(os.path.abspath(__file__))
        cmd = ns + ["sh", "-c", f'"{ip}" link set lo up && exec "$0" "$@"',
                    sys.executable, "-c", self.SCRIPT, here]
        p = subprocess.run(cmd, capture_output=True, timeout=60, env=support.clean_env())
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        result = json.loads(p.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(result["status"], 502, result)
        self.assertRegex(result["body"], r"(?i)resolv|not found|no such host|lookup|dns",
                         f"the 502 body does not name the cause: {result['body']!r}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
