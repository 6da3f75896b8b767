#include "core/proxy/h2_origin_link.h"

#include "core/http1/message.h"
#include "core/http2/frame_text.h"
#include "core/proxy/h2_fields.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

namespace ts::proxy {

namespace {

using namespace h2fields;

// RFC 6455 §4.2.2: what the origin would have answered to an HTTP/1.1 client's key.
std::string webSocketAccept(const std::string &key)
{
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest);
    return base64(digest, sizeof digest);
}

std::string reasonFor(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 103:
        return "Early Hints";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

} // namespace

Result<std::unique_ptr<H2OriginLink>> H2OriginLink::create(const http2::ProtocolLimits &limits,
                                                           std::shared_ptr<flow::ConnectionLog> log,
                                                           const Http1Limits &http1, MonoTime now)
{
    std::unique_ptr<H2OriginLink> link(new H2OriginLink(http1));
    auto h2 = http2::H2Connection::create(http2::H2Connection::Role::Client, limits, std::move(log),
                                          now);
    if (!h2)
        return h2.error();
    link->m_h2 = std::move(*h2);
    return link;
}

H2OriginLink::~H2OriginLink() = default;

std::string H2OriginLink::start(MonoTime now)
{
    return m_h2->takeOutput(now);
}

bool H2OriginLink::finished() const
{
    return failed() || m_h2->finished() || (m_goAway && m_stream == 0);
}

void H2OriginLink::fromSession(std::string_view h1, MonoTime now, std::string &wire)
{
    if (failed())
        return;
    if (m_tunnel) {
        if (m_stream) // not after the origin closed the stream
            m_h2->submitData(m_stream, h1);
        wire += m_h2->takeOutput(now);
        return;
    }
    m_pending.append(h1);
    std::string answer; // a local answer cannot be produced here; errors surface on receive
    std::vector<http1::RequestEvent> events;
    std::size_t pos = 0;
    while (pos < m_pending.size() && !failed()) {
        events.clear();
        const std::size_t used = m_requests.feed(std::string_view(m_pending).substr(pos), events);
        pos += used;
        for (http1::RequestEvent &e : events)
            onRequestEvent(e, answer);
        if (m_tunnel) { // whatever follows an accepted upgrade is tunnel data
            if (pos < m_pending.size())
                m_h2->submitData(m_stream, std::string_view(m_pending).substr(pos));
            pos = m_pending.size();
        }
        if (used == 0 && events.empty())
            break;
    }
    m_pending.erase(0, pos);
    wire += m_h2->takeOutput(now);
}

void H2OriginLink::onRequestEvent(http1::RequestEvent &event, std::string &h1)
{
    if (auto *head = std::get_if<http1::RequestHeadEvent>(&event)) {
        const http1::RequestHead &r = head->head;
        const std::string *host = http1::findHeader(r.headers, "host");
        const bool upgrade = http1::findHeader(r.headers, "upgrade") != nullptr
                             && http1::headerHasToken(r.headers, "connection", "upgrade");
        m_method = r.method;
        m_webSocket = upgrade;
        m_tunnel = false;
        m_trailers.clear();
        m_expectedLength = -1;
        m_received = 0;
        m_responseStarted = false;
        http2::Fields fields;
        if (upgrade) {
            fields = {{":method", "CONNECT"},
                      {":protocol", "websocket"},
                      {":scheme", "https"},
                      {":authority", host ? *host : ""},
                      {":path", r.target}};
            if (const std::string *key = http1::findHeader(r.headers, "sec-websocket-key"))
                m_webSocketKey = *key;
        } else {
            fields = {{":method", r.method},
                      {":scheme", "https"},
                      {":authority", host ? *host : ""},
                      {":path", r.target}};
        }
        std::string cookies;
        for (const http1::Header &h : r.headers) {
            std::string name = lower(h.name);
            if (name == "host" || connectionSpecific(name))
                continue;
            if (name == "te" && lower(h.value) != "trailers")
                continue;
            if (upgrade && name == "sec-websocket-key")
                continue;
            if (name == "cookie") { // RFC 9113 §8.2.3: crumbs may be split; one field is fine
                cookies += (cookies.empty() ? "" : "; ") + h.value;
                continue;
            }
            fields.emplace_back(std::move(name), h.value);
        }
        if (!cookies.empty())
            fields.emplace_back("cookie", cookies);
        if (upgrade) {
            // RFC 8441 §3: :protocol only once the origin's SETTINGS allowed it; a fresh
            // connection has not heard them yet, so the request waits for them.
            m_heldUpgrade = std::move(fields);
            if (m_h2->peerSettingsReceived())
                submitUpgrade(h1);
            return;
        }
        const bool end = head->framing == http1::BodyFraming::None;
        auto id = m_h2->submitRequest(fields, end);
        if (!id) {
            m_error = id.error().message;
            return;
        }
        m_stream = *id;
        m_lastStream = *id;
        return;
    }
    if (auto *body = std::get_if<http1::BodyData>(&event)) {
        if (m_stream)
            m_h2->submitData(m_stream, body->data);
        return;
    }
    if (auto *trailers = std::get_if<http1::TrailersEvent>(&event)) {
        for (const http1::Header &h : trailers->trailers)
            m_trailers.emplace_back(lower(h.name), h.value);
        return;
    }
    if (std::get_if<http1::MessageEnd>(&event)) {
        if (m_stream && !m_webSocket)
            m_h2->endStream(m_stream, m_trailers);
        m_trailers.clear();
        return;
    }
    if (auto *error = std::get_if<http1::ParseError>(&event))
        m_error = "cannot translate the request to HTTP/2: " + error->reason;
}

void H2OriginLink::submitUpgrade(std::string &h1)
{
    const http2::Fields fields = std::exchange(m_heldUpgrade, {});
    if (!m_h2->connectProtocolAllowed()) {
        failStream("the origin speaks HTTP/2 and does not allow extended CONNECT (RFC 8441), "
                   "so a WebSocket cannot be opened to it",
                   h1);
        return;
    }
    auto id = m_h2->submitRequest(fields, false);
    if (!id) {
        m_error = id.error().message;
        return;
    }
    m_stream = *id;
    m_lastStream = *id;
}

void H2OriginLink::failStream(std::string why, std::string &h1)
{
    // Answer the session as the origin would have, so the client gets a readable error.
    const std::string body = "Tunnelscope: " + why + "\n";
    h1 += "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: "
          + std::to_string(body.size()) + "\r\n\r\n" + body;
    m_webSocket = false;
}

void H2OriginLink::fromServer(std::string_view frames, MonoTime now, std::string &h1,
                              std::string &wire)
{
    std::vector<http2::H2Event> events;
    m_h2->receive(frames, now, events);
    for (http2::H2Event &e : events)
        onH2Event(e, h1);
    m_h2->pollEvents(events);
    wire += m_h2->takeOutput(now);
    if (m_h2->failed() && m_error.empty())
        m_error = m_h2->failure();
}

void H2OriginLink::endTunnel(MonoTime now, std::string &wire)
{
    if (m_tunnel && m_stream)
        m_h2->endStream(m_stream);
    wire += m_h2->takeOutput(now);
}

bool H2OriginLink::takeTunnelEnded()
{
    if (!m_tunnelEnded || m_tunnelEndTaken)
        return false;
    m_tunnelEndTaken = true;
    return true;
}

void H2OriginLink::onH2Event(http2::H2Event &event, std::string &h1)
{
    std::visit(
        [&](auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, http2::HeadersReceived>) {
                if (e.stream != m_stream)
                    return;
                if (e.trailers) {
                    http1::Headers trailers;
                    for (auto &[n, v] : e.fields)
                        trailers.push_back({n, v});
                    if (m_expectedLength >= 0 && std::uint64_t(m_expectedLength) != m_received) {
                        m_error = "the origin's body (" + std::to_string(m_received)
                                  + " bytes) does not match its content-length ("
                                  + std::to_string(m_expectedLength) + ")";
                        return;
                    }
                    h1 += http1::lastChunk(trailers);
                    m_stream = 0;
                    return;
                }
                int status = 0;
                for (auto &[n, v] : e.fields)
                    if (n == ":status")
                        status = std::atoi(v.c_str());
                if (status < 100 || status > 999) {
                    m_error = "the origin answered without a valid :status";
                    return;
                }
                if (m_webSocket && status >= 200 && status < 300) {
                    // RFC 8441: 200 on the extended CONNECT is the 101 of HTTP/1.1.
                    h1 += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                          + webSocketAccept(m_webSocketKey) + "\r\n";
                    for (auto &[n, v] : e.fields)
                        if (n[0] != ':')
                            h1 += n + ": " + v + "\r\n";
                    h1 += "\r\n";
                    m_tunnel = true;
                    return;
                }
                std::string head
                    = "HTTP/1.1 " + std::to_string(status) + " " + reasonFor(status) + "\r\n";
                m_expectedLength = -1;
                for (auto &[n, v] : e.fields) {
                    if (n[0] == ':')
                        continue;
                    if (n == "content-length") {
                        m_expectedLength = std::atoll(v.c_str());
                        continue; // the body is re-framed as chunked and checked here
                    }
                    head += n + ": " + v + "\r\n";
                }
                const bool informational = status < 200;
                const bool bodiless = status == 204 || status == 304 || m_method == "HEAD";
                if (informational) {
                    h1 += head + "\r\n";
                    return;
                }
                m_responseStarted = true;
                if (bodiless) {
                    if (m_expectedLength >= 0 && m_method == "HEAD")
                        head += "content-length: " + std::to_string(m_expectedLength) + "\r\n";
                    h1 += head + "\r\n";
                    m_stream = e.endStream ? 0 : m_stream;
                    return;
                }
                if (e.endStream) {
                    h1 += head + "content-length: 0\r\n\r\n";
                    m_stream = 0;
                    return;
                }
                h1 += head + "transfer-encoding: chunked\r\n\r\n";
            } else if constexpr (std::is_same_v<T, http2::DataReceived>) {
                m_h2->consume(e.stream, e.data.size()); // the session buffers what it holds
                if (e.stream != m_stream)
                    return;
                if (m_tunnel) {
                    h1 += e.data;
                    return;
                }
                m_received += e.data.size();
                if (m_method != "HEAD")
                    h1 += http1::chunk(e.data);
            } else if constexpr (std::is_same_v<T, http2::StreamEnded>) {
                if (e.stream != m_stream)
                    return;
                if (m_tunnel) {
                    m_tunnelEnded = true; // the origin half-closed the WebSocket
                    return;
                }
                if (m_expectedLength >= 0 && std::uint64_t(m_expectedLength) != m_received) {
                    m_error = "the origin's body (" + std::to_string(m_received)
                              + " bytes) does not match its content-length ("
                              + std::to_string(m_expectedLength) + ")";
                    return;
                }
                if (m_method != "HEAD")
                    h1 += http1::lastChunk();
                m_stream = 0;
            } else if constexpr (std::is_same_v<T, http2::StreamClosed>) {
                if (e.stream == m_stream && e.code != 0) {
                    m_error = "the origin reset the stream (" + http2::errorCodeName(e.code) + ")";
                    m_stream = 0;
                } else if (e.stream == m_stream && m_tunnel) {
                    m_tunnelEnded = true; // closed without an error: both sides ended
                    m_stream = 0;
                }
            } else if constexpr (std::is_same_v<T, http2::SettingsReceived>) {
                if (!m_heldUpgrade.empty())
                    submitUpgrade(h1);
            } else if constexpr (std::is_same_v<T, http2::GoAwayReceived>) {
                m_goAway = true;
            } else if constexpr (std::is_same_v<T, http2::ConnectionFailed>) {
                m_error = e.reason;
            }
        },
        event);
}

} // namespace ts::proxy
