"""Upstream proxy chains end to end: tunnelscope sends its server-side connections through
real squid, tinyproxy and mitmproxy (SOCKS5 mode), one at a time and as a three-hop chain,
for plain http and intercepted https; hops that refuse, want credentials, are down or hang
are named in the 502/504 and the flow's error; credentials never appear in clear.

Every daemon runs on 127.0.0.1 with its configuration, pid file and logs in a temp dir of its
own, is waited for with a bound, and is stopped in tearDown(Class)."""

import base64
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import support
import tls_support
from support import HOST, curl

SECRET = "s3cr3t-Pa55"  # a hop password: must never be seen in clear
STARTUP = 30.0  # seconds any daemon gets to listen (mitmproxy makes its CA on first start)


def which(name, *fallbacks):
    found = shutil.which(name)
    if found:
        return found
    for path in fallbacks:
        if os.access(path, os.X_OK):
            return path
    raise RuntimeError(f"{name} is not installed (scripts/packages.txt lists it)")


class Daemon:
    """A peer process started from a config in its own temp dir; stop() always cleans up."""

    name = "daemon"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix=f"ts-{self.name}-")
        # squid drops root privileges to its own user: it must be able to write here.
        os.chmod(self.dir, 0o777)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "out.log")

    def command(self):
        raise NotImplementedError

    def start(self):
        for _ in range(3):
            self.port = support.free_port()
            self.write_config()
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         cwd=self.dir, env=support.clean_env(),
                                         start_new_session=True)
            try:
                support.wait_port(self.port, STARTUP, self.proc)
                return self
            except (RuntimeError, TimeoutError):
                self.stop(remove=False)
                if "in use" not in self.output():
                    raise RuntimeError(f"{self.name} did not start:\n{self.output()[-3000:]}")
        raise RuntimeError(f"{self.name} could not find a free port")

    def write_config(self):
        pass

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, remove=True):
        if self.proc is not None:
            support.stop_process(self.proc, signal.SIGTERM, 10)
            self.proc = None
            self._log.close()
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"


class Squid(Daemon):
    """squid -N: no cache, every CONNECT port allowed, logs in its temp dir. With `users`
    ({name: password}) it wants Basic proxy credentials (basic_ncsa_auth, an htpasswd file)."""

    name = "squid"

    def __init__(self, users=None):
        super().__init__()
        self.users = users or {}
        self.conf = os.path.join(self.dir, "squid.conf")

    def write_config(self):
        d = self.dir
        auth = ""
        if self.users:
            htpasswd = os.path.join(d, "htpasswd")
            with open(htpasswd, "w") as f:
                for user, password in self.users.items():
                    digest = subprocess.run(["openssl", "passwd", "-apr1", password],
                                            check=True, capture_output=True,
                                            text=True).stdout.strip()
                    f.write(f"{user}:{digest}\n")
            os.chmod(htpasswd, 0o644)
            helper = which("basic_ncsa_auth", "/usr/lib/squid/basic_ncsa_auth")
            auth = (f"auth_param basic program {helper} {htpasswd}\n"
                    "auth_param basic children 2 startup=1 idle=1\n"
                    "auth_param basic realm tunnelscope-test\n"
                    "acl authed proxy_auth REQUIRED\n"
                    "http_access deny !authed\n")
        with open(self.conf, "w") as f:
            f.write(f"""http_port {HOST}:{self.port}
pid_filename {d}/squid.pid
cache_log {d}/cache.log
access_log stdio:{d}/access.log
cache_store_log none
coredump_dir {d}
netdb_filename none
cache deny all
icp_port 0
htcp_port 0
shutdown_lifetime 0 seconds
acl CONNECT method CONNECT
{auth}http_access allow localhost
http_access deny all
""")

    def command(self):
        return [which("squid", "/usr/sbin/squid"), "-N", "-f", self.conf]

    def access_log(self, expect=None):
        """The access log; with `expect` (a regex), waits a little for a line matching it."""
        if expect is not None:
            return eventually(self.access_log, lambda text: re.search(expect, text))
        path = os.path.join(self.dir, "access.log")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()


class Tinyproxy(Daemon):
    """tinyproxy -d, every CONNECT port allowed (no ConnectPort line); it logs to stdout."""

    name = "tinyproxy"

    def write_config(self):
        self.conf = os.path.join(self.dir, "tinyproxy.conf")
        with open(self.conf, "w") as f:
            f.write(f"""Port {self.port}
Listen {HOST}
Timeout 60
Allow {HOST}
MaxClients 50
LogLevel Connect
PidFile "{self.dir}/tinyproxy.pid"
DisableViaHeader Yes
""")

    def command(self):
        return [which("tinyproxy", "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"), "-d", "-c",
                self.conf]


class MitmSocks(Daemon):
    """mitmdump in SOCKS5 mode, not intercepting (--ignore-hosts '.*'): a plain SOCKS5 hop."""

    name = "mitmproxy"

    def command(self):
        return [which("mitmdump"), "--mode", "socks5", "--listen-host", HOST,
                "--listen-port", str(self.port), "--set", f"confdir={self.dir}/conf",
                "--ignore-hosts", ".*"]

    @property
    def url(self):
        return f"socks5h://{HOST}:{self.port}"


class Silent:
    """Accepts connections and never answers: a hop that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                pass

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for c in self.held:
            c.close()
        self.sock.close()


class TlsConnectProxy:
    """An https:// proxy hop: TLS to it (the test PKI's localhost/127.0.0.1 certificate), then
    CONNECT, or one absolute-form request whose connection it then relays to the origin.
    Neither squid nor tinyproxy in Debian speaks TLS to its clients, so this small one plays
    the part; every CONNECT target is recorded in .connects, every forwarded request line in
    .forwards."""

    def __init__(self, pki):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(*pki.good)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connects = []
        self.forwards = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"https://{HOST}:{self.port}"

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw):
        upstream = conn = None
        try:
            raw.settimeout(10)
            conn = self.ctx.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            method, target, version = lines[0].decode().split(" ", 2)
            if method == "CONNECT":
                self.connects.append(target)
                host, port = target.rsplit(":", 1)
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            elif target.startswith("http://"):
                # Absolute-form: to the origin in origin-form; the rest of the connection is
                # relayed as it is (one request per connection is all the tests send).
                self.forwards.append(lines[0].decode())
                authority, _, path = target[len("http://"):].partition("/")
                host, port = authority.rsplit(":", 1)
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
                kept = [l for l in lines[1:] if not l.lower().startswith(b"proxy-")]
                upstream.sendall(f"{method} /{path} {version}\r\n".encode()
                                 + b"".join(l + b"\r\n" for l in kept) + b"\r\n")
            else:
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if rest:
                upstream.sendall(rest)
            conn.settimeout(None)
            upstream.settimeout(None)
            while not self.stopping.is_set():
                ready = [conn] if conn.pending() else select.select([conn, upstream], [], [],
                                                                   0.5)[0]
                for side in ready:
                    data = side.recv(65536)
                    if not data:
                        return
                    (upstream if side is conn else conn).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for s in (upstream, conn, raw):
                if s is not None:
                    s.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


def eventually(read, check, timeout=5.0):
    """read() until check(value) holds or timeout passes (squid logs a tunnel when it ends);
    returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def closed_port():
    """A port nothing listens on (bound, then released)."""
    return support.free_port()


class UpstreamTestCase(unittest.TestCase):
    """Origins (nginx over http and https, signed by a test CA) and the three upstream
    proxies, started once for the class; each test starts its own tunnelscope."""

    @classmethod
    def setUpClass(cls):
        cls._stack = []
        try:
            cls.pki = tls_support.TestPki()
            cls._stack.append(cls.pki.cleanup)
            cls.nginx = support.Nginx().start()
            cls._stack.append(cls.nginx.stop)
            cls.tls_nginx = tls_support.NginxTls(cls.pki).start()
            cls._stack.append(cls.tls_nginx.stop)
            cls.squid = Squid()
            cls._stack.append(cls.squid.stop)
            cls.squid.start()
            cls.squid_auth = Squid(users={"alice": SECRET})
            cls._stack.append(cls.squid_auth.stop)
            cls.squid_auth.start()
            cls.tinyproxy = Tinyproxy()
            cls._stack.append(cls.tinyproxy.stop)
            cls.tinyproxy.start()
            cls.mitm = MitmSocks()
            cls._stack.append(cls.mitm.stop)
            cls.mitm.start()
            cls.tls_proxy = TlsConnectProxy(cls.pki)
            cls._stack.append(cls.tls_proxy.stop)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        while cls._stack:
            cls._stack.pop()()

    def start_proxy(self, *args):
        proxy = support.Proxy("--upstream-ca", self.pki.ca, *args)
        self.addCleanup(proxy.cleanup)
        proxy.start()
        return proxy

    def finish(self, proxy):
        """Stop the proxy; return (HAR entries, tunnels, everything it wrote, the HAR text)."""
        proxy.stop()
        with open(proxy.har_path, encoding="utf-8") as f:
            text = f.read()
        log = json.loads(text)["log"]
        output = "\n".join(proxy.stdout_lines + proxy.stderr_lines)
        return log["entries"], log.get("_tunnels", []), output, text

    def sha(self, data):
        return hashlib.sha256(data).hexdigest()

    def get_through(self, proxy, name="1m"):
        r = curl("-x", proxy.url, self.nginx.url(name))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.sha(r.stdout), support.sha256_file(self.nginx.path(name)))
        return r

    def get_https_through(self, proxy, name="1m"):
        ca = os.path.join(proxy.ca_dir, "ca.pem")
        r = curl("-x", proxy.url, "--cacert", ca, self.tls_nginx.url(name))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.sha(r.stdout), support.sha256_file(self.tls_nginx.path(name)))
        return r

    def entry(self, entries, suffix):
        found = [e for e in entries if e["request"]["url"].endswith(suffix)]
        self.assertEqual(len(found), 1, [e["request"]["url"] for e in entries])
        return found[0]

    def assertLogged(self, squid, pattern):
        self.assertRegex(squid.access_log(pattern), pattern)

    def assertNamesHop(self, text, number, url):
        self.assertIn(f"hop {number} ({url})", text)


class OneHop(UpstreamTestCase):
    def test_http_through_squid(self):
        proxy = self.start_proxy("--upstream", self.squid.url)
        self.get_through(proxy)
        entries, _, output, _ = self.finish(proxy)
        e = self.entry(entries, "/1m")
        self.assertEqual(e["_upstream"], f"via {self.squid.url}")
        self.assertEqual(e["serverIPAddress"], HOST)  # the TCP peer: hop 1
        # squid, the last hop, got the request in absolute-form, not a CONNECT tunnel.
        self.assertLogged(self.squid, rf" GET http://{HOST}:{self.nginx.port}/1m ")
        self.assertNotIn(f"CONNECT {HOST}:{self.nginx.port} ", self.squid.access_log())
        self.assertIn(f"upstream: via {self.squid.url}", output)

    def test_http_through_tinyproxy(self):
        proxy = self.start_proxy("--upstream", self.tinyproxy.url)
        self.get_through(proxy)
        entries, _, _, _ = self.finish(proxy)
        self.assertEqual(self.entry(entries, "/1m")["_upstream"], f"via {self.tinyproxy.url}")
        self.assertIn(f"GET http://{HOST}:{self.nginx.port}/1m HTTP/1.1", self.tinyproxy.output())
        self.assertNotIn(f"CONNECT {HOST}:{self.nginx.port}", self.tinyproxy.output())

    def test_http_through_mitmproxy_socks5h_and_socks5(self):
        for scheme in ("socks5h", "socks5"):
            with self.subTest(scheme=scheme):
                hop = f"{scheme}://{HOST}:{self.mitm.port}"
                proxy = self.start_proxy("--upstream", hop)
                # A name, so that socks5:// resolves it here and socks5h:// sends it on.
                r = curl("-x", proxy.url, f"http://localhost:{self.nginx.port}/1k")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(len(r.stdout), 1024)
                entries, _, _, _ = self.finish(proxy)
                self.assertEqual(self.entry(entries, "/1k")["_upstream"], f"via {hop}")

    def test_https_intercepted_through_squid(self):
        proxy = self.start_proxy("--upstream", self.squid.url)
        self.get_https_through(proxy)
        entries, tunnels, _, _ = self.finish(proxy)
        e = self.entry(entries, "/1m")
        self.assertTrue(e["_tls"]["intercepted"])
        self.assertTrue(e["_tls"]["server"]["verified"], e["_tls"])
        self.assertEqual(e["_upstream"], f"via {self.squid.url}")
        self.assertTrue(any(t.get("upstream") == f"via {self.squid.url}" for t in tunnels),
                        tunnels)
        self.assertLogged(self.squid, rf"CONNECT localhost:{self.tls_nginx.port} ")

    def test_raw_tunnel_through_squid_is_relayed(self):
        # Not intercepted: the engine splices the tunnel once the chain is through.
        proxy = self.start_proxy("--no-intercept", "--upstream", self.squid.url)
        r = curl("-x", proxy.url, "--cacert", self.pki.ca, self.tls_nginx.url("1m"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.sha(r.stdout), support.sha256_file(self.tls_nginx.path("1m")))
        _, tunnels, _, _ = self.finish(proxy)
        [t] = tunnels
        self.assertEqual(t["upstream"], f"via {self.squid.url}")
        self.assertGreater(t["bytesServerToClient"], 1 << 20)

    def test_https_hop_for_http_and_https(self):
        # TLS to the hop stays in the byte path (no splicing, no pooling): the driver copies.
        proxy = self.start_proxy("--upstream", self.tls_proxy.url)
        self.get_through(proxy)
        self.get_https_through(proxy, "100k")
        entries, _, _, _ = self.finish(proxy)
        self.assertEqual(self.entry(entries, f"{self.nginx.port}/1m")["_upstream"],
                         f"via {self.tls_proxy.url}")
        # http in absolute-form inside the TLS to the hop; https through a CONNECT tunnel.
        self.assertIn(f"GET http://{HOST}:{self.nginx.port}/1m HTTP/1.1", self.tls_proxy.forwards)
        self.assertNotIn(f"{HOST}:{self.nginx.port}", self.tls_proxy.connects)
        self.assertIn(f"localhost:{self.tls_nginx.port}", self.tls_proxy.connects)

    def test_keep_alive_reuses_the_chained_connection(self):
        # Through squid as the last hop: one pooled connection to it forwards both requests.
        proxy = self.start_proxy("--upstream", self.squid.url)
        r = curl("-x", proxy.url, self.nginx.url("1k"), self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        entries, _, _, _ = self.finish(proxy)
        self.assertFalse(self.entry(entries, "/1k").get("_serverReused"), entries)
        self.assertTrue(self.entry(entries, "/100k").get("_serverReused"), entries)
        self.assertLogged(self.squid, rf" GET http://{HOST}:{self.nginx.port}/100k ")

    def test_keep_alive_reuses_the_chained_tunnel(self):
        # Through a SOCKS5 last hop there is no forwarding: the tunnel to the origin is pooled.
        proxy = self.start_proxy("--upstream", self.squid.url, "--upstream", self.mitm.url)
        tunnels = lambda: self.squid.access_log().count(f"CONNECT {HOST}:{self.mitm.port} ")
        before = tunnels()
        r = curl("-x", proxy.url, self.nginx.url("1k"), self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        entries, _, _, _ = self.finish(proxy)  # squid logs a tunnel once it is closed
        self.assertTrue(self.entry(entries, "/100k").get("_serverReused"), entries)
        # One tunnel through squid carried both requests.
        self.assertEqual(eventually(tunnels, lambda n: n > before) - before, 1)

    def test_websocket_upgrade_tunnels_through_squid(self):
        # An Upgrade needs the origin's own connection: CONNECT through the chain, not
        # absolute-form forwarding, even with squid as the last hop.
        from test_h2 import WsEchoOrigin, ws_frame, ws_parse
        origin = WsEchoOrigin().start()
        self.addCleanup(origin.stop)
        proxy = self.start_proxy("--upstream", self.squid.url)
        with socket.create_connection((HOST, proxy.port), timeout=10) as c:
            key = base64.b64encode(os.urandom(16)).decode()
            c.sendall((f"GET http://{HOST}:{origin.port}/ HTTP/1.1\r\n"
                       f"Host: {HOST}:{origin.port}\r\nConnection: Upgrade\r\n"
                       f"Upgrade: websocket\r\nSec-WebSocket-Key: {key}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = c.recv(4096)
                self.assertTrue(chunk, buf)
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
            c.sendall(ws_frame(b"through squid"))
            frames = []
            while not frames:
                frames, buf = ws_parse(buf)
                if not frames:
                    chunk = c.recv(4096)
                    self.assertTrue(chunk)
                    buf += chunk
            self.assertEqual(frames[0], (0x1, b"through squid"))
            c.sendall(ws_frame(b"\x03\xe8", opcode=0x8))  # close, 1000
            while c.recv(4096):
                pass  # the origin's close frame, then its end
        self.finish(proxy)
        self.assertLogged(self.squid, rf"CONNECT {HOST}:{origin.port} ")
        self.assertNotIn(f"GET http://{HOST}:{origin.port}/", self.squid.access_log())

    def test_direct_and_forwarded_connections_are_pooled_apart(self):
        # The same origin direct and through squid, on one worker (one pool): each request
        # reuses the connection pooled for its own kind, never the other's (squid logs
        # exactly the forwarded requests, nginx would answer a forwarded one 400).
        proxy = self.start_proxy("--workers", "1",
                                 "--upstream-rule", f"localhost={self.squid.url}",
                                 "--upstream-rule", f"{HOST}=direct")
        forwarded = lambda: len(re.findall(rf" GET http://localhost:{self.nginx.port}/1k ",
                                           self.squid.access_log()))
        before = forwarded()
        for url in (self.nginx.url("1k"), f"http://localhost:{self.nginx.port}/1k",
                    self.nginx.url("1k"), f"http://localhost:{self.nginx.port}/1k"):
            r = curl("-x", proxy.url, url)
            self.assertEqual(r.status, 200, r)
        entries, _, _, _ = self.finish(proxy)
        self.assertEqual([e.get("_upstream") for e in entries],
                         [None, f"via {self.squid.url}"] * 2)
        self.assertEqual([bool(e.get("_serverReused")) for e in entries],
                         [False, False, True, True])
        self.assertEqual(eventually(forwarded, lambda n: n >= before + 2) - before, 2)


class ThreeHops(UpstreamTestCase):
    def chain(self):
        return (self.squid.url, self.tinyproxy.url, self.mitm.url)

    def test_http_and_https_through_squid_tinyproxy_mitmproxy(self):
        args = []
        for hop in self.chain():
            args += ["--upstream", hop]
        proxy = self.start_proxy(*args)
        self.get_through(proxy)
        self.get_https_through(proxy, "100k")
        entries, _, _, _ = self.finish(proxy)
        via = "via " + " → ".join(self.chain())
        self.assertEqual(self.entry(entries, f"{self.nginx.port}/1m")["_upstream"], via)
        self.assertEqual(self.entry(entries, "/100k")["_upstream"], via)
        # Each hop was asked for the next one: CONNECT inside CONNECT, then SOCKS5.
        self.assertLogged(self.squid, rf"CONNECT {HOST}:{self.tinyproxy.port} ")
        self.assertIn(f"CONNECT {HOST}:{self.mitm.port}", self.tinyproxy.output())
        mitm = self.mitm.output()
        self.assertIn(f"server connect {HOST}:{self.nginx.port}", mitm)
        self.assertIn(f"server connect localhost:{self.tls_nginx.port}", mitm)

    def test_http_is_forwarded_to_an_http_last_hop(self):
        # tinyproxy, then squid: CONNECT to squid through tinyproxy, and squid gets the
        # request in absolute-form; https still tunnels through both.
        proxy = self.start_proxy("--upstream", self.tinyproxy.url, "--upstream", self.squid.url)
        self.get_through(proxy, "100k")
        self.get_https_through(proxy, "1k")
        entries, _, _, _ = self.finish(proxy)
        via = f"via {self.tinyproxy.url} → {self.squid.url}"
        self.assertEqual(self.entry(entries, f"{self.nginx.port}/100k")["_upstream"], via)
        self.assertEqual(self.entry(entries, f"{self.tls_nginx.port}/1k")["_upstream"], via)
        self.assertIn(f"CONNECT {HOST}:{self.squid.port}", self.tinyproxy.output())
        self.assertLogged(self.squid, rf" GET http://{HOST}:{self.nginx.port}/100k ")
        self.assertLogged(self.squid, rf"CONNECT localhost:{self.tls_nginx.port} ")

    def test_https_hop_inside_a_squid_tunnel(self):
        # TLS to hop 2 goes through the CONNECT tunnel of hop 1.
        proxy = self.start_proxy("--upstream", self.squid.url, "--upstream", self.tls_proxy.url)
        self.get_https_through(proxy, "1m")
        entries, _, _, _ = self.finish(proxy)
        self.assertEqual(self.entry(entries, "/1m")["_upstream"],
                         f"via {self.squid.url} → {self.tls_proxy.url}")
        self.assertLogged(self.squid, rf"CONNECT {HOST}:{self.tls_proxy.port} ")

    def test_rules_pick_the_chain_per_host(self):
        # localhost goes through squid; 127.0.0.1 direct; anything else through a dead hop.
        dead = f"http://{HOST}:{closed_port()}"
        proxy = self.start_proxy("--upstream", dead,
                                 "--upstream-rule", f"localhost={self.squid.url}",
                                 "--upstream-rule", f"{HOST}=direct")
        r = curl("-x", proxy.url, f"http://localhost:{self.nginx.port}/1k")
        self.assertEqual(r.status, 200, r)
        r = curl("-x", proxy.url, self.nginx.url("100k"))
        self.assertEqual(r.status, 200, r)
        r = curl("-x", proxy.url, f"http://example.invalid:{self.nginx.port}/")
        self.assertEqual(r.status, 502, r)
        entries, _, _, _ = self.finish(proxy)
        self.assertEqual(self.entry(entries, "/1k")["_upstream"], f"via {self.squid.url}")
        self.assertNotIn("_upstream", self.entry(entries, "/100k"))
        failed = self.entry(entries, "example.invalid:" + str(self.nginx.port) + "/")
        self.assertNamesHop(failed["_error"], 1, dead)


class FailingHops(UpstreamTestCase):
    def fail_through(self, *chain, url=None, status=502, extra=()):
        args = list(extra)
        for hop in chain:
            args += ["--upstream", hop]
        proxy = self.start_proxy(*args)
        r = curl("-x", proxy.url, url or self.nginx.url("1k"))
        self.assertEqual(r.status, status, r)
        entries, _, output, har = self.finish(proxy)
        self.assertEqual(len(entries), 1)
        return r.stdout.decode(errors="replace"), entries[0], output, har

    def test_refusing_first_hop_is_named(self):
        hop = f"http://{HOST}:{closed_port()}"
        body, e, _, _ = self.fail_through(hop)
        self.assertNamesHop(body, 1, hop)
        self.assertIn("refused", body)
        self.assertNamesHop(e["_error"], 1, hop)
        self.assertEqual(e["_upstream"], f"via {hop}")

    def test_down_hop_behind_squid_is_reported_by_squid(self):
        down = f"http://{HOST}:{closed_port()}"
        body, e, _, _ = self.fail_through(self.squid.url, down)
        # squid could not reach hop 2: hop 1 refused the CONNECT to it, with squid's status.
        self.assertNamesHop(body, 1, self.squid.url)
        self.assertIn(f"CONNECT to {HOST}:{down.rsplit(':', 1)[1]}", body)
        self.assertRegex(body, r": 50[23] ")
        self.assertNamesHop(e["_error"], 1, self.squid.url)

    def test_407_from_the_second_hop_is_named_and_not_passed_through(self):
        body, e, _, _ = self.fail_through(self.tinyproxy.url, self.squid_auth.url)
        self.assertNamesHop(body, 2, self.squid_auth.url)
        self.assertIn("407", body)
        self.assertNotIn("Proxy-Authenticate", json.dumps(e["response"]["headers"]))
        self.assertNamesHop(e["_error"], 2, self.squid_auth.url)

    def test_credentials_are_sent_but_never_shown(self):
        good = f"http://alice:{SECRET}@{HOST}:{self.squid_auth.port}"
        shown = f"http://alice:***@{HOST}:{self.squid_auth.port}"
        basic = base64.b64encode(f"alice:{SECRET}".encode()).decode()
        proxy = self.start_proxy("--upstream", self.tinyproxy.url, "--upstream", good)
        self.get_through(proxy, "100k")  # forwarded to squid, the credentials in the request
        self.get_https_through(proxy, "1k")  # tunnelled, the credentials in the CONNECT
        entries, _, output, har = self.finish(proxy)
        self.assertEqual(self.entry(entries, "/100k")["_upstream"],
                         f"via {self.tinyproxy.url} → {shown}")
        self.assertIn(shown, output)  # the startup line
        for where, text in (("output", output), ("HAR", har)):
            self.assertNotIn(SECRET, text, where)
            self.assertNotIn(basic, text, where)
        self.assertNotIn("Proxy-Authorization",
                         json.dumps(self.entry(entries, "/100k")["request"]["headers"]))
        self.assertLogged(self.squid_auth, rf" GET http://{HOST}:{self.nginx.port}/100k alice ")
        self.assertLogged(self.squid_auth, rf"CONNECT localhost:{self.tls_nginx.port} alice ")

    def test_wrong_password_is_named_and_redacted(self):
        wrong = f"http://alice:not-{SECRET}@{HOST}:{self.squid_auth.port}"
        shown = f"http://alice:***@{HOST}:{self.squid_auth.port}"
        body, e, output, har = self.fail_through(wrong)
        self.assertNamesHop(body, 1, shown)
        self.assertIn("407", body)
        for where, text in (("body", body), ("output", output), ("HAR", har)):
            self.assertNotIn(SECRET, text, where)

    def test_hanging_hop_times_out_with_504_naming_it(self):
        # In the middle of the chain: the CONNECT to hop 3 through it is never answered.
        silent = Silent()
        self.addCleanup(silent.stop)
        hop = f"http://{HOST}:{silent.port}"
        t0 = time.monotonic()
        body, e, _, _ = self.fail_through(self.squid.url, hop, self.tinyproxy.url, status=504,
                                          extra=("--connect-timeout", "2"))
        self.assertLess(time.monotonic() - t0, 15)
        self.assertNamesHop(body, 2, hop)
        self.assertIn("did not answer within 2 s", body)
        self.assertNamesHop(e["_error"], 2, hop)

    def test_silent_forwarding_hop_times_out_with_504_naming_it(self):
        # The last hop takes the forwarded request and never answers: the response timeout.
        silent = Silent()
        self.addCleanup(silent.stop)
        hop = f"http://{HOST}:{silent.port}"
        body, e, _, _ = self.fail_through(hop, status=504, extra=("--response-timeout", "2"))
        self.assertIn(f"no response from hop 1 ({hop}) (forwarding to {HOST}:{self.nginx.port})",
                      body)
        self.assertNamesHop(e["_error"], 1, hop)


class Startup(unittest.TestCase):
    def run_tunnelscope(self, *args):
        return subprocess.run([support.tunnelscope_bin(), "--headless", "--listen", f"{HOST}:0",
                               *args], capture_output=True, text=True, timeout=20,
                              env=support.clean_env())

    def test_bad_urls_are_reported_with_the_password_redacted(self):
        for args in (("--upstream", f"http://bob:{SECRET}@proxy.test:3128/path"),
                     ("--upstream", f"ftp://bob:{SECRET}@proxy.test:21"),
                     ("--upstream-rule", f"*.test=http://bob:{SECRET}@proxy.test:99999"),
                     ("--upstream-rule", f"http://bob:{SECRET}@proxy.test:3128")):
            with self.subTest(args=args[0] + " " + args[1].split(":")[0]):
                r = self.run_tunnelscope(*args)
                self.assertEqual(r.returncode, 2, r)
                self.assertNotIn(SECRET, r.stdout + r.stderr)
                self.assertIn("***", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
