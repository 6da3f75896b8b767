#pragma once

#include "core/flow/flow.h"
#include "core/http/message.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace ts::proxy {

// Server-side connections are named by the layer; the engine maps the ids to sockets.
using ServerId = std::uint32_t;

// ---- Events: what the engine tells a layer. Views are valid for the handle() call only.
struct ClientData
{
    std::string_view data;
};
struct ClientEof // the client half-closed: no more bytes will come, it may still read
{
};
struct ClientGone // the client connection failed or was reset: nothing can be sent any more
{
    std::string reason;
};

enum class ConnectFailure { NameNotResolved, Refused, Unreachable, LoopDetected, Other };
// Through an upstream proxy chain, the engine reports the connection only once the last hop
// is through: the server's bytes are then the destination's, as for a direct connection.
struct ServerConnected
{
    ServerId id = 0;
    std::string peerAddress; // "127.0.0.1:8081": the TCP peer (through a chain: hop 1)
    bool reused = false;     // came from the pool: no lookup, no connect
    MonoTime lookupDone = -1;
    MonoTime connectDone = -1;
    // "via http://127.0.0.1:3128 → socks5h://…" (redacted); empty: direct. (Initialized, so
    // that brace-initializing the fields before it stays warning-free.)
    std::string via = {};
    // Asked with OpenServer::tls of a carrier that secures origins itself: the TLS handshake
    // is done (this is its record), and the bytes are plaintext HTTP/1.1 both ways.
    std::shared_ptr<const flow::TlsSide> tls = {};
    // Through a chain whose last hop is an http(s) proxy, for an OpenServer with plainHttp: the
    // connection ends at that proxy, not at the destination. Requests go to it in absolute-form
    // (http://host:port/path), with a Proxy-Authorization field holding proxyAuthorization when
    // that is not empty. That value carries the hop's credentials: it goes into the bytes sent
    // and nowhere else (never a flow, never a log).
    bool forwarding = false;
    std::string proxyAuthorization = {};
    std::string forwardHop = {}; // "hop 2 (http://alice:***@127.0.0.1:3128)", for messages
    // reused: the connection's record as ReleaseServer left it (same id, counts so far).
    std::shared_ptr<flow::Connection> record = {};
    // The server is a stream of an HTTP/2 connection the carrier keeps (its OriginPool): it
    // takes the request as SendRequestPart and answers with ServerResponse, never bytes
    // (but for an accepted WebSocket's, which are Body parts both ways).
    bool messages = false;
};
struct ServerConnectFailed
{
    ServerId id = 0;
    ConnectFailure kind = ConnectFailure::Other;
    std::string message; // "connection refused by 127.0.0.1:9", "hop 2 (http://…) answered 407…"
    MonoTime lookupDone = -1;
    std::string via = {}; // the chain that was tried, as in ServerConnected
    // Not connected within Timeouts::connect, and the message says where it stuck (a hop of
    // the chain): 504. The layer's own connect timeout fires at the same moment, later in line.
    bool timedOut = false;
    std::shared_ptr<const flow::TlsSide> tls = {}; // the failed handshake, when TLS failed
};
struct ServerData
{
    ServerId id = 0;
    std::string_view data;
};
struct ServerEof
{
    ServerId id = 0;
};
struct ServerGone
{
    ServerId id = 0;
    std::string reason;
};
// One step of the response of a server that speaks in messages (ServerConnected::messages).
// The part lives for the handle() call only.
struct ServerResponse
{
    ServerId id = 0;
    const http::ResponsePart *part = nullptr;
};
struct Tick // the deadline the layer asked for has passed
{
};
// Bytes the engine moved itself since RelayTunnel (see there), delivered before any other
// event when they changed.
struct RelayProgress
{
    std::uint64_t clientToServer = 0;
    std::uint64_t serverToClient = 0;
};

// After MultiplexClient: server `id`'s write queue crossed the high-water mark (full) or
// drained below the low one. The layer holds back that server's input instead of the engine
// stopping the whole client connection.
struct ServerBackpressure
{
    ServerId id = 0;
    bool full = false;
};

using Event = std::variant<ClientData, ClientEof, ClientGone, ServerConnected, ServerConnectFailed,
                           ServerData, ServerEof, ServerGone, ServerResponse, Tick, RelayProgress,
                           ServerBackpressure>;

// A request's head as a multiplexing translator (HTTP/2) hands it to the HttpStream of its
// stream: version-free, with the field lines as they crossed the client's wire.
struct RequestHeaders
{
    http::StreamId stream = 0;
    http::Request request;
    bool endStream = false; // no body follows
    // The field lines as they crossed the client's wire (HTTP/2: pseudo-header fields first,
    // each `cookie` line as sent), for the flow.
    flow::HeaderList wire = {};
};

// The server an event is about; 0 for client events, Tick and RelayProgress.
inline ServerId serverOf(const Event &event)
{
    return std::visit(
        [](const auto &e) -> ServerId {
            if constexpr (requires { e.id; })
                return e.id;
            else
                return 0;
        },
        event);
}

// ---- Commands: what a layer asks the engine to do, carried out in order.
struct SendToClient
{
    std::string data;
};
struct ShutdownClient // half-close the client side once everything queued is written
{
};
struct CloseClient // close once everything queued is written (or at once when abort)
{
    bool abort = false;
};
struct PauseClient // stop reading from the client (the layer holds enough of its input)
{
};
struct ResumeClient
{
};
struct OpenServer
{
    ServerId id = 0;
    std::string host;
    std::uint16_t port = 0;
    bool reusable = true; // the engine may hand out a pooled connection to host:port
    // The connection carries plain http:// requests (not CONNECT, TLS or an Upgrade): through
    // a chain ending in an http(s) hop the engine may stop at that hop and report forwarding
    // in ServerConnected, instead of tunnelling to host:port.
    bool plainHttp = false;
    // The layer speaks TLS to it (an https origin). A carrier that secures origins itself
    // (SessionContext::carrierSecures) answers with ServerConnected::tls set; the engine
    // ignores this.
    bool tls = false;
};
struct SendToServer
{
    ServerId id = 0;
    std::string data;
};
// One step of the request to a server that speaks in messages (ServerConnected::messages).
struct SendRequestPart
{
    ServerId id = 0;
    http::RequestPart part;
};
struct ShutdownServer
{
    ServerId id = 0;
};
struct CloseServer
{
    ServerId id = 0;
};
struct ReleaseServer // idle and reusable: the engine may pool it for the next request
{
    ServerId id = 0;
    // The connection's record: the pool hands it to the next user (ServerConnected::record)
    // or publishes it closed when it drops the connection. Null: not recorded.
    std::shared_ptr<flow::Connection> record = {};
};
struct PublishFlow
{
    // Held by pointer: a Flow is large, and every command of the variant would be as large.
    std::shared_ptr<flow::Flow> flow;
};
struct PublishConnection
{
    flow::Connection connection;
};

// From now on the engine moves the bytes between the client and server `id` itself (with
// splice(), never through user space), once everything queued before has been written. The
// layer sees no more ClientData/ServerData for them, only RelayProgress, and ClientEof /
// ServerEof after the engine has passed the half-close on to the other side. Only for plain
// (not TLS) client connections.
struct RelayTunnel
{
    ServerId id = 0;
};

// Stop / resume reading from one server (its bytes cannot be passed on yet).
struct PauseServer
{
    ServerId id = 0;
};
struct ResumeServer
{
    ServerId id = 0;
};
// The client connection carries many streams (HTTP/2): a full server write queue no longer
// stops reading the client; the engine reports ServerBackpressure instead.
struct MultiplexClient
{
};

// Between layers only (a session started for a tunnel its carrier already asked for, see
// SessionContext::tunnelTarget): the server is connected, the carrier answers success...
struct TunnelEstablished
{
};
// ...or the tunnel could not be opened; the carrier answers with its own failure form.
struct TunnelRefused
{
    int status = 502;
    ConnectFailure kind = ConnectFailure::Other;
    std::string message;
};

using Command
    = std::variant<SendToClient, ShutdownClient, CloseClient, PauseClient, ResumeClient, OpenServer,
                   SendToServer, SendRequestPart, ShutdownServer, CloseServer, ReleaseServer,
                   PublishFlow, PublishConnection, RelayTunnel, PauseServer, ResumeServer,
                   MultiplexClient, TunnelEstablished, TunnelRefused>;

} // namespace ts::proxy
