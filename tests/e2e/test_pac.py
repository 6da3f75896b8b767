"""The proxy auto-config file at /proxy.pac: fetched from a running proxy, evaluated with the
standard PAC helpers in Node (pac_eval.js), it routes hosts as --pac-rules says; and a request
sent where the file says arrives through the proxy."""

import json
import os
import subprocess
import tempfile
import unittest

import support
from support import HOST

HERE = os.path.dirname(os.path.abspath(__file__))


def evaluate(pac_text, hosts):
    with tempfile.NamedTemporaryFile("w", suffix=".pac", delete=False) as f:
        f.write(pac_text)
        path = f.name
    try:
        cases = [[f"https://{h}/path", h] for h in hosts]
        p = subprocess.run(["node", os.path.join(HERE, "pac_eval.js"), path, json.dumps(cases)],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise AssertionError(f"node failed: {p.stderr}")
        return dict(zip(hosts, json.loads(p.stdout)))
    finally:
        os.unlink(path)


class ProxyAutoConfig(unittest.TestCase):

    def start_proxy(self, *args):
        self.proxy = support.Proxy(*args, har=False)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()

    def fetch_pac(self, path="/proxy.pac"):
        r = support.curl(f"http://{HOST}:{self.proxy.port}{path}")
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        self.assertEqual(r.info.get("content_type"), "application/x-ns-proxy-autoconfig")
        return r.stdout.decode()

    def test_default_sends_all_but_loopback_through_the_proxy(self):
        self.start_proxy()
        through = f"PROXY {HOST}:{self.proxy.port}"
        routes = evaluate(self.fetch_pac(), ["example.com", "a.b.example.org", "intranet",
                                             "localhost", "127.0.0.1", "::1"])
        self.assertEqual(routes, {
            "example.com": through, "a.b.example.org": through, "intranet": through,
            "localhost": "DIRECT", "127.0.0.1": "DIRECT", "::1": "DIRECT"})
        # The WPAD name serves the same file.
        self.assertEqual(self.fetch_pac("/wpad.dat"), self.fetch_pac())

    def test_rules_choose_the_hosts(self):
        self.start_proxy("--pac-rules", "!login.example.com, *.example.com",
                         "--pac-rules", "API.Other.test,127.0.0.2")
        through = f"PROXY {HOST}:{self.proxy.port}"
        routes = evaluate(self.fetch_pac(), [
            "www.example.com", "login.example.com", "example.com", "api.other.test",
            "API.OTHER.TEST", "other.test", "127.0.0.2", "127.0.0.1", "unrelated.test"])
        self.assertEqual(routes, {
            "www.example.com": through, "login.example.com": "DIRECT",
            "example.com": "DIRECT",  # "*.example.com" wants a subdomain
            "api.other.test": through, "API.OTHER.TEST": through, "other.test": "DIRECT",
            "127.0.0.2": through,  # a rule wins over the loopback default
            "127.0.0.1": "DIRECT", "unrelated.test": "DIRECT"})

    def test_https_listener_names_an_https_proxy(self):
        port = support.free_port()
        self.start_proxy("--listen-https", f"{HOST}:{port}")
        # HTTP/1.1: over HTTP/2 the proxy reads every request as a forward one, so a GET of
        # its own address is a loop (508), for the info page as for this file.
        r = support.curl("--http1.1", "-k", f"https://{HOST}:{port}/proxy.pac")
        self.assertEqual((r.returncode, r.status), (0, 200), r)
        routes = evaluate(r.stdout.decode(), ["example.com"])
        self.assertEqual(routes, {"example.com": f"HTTPS {HOST}:{port}"})

    def test_bad_rules_are_refused_at_start(self):
        p = subprocess.run([support.tunnelscope_bin(), "--headless", "--listen", f"{HOST}:0",
                            "--pac-rules", 'a.test,x");alert(1);//'],
                           capture_output=True, text=True, timeout=15, env=support.clean_env())
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("--pac-rules", p.stderr)

    def test_the_route_it_gives_works(self):
        origin = support.PyOrigin().start()
        self.addCleanup(origin.stop)
        self.start_proxy("--pac-rules", "127.0.0.1")
        answer = evaluate(self.fetch_pac(), [HOST])[HOST]
        kind, address = answer.split(" ")
        self.assertEqual(kind, "PROXY")
        r = support.curl("-x", f"http://{address}", "--data-binary", "via pac",
                         origin.url("/echo"))
        self.assertEqual((r.status, r.stdout), (200, b"via pac"), r)
        self.proxy.wait_line(r" POST http://127\.0\.0\.1:\d+/echo 200 ")


if __name__ == "__main__":
    unittest.main()
