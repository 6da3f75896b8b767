#pragma once

#include "core/base/result.h"
#include "core/flow/log_feed.h"
#include "core/http/message.h"
#include "core/http2/h2_connection.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy {

// HTTP/2 towards an origin. Each user of the connection is a channel that sends its request as
// parts (http::RequestPart: head, body, end) and takes the response as parts; one request at
// a time per channel, any number over its life, each on a stream of its own, many channels on
// the connection. Nothing is HTTP/1.1 text here: the request's fields become HEADERS (pseudo-
// header fields from the request, lowercase names, without what HTTP/2 cannot carry) and the
// origin's HEADERS come back as fields, content-length included; the body is checked against
// it. A WebSocket (RequestStart with protocol "websocket") goes as an extended CONNECT when
// the origin's SETTINGS allow it (RFC 8441); once accepted, Body parts carry its bytes both
// ways and End is its END_STREAM. A stream's trouble (reset, a body that does not match its
// length) fails only its channel. Sans-IO.
class H2OriginLink
{
public:
    using Channel = std::uint32_t;

    static Result<std::unique_ptr<H2OriginLink>>
    create(const http2::ProtocolLimits &limits, std::shared_ptr<flow::LogFeed> feed, MonoTime now);
    ~H2OriginLink();

    // The connection preface and SETTINGS; call once after creation.
    std::string start(MonoTime now);

    // A new user. Channels are named by the caller (unique while open).
    void open(Channel channel);
    // The user is gone: a stream still in flight is reset (CANCEL).
    void close(Channel channel, MonoTime now, std::string &wire);
    bool has(Channel channel) const { return m_channels.count(channel) != 0; }
    std::size_t channels() const { return m_channels.size(); }

    // One part of the channel's request -> frames for the server (appended to `wire`).
    void send(Channel channel, http::RequestPart part, MonoTime now, std::string &wire);
    // Frames from the server -> frames to send back (`wire`: SETTINGS ACK, WINDOW_UPDATE...)
    // and response parts per channel; returns the channels that have news (parts to take, or
    // a failure).
    std::vector<Channel> fromServer(std::string_view frames, MonoTime now, std::string &wire);
    // The response parts that arrived for the channel since the last call (none while it is
    // paused). An origin that cannot take a WebSocket is answered here: 501 with the reason.
    std::vector<http::ResponsePart> take(Channel channel);
    bool hasParts(Channel channel) const;
    // The channel's stream failed (or the whole connection did): its exchange cannot finish.
    bool channelFailed(Channel channel) const;
    const std::string &channelError(Channel channel) const;
    // The stream the channel's request went out on, the last one when none is in flight.
    http2::StreamId stream(Channel channel) const;

    // What crossed the origin's wire for the channel's current (or last) exchange, for its
    // flow: the request fields as submitted and the final response fields as received (each
    // empty until it crossed), and the frame bytes of each so far (HEADERS, CONTINUATION and
    // DATA, frame headers included). Valid until the channel's next request or close.
    struct Wire
    {
        const http2::Fields &request;
        const http2::Fields &response;
        std::uint64_t requestBytes = 0;
        std::uint64_t responseBytes = 0;
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

private:
    struct State
    {
        http2::StreamId stream = 0;
        http2::StreamId lastStream = 0;
        bool webSocket = false;   // the current stream is an extended CONNECT
        bool tunnel = false;      // ...and it was accepted: Body parts are its bytes both ways
        bool tunnelEnded = false; // ...and the origin ended its side
        // RFC 8441 §3: an extended CONNECT waits here until the origin's SETTINGS arrived.
        http2::Fields heldUpgrade;
        std::string method;
        http2::Fields sentFields;             // the request as submitted (Wire)
        http2::Fields receivedFields;         // the final response as received (Wire)
        http2::H2Connection::Wire closedWire; // the last stream's bytes, once it closed
        std::int64_t expectedLength = -1;     // the response's content-length
        std::uint64_t received = 0;
        std::vector<http::ResponsePart> parts; // for the channel, not yet taken
        bool paused = false;                   // the channel's reader is full
        std::size_t unconsumed = 0;            // DATA bytes held while paused, not yet acknowledged
        std::string error;
    };

    H2OriginLink() = default;
    void submitHead(State &c, const http::RequestStart &head);
    void onH2Event(http2::H2Event &event, std::vector<Channel> &touched);
    void submitUpgrade(State &c);
    void failStream(State &c, std::string why);
    void streamError(State &c, std::string why);
    bool bodyMatches(State &c);
    State *byStream(http2::StreamId stream, Channel &channel);

    std::unique_ptr<http2::H2Connection> m_h2;
    std::map<Channel, State> m_channels;
    bool m_goAway = false;
    std::string m_error;
};

} // namespace ts::proxy
