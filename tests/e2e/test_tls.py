"""TLS interception end to end: curl through tunnelscope to nginx and a Python origin over
HTTPS signed by a test CA; verification failures; pass-through; the HTTPS proxy listener;
key logging; the CA on disk and its download."""

import hashlib
import os
import re
import stat
import subprocess
import time
import unittest

import support
import tls_support
from support import HOST, curl


class TlsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tls_support.TestPki()
        cls.nginx = tls_support.NginxTls(cls.pki).start()
        cls.origin = tls_support.TlsPyOrigin(cls.pki).start()

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()
        cls.nginx.stop()
        cls.pki.cleanup()

    def start_proxy(self, *args):
        proxy = support.Proxy("--upstream-ca", self.pki.ca, *args)
        proxy.start()
        self.addCleanup(proxy.cleanup)
        return proxy

    def ts_ca(self, proxy):
        return os.path.join(proxy.ca_dir, "ca.pem")

    def entries(self, proxy):
        proxy.stop()
        return proxy.har()["log"]["entries"]


class Interception(TlsTestCase):
    def test_get_is_decrypted_and_recorded_with_tls_details(self):
        proxy = self.start_proxy()
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy), self.nginx.url("1m"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                         support.sha256_file(self.nginx.path("1m")))
        proxy.wait_line(rf"GET https://localhost:{self.nginx.port}/1m 200 1048576B")
        [entry] = [e for e in self.entries(proxy) if e["request"]["url"].endswith("/1m")]
        self.assertEqual(entry["response"]["status"], 200)
        tls = entry["_tls"]
        self.assertTrue(tls["intercepted"])
        self.assertEqual(tls["server"]["sni"], "localhost")
        self.assertTrue(tls["server"]["verified"], tls)
        self.assertRegex(tls["server"]["version"], r"TLSv1\.[23]")
        self.assertTrue(tls["server"]["cipher"])
        chain = tls["server"]["chain"]
        self.assertIn("localhost", chain[0]["names"])
        self.assertIn("Tunnelscope test origin CA", chain[0]["issuer"])
        self.assertRegex(chain[0]["sha256"], r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")
        self.assertIn("http/1.1", tls["client"]["alpnOffered"])
        # curl offers h2 first and gets it: the proxy speaks HTTP/2 inside the tunnel.
        self.assertEqual(tls["client"]["alpn"], "h2")
        self.assertEqual(entry["request"]["httpVersion"], "http/2.0")
        self.assertGreaterEqual(tls["server"]["handshakeMicros"], 0)

    def test_client_sees_a_certificate_minted_by_our_ca(self):
        proxy = self.start_proxy()
        r = curl("-v", "-x", proxy.url, "--cacert", self.ts_ca(proxy), self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stderr, r"issuer: .*Tunnelscope")
        self.assertRegex(r.stderr, r"subjectAltName: host \"localhost\" matched")

    def test_post_of_one_mib_arrives_intact(self):
        proxy = self.start_proxy()
        body = support.deterministic_bytes(1 << 20, b"post")
        path = os.path.join(proxy.dir, "post.bin")
        with open(path, "wb") as f:
            f.write(body)
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy), "--data-binary", "@" + path,
                 self.origin.url("/echo"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, body)
        self.assertEqual(self.origin.requests[-1]["body"], body)

    def test_64_mib_body_is_byte_identical(self):
        proxy = self.start_proxy()
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy), self.nginx.url("64m"),
                 timeout=120)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                         support.sha256_file(self.nginx.path("64m")))

    def test_keep_alive_inside_the_tunnel(self):
        # HTTP/1.1 keep-alive inside the decrypted tunnel reuses the server connection made for
        # the handshake. (Requests on different h2 streams each open their own for now.)
        proxy = self.start_proxy()
        r = curl("-v", "--http1.1", "-x", proxy.url, "--cacert", self.ts_ca(proxy),
                 self.nginx.url("1k"), self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("Re-using existing connection", r.stderr)
        log = self.nginx.access_log()[-2:]
        self.assertEqual(log[0]["connection"], log[1]["connection"], log)


class Verification(TlsTestCase):
    def test_expired_certificate_gets_502_with_the_reason(self):
        proxy = self.start_proxy()
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy),
                 self.nginx.url("1k", port=self.nginx.expired_port))
        self.assertEqual(r.status, 502, r)
        self.assertIn(b"certificate has expired", r.stdout)
        proxy.wait_line(r"502 .*error=.*certificate has expired")

    def test_wrong_name_gets_502_with_the_reason(self):
        proxy = self.start_proxy()
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy),
                 self.nginx.url("1k", port=self.nginx.wrong_port))
        self.assertEqual(r.status, 502, r)
        self.assertIn(b"mismatch", r.stdout)

    def test_unknown_issuer_gets_502(self):
        proxy = support.Proxy()  # without --upstream-ca: the origin CA is unknown
        proxy.start()
        self.addCleanup(proxy.cleanup)
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy), self.nginx.url("1k"))
        self.assertEqual(r.status, 502, r)
        self.assertIn(b"local issuer certificate", r.stdout)

    def test_insecure_upstream_lets_them_through(self):
        proxy = self.start_proxy("--insecure-upstream")
        for port in (self.nginx.expired_port, self.nginx.wrong_port):
            r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy),
                     self.nginx.url("1k", port=port))
            self.assertEqual(r.status, 200, r)
        entries = self.entries(proxy)
        self.assertTrue(all(not e["_tls"]["server"]["verified"] for e in entries))
        self.assertTrue(any("expired" in e["_tls"]["server"]["verifyError"] for e in entries))

    def test_insecure_host_pattern(self):
        proxy = self.start_proxy("--insecure-host", "localhost")
        r = curl("-x", proxy.url, "--cacert", self.ts_ca(proxy),
                 self.nginx.url("1k", port=self.nginx.expired_port))
        self.assertEqual(r.status, 200, r)


class PassThrough(TlsTestCase):
    def test_passthrough_host_shows_the_real_certificate(self):
        proxy = self.start_proxy("--passthrough", "local*")
        # Trusting only the origin's CA works: nothing was re-signed.
        r = curl("-v", "-x", proxy.url, "--cacert", self.pki.ca, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("Tunnelscope test origin CA", r.stderr)
        line = proxy.wait_line(rf"CONNECT localhost:{self.nginx.port} 200 up=\d+B down=\d+B")[0]
        up, down = map(int, re.search(r"up=(\d+)B down=(\d+)B", line).groups())
        self.assertGreater(up, 200)
        self.assertGreater(down, 1024)

    def test_regex_pattern(self):
        proxy = self.start_proxy("--passthrough", "re:^local(host)?$")
        r = curl("-x", proxy.url, "--cacert", self.pki.ca, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)

    def test_no_intercept(self):
        proxy = self.start_proxy("--no-intercept")
        r = curl("-x", proxy.url, "--cacert", self.pki.ca, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)

    def test_client_rejecting_the_certificate_is_recorded_and_can_pass_through(self):
        proxy = self.start_proxy("--passthrough-rejecting")
        # curl trusts only the origin's CA: it refuses our certificate.
        r = curl("-x", proxy.url, "--cacert", self.pki.ca, self.nginx.url("1k"))
        self.assertNotEqual(r.returncode, 0, r)
        proxy.wait_line(r"CONNECT .*error=\"the client rejected the certificate")
        # From now on the host is passed through, so the same curl succeeds.
        r = curl("-x", proxy.url, "--cacert", self.pki.ca, self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)

    def test_non_tls_tunnel_is_relayed(self):
        plain = support.Nginx().start()
        self.addCleanup(plain.stop)
        proxy = self.start_proxy()
        r = curl("-p", "-x", proxy.url, plain.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, open(plain.path("1k"), "rb").read())


class HttpsProxy(TlsTestCase):
    def start_https_proxy(self, *args):
        proxy = self.start_proxy("--listen-https", f"{HOST}:0", *args)
        m = None
        deadline = time.monotonic() + 10
        while m is None and time.monotonic() < deadline:
            for line in list(proxy.stderr_lines):
                m = m or re.search(r"listening on (\S+):(\d+) for HTTPS proxy clients", line)
            time.sleep(0.05)
        self.assertIsNotNone(m, proxy.stderr_lines)
        return proxy, f"https://{HOST}:{m.group(2)}"

    def test_http_target_over_tls_to_the_proxy(self):
        plain = support.Nginx().start()
        self.addCleanup(plain.stop)
        proxy, url = self.start_https_proxy()
        r = curl("-x", url, "--proxy-cacert", self.ts_ca(proxy), plain.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, open(plain.path("1k"), "rb").read())
        [entry] = self.entries(proxy)
        # The TLS to the proxy itself is on the flow (curl offers no ALPN to a proxy).
        self.assertRegex(entry["_tls"]["client"]["version"], r"TLSv1\.[23]")
        self.assertFalse(entry["_tls"]["intercepted"])

    def test_https_target_over_tls_to_the_proxy(self):
        proxy, url = self.start_https_proxy()
        r = curl("-x", url, "--proxy-cacert", self.ts_ca(proxy), "--cacert",
                 self.ts_ca(proxy), self.nginx.url("100k"))
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, open(self.nginx.path("100k"), "rb").read())


class KeysAndCa(TlsTestCase):
    def test_key_log_has_lines_for_both_sides(self):
        keylog = os.path.join(self.pki.dir, "keys.log")
        proxy = self.start_proxy("--keylog", keylog)
        r = curl("--http1.1", "-x", proxy.url, "--cacert", self.ts_ca(proxy),
                 self.nginx.url("1k"))
        self.assertEqual(r.returncode, 0, r)
        with open(keylog) as f:
            lines = f.read().splitlines()
        # NSS key log lines name the handshake by its client random: one with curl, one with
        # nginx.
        randoms = {line.split()[1] for line in lines if line.strip()}
        self.assertEqual(len(randoms), 2, lines)

    def test_sslkeylogfile_environment_variable(self):
        keylog = os.path.join(self.pki.dir, "env-keys.log")
        env = support.clean_env(SSLKEYLOGFILE=keylog)
        proxy = self.start_proxy()
        proxy.stop()
        args = proxy.args
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        try:
            line = p.stderr.readline().decode()
            port = re.search(r":(\d+)$", line.strip()).group(1)
            r = curl("-x", f"http://{HOST}:{port}", "--cacert", self.ts_ca(proxy),
                     self.nginx.url("1k"))
            self.assertEqual(r.returncode, 0, r)
        finally:
            support.stop_process(p)
            p.stderr.close()
        self.assertTrue(os.path.getsize(keylog) > 0)

    def test_ca_key_is_private_and_certificate_exports(self):
        proxy = self.start_proxy()
        key = os.path.join(proxy.ca_dir, "ca-key.pem")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(proxy.ca_dir).st_mode), 0o700)
        for name, marker in (("ca.pem", b"-----BEGIN CERTIFICATE-----"), ("ca.der", b"\x30")):
            out = os.path.join(proxy.dir, "export-" + name)
            subprocess.run([proxy.bin, "--ca-dir", proxy.ca_dir, "--export-ca", out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(out, "rb") as f:
                self.assertTrue(f.read().startswith(marker))
        # The same certificate is offered for download on the proxy's info page.
        r = curl(f"{proxy.url}/ca.pem")
        self.assertEqual(r.stdout, open(os.path.join(proxy.ca_dir, "ca.pem"), "rb").read())
        r = curl(f"{proxy.url}/")
        self.assertIn(b"/ca.pem", r.stdout)
        self.assertIn(b"update-ca-certificates", r.stdout)

    def test_regenerate_changes_the_ca(self):
        proxy = self.start_proxy()
        proxy.stop()
        before = open(os.path.join(proxy.ca_dir, "ca.pem"), "rb").read()
        subprocess.run([proxy.bin, "--ca-dir", proxy.ca_dir, "--regenerate-ca", "--export-ca",
                        os.path.join(proxy.dir, "new.pem")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = open(os.path.join(proxy.ca_dir, "ca.pem"), "rb").read()
        self.assertNotEqual(before, after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
