"""`tunnelscope send` end to end: the composer on the command line sends through a private
engine and a real two-hop chain (squid, then tinyproxy) to local origins (nginx over http and
https, and a Python origin that keeps the raw bytes of every request): GET, POST with a body,
--http2; a dead hop is named and the exit code is 1; a request captured by a proxy and sent
again with `send` arrives at the origin with the same bytes.

Run with /usr/bin/python3; the peers are started and stopped by the test, on 127.0.0.1."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

import support
import tls_support
from support import HOST, curl
from test_upstream import MitmSocks, Squid, Tinyproxy


class RawOrigin:
    """HTTP/1.1 on 127.0.0.1 that keeps each request's raw bytes (head and Content-Length
    body) and answers 200 "ok"."""

    def __init__(self):
        self.requests = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    while b"\r\n\r\n" not in buf:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, _, rest = buf.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    while len(rest) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        rest += chunk
                    self.requests.append(head + b"\r\n\r\n" + rest[:length])
                    buf = rest[length:]
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            except OSError:
                return

    def stop(self):
        self.sock.close()


class SendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = []
        try:
            cls.dir = tempfile.mkdtemp(prefix="ts-send-")
            cls._stack.append(lambda: shutil.rmtree(cls.dir, ignore_errors=True))
            cls.pki = tls_support.TestPki()
            cls._stack.append(cls.pki.cleanup)
            cls.nginx = support.Nginx().start()
            cls._stack.append(cls.nginx.stop)
            cls.tls_nginx = tls_support.NginxTls(cls.pki).start()
            cls._stack.append(cls.tls_nginx.stop)
            cls.origin = support.PyOrigin().start()
            cls._stack.append(cls.origin.stop)
            cls.raw = RawOrigin()
            cls._stack.append(cls.raw.stop)
            cls.squid = Squid()
            cls._stack.append(cls.squid.stop)
            cls.squid.start()
            cls.tinyproxy = Tinyproxy()
            cls._stack.append(cls.tinyproxy.stop)
            cls.tinyproxy.start()
            cls.mitm = MitmSocks()
            cls._stack.append(cls.mitm.stop)
            cls.mitm.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        while cls._stack:
            cls._stack.pop()()

    def chain(self):
        return ["--via", self.squid.url, "--via", self.tinyproxy.url]

    def send(self, *args, input=None):
        cmd = [support.tunnelscope_bin(), "send", "--ca-dir", os.path.join(self.dir, "ca"),
               "--upstream-ca", self.pki.ca, *args]
        return subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=support.clean_env(), timeout=60)

    def split(self, out):
        """(status line, [(name, value)], body) of send's output."""
        head, _, body = out.partition(b"\n\n")
        lines = head.decode().split("\n")
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        return lines[0], headers, body

    def test_get_through_two_hops(self):
        r = self.send(*self.chain(), self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r.stderr)
        status, headers, body = self.split(r.stdout)
        self.assertEqual(status, "HTTP/1.1 200 OK")
        self.assertIn(("Content-Length", "1024"), headers)
        with open(self.nginx.path("1k"), "rb") as f:
            self.assertEqual(body, f.read())
        self.assertIn(f"via {self.squid.url}", r.stderr.decode())
        # Both hops carried it: a tunnel through squid to tinyproxy, and tinyproxy, the last
        # hop, got the request in absolute-form.
        self.assertRegex(self.squid.access_log(rf"CONNECT {HOST}:{self.tinyproxy.port} "),
                         rf"CONNECT {HOST}:{self.tinyproxy.port} ")
        self.assertIn(f"GET http://{HOST}:{self.nginx.port}/1k HTTP/1.1", self.tinyproxy.output())

    def test_post_with_body_through_two_hops(self):
        path = os.path.join(self.dir, "body.bin")
        data = support.deterministic_bytes(100_000, b"post")
        with open(path, "wb") as f:
            f.write(data)
        r = self.send(*self.chain(), "-H", "X-Test: send", "-H", "Content-Type: application/x-raw",
                      "-d", "@" + path, self.origin.url("/echo"))
        self.assertEqual(r.returncode, 0, r.stderr)
        status, _, body = self.split(r.stdout)
        self.assertEqual(status, "HTTP/1.1 200 OK")
        self.assertEqual(body, data)
        got = self.origin.requests[-1]
        self.assertEqual(got["method"], "POST")
        self.assertIn(("X-Test", "send"), got["headers"])
        self.assertIn(("Content-Type", "application/x-raw"), got["headers"])
        self.assertEqual(got["body"], data)

        r = self.send(*self.chain(), "-X", "PUT", "-d", "a=1", self.origin.url("/echo"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.split(r.stdout)[2], b"a=1")
        self.assertEqual(self.origin.requests[-1]["method"], "PUT")

    def test_http2_through_two_hops(self):
        r = self.send(*self.chain(), "--http2", self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r.stderr)
        status, headers, body = self.split(r.stdout)
        self.assertEqual(status, "HTTP/2 200")
        self.assertIn(("content-length", str(100 * 1024)), headers)
        with open(self.nginx.path("100k"), "rb") as f:
            self.assertEqual(body, f.read())

    def test_https_origin_through_two_hops(self):
        for extra in ([], ["--http2"]):
            with self.subTest(extra=extra):
                r = self.send(*self.chain(), *extra, self.tls_nginx.url("1k"))
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(self.tls_nginx.path("1k"), "rb") as f:
                    self.assertEqual(self.split(r.stdout)[2], f.read())

    def test_unverified_origin_needs_insecure(self):
        # Without --upstream-ca the test CA is unknown: verification fails unless --insecure.
        cmd = [support.tunnelscope_bin(), "send", "--ca-dir", os.path.join(self.dir, "ca")]
        url = self.tls_nginx.url("1k")
        r = subprocess.run(cmd + [url], capture_output=True, env=support.clean_env(), timeout=60)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"tunnelscope send:", r.stderr)
        r = subprocess.run(cmd + ["--insecure", url], capture_output=True,
                           env=support.clean_env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_failing_hop_is_named(self):
        port = support.free_port()
        dead = f"http://{HOST}:{port}"
        # The first hop is down: hop 1 is named.
        r = self.send("--via", dead, "--via", self.squid.url, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertIn(f"hop 1 ({dead})", r.stderr.decode())
        # The second is down: squid cannot reach it, so hop 1 (squid) refuses the CONNECT.
        r = self.send("--via", self.squid.url, "--via", dead, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertIn(f"hop 1 ({self.squid.url}) refused CONNECT to {HOST}:{port}",
                      r.stderr.decode())

    def test_no_engine_for_bad_arguments(self):
        r = self.send("ftp://x/")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"ftp", r.stderr)
        r = self.send("--via", "gopher://x:1", self.nginx.url("1k"))
        self.assertEqual(r.returncode, 2)

    def test_replay_of_a_captured_flow_has_the_same_bytes(self):
        # Capture: curl through a tunnelscope proxy; the origin keeps the bytes it got.
        proxy = support.Proxy()
        self.addCleanup(proxy.cleanup)
        proxy.start()
        body = b'{"n": 1, "s": "caf\xc3\xa9"}'
        url = self.raw.url("/api/items?q=a%20b&x=1")
        c = curl("-x", proxy.url, "-X", "PATCH", "-H", "Content-Type: application/json",
                 "-H", "X-Trace: 42", "-H", "Accept: */*", "--data-binary", "@-", url,
                 input=body)
        self.assertEqual(c.returncode, 0, c.stderr)
        proxy.stop()
        self.assertEqual(len(self.raw.requests), 1)
        original = self.raw.requests[0]
        entry = [e for e in proxy.har()["log"]["entries"] if e["request"]["url"] == url][0]

        # Replay what the flow recorded, as the composer does: its method, URL, headers
        # without hop-by-hop ones and Host, and its body; through a two-hop chain of tunnels
        # (a last hop that forwards http, as tinyproxy does, edits the request itself).
        hop_by_hop = {"host", "connection", "proxy-connection", "keep-alive", "te", "trailer",
                      "transfer-encoding", "upgrade", "proxy-authorization"}
        args = ["-X", entry["request"]["method"]]
        for h in entry["request"]["headers"]:
            if h["name"].lower() not in hop_by_hop:
                args += ["-H", f"{h['name']}: {h['value']}"]
        args += ["-d", "@-"]
        r = self.send("--via", self.squid.url, "--via", self.mitm.url, *args,
                      entry["request"]["url"],
                      input=entry["request"]["postData"]["text"].encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.raw.requests), 2)
        self.assertEqual(self.raw.requests[1], original)


if __name__ == "__main__":
    unittest.main()
