#pragma once

#include "core/base/time.h"
#include "core/flow/body.h"
#include "core/flow/connection_log.h"
#include "core/flow/id_source.h"
#include "core/flow/log_feed.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ts::flow {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

enum class FlowKind : std::uint8_t { Exchange, Tunnel };
enum class FlowState : std::uint8_t { Open, Complete, Failed };

// Microseconds since the flow started; -1 when the phase did not happen (e.g. no DNS lookup on
// a reused connection).
struct Timings
{
    std::int64_t lookup = -1;      // name lookup finished
    std::int64_t connect = -1;     // TCP connected
    std::int64_t requestSent = -1; // last request byte handed to the server
    std::int64_t firstByte = -1;   // first response byte from the server
    std::int64_t complete = -1;    // response completely sent to the client (or failure)
};

struct CertificateSummary
{
    std::string subject;
    std::string issuer;
    std::vector<std::string> names; // subjectAltName DNS and IP entries
    WallMillis notBefore = 0;
    WallMillis notAfter = 0;
    std::string serial;
    std::string sha256;
    std::string keyType;
};

// One side's TLS, as the handshake settled it.
struct TlsSide
{
    bool used = false;
    std::string sni;
    std::vector<std::string> alpnOffered;
    std::string alpn;
    std::string version;
    std::string cipher;
    std::vector<CertificateSummary> chain; // the server's chain (server side), ours (client side)
    std::int64_t handshakeMicros = -1;
    bool verified = false;   // server side: chain and name checked and good
    std::string verifyError; // server side: why not
    std::string failure;     // the handshake did not complete: why
};

// A user's annotations of a flow (pin, colour, comment). They are not wire data: the engine
// never sets them, the FlowStore keeps them when the engine publishes a newer copy, and HAR and
// session files write them apart from what crossed the wire.
enum class MarkColor : std::uint8_t { None, Red, Orange, Yellow, Green, Blue, Purple, Gray };
inline constexpr int kMarkColorCount = 8;

struct Marks
{
    bool pinned = false;
    MarkColor color = MarkColor::None;
    std::string comment;
    bool empty() const { return !pinned && color == MarkColor::None && comment.empty(); }
    bool operator==(const Marks &) const = default;
};

// "red", "orange"...; "" for None. The names the filter language, HAR and the menu use.
std::string_view markColorName(MarkColor color);
// The colour of a name (ASCII case ignored); None for "none", "" or a name it does not know,
// `known` false for the latter.
MarkColor markColorFromName(std::string_view name, bool *known = nullptr);

// One WebSocket message in Chrome's HAR form ("_webSocketMessages"): recorded by the proxy, or
// kept with an imported flow; written back on export.
struct WebSocketMessage
{
    bool fromClient = false; // "type": "send" (client to server) or "receive"
    double time = 0;         // seconds since the epoch, as the HAR gave it
    int opcode = 1;          // RFC 6455's: 1 text; 2 binary, 8 close, 9 ping, 10 pong (data base64)
    std::string data;        // as the HAR gave it
    bool operator==(const WebSocketMessage &) const = default;
};
using WebSocketMessages = std::vector<WebSocketMessage>;

// One record per exchange (request/response) or tunnel. The engine owns the live object and
// publishes copies to the FlowStore at each milestone; bodies are shared, append-only objects.
struct Flow
{
    FlowId id = 0;
    FlowKind kind = FlowKind::Exchange;
    FlowState state = FlowState::Open;
    ConnectionId clientConnection = 0;
    std::string clientAddress; // "127.0.0.1:53412"
    WallMillis startedWall = 0;
    MonoTime startedMono = 0;

    // Target (both kinds).
    std::string scheme; // "http" (exchanges), "" for tunnels
    std::string host;
    std::uint16_t port = 0;
    std::string serverAddress; // resolved peer "93.184.216.34:80", when connected
    bool serverReused = false; // server-side connection came from the pool
    // The upstream proxy chain the server-side connection went through: "via
    // http://127.0.0.1:3128 → socks5h://127.0.0.1:1080" (passwords never shown); empty: direct.
    std::string upstream;

    // Exchange.
    std::string method;
    std::string path;                        // origin-form path and query
    std::string clientProtocol = "HTTP/1.1"; // version the client spoke
    std::string serverProtocol;              // version the server answered with
    // Each message is recorded on both of its wires, as it crossed them: the request as the
    // client sent it and as it went to the server, the response as the server sent it and as
    // it went to the client. HTTP/1.x: names as spelled, in order. HTTP/2: lowercase names,
    // pseudo-header fields first, each cookie line as sent. What one side shows and the other
    // does not is the proxy's translation or rewriting.
    HeaderList requestHeaders; // as received from the client
    HeaderList requestTrailers;
    HeaderList serverRequestHeaders; // as sent to the server; empty: not sent
    int status = 0;
    std::string reason;
    HeaderList responseHeaders; // as received from the server (or made by the proxy)
    HeaderList responseTrailers;
    // As sent to the client; empty: not sent yet, or the proxy's own answer (responseHeaders).
    HeaderList clientResponseHeaders;
    std::shared_ptr<Body> requestBody;
    std::shared_ptr<Body> responseBody;
    // Wire sizes, each side's own (HTTP/2: the stream's HEADERS, CONTINUATION and DATA frames).
    std::uint64_t requestWireBytes = 0;        // as received from the client
    std::uint64_t serverRequestWireBytes = 0;  // as sent to the server
    std::uint64_t responseWireBytes = 0;       // as received from the server
    std::uint64_t clientResponseWireBytes = 0; // as sent to the client
    bool responseFromProxy = false;            // answered by the proxy itself (error, info page)
    Timings timings;

    // Tunnel.
    std::uint64_t bytesClientToServer = 0;
    std::uint64_t bytesServerToClient = 0;
    WallMillis closedWall = 0;
    std::string closeReason;

    // TLS.
    bool intercepted = false; // tunnel: decrypted; exchange: carried by a decrypted tunnel
    FlowId parent = 0;        // the tunnel flow carrying this exchange
    // Shared and immutable: every exchange of a tunnel points at the same handshake record.
    std::shared_ptr<const TlsSide> clientTls; // between the client and the proxy; null: none
    std::shared_ptr<const TlsSide> serverTls; // between the proxy and the server; null: none

    // Multiplexing: the h2 streams carrying this flow (0: none) and the server-side
    // connection it used (0: not recorded).
    std::uint64_t clientStream = 0; // wide enough for HTTP/3's 62-bit stream ids
    std::uint64_t serverStream = 0;
    ConnectionId serverConnection = 0;

    // Failure (both kinds): empty when none.
    std::string error;

    // WebSocket messages, recorded by the proxy or brought by an imported HAR entry; null when
    // there were none. Shared and immutable, like the TLS records: copies of the flow do not
    // copy the messages (the proxy publishes a new vector when messages were added).
    std::shared_ptr<const WebSocketMessages> webSocketMessages;
    std::uint64_t webSocketDropped = 0;   // messages not kept: past the flow's budget
    std::uint64_t webSocketTruncated = 0; // messages kept cut to WsRecordLimits::maxMessageBytes
    std::string webSocketError; // why recording stopped (a protocol error); empty: it did not

    // The user's, not the wire's (see Marks).
    Marks marks;

    std::string url() const; // "http://host:port/path" for exchanges, "host:port" for tunnels
    std::int64_t durationMicros() const; // timings.complete, or -1 while open
};

enum class Side : std::uint8_t { Client, Server };

// One record per connection: client side (a client connected to the proxy) or server side
// (the proxy connected to an origin or an upstream proxy).
struct Connection
{
    ConnectionId id = 0;
    Side side = Side::Client;
    std::string protocol;               // "HTTP/1.1", "h2" once known
    std::string clientAddress;          // client side: the client; server side: the proxy's end
    std::string listenAddress;          // client side: the listener it came in on
    std::string target;                 // server side: "host:port" it was opened for
    std::string peerAddress;            // server side: the address connected to
    ConnectionId parent = 0;            // server side: the client connection that opened it
    std::shared_ptr<const TlsSide> tls; // TLS on this connection (null: none)
    // Frames and streams of a multiplexed (h2) connection; null for HTTP/1.1. The engine
    // records into `feed`; the store takes each batch from it into `log`, which the window
    // reads (a session file's reader fills `log` itself).
    std::shared_ptr<LogFeed> feed;
    std::shared_ptr<ConnectionLog> log;
    WallMillis openedWall = 0;
    WallMillis closedWall = 0; // 0 while open
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    std::uint32_t flows = 0;
    std::string closeReason;
};

} // namespace ts::flow
