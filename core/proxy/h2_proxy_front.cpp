#include "core/proxy/h2_proxy_front.h"

#include "core/http/message.h"
#include "core/http1/message.h"
#include "core/http2/frame_text.h"
#include "core/proxy/http_proxy_session.h"
#include "core/proxy/log_feed_sink.h"
#include "core/proxy/stream_h1.h"

#include <algorithm>

namespace ts::proxy {

namespace {

using http::connectionSpecific;
using http::lower;

constexpr std::uint32_t kNoError = 0x0;
constexpr std::uint32_t kInternalError = 0x2;
constexpr std::uint32_t kRefusedStream = 0x7;
constexpr std::uint32_t kCancel = 0x8;
constexpr std::uint32_t kConnectError = 0xa;

const std::string *field(const http2::Fields &fields, std::string_view name)
{
    for (const auto &[n, v] : fields)
        if (n == name)
            return &v;
    return nullptr;
}

} // namespace

H2ProxyFront::H2ProxyFront(const SessionContext &context, Origin origin,
                           flow::Connection connection, bool ownRecord, MonoTime now)
    : m_context(context)
    , m_origin(std::move(origin))
    , m_connection(std::move(connection))
    , m_lastActivity(now)
    , m_ownRecord(ownRecord)
{
    if (!m_connection.feed)
        m_connection.feed = std::make_shared<flow::LogFeed>(m_context.frameLogCapacity);
    m_connection.protocol = "HTTP/2";
    auto h2 = http2::H2Connection::create(http2::H2Connection::Role::Server, m_context.http2,
                                          LogFeedSink::into(m_connection.feed), now);
    if (!h2) {
        m_finished = true;
        m_finishReason = h2.error().message;
        return;
    }
    m_h2 = std::move(*h2);
    SessionContext &ctx = m_streamContext;
    ctx = m_context;
    ctx.carried = true;
    ctx.tlsListener = false;
    ctx.clientProtocol = "HTTP/2";
    ctx.connectionId = m_connection.id;
    ctx.clientTls = m_origin.clientTls;
    ctx.interceptedParent = m_origin.intercepted ? m_origin.tunnelFlow : 0;
    ctx.tunnelTarget.reset();
    if (m_context.intercept && m_context.intercept->toServers) {
        SessionContext poolContext = m_context;
        poolContext.connectionId = m_connection.id;
        m_pool = std::make_unique<OriginPool>(poolContext);
    }
}

H2ProxyFront::~H2ProxyFront() = default;

bool H2ProxyFront::ownsServer(ServerId id) const
{
    return m_servers.count(id) != 0 || (m_pool && m_pool->ownsServer(id));
}

void H2ProxyFront::start(MonoTime now, std::vector<Command> &out)
{
    m_now = now;
    out.push_back(MultiplexClient{});
    if (m_ownRecord)
        out.push_back(PublishConnection{m_connection});
    if (m_h2)
        flush(now, out);
}

void H2ProxyFront::clientData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    if (!m_h2 || m_finished)
        return;
    m_now = now;
    m_lastActivity = now;
    m_events.clear();
    m_h2->receive(data, now, m_events);
    processEvents(now, out);
    flush(now, out);
}

void H2ProxyFront::clientGone(const std::string &reason, MonoTime now, std::vector<Command> &out)
{
    for (auto &[id, s] : m_streams)
        if (live(*s))
            streamGone(*s, reason, now, out);
    for (auto &[id, s] : m_streams) {
        closeStreamServers(*s, out);
        releaseFinal(*s, out);
    }
    m_streams.clear();
    finish(reason, out);
}

void H2ProxyFront::finish(std::string reason, std::vector<Command> &out)
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_finishReason.empty())
        m_finishReason = std::move(reason);
    if (m_pool)
        m_pool->closeAll(out);
    m_records.closeAll("closed with the client connection", out);
    if (m_ownRecord) {
        m_connection.closedWall = wallNow();
        m_connection.closeReason = m_finishReason;
        if (m_connection.feed)
            m_connection.feed->closed();
        out.push_back(PublishConnection{m_connection});
    }
}

void H2ProxyFront::serverEvent(const Event &event, MonoTime now, std::vector<Command> &out)
{
    m_now = now;
    const ServerId id = serverOf(event);
    if (m_pool && m_pool->ownsServer(id)) {
        const auto *b = std::get_if<ServerBackpressure>(&event);
        m_pool->serverEvent(event, now, out);
        deliverPool(now, out);
        if (b && !b->full) {
            std::vector<http2::StreamId> ids;
            for (const auto &[sid, s] : m_streams)
                ids.push_back(sid);
            for (http2::StreamId sid : ids)
                if (auto it = m_streams.find(sid); it != m_streams.end())
                    pumpHeld(*it->second, now, out);
        }
        flush(now, out);
        return;
    }
    auto link = m_servers.find(id);
    if (link == m_servers.end())
        return;
    auto it = m_streams.find(link->second.stream);
    if (it == m_streams.end()) {
        m_servers.erase(link);
        return;
    }
    Stream &s = *it->second;
    const ServerId childId = link->second.childId;
    if (const auto *b = std::get_if<ServerBackpressure>(&event)) {
        link->second.congested = b->full;
        if (!b->full)
            pumpHeld(s, now, out);
    } else if (!s.child) {
        m_records.note(event);
        httpServerEvent(s, event, now, out);
    } else {
        std::visit(
            [&](const auto &e) {
                using T = std::decay_t<decltype(e)>;
                if constexpr (requires { e.id; }) {
                    T copy = e;
                    copy.id = childId;
                    childEvent(s, copy, now, out);
                }
            },
            event);
    }
    flush(now, out);
}

void H2ProxyFront::tick(MonoTime now, std::vector<Command> &out)
{
    m_now = now;
    std::vector<http2::StreamId> due;
    for (auto &[id, s] : m_streams)
        if (live(*s) && streamDeadline(*s) <= now)
            due.push_back(id);
    for (http2::StreamId id : due)
        if (auto it = m_streams.find(id); it != m_streams.end())
            streamTick(*it->second, now, out);
    if (m_h2 && m_streams.empty() && !m_goingAway
        && now >= m_lastActivity + m_context.timeouts.clientIdle) {
        m_goingAway = true;
        m_h2->goAway(kNoError, "idle");
        m_finishReason = "idle HTTP/2 connection";
    }
    if (m_h2)
        flush(now, out);
}

MonoTime H2ProxyFront::deadline() const
{
    if (m_finished)
        return kNoDeadline;
    MonoTime d = kNoDeadline;
    for (const auto &[id, s] : m_streams)
        if (live(*s))
            d = std::min(d, streamDeadline(*s));
    if (m_streams.empty() && !m_goingAway)
        d = std::min(d, m_lastActivity + m_context.timeouts.clientIdle);
    return d;
}

std::string H2ProxyFront::takeClientBytes()
{
    m_connection.bytesOut += m_toClient.size();
    return std::exchange(m_toClient, {});
}

// ---------------------------------------------------------------------------- events

void H2ProxyFront::flush(MonoTime now, std::vector<Command> &out)
{
    // Sending can raise events (a stream closed by our RST_STREAM, a send window reopened),
    // and handling those can send more.
    for (int round = 0; round < 64 && m_h2; ++round) {
        m_toClient += m_h2->takeOutput(now);
        m_events.clear();
        m_h2->pollEvents(m_events);
        if (m_events.empty())
            break;
        processEvents(now, out);
    }
    reap(out);
    if (!m_h2)
        return;
    // Output the client cannot take yet: stop reading the servers that feed it.
    for (auto &[id, s] : m_streams) {
        const bool full = m_h2->queued(id) >= m_context.http2.maxBufferedPerStream;
        if (full && !s->serversPaused) {
            s->serversPaused = true;
            pauseStreamServers(*s, true, now, out);
        }
    }
    if (m_h2->failed() || m_h2->finished() || (m_goingAway && m_streams.empty())) {
        if (!m_finished) {
            finish(m_h2->failed() ? m_h2->failure() : "HTTP/2 connection closed", out);
            for (auto &[id, s] : m_streams)
                if (live(*s))
                    streamGone(*s, m_finishReason, now, out);
            for (auto &[id, s] : m_streams) {
                closeStreamServers(*s, out);
                releaseFinal(*s, out);
            }
            m_streams.clear();
        }
    }
}

void H2ProxyFront::processEvents(MonoTime now, std::vector<Command> &out)
{
    std::vector<http2::H2Event> events = std::move(m_events);
    m_events.clear();
    for (http2::H2Event &event : events) {
        std::visit(
            [&](auto &e) {
                using T = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<T, http2::HeadersReceived>) {
                    onHeaders(e, now, out);
                } else if constexpr (std::is_same_v<T, http2::DataReceived>) {
                    auto it = m_streams.find(e.stream);
                    if (it == m_streams.end() || it->second->childClosed) {
                        m_h2->consume(e.stream, e.data.size());
                        return;
                    }
                    Stream &s = *it->second;
                    const std::size_t n = e.data.size();
                    deliver(s, std::move(e.data), n, now, out);
                } else if constexpr (std::is_same_v<T, http2::StreamEnded>) {
                    auto it = m_streams.find(e.stream);
                    if (it == m_streams.end())
                        return;
                    Stream &s = *it->second;
                    s.heldEnd = true;
                    pumpHeld(s, now, out);
                } else if constexpr (std::is_same_v<T, http2::StreamClosed>) {
                    auto it = m_streams.find(e.stream);
                    if (it == m_streams.end())
                        return;
                    Stream &s = *it->second;
                    s.ended = true;
                    s.h2Closed = true;
                    s.wire = {e.wireIn, e.wireOut}; // final: every frame has crossed
                    releaseFinal(s, out);
                    if (live(s))
                        streamGone(s,
                                   e.code ? "the client reset the stream ("
                                                + http2::errorCodeName(e.code) + ")"
                                          : std::string("stream closed"),
                                   now, out);
                } else if constexpr (std::is_same_v<T, http2::SendWindowOpened>) {
                    auto it = m_streams.find(e.stream);
                    if (it == m_streams.end() || !it->second->serversPaused)
                        return;
                    it->second->serversPaused = false;
                    pauseStreamServers(*it->second, false, now, out);
                } else if constexpr (std::is_same_v<T, http2::GoAwayReceived>) {
                    m_goingAway = true;
                    if (m_finishReason.empty())
                        m_finishReason
                            = "the client sent GOAWAY (" + http2::errorCodeName(e.code) + ")";
                } else if constexpr (std::is_same_v<T, http2::ConnectionFailed>) {
                    m_finishReason = e.reason;
                } else if constexpr (std::is_same_v<T, http2::SettingsReceived>) {
                }
            },
            event);
    }
}

void H2ProxyFront::onHeaders(http2::HeadersReceived &h, MonoTime now, std::vector<Command> &out)
{
    if (h.trailers) {
        auto it = m_streams.find(h.stream);
        if (it == m_streams.end())
            return;
        Stream &s = *it->second;
        if (s.kind == Kind::Forward && !s.trailersHeld) {
            s.trailersHeld = true;
            for (auto &[n, v] : h.fields)
                s.heldTrailers.push_back({n, v});
        }
        if (h.endStream) {
            s.heldEnd = true;
            pumpHeld(s, now, out);
        }
        return;
    }
    if (m_goingAway) {
        m_h2->resetStream(h.stream, kRefusedStream);
        return;
    }
    const std::string method = field(h.fields, ":method") ? *field(h.fields, ":method") : "";
    const std::string *protocol = field(h.fields, ":protocol");
    const std::string *authorityField = field(h.fields, ":authority");
    std::string authority = authorityField ? *authorityField : "";
    if (authority.empty())
        if (const std::string *host = field(h.fields, "host"))
            authority = *host;

    auto stream = std::make_unique<Stream>();
    Stream &s = *stream;
    s.id = h.stream;
    SessionContext ctx = m_context;
    ctx.carried = true;
    ctx.tlsListener = false;
    ctx.clientProtocol = "HTTP/2";
    ctx.clientStream = std::uint64_t(h.stream);
    ctx.connectionId = m_connection.id;
    ctx.clientTls = m_origin.clientTls;
    ctx.interceptedParent = m_origin.intercepted ? m_origin.tunnelFlow : 0;
    ctx.tunnelTarget.reset();

    if (method == "CONNECT" && !protocol) {
        auto target = parseAuthorityForm(authority);
        if (!target) {
            answer(h.stream, 400, "bad :authority for CONNECT: " + target.error().message);
            return;
        }
        s.kind = Kind::Tunnel;
        s.summary = "CONNECT " + authority;
        s.requestFields = h.fields; // the child's tunnel flow knows only the target
        ctx.tunnelTarget = *target;
        m_streams[h.stream] = std::move(stream);
        startChild(s, std::move(ctx), now, out);
        if (h.endStream) {
            s.heldEnd = true;
            pumpHeld(s, now, out);
        }
        return;
    }

    const std::string scheme = field(h.fields, ":scheme") ? *field(h.fields, ":scheme") : "";
    const std::string path = field(h.fields, ":path") ? *field(h.fields, ":path") : "";
    if (protocol && *protocol != "websocket") {
        answer(h.stream, 501,
               "extended CONNECT for :protocol " + *protocol
                   + " is not supported (only websocket)");
        return;
    }
    if (authority.empty() || path.empty() || (scheme != "http" && scheme != "https")) {
        answer(h.stream, 400, "a request needs :scheme http or https, :authority and :path");
        return;
    }
    // The request goes on as fields: the session serving the stream makes the one
    // translation its server needs (stream_h1.h), and records these as the client's wire.
    http::Request request{method, scheme, authority, path, protocol ? *protocol : "", {}};
    for (const auto &[name, value] : h.fields)
        if (!name.empty() && name[0] != ':')
            request.fields.push_back({name, value});
    s.kind = protocol ? Kind::WebSocket : Kind::Forward;
    s.summary
        = (protocol ? "CONNECT websocket " : method + " ") + scheme + "://" + authority + path;
    m_streams[h.stream] = std::move(stream);
    startHttp(s,
              RequestHeaders{http::StreamId(h.stream), std::move(request), h.endStream,
                             std::move(h.fields)},
              now, out);
    if (h.endStream) {
        s.heldEnd = true;
        pumpHeld(s, now, out);
    }
}

// ---------------------------------------------------------------------------- children

void H2ProxyFront::startChild(Stream &s, SessionContext context, MonoTime now,
                              std::vector<Command> &out)
{
    s.child = std::make_unique<HttpProxySession>(std::move(context), now);
    std::vector<Command> childOut;
    s.child->start(now, childOut);
    runChildCommands(s, childOut, now, out);
}

void H2ProxyFront::deliver(Stream &s, std::string bytes, std::size_t dataBytes, MonoTime now,
                           std::vector<Command> &out)
{
    s.unconsumed += dataBytes;
    s.held += bytes;
    pumpHeld(s, now, out);
}

bool H2ProxyFront::congested(const Stream &s) const
{
    for (const auto &[childId, ownerId] : s.serverIds) {
        if (auto it = m_servers.find(ownerId); it != m_servers.end() && it->second.congested)
            return true;
        if (m_pool && m_pool->congested(ownerId))
            return true;
    }
    return false;
}

void H2ProxyFront::pumpHeld(Stream &s, MonoTime now, std::vector<Command> &out)
{
    // A stream's back-pressure is one thing: its input is held here (and its flow-control
    // window stays closed) while whoever takes it cannot: its server is congested, its
    // exchange holds enough while it connects, a WebSocket is not accepted yet, a tunnel's
    // session is paused.
    if (!live(s) || congested(s) || s.pumping)
        return;
    if (s.child ? s.childPaused
                : !s.relay
                      && (s.kind == Kind::WebSocket
                          || s.http->heldBytes() >= m_context.proxy.maxBufferedClientInput))
        return;
    s.pumping = true;
    if (!s.held.empty()) {
        std::string bytes = std::exchange(s.held, {});
        if (s.child)
            childEvent(s, ClientData{bytes}, now, out);
        else if (s.relay)
            relayClientBytes(s, std::move(bytes), now, out);
        else
            withHttp(s, now, out, [&](HttpStream &h, auto &o) { h.requestBody(bytes, o); });
    }
    if (s.held.empty() && s.unconsumed && m_h2) {
        m_h2->consume(s.id, s.unconsumed);
        s.unconsumed = 0;
    }
    if (s.held.empty() && s.trailersHeld && !s.trailersGiven && live(s) && s.http && !s.relay) {
        s.trailersGiven = true;
        withHttp(s, now, out, [&](HttpStream &h, auto &) { h.requestTrailers(s.heldTrailers); });
    }
    if (s.held.empty() && s.heldEnd && !s.eofGiven && live(s)) {
        s.eofGiven = true;
        if (s.child)
            childEvent(s, ClientEof{}, now, out);
        else if (s.relay)
            relayClientEof(s, now, out);
        else if (!s.http->requestComplete())
            withHttp(s, now, out, [&](HttpStream &h, auto &o) { h.requestEnd(0, now, o); });
    }
    s.pumping = false;
}

void H2ProxyFront::childEvent(Stream &s, const Event &event, MonoTime now,
                              std::vector<Command> &out)
{
    if (!s.child)
        return;
    std::vector<Command> childOut;
    s.child->handle(event, now, childOut);
    runChildCommands(s, childOut, now, out);
}

ServerId H2ProxyFront::ownerId(Stream &s, ServerId childId, bool create)
{
    if (auto it = s.serverIds.find(childId); it != s.serverIds.end())
        return it->second;
    if (!create)
        return 0;
    const ServerId id = m_nextServer++;
    s.serverIds[childId] = id;
    m_servers[id] = ServerLink{s.id, childId, false};
    return id;
}

void H2ProxyFront::forgetServer(Stream &s, ServerId childId)
{
    if (auto it = s.serverIds.find(childId); it != s.serverIds.end()) {
        m_servers.erase(it->second);
        s.serverIds.erase(it);
    }
}

void H2ProxyFront::closeStreamServers(Stream &s, std::vector<Command> &out)
{
    for (const auto &[childId, ownerId] : s.serverIds) {
        if (pooled(ownerId)) {
            m_pool->close(ownerId, m_now, out);
        } else {
            m_records.close(ownerId, "closed by the proxy", out);
            out.push_back(CloseServer{ownerId});
        }
        m_servers.erase(ownerId);
    }
    s.serverIds.clear();
}

void H2ProxyFront::pauseStreamServers(Stream &s, bool paused, MonoTime now,
                                      std::vector<Command> &out)
{
    for (const auto &[childId, ownerId] : s.serverIds) {
        if (pooled(ownerId))
            m_pool->pause(ownerId, paused, now, out);
        else if (paused)
            out.push_back(PauseServer{ownerId});
        else
            out.push_back(ResumeServer{ownerId});
    }
    if (!paused)
        deliverPool(now, out);
}

void H2ProxyFront::deliverPool(MonoTime now, std::vector<Command> &out)
{
    if (!m_pool || m_delivering)
        return; // the outermost call goes on until nothing is left, in order
    m_delivering = true;
    for (std::vector<OriginPool::Delivery> batch; !(batch = m_pool->takeDeliveries()).empty();) {
        for (OriginPool::Delivery &d : batch) {
            const auto link = m_servers.find(d.channel);
            if (link == m_servers.end())
                continue;
            const auto it = m_streams.find(link->second.stream);
            if (it == m_streams.end())
                continue;
            const ServerId childId = link->second.childId;
            std::visit(
                [&](auto &e) {
                    if constexpr (requires { e.id; })
                        e.id = childId;
                    if constexpr (std::is_same_v<std::decay_t<decltype(e)>, ServerData>)
                        e.data = d.data;
                    if constexpr (std::is_same_v<std::decay_t<decltype(e)>, ServerResponse>)
                        e.part = &d.part;
                },
                d.event);
            if (it->second->child)
                childEvent(*it->second, d.event, now, out);
            else
                httpServerEvent(*it->second, d.event, now, out);
        }
    }
    m_delivering = false;
}

void H2ProxyFront::runChildCommands(Stream &s, std::vector<Command> &childOut, MonoTime now,
                                    std::vector<Command> &out)
{
    for (Command &command : childOut) {
        std::visit(
            [&](auto &c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, SendToClient>) {
                    // The tunnel's bytes.
                    if (!s.ended)
                        m_h2->submitData(s.id, c.data);
                } else if constexpr (std::is_same_v<T, ShutdownClient>) {
                    childClosed(s, false);
                } else if constexpr (std::is_same_v<T, CloseClient>) {
                    s.childClosed = true;
                    childClosed(s, c.abort);
                } else if constexpr (std::is_same_v<T, PauseClient>) {
                    s.childPaused = true;
                } else if constexpr (std::is_same_v<T, ResumeClient>) {
                    s.childPaused = false;
                    pumpHeld(s, now, out);
                } else if constexpr (std::is_same_v<T, OpenServer>) {
                    c.id = ownerId(s, c.id, true);
                    if (c.tls && m_pool)
                        m_pool->open(c.id, c.host, c.port, now, out);
                    else
                        out.push_back(std::move(c));
                } else if constexpr (std::is_same_v<T, SendToServer>) {
                    if (const ServerId id = ownerId(s, c.id, false); id && pooled(id)) {
                        m_pool->send(id, c.data, now, out);
                    } else if (id) {
                        c.id = id;
                        out.push_back(std::move(c));
                    }
                } else if constexpr (std::is_same_v<T, SendRequestPart>) {
                    if (const ServerId id = ownerId(s, c.id, false); id && pooled(id))
                        m_pool->sendPart(id, std::move(c.part), now, out);
                } else if constexpr (std::is_same_v<T, ShutdownServer>) {
                    if (const ServerId id = ownerId(s, c.id, false); id && pooled(id)) {
                        m_pool->shutdown(id, now, out);
                    } else if (id) {
                        c.id = id;
                        out.push_back(std::move(c));
                    }
                } else if constexpr (std::is_same_v<
                                         T, PauseServer> || std::is_same_v<T, ResumeServer>) {
                    if (const ServerId id = ownerId(s, c.id, false); id && pooled(id)) {
                        m_pool->pause(id, std::is_same_v<T, PauseServer>, now, out);
                    } else if (id) {
                        c.id = id;
                        out.push_back(std::move(c));
                    }
                } else if constexpr (std::is_same_v<
                                         T, CloseServer> || std::is_same_v<T, ReleaseServer>) {
                    if (const ServerId id = ownerId(s, c.id, false)) {
                        forgetServer(s, c.id);
                        if (pooled(id) && std::is_same_v<T, CloseServer>) {
                            m_pool->close(id, now, out);
                        } else if (pooled(id)) {
                            m_pool->release(id, now, out);
                        } else {
                            c.id = id;
                            out.push_back(std::move(c));
                        }
                    }
                } else if constexpr (std::is_same_v<T, PublishFlow>) {
                    onPublish(s, c, out);
                } else if constexpr (std::is_same_v<T, TunnelEstablished>) {
                    if (!s.answered) {
                        s.answered = true;
                        s.responseFields = {{":status", "200"}};
                        (void)m_h2->submitResponse(s.id, s.responseFields, false);
                    }
                } else if constexpr (std::is_same_v<T, TunnelRefused>) {
                    if (!s.answered)
                        answer(s.id, c.status, c.message);
                    s.answered = true;
                    s.ended = true;
                } else {
                    // PublishConnection (the child's connection is this one), RelayTunnel and
                    // MultiplexClient (never asked of a carried session): nothing to do.
                }
            },
            command);
    }
    deliverPool(now, out);
}

void H2ProxyFront::releaseFinal(Stream &s, std::vector<Command> &out)
{
    if (!s.finalFlow)
        return;
    recordWires(s, *s.finalFlow);
    out.push_back(PublishFlow{std::move(s.finalFlow)});
    s.finalFlow.reset();
}

void H2ProxyFront::recordWires(Stream &s, flow::Flow &f) const
{
    // The client's wire is h2: its fields as they crossed it, and its frames' bytes (HEADERS,
    // CONTINUATION and DATA with their frame headers) so far, or all of them once the stream
    // has closed.
    const http2::H2Connection::Wire wire = s.h2Closed || !m_h2 ? s.wire : m_h2->wireBytes(s.id);
    if (s.kind == Kind::Tunnel) // a request's child records RequestHeaders::wire itself
        f.requestHeaders = s.requestFields;
    f.requestWireBytes = wire.in;
    if (!s.responseFields.empty()) {
        f.clientResponseHeaders = s.responseFields;
        f.clientResponseWireBytes = wire.out;
    }
    if (!m_pool)
        return;
    // The child spoke HTTP/1.1 to its channel; the origin may have spoken h2.
    for (const auto &[childId, ownerId] : s.serverIds) {
        const auto use = m_pool->use(ownerId);
        if (!use)
            continue;
        f.serverConnection = use->connection;
        if (!use->h2)
            continue;
        f.serverProtocol = "HTTP/2";
        if (use->stream)
            f.serverStream = use->stream;
        if (!use->request->empty()) {
            f.serverRequestHeaders = *use->request;
            f.serverRequestWireBytes = use->requestWireBytes;
        }
        if (!use->response->empty()) {
            f.responseHeaders = *use->response;
            f.responseWireBytes = use->responseWireBytes;
        }
    }
}

void H2ProxyFront::onResponseHead(Stream &s, const http::Response &r, bool endStream)
{
    if (s.ended)
        return;
    // The HTTP/2 server translator's half: the response's fields as HEADERS, with lowercase
    // names and without what HTTP/2 cannot carry (RFC 9113 §8.2.2). A WebSocket's 101 is
    // the extended CONNECT's 200 (RFC 8441 §5), its handshake fields the origin's affair.
    http2::Fields fields{{":status", std::to_string(r.status == 101 ? 200 : r.status)}};
    for (const http::Field &f : r.fields) {
        std::string name = lower(f.name);
        if (connectionSpecific(name, f.value))
            continue;
        if (r.status == 101 && name == "sec-websocket-accept")
            continue;
        fields.emplace_back(std::move(name), f.value);
    }
    if (r.status >= 100 && r.status < 200 && r.status != 101) {
        (void)m_h2->submitResponse(s.id, fields, false, true);
        return;
    }
    if (r.status == 101 && s.kind != Kind::WebSocket) {
        m_h2->resetStream(s.id, kInternalError);
        s.ended = true;
        return;
    }
    (void)m_h2->submitResponse(s.id, fields, endStream);
    s.responseFields = std::move(fields);
    s.answered = true;
    if (r.status == 101)
        s.upgraded = true; // its bytes are the tunnel's from here
    if (endStream)
        s.ended = true;
}

void H2ProxyFront::childClosed(Stream &s, bool abort)
{
    if (s.ended)
        return;
    if (s.kind == Kind::Forward) {
        // The session ends a response it completed (ResponseEnd): anything else is cut short.
        m_h2->resetStream(s.id, kInternalError);
        s.ended = true;
        return;
    }
    if (abort && s.answered)
        m_h2->resetStream(s.id, kConnectError); // RFC 9113 §8.5: the TCP connection failed
    else if (!s.answered)
        m_h2->resetStream(s.id, abort ? kConnectError : kCancel);
    else
        m_h2->endStream(s.id);
    s.ended = true;
}

void H2ProxyFront::answer(http2::StreamId id, int status, const std::string &message)
{
    const std::string body = std::to_string(status) + " — Tunnelscope: " + message + "\n";
    (void)m_h2->submitResponse(id,
                               {{":status", std::to_string(status)},
                                {"content-type", "text/plain; charset=utf-8"},
                                {"content-length", std::to_string(body.size())},
                                {"cache-control", "no-store"},
                                {lower(std::string(kLocalErrorField)), "1"}},
                               false);
    m_h2->submitData(id, body);
    m_h2->endStream(id);
}

void H2ProxyFront::reap(std::vector<Command> &out)
{
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        Stream &s = *it->second;
        const bool childDone = !live(s);
        if (s.h2Closed && childDone) {
            closeStreamServers(s, out);
            releaseFinal(s, out);
            it = m_streams.erase(it);
        } else if (s.h2Closed && !childDone) {
            ++it; // ClientGone was delivered; the child closes itself on its next turn
        } else {
            ++it;
        }
    }
}

} // namespace ts::proxy
