"""Shared helpers for Tunnelscope's end-to-end tests.

Everything here talks to 127.0.0.1 only. Each test starts its own peers:

* Nginx       -- nginx as the current user with a config, logs and temp dirs in a temp dir,
                 serving static files (1 KiB, 100 KiB, 1 MiB, and a sparse 1 GiB file).
* PyOrigin    -- a threaded Python HTTP/1.1 origin for the cases nginx cannot play: echoing
                 bodies and headers, never answering, dying mid-response.
* Proxy       -- tunnelscope --headless --listen 127.0.0.1:0 --har FILE, its port read from
                 the "listening on" line on stderr, its stdout lines collected.

Run with /usr/bin/python3 (Debian's), standard library only. The binary comes from the
TUNNELSCOPE_BIN environment variable (ctest sets it), else build/app/tunnelscope.
"""

import asyncio
import contextlib
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


def tunnelscope_bin():
    """The binary under test. Named by TUNNELSCOPE_BIN (as ctest does), it must exist; the
    fallback build/app/tunnelscope only skips when missing, for runs by hand."""
    path = os.environ.get("TUNNELSCOPE_BIN")
    if path:
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"TUNNELSCOPE_BIN={path} is not an executable")
        return path
    path = os.path.join(REPO, "build", "app", "tunnelscope")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"tunnelscope binary not found at {path}")
    return path


def clean_env(**extra):
    """The environment for child processes: no proxy variables, no curlrc surprises."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")}
    env.update(extra)
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout}s")


def deterministic_bytes(size, seed=b"tunnelscope"):
    """Incompressible, reproducible content (SHA-256 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stop_process(proc, sig=signal.SIGTERM, timeout=10.0):
    """Signal proc, wait, kill it if it does not go. Returns its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def rss_kib(pid):
    """Resident set size of pid in KiB (VmRSS), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a thread."""

    def __init__(self, pid, interval=0.2):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            value = rss_kib(self.pid)
            if value is not None:
                self.samples.append(value)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    @property
    def max_mib(self):
        return max(self.samples) / 1024 if self.samples else 0.0


# --------------------------------------------------------------------------------------------
# nginx


class Nginx:
    """nginx started as the current user, everything it writes inside its own temp dir.

    Files under /: 1k, 100k, 1m (deterministic random bytes) and, with large=True, 1g (a
    sparse file of zeros made with truncate, so it costs no disk). The access log records
    the request line, the connection serial and its request count, and the headers the
    tests look at, one JSON object per line.
    """

    FILES = {"1k": 1 * KIB, "100k": 100 * KIB, "1m": 1 * MIB}

    def __init__(self, large=False):
        self.dir = tempfile.mkdtemp(prefix="ts-nginx-")
        self.www = os.path.join(self.dir, "www")
        os.makedirs(self.www)
        for name, size in self.FILES.items():
            with open(os.path.join(self.www, name), "wb") as f:
                f.write(deterministic_bytes(size, name.encode()))
        if large:
            with open(os.path.join(self.www, "1g"), "wb") as f:
                f.truncate(1 * GIB)
        self.port = None
        self.proc = None

    def path(self, name):
        return os.path.join(self.www, name)

    def url(self, name=""):
        return f"http://{HOST}:{self.port}/{name}"

    def _config(self):
        d = self.dir
        return f"""
worker_processes 1;
daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    log_format ts escape=json '{{"request":"$request","connection":"$connection",'
        '"requests":"$connection_requests","status":"$status","bytes":"$body_bytes_sent",'
        '"proxy_connection":"$http_proxy_connection","keep_alive":"$http_keep_alive",'
        '"connection_header":"$http_connection","via":"$http_via"}}';
    access_log {d}/access.log ts;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 60s;
    keepalive_requests 100000;
    server {{
        listen {HOST}:{self.port};
        server_name localhost;
        root {self.www};
        location / {{ }}
    }}
}}
"""

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for attempt in range(5):
            self.port = free_port()
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(self._config())
            self.proc = subprocess.Popen(
                [nginx, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=clean_env())
            try:
                wait_port(self.port, 10, self.proc)
                return self
            except RuntimeError:
                err = self.proc.stderr.read().decode(errors="replace")
                self.proc.wait()
                if "Address already in use" not in err:
                    raise RuntimeError(f"nginx failed to start: {err}")
        raise RuntimeError("nginx could not find a free port")

    def access_log(self):
        path = os.path.join(self.dir, "access.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Python origin


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ts-origin/1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            body = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(body), True
                body += self.rfile.read(size)
                self.rfile.readline(3)  # CRLF after the chunk
        length = int(self.headers.get("Content-Length", "0") or 0)
        return (self.rfile.read(length) if length else b""), False

    def _record(self, body, chunked):
        self.server.origin.requests.append({
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [(k, v) for k, v in self.headers.items()],
            "body": body,
            "chunked": chunked,
            "client_port": self.client_address[1],
        })

    def _send(self, status, body, ctype="application/octet-stream", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self):
        body, chunked = self._read_body()
        self._record(body, chunked)
        path = self.path.split("?")[0]
        origin = self.server.origin
        if path == "/echo":
            self._send(200, body)
        elif path == "/headers":
            payload = json.dumps({
                "request_line": self.requestline,
                "headers": [[k, v] for k, v in self.headers.items()],
            }).encode()
            # Hop-by-hop headers on the response side too: the client must not see them.
            self._send(200, payload, "application/json",
                       extra=(("Connection", "X-Resp-Hop"), ("X-Resp-Hop", "1"),
                              ("Keep-Alive", "timeout=30"), ("X-End-To-End", "kept")))
        elif path == "/never":
            # Read the request, then answer nothing until the test is over.
            origin.stopping.wait(60)
            self.close_connection = True
        elif path == "/die":
            # Promise 100000 bytes, send 1000, vanish.
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(404, b"not found\n", "text/plain")

    def handle_expect_100(self):
        self.server.origin.expect_seen += 1
        return super().handle_expect_100()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_OPTIONS = do_PATCH = _dispatch


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class PyOrigin:
    """A small HTTP/1.1 origin on 127.0.0.1 running in threads of the test process.

    /echo     answers with the request body (chunked uploads are decoded)
    /headers  answers with the received request line and headers as JSON
    /never    reads the request and never answers
    /die      sends Content-Length: 100000, then 1000 bytes, then closes
    Every request is recorded in .requests (method, path, headers, body, chunked).
    """

    def __init__(self, host=HOST):
        self.requests = []
        self.expect_seen = 0
        self.stopping = threading.Event()
        self.host = host
        server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
        self.server = server_class((host, 0), _OriginHandler)
        self.server.origin = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def url(self, path="/"):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# --------------------------------------------------------------------------------------------
# tunnelscope

LISTEN_RE = re.compile(r"tunnelscope: listening on (\S+):(\d+)")


class Proxy:
    """tunnelscope --headless on 127.0.0.1:0, writing its HAR into a temp dir on exit."""

    def __init__(self, *extra_args, har=True):
        self.bin = tunnelscope_bin()
        self.dir = tempfile.mkdtemp(prefix="ts-proxy-")
        self.har_path = os.path.join(self.dir, "flows.har") if har else None
        self.args = [self.bin, "--headless", "--listen", f"{HOST}:0"]
        if har:
            self.args += ["--har", self.har_path]
        self.args += list(extra_args)
        # Never touch the user's real CA: each proxy gets its own, in its temp dir.
        if "--ca-dir" not in self.args:
            self.ca_dir = os.path.join(self.dir, "ca")
            self.args += ["--ca-dir", self.ca_dir]
        else:
            self.ca_dir = self.args[self.args.index("--ca-dir") + 1]
        self.proc = None
        self.port = None
        self.stdout_lines = []
        self.stderr_lines = []
        self._cond = threading.Condition()
        self.returncode = None

    def _pump(self, stream, sink):
        for raw in iter(stream.readline, b""):
            with self._cond:
                sink.append(raw.decode(errors="replace").rstrip("\n"))
                self._cond.notify_all()
        stream.close()

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env(), cwd=self.dir)
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines),
                             daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines),
                             daemon=True),
        ]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.stderr_lines:
                    m = LISTEN_RE.search(line)
                    if m:
                        self.port = int(m.group(2))
                        return self
                if self.proc.poll() is not None:
                    self._cond.wait(0.2)  # let the pumps drain
                    raise RuntimeError(f"tunnelscope exited with {self.proc.returncode}: "
                                       + " | ".join(self.stderr_lines))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no 'listening on' line on stderr; got: "
                                       + " | ".join(self.stderr_lines))
                self._cond.wait(min(left, 0.2))

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def wait_line(self, pattern, timeout=10.0, count=1):
        """Wait until `count` stdout lines match the regex; return the matching lines."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [line for line in self.stdout_lines if rx.search(line)]
                if len(hits) >= count:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {count} stdout line(s) matching {pattern!r} within {timeout}s; "
                        "stdout was:\n  " + "\n  ".join(self.stdout_lines))
                self._cond.wait(min(left, 0.2))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        if self.proc is None:
            return self.returncode
        self.returncode = stop_process(self.proc, sig, timeout)
        for t in self._threads:
            t.join(5)
        self.proc = None
        return self.returncode

    def har(self):
        with open(self.har_path, encoding="utf-8") as f:
            return json.load(f)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# clients


class WsEchoOrigin:
    """A python3-websockets echo server on 127.0.0.1 in a thread of its own."""

    def __init__(self):
        import websockets.server  # noqa: F401 (python3-websockets)
        self.port = None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import websockets.server
        asyncio.set_event_loop(self.loop)

        async def echo(ws, path=None):
            async for message in ws:
                await ws.send(message)

        async def main():
            self.server = await websockets.server.serve(echo, HOST, 0)
            self.port = self.server.sockets[0].getsockname()[1]
            self.ready.set()
            await self.server.wait_closed()

        self.loop.run_until_complete(main())

    def start(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.thread.join(5)


def ws_frame(payload, opcode=0x1):
    """A masked client frame (RFC 6455 §5.2), payloads under 64 KiB."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_parse(buf, with_rsv1=False):
    """Unmasked, unfragmented server frames from buf: ([(opcode, payload)], rest), or
    [(opcode, rsv1, payload)] with_rsv1 (permessage-deflate's "compressed" bit)."""
    frames = []
    while len(buf) >= 2:
        n = buf[1] & 0x7f
        at = 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = int.from_bytes(buf[2:4], "big"), 4
        if len(buf) < at + n:
            break
        op, payload = buf[0] & 0x0f, buf[at:at + n]
        frames.append((op, bool(buf[0] & 0x40), payload) if with_rsv1 else (op, payload))
        buf = buf[at + n:]
    return frames, buf


def assert_recorded_echo(test, har, sent):
    """The HAR's one WebSocket entry recorded `sent` (text) as sent, each echoed, then a
    Close (1000) each way, in Chrome's _webSocketMessages form."""
    entries = [e for e in har["log"]["entries"] if "_webSocketMessages" in e]
    test.assertEqual(len(entries), 1, [e["request"]["url"] for e in har["log"]["entries"]])
    messages = entries[0]["_webSocketMessages"]
    test.assertNotIn("_webSocketError", entries[0])
    for m in messages:
        test.assertEqual(set(m), {"type", "time", "opcode", "data"})
    times = [m["time"] for m in messages]
    test.assertEqual(times, sorted(times))
    for kind in ("send", "receive"):
        mine = [(m["opcode"], m["data"]) for m in messages if m["type"] == kind]
        test.assertEqual(mine, [(1, text) for text in sent] + [(8, "A+g=")], kind)




class CurlResult:
    def __init__(self, proc, elapsed):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr.decode(errors="replace")
        self.elapsed = elapsed
        self.info = {}
        # --write-out goes to stderr, one JSON object per transfer (see curl()); keep the
        # last transfer's in .info and all of them in .infos.
        self.infos = []
        parts = self.stderr.split("@@TS@@")
        self.stderr = parts[0]
        for part in parts[1:]:
            text, _, rest = part.partition("\n")
            self.infos.append(json.loads(text))
            self.stderr += rest
        if self.infos:
            self.info = self.infos[-1]

    @property
    def status(self):
        return int(self.info.get("http_code", 0))

    def __repr__(self):
        return (f"<curl exit={self.returncode} status={self.status} "
                f"elapsed={self.elapsed:.2f}s stderr={self.stderr[-2000:]!r}>")


def curl(*args, timeout=60, input=None):
    """Run curl (no curlrc, no proxy from the environment) and return a CurlResult.

    --write-out '%{json}' is sent to stderr so stdout stays the body.
    """
    cmd = ["curl", "-q", "-sS", "--max-time", str(timeout), "--connect-timeout", "10",
           "-w", "%{stderr}@@TS@@%{json}\n", *args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(), timeout=timeout + 15)
    return CurlResult(proc, time.monotonic() - t0)


class RawResponse:
    def __init__(self, status, reason, headers, body, closed):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self.closed = closed  # the peer closed after this response

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} {self.body[:300]!r}>"


class RawConn:
    """A plain TCP client for requests curl will not send."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
            if not self.buf:
                raise
        if not chunk:
            self.eof = True
        self.buf += chunk
        return bool(chunk)

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before a full response head; got {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        return status, reason, headers

    def read_response(self, head_request=False):
        """Read one response; informational (1xx) responses are returned as they come."""
        status, reason, headers = self.read_head()
        hmap = {k.lower(): v for k, v in headers}
        body = b""
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in hmap.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            while len(self.buf) < n:
                if not self._fill():
                    break
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while self._fill():
                pass
            body, self.buf = self.buf, b""
        closed = self.eof or "close" in hmap.get("connection", "").lower()
        return RawResponse(status, reason, headers, body, closed)

    def _read_chunked(self):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                if not self._fill():
                    return body
            line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n\r\n" not in b"\r\n" + self.buf:
                    if not self._fill():
                        return body
                _, self.buf = (b"\r\n" + self.buf).split(b"\r\n\r\n", 1)
                return body
            while len(self.buf) < size + 2:
                if not self._fill():
                    return body + self.buf
            body += self.buf[:size]
            self.buf = self.buf[size + 2:]

    def wait_closed(self, timeout=5.0):
        """True when the peer closes (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def raw_request(port, data, timeout=10.0, head_request=False):
    conn = RawConn(port, timeout)
    try:
        conn.send(data)
        return conn.read_response(head_request)
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# test base


class ProxyTestCase(unittest.TestCase):
    """Starts what a test class asks for and stops all of it, whatever happens."""

    PROXY_ARGS = ()
    NGINX = True
    NGINX_LARGE = False
    PYORIGIN = True

    def setUp(self):
        self.nginx = self.origin = self.proxy = None
        if self.NGINX:
            self.nginx = Nginx(large=self.NGINX_LARGE)
            self.addCleanup(self.nginx.stop)
            self.nginx.start()
        if self.PYORIGIN:
            self.origin = PyOrigin()
            self.addCleanup(self.origin.stop)
            self.origin.start()
        self.proxy = self.start_proxy(*self.PROXY_ARGS)

    def start_proxy(self, *args):
        proxy = Proxy(*args)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        return proxy

    def curl_proxy(self, *args, **kw):
        return curl("-x", self.proxy.url, *args, **kw)

    def assertProxyAlive(self):
        self.assertTrue(self.proxy.alive(),
                        "tunnelscope died; stderr:\n" + "\n".join(self.proxy.stderr_lines))
        r = self.curl_proxy(self.nginx.url("1k"), "-o", "/dev/null")
        self.assertEqual(r.status, 200, f"proxy no longer serves: {r}")
