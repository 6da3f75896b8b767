"""HTTP/2 from clients, end to end: Node's http2 client (many CONNECT streams on one connection,
prior knowledge and TLS to --listen-https), python3-h2 (RFC 8441 WebSocket to a python3-websockets
echo origin), nghttp (a forward request by prior knowledge) and curl --http2 to an intercepted
h2 origin. Everything on 127.0.0.1.
"""

import hashlib
import json
import os
import re
import socket
import subprocess
import threading
import time
import unittest

import h2.config
import h2.errors
import h2.connection
import h2.events
import h2.settings

import support
import tls_support
from support import HOST, WsEchoOrigin, assert_recorded_echo, ws_frame, ws_parse

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_CLIENT = os.path.join(HERE, "h2_client.js")


def write_numbered_files(www, count):
    """f0..f{count-1}: distinct content, so a body that went to the wrong stream shows."""
    digests = []
    for i in range(count):
        data = support.deterministic_bytes(1000 + 37 * i, f"f{i}".encode())
        with open(os.path.join(www, f"f{i}"), "wb") as f:
            f.write(data)
        digests.append(hashlib.sha256(data).hexdigest())
    return digests


def run_node(config, timeout=90):
    proc = subprocess.run(["node", NODE_CLIENT, json.dumps(config)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, env=support.clean_env())
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError(f"node exited {proc.returncode}: {proc.stderr.decode()[-3000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def https_proxy_port(proxy):
    rx = re.compile(r"listening on \S+:(\d+) for HTTPS proxy clients")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in list(proxy.stderr_lines):
            m = rx.search(line)
            if m:
                return int(m.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no HTTPS proxy listener line on stderr: {proxy.stderr_lines}")


class NodeConnectStreams(support.ProxyTestCase):
    PYORIGIN = False
    PROXY_ARGS = ("--listen-https", f"{HOST}:0")

    def setUp(self):
        super().setUp()
        self.digests = write_numbered_files(self.nginx.www, 100)
        self.authority = f"{HOST}:{self.nginx.port}"
        self.https_port = https_proxy_port(self.proxy)

    def proxies(self):
        return (("prior knowledge", {"proxy": f"http://{HOST}:{self.proxy.port}"}),
                ("TLS to --listen-https", {"proxy": f"https://{HOST}:{self.https_port}",
                                           "ca": os.path.join(self.proxy.ca_dir, "ca.pem")}))

    def check_streams(self, count):
        for name, base in self.proxies():
            with self.subTest(name, streams=count):
                streams = [{"authority": self.authority, "path": f"/f{i}"} for i in range(count)]
                report = run_node(dict(base, streams=streams))
                self.assertFalse(report.get("timedOut"), report)
                self.assertNotIn("sessionError", report)
                for i, r in enumerate(report["results"]):
                    self.assertEqual(r["status"], 200, (i, r))
                    self.assertIsNone(r["error"], (i, r))
                    self.assertEqual(r["head"], "HTTP/1.1 200 OK", (i, r))
                    self.assertEqual(r["sha256"], self.digests[i], f"stream {i} got another body")

    def test_two_connect_streams(self):
        self.check_streams(2)

    def test_hundred_concurrent_connect_streams(self):
        self.check_streams(100)
        self.assertProxyAlive()

    def test_stalled_stream_does_not_hold_up_the_others(self):
        with open(os.path.join(self.nginx.www, "big"), "wb") as f:
            f.write(support.deterministic_bytes(8 * support.MIB, b"big"))
        for name, base in self.proxies():
            with self.subTest(name):
                streams = [{"authority": self.authority, "path": "/big", "pause": True}]
                streams += [{"authority": self.authority, "path": f"/f{i}"} for i in range(20)]
                report = run_node(dict(base, streams=streams, stalledWaitMs=500))
                self.assertFalse(report.get("timedOut"), report)
                stalled, others = report["results"][0], report["results"][1:]
                for i, r in enumerate(others):
                    self.assertEqual(r["status"], 200, r)
                    self.assertEqual(r["sha256"], self.digests[i])
                self.assertEqual(stalled["status"], 200, stalled)
                # The paused stream got no more than its window plus what was in flight.
                self.assertLess(stalled["bytes"], 4 * support.MIB, stalled)
        self.assertProxyAlive()

    def test_connect_to_closed_port_is_502_on_that_stream_only(self):
        closed = support.free_port()
        for name, base in self.proxies():
            with self.subTest(name):
                streams = [{"authority": self.authority, "path": "/f0"},
                           {"authority": f"{HOST}:{closed}", "path": "/"},
                           {"authority": self.authority, "path": "/f1"}]
                report = run_node(dict(base, streams=streams))
                r = report["results"]
                self.assertEqual(r[1]["status"], 502, r[1])
                self.assertEqual((r[0]["status"], r[2]["status"]), (200, 200), r)
                self.assertEqual(r[0]["sha256"], self.digests[0])
                self.assertEqual(r[2]["sha256"], self.digests[1])


class NghttpPriorKnowledge(support.ProxyTestCase):
    PYORIGIN = False

    def test_forward_get(self):
        proc = subprocess.run(
            ["nghttp", "-H", f":authority: {HOST}:{self.nginx.port}",
             f"http://{HOST}:{self.proxy.port}/1k"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, env=support.clean_env())
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        with open(self.nginx.path("1k"), "rb") as f:
            self.assertEqual(proc.stdout, f.read())
        line = self.proxy.wait_line(rf"GET http://{HOST}:{self.nginx.port}/1k 200")[0]
        self.assertIn("1024B", line)
        self.proxy.stop()
        entries = self.proxy.har()["log"]["entries"]
        self.assertEqual(entries[-1]["request"]["httpVersion"], "http/2.0", entries[-1]["request"])


# ---------------------------------------------------------------------------- RFC 8441

class H2Client:
    """python3-h2 over a socket to the proxy (plain: prior knowledge; a subclass may bring
    its own socket, e.g. TLS inside a tunnel)."""

    def __init__(self, port=None, sock=None):
        self.sock = sock or socket.create_connection((HOST, port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.events = []

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def read(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the proxy closed the connection")
        events = self.conn.receive_data(data)
        for e in events:  # give the window back: what was read is taken
            if isinstance(e, h2.events.DataReceived):
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        self.events += events
        self.flush()
        return events

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events:
                if predicate(e):
                    return e
            self.read()
        raise AssertionError(f"timed out; events: {self.events}")

    def close(self):
        self.sock.close()


class ExtendedConnect(support.ProxyTestCase):
    NGINX = False
    PYORIGIN = False

    def setUp(self):
        super().setUp()
        self.ws = WsEchoOrigin().start()
        self.addCleanup(self.ws.stop)

    def request(self, authority):
        return [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"),
                (":authority", authority), (":path", "/"), ("sec-websocket-version", "13")]

    def test_websocket_echo_hundred_messages(self):
        c = H2Client(self.proxy.port)
        self.addCleanup(c.close)
        c.flush()
        c.wait(lambda e: isinstance(e, h2.events.RemoteSettingsChanged)
               and h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL in e.changed_settings)
        c.conn.send_headers(1, self.request(f"{HOST}:{self.ws.port}"))
        c.flush()
        resp = c.wait(lambda e: isinstance(e, h2.events.ResponseReceived))
        self.assertEqual(dict(resp.headers)[b":status"], b"200", resp.headers)
        ended = [e for e in c.events if isinstance(e, (h2.events.StreamEnded,
                                                        h2.events.StreamReset))]
        self.assertFalse(ended, "the proxy ended the WebSocket stream right after :status 200")
        buf = b""
        echoed = []
        for i in range(100):
            c.conn.send_data(1, ws_frame(f"message {i}".encode()))
            c.flush()
        deadline = time.monotonic() + 20
        while len(echoed) < 100 and time.monotonic() < deadline:
            for e in c.read():
                if isinstance(e, h2.events.DataReceived) and e.stream_id == 1:
                    c.conn.acknowledge_received_data(e.flow_controlled_length, 1)
                    buf += e.data
                if isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                    self.fail(f"the stream ended after {len(echoed)} echoes: {e}")
            c.flush()
            frames, buf = ws_parse(buf)
            echoed += [p.decode() for op, p in frames if op == 0x1]
        self.assertEqual(echoed, [f"message {i}" for i in range(100)])

        # Close (1000): the echo server answers with its Close and ends; the flow is
        # published with every message, and the HAR written on exit carries them.
        c.conn.send_data(1, ws_frame(b"\x03\xe8", opcode=0x8), end_stream=True)
        c.flush()
        c.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)))
        time.sleep(0.3)
        self.proxy.stop()
        assert_recorded_echo(self, self.proxy.har(), [f"message {i}" for i in range(100)])

    def test_protocol_before_the_proxys_settings_is_refused(self):
        # RFC 8441 §3/§4: :protocol only after SETTINGS_ENABLE_CONNECT_PROTOCOL=1 arrived. Sent
        # in the first flight it is a malformed request: a stream error (PROTOCOL_ERROR), and
        # the connection serves a correct request afterwards.
        c = H2Client(self.proxy.port)
        self.addCleanup(c.close)
        c.conn.send_headers(1, self.request(f"{HOST}:{self.ws.port}"))
        c.flush()
        e = c.wait(lambda e: isinstance(e, (h2.events.StreamReset, h2.events.ResponseReceived,
                                            h2.events.ConnectionTerminated)))
        self.assertIsInstance(e, h2.events.StreamReset,
                              f"the proxy accepted :protocol before its SETTINGS: {e}")
        self.assertEqual(e.error_code, h2.errors.ErrorCodes.PROTOCOL_ERROR)


# ---------------------------------------------------------------------------- curl --http2

class NginxH2(tls_support.NginxTls):
    """HTTPS nginx that offers h2, with the protocol in its access log."""

    def _config(self):
        conf = super()._config()
        conf = conf.replace(f"listen {HOST}:{self.port} ssl;", f"listen {HOST}:{self.port} ssl http2;")
        return conf.replace('"via":"$http_via"', '"via":"$http_via","protocol":"$server_protocol"')


class CurlHttp2(unittest.TestCase):
    def setUp(self):
        self.pki = tls_support.TestPki()
        self.addCleanup(self.pki.cleanup)
        self.nginx = NginxH2(self.pki)
        self.addCleanup(self.nginx.stop)
        self.nginx.start()
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def fetch(self):
        r = support.curl("--http2", "--cacert", os.path.join(self.proxy.ca_dir, "ca.pem"),
                         "-x", self.proxy.url, self.nginx.url("1k"), "-o", "/dev/null")
        self.assertEqual(r.status, 200, r)
        return r

    def test_client_side_is_h2(self):
        r = self.fetch()
        self.assertEqual(r.info.get("http_version"), "2", r.info)
        self.proxy.stop()
        entry = self.proxy.har()["log"]["entries"][-1]
        self.assertEqual(entry["request"]["httpVersion"], "http/2.0", entry["request"])

    # Each wire as it crossed: curl's h2 fields on the client side, the h2 fields nginx got and
    # sent on the server side; no Host, no transfer-encoding, nothing that nobody sent.
    def test_each_wire_recorded_as_it_crossed(self):
        self.fetch()
        self.proxy.stop()
        entry = self.proxy.har()["log"]["entries"][-1]
        request, response = entry["request"], entry["response"]

        def names(headers):
            return [h["name"] for h in headers]

        client_request = names(request["headers"])
        self.assertEqual(client_request[:4], [":method", ":path", ":scheme", ":authority"],
                         request["headers"])
        self.assertNotIn("host", [n.lower() for n in client_request])
        server_request = request["_serverRequest"]
        self.assertEqual(server_request["httpVersion"], "http/2.0")
        self.assertEqual(names(server_request["headers"])[0], ":method")
        self.assertNotIn("host", [n.lower() for n in names(server_request["headers"])])

        server_response = response["_serverResponse"]
        self.assertEqual(server_response["httpVersion"], "http/2.0")
        self.assertEqual(names(server_response["headers"])[0], ":status")
        self.assertIn({"name": "content-length", "value": "1024"}, server_response["headers"])
        self.assertEqual(response["httpVersion"], "http/2.0")
        self.assertEqual(names(response["headers"])[0], ":status")
        for side in (request["headers"], server_request["headers"], server_response["headers"],
                     response["headers"]):
            self.assertNotIn("transfer-encoding", [n.lower() for n in names(side)], side)
        # h2 on both sides: nothing to translate, so the client got the origin's response
        # fields exactly, content-length included, and the origin the client's request fields.
        self.assertEqual(response["headers"], server_response["headers"])
        # Each side's size is its own frames' bytes: at least the 1 KiB body, its DATA frame
        # header and a HEADERS frame.
        self.assertGreater(response["_transferSize"], 1024 + 9 + 9, response)
        self.assertGreater(server_response["_transferSize"], 1024 + 9 + 9, server_response)
        self.assertGreater(request["_serverRequest"]["_transferSize"], 9, request)
        self.assertEqual(sorted((h["name"], h["value"]) for h in request["headers"]),
                         sorted((h["name"], h["value"]) for h in server_request["headers"]))

    # The origin offers h2 and gets it: the proxy translates, nginx logs HTTP/2.0.
    def test_server_side_is_h2(self):
        self.fetch()
        log = self.nginx.access_log()
        self.assertTrue(log)
        self.assertEqual(log[-1].get("protocol"), "HTTP/2.0", log[-1])

    # Twenty requests at once on one h2 connection (curl multiplexes them inside one CONNECT
    # tunnel): the proxy opens one connection to the origin and gives each a stream of it.
    def test_concurrent_requests_share_one_origin_connection(self):
        args = ["--http2", "--parallel", "--parallel-max", "20", "--cacert",
                os.path.join(self.proxy.ca_dir, "ca.pem"), "-x", self.proxy.url]
        for i in range(20):
            args += [self.nginx.url("1k") + f"?n={i}", "-o", "/dev/null"]
        r = support.curl(*args)
        self.assertEqual(r.returncode, 0, r)
        log = [line for line in self.nginx.access_log() if "?n=" in line["request"]]
        self.assertEqual(len(log), 20, log)
        self.assertEqual({line["protocol"] for line in log}, {"HTTP/2.0"}, log)
        self.assertEqual(len({line["connection"] for line in log}), 1, log)
        self.proxy.stop()
        entries = [e for e in self.proxy.har()["log"]["entries"] if "?n=" in e["request"]["url"]]
        self.assertEqual(len(entries), 20)
        self.assertEqual({e["response"]["_serverResponse"]["httpVersion"] for e in entries},
                         {"http/2.0"})
        self.assertEqual(len({e.get("_serverConnection") for e in entries}), 1, entries[0])
        streams = [e.get("_serverStream") for e in entries]
        self.assertEqual(len(set(streams)), 20, streams)
        self.assertEqual(sum(1 for e in entries if e.get("_serverReused")), 19)


class CurlHttp2ToHttp11Origin(unittest.TestCase):
    """h2 from the client inside the tunnel, HTTP/1.1 at the origin (translation)."""

    def setUp(self):
        self.pki = tls_support.TestPki()
        self.addCleanup(self.pki.cleanup)
        self.nginx = tls_support.NginxTls(self.pki)
        self.addCleanup(self.nginx.stop)
        self.nginx.start()
        self.proxy = support.Proxy("--upstream-ca", self.pki.ca)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    # One stream after another on the client's connection: the origin connection a finished
    # stream released is the next stream's, so nginx sees one connection with five requests.
    def test_sequential_streams_reuse_the_origin_connection(self):
        args = ["--http2", "--cacert", os.path.join(self.proxy.ca_dir, "ca.pem"),
                "-x", self.proxy.url]
        for i in range(5):
            args += [self.nginx.url("1k") + f"?n={i}", "-o", "/dev/null"]
        r = support.curl(*args)
        self.assertEqual(r.returncode, 0, r)
        log = [line for line in self.nginx.access_log() if "?n=" in line["request"]]
        self.assertEqual(len(log), 5, log)
        self.assertEqual(len({line["connection"] for line in log}), 1, log)
        self.assertEqual(sorted(int(line["requests"]) for line in log), [1, 2, 3, 4, 5], log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
