#pragma once

#include "core/proxy/events.h"
#include "core/proxy/session_context.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

class H2OriginLink;

// The https origins of one multiplexed client connection's streams (an H2ProxyFront): the
// pool does the TLS to each origin itself, and when an origin chooses h2 every stream that
// asks for that origin gets a channel on the one connection, a stream of its own, instead of
// a connection (RFC 9113 §9.1). Origins that choose HTTP/1.1 get a connection per stream at
// a time, kept for the next stream when released clean.
//
// The streams' sessions ("users") see their server behind a channel id: ServerConnected (with
// ::tls), ServerData, ServerEof, ServerGone, ServerConnectFailed arrive as deliveries. An
// HTTP/1.1 origin's channel carries plaintext both ways (send()); an h2 origin's is a stream
// (ServerConnected::messages): the request goes as parts (sendPart()) and the response comes
// as ServerResponse deliveries, never as HTTP/1.1 text. Engine commands for the real
// connections (their ids come from the pool's own range) are appended to `out`. Sans-IO.
class OriginPool
{
public:
    struct Delivery
    {
        ServerId channel = 0;
        Event event;                  // its id is the channel
        std::string data;             // ServerData's bytes (the event's view is set on delivery)
        http::ResponsePart part = {}; // ServerResponse's (its pointer is set on delivery)
    };

    explicit OriginPool(const SessionContext &context);
    ~OriginPool();

    // A user's OpenServer{tls}: `channel` is unique among the caller's servers.
    void open(ServerId channel, const std::string &host, std::uint16_t port, MonoTime now,
              std::vector<Command> &out);
    bool ownsChannel(ServerId channel) const { return m_channels.count(channel) != 0; }
    bool ownsServer(ServerId real) const { return m_conns.count(real) != 0; }

    void send(ServerId channel, std::string_view plaintext, MonoTime now,
              std::vector<Command> &out);
    // A stream's request part (the user was told ServerConnected::messages).
    void sendPart(ServerId channel, http::RequestPart part, MonoTime now,
                  std::vector<Command> &out);
    void shutdown(ServerId channel, MonoTime now, std::vector<Command> &out);
    // Done with it: an HTTP/1.1 connection is closed, an HTTP/2 stream still open reset.
    void close(ServerId channel, MonoTime now, std::vector<Command> &out);
    // Done with it, and the exchange ended clean: an HTTP/1.1 connection is kept idle.
    void release(ServerId channel, MonoTime now, std::vector<Command> &out);
    // The user's reader is full: hold its input (only its stream's, on a shared connection).
    void pause(ServerId channel, bool paused, MonoTime now, std::vector<Command> &out);
    bool congested(ServerId channel) const;

    // An engine event for one of the pool's connections.
    void serverEvent(const Event &event, MonoTime now, std::vector<Command> &out);
    std::vector<Delivery> takeDeliveries() { return std::exchange(m_deliveries, {}); }

    // What a flow on this channel records: the connection's record, and its stream when the
    // connection speaks h2.
    struct Use
    {
        flow::ConnectionId connection = 0;
        bool h2 = false;
        std::uint64_t stream = 0;
        // h2: the fields that crossed the origin's wire (H2OriginLink::wire); null otherwise.
        const flow::HeaderList *request = nullptr;
        const flow::HeaderList *response = nullptr;
    };
    std::optional<Use> use(ServerId channel) const;

    // The client connection ended: every connection is closed.
    void closeAll(std::vector<Command> &out);

private:
    struct Conn;

    Conn *findShared(const std::string &key, std::size_t cap);
    void startConnection(ServerId channel, const std::string &host, std::uint16_t port,
                         std::vector<Command> &out);
    void onConnected(Conn &c, const ServerConnected &e, MonoTime now, std::vector<Command> &out);
    void onBytes(Conn &c, std::string_view data, MonoTime now, std::vector<Command> &out);
    void onSecured(Conn &c, MonoTime now, std::vector<Command> &out);
    void onPlaintext(Conn &c, std::string_view data, MonoTime now, std::vector<Command> &out);
    void attach(Conn &c, ServerId channel, bool reused);
    void sendWire(Conn &c, std::string_view plaintext, std::vector<Command> &out);
    void fail(Conn &c, const std::string &message, bool timedOut, std::vector<Command> &out);
    void ended(Conn &c, const std::string &reason, bool eof, std::vector<Command> &out);
    void drop(Conn &c, const std::string &reason, std::vector<Command> &out);
    void publish(Conn &c, std::vector<Command> &out);
    void deliverH2(Conn &c, const std::vector<std::uint32_t> &channels, MonoTime now,
                   std::vector<Command> &out);

    SessionContext m_context;
    std::map<ServerId, std::unique_ptr<Conn>> m_conns; // by the engine's (real) id
    std::map<ServerId, ServerId> m_channels;           // channel -> real id
    std::vector<Delivery> m_deliveries;
    ServerId m_nextId = 0xC0000000u; // real ids, apart from the owner's other ranges
};

} // namespace ts::proxy
