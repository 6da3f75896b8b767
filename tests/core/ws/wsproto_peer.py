#!/usr/bin/python3
"""permessage-deflate vectors made by python3-wsproto, for tests/core/ws/deflate_test.cpp.

The test runs this at test time with /usr/bin/python3 (Debian's python3-wsproto imports
there). Masking keys are random, so the bytes differ from run to run; the test compares the
messages they carry, which do not.

  wsproto_peer.py vectors
      For each configuration: a handshake between a wsproto client and server, then messages
      both ways. Prints, per configuration:
        config NAME
        offer <Sec-WebSocket-Extensions the client sent>
        answer <the one the server sent back>
        c2s <hex of every byte the client sent after the handshake>
        s2c <hex of every byte the server sent>
        msg c2s|s2c t|b <hex of a message's payload as the application sent it>
        end
  wsproto_peer.py receive NAME client|server
      The same handshake, then hex on stdin is fed to that side, as bytes from its peer. Prints
      "msg t|b <hex>" per message it gets and "close <code> <reason>" when it closes (wsproto
      answers protocol errors with a close).
"""
import sys

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Request,
                            TextMessage)
from wsproto.extensions import PerMessageDeflate

CONFIGS = {
    "default": {},
    "no-context-takeover": {"client_no_context_takeover": True,
                            "server_no_context_takeover": True},
    "client-no-context-takeover": {"client_no_context_takeover": True},
    "window-bits": {"client_max_window_bits": 9, "server_max_window_bits": 10},
    "window-bits-11-no-context": {"client_max_window_bits": 11, "server_max_window_bits": 11,
                                  "server_no_context_takeover": True},
}

# Repeats, so that context takeover matters; text with multi-byte characters; binary;
# an empty message; a message far larger than any window; a fragmented message.
MESSAGES = [
    "Hello",
    "Hello",
    "Hello, Hello, Hello! " * 40,
    bytes(range(256)) * 8,
    "",
    "κόσμε 🙂 " * 30,
    "".join("line %d of a long message\n" % i for i in range(5000)),
    b"\x00" * 70000,
    "Hello",
]
FRAGMENTED = ["first part, ", "second part, ", "", "last part"]


def header(raw, name):
    for line in raw.split(b"\r\n"):
        if b":" in line:
            key, value = line.split(b":", 1)
            if key.strip().lower() == name:
                return value.strip().decode()
    return ""


def connect(params):
    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    extensions = [] if params is None else [PerMessageDeflate(**params)]
    request = client.send(Request(host="example.test", target="/chat", extensions=extensions))
    server.receive_data(request)
    for event in server.events():
        assert isinstance(event, Request), event
    extensions = [] if params is None else [PerMessageDeflate(**params)]
    response = server.send(AcceptConnection(extensions=extensions))
    client.receive_data(response)
    for event in client.events():
        assert isinstance(event, AcceptConnection), event
    return (client, server, header(request, b"sec-websocket-extensions"),
            header(response, b"sec-websocket-extensions"))


def kind(data):
    return ("t", data.encode()) if isinstance(data, str) else ("b", bytes(data))


def vectors():
    for name, params in CONFIGS.items():
        client, server, offer, answer = connect(params)
        print("config", name)
        print("offer", offer)
        print("answer", answer)
        sent = {"c2s": b"", "s2c": b""}
        expected = []
        for direction, side in (("c2s", client), ("s2c", server)):
            for data in MESSAGES:
                sent[direction] += side.send(Message(data=data))
                expected.append((direction,) + kind(data))
            for i, part in enumerate(FRAGMENTED):
                sent[direction] += side.send(
                    Message(data=part, message_finished=i + 1 == len(FRAGMENTED)))
            expected.append((direction, "t", "".join(FRAGMENTED).encode()))
        print("c2s", sent["c2s"].hex())
        print("s2c", sent["s2c"].hex())
        for direction, k, payload in expected:
            print("msg", direction, k, payload.hex())
        print("end")


def receive(name, side_name):
    client, server, _, _ = connect(CONFIGS[name])
    side = client if side_name == "client" else server
    side.receive_data(bytes.fromhex(sys.stdin.read().strip()))
    text, binary = [], []
    for event in side.events():
        if isinstance(event, TextMessage):
            text.append(event.data)
            if event.message_finished:
                print("msg t", "".join(text).encode().hex())
                text = []
        elif isinstance(event, BytesMessage):
            binary.append(bytes(event.data))
            if event.message_finished:
                print("msg b", b"".join(binary).hex())
                binary = []
        elif isinstance(event, CloseConnection):
            print("close", event.code, event.reason)
            break


def parse(name, side_name):
    client, server, _, _ = connect(None if name == "none" else CONFIGS[name])
    side = client if side_name == "client" else server
    side.receive_data(bytes.fromhex(sys.stdin.read().strip()))
    parts = []
    for event in side.events():
        if isinstance(event, (TextMessage, BytesMessage)):
            parts.append(event.data.encode() if isinstance(event, TextMessage)
                         else bytes(event.data))
            if event.message_finished:
                kind = "t" if isinstance(event, TextMessage) else "b"
                print("msg", kind, b"".join(parts).hex())
                parts = []
        elif isinstance(event, CloseConnection):
            # The peer's Close moves wsproto to REMOTE_CLOSING; its own failure does not.
            peer = side.state.name == "REMOTE_CLOSING"
            print("close" if peer else "error", int(event.code))
            break


if __name__ == "__main__":
    if sys.argv[1:2] == ["vectors"]:
        vectors()
    elif sys.argv[1:2] == ["receive"] and len(sys.argv) == 4:
        receive(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["parse"] and len(sys.argv) == 4:
        parse(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
