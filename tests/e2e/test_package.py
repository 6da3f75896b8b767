"""The Debian package: cpack builds it from the build tree (TS_BUILD_DIR), then it is
unpacked with dpkg -x into a temp dir (no root, no chroot) and checked: control fields with
Depends from dpkg-shlibdeps, the files in their standard places, the desktop entry, AppStream
metadata, man pages that list every --help option, lintian (errors fail the test), and the
installed binary: --version, and a headless proxy forwarding one request to a local origin."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import support
from support import HOST

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
METAINFO = "usr/share/metainfo/io.github.tunnelscope.Tunnelscope.metainfo.xml"


def run(*cmd, timeout=120, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, env=support.clean_env(), **kw)


class Package(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        build = os.environ.get("TS_BUILD_DIR") or os.path.join(support.REPO, "build")
        config = os.path.join(build, "CPackConfig.cmake")
        if not os.path.exists(config):
            raise RuntimeError(f"{config} is missing: configure and build {build} first")
        cls.tmp = tempfile.mkdtemp(prefix="ts-package-")
        out = os.path.join(cls.tmp, "out")
        p = run("cpack", "-G", "DEB", "--config", config, "-B", out, timeout=240)
        if p.returncode != 0:
            raise RuntimeError(f"cpack failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        if len(debs) != 1:
            raise RuntimeError(f"expected one .deb in {out}, got {debs}")
        cls.deb = os.path.join(out, debs[0])
        cls.root = os.path.join(cls.tmp, "root")
        p = run("dpkg", "-x", cls.deb, cls.root)
        if p.returncode != 0:
            raise RuntimeError(f"dpkg -x failed: {p.stderr}")
        cls.bin = os.path.join(cls.root, "usr/bin/tunnelscope")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, relative):
        return os.path.join(self.root, relative)

    def field(self, name):
        p = run("dpkg-deb", "-f", self.deb, name)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.strip()

    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "tunnelscope")
        version = run(self.bin, "--version").stdout.split()[-1]
        self.assertEqual(self.field("Version"), version)
        self.assertEqual(self.field("Architecture"),
                         run("dpkg", "--print-architecture").stdout.strip())
        depends = self.field("Depends")
        # From dpkg-shlibdeps: the libraries the binary links, with versions.
        for lib in ("libc6", "libqt6core6", "libqt6widgets6", "libqt6network6", "libssl3",
                    "libnghttp2-14"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)} \(>= [^)]+\)", depends)
        self.assertIn("libqt6svg6", depends)  # the icon's SVG plugin, loaded at run time

    def test_files_in_standard_places(self):
        for relative in ("usr/bin/tunnelscope",
                         "usr/share/applications/tunnelscope.desktop",
                         "usr/share/icons/hicolor/scalable/apps/tunnelscope.svg",
                         METAINFO,
                         "usr/share/man/man1/tunnelscope.1.gz",
                         "usr/share/man/man1/tunnelscope-send.1.gz",
                         "usr/share/doc/tunnelscope/copyright",
                         "usr/share/doc/tunnelscope/changelog.gz",
                         "usr/share/doc/tunnelscope/README.md"):  # Help > User Guide
            self.assertTrue(os.path.isfile(self.path(relative)), relative)
        for size in ICON_SIZES:
            png = self.path(f"usr/share/icons/hicolor/{size}x{size}/apps/tunnelscope.png")
            with open(png, "rb") as f:
                head = f.read(24)
            self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n", png)
            width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
            self.assertEqual((width, height), (size, size), png)
        # Nothing else: no headers, static libraries, test or benchmark binaries.
        self.assertEqual(os.listdir(self.path("usr/bin")), ["tunnelscope"])
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                self.assertFalse(name.endswith((".a", ".h", ".cmake")), name)

    def test_desktop_entry(self):
        desktop = self.path("usr/share/applications/tunnelscope.desktop")
        with open(desktop, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("\nExec=tunnelscope\n", text)
        self.assertIn("\nIcon=tunnelscope\n", text)
        if shutil.which("desktop-file-validate"):
            p = run("desktop-file-validate", desktop)
            self.assertEqual((p.returncode, p.stdout.strip()), (0, ""), p.stderr)

    def test_appstream_metadata(self):
        p = run("appstreamcli", "validate", "--no-net", "--pedantic", self.path(METAINFO))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        print(p.stdout.strip())

    def man_text(self, page):
        env = support.clean_env(MANWIDTH="100", MAN_KEEP_FORMATTING="0")
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l",
                            self.path(f"usr/share/man/man1/{page}.1.gz")],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.strip(), "", f"troff warnings in {page}.1")
        return re.sub(r".\x08", "", p.stdout)

    def test_man_pages_match_help(self):
        for page, args in (("tunnelscope", ["--help"]), ("tunnelscope-send", ["send", "--help"])):
            text = self.man_text(page)
            self.assertIn("NAME", text)
            helped = run(self.bin, *args).stdout
            options = set(re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", helped))
            self.assertGreater(len(options), 5 if page == "tunnelscope" else 3, helped)
            for option in sorted(options):
                self.assertIn(option, text, f"{option} is in {' '.join(args)} but not in "
                              f"{page}(1)")

    def test_lintian(self):
        if not shutil.which("lintian"):
            self.skipTest("lintian is not installed")
        p = run("lintian", "--tag-display-limit", "0", "--allow-root", self.deb, timeout=240)
        print(p.stdout.strip())
        errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], p.stdout + p.stderr)

    def test_installed_binary_runs_a_proxy(self):
        p = run(self.bin, "--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^Tunnelscope \d+\.\d+\.\d+")
        origin = support.PyOrigin().start()
        proxy = support.Proxy(har=False)
        proxy.args[0] = self.bin
        try:
            proxy.start()
            r = support.curl("-x", proxy.url, "--data-binary", "through the package",
                             origin.url("/echo"))
            self.assertEqual((r.returncode, r.status), (0, 200), r)
            self.assertEqual(r.stdout, b"through the package")
            proxy.wait_line(r" POST http://127\.0\.0\.1:\d+/echo 200 ")
        finally:
            proxy.cleanup()
            origin.stop()


if __name__ == "__main__":
    unittest.main()
