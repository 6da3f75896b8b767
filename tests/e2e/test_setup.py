"""The terminal lines of the proxy's info page work as written: pasted into bash next to the
CA downloaded from the page, they send curl and Python's urllib through the proxy to an HTTPS
origin, trusting the interception CA (through the bundle they make) and nothing else new."""

import html
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import support
import tls_support
from support import HOST


class InfoPageTerminalLines(unittest.TestCase):

    def setUp(self):
        pki = tls_support.TestPki()
        self.addCleanup(pki.cleanup)
        self.origin = tls_support.TlsPyOrigin(pki).start()
        self.addCleanup(self.origin.stop)
        self.proxy = support.Proxy("--upstream-ca", pki.ca, har=False)
        self.addCleanup(self.proxy.cleanup)
        self.proxy.start()
        self.dir = tempfile.mkdtemp(prefix="ts-setup-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_snippet_sends_curl_and_python_through_the_proxy(self):
        page = support.curl(self.proxy.url + "/")
        self.assertEqual(page.status, 200, page)
        m = re.search(r"<h2>Terminal</h2>\n<pre>(.*?)</pre>", page.stdout.decode(), re.S)
        self.assertIsNotNone(m, page.stdout[:2000])
        snippet = html.unescape(m.group(1))
        self.assertIn("no_proxy=localhost,127.0.0.1,::1", snippet)
        ca = support.curl("-o", os.path.join(self.dir, "tunnelscope-ca.pem"),
                          self.proxy.url + "/ca.pem")
        self.assertEqual(ca.status, 200, ca)

        url = self.origin.url("/echo")
        script = (
            "set -e\n" + snippet + "\n"
            # The origin is on localhost, which the lines rightly keep direct; here it is the
            # host being debugged.
            "unset no_proxy NO_PROXY\n"
            f"curl -q -sS --max-time 20 --data-binary from-curl {url}\n"
            "echo\n"
            "/usr/bin/python3 -c 'import sys, urllib.request; "
            f"sys.stdout.write(urllib.request.urlopen(\"{url}\", data=b\"from-python\", "
            "timeout=20).read().decode())'\n")
        p = subprocess.run(["bash", "-c", script], cwd=self.dir, capture_output=True, text=True,
                           timeout=60, env=support.clean_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), ["from-curl", "from-python"], p.stderr)
        # Both went through the proxy, intercepted.
        self.proxy.wait_line(rf" POST https://localhost:{self.origin.port}/echo 200 ", count=2)


if __name__ == "__main__":
    unittest.main()
