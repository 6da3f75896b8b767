"""Our HAR opens in Chrome DevTools: the HAR tunnelscope writes after real traffic (curl
through it to nginx and the Python origin: plain, intercepted HTTPS over HTTP/1.1 and h2, a
POST, a 404, a refused connection, a CONNECT tunnel) passes every check of DevTools' HAR
importer (devtools_har.py, a re-statement of front_end/models/har/HARFormat.ts and
Importer.ts), and what DevTools then reads from it is what happened."""

import base64
import copy
import json
import os
import unittest

import devtools_har
import support
import tls_support
from support import curl


class DevToolsOpensOurHar(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tls_support.TestPki()
        cls.tls_nginx = tls_support.NginxTls(cls.pki).start()
        cls.nginx = support.Nginx()
        cls.nginx.start()
        cls.origin = support.PyOrigin()
        cls.origin.start()
        cls.proxy = support.Proxy("--upstream-ca", cls.pki.ca)
        try:
            cls.proxy.start()
            cls.made = cls.traffic()
            cls.proxy.stop()
            cls.har = cls.proxy.har()
        finally:
            cls.proxy.cleanup()
            cls.origin.stop()
            cls.nginx.stop()
            cls.tls_nginx.stop()
            cls.pki.cleanup()

    @classmethod
    def traffic(cls):
        proxy, ca = cls.proxy.url, os.path.join(cls.proxy.ca_dir, "ca.pem")
        runs = {
            "plain": curl("-x", proxy, cls.nginx.url("1k")),
            "missing": curl("-x", proxy, cls.nginx.url("no-such-file")),
            "post": curl("-x", proxy, "--data-binary", "hello devtools",
                         "-H", "Content-Type: text/plain", cls.origin.url("/echo")),
            "refused": curl("-x", proxy, f"http://127.0.0.1:{support.free_port()}/"),
            "https": curl("-x", proxy, "--cacert", ca, "--http1.1", cls.tls_nginx.url("1k")),
            "h2": curl("-x", proxy, "--cacert", ca, "--http2", cls.tls_nginx.url("100k")),
            "tunnel": curl("-x", proxy, "-p", cls.nginx.url("1k")),
        }
        for name, r in runs.items():
            if name != "refused" and r.returncode != 0:
                raise AssertionError(f"{name}: {r}")
        with open(cls.nginx.path("1k"), "rb") as f:
            cls.one_k = f.read()  # the origins are gone when the tests look
        return runs

    def entries(self):
        return devtools_har.check(self.har)

    def entry(self, url_end):
        [e] = [e for e in self.entries() if e["request"]["url"].endswith(url_end)]
        return e

    def test_devtools_accepts_the_file(self):
        entries = self.entries()  # raises HarRejected naming the field
        self.assertEqual(len(entries), 6, [e["request"]["url"] for e in entries])

    def test_devtools_reads_what_happened(self):
        # Importer.fillRequestFromHAREntry: method, status, protocol, mime type, body, address.
        plain = self.entry(self.nginx.url("1k"))
        self.assertEqual(plain["request"]["method"], "GET")
        self.assertEqual(plain["response"]["status"], 200)
        self.assertEqual(plain["response"]["httpVersion"].lower(), "http/1.1")
        self.assertEqual(plain["response"]["content"]["size"], 1024)
        body = plain["response"]["content"]
        data = base64.b64decode(body["text"]) if body.get("encoding") == "base64" \
            else body["text"].encode()
        self.assertEqual(data, self.one_k)
        self.assertEqual(plain["serverIPAddress"], "127.0.0.1")

        post = self.entry("/echo")
        self.assertEqual(post["request"]["method"], "POST")
        self.assertEqual(post["request"]["postData"]["text"], "hello devtools")
        self.assertEqual(post["response"]["content"]["text"], "hello devtools")

        self.assertEqual(self.entry("/no-such-file")["response"]["status"], 404)
        refused = [e for e in self.entries() if e["response"]["status"] == 502]
        self.assertEqual(len(refused), 1)
        self.assertTrue(refused[0]["response"].get("_error") or refused[0].get("_error"))

        # curl spoke h2 to us, nginx (no http2 here) HTTP/1.1 to us: the entry is the
        # client's view, as a browser's HAR is; the server's wire is in _serverResponse.
        h2 = self.entry(self.tls_nginx.url("100k"))
        self.assertEqual(h2["request"]["httpVersion"], "http/2.0")
        self.assertEqual(h2["response"]["httpVersion"], "http/2.0")
        self.assertEqual(h2["response"]["_serverResponse"]["httpVersion"].lower(), "http/1.1")
        self.assertEqual(h2["response"]["content"]["size"], 100 * 1024)
        https = self.entry(self.tls_nginx.url("1k"))
        self.assertEqual(https["response"]["httpVersion"].lower(), "http/1.1")

        # Importer.setupTiming: send, wait and receive are numbers; none of ours is negative
        # (DevTools would draw a negative phase backwards).
        for e in self.entries():
            for phase in ("send", "wait", "receive"):
                self.assertGreaterEqual(e["timings"][phase], 0, (phase, e["request"]["url"]))
            self.assertGreaterEqual(e["time"], 0)

    def test_the_checker_refuses_what_devtools_refuses(self):
        # The same file, broken the ways HARFormat.ts throws on: the checker must notice.
        def broken(change):
            har = copy.deepcopy(self.har)
            change(har["log"]["entries"][0])
            return har

        cases = {
            "time missing": lambda e: e.pop("time"),
            "a date DevTools cannot parse": lambda e: e.update(startedDateTime="yesterday"),
            "response content null": lambda e: e["response"].update(content=None),
            "status not a number": lambda e: e["response"].update(status="OK"),
            "timings.wait missing": lambda e: e["timings"].pop("wait"),
            "a header that is a string": lambda e: e["request"]["headers"].append("Host: x"),
            "request.bodySize an object": lambda e: e["request"].update(bodySize={}),
        }
        for name, change in cases.items():
            with self.subTest(name), self.assertRaises(devtools_har.HarRejected):
                devtools_har.check(broken(change))
        with self.assertRaises(devtools_har.HarRejected):
            devtools_har.check({"log": {"version": "1.2", "creator": {}, "entries": {}}})
        with self.assertRaises(devtools_har.HarRejected):
            devtools_har.check(json.loads("[]"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
