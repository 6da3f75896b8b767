"""Holding under load and abuse (issue 20): thousands of clients at once, running out of file
descriptors, HPACK amplification, self-loops through other spellings of this host, and an
unwritable --har path. Every count and wait is bounded; outcomes are asserted (served,
refused, memory growth below a generous bound), never how long something took."""

import json
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import h2.config
import h2.connection
import h2.events
import h2.exceptions

import support
from support import HOST


def raise_own_fd_limit(want):
    """This test process holds thousands of sockets: take what the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, want))
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid):
    """User + system CPU time of pid so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_backlog(port):
    """The backlog of the socket listening on 127.0.0.1:port, as `ss` reports it (Send-Q)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            return int(parts[2])
    raise AssertionError(f"no listening socket on port {port}: {out!r}")


def limited(proxy, nofile):
    """Run the proxy under a soft and hard RLIMIT_NOFILE of `nofile` (prlimit execs it: the pid
    stays the proxy's)."""
    proxy.args = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + proxy.args
    return proxy


class EchoServer:
    """A TCP echo server for tunnels, on 127.0.0.1, in one thread with a selector."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(4096)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            for key, _ in self.selector.select(0.1):
                if key.fileobj is self.listener:
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    self.selector.register(conn, selectors.EVENT_READ)
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                key.fileobj.sendall(data)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


def open_tunnel(port, target_port, timeout=20):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.sendall(f"CONNECT {HOST}:{target_port} HTTP/1.1\r\nHost: {HOST}:{target_port}\r\n\r\n"
              .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


class ManyClients(unittest.TestCase):
    """Item 1: the listen backlog, and accepting a burst."""

    COUNT = 2000

    def setUp(self):
        self.proxy = support.Proxy("--listen-https", f"{HOST}:0", "--socks", f"{HOST}:0",
                                   har=False)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def listener_ports(self):
        deadline = time.monotonic() + 10  # the HTTPS and SOCKS lines follow the first one
        while True:
            text = "\n".join(self.proxy.stderr_lines)
            ports = [int(p) for p in re.findall(r"(?:listening|SOCKS5) on \S+:(\d+)", text)]
            if len(ports) >= 3 or time.monotonic() > deadline:
                return ports
            time.sleep(0.1)

    def test_every_listener_has_the_system_backlog(self):
        with open("/proc/sys/net/core/somaxconn") as f:
            somaxconn = int(f.read())
        ports = self.listener_ports()
        self.assertEqual(len(ports), 3, self.proxy.stderr_lines)  # plain, HTTPS, SOCKS
        for port in ports:
            self.assertEqual(listen_backlog(port), somaxconn, f"port {port}")

    def test_two_thousand_keep_alive_clients_at_once_are_all_answered(self):
        count = min(self.COUNT, raise_own_fd_limit(self.COUNT + 200) - 200)
        request = f"GET / HTTP/1.1\r\nHost: {HOST}:{self.proxy.port}\r\n\r\n".encode()
        selector = selectors.DefaultSelector()
        sockets = []
        answered = 0
        try:
            for _ in range(count):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex((HOST, self.proxy.port))
                sockets.append(s)
                selector.register(s, selectors.EVENT_WRITE, [b"", False])
            deadline = time.monotonic() + 60  # generous: squid answers all in 0.8 s
            while answered < count and time.monotonic() < deadline:
                for key, mask in selector.select(0.5):
                    s, state = key.fileobj, key.data
                    if mask & selectors.EVENT_WRITE and not state[1]:
                        try:
                            s.send(request)
                        except OSError:
                            continue  # not connected yet
                        state[1] = True
                        selector.modify(s, selectors.EVENT_READ, state)
                        continue
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    state[0] += data
                    if state[0].startswith(b"HTTP/1.1 200") or not data:
                        selector.unregister(s)  # keep the connection open: idle keep-alive
                        answered += state[0].startswith(b"HTTP/1.1 200")
        finally:
            for s in sockets:
                s.close()
        self.assertEqual(answered, count)
        self.assertTrue(self.proxy.alive())


class OutOfDescriptors(unittest.TestCase):
    """Item 2: the proxy under a small RLIMIT_NOFILE neither spins nor stops for good."""

    def start_proxy(self, nofile):
        proxy = limited(support.Proxy(har=False), nofile)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        return proxy

    def info_page(self, proxy, timeout=30):
        with socket.create_connection((HOST, proxy.port), timeout=timeout) as s:
            s.sendall(f"GET / HTTP/1.1\r\nHost: {HOST}:{proxy.port}\r\nConnection: close\r\n\r\n"
                      .encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return data
                data += chunk

    def test_four_hundred_clients_at_256_descriptors(self):
        raise_own_fd_limit(1000)
        proxy = self.start_proxy(256)
        clients = []
        try:
            for _ in range(400):  # more than the proxy may hold: the rest wait in the backlog
                clients.append(socket.create_connection((HOST, proxy.port), timeout=10))
            time.sleep(1)  # let the proxy reach its limit
            before = cpu_seconds(proxy.pid)
            time.sleep(3)
            spent = cpu_seconds(proxy.pid) - before
            # Spinning on a readable listener took 66-100% of a core; waiting takes ~nothing.
            self.assertLess(spent, 0.5, "the proxy spins while out of descriptors")
            paused = [line for line in proxy.stderr_lines if "out of file descriptors" in line]
            self.assertEqual(len(paused), 1, proxy.stderr_lines)
            # Clients leave: those waiting are accepted, and a new one is served.
            for s in clients[:300]:
                s.close()
            del clients[:300]
            self.assertTrue(self.info_page(proxy).startswith(b"HTTP/1.1 200"))
        finally:
            for s in clients:
                s.close()
        self.assertTrue(proxy.alive())

    def test_three_hundred_tunnels_at_1024_descriptors(self):
        raise_own_fd_limit(2000)
        echo = EchoServer().start()
        self.addCleanup(echo.stop)
        proxy = self.start_proxy(1024)
        tunnels = []
        try:
            # Each tunnel held 6 descriptors (two sockets, two splice pipes): the 170th hung.
            for i in range(300):
                s, head = open_tunnel(proxy.port, echo.port)
                tunnels.append(s)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), f"tunnel {i + 1}: {head!r}")
            for i, s in enumerate(tunnels):
                message = f"ping {i}\n".encode()
                s.sendall(message)
                got = b""
                while len(got) < len(message):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                self.assertEqual(got, message, f"tunnel {i + 1}")
            self.assertTrue(self.info_page(proxy).startswith(b"HTTP/1.1 200"))
        finally:
            for s in tunnels:
                s.close()
        self.assertFalse([line for line in proxy.stderr_lines if "out of file" in line])


def amplify(proxy, requests=3001):
    """One HTTP/2 connection that defines a 4 KB dynamic-table entry and names it 15 times per
    request. Returns (sent, answered, the ConnectionTerminated event or None)."""
    sock = socket.create_connection((HOST, proxy.port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                                validate_outbound_headers=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    big = "a" * 4000  # name + value + 32 fits HPACK's default 4096-byte table
    headers = [(":method", "GET"), (":scheme", "http"),
               (":authority", f"{HOST}:{proxy.port}"), (":path", "/")]
    headers += [("x-big", big)] * 15
    sent = answered = 0
    in_flight = set()
    goaway = None
    deadline = time.monotonic() + 120
    try:
        while sent < requests and goaway is None and time.monotonic() < deadline:
            while sent < requests and len(in_flight) < 100:
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, headers, end_stream=True)
                in_flight.add(stream)
                sent += 1
            sock.sendall(conn.data_to_send())
            data = sock.recv(1 << 20)
            if not data:
                break
            for e in conn.receive_data(data):
                if isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                    in_flight.discard(e.stream_id)
                    answered += isinstance(e, h2.events.StreamEnded)
                elif isinstance(e, h2.events.ConnectionTerminated):
                    goaway = e
            sock.sendall(conn.data_to_send())
    except (ConnectionError, OSError, h2.exceptions.ProtocolError):
        pass
    finally:
        sock.close()
    return sent, answered, goaway


class HpackAmplification(unittest.TestCase):
    """Item 3: a 4 KB dynamic-table entry named 15 times per request, 3,001 requests."""

    def test_decoded_headers_are_bounded(self):
        proxy = support.Proxy(har=False)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        time.sleep(0.5)
        rss_before = support.rss_kib(proxy.pid)

        sent, answered, goaway = amplify(proxy)
        time.sleep(3)
        growth_mib = (support.rss_kib(proxy.pid) - rss_before) / 1024
        print(f"\nHPACK: sent {sent}, answered {answered}, goaway {goaway}, "
              f"RSS growth {growth_mib:.1f} MiB", flush=True)
        self.assertIsNotNone(goaway, "the connection was not stopped")
        self.assertEqual(goaway.error_code, 11)  # ENHANCE_YOUR_CALM
        self.assertLess(sent, 3001)
        self.assertLess(growth_mib, 100)  # was 343 MB
        # The next client is served.
        r = support.raw_request(proxy.port, f"GET / HTTP/1.1\r\nHost: {HOST}:{proxy.port}\r\n"
                                            "Connection: close\r\n\r\n".encode())
        self.assertEqual(r.status, 200)

    def test_many_connections_stay_within_the_memory_budget(self):
        """Each connection stops at its own bound, but the flows and frame logs they leave are
        bounded together only by the store's memory budget: with a 16 MiB budget, recorded
        headers and closed connections' logs beyond it go to the spill file."""
        connections = 8
        proxy = support.Proxy("--body-memory", "16", har=False)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        time.sleep(0.5)
        rss_before = support.rss_kib(proxy.pid)
        answered = 0
        for i in range(connections):
            _, n, goaway = amplify(proxy)
            answered += n
            self.assertIsNotNone(goaway, f"connection {i + 1} was not stopped")
        time.sleep(3)
        growth_mib = (support.rss_kib(proxy.pid) - rss_before) / 1024
        print(f"\nHPACK x{connections}: answered {answered}, RSS growth {growth_mib:.1f} MiB",
              flush=True)
        self.assertGreater(answered, 0)
        self.assertLess(growth_mib, 80)  # was 277 MiB: every flow kept its 60 KB of fields
        r = support.raw_request(proxy.port, f"GET / HTTP/1.1\r\nHost: {HOST}:{proxy.port}\r\n"
                                            "Connection: close\r\n\r\n".encode())
        self.assertEqual(r.status, 200)


class SelfLoops(unittest.TestCase):
    """Item 4: other spellings of this host and a listener's port are the proxy itself."""

    def setUp(self):
        self.proxy = support.Proxy(har=False)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def local_address(self):
        """An address of this machine that is not loopback, if it has one."""
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True,
                             timeout=10).stdout if shutil.which("ip") else ""
        for m in re.finditer(r"inet (\d+\.\d+\.\d+\.\d+)/", out):
            if not m.group(1).startswith("127."):
                return m.group(1)
        return None

    def spellings(self):
        port = self.proxy.port
        names = [f"0.0.0.0:{port}", f"[::]:{port}", f"[::ffff:0.0.0.0]:{port}"]
        local = self.local_address()
        if local:
            names.append(f"{local}:{port}")
        return names

    def test_forwarded_request_is_508(self):
        for authority in self.spellings():
            with self.subTest(authority=authority):
                r = support.raw_request(self.proxy.port,
                                        f"GET http://{authority}/ HTTP/1.1\r\nHost: {authority}\r\n"
                                        "Connection: close\r\n\r\n".encode())
                self.assertEqual(r.status, 508, r)

    def test_connect_is_508(self):
        for authority in self.spellings():
            with self.subTest(authority=authority):
                r = support.raw_request(self.proxy.port,
                                        f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
                                        "\r\n".encode())
                self.assertEqual(r.status, 508, r)


class UnwritableHar(unittest.TestCase):
    """Item 5: a --har path that cannot be written is refused at start, and one that stops
    being writable while the proxy runs gets a temporary file instead of losing the flows."""

    def test_missing_directory_is_refused_at_start(self):
        p = subprocess.run([support.tunnelscope_bin(), "--headless", "--listen", f"{HOST}:0",
                            "--har", "/nonexistent-dir-for-tunnelscope/flows.har"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=15,
                           env=support.clean_env())
        self.assertNotEqual(p.returncode, 0)
        lines = [line for line in p.stderr.decode().splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("does not exist", lines[0])

    def test_directory_gone_at_exit_writes_a_temporary_file(self):
        origin = support.PyOrigin().start()
        self.addCleanup(origin.stop)
        out_dir = tempfile.mkdtemp(prefix="ts-har-")
        proxy = support.Proxy(har=False)
        proxy.args += ["--har", os.path.join(out_dir, "flows.har")]
        self.addCleanup(proxy.cleanup)
        proxy.start()
        r = support.curl("-x", proxy.url, origin.url("/echo"), "-d", "kept")
        self.assertEqual(r.status, 200)
        proxy.wait_line(r"POST http://")
        shutil.rmtree(out_dir)
        self.assertEqual(proxy.stop(), 1)
        lines = [line for line in proxy.stderr_lines if "instead" in line]
        self.assertEqual(len(lines), 1, proxy.stderr_lines)
        path = re.search(r"wrote (\S+) instead", lines[0]).group(1)
        self.addCleanup(lambda: os.path.exists(path) and os.remove(path))
        with open(path, encoding="utf-8") as f:
            har = json.load(f)
        self.assertEqual(len(har["log"]["entries"]), 1)
        self.assertEqual(har["log"]["entries"][0]["request"]["method"], "POST")


if __name__ == "__main__":
    unittest.main()
