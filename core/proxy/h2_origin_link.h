#pragma once

#include "core/base/result.h"
#include "core/http1/parser.h"
#include "core/http2/h2_connection.h"

#include <memory>
#include <string>
#include <string_view>

namespace ts::proxy {

// HTTP/2 towards an origin for a session that speaks HTTP/1.1 bytes to its servers: each
// HTTP/1.1 request the session sends becomes a stream (pseudo-headers from the request line
// and Host, connection-specific fields dropped, an Upgrade to websocket sent as extended
// CONNECT when the origin's SETTINGS allow it, RFC 8441), and each answer comes back as an
// HTTP/1.1 response (chunked, trailers kept, the body checked against Content-Length).
// One request at a time, any number over the connection's life. Sans-IO.
class H2OriginLink
{
public:
    static Result<std::unique_ptr<H2OriginLink>> create(const http2::ProtocolLimits &limits,
                                                        std::shared_ptr<flow::ConnectionLog> log,
                                                        const Http1Limits &http1, MonoTime now);
    ~H2OriginLink();

    // The connection preface and SETTINGS; call once after creation.
    std::string start(MonoTime now);
    // The session's HTTP/1.1 request bytes -> frames for the server (appended to `wire`).
    void fromSession(std::string_view h1, MonoTime now, std::string &wire);
    // Frames from the server -> HTTP/1.1 response bytes for the session (appended to `h1`)
    // and frames to send back (`wire`: SETTINGS ACK, WINDOW_UPDATE...).
    void fromServer(std::string_view frames, MonoTime now, std::string &h1, std::string &wire);
    // RFC 8441 §5: the WebSocket's half-closes are END_STREAM. The session's client ended its
    // side (frames to `wire`); takeTunnelEnded() is true once when the origin ended its own.
    void endTunnel(MonoTime now, std::string &wire);
    bool takeTunnelEnded();

    bool failed() const { return !m_error.empty(); }
    const std::string &error() const { return m_error; }
    // The server ended the connection (GOAWAY and nothing in flight), or it failed.
    bool finished() const;
    http2::StreamId lastStream() const { return m_lastStream; }
    // A new request may be sent on this connection.
    bool usable() const { return !finished() && !m_goAway; }
    const std::shared_ptr<flow::ConnectionLog> &log() const { return m_h2->log(); }

private:
    explicit H2OriginLink(const Http1Limits &http1) : m_requests(http1) {}
    void onRequestEvent(http1::RequestEvent &event, std::string &h1);
    void onH2Event(http2::H2Event &event, std::string &h1);
    void submitUpgrade(std::string &h1);
    void failStream(std::string why, std::string &h1);

    std::unique_ptr<http2::H2Connection> m_h2;
    http1::RequestParser m_requests;
    std::string m_pending; // request bytes not yet parsed
    http2::StreamId m_stream = 0;
    http2::StreamId m_lastStream = 0;
    bool m_webSocket = false;   // the current stream is an extended CONNECT
    bool m_tunnel = false;      // ...and it was accepted: bytes are raw both ways now
    std::string m_webSocketKey; // the client's Sec-WebSocket-Key, for the 101's Accept

    // RFC 8441 §3: an extended CONNECT waits here until the origin's SETTINGS arrived.
    http2::Fields m_heldUpgrade;
    bool m_tunnelEnded = false;
    bool m_tunnelEndTaken = false;
    std::string m_method;
    http2::Fields m_trailers;
    bool m_requestChunkedTrailers = false;
    std::int64_t m_expectedLength = -1; // the response's Content-Length
    std::uint64_t m_received = 0;
    bool m_responseStarted = false;
    bool m_goAway = false;
    std::string m_error;
};

} // namespace ts::proxy
