#!/usr/bin/env python3
"""Screenshots of Tunnelscope recording real traffic, for README.md (packaging/screenshots/).

Run by scripts/screenshots.sh inside a network namespace of its own (loopback only). Starts
nginx origins (plain and HTTPS with a test CA), Tunnelscope on a virtual X display (Xvfb) with
a fresh HOME (so no saved settings, a new interception CA), then drives traffic through it:
curl over HTTP and intercepted HTTPS, a 404, a request to a closed port (a failure), nghttp
speaking HTTP/2 with prior knowledge to the proxy's plain listener, and headless Chromium
through the HTTPS proxy listener (h2 to the proxy, trusting the CA through an NSS db). Then it
clicks and types with xdotool like a user and captures the screen with ImageMagick's import.

    scripts/screenshots.py BUILD_DIR OUTPUT_DIR [--keep]
"""

import json
import os
import re
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

import support  # noqa: E402
import tls_support  # noqa: E402
from test_chromium import write_page  # noqa: E402

WIDTH, HEIGHT = 1280, 800
DISPLAY = ":57"


def run(*args, env=None, check=False, timeout=60):
    return subprocess.run(list(args), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, check=check)


class Screen:
    """Xvfb, xdotool and import on DISPLAY."""

    def __init__(self, env):
        self.env = env
        self.xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{WIDTH}x{HEIGHT}x24",
                                      "-nolisten", "tcp"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket = f"/tmp/.X11-unix/X{DISPLAY[1:]}"
        deadline = time.monotonic() + 10
        while not os.path.exists(socket):
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.1)

    def xdo(self, *args):
        out = run("xdotool", *args, env=self.env, check=True)
        time.sleep(0.4)
        return out.stdout.decode().strip()

    def click(self, x, y):
        self.xdo("mousemove", str(x), str(y), "click", "1")
        time.sleep(0.3)

    def drag(self, start, end):
        self.xdo("mousemove", str(start[0]), str(start[1]), "mousedown", "1")
        self.xdo("mousemove", str((start[0] + end[0]) // 2), str((start[1] + end[1]) // 2))
        self.xdo("mousemove", str(end[0]), str(end[1]), "mouseup", "1")

    def keys(self, *keys):
        for k in keys:
            self.xdo("key", "--clearmodifiers", k)

    def window(self, name):
        return self.xdo("search", "--sync", "--onlyvisible", "--name", name).split()[0]

    def geometry(self, window):
        out = self.xdo("getwindowgeometry", "--shell", window)
        g = dict(line.split("=") for line in out.splitlines())
        return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])

    def capture(self, path, crop=None):
        run("import", "-window", "root", path, env=self.env, check=True)
        if crop:
            x, y, w, h = crop
            run("convert", path, "-crop", f"{w}x{h}+{x}+{y}", "+repage", path, check=True)
        print(path)

    def stop(self):
        support.stop_process(self.xvfb)


def main():
    build, out = sys.argv[1], os.path.abspath(sys.argv[2])
    keep = "--keep" in sys.argv
    os.makedirs(out, exist_ok=True)
    home = tempfile.mkdtemp(prefix="ts-shots-")
    env = support.clean_env(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                            XDG_DATA_HOME=os.path.join(home, ".local", "share"),
                            XDG_CACHE_HOME=os.path.join(home, ".cache"),
                            XDG_RUNTIME_DIR=home, DISPLAY=DISPLAY, QT_QPA_PLATFORM="xcb",
                            LANG="C.UTF-8", LANGUAGE="en")
    env.pop("WAYLAND_DISPLAY", None)

    pki = tls_support.TestPki()
    origin = tls_support.NginxTls(pki)
    write_page(origin.www)
    with open(os.path.join(origin.www, "api.json"), "w") as f:
        f.write('{"items": [{"id": 1, "name": "tunnel"}, {"id": 2, "name": "scope"}], '
                '"total": 2}\n')
    origin.start()
    plain = support.Nginx()
    write_page(plain.www)
    plain.start()

    screen = Screen(env)
    lines = []
    app = subprocess.Popen([os.path.join(build, "app", "tunnelscope"), "--listen", "127.0.0.1:0",
                            "--listen-https", "127.0.0.1:0", "--upstream-ca", pki.ca,
                            # A rule no traffic here matches, for the settings' Upstream page
                            # (its password is shown masked there).
                            "--upstream-rule",
                            "*.corp.example=http://alice:secret@127.0.0.1:3128,"
                            "socks5h://127.0.0.1:1080"],
                           env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, start_new_session=True)

    def pump():
        for raw in iter(app.stderr.readline, b""):
            lines.append(raw.decode(errors="replace"))
    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        port = https_port = None
        while not (port and https_port):
            text = "".join(lines)
            m = re.search(r"listening on [\d.]+:(\d+)\n", text)
            port = port or (m and int(m.group(1)))
            m = re.search(r"listening on [\d.]+:(\d+) for HTTPS", text)
            https_port = https_port or (m and int(m.group(1)))
            if time.monotonic() > deadline or app.poll() is not None:
                raise RuntimeError("tunnelscope did not start: " + text)
            time.sleep(0.1)
        ca_pem = re.search(r"CA (\S+/ca\.pem)", "".join(lines)).group(1)
        main_window = screen.window("Tunnelscope")
        time.sleep(1)
        # Before any traffic: the empty table says where to point a client.
        screen.capture(os.path.join(out, "first-start.png"))

        proxy = f"http://127.0.0.1:{port}"
        curl = ["curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-x", proxy]
        http = f"http://localhost:{plain.port}"
        https = f"https://localhost:{origin.port}"
        for url in (f"{http}/", f"{http}/app.js", f"{http}/missing-page"):
            run(*curl, url)
        run(*curl, "-H", "Accept: application/json", "--cacert", ca_pem, f"{https}/api.json")
        run(*curl, "--cacert", ca_pem, f"{https}/pixel.png")
        run(*curl, "-X", "POST", "-H", "Content-Type: application/json",
            "--data", '{"query": "flows", "limit": 10}', f"{http}/missing-api")
        run(*curl, "http://127.0.0.1:9/unreachable")  # nothing listens: a 502, recorded
        # HTTP/2 with prior knowledge to the plain listener: frames and streams.
        run("nghttp", "-n", "-H", f":authority: localhost:{plain.port}",
            f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/app.js")
        chromium(home, ca_pem, f"https://127.0.0.1:{https_port}", f"{https}/")
        time.sleep(1.5)  # the store publishes every ~50 ms; the table and panes follow

        shoot(screen, main_window, out)
        # Last, a WebSocket through the forward proxy (the last row), open while it is shown.
        ws = support.WsEchoOrigin().start()
        sock = websocket_conversation(port, ws.port)
        try:
            time.sleep(2)  # an open tunnel's flow is published every second
            shoot_messages(screen, main_window, out)
        finally:
            sock.sendall(support.ws_frame(b"\x03\xe8", opcode=0x8))  # Close, 1000
            time.sleep(0.3)
            sock.close()
            ws.stop()
    finally:
        if app.poll() is None:
            os.killpg(app.pid, 15)
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, 9)
        screen.stop()
        origin.stop()
        plain.stop()
        pki.cleanup()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def websocket_conversation(proxy_port, origin_port):
    """A client's WebSocket through the forward proxy to a python3-websockets echo server:
    JSON, text, binary and a ping, each echoed (permessage-deflate agreed). Left open."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=10)
    host = f"127.0.0.1:{origin_port}"
    sock.sendall((f"GET http://{host}/chat HTTP/1.1\r\nHost: {host}\r\n"
                  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                  "\r\n").encode())
    time.sleep(0.5)
    messages = [json.dumps({"type": "subscribe", "channel": "prices", "symbols": ["BTC", "ETH"]}),
                json.dumps({"type": "order", "id": 4711, "side": "buy", "qty": 0.25,
                            "price": 43120.5}),
                "hello from the client"]
    for m in messages:
        sock.sendall(support.ws_frame(m.encode()))
        time.sleep(0.2)
    sock.sendall(support.ws_frame(bytes(range(40)), opcode=0x2))
    sock.sendall(support.ws_frame(b"hb", opcode=0x9))
    for i in range(4):
        sock.sendall(support.ws_frame(json.dumps({"type": "tick", "seq": i,
                                                  "price": 43120 + i}).encode()))
        time.sleep(0.1)
    return sock


def shoot_messages(screen, main_window, out):
    """The WebSocket flow (the last row) and its Messages tab, its order message selected. The
    layout is the one shoot() left (the taller table, the wider detail pane)."""
    screen.xdo("windowfocus", main_window)
    screen.click(300, 100)
    screen.keys("ctrl+End")
    time.sleep(0.5)
    screen.drag((640, 356), (640, 640))  # the docks smaller: room for the messages
    screen.click(1013, 114)  # the Messages tab
    time.sleep(0.5)
    screen.click(1000, 195)  # its third row: the order, sent
    screen.capture(os.path.join(out, "websocket-messages.png"))


def chromium(home, ca_pem, proxy_server, url):
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db, exist_ok=True)
    run("certutil", "-d", f"sql:{db}", "-N", "--empty-password", check=True)
    run("certutil", "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", "tunnelscope", "-i", ca_pem,
        check=True)
    browser = next(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                   if shutil.which(n))
    env = support.clean_env(HOME=home)
    env.pop("DISPLAY", None)
    profile = tempfile.mkdtemp(prefix="profile-", dir=home)
    proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--disable-quic",
                             f"--user-data-dir={profile}", f"--proxy-server={proxy_server}",
                             "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=5000",
                             "--dump-dom", url], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass


def shoot(screen, main_window, out):
    """Drives the window as a user would. The positions are those of the default layout of a
    fresh profile on a 1280x800 screen (no window manager: the window fills the screen), with
    the inspector docks opened from the View menu (they start closed, the composer too)."""
    path = lambda name: os.path.join(out, name + ".png")  # noqa: E731
    panes = (0, 335, WIDTH, HEIGHT - 335)  # the docks below the table, and the status bar
    screen.xdo("windowfocus", main_window)
    for letter in ("t", "c", "s", "f"):  # View > Tunnels, Connections, Streams, Frames
        screen.keys("alt+v", letter)
        time.sleep(0.3)
    # Opened later, the two dock groups split the width unevenly: the separator goes back to
    # where the first layout had it (step by step: the last move of a quick drag gets lost).
    screen.xdo("mousemove", "903", "500", "mousedown", "1")
    for x in (800, 650, 523):
        time.sleep(0.2)
        screen.xdo("mousemove", str(x), "500")
    time.sleep(0.2)
    screen.xdo("mouseup", "1")
    screen.click(559, 763)  # the Frames tab

    # Connections, and the frames and streams of nghttp's HTTP/2 connection: the tenth client
    # connection (server-side ones come and go with the pool, so their rows are not fixed).
    # Then both sides again, nghttp's connection still selected.
    screen.click(119, 763)
    screen.click(90, 368)  # Show: client side
    screen.keys("Down", "Return")
    screen.click(150, 590)
    screen.click(90, 368)  # Show: both sides
    screen.keys("Up", "Return")
    screen.capture(path("connections-frames"), crop=panes)
    screen.click(630, 763)
    screen.click(700, 402)  # its first stream: the states it went through
    screen.capture(path("connections-streams"), crop=panes)
    screen.click(559, 763)
    # Tunnels, one selected: the flows it carried.
    screen.click(34, 763)
    screen.click(150, 442)
    screen.capture(path("tunnels"), crop=panes)

    for keys, title, name in ((("alt+e", "p"), "Preferences", "settings"),
                              (("alt+h", "c"), "Certificate authority", "ca-dialog"),
                              (("alt+h", "s"), "Set up a client", "setup-terminal")):
        screen.xdo("windowfocus", main_window)
        screen.keys(*keys)
        dialog = screen.window(title)
        time.sleep(0.5)
        screen.capture(path(name), crop=screen.geometry(dialog))
        screen.xdo("windowfocus", dialog)
        if name == "settings":  # its second page: the upstream chain and the per-host rules
            screen.keys("ctrl+Tab")
            time.sleep(0.5)
            screen.capture(path("settings-upstream"), crop=screen.geometry(dialog))
        if name == "setup-terminal":  # its other pages: system proxy, system CA store
            for page in ("setup-system-proxy", "setup-ca-store"):
                screen.keys("ctrl+Tab")
                time.sleep(0.5)
                screen.capture(path(page), crop=screen.geometry(dialog))
        screen.keys("Escape")

    # The main window: a taller table, a wider detail pane, and in it an intercepted HTTPS
    # exchange (curl's api.json, the fifth flow) with its JSON response.
    screen.xdo("windowfocus", main_window)
    screen.drag((640, 333), (640, 560))
    screen.drag((783, 300), (700, 300))
    screen.click(300, 100)
    screen.keys("ctrl+Home", "Down", "Down", "Down", "Down")
    screen.click(819, 114)  # the Response tab
    screen.capture(path("main-window"))


if __name__ == "__main__":
    main()
