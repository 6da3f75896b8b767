"""Streams, never buffers whole: a 1 GiB download through tunnelscope keeps its memory flat,
and a slow reader does not make it grow with the origin's speed."""

import os
import signal
import subprocess
import time
import unittest

import support
from support import GIB, MIB

MAX_RSS_MIB = 150       # generous: the point is that it stays flat, not the exact number
MAX_GROWTH_MIB = 64     # a slow reader may not make the proxy hold more than this


class Streaming(support.ProxyTestCase):
    NGINX_LARGE = True
    PYORIGIN = False

    def test_one_gib_download_with_flat_memory(self):
        baseline = support.rss_kib(self.proxy.pid) / 1024
        for mode in ("forward", "tunnel"):
            with self.subTest(mode=mode):
                args = ["-p"] if mode == "tunnel" else []
                with support.RssSampler(self.proxy.pid) as rss:
                    r = self.curl_proxy(*args, "-o", "/dev/null", self.nginx.url("1g"),
                                        timeout=120)
                self.assertEqual(r.returncode, 0, r)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.info["size_download"], 1 * GIB, r)
                print(f"\n{mode}: 1 GiB at {r.info['speed_download'] / MIB:.0f} MiB/s, "
                      f"proxy RSS {baseline:.1f} MiB at start, max {rss.max_mib:.1f} MiB",
                      flush=True)
                self.assertLess(rss.max_mib, MAX_RSS_MIB,
                                f"proxy RSS reached {rss.max_mib:.0f} MiB during a 1 GiB {mode}")

    def slow_reader(self, *curl_args):
        baseline = support.rss_kib(self.proxy.pid) / 1024
        cmd = ["curl", "-q", "-sS", "-x", self.proxy.url, *curl_args, "--limit-rate", "20M",
               "-o", "/dev/null", "--max-time", "30", self.nginx.url("1g")]
        with support.RssSampler(self.proxy.pid) as rss:
            reader = subprocess.Popen(cmd, env=support.clean_env(), stderr=subprocess.DEVNULL)
            try:
                time.sleep(4)
                self.assertIsNone(reader.poll(), "curl finished early: was --limit-rate ignored?")
            finally:
                support.stop_process(reader, signal.SIGKILL)
            time.sleep(0.5)  # let the proxy notice the reader is gone
        growth = rss.max_mib - baseline
        print(f"\nslow reader {' '.join(curl_args) or 'forward'}: proxy RSS {baseline:.1f} MiB "
              f"at start, max {rss.max_mib:.1f} MiB", flush=True)
        self.assertLess(growth, MAX_GROWTH_MIB,
                        f"proxy RSS grew by {growth:.0f} MiB while a 20 MB/s reader pulled from a "
                        "fast origin: it buffers instead of applying back-pressure")
        self.assertProxyAlive()

    def test_slow_reader_forward(self):
        self.slow_reader()

    def test_slow_reader_tunnel(self):
        self.slow_reader("-p")


if __name__ == "__main__":
    unittest.main(verbosity=2)
