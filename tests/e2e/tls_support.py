"""TLS fixtures for the end-to-end tests: a test PKI made with the openssl CLI and origins
that speak TLS with it.

* TestPki       -- an origin CA and server certificates signed by it: good (localhost and
                   127.0.0.1), expired, and for the wrong name.
* NginxTls      -- nginx serving the usual files over HTTPS on three ports, one per certificate.
* TlsPyOrigin   -- the Python origin (/echo, /headers...) behind TLS with the good certificate.
"""

import os
import shutil
import ssl
import subprocess
import tempfile
import threading

import support
from support import HOST


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class TestPki:
    """An origin CA and its server certificates, in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ts-pki-")
        d = self.dir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "origin-ca.key", "-out", "origin-ca.pem", "-days", "30",
                "-subj", "/CN=Tunnelscope test origin CA", cwd=d)
        self.ca = os.path.join(d, "origin-ca.pem")
        self.good = self._leaf("good", "localhost", "DNS:localhost,IP:127.0.0.1")
        self.wrong = self._leaf("wrong", "wrong.example", "DNS:wrong.example")
        self.expired = self._expired()

    def _leaf(self, name, cn, san):
        d = self.dir
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=CA:FALSE\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "origin-ca.pem", "-CAkey",
                "origin-ca.key", "-CAcreateserial", "-days", "30", "-extfile", f"{name}.ext",
                "-out", f"{name}.pem", cwd=d)
        return (os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key"))

    def _expired(self):
        # openssl 3.0's x509 cannot back-date; "openssl ca" can, with a minimal config.
        d = self.dir
        os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(f"""[ca]
default_ca = test
[test]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}/newcerts
serial = {d}/serial
certificate = {d}/origin-ca.pem
private_key = {d}/origin-ca.key
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
""")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=localhost", cwd=d)
        openssl("ca", "-batch", "-config", "ca.cnf", "-in", "expired.csr", "-out",
                "expired.pem", "-startdate", "20200101000000Z", "-enddate",
                "20200201000000Z", "-notext", cwd=d)
        return (os.path.join(d, "expired.pem"), os.path.join(d, "expired.key"))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class NginxTls(support.Nginx):
    """nginx over HTTPS: .port uses the good certificate, .expired_port and .wrong_port the
    others. Also serves a 64 MiB file ("64m")."""

    def __init__(self, pki):
        super().__init__()
        self.pki = pki
        with open(os.path.join(self.www, "64m"), "wb") as f:
            block = support.deterministic_bytes(1 << 20, b"64m")
            for _ in range(64):
                f.write(block)
        self.expired_port = None
        self.wrong_port = None

    def url(self, name="", host="localhost", port=None):
        return f"https://{host}:{port or self.port}/{name}"

    def _config(self):
        conf = super()._config()
        servers = ""
        for port, (cert, key) in ((self.expired_port, self.pki.expired),
                                  (self.wrong_port, self.pki.wrong)):
            servers += f"""
    server {{
        listen {HOST}:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {self.www};
        location / {{ }}
    }}"""
        cert, key = self.pki.good
        conf = conf.replace(f"listen {HOST}:{self.port};",
                            f"listen {HOST}:{self.port} ssl;\n"
                            f"        ssl_certificate {cert};\n"
                            f"        ssl_certificate_key {key};")
        return conf.rstrip()[:-1] + servers + "\n}\n"  # inside the http block

    def start(self):
        self.expired_port = support.free_port()
        self.wrong_port = support.free_port()
        return super().start()


class TlsPyOrigin(support.PyOrigin):
    """The Python origin, over TLS with the good certificate."""

    def __init__(self, pki):
        super().__init__()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*pki.good)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)

    def url(self, path="/", host="localhost"):
        return f"https://{host}:{self.port}{path}"
