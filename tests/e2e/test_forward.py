"""Absolute-form forwarding through tunnelscope with curl -x: bodies, methods, keep-alive,
hop-by-hop headers, Expect: 100-continue."""

import json
import os
import socket
import tempfile
import time
import unittest
import zlib

import support
from support import KIB, MIB


class Forwarding(support.ProxyTestCase):

    def test_get_bodies_are_byte_identical(self):
        for name in ("1k", "100k", "1m"):
            with self.subTest(file=name):
                r = self.curl_proxy(self.nginx.url(name))
                self.assertEqual(r.returncode, 0, r)
                self.assertEqual(r.status, 200, r)
                with open(self.nginx.path(name), "rb") as f:
                    expected = f.read()
                self.assertEqual(len(r.stdout), len(expected))
                self.assertTrue(r.stdout == expected, f"{name}: body differs from the file")

    def test_missing_file_passes_the_origin_status(self):
        r = self.curl_proxy(self.nginx.url("no-such-file"))
        self.assertEqual(r.status, 404, r)

    def test_post_one_mib_reaches_the_origin_intact(self):
        body = support.deterministic_bytes(1 * MIB, b"post")
        with tempfile.NamedTemporaryFile() as f:
            f.write(body)
            f.flush()
            r = self.curl_proxy("--data-binary", f"@{f.name}",
                                "-H", "Content-Type: application/octet-stream",
                                "-H", "Expect:", self.origin.url("/echo"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.origin.requests), 1)
        got = self.origin.requests[0]
        self.assertEqual(got["method"], "POST")
        self.assertEqual(len(got["body"]), len(body))
        self.assertTrue(got["body"] == body, "origin received different bytes")
        self.assertTrue(r.stdout == body, "echoed body differs")

    def test_chunked_upload(self):
        body = support.deterministic_bytes(300 * KIB, b"chunked")
        with tempfile.NamedTemporaryFile() as f:
            f.write(body)
            f.flush()
            r = self.curl_proxy("-H", "Transfer-Encoding: chunked", "-H", "Expect:",
                                "--data-binary", f"@{f.name}", self.origin.url("/echo"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.origin.requests), 1)
        self.assertTrue(self.origin.requests[0]["body"] == body,
                        "origin received different bytes for a chunked upload")
        self.assertTrue(r.stdout == body)

    def test_head(self):
        r = self.curl_proxy("-I", self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.status, 200, r)
        head = r.stdout.decode("iso-8859-1").lower()
        self.assertIn("content-length: 102400", head)
        # A HEAD answer has no body: the connection must stay usable right after it.
        conn = support.RawConn(self.proxy.port)
        try:
            req = (f"HEAD {self.nginx.url('100k')} HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n").encode()
            conn.send(req)
            first = conn.read_response(head_request=True)
            self.assertEqual(first.status, 200)
            self.assertEqual(first.body, b"")
            conn.send(f"GET {self.nginx.url('1k')} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
            second = conn.read_response()
            self.assertEqual(second.status, 200)
            self.assertEqual(len(second.body), 1024)
        finally:
            conn.close()

    def test_keep_alive_reuses_the_proxy_connection(self):
        r = self.curl_proxy("-v", "-o", "/dev/null", "-o", "/dev/null",
                            self.nginx.url("1k"), self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual([i["http_code"] for i in r.infos], [200, 200], r)
        self.assertRegex(r.stderr, r"(?i)re-using existing connection",
                         "curl opened a second connection to the proxy")
        self.assertEqual(r.infos[1]["num_connects"], 0, r.infos)

    def test_keep_alive_on_the_server_side(self):
        conn = support.RawConn(self.proxy.port)
        try:
            for name in ("1k", "100k", "1k"):
                conn.send(f"GET {self.nginx.url(name)} HTTP/1.1\r\n"
                          f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
                resp = conn.read_response()
                self.assertEqual(resp.status, 200)
                self.assertFalse(resp.closed, "proxy closed a keep-alive connection")
        finally:
            conn.close()
        log = self.nginx.access_log()
        self.assertEqual(len(log), 3, log)
        connections = {entry["connection"] for entry in log}
        self.assertEqual(len(connections), 1,
                         f"three requests on one client connection used {len(connections)} "
                         f"origin connections: {log}")

    def test_server_connection_is_recorded_across_client_connections(self):
        # Two curl runs are two client connections; the second gets the pooled origin
        # connection (one worker: one pool), and its flow is linked to the same server-side
        # connection record.
        proxy = self.start_proxy("--workers", "1")
        for name in ("1k", "100k"):
            r = support.curl("-x", proxy.url, "-o", "/dev/null", self.nginx.url(name))
            self.assertEqual(r.returncode, 0, r)
        r = support.curl("-x", proxy.url, "-p", "-o", "/dev/null", self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        proxy.stop()
        log = proxy.har()["log"]
        entries = [{k: e.get(k) for k in ("connection", "_serverConnection", "_serverReused")}
                   for e in log["entries"]]
        self.assertEqual(len(entries), 2, entries)
        self.assertNotEqual(entries[0]["connection"], entries[1]["connection"], entries)
        self.assertTrue(entries[0]["_serverConnection"], entries)
        self.assertEqual(entries[0]["_serverConnection"], entries[1]["_serverConnection"],
                         entries)
        self.assertTrue(entries[1]["_serverReused"], entries)
        self.assertEqual(len({e["connection"] for e in self.nginx.access_log()[:2]}), 1)
        tunnels = log["_tunnels"]
        self.assertEqual(len(tunnels), 1, tunnels)
        self.assertTrue(tunnels[0].get("serverConnection"), tunnels[0])
        self.assertNotEqual(tunnels[0]["serverConnection"], entries[0]["_serverConnection"])

    def test_pipelined_requests_are_answered_in_order(self):
        conn = support.RawConn(self.proxy.port)
        try:
            reqs = b"".join(
                f"GET {self.nginx.url(n)} HTTP/1.1\r\nHost: 127.0.0.1:{self.nginx.port}\r\n\r\n"
                .encode() for n in ("1k", "100k", "1m"))
            conn.send(reqs)
            sizes = [len(conn.read_response().body) for _ in range(3)]
        finally:
            conn.close()
        self.assertEqual(sizes, [1 * KIB, 100 * KIB, 1 * MIB])

    def test_hop_by_hop_headers_are_removed(self):
        r = self.curl_proxy("-D", "-", "-o", "/dev/null",
                            "-H", "Proxy-Connection: keep-alive",
                            "-H", "Keep-Alive: timeout=5",
                            "-H", "Connection: X-Custom-Hop",
                            "-H", "X-Custom-Hop: secret",
                            "-H", "X-End-To-End: yes",
                            self.origin.url("/headers"))
        self.assertEqual(r.status, 200, r)
        req = self.origin.requests[0]
        names = {k.lower() for k, _ in req["headers"]}
        for hop in ("proxy-connection", "keep-alive", "x-custom-hop"):
            self.assertNotIn(hop, names, f"{hop} reached the origin: {req['headers']}")
        conn_values = [v.lower() for k, v in req["headers"] if k.lower() == "connection"]
        self.assertFalse(any("x-custom-hop" in v for v in conn_values), req["headers"])
        self.assertIn("x-end-to-end", names, "an end-to-end header was dropped")
        self.assertTrue(req["path"].startswith("/"),
                        f"origin got {req['path']!r}: the request target must be origin-form")
        # Response side: the origin's Connection-named header and Keep-Alive are dropped.
        head = r.stdout.split(b"\r\n\r\n")[0]
        resp_names = {line.split(b":")[0].strip().lower().decode()
                      for line in head.split(b"\r\n")[1:]}
        self.assertNotIn("x-resp-hop", resp_names, head)
        self.assertNotIn("keep-alive", resp_names, head)
        self.assertIn("x-end-to-end", resp_names, head)

    def test_host_header_matches_the_target(self):
        r = self.curl_proxy(self.origin.url("/headers"))
        self.assertEqual(r.status, 200, r)
        headers = {k.lower(): v for k, v in self.origin.requests[0]["headers"]}
        self.assertEqual(headers.get("host"), f"127.0.0.1:{self.origin.port}")

    def test_expect_100_continue_with_curl(self):
        body = support.deterministic_bytes(2 * MIB, b"expect")
        with tempfile.NamedTemporaryFile() as f:
            f.write(body)
            f.flush()
            r = self.curl_proxy("-v", "--expect100-timeout", "8", "-H", "Expect: 100-continue",
                                "--data-binary", f"@{f.name}", self.origin.url("/echo"))
        self.assertEqual(r.status, 200, r)
        self.assertRegex(r.stderr, r"< HTTP/1\.1 100 Continue",
                         "curl never saw 100 Continue")
        self.assertLess(r.elapsed, 6, "curl waited for its expect timeout")
        self.assertTrue(self.origin.requests[0]["body"] == body)

    def test_expect_100_continue_raw(self):
        conn = support.RawConn(self.proxy.port, timeout=5)
        try:
            body = b"z" * 5000
            conn.send((f"POST {self.origin.url('/echo')} HTTP/1.1\r\n"
                       f"Host: 127.0.0.1:{self.origin.port}\r\n"
                       f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
            interim = conn.read_response()
            self.assertEqual(interim.status, 100, interim)
            conn.send(body)
            final = conn.read_response()
            self.assertEqual(final.status, 200, final)
            self.assertEqual(final.body, body)
        finally:
            conn.close()

    def test_ipv6_origin(self):
        if not support.ipv6_loopback_available():
            self.skipTest("no IPv6 loopback (::1) on this machine")
        origin6 = support.PyOrigin("::1")
        self.addCleanup(origin6.stop)
        origin6.start()
        r = self.curl_proxy("--data-binary", "over ipv6", "-H", "Expect:", origin6.url("/echo"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.stdout, b"over ipv6")
        headers = {k.lower(): v for k, v in origin6.requests[0]["headers"]}
        self.assertEqual(headers.get("host"), f"[::1]:{origin6.port}")

    def test_requests_from_several_clients_at_once(self):
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(
                lambda i: self.curl_proxy("-o", "/dev/null", self.nginx.url("100k")), range(16)))
        self.assertEqual([r.status for r in results], [200] * 16, results)
        self.assertEqual({r.info["size_download"] for r in results}, {100 * KIB})



class WebSocketForward(support.ProxyTestCase):
    """An HTTP/1.1 ws:// upgrade through the forward proxy to a python3-websockets echo server,
    with permessage-deflate: the server's echoes come compressed, the flow records them
    inflated."""
    NGINX = False
    PYORIGIN = False

    def setUp(self):
        super().setUp()
        self.ws = support.WsEchoOrigin().start()
        self.addCleanup(self.ws.stop)

    def test_websocket_echo_is_recorded(self):
        sock = socket.create_connection((support.HOST, self.proxy.port), timeout=10)
        self.addCleanup(sock.close)
        host = f"{support.HOST}:{self.ws.port}"
        sock.sendall((f"GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\n"
                      "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                      "\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, f"closed before the 101: {buf!r}")
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
        self.assertIn(b"permessage-deflate", head.lower())

        sent = [f"message {i} " + "x" * (i * 40) for i in range(50)]
        for text in sent:
            sock.sendall(support.ws_frame(text.encode()))
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # server context takeover
        echoed, compressed = [], 0
        deadline = time.monotonic() + 20
        while len(echoed) < len(sent) and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, f"closed after {len(echoed)} echoes")
            frames, buf = support.ws_parse(buf + chunk, with_rsv1=True)
            for op, rsv1, payload in frames:
                if rsv1:
                    compressed += 1
                    payload = inflater.decompress(payload + b"\x00\x00\xff\xff")
                if op == 0x1:
                    echoed.append(payload.decode())
        self.assertEqual(echoed, sent)
        self.assertGreater(compressed, 0, "the server compressed none of its echoes")

        sock.sendall(support.ws_frame(b"\x03\xe8", opcode=0x8))
        while True:  # the server's Close, then its end
            chunk = sock.recv(65536)
            if not chunk:
                break
        sock.close()  # both sides closed: the proxy publishes the flow with every message
        time.sleep(0.3)
        self.proxy.stop()
        support.assert_recorded_echo(self, self.proxy.har(), sent)


if __name__ == "__main__":
    unittest.main(verbosity=2)
