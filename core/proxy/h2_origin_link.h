#pragma once

#include "core/base/result.h"
#include "core/http1/parser.h"
#include "core/http2/h2_connection.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy {

// HTTP/2 towards an origin for sessions that speak HTTP/1.1 bytes to their servers. Each user
// of the connection is a channel: every HTTP/1.1 request a channel sends becomes a stream
// (pseudo-headers from the request line and Host, connection-specific fields dropped, an
// Upgrade to websocket sent as extended CONNECT when the origin's SETTINGS allow it, RFC 8441),
// and each answer comes back to that channel as an HTTP/1.1 response (chunked, trailers kept,
// the body checked against Content-Length). A channel has one request at a time, any number
// over its life; many channels share the connection, each with a stream of its own.
// A stream's trouble (reset, a body that does not match its length) fails only its channel.
// Sans-IO.
class H2OriginLink
{
public:
    using Channel = std::uint32_t;

    static Result<std::unique_ptr<H2OriginLink>> create(const http2::ProtocolLimits &limits,
                                                        std::shared_ptr<flow::ConnectionLog> log,
                                                        const Http1Limits &http1, MonoTime now);
    ~H2OriginLink();

    // The connection preface and SETTINGS; call once after creation.
    std::string start(MonoTime now);

    // A new user. Channels are named by the caller (unique while open).
    void open(Channel channel);
    // The user is gone: a stream still in flight is reset (CANCEL).
    void close(Channel channel, MonoTime now, std::string &wire);
    bool has(Channel channel) const { return m_channels.count(channel) != 0; }
    std::size_t channels() const { return m_channels.size(); }

    // A channel's HTTP/1.1 request bytes -> frames for the server (appended to `wire`).
    void fromSession(Channel channel, std::string_view h1, MonoTime now, std::string &wire);
    // Frames from the server -> frames to send back (`wire`: SETTINGS ACK, WINDOW_UPDATE...)
    // and HTTP/1.1 response bytes per channel; returns the channels that have news (bytes
    // to take, or a failure).
    std::vector<Channel> fromServer(std::string_view frames, MonoTime now, std::string &wire);
    std::string takeResponse(Channel channel);
    // The channel's stream failed (or the whole connection did): its exchange cannot finish.
    bool channelFailed(Channel channel) const;
    const std::string &channelError(Channel channel) const;
    // The stream the channel's request went out on, the last one when none is in flight.
    http2::StreamId stream(Channel channel) const;

    // RFC 8441 §5: a WebSocket's half-closes are END_STREAM. The channel's user ended its side
    // (frames to `wire`); takeTunnelEnded() is true once, when the origin ended its own.
    void endTunnel(Channel channel, MonoTime now, std::string &wire);
    bool takeTunnelEnded(Channel channel);
    // A local answer (the 501 for a WebSocket the origin cannot take) is waiting to be taken.
    bool hasResponse(Channel channel) const;

    // What crossed the origin's wire for the channel's current (or last) exchange, for its
    // flow: the request fields as submitted and the final response fields as received (each
    // empty until it crossed). Valid until the channel's next request or close.
    struct Wire
    {
        const http2::Fields &request;
        const http2::Fields &response;
    };
    Wire wire(Channel channel) const;

    // Hold back a channel's response (its reader is full): its DATA is not acknowledged, so
    // the origin stops at the stream's window while the other channels go on.
    void pause(Channel channel, bool paused, MonoTime now, std::string &wire);

    bool failed() const { return !m_error.empty(); }
    const std::string &error() const { return m_error; }
    // The server ended the connection (GOAWAY and nothing in flight), or it failed.
    bool finished() const;
    // A new request may be sent on this connection.
    bool usable() const { return !finished() && !m_goAway; }
    // ...and one more channel fits under the origin's concurrent stream limit and `cap`.
    bool hasRoom(std::size_t cap) const;
    const std::shared_ptr<flow::ConnectionLog> &log() const { return m_h2->log(); }

private:
    struct State
    {
        explicit State(const Http1Limits &http1) : requests(http1) {}
        http1::RequestParser requests;
        std::string pending; // request bytes not yet parsed
        http2::StreamId stream = 0;
        http2::StreamId lastStream = 0;
        bool webSocket = false;   // the current stream is an extended CONNECT
        bool tunnel = false;      // ...and it was accepted: bytes are raw both ways now
        std::string webSocketKey; // the client's Sec-WebSocket-Key, for the 101's Accept
        // RFC 8441 §3: an extended CONNECT waits here until the origin's SETTINGS arrived.
        http2::Fields heldUpgrade;
        bool tunnelEnded = false; // the origin ended the WebSocket stream
        bool tunnelEndTaken = false;
        std::string method;
        http2::Fields trailers;
        http2::Fields sentFields;         // the request as submitted (Wire)
        http2::Fields receivedFields;     // the final response as received (Wire)
        std::int64_t expectedLength = -1; // the response's Content-Length
        std::uint64_t received = 0;
        std::string response;       // HTTP/1.1 bytes for the channel, not yet taken
        bool paused = false;        // the channel's reader is full
        std::size_t unconsumed = 0; // DATA bytes held while paused, not yet acknowledged
        std::string error;
    };

    explicit H2OriginLink(const Http1Limits &http1) : m_http1(http1) {}
    void onRequestEvent(State &c, http1::RequestEvent &event);
    void onH2Event(http2::H2Event &event, std::vector<Channel> &touched);
    void submitUpgrade(State &c);
    void failStream(State &c, std::string why);
    void streamError(Channel channel, State &c, std::string why);
    State *byStream(http2::StreamId stream, Channel &channel);

    Http1Limits m_http1;
    std::unique_ptr<http2::H2Connection> m_h2;
    std::map<Channel, State> m_channels;
    bool m_goAway = false;
    std::string m_error;
};

} // namespace ts::proxy
