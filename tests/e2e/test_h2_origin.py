"""RFC 8441 towards an HTTP/2 origin, end to end: python3-h2 opens a CONNECT tunnel through the
proxy to a Node http2 origin over TLS, the proxy intercepts it and speaks h2 to the client;
inside, the client sends extended CONNECT :protocol websocket. The proxy carries it to the
origin as extended CONNECT when the origin's SETTINGS allow it, else answers 501 on that
stream, and it sends :protocol only once those SETTINGS arrived (a python3-h2 origin that
holds them back). Everything on 127.0.0.1.
"""

import json
import os
import socket
import ssl
import subprocess
import threading
import time
import unittest

import h2.config
import h2.connection
import h2.events
import h2.settings

import support
import tls_support
from support import HOST, assert_recorded_echo
import test_h2
from test_h2 import ws_frame, ws_parse

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_ORIGIN = os.path.join(HERE, "h2_ws_origin.js")


class NodeH2Origin:
    """tests/e2e/h2_ws_origin.js: an HTTP/2 TLS origin with a WebSocket echo over RFC 8441."""

    def __init__(self, pki, connect_protocol):
        cert, key = pki.good
        config = {"cert": cert, "key": key, "connectProtocol": connect_protocol}
        self.proc = subprocess.Popen(["node", NODE_ORIGIN, json.dumps(config)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=support.clean_env())
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        self.port = self.wait(lambda o: "port" in o)["port"]

    def _pump(self):
        for raw in iter(self.proc.stdout.readline, b""):
            with self.cond:
                self.lines.append(json.loads(raw))
                self.cond.notify_all()

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for o in self.lines:
                    if predicate(o):
                        return o
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"the origin never said that; it said {self.lines}, "
                                         f"stderr {self.proc.stderr.read1().decode()[-2000:]}"
                                         if self.proc.poll() is not None else
                                         f"the origin never said that; it said {self.lines}")
                self.cond.wait(min(left, 0.2))

    def streams(self):
        with self.cond:
            return [o["stream"] for o in self.lines if "stream" in o]

    def stop(self):
        support.stop_process(self.proc)
        self.thread.join(5)


class LateSettingsOrigin:
    """A python3-h2 origin over TLS that allows extended CONNECT but holds its SETTINGS until
    half a second after the client's first bytes, and notes for each request whether its
    SETTINGS had been sent: a peer that sends :protocol before that broke RFC 8441 §3. It
    answers 200 to the extended CONNECT and sends one unmasked text frame, "hello"."""

    HOLD = 0.5  # only orders the two sides' SETTINGS; nothing measures it

    def __init__(self, pki):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(*pki.good)
        self.ctx.set_alpn_protocols(["h2"])
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.requests = []  # (headers, settings were sent)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            sock = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
        conn.initiate_connection()
        held, sent, first = conn.data_to_send(), False, None
        sock.settimeout(0.05)
        with sock:
            while True:
                if not sent and first is not None and time.monotonic() - first >= self.HOLD:
                    sock.sendall(held)
                    sent = True
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not data:
                    return
                first = first or time.monotonic()
                for e in conn.receive_data(data):
                    if isinstance(e, h2.events.RequestReceived):
                        headers = {k.decode(): v.decode() for k, v in e.headers}
                        with self.lock:
                            self.requests.append((headers, sent))
                        conn.send_headers(e.stream_id, [(":status", "200")])
                        conn.send_data(e.stream_id, b"\x81\x05hello")
                out = conn.data_to_send()
                if sent:
                    sock.sendall(out)
                else:
                    held += out

    def stop(self):
        self.listener.close()


class InnerH2(test_h2.H2Client):
    """python3-h2 inside a CONNECT tunnel through the proxy: HTTP/1.1 CONNECT, then TLS with
    ALPN h2 (the proxy's certificate, trusted through its CA), then HTTP/2."""

    def __init__(self, proxy_port, authority, proxy_ca):
        raw = socket.create_connection((HOST, proxy_port), timeout=10)
        raw.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:  # the proxy sends nothing after the head before TLS
            chunk = raw.recv(1)
            if not chunk:
                raise ConnectionError(f"the proxy closed after {head!r}")
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            raise AssertionError(f"CONNECT refused: {head!r}")
        ctx = ssl.create_default_context(cafile=proxy_ca)
        ctx.set_alpn_protocols(["h2"])
        sock = ctx.wrap_socket(raw, server_hostname=HOST)
        super().__init__(sock=sock)
        self.alpn = self.sock.selected_alpn_protocol()
        self.flush()

    def body(self, stream_id, timeout=10):
        self.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                  and e.stream_id == stream_id, timeout)
        return b"".join(e.data for e in self.events
                        if isinstance(e, h2.events.DataReceived) and e.stream_id == stream_id)


def response_to(stream_id):
    return lambda e: isinstance(e, h2.events.ResponseReceived) and e.stream_id == stream_id


class H2OriginCase(unittest.TestCase):
    CONNECT_PROTOCOL = True

    def setUp(self):
        self.pki = tls_support.TestPki()
        self.addCleanup(self.pki.cleanup)
        self.origin = NodeH2Origin(self.pki, self.CONNECT_PROTOCOL)
        self.addCleanup(self.origin.stop)
        self.authority = f"{HOST}:{self.origin.port}"
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def client(self):
        c = InnerH2(self.proxy.port, self.authority, os.path.join(self.proxy.ca_dir, "ca.pem"))
        self.addCleanup(c.close)
        self.assertEqual(c.alpn, "h2", "the proxy did not speak h2 to the client inside the tunnel")
        c.wait(lambda e: isinstance(e, h2.events.RemoteSettingsChanged)
               and h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL in e.changed_settings)
        return c

    def websocket_request(self):
        return [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                (":authority", self.authority), (":path", "/chat"),
                ("sec-websocket-version", "13")]

    def websocket_entries(self):
        self.proxy.stop()
        return [e for e in self.proxy.har()["log"]["entries"]
                if e["request"]["url"] == f"https://{self.authority}/chat"]


class WebSocketToH2Origin(H2OriginCase):
    def test_hundred_messages_echoed_by_the_origin(self):
        c = self.client()
        c.conn.send_headers(1, self.websocket_request())
        c.flush()
        resp = c.wait(response_to(1))
        self.assertEqual(dict(resp.headers)[b":status"], b"200", resp.headers)
        for i in range(100):
            c.conn.send_data(1, ws_frame(f"message {i}".encode()))
        c.flush()
        buf, echoed = b"", []
        deadline = time.monotonic() + 20
        while len(echoed) < 100 and time.monotonic() < deadline:
            for e in c.read():
                if isinstance(e, h2.events.DataReceived) and e.stream_id == 1:
                    buf += e.data
                if isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                    self.fail(f"the stream ended after {len(echoed)} echoes: {e}")
            frames, buf = ws_parse(buf)
            echoed += [p.decode() for op, p in frames if op == 0x1]
        self.assertEqual(echoed, [f"message {i}" for i in range(100)])

        # The origin saw extended CONNECT (it refuses :protocol unless it advertised it) and
        # the client's frames masked as they were sent.
        streams = self.origin.streams()
        self.assertEqual(len(streams), 1, streams)
        self.assertEqual(streams[0][":method"], "CONNECT", streams[0])
        self.assertEqual(streams[0][":protocol"], "websocket", streams[0])
        self.assertEqual(streams[0][":scheme"], "https", streams[0])
        self.assertEqual(streams[0][":path"], "/chat", streams[0])
        # The close handshake; RFC 8441 §5: the WebSocket's TCP half-closes are END_STREAM.
        # The origin echoes the close and ends its side: the client sees END_STREAM; the
        # client's END_STREAM reaches the origin as such (no reset, the connection stays).
        c.conn.send_data(1, ws_frame(b"\x03\xe8", opcode=0x8))
        c.flush()
        c.wait(lambda e: isinstance(e, h2.events.DataReceived) and e.stream_id == 1
               and ws_parse(e.data)[0][:1] == [(0x8, b"\x03\xe8")])
        ended = c.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                       and e.stream_id == 1)
        self.assertIsInstance(ended, h2.events.StreamEnded)
        c.conn.end_stream(1)
        c.flush()
        done = self.origin.wait(lambda o: o.get("closed"))
        self.assertEqual((done["echoed"], done["unmasked"], done["rstCode"]), (100, 0, 0), done)

        entries = self.websocket_entries()
        self.assertEqual(len(entries), 1, entries)
        e = entries[0]
        self.assertEqual(e["response"]["status"], 101, e["response"])
        self.assertEqual(e["request"]["httpVersion"], "http/2.0", e["request"])
        self.assertEqual(e["response"]["httpVersion"], "http/2.0", e["response"])
        # The extended CONNECT crossed both wires as itself: no invented HTTP/1.1 upgrade.
        self.assertIn({"name": ":protocol", "value": "websocket"}, e["request"]["headers"])
        self.assertIn({"name": ":protocol", "value": "websocket"},
                      e["request"]["_serverRequest"]["headers"])
        self.assertEqual(e["response"]["_serverResponse"]["httpVersion"], "http/2.0")
        self.assertTrue(e["_tls"]["intercepted"], e["_tls"])
        self.assertEqual(e["_tls"]["server"]["alpn"], "h2", e["_tls"]["server"])
        # Every message recorded, both ways, in order (the proxy was stopped: the HAR is whole).
        assert_recorded_echo(self, self.proxy.har(), [f"message {i}" for i in range(100)])

    def test_http11_client_upgrade_becomes_extended_connect(self):
        # An HTTP/1.1 WebSocket handshake inside the intercepted tunnel: the proxy speaks h2
        # to the origin, so the Upgrade goes out as extended CONNECT and its 200 comes back
        # as a 101 with the Accept the client's key calls for.
        raw = socket.create_connection((HOST, self.proxy.port), timeout=10)
        self.addCleanup(raw.close)
        raw.sendall(f"CONNECT {self.authority} HTTP/1.1\r\nHost: {self.authority}\r\n\r\n"
                    .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += raw.recv(1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        ctx = ssl.create_default_context(cafile=os.path.join(self.proxy.ca_dir, "ca.pem"))
        ctx.set_alpn_protocols(["http/1.1"])
        sock = ctx.wrap_socket(raw, server_hostname=HOST)
        sock.sendall(f"GET /chat HTTP/1.1\r\nHost: {self.authority}\r\nConnection: Upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, f"the proxy closed after {buf!r}")
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        self.assertIn(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head)  # RFC 6455
        for i in range(100):
            sock.sendall(ws_frame(f"message {i}".encode()))
        echoed = []
        while len(echoed) < 100:
            frames, buf = ws_parse(buf)
            echoed += [p.decode() for op, p in frames if op == 0x1]
            if len(echoed) < 100:
                chunk = sock.recv(65536)
                self.assertTrue(chunk, f"the proxy closed after {len(echoed)} echoes")
                buf += chunk
        self.assertEqual(echoed, [f"message {i}" for i in range(100)])
        streams = self.origin.streams()
        self.assertEqual([(s[":method"], s.get(":protocol")) for s in streams],
                         [("CONNECT", "websocket")], streams)
        # The close handshake, then the client's end: the flow is published whole.
        sock.sendall(ws_frame(b"\x03\xe8", opcode=0x8))
        try:
            while sock.recv(65536):
                pass
        except (ssl.SSLError, OSError):
            pass
        sock.close()
        time.sleep(0.3)
        entries = self.websocket_entries()
        assert_recorded_echo(self, self.proxy.har(), [f"message {i}" for i in range(100)])
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0]["request"]["httpVersion"], "HTTP/1.1", entries[0]["request"])
        # The client got HTTP/1.1's 101; the origin's wire carried h2's 200.
        self.assertEqual(entries[0]["response"]["httpVersion"], "HTTP/1.1", entries[0]["response"])
        server = entries[0]["response"]["_serverResponse"]
        self.assertEqual(server["httpVersion"], "http/2.0", server)
        self.assertIn({"name": ":status", "value": "200"}, server["headers"])


class WebSocketToH2OriginWithoutRfc8441(H2OriginCase):
    CONNECT_PROTOCOL = False

    def test_501_on_that_stream_only(self):
        c = self.client()
        c.conn.send_headers(1, self.websocket_request())
        c.flush()
        resp = c.wait(response_to(1))
        self.assertEqual(dict(resp.headers)[b":status"], b"501", resp.headers)
        self.assertIn(b"does not allow extended CONNECT", c.body(1))
        # The same client connection still gets an answer from the origin on the next stream.
        c.conn.send_headers(3, [(":method", "GET"), (":scheme", "https"),
                                (":authority", self.authority), (":path", "/after")],
                            end_stream=True)
        c.flush()
        resp = c.wait(response_to(3))
        self.assertEqual(dict(resp.headers)[b":status"], b"200", resp.headers)
        self.assertEqual(c.body(3), b"ok\n")
        # The proxy decided by itself (the origin refuses a :protocol stream with RST_STREAM
        # PROTOCOL_ERROR, which would have made a 502 naming it): the origin saw only /after.
        # (Its line about the stream is read by another thread: wait for it.)
        self.origin.wait(lambda o: "stream" in o)
        streams = self.origin.streams()
        self.assertEqual([s[":path"] for s in streams], ["/after"], streams)

        entries = self.websocket_entries()
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0]["response"]["status"], 501, entries[0]["response"])

    # The origin's SETTINGS are already known (the connection to it is shared with an earlier
    # stream): the proxy's 501 is decided while the request is sent, and still reaches the
    # client.
    def test_501_on_a_connection_whose_settings_are_known(self):
        c = self.client()
        c.conn.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                                (":authority", self.authority), (":path", "/first")],
                            end_stream=True)
        c.flush()
        self.assertEqual(c.body(1), b"ok\n")
        c.conn.send_headers(3, self.websocket_request())
        c.flush()
        resp = c.wait(response_to(3))
        self.assertEqual(dict(resp.headers)[b":status"], b"501", resp.headers)
        self.assertIn(b"does not allow extended CONNECT", c.body(3))
        streams = self.origin.streams()
        self.assertEqual([s[":path"] for s in streams], ["/first"], streams)



class ProtocolOnlyAfterTheOriginsSettings(H2OriginCase):
    """RFC 8441 §3: the proxy sends :protocol only after the origin's SETTINGS allowed it, even
    when its request is ready before they arrive."""

    def setUp(self):
        self.pki = tls_support.TestPki()
        self.addCleanup(self.pki.cleanup)
        self.origin = LateSettingsOrigin(self.pki)
        self.addCleanup(self.origin.stop)
        self.authority = f"{HOST}:{self.origin.port}"
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def test_waits_for_the_settings(self):
        c = self.client()
        c.conn.send_headers(1, self.websocket_request())
        c.flush()
        resp = c.wait(response_to(1))
        self.assertEqual(dict(resp.headers)[b":status"], b"200", resp.headers)
        c.wait(lambda e: isinstance(e, h2.events.DataReceived) and e.stream_id == 1
               and ws_parse(e.data)[0][:1] == [(0x1, b"hello")])
        with self.origin.lock:
            requests = list(self.origin.requests)
        self.assertEqual(len(requests), 1, requests)
        headers, settings_sent = requests[0]
        self.assertEqual(headers.get(":protocol"), "websocket", headers)
        self.assertTrue(settings_sent, "the proxy sent :protocol before the origin's SETTINGS")


if __name__ == "__main__":
    unittest.main(verbosity=2)
