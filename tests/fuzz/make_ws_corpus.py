#!/usr/bin/python3
"""Writes the seed corpora of the ws and sse fuzz targets (tests/fuzz/corpus/ws, .../sse).

Run from the repository root with /usr/bin/python3 (python3-wsproto makes the real-world
streams). Masking keys are fixed here so the files stay the same from run to run, except for
the wsproto streams, whose keys are random. Files found by fuzzing go next to these as
found-<sha1>.
"""
import os
import zlib

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Message, Ping, Request
from wsproto.extensions import PerMessageDeflate

KEY = bytes([0x37, 0xfa, 0x21, 0x3d])


def frame(first, payload=b"", masked=False, length=None):
    n = len(payload) if length is None else length
    mask = 0x80 if masked else 0
    if n < 126:
        head = bytes([first, mask | n])
    elif n < 65536:
        head = bytes([first, mask | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first, mask | 127]) + n.to_bytes(8, "big")
    if masked:
        head += KEY
        payload = bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))
    return head + payload


def client(first, payload=b""):
    return frame(first, payload, masked=True)


def deflate(messages, wbits=15):
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -wbits)
    out = []
    for m in messages:
        z = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        out.append(z[:-4])
    return out


def wsproto_streams():
    cl = WSConnection(ConnectionType.CLIENT)
    sv = WSConnection(ConnectionType.SERVER)
    sv.receive_data(cl.send(Request(host="h", target="/", extensions=[PerMessageDeflate()])))
    list(sv.events())
    cl.receive_data(sv.send(AcceptConnection(extensions=[PerMessageDeflate()])))
    list(cl.events())
    c2s = s2c = b""
    for m in ["Hello", "Hello", "κόσμε " * 20, b"\x01\x02" * 300, ""]:
        c2s += cl.send(Message(data=m))
        s2c += sv.send(Message(data=m))
    c2s += cl.send(Ping(b"p"))
    s2c += sv.send(Message(data="frag-", message_finished=False))
    s2c += sv.send(Ping(b"between"))
    s2c += sv.send(Message(data="ment", message_finished=True))
    return c2s, s2c


# Mode byte: bit 0 server, bit 1 deflate, bit 2 no context takeover, bit 3 small limits,
# bits 4-6 window bits - 8.
CLIENT, SERVER, DEFLATE, NO_TAKEOVER, SMALL = 0, 1, 2, 4, 8

hello = b"Hello"
z1, z2 = deflate([hello, hello])
c2s, s2c = wsproto_streams()
bomb = deflate([b"\0" * 100000])[0]

WS = {
    "rfc6455-text-server": (SERVER, frame(0x81, hello)),
    "rfc6455-text-client": (CLIENT, client(0x81, hello)),
    "rfc6455-fragmented": (SERVER, frame(0x01, b"Hel") + frame(0x80, b"lo")),
    "rfc6455-ping-pong": (SERVER, frame(0x89, hello) + frame(0x8A, hello)),
    "rfc6455-256-binary": (SERVER, frame(0x82, b"x" * 256)),
    "rfc6455-64k-binary": (SERVER, frame(0x82, b"y" * 65536)),
    "control-between-fragments": (CLIENT, client(0x01, b"a") + client(0x89, b"p")
                                  + client(0x00, b"\xce") + client(0x80, b"\xba")),
    "close-reason": (CLIENT, client(0x88, (1000).to_bytes(2, "big") + b"bye")
                     + client(0x81, b"after")),
    "close-bad-code": (SERVER, frame(0x88, (1005).to_bytes(2, "big"))),
    "close-one-byte": (SERVER, frame(0x88, b"\x03")),
    "close-bad-utf8": (SERVER, frame(0x88, b"\x03\xe8\xc0\x80")),
    "reserved-opcode": (SERVER, frame(0x83, b"x")),
    "rsv2": (SERVER, frame(0xA1, b"x")),
    "rsv1-no-deflate": (SERVER, frame(0xC1, z1)),
    "non-minimal-length": (SERVER, bytes([0x82, 126, 0, 5]) + b"abcde"),
    "msb-length": (SERVER, bytes([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0])),
    "unmasked-client": (CLIENT, frame(0x81, hello)),
    "masked-server": (SERVER, client(0x81, hello)),
    "bad-utf8": (SERVER, frame(0x81, b"ok\xed\xa0\x80")),
    "utf8-cut-at-end": (SERVER, frame(0x01, b"\xf0\x9f") + frame(0x80, b"\x99")),
    "truncated": (SERVER, frame(0x81, hello)[:4]),
    "continuation-first": (SERVER, frame(0x80, b"x")),
    "limits-small": (SERVER | SMALL, frame(0x02, b"x" * 300) + frame(0x80, b"y" * 300)
                     + frame(0x80, b"z" * 401)),
    "rfc7692-hello": (SERVER | DEFLATE, frame(0xC1, z1)),
    "rfc7692-takeover": (SERVER | DEFLATE, frame(0xC1, z1) + frame(0xC1, z2)),
    "rfc7692-no-takeover": (SERVER | DEFLATE | NO_TAKEOVER, frame(0xC1, z1) + frame(0xC1, z2)),
    "rfc7692-fragmented": (CLIENT | DEFLATE, client(0x41, z1[:3]) + client(0x80, z1[3:])),
    "rfc7692-bfinal": (SERVER | DEFLATE, frame(0xC1, bytes.fromhex("f348cdc9c9070000"))),
    "rfc7692-stored": (SERVER | DEFLATE, frame(0xC1, bytes.fromhex("000500faff48656c6c6f00"))),
    "deflate-corrupt": (SERVER | DEFLATE, frame(0xC2, b"\xff\xff\xff")),
    "deflate-bomb-small": (SERVER | DEFLATE | SMALL, frame(0xC2, bomb)),
    "deflate-bomb": (SERVER | DEFLATE | 0x70, frame(0xC2, bomb)),
    "wsproto-c2s": (CLIENT | DEFLATE | 0x10, c2s),
    "wsproto-s2c": (SERVER | DEFLATE | 0x20, s2c),
}

SSE = {
    "spec-examples": (0, b"data: YHOO\ndata: +2\ndata: 10\n\n: test stream\n\ndata: first event\n"
                      b"id: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"),
    "event-types": (0, b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"
                    b"event: add\ndata: 113411\n\n"),
    "line-endings": (0, b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r\n"),
    "bom-utf8": (0, b"\xef\xbb\xbfdata: \xce\xba\xf0\x9f\x99\x82\xff\xed\xa0\x80\n\n"),
    "retry-id": (0, b"retry: 3000\nretry: x\nid: a\0b\nid: 7\ndata\n\nid\n\n"),
    "limits-small": (1, b"data: " + b"x" * 70 + b"\n\n" + (b"data: " + b"y" * 50 + b"\n") * 6
                     + b"\n"),
    "unfinished": (0, b"data: kept\n\ndata: dropped"),
}


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, (mode, data) in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(bytes([mode]) + data)


write("tests/fuzz/corpus/ws", WS)
write("tests/fuzz/corpus/sse", SSE)
