#pragma once

// Synthetic connections, frames, streams and flows for the inspector pane tests and the
// screenshot demo: one h2 client connection (a browser speaking to an https:// proxy) carrying
// three CONNECT streams, its server-side connections, an HTTP/1.1 client with a CONNECT tunnel,
// a SOCKS5 tunnel and exchanges inside the intercepted tunnel.

#include "core/flow/flow_store.h"

#include <memory>
#include <string>

namespace ts::test {

using namespace ts::flow;

constexpr ConnectionId kH2Client = 1;
constexpr ConnectionId kServerA = 2;
constexpr ConnectionId kH1Client = 3;
constexpr ConnectionId kSocksClient = 4;
constexpr FlowId kTunnelA = 10; // h2 stream 1, intercepted
constexpr FlowId kTunnelB = 11; // h2 stream 3, passed through
constexpr FlowId kTunnelC = 12; // h2 stream 5, reset
constexpr FlowId kTunnelH1 = 20;
constexpr FlowId kTunnelSocks = 30;
constexpr WallMillis kT0 = 1700000000000;

inline std::shared_ptr<TlsSide> tls(std::string version, std::string alpn, std::string sni)
{
    auto t = std::make_shared<TlsSide>();
    t->used = true;
    t->version = std::move(version);
    t->alpn = std::move(alpn);
    t->sni = std::move(sni);
    t->cipher = "TLS_AES_128_GCM_SHA256";
    t->alpnOffered = {"h2", "http/1.1"};
    t->handshakeMicros = 2300;
    return t;
}

inline FrameRecord frame(std::int64_t micros, bool inbound, std::uint8_t type, std::uint8_t flags,
                         std::uint32_t stream, std::uint32_t length, std::string summary)
{
    return FrameRecord{micros, inbound, type, flags, stream, length, std::move(summary)};
}

// The h2 client connection's log: the preface exchange, three CONNECT streams, data, a reset.
inline std::shared_ptr<ConnectionLog> h2ClientLog(std::size_t capacity = 10000)
{
    auto log = std::make_shared<ConnectionLog>(capacity);
    log->addFrame(
        frame(10, true, 0x4, 0, 0, 18,
              "SETTINGS HEADER_TABLE_SIZE=65536 ENABLE_PUSH=0 INITIAL_WINDOW_SIZE=6291456"));
    log->addFrame(frame(15, true, 0x8, 0, 0, 4, "WINDOW_UPDATE +15663105"));
    log->addFrame(frame(40, false, 0x4, 0, 0, 12,
                        "SETTINGS MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=1048576"));
    log->addFrame(frame(41, false, 0x4, 0x1, 0, 0, "SETTINGS ACK"));
    log->addFrame(frame(52, true, 0x4, 0x1, 0, 0, "SETTINGS ACK"));
    log->addFrame(
        frame(900, true, 0x1, 0x24, 1, 41, ":method: CONNECT :authority: example.com:443"));
    log->addFrame(frame(1850, false, 0x1, 0x4, 1, 9, ":status: 200"));
    log->addFrame(frame(2100, true, 0x0, 0, 1, 517, "517 bytes"));
    log->addFrame(frame(2400, false, 0x0, 0, 1, 4096, "4096 bytes"));
    log->addFrame(
        frame(3000, true, 0x1, 0x24, 3, 39, ":method: CONNECT :authority: bank.example:443"));
    log->addFrame(frame(3900, false, 0x1, 0x4, 3, 9, ":status: 200"));
    log->addFrame(
        frame(4000, true, 0x1, 0x24, 5, 38, ":method: CONNECT :authority: ads.example:443"));
    log->addFrame(frame(4100, true, 0x3, 0, 5, 4, "RST_STREAM CANCEL"));
    log->addFrame(frame(5000, true, 0x6, 0, 0, 8, "PING 0x0000000000000001"));
    log->addFrame(frame(5001, false, 0x6, 0x1, 0, 8, "PING ACK 0x0000000000000001"));
    log->addFrame(frame(6000, true, 0x0, 0x9, 1, 300, "280 bytes, 20 padding, END_STREAM"));
    log->addFrame(frame(6500, false, 0x10, 0, 0, 8, "PRIORITY_UPDATE stream 1 u=2"));
    log->addFrame(frame(7000, false, 0x2a, 0x80, 0, 3, "unknown frame type 0x2a"));
    auto edit = [&](std::uint32_t id, FlowId flowId, std::string summary,
                    std::vector<StreamTransition> history, std::uint64_t in, std::uint64_t out,
                    std::int32_t reset) {
        log->editStream(id, [&](StreamRecord &s) {
            s.flow = flowId;
            s.summary = std::move(summary);
            s.history = std::move(history);
            s.bytesIn = in;
            s.bytesOut = out;
            s.localWindow = 6291456 - std::int32_t(in);
            s.remoteWindow = 1048576 - std::int32_t(out);
            s.resetCode = reset;
            s.closed = reset >= 0;
        });
    };
    edit(1, kTunnelA, "CONNECT example.com:443", {{900, "open"}, {6000, "half-closed (remote)"}},
         797, 4096, -1);
    edit(3, kTunnelB, "CONNECT bank.example:443", {{3000, "open"}}, 0, 0, -1);
    edit(5, kTunnelC, "CONNECT ads.example:443", {{4000, "open"}, {4100, "reset: CANCEL"}}, 0, 0,
         8);
    return log;
}

inline Connection h2Client(std::shared_ptr<ConnectionLog> log)
{
    Connection c;
    c.id = kH2Client;
    c.side = Side::Client;
    c.protocol = "HTTP/2";
    c.clientAddress = "127.0.0.1:50412";
    c.listenAddress = "127.0.0.1:8443";
    c.tls = tls("TLSv1.3", "h2", "localhost");
    c.log = std::move(log);
    c.openedWall = kT0;
    c.bytesIn = 48213;
    c.bytesOut = 1203311;
    c.flows = 3;
    return c;
}

inline Connection serverA()
{
    Connection c;
    c.id = kServerA;
    c.side = Side::Server;
    c.protocol = "HTTP/1.1";
    c.clientAddress = "10.0.0.5:41022";
    c.target = "example.com:443";
    c.peerAddress = "93.184.216.34:443";
    c.parent = kH2Client;
    c.tls = tls("TLSv1.3", "http/1.1", "example.com");
    c.openedWall = kT0 + 2;
    c.closedWall = kT0 + 65'250;
    c.bytesIn = 1200000;
    c.bytesOut = 3100;
    c.flows = 2;
    c.closeReason = "server closed the connection";
    return c;
}

inline Connection h1Client()
{
    Connection c;
    c.id = kH1Client;
    c.side = Side::Client;
    c.protocol = "HTTP/1.1";
    c.clientAddress = "127.0.0.1:50500";
    c.listenAddress = "127.0.0.1:8080";
    c.openedWall = kT0 + 1000;
    c.closedWall = kT0 + 1850;
    c.bytesIn = 2100;
    c.bytesOut = 8800;
    c.flows = 1;
    c.closeReason = "client closed the connection";
    return c;
}

inline Flow tunnel(FlowId id, ConnectionId connection, std::string host, std::uint16_t port)
{
    Flow f;
    f.id = id;
    f.kind = FlowKind::Tunnel;
    f.clientConnection = connection;
    f.clientAddress = "127.0.0.1:50412";
    f.startedWall = kT0 + std::int64_t(id);
    f.host = std::move(host);
    f.port = port;
    f.method = "CONNECT";
    return f;
}

inline Flow exchange(FlowId id, FlowId parent, std::string path, int status)
{
    Flow f;
    f.id = id;
    f.state = status ? FlowState::Complete : FlowState::Open;
    f.clientConnection = kH2Client;
    f.clientAddress = "127.0.0.1:50412";
    f.startedWall = kT0 + std::int64_t(id);
    f.scheme = "https";
    f.host = "example.com";
    f.port = 443;
    f.method = "GET";
    f.path = std::move(path);
    f.status = status;
    f.parent = parent;
    f.intercepted = true;
    f.serverConnection = kServerA;
    return f;
}

// Everything above, published and applied.
inline void publishAll(FlowStore &store, std::shared_ptr<ConnectionLog> log = h2ClientLog())
{
    store.publish(h2Client(std::move(log)));
    store.publish(serverA());
    store.publish(h1Client());

    Flow a = tunnel(kTunnelA, kH2Client, "example.com", 443);
    a.clientProtocol = "HTTP/2";
    a.clientStream = 1;
    a.intercepted = true;
    a.bytesClientToServer = 797;
    a.bytesServerToClient = 4096;
    store.publish(a);
    Flow b = tunnel(kTunnelB, kH2Client, "bank.example", 443);
    b.clientProtocol = "HTTP/2";
    b.clientStream = 3;
    b.closeReason = "passed through: bank.example is on the pass-through list";
    b.bytesClientToServer = 1840;
    b.bytesServerToClient = 230511;
    store.publish(b);
    Flow c = tunnel(kTunnelC, kH2Client, "ads.example", 443);
    c.clientProtocol = "HTTP/2";
    c.clientStream = 5;
    c.state = FlowState::Failed;
    c.closeReason = "client reset the stream (CANCEL)";
    store.publish(c);
    Flow h1 = tunnel(kTunnelH1, kH1Client, "api.example", 443);
    h1.clientAddress = "127.0.0.1:50500";
    h1.state = FlowState::Complete;
    h1.bytesClientToServer = 2100;
    h1.bytesServerToClient = 8800;
    h1.closeReason = "client closed the connection";
    store.publish(h1);
    Flow socks = tunnel(kTunnelSocks, kSocksClient, "10.1.2.3", 5432);
    socks.clientProtocol = "SOCKS5";
    socks.clientAddress = "127.0.0.1:50601";
    socks.bytesClientToServer = 120;
    socks.bytesServerToClient = 64;
    store.publish(socks);

    store.publish(exchange(100, kTunnelA, "/", 200));
    store.publish(exchange(101, kTunnelA, "/style.css", 200));
    store.publish(exchange(102, kTunnelA, "/api/slow", 0));
    store.flush();
}

} // namespace ts::test
