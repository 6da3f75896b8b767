#!/usr/bin/python3
"""Start-up time of a proxy: from exec to its listener accepting, and to the first proxied 200.

    startup.py --label NAME --origin-port PORT [--runs N] -- COMMAND ARGS...

COMMAND is started --runs times (default 5); in its arguments {port} becomes a free loopback
port and {tmp} a fresh empty directory of its own (a first start: a CA made there, say). The
clock starts just before the exec. "listening" is when a connection to 127.0.0.1:{port} first
succeeds (tried every 0.5 ms); on that connection an absolute-form GET of
http://127.0.0.1:ORIGIN/1k goes out at once, and "first 200" is when the whole response is in.
Prints one line, medians and the spread:

    STARTUP_RESULT label=NAME listen_ms=12.3 first200_ms=15.0 listen_min=... first200_max=...

Loopback only; each run is bounded (10 s), and the process is stopped (SIGTERM, then SIGKILL)
before the next starts.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def one_run(command, origin_port):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ts-startup.")
    argv = [a.replace("{port}", str(port)).replace("{tmp}", tmp) for a in command]
    request = ("GET http://127.0.0.1:%d/1k HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Connection: close\r\n\r\n" % (origin_port, origin_port)).encode()
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=tmp)
    try:
        deadline = start + 10
        sock = None
        while sock is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("%s never listened on %d" % (argv[0], port))
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                time.sleep(0.0005)
        listening = time.monotonic()
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        done = time.monotonic()
        sock.close()
        status = data.split(b"\r\n", 1)[0]
        if b" 200 " not in status + b" ":
            raise RuntimeError("%s answered %r" % (argv[0], status[:60]))
        return (listening - start) * 1000, (done - start) * 1000
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--origin-port", type=int, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or not 1 <= args.runs <= 50:
        parser.error("a command, and --runs 1..50")
    listen, first = [], []
    for _ in range(args.runs):
        try:
            a, b = one_run(command, args.origin_port)
        except (RuntimeError, OSError) as e:
            print("startup.py: %s: %s" % (args.label, e), file=sys.stderr)
            continue
        listen.append(a)
        first.append(b)
    if not listen:
        print("STARTUP_RESULT label=%s failed=1" % args.label)
        return 1
    print("STARTUP_RESULT label=%s runs=%d listen_ms=%.1f first200_ms=%.1f listen_min=%.1f "
          "listen_max=%.1f first200_min=%.1f first200_max=%.1f"
          % (args.label, len(listen), statistics.median(listen), statistics.median(first),
             min(listen), max(listen), min(first), max(first)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
