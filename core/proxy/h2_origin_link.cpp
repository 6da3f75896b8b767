#include "core/proxy/h2_origin_link.h"

#include "core/http/message.h"
#include "core/http1/message.h"
#include "core/http2/frame_text.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

namespace ts::proxy {

namespace {

using http::connectionSpecific;
using http::lower;

// RFC 6455 §4.2.2: what the origin would have answered to an HTTP/1.1 client's key.
std::string webSocketAccept(const std::string &key)
{
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest);
    return http::base64({reinterpret_cast<const char *>(digest), sizeof digest});
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
    if (failed() || m_h2->finished())
        return true;
    if (!m_goAway)
        return false;
    return std::none_of(m_channels.begin(), m_channels.end(),
                        [](const auto &c) { return c.second.stream != 0; });
}

bool H2OriginLink::hasRoom(std::size_t cap) const
{
    if (!usable() || m_channels.size() >= cap)
        return false;
    return m_channels.size() < m_h2->peerMaxConcurrentStreams();
}

void H2OriginLink::open(Channel channel)
{
    m_channels.try_emplace(channel, m_http1);
}

void H2OriginLink::close(Channel channel, MonoTime now, std::string &wire)
{
    const auto it = m_channels.find(channel);
    if (it == m_channels.end())
        return;
    const State &c = it->second;
    if (c.stream && m_h2->streamOpen(c.stream) && c.tunnel && c.tunnelEnded)
        m_h2->endStream(c.stream); // a WebSocket the origin ended: ours ends clean too
    else if (c.stream && m_h2->streamOpen(c.stream))
        m_h2->resetStream(c.stream, 0x8); // CANCEL
    else if (it->second.unconsumed)
        m_h2->consume(it->second.stream, it->second.unconsumed);
    m_channels.erase(it);
    wire += m_h2->takeOutput(now);
}

bool H2OriginLink::channelFailed(Channel channel) const
{
    const auto it = m_channels.find(channel);
    return failed() || (it != m_channels.end() && !it->second.error.empty());
}

const std::string &H2OriginLink::channelError(Channel channel) const
{
    const auto it = m_channels.find(channel);
    if (it != m_channels.end() && !it->second.error.empty())
        return it->second.error;
    return m_error;
}

http2::StreamId H2OriginLink::stream(Channel channel) const
{
    const auto it = m_channels.find(channel);
    return it == m_channels.end() ? 0 : it->second.lastStream;
}

std::string H2OriginLink::takeResponse(Channel channel)
{
    const auto it = m_channels.find(channel);
    if (it == m_channels.end() || it->second.paused)
        return {};
    return std::exchange(it->second.response, {});
}

void H2OriginLink::pause(Channel channel, bool paused, MonoTime now, std::string &wire)
{
    const auto it = m_channels.find(channel);
    if (it == m_channels.end() || it->second.paused == paused)
        return;
    State &c = it->second;
    c.paused = paused;
    if (!paused && c.unconsumed) {
        m_h2->consume(c.stream ? c.stream : c.lastStream, c.unconsumed);
        c.unconsumed = 0;
        wire += m_h2->takeOutput(now);
    }
}

void H2OriginLink::fromSession(Channel channel, std::string_view h1, MonoTime now,
                               std::string &wire)
{
    const auto it = m_channels.find(channel);
    if (failed() || it == m_channels.end())
        return;
    State &c = it->second;
    if (c.tunnel) {
        if (c.stream) // not after the origin closed the stream
            m_h2->submitData(c.stream, h1);
        wire += m_h2->takeOutput(now);
        return;
    }
    c.pending.append(h1);
    std::vector<http1::RequestEvent> events;
    std::size_t pos = 0;
    while (pos < c.pending.size() && !failed() && c.error.empty()) {
        events.clear();
        const std::size_t used = c.requests.feed(std::string_view(c.pending).substr(pos), events);
        pos += used;
        for (http1::RequestEvent &e : events)
            onRequestEvent(c, e);
        if (c.tunnel) { // whatever follows an accepted upgrade is tunnel data
            if (pos < c.pending.size())
                m_h2->submitData(c.stream, std::string_view(c.pending).substr(pos));
            pos = c.pending.size();
        }
        if (used == 0 && events.empty())
            break;
    }
    c.pending.erase(0, pos);
    wire += m_h2->takeOutput(now);
}

void H2OriginLink::onRequestEvent(State &c, http1::RequestEvent &event)
{
    if (auto *head = std::get_if<http1::RequestHeadEvent>(&event)) {
        const http1::RequestHead &r = head->head;
        const std::string *host = http1::findHeader(r.headers, "host");
        const bool upgrade = http1::findHeader(r.headers, "upgrade") != nullptr
                             && http1::headerHasToken(r.headers, "connection", "upgrade");
        c.method = r.method;
        c.webSocket = upgrade;
        c.tunnel = false;
        c.trailers.clear();
        c.expectedLength = -1;
        c.received = 0;
        c.sentFields.clear();
        c.receivedFields.clear();
        http2::Fields fields;
        if (upgrade) {
            fields = {{":method", "CONNECT"},
                      {":protocol", "websocket"},
                      {":scheme", "https"},
                      {":authority", host ? *host : ""},
                      {":path", r.target}};
            if (const std::string *key = http1::findHeader(r.headers, "sec-websocket-key"))
                c.webSocketKey = *key;
        } else {
            fields = {{":method", r.method},
                      {":scheme", "https"},
                      {":authority", host ? *host : ""},
                      {":path", r.target}};
        }
        std::string cookies;
        for (const http1::Header &h : r.headers) {
            std::string name = lower(h.name);
            if (name == "host" || connectionSpecific(name, h.value))
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
            c.heldUpgrade = std::move(fields);
            if (m_h2->peerSettingsReceived())
                submitUpgrade(c);
            return;
        }
        const bool end = head->framing == http1::BodyFraming::None;
        auto id = m_h2->submitRequest(fields, end);
        if (!id) {
            c.error = id.error().message;
            return;
        }
        c.sentFields = std::move(fields);
        c.stream = *id;
        c.lastStream = *id;
        return;
    }
    if (auto *body = std::get_if<http1::BodyData>(&event)) {
        if (c.stream)
            m_h2->submitData(c.stream, body->data);
        return;
    }
    if (auto *trailers = std::get_if<http1::TrailersEvent>(&event)) {
        for (const http1::Header &h : trailers->trailers)
            c.trailers.emplace_back(lower(h.name), h.value);
        return;
    }
    if (std::get_if<http1::MessageEnd>(&event)) {
        if (c.stream && !c.webSocket)
            m_h2->endStream(c.stream, c.trailers);
        c.trailers.clear();
        return;
    }
    if (auto *error = std::get_if<http1::ParseError>(&event))
        c.error = "cannot translate the request to HTTP/2: " + error->reason;
}

void H2OriginLink::submitUpgrade(State &c)
{
    const http2::Fields fields = std::exchange(c.heldUpgrade, {});
    if (!m_h2->connectProtocolAllowed()) {
        failStream(c, "the origin speaks HTTP/2 and does not allow extended CONNECT (RFC 8441), "
                      "so a WebSocket cannot be opened to it");
        return;
    }
    auto id = m_h2->submitRequest(fields, false);
    if (!id) {
        c.error = id.error().message;
        return;
    }
    c.sentFields = fields;
    c.stream = *id;
    c.lastStream = *id;
}

H2OriginLink::Wire H2OriginLink::wire(Channel channel) const
{
    static const http2::Fields none;
    const auto it = m_channels.find(channel);
    if (it == m_channels.end())
        return {none, none};
    return {it->second.sentFields, it->second.receivedFields};
}

void H2OriginLink::endTunnel(Channel channel, MonoTime now, std::string &wire)
{
    const auto it = m_channels.find(channel);
    if (it != m_channels.end() && it->second.tunnel && it->second.stream)
        m_h2->endStream(it->second.stream);
    wire += m_h2->takeOutput(now);
}

bool H2OriginLink::takeTunnelEnded(Channel channel)
{
    const auto it = m_channels.find(channel);
    if (it == m_channels.end() || !it->second.tunnelEnded || it->second.tunnelEndTaken)
        return false;
    it->second.tunnelEndTaken = true;
    return true;
}

bool H2OriginLink::hasResponse(Channel channel) const
{
    const auto it = m_channels.find(channel);
    return it != m_channels.end() && !it->second.response.empty();
}

void H2OriginLink::failStream(State &c, std::string why)
{
    // Answer the session as the origin would have, so the client gets a readable error.
    const std::string body = "Tunnelscope: " + why + "\n";
    c.response += "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  "Content-Length: "
                  + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.webSocket = false;
}

void H2OriginLink::streamError(Channel channel, State &c, std::string why)
{
    (void)channel;
    if (c.stream && m_h2->streamOpen(c.stream))
        m_h2->resetStream(c.stream, 0x1); // PROTOCOL_ERROR
    c.stream = 0;
    c.error = std::move(why);
}

H2OriginLink::State *H2OriginLink::byStream(http2::StreamId stream, Channel &channel)
{
    for (auto &[id, c] : m_channels)
        if (c.stream == stream && stream != 0) {
            channel = id;
            return &c;
        }
    return nullptr;
}

std::vector<H2OriginLink::Channel> H2OriginLink::fromServer(std::string_view frames, MonoTime now,
                                                            std::string &wire)
{
    std::vector<Channel> touched;
    std::vector<http2::H2Event> events;
    m_h2->receive(frames, now, events);
    for (http2::H2Event &e : events)
        onH2Event(e, touched);
    events.clear();
    m_h2->pollEvents(events);
    for (http2::H2Event &e : events)
        onH2Event(e, touched);
    wire += m_h2->takeOutput(now);
    if (m_h2->failed() && m_error.empty())
        m_error = m_h2->failure();
    if (failed()) {
        touched.clear();
        for (const auto &[id, c] : m_channels)
            touched.push_back(id);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    std::erase_if(touched, [&](Channel id) {
        const auto it = m_channels.find(id);
        return it == m_channels.end()
               || (it->second.paused && it->second.error.empty() && !failed());
    });
    return touched;
}

void H2OriginLink::onH2Event(http2::H2Event &event, std::vector<Channel> &touched)
{
    std::visit(
        [&](auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, http2::HeadersReceived>) {
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c)
                    return;
                touched.push_back(channel);
                if (e.trailers) {
                    http1::Headers trailers;
                    for (auto &[n, v] : e.fields)
                        trailers.push_back({n, v});
                    if (c->expectedLength >= 0 && std::uint64_t(c->expectedLength) != c->received) {
                        streamError(channel, *c,
                                    "the origin's body (" + std::to_string(c->received)
                                        + " bytes) does not match its content-length ("
                                        + std::to_string(c->expectedLength) + ")");
                        return;
                    }
                    c->response += http1::lastChunk(trailers);
                    c->stream = 0;
                    return;
                }
                int status = 0;
                for (auto &[n, v] : e.fields)
                    if (n == ":status")
                        status = std::atoi(v.c_str());
                if (status < 100 || status > 999) {
                    streamError(channel, *c, "the origin answered without a valid :status");
                    return;
                }
                if (status >= 200)
                    c->receivedFields = e.fields;
                if (c->webSocket && status >= 200 && status < 300) {
                    // RFC 8441: 200 on the extended CONNECT is the 101 of HTTP/1.1.
                    c->response += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                                   + webSocketAccept(c->webSocketKey) + "\r\n";
                    for (auto &[n, v] : e.fields)
                        if (n[0] != ':')
                            c->response += n + ": " + v + "\r\n";
                    c->response += "\r\n";
                    c->tunnel = true;
                    return;
                }
                std::string head = "HTTP/1.1 " + std::to_string(status) + " "
                                   + std::string(http::reasonPhrase(status)) + "\r\n";
                c->expectedLength = -1;
                for (auto &[n, v] : e.fields) {
                    if (n[0] == ':')
                        continue;
                    if (n == "content-length") {
                        c->expectedLength = std::atoll(v.c_str());
                        continue; // the body is re-framed as chunked and checked here
                    }
                    head += n + ": " + v + "\r\n";
                }
                const bool informational = status < 200;
                const bool bodiless = status == 204 || status == 304 || c->method == "HEAD";
                if (informational) {
                    c->response += head + "\r\n";
                    return;
                }
                if (bodiless) {
                    if (c->expectedLength >= 0 && c->method == "HEAD")
                        head += "content-length: " + std::to_string(c->expectedLength) + "\r\n";
                    c->response += head + "\r\n";
                    c->stream = e.endStream ? 0 : c->stream;
                    return;
                }
                if (e.endStream) {
                    c->response += head + "content-length: 0\r\n\r\n";
                    c->stream = 0;
                    return;
                }
                c->response += head + "transfer-encoding: chunked\r\n\r\n";
            } else if constexpr (std::is_same_v<T, http2::DataReceived>) {
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c) {
                    m_h2->consume(e.stream, e.data.size());
                    return;
                }
                // Acknowledged once the channel takes it: a paused channel holds the origin
                // at its stream window.
                if (c->paused)
                    c->unconsumed += e.data.size();
                else
                    m_h2->consume(e.stream, e.data.size());
                touched.push_back(channel);
                if (c->tunnel) {
                    c->response += e.data;
                    return;
                }
                c->received += e.data.size();
                if (c->method != "HEAD")
                    c->response += http1::chunk(e.data);
            } else if constexpr (std::is_same_v<T, http2::StreamEnded>) {
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c)
                    return;
                touched.push_back(channel);
                if (c->tunnel) {
                    c->tunnelEnded = true; // the origin half-closed the WebSocket
                    return;
                }
                if (c->expectedLength >= 0 && std::uint64_t(c->expectedLength) != c->received) {
                    streamError(channel, *c,
                                "the origin's body (" + std::to_string(c->received)
                                    + " bytes) does not match its content-length ("
                                    + std::to_string(c->expectedLength) + ")");
                    return;
                }
                if (c->method != "HEAD")
                    c->response += http1::lastChunk();
                c->stream = 0;
            } else if constexpr (std::is_same_v<T, http2::StreamClosed>) {
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c)
                    return;
                touched.push_back(channel);
                if (e.code != 0)
                    streamError(channel, *c,
                                "the origin reset the stream (" + http2::errorCodeName(e.code)
                                    + ")");
                else if (c->tunnel) {
                    c->tunnelEnded = true; // closed without an error: both sides ended
                    c->stream = 0;
                }
            } else if constexpr (std::is_same_v<T, http2::SettingsReceived>) {
                for (auto &[id, c] : m_channels) {
                    if (!c.heldUpgrade.empty()) {
                        submitUpgrade(c);
                        touched.push_back(id);
                    }
                }
            } else if constexpr (std::is_same_v<T, http2::GoAwayReceived>) {
                m_goAway = true;
            } else if constexpr (std::is_same_v<T, http2::ConnectionFailed>) {
                m_error = e.reason;
            }
        },
        event);
}

} // namespace ts::proxy
