"""CONNECT tunnels: curl -p through tunnelscope to nginx, raw relay, errors."""

import re
import time
import unittest

import support
from support import KIB, MIB


class Tunnels(support.ProxyTestCase):
    PYORIGIN = False

    def test_curl_proxytunnel_gets_identical_bodies(self):
        for name in ("1k", "1m"):
            with self.subTest(file=name):
                r = self.curl_proxy("-p", "-v", self.nginx.url(name))
                self.assertEqual(r.returncode, 0, r)
                self.assertEqual(r.status, 200, r)
                self.assertRegex(r.stderr, rf"> CONNECT 127\.0\.0\.1:{self.nginx.port} HTTP/1\.1")
                self.assertRegex(r.stderr, r"< HTTP/1\.1 200")
                with open(self.nginx.path(name), "rb") as f:
                    self.assertTrue(r.stdout == f.read(), f"{name}: body differs")

    def test_tunnel_line_counts_bytes_both_ways(self):
        r = self.curl_proxy("-p", "-o", "/dev/null", self.nginx.url("100k"))
        self.assertEqual(r.status, 200, r)
        lines = self.proxy.wait_line(
            rf" CONNECT 127\.0\.0\.1:{self.nginx.port} 200 up=\d+B down=\d+B ", timeout=10)
        m = re.search(r"up=(\d+)B down=(\d+)B", lines[0])
        up, down = int(m.group(1)), int(m.group(2))
        self.assertGreater(up, 20, lines[0])          # curl's GET request
        self.assertGreater(down, 100 * KIB, lines[0])  # the body plus nginx's head

    def test_raw_tunnel_relays_bytes_both_ways(self):
        conn = support.RawConn(self.proxy.port)
        try:
            conn.send(f"CONNECT 127.0.0.1:{self.nginx.port} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
            status, _, _ = conn.read_head()
            self.assertEqual(status, 200)
            # Inside the tunnel the bytes are opaque: speak plain HTTP to nginx, twice.
            for name, size in (("1k", 1 * KIB), ("1m", 1 * MIB)):
                conn.send(f"GET /{name} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                resp = conn.read_response()
                self.assertEqual((resp.status, len(resp.body)), (200, size))
        finally:
            conn.close()

    def test_connect_to_a_closed_port_gets_502(self):
        port = support.free_port()
        r = self.curl_proxy("-p", "-v", f"http://127.0.0.1:{port}/")
        self.assertNotEqual(r.returncode, 0, r)
        self.assertRegex(r.stderr, r"< HTTP/1\.1 502", r)
        self.assertProxyAlive()

    def test_keep_alive_then_connect_on_the_same_connection(self):
        conn = support.RawConn(self.proxy.port)
        try:
            conn.send(f"GET {self.nginx.url('1k')} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
            self.assertEqual(conn.read_response().status, 200)
            conn.send(f"CONNECT 127.0.0.1:{self.nginx.port} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
            status, _, _ = conn.read_head()
            self.assertEqual(status, 200)
            conn.send(b"GET /100k HTTP/1.1\r\nHost: x\r\n\r\n")
            resp = conn.read_response()
            self.assertEqual((resp.status, len(resp.body)), (200, 100 * KIB))
        finally:
            conn.close()

    def test_idle_tunnel_is_closed_after_idle_timeout(self):
        proxy = self.start_proxy("--idle-timeout", "1")
        conn = support.RawConn(proxy.port)
        try:
            conn.send(f"CONNECT 127.0.0.1:{self.nginx.port} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{self.nginx.port}\r\n\r\n".encode())
            status, _, _ = conn.read_head()
            self.assertEqual(status, 200)
            conn.send(b"GET /1k HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(len(conn.read_response().body), 1 * KIB)
            t0 = time.monotonic()
            self.assertTrue(conn.wait_closed(8), "idle tunnel still open after 8 s")
            self.assertGreater(time.monotonic() - t0, 0.8)
        finally:
            conn.close()
        proxy.wait_line(rf" CONNECT 127\.0\.0\.1:{self.nginx.port} 200 up=")


if __name__ == "__main__":
    unittest.main(verbosity=2)
