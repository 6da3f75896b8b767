#include "core/proxy/h2_proxy_front.h"

#include "core/http/message.h"
#include "core/proxy/http_proxy_session.h"
#include "core/proxy/log_feed_sink.h"
#include "core/proxy/stream_h1.h"

// The front's streams that an HttpStream serves: its StreamHost, and the relay of an accepted
// WebSocket. (The connection, its frames and CONNECT streams: h2_proxy_front.cpp.)

namespace ts::proxy {

namespace {

using http::connectionSpecific;
using http::lower;

constexpr std::uint32_t kInternalError = 0x2;

} // namespace

// ---------------------------------------------------------------------------- HttpStreams

// What an HttpStream on one of this connection's streams sees of it: the client half is the
// HTTP/2 server translator (HEADERS, DATA, trailers, RST_STREAM of that stream), the server
// half the front's servers (the pool's for https, the engine's for http).
class H2ProxyFront::Host final : public StreamHost
{
public:
    Host(H2ProxyFront &front, Stream &stream, MonoTime now)
        : m_now(now), m_front(front), m_s(stream)
    {}
    MonoTime m_now; // of the call into the stream

    void clientInterim(HttpStream &, const http1::ResponseHead &head,
                       std::vector<Command> &) override
    {
        m_front.onResponseHead(m_s, streamResponse(head), false);
    }
    void clientHead(HttpStream &stream, http1::ResponseHead &&head, http1::BodyFraming framing,
                    std::vector<Command> &) override
    {
        // The client's wire is recorded as it crossed (recordWires).
        stream.flow().clientResponseWireBytes = 0;
        const bool endStream = head.status != 101 && framing == http1::BodyFraming::None;
        m_s.streamEnded = endStream;
        m_front.onResponseHead(m_s, streamResponse(head), endStream);
    }
    void clientBody(HttpStream &, std::string_view data, std::vector<Command> &) override
    {
        if (!m_s.ended)
            m_front.m_h2->submitData(m_s.id, std::string(data));
    }
    void clientEnd(HttpStream &stream, std::vector<Command> &) override
    {
        if (m_s.streamEnded)
            return;
        m_s.streamEnded = true;
        for (const auto &[n, v] : stream.flow().responseTrailers)
            if (std::string name = lower(n); !connectionSpecific(name, v))
                m_s.trailers.emplace_back(std::move(name), v);
        if (!m_s.ended && !m_s.upgraded) {
            m_front.m_h2->endStream(m_s.id, m_s.trailers);
            m_s.ended = true;
        }
    }
    void clientLocal(HttpStream &, http1::ResponseHead &head, std::string body, bool,
                     const std::string &, std::vector<Command> &) override
    {
        const bool empty = body.empty();
        m_front.onResponseHead(m_s, streamResponse(head), empty);
        m_s.streamEnded = true;
        if (empty || m_s.ended)
            return;
        m_front.m_h2->submitData(m_s.id, body);
        m_front.m_h2->endStream(m_s.id, m_s.trailers);
        m_s.ended = true;
    }
    void clientConnectEstablished(HttpStream &, std::vector<Command> &) override
    {
        // A CONNECT stream is served by a session of its own, never by an HttpStream.
    }
    void clientPump(MonoTime now, std::vector<Command> &out) override
    {
        m_front.pumpHeld(m_s, now, out);
    }
    void streamCompleted(HttpStream &, MonoTime, std::vector<Command> &) override
    {
        m_s.childClosed = true;
        m_front.childClosed(m_s, false);
    }
    void streamAborted(HttpStream &, const std::string &, MonoTime, std::vector<Command> &) override
    {
        if (!m_s.streamEnded && !m_s.ended) {
            m_front.m_h2->resetStream(m_s.id, kInternalError);
            m_s.ended = true;
        }
        m_s.childClosed = true;
        m_front.childClosed(m_s, true);
    }
    void streamTunnel(HttpStream &, std::string toClient, MonoTime now,
                      std::vector<Command> &out) override
    {
        m_front.relayStart(m_s, std::move(toClient), now, out);
    }

    ServerId openServer(const Target &target, bool reusable, bool plainHttp, bool tls,
                        std::vector<Command> &out) override
    {
        return m_front.openFor(
            m_s, OpenServer{0, target.host, target.port, reusable, plainHttp, tls}, m_now, out);
    }
    void sendServer(ServerId id, std::string bytes, std::vector<Command> &out) override
    {
        m_front.sendTo(id, std::move(bytes), m_now, out);
    }
    void sendServerPart(ServerId id, http::RequestPart part, std::vector<Command> &out) override
    {
        if (m_front.pooled(id))
            m_front.m_pool->sendPart(id, std::move(part), m_now, out);
    }
    // Done with a server: after the flow the stream publishes in this call has been recorded
    // with what the server's side carried (recordWires reads the pool's use of it).
    void dropServer(ServerId id, std::vector<Command> &) override
    {
        m_s.drops.emplace_back(id, false);
    }
    void releaseServer(ServerId id, bool reusable, bool ownTls, std::vector<Command> &) override
    {
        m_s.drops.emplace_back(id, reusable && !ownTls);
    }
    std::string startServerTls(ServerId, const Target &target, MonoTime,
                               std::vector<Command> &) override
    {
        // The pool secures https origins; without one, https is refused before this.
        return "no TLS towards " + target.authority() + " on this connection";
    }
    bool verifyServer(const Target &) const override { return true; }
    void serverSecured(ServerId, const Target &, MonoTime, std::vector<Command> &) override {}
    H2OriginLink *ownLink(ServerId) override { return nullptr; }
    flow::ConnectionId linkConnection(ServerId) const override { return 0; }
    void linkServer(flow::Flow &flow, ServerId id) override { m_front.m_records.link(flow, id); }
    const Intercepted *intercepted() const override { return nullptr; }
    std::shared_ptr<const flow::TlsSide> clientTls() const override { return nullptr; }
    ServerId takeIdleServer(std::vector<Command> &) override { return 0; }

private:
    H2ProxyFront &m_front;
    Stream &m_s;
};

H2ProxyFront::Stream::Stream() = default;
H2ProxyFront::Stream::~Stream() = default;

bool H2ProxyFront::recordsServer(const OpenServer &open) const
{
    // The streams' own servers; the pool and a tunnel's session keep records of their own.
    const auto link = m_servers.find(open.id);
    if (link == m_servers.end() || pooled(open.id))
        return false;
    const auto it = m_streams.find(link->second.stream);
    return it != m_streams.end() && !it->second->child;
}

bool H2ProxyFront::ownsServerId(ServerId) const
{
    // Only the streams' commands are tracked, and only their own servers got a record
    // (recordsServer): a server the stream has let go of is still its own when it is
    // released.
    return true;
}

bool H2ProxyFront::live(const Stream &s) const
{
    if (s.child)
        return !s.child->closed();
    if (s.relay)
        return !s.relay->closed;
    return s.http && !s.childClosed;
}

void H2ProxyFront::startHttp(Stream &s, RequestHeaders request, MonoTime now,
                             std::vector<Command> &out)
{
    s.host = std::make_unique<Host>(*this, s, now);
    s.http = std::make_unique<HttpStream>(*s.host, m_streamContext, now);
    s.http->flow().clientStream = std::uint64_t(s.id);
    // The stream's request as the head an exchange starts from (absolute-form, its framing);
    // the stream gets the fields as they crossed the client's wire.
    http1::RequestHeadEvent head = streamRequestHead(request.request, request.endStream);
    const bool noBody = head.framing == http1::BodyFraming::None;
    withHttp(s, now, out, [&](HttpStream &h, auto &o) {
        h.requestHead(head, &request, now, o);
        if (noBody && !h.finished())
            h.requestEnd(0, now, o);
    });
}

// After a call into a stream's HttpStream (withHttp): the flows it published are recorded with
// what crossed the client's wire, the records of its servers kept, the servers it is done
// with let go once its flow has been recorded, the rest goes on as it came.
void H2ProxyFront::afterHttp(Stream &s, std::vector<Command> &local, MonoTime now,
                             std::vector<Command> &out)
{
    if (!s.http->finished() && s.http->takeDirty())
        local.push_back(PublishFlow{std::make_shared<flow::Flow>(s.http->flow())});
    m_records.track(local, 0, false, now);
    for (Command &c : local) {
        if (auto *publish = std::get_if<PublishFlow>(&c))
            onPublish(s, *publish, out);
        else
            out.push_back(std::move(c));
    }
    std::vector<Command> after;
    for (const auto &[id, release] : std::exchange(s.drops, {}))
        dropFor(s, id, release, now, after);
    m_records.track(after, 0, false, now);
    for (Command &c : after)
        out.push_back(std::move(c));
    deliverPool(now, out); // what the pool has for the streams now (a link's own answer)
}

void H2ProxyFront::setHostTime(Stream &s, MonoTime now)
{
    s.host->m_now = now;
}

void H2ProxyFront::onPublish(Stream &s, PublishFlow &c, std::vector<Command> &out)
{
    if (!c.flow)
        return;
    if (!s.ownFlow)
        s.ownFlow = c.flow->id;
    if (c.flow->id == s.ownFlow)
        recordWires(s, *c.flow);
    if (c.flow->id != s.flow) {
        s.flow = c.flow->id;
        linkStreamFlow(m_connection.feed.get(), s.id, s.flow, s.summary);
    }
    // A finished exchange is recorded once its frames have crossed the client's wire (the
    // stream closes): its sizes are then whole.
    if (c.flow->id == s.ownFlow && s.kind != Kind::Tunnel && c.flow->state != flow::FlowState::Open
        && !s.h2Closed) {
        s.finalFlow = std::move(c.flow);
        return;
    }
    out.push_back(std::move(c));
}

void H2ProxyFront::httpServerEvent(Stream &s, const Event &event, MonoTime now,
                                   std::vector<Command> &out)
{
    if (s.relay) {
        relayServerEvent(s, event, now, out);
        return;
    }
    if (!s.http || s.http->finished())
        return;
    const ServerId id = serverOf(event);
    if (id != s.http->server())
        return;
    withHttp(s, now, out, [&](HttpStream &h, auto &o) {
        std::visit(
            [&](const auto &e) {
                using T = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<T, ServerConnected>)
                    h.serverConnected(e, now, o);
                else if constexpr (std::is_same_v<T, ServerConnectFailed>)
                    h.serverConnectFailed(e, now, o);
                else if constexpr (std::is_same_v<T, ServerData>) {
                    if (h.serverConnected())
                        h.serverData(e.data, now, o);
                } else if constexpr (std::is_same_v<T, ServerResponse>) {
                    if (e.part && h.serverConnected())
                        h.serverPart(*e.part, now, o);
                } else if constexpr (std::is_same_v<T, ServerEof>)
                    h.serverEnded(false, "the server closed the connection", now, o);
                else if constexpr (std::is_same_v<T, ServerGone>)
                    h.serverEnded(true, e.reason, now, o);
            },
            event);
    });
}

void H2ProxyFront::streamGone(Stream &s, const std::string &reason, MonoTime now,
                              std::vector<Command> &out)
{
    if (s.child)
        childEvent(s, ClientGone{reason}, now, out);
    else if (s.relay)
        relayClose(s, "client connection failed: " + reason, true, now, out);
    else
        withHttp(s, now, out, [&](HttpStream &h, auto &o) {
            h.abort("client connection failed: " + reason, now, o);
        });
}

void H2ProxyFront::streamTick(Stream &s, MonoTime now, std::vector<Command> &out)
{
    if (s.child) {
        childEvent(s, Tick{}, now, out);
        return;
    }
    if (!s.relay) {
        withHttp(s, now, out, [&](HttpStream &h, auto &o) { h.tick(now, o); });
        return;
    }
    Relay &r = *s.relay;
    if (now >= r.lastActivity + m_context.timeouts.tunnelIdle) {
        relayClose(s, "idle for " + secondsText(m_context.timeouts.tunnelIdle), false, now, out);
        return;
    }
    const std::uint64_t bytes = r.flow.bytesClientToServer + r.flow.bytesServerToClient;
    if (now >= r.lastPublish + m_context.tunnelPublishInterval) {
        r.lastPublish = now;
        if (bytes != r.publishedBytes) {
            r.publishedBytes = bytes;
            if (r.ws)
                r.ws->update(r.flow);
            PublishFlow publish{std::make_shared<flow::Flow>(r.flow)};
            onPublish(s, publish, out);
        }
    }
}

MonoTime H2ProxyFront::streamDeadline(const Stream &s) const
{
    if (s.child)
        return s.child->deadline();
    if (!s.relay)
        return s.http->deadline();
    const Relay &r = *s.relay;
    MonoTime d = r.lastActivity + m_context.timeouts.tunnelIdle;
    if (r.flow.bytesClientToServer + r.flow.bytesServerToClient != r.publishedBytes)
        d = std::min(d, r.lastPublish + m_context.tunnelPublishInterval);
    return d;
}

ServerId H2ProxyFront::openFor(Stream &s, const OpenServer &open, MonoTime now,
                               std::vector<Command> &out)
{
    const ServerId id = m_nextServer++;
    s.serverIds[id] = id;
    m_servers[id] = ServerLink{s.id, id, false};
    if (open.tls && m_pool) {
        m_pool->open(id, open.host, open.port, now, out);
    } else {
        OpenServer command = open;
        command.id = id;
        out.push_back(std::move(command));
    }
    return id;
}

void H2ProxyFront::sendTo(ServerId id, std::string bytes, MonoTime now, std::vector<Command> &out)
{
    if (pooled(id))
        m_pool->send(id, bytes, now, out);
    else if (m_servers.count(id))
        out.push_back(SendToServer{id, std::move(bytes)});
}

void H2ProxyFront::dropFor(Stream &s, ServerId id, bool release, MonoTime now,
                           std::vector<Command> &out)
{
    if (!m_servers.count(id))
        return;
    const bool pool = pooled(id);
    forgetServer(s, id);
    if (pool && release)
        m_pool->release(id, now, out);
    else if (pool)
        m_pool->close(id, now, out);
    else if (release)
        out.push_back(ReleaseServer{id});
    else {
        m_records.close(id, "closed by the proxy", out);
        out.push_back(CloseServer{id});
    }
}

// ---------------------------------------------------------------------------- WebSocket relay

void H2ProxyFront::relayStart(Stream &s, std::string toClient, MonoTime now,
                              std::vector<Command> &out)
{
    s.relay = std::make_unique<Relay>();
    Relay &r = *s.relay;
    r.server = s.http->server();
    r.flow = std::move(s.http->flow());
    r.lastActivity = now;
    r.lastPublish = now;
    r.ws = WebSocketRecorder::forHandshake(r.flow);
    PublishFlow publish{std::make_shared<flow::Flow>(r.flow)};
    onPublish(s, publish, out);
    if (!toClient.empty()) { // the server's first bytes after its 101
        r.flow.bytesServerToClient += toClient.size();
        if (r.ws)
            r.ws->serverBytes(toClient, now);
        if (!s.ended)
            m_h2->submitData(s.id, toClient);
    }
    pumpHeld(s, now, out); // what the client sent while the server decided
}

void H2ProxyFront::relayClientBytes(Stream &s, std::string bytes, MonoTime now,
                                    std::vector<Command> &out)
{
    Relay &r = *s.relay;
    r.lastActivity = now;
    r.flow.bytesClientToServer += bytes.size();
    if (r.ws)
        r.ws->clientBytes(bytes, now);
    std::vector<Command> local;
    sendTo(r.server, std::move(bytes), now, local);
    m_records.track(local, 0, false, now);
    for (Command &c : local)
        out.push_back(std::move(c));
}

void H2ProxyFront::relayClientEof(Stream &s, MonoTime now, std::vector<Command> &out)
{
    Relay &r = *s.relay;
    r.clientEof = true;
    r.lastActivity = now;
    if (r.serverEof) {
        relayClose(s, "closed by both sides", false, now, out);
        return;
    }
    if (pooled(r.server))
        m_pool->shutdown(r.server, now, out);
    else
        out.push_back(ShutdownServer{r.server});
}

void H2ProxyFront::relayServerEvent(Stream &s, const Event &event, MonoTime now,
                                    std::vector<Command> &out)
{
    Relay &r = *s.relay;
    if (r.closed || serverOf(event) != r.server)
        return;
    const auto toClient = [&](std::string_view data) {
        r.lastActivity = now;
        r.flow.bytesServerToClient += data.size();
        if (r.ws)
            r.ws->serverBytes(data, now);
        if (!s.ended)
            m_h2->submitData(s.id, std::string(data));
    };
    bool eof = std::holds_alternative<ServerEof>(event);
    if (const auto *data = std::get_if<ServerData>(&event)) {
        toClient(data->data);
    } else if (const auto *part = std::get_if<ServerResponse>(&event); part && part->part) {
        // An accepted WebSocket on an h2 stream: its bytes, and END_STREAM as the half-close.
        if (const auto *body = std::get_if<http::Body>(part->part))
            toClient(body->data);
        eof = std::holds_alternative<http::End>(*part->part);
    } else if (const auto *gone = std::get_if<ServerGone>(&event)) {
        relayClose(s, "server connection failed: " + gone->reason, true, now, out);
        return;
    }
    if (!eof)
        return;
    r.serverEof = true;
    r.lastActivity = now;
    if (r.clientEof)
        relayClose(s, "closed by both sides", false, now, out);
    else
        childClosed(s, false); // END_STREAM towards the client; it may still send
}

void H2ProxyFront::relayClose(Stream &s, std::string reason, bool failed, MonoTime now,
                              std::vector<Command> &out)
{
    Relay &r = *s.relay;
    if (r.closed)
        return;
    r.closed = true;
    flow::Flow &f = r.flow;
    f.closeReason = reason;
    f.closedWall = wallNow();
    f.timings.complete = now - f.startedMono;
    if (f.state == flow::FlowState::Open)
        f.state = failed ? flow::FlowState::Failed : flow::FlowState::Complete;
    if (failed && f.error.empty())
        f.error = reason;
    if (r.ws)
        r.ws->update(f);
    PublishFlow publish{std::make_shared<flow::Flow>(f)};
    onPublish(s, publish, out);
    dropFor(s, r.server, false, now, out);
    s.childClosed = true;
    // RFC 9113 §8.5: a failed TCP connection resets the stream with CONNECT_ERROR.
    childClosed(s, failed);
}

} // namespace ts::proxy
