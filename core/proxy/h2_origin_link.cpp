#include "core/proxy/h2_origin_link.h"

#include "core/http/message.h"
#include "core/http2/frame_text.h"
#include "core/proxy/log_feed_sink.h"

#include <algorithm>
#include <utility>

namespace ts::proxy {

namespace {

using http::connectionSpecific;
using http::lower;

constexpr std::uint32_t kProtocolError = 0x1;
constexpr std::uint32_t kCancel = 0x8;

} // namespace

Result<std::unique_ptr<H2OriginLink>> H2OriginLink::create(const http2::ProtocolLimits &limits,
                                                           std::shared_ptr<flow::LogFeed> feed,
                                                           MonoTime now)
{
    std::unique_ptr<H2OriginLink> link(new H2OriginLink());
    auto h2 = http2::H2Connection::create(http2::H2Connection::Role::Client, limits,
                                          LogFeedSink::into(std::move(feed)), now);
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
    m_channels.try_emplace(channel);
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
        m_h2->resetStream(c.stream, kCancel);
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

std::vector<http::ResponsePart> H2OriginLink::take(Channel channel)
{
    const auto it = m_channels.find(channel);
    if (it == m_channels.end() || it->second.paused)
        return {};
    return std::exchange(it->second.parts, {});
}

bool H2OriginLink::hasParts(Channel channel) const
{
    const auto it = m_channels.find(channel);
    return it != m_channels.end() && !it->second.parts.empty();
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

void H2OriginLink::send(Channel channel, http::RequestPart part, MonoTime now, std::string &wire)
{
    const auto it = m_channels.find(channel);
    if (failed() || it == m_channels.end())
        return;
    State &c = it->second;
    if (auto *head = std::get_if<http::RequestStart>(&part)) {
        submitHead(c, *head);
    } else if (auto *body = std::get_if<http::Body>(&part)) {
        if (c.stream && (!c.webSocket || c.tunnel))
            m_h2->submitData(c.stream, body->data);
    } else if (auto *end = std::get_if<http::End>(&part)) {
        // A WebSocket's request has no end of its own: its End is the tunnel's half-close
        // (RFC 8441 §5), once there is a tunnel.
        if (c.stream && (!c.webSocket || c.tunnel)) {
            http2::Fields trailers;
            for (const http::Field &f : end->trailers)
                if (std::string name = lower(f.name); !connectionSpecific(name, f.value))
                    trailers.emplace_back(std::move(name), f.value);
            m_h2->endStream(c.stream, trailers);
        }
    }
    wire += m_h2->takeOutput(now);
}

void H2OriginLink::submitHead(State &c, const http::RequestStart &head)
{
    const http::Request &r = head.request;
    c.method = r.method;
    c.webSocket = http::equalsIgnoreCase(r.protocol, "websocket");
    c.tunnel = false;
    c.tunnelEnded = false;
    c.expectedLength = -1;
    c.received = 0;
    c.closedWire = {};
    c.sentFields.clear();
    c.receivedFields.clear();
    if (!r.protocol.empty() && !c.webSocket) {
        failStream(c, "an extended CONNECT for " + r.protocol + " cannot go to an HTTP/2 origin");
        return;
    }
    http2::Fields fields;
    if (c.webSocket)
        fields = {{":method", "CONNECT"}, {":protocol", "websocket"}};
    else
        fields = {{":method", r.method}};
    fields.emplace_back(":scheme", r.scheme);
    fields.emplace_back(":authority", r.authority);
    fields.emplace_back(":path", r.path);
    for (const http::Field &f : r.fields) {
        std::string name = lower(f.name);
        if (name == "host" || connectionSpecific(name, f.value))
            continue;
        // An HTTP/1.1 client's handshake key means nothing to an HTTP/2 origin (RFC 8441 §5).
        if (c.webSocket && name == "sec-websocket-key")
            continue;
        fields.emplace_back(std::move(name), f.value);
    }
    if (c.webSocket) {
        // RFC 8441 §3: :protocol only once the origin's SETTINGS allowed it; a fresh
        // connection has not heard them yet, so the request waits for them.
        c.heldUpgrade = std::move(fields);
        if (m_h2->peerSettingsReceived())
            submitUpgrade(c);
        return;
    }
    auto id = m_h2->submitRequest(fields, head.endStream);
    if (!id) {
        c.error = id.error().message;
        return;
    }
    c.sentFields = std::move(fields);
    c.stream = *id;
    c.lastStream = *id;
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
    const State &c = it->second;
    const http2::H2Connection::Wire bytes = c.stream ? m_h2->wireBytes(c.stream)
                                            : c.closedWire.in || c.closedWire.out
                                                ? c.closedWire
                                                : m_h2->wireBytes(c.lastStream);
    return {c.sentFields, c.receivedFields, bytes.out, bytes.in};
}

void H2OriginLink::failStream(State &c, std::string why)
{
    // Answer the channel as the origin would have, so the client gets a readable error.
    std::string body = "Tunnelscope: " + why + "\n";
    c.parts.push_back(
        http::ResponseStart{http::Response{501,
                                           "",
                                           {{"content-type", "text/plain; charset=utf-8"},
                                            {"content-length", std::to_string(body.size())}}},
                            false});
    c.parts.push_back(http::Body{std::move(body)});
    c.parts.push_back(http::End{});
    c.webSocket = false;
}

void H2OriginLink::streamError(State &c, std::string why)
{
    if (c.stream && m_h2->streamOpen(c.stream))
        m_h2->resetStream(c.stream, kProtocolError);
    c.stream = 0;
    c.error = std::move(why);
}

bool H2OriginLink::bodyMatches(State &c)
{
    if (c.expectedLength < 0 || c.method == "HEAD" || std::uint64_t(c.expectedLength) == c.received)
        return true;
    streamError(c, "the origin's body (" + std::to_string(c.received)
                       + " bytes) does not match its content-length ("
                       + std::to_string(c.expectedLength) + ")");
    return false;
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
                    if (!bodyMatches(*c))
                        return;
                    http::Fields trailers;
                    for (auto &[n, v] : e.fields)
                        trailers.push_back({n, v});
                    c->parts.push_back(http::End{std::move(trailers)});
                    c->stream = 0;
                    return;
                }
                int status = 0;
                http::Fields fields;
                for (auto &[n, v] : e.fields) {
                    if (n == ":status")
                        status = std::atoi(v.c_str());
                    else if (!n.empty() && n[0] != ':')
                        fields.push_back({n, v});
                }
                if (status < 100 || status > 999) {
                    streamError(*c, "the origin answered without a valid :status");
                    return;
                }
                if (status >= 200) {
                    c->receivedFields = e.fields;
                    c->expectedLength = -1;
                    std::uint64_t length = 0;
                    if (http::findHeader(fields, "content-length")) {
                        if (const char *bad = http::parseContentLength(fields, length)) {
                            streamError(*c, std::string("the origin's response: ") + bad);
                            return;
                        }
                        c->expectedLength = std::int64_t(length);
                    }
                }
                if (c->webSocket && status >= 200 && status < 300)
                    c->tunnel = true; // RFC 8441: the 2xx is HTTP/1.1's 101
                else if (status >= 200)
                    c->webSocket = false;
                c->parts.push_back(http::ResponseStart{
                    http::Response{status, "", std::move(fields)}, e.endStream && status >= 200});
                if (e.endStream && status >= 200)
                    c->stream = 0;
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
                c->received += e.data.size();
                if (c->tunnel || c->method != "HEAD")
                    c->parts.push_back(http::Body{std::move(e.data)});
            } else if constexpr (std::is_same_v<T, http2::StreamEnded>) {
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c)
                    return;
                touched.push_back(channel);
                if (!c->tunnel && !bodyMatches(*c))
                    return;
                c->parts.push_back(http::End{}); // a WebSocket's: the origin half-closed it
                if (c->tunnel)
                    c->tunnelEnded = true;
                else
                    c->stream = 0;
            } else if constexpr (std::is_same_v<T, http2::StreamClosed>) {
                for (auto &[id, state] : m_channels)
                    if (state.lastStream == e.stream)
                        state.closedWire = {e.wireIn, e.wireOut};
                Channel channel = 0;
                State *c = byStream(e.stream, channel);
                if (!c)
                    return;
                touched.push_back(channel);
                if (e.code != 0)
                    streamError(*c, "the origin reset the stream (" + http2::errorCodeName(e.code)
                                        + ")");
                else
                    c->stream = 0; // a tunnel both sides ended
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
