#include "core/proxy/origin_pool.h"

#include "core/proxy/h2_origin_link.h"
#include "core/proxy/host_patterns.h"
#include "core/proxy/tls_record.h"

#include "core/tls/tls_session.h"

#include <algorithm>

namespace ts::proxy {

struct OriginPool::Conn
{
    ServerId id = 0;
    std::string host;
    std::uint16_t port = 0;
    std::string key; // "host:port"
    std::unique_ptr<tls::TlsSession> tls;
    ServerConnected connected; // the engine's report: peer, times, chain
    bool secured = false;      // handshake done and the certificate accepted
    bool congested = false;    // its write queue is full
    bool dead = false;         // HTTP/1.1: the server ended it; not for another user
    std::shared_ptr<const flow::TlsSide> side;
    std::unique_ptr<H2OriginLink> h2; // the origin chose h2
    flow::Connection record;          // from the handshake on (h2: with frames and streams)
    std::vector<ServerId> waiting;    // channels waiting for the handshake
    ServerId user = 0;                // HTTP/1.1: the channel using it (0: idle)
    bool given = false;               // a channel has had it: later ones are "reused"
};

OriginPool::OriginPool(const SessionContext &context) : m_context(context)
{}

OriginPool::~OriginPool() = default;

OriginPool::Conn *OriginPool::findShared(const std::string &key, std::size_t cap)
{
    Conn *pending = nullptr;
    for (auto &[id, c] : m_conns) {
        if (c->key != key || c->dead)
            continue;
        if (c->secured && c->h2 && c->h2->hasRoom(cap))
            return c.get();
        if (c->secured && !c->h2 && c->user == 0)
            return c.get();
        // Still shaking hands: wait for it, as it may well choose h2.
        if (!c->secured && !pending && c->waiting.size() < cap)
            pending = c.get();
    }
    return pending;
}

void OriginPool::open(ServerId channel, const std::string &host, std::uint16_t port, MonoTime now,
                      std::vector<Command> &out)
{
    (void)now;
    const std::string key = host + ":" + std::to_string(port);
    if (Conn *c = findShared(key, m_context.http2.maxConcurrentStreams)) {
        m_channels[channel] = c->id;
        if (c->secured)
            attach(*c, channel, true);
        else
            c->waiting.push_back(channel);
        return;
    }
    startConnection(channel, host, port, out);
}

void OriginPool::startConnection(ServerId channel, const std::string &host, std::uint16_t port,
                                 std::vector<Command> &out)
{
    auto c = std::make_unique<Conn>();
    c->id = m_nextId++;
    c->host = host;
    c->port = port;
    c->key = host + ":" + std::to_string(port);
    c->waiting.push_back(channel);
    m_channels[channel] = c->id;
    // A plain TCP connection: the TLS is ours (an enclosing carrier must not add its own).
    out.push_back(OpenServer{c->id, host, port, false, false, false});
    m_conns[c->id] = std::move(c);
}

void OriginPool::attach(Conn &c, ServerId channel, bool reused)
{
    ServerConnected e = c.connected;
    e.id = channel;
    e.reused = reused || c.given;
    e.tls = c.side;
    e.messages = c.h2 != nullptr; // a stream: the request goes as parts
    c.given = true;
    ++c.record.flows;
    m_channels[channel] = c.id;
    if (c.h2)
        c.h2->open(channel);
    else
        c.user = channel;
    m_deliveries.push_back({channel, e, {}});
}

void OriginPool::serverEvent(const Event &event, MonoTime now, std::vector<Command> &out)
{
    const auto it = m_conns.find(serverOf(event));
    if (it == m_conns.end())
        return;
    Conn &c = *it->second;
    std::visit(
        [&](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ServerConnected>) {
                onConnected(c, e, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                for (ServerId ch : c.waiting) {
                    ServerConnectFailed copy = e;
                    copy.id = ch;
                    m_channels.erase(ch);
                    m_deliveries.push_back({ch, copy, {}});
                }
                const ServerId id = c.id; // (c goes with the erase)
                m_conns.erase(id);        // the engine has forgotten it already
            } else if constexpr (std::is_same_v<T, ServerData>) {
                c.record.bytesIn += e.data.size();
                onBytes(c, e.data, now, out);
            } else if constexpr (std::is_same_v<T, ServerEof>) {
                ended(c, "the server closed the connection", true, out);
            } else if constexpr (std::is_same_v<T, ServerGone>) {
                ended(c, e.reason, false, out);
            } else if constexpr (std::is_same_v<T, ServerBackpressure>) {
                c.congested = e.full;
            }
        },
        event);
}

void OriginPool::onConnected(Conn &c, const ServerConnected &e, MonoTime now,
                             std::vector<Command> &out)
{
    c.connected = e;
    const InterceptConfig &ic = *m_context.intercept;
    const bool verify = ic.verifyServers && !(ic.insecure && ic.insecure->matches(c.host));
    auto session = tls::TlsSession::client(
        ic.toServers, {isIpLiteral(c.host) ? "" : c.host, c.host, {"h2", "http/1.1"}, verify}, now);
    if (!session) {
        fail(c, session.error().message, false, out);
        return;
    }
    c.tls = std::move(*session);
    if (c.tls->hasCiphertext())
        out.push_back(SendToServer{c.id, c.tls->takeCiphertext()});
}

void OriginPool::onBytes(Conn &c, std::string_view data, MonoTime now, std::vector<Command> &out)
{
    if (!c.tls)
        return;
    const ServerId id = c.id;
    const bool wasDone = c.tls->handshakeDone();
    std::string plain;
    c.tls->receive(data, plain, now);
    if (c.tls->hasCiphertext())
        out.push_back(SendToServer{c.id, c.tls->takeCiphertext()});
    if (c.tls->failed()) {
        ended(c, "TLS: " + c.tls->error(), false, out);
        return;
    }
    if (!wasDone && c.tls->handshakeDone()) {
        onSecured(c, now, out);
        if (!m_conns.count(id))
            return;
    }
    if (!plain.empty()) {
        onPlaintext(c, plain, now, out);
        if (!m_conns.count(id))
            return;
    }
    if (c.tls->peerClosed())
        ended(c, "the server closed the connection", true, out);
}

void OriginPool::onSecured(Conn &c, MonoTime now, std::vector<Command> &out)
{
    flow::TlsSide side;
    record(side, *c.tls);
    const InterceptConfig &ic = *m_context.intercept;
    const bool verify = ic.verifyServers && !(ic.insecure && ic.insecure->matches(c.host));
    c.side = std::make_shared<const flow::TlsSide>(side);
    if (verify && !c.tls->details().verified) {
        fail(c, "the certificate of " + c.key + " is not trusted: " + c.tls->details().verifyError,
             false, out);
        return;
    }
    c.secured = true;
    flow::Connection &r = c.record;
    r.id = m_context.newConnectionId();
    r.side = flow::Side::Server;
    r.protocol = "HTTP/1.1";
    r.target = c.key;
    r.peerAddress = c.connected.peerAddress;
    r.parent = m_context.connectionId;
    r.openedWall = wallNow();
    r.tls = c.side;
    if (c.tls->details().alpn == "h2") {
        r.protocol = "HTTP/2";
        r.feed = std::make_shared<flow::LogFeed>(m_context.frameLogCapacity);
        auto link = H2OriginLink::create(http2::ProtocolLimits{}, r.feed, now);
        if (link) {
            c.h2 = std::move(*link);
            sendWire(c, c.h2->start(now), out);
        }
    }
    const std::size_t cap = m_context.http2.maxConcurrentStreams;
    const std::vector<ServerId> waiting = std::exchange(c.waiting, {});
    std::vector<ServerId> elsewhere;
    for (ServerId ch : waiting) {
        if (c.h2 ? c.h2->hasRoom(cap) : c.user == 0)
            attach(c, ch, false);
        else
            elsewhere.push_back(ch); // HTTP/1.1: a connection each
    }
    publish(c, out);
    for (ServerId ch : elsewhere) {
        m_channels.erase(ch);
        open(ch, c.host, c.port, now, out);
    }
}

void OriginPool::onPlaintext(Conn &c, std::string_view data, MonoTime now,
                             std::vector<Command> &out)
{
    if (c.h2) {
        std::string wire;
        const std::vector<std::uint32_t> touched = c.h2->fromServer(data, now, wire);
        sendWire(c, wire, out);
        deliverH2(c, touched, now, out);
        if (c.h2->failed())
            drop(c, c.h2->error(), out);
        else if (c.h2->finished() && c.h2->channels() == 0)
            drop(c, "the origin ended the connection (GOAWAY)", out);
        return;
    }
    if (c.user) {
        Delivery d{c.user, ServerData{c.user, {}}, std::string(data)};
        m_deliveries.push_back(std::move(d));
        return;
    }
    drop(c, "unasked bytes on an idle connection", out); // it cannot be trusted any more
}

void OriginPool::deliverH2(Conn &c, const std::vector<std::uint32_t> &channels, MonoTime now,
                           std::vector<Command> &out)
{
    for (std::uint32_t ch : channels) {
        for (http::ResponsePart &part : c.h2->take(ch))
            m_deliveries.push_back({ch, ServerResponse{ch, nullptr}, {}, std::move(part)});
        if (c.h2->channelFailed(ch)) {
            m_deliveries.push_back({ch, ServerGone{ch, "HTTP/2: " + c.h2->channelError(ch)}, {}});
            std::string wire;
            c.h2->close(ch, now, wire); // its stream is reset or closed already
            sendWire(c, wire, out);
            m_channels.erase(ch);
        }
    }
}

void OriginPool::fail(Conn &c, const std::string &message, bool timedOut, std::vector<Command> &out)
{
    for (ServerId ch : c.waiting) {
        ServerConnectFailed f{ch,    ConnectFailure::Other, message, -1, c.connected.via, timedOut,
                              c.side};
        m_channels.erase(ch);
        m_deliveries.push_back({ch, f, {}});
    }
    c.waiting.clear();
    drop(c, message, out);
}

void OriginPool::ended(Conn &c, const std::string &reason, bool eof, std::vector<Command> &out)
{
    if (!c.secured) {
        std::string why = reason;
        if (c.tls && c.tls->failed())
            why = c.tls->error();
        else if (eof)
            why = "the server closed the connection during the TLS handshake";
        if (c.tls) {
            flow::TlsSide side;
            record(side, *c.tls);
            side.failure = why;
            c.side = std::make_shared<const flow::TlsSide>(side);
        }
        fail(c, "TLS with " + c.key + " failed: " + why, false, out);
        return;
    }
    if (c.h2) {
        for (auto it = m_channels.begin(); it != m_channels.end();) {
            if (it->second == c.id) {
                m_deliveries.push_back({it->first, ServerGone{it->first, reason}, {}});
                it = m_channels.erase(it);
            } else {
                ++it;
            }
        }
        drop(c, reason, out);
        return;
    }
    if (!c.user) {
        drop(c, reason, out);
        return;
    }
    // HTTP/1.1: its user decides (a close-delimited body ends here); it closes the channel.
    c.dead = true;
    if (eof)
        m_deliveries.push_back({c.user, ServerEof{c.user}, {}});
    else
        m_deliveries.push_back({c.user, ServerGone{c.user, reason}, {}});
}

void OriginPool::drop(Conn &c, const std::string &reason, std::vector<Command> &out)
{
    if (c.record.id) {
        c.record.closedWall = wallNow();
        c.record.closeReason = reason;
        if (c.record.feed)
            c.record.feed->closed();
        publish(c, out);
    }
    out.push_back(CloseServer{c.id});
    const ServerId id = c.id; // (c goes with the erase)
    for (auto it = m_channels.begin(); it != m_channels.end();)
        it = it->second == id ? m_channels.erase(it) : std::next(it);
    m_conns.erase(id);
}

void OriginPool::sendWire(Conn &c, std::string_view plaintext, std::vector<Command> &out)
{
    if (plaintext.empty() || !c.tls)
        return;
    c.tls->send(plaintext);
    if (c.tls->hasCiphertext()) {
        std::string wire = c.tls->takeCiphertext();
        c.record.bytesOut += wire.size();
        out.push_back(SendToServer{c.id, std::move(wire)});
    }
}

void OriginPool::send(ServerId channel, std::string_view plaintext, MonoTime now,
                      std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    if (c.secured && !c.h2) // (its user waits for ServerConnected before it sends)
        sendWire(c, plaintext, out);
    else if (c.secured) // an accepted WebSocket's bytes on its stream
        sendPart(channel, http::Body{std::string(plaintext)}, now, out);
}

void OriginPool::sendPart(ServerId channel, http::RequestPart part, MonoTime now,
                          std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    if (!c.secured || !c.h2)
        return; // only a stream is told ServerConnected::messages
    std::string wire;
    c.h2->send(channel, std::move(part), now, wire);
    sendWire(c, wire, out);
    // A local answer (a WebSocket the origin cannot take) or a failed stream: delivered with
    // the others, after the user's commands.
    if (c.h2->channelFailed(channel) || c.h2->hasParts(channel))
        deliverH2(c, {channel}, now, out);
}

void OriginPool::shutdown(ServerId channel, MonoTime now, std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    if (!c.h2 && c.secured) {
        out.push_back(ShutdownServer{c.id});
        return;
    }
    if (c.h2) { // RFC 8441 §5: the WebSocket's half-close is END_STREAM on its stream
        std::string wire;
        c.h2->send(channel, http::End{}, now, wire);
        sendWire(c, wire, out);
    }
}

void OriginPool::close(ServerId channel, MonoTime now, std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    m_channels.erase(ch);
    if (const auto w = std::find(c.waiting.begin(), c.waiting.end(), channel);
        w != c.waiting.end()) {
        c.waiting.erase(w);
        if (c.waiting.empty()) // nobody left to wait for it (they timed out or went away)
            drop(c, "no stream waits for it any more", out);
        return;
    }
    if (c.h2) {
        std::string wire;
        c.h2->close(channel, now, wire);
        sendWire(c, wire, out);
        if (c.h2->finished() && c.h2->channels() == 0)
            drop(c, "the origin ended the connection (GOAWAY)", out);
        return;
    }
    if (c.user == channel)
        drop(c, "closed", out);
}

void OriginPool::release(ServerId channel, MonoTime now, std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    if (c.h2 || c.dead || c.user != channel) {
        close(channel, now, out);
        return;
    }
    m_channels.erase(ch);
    c.user = 0; // idle, for the next stream to this origin
}

void OriginPool::pause(ServerId channel, bool paused, MonoTime now, std::vector<Command> &out)
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return;
    Conn &c = *m_conns.at(ch->second);
    if (!c.secured)
        return;
    if (!c.h2) {
        if (paused)
            out.push_back(PauseServer{c.id});
        else
            out.push_back(ResumeServer{c.id});
        return;
    }
    std::string wire;
    c.h2->pause(channel, paused, now, wire);
    sendWire(c, wire, out);
    if (!paused)
        deliverH2(c, {channel}, now, out);
}

bool OriginPool::congested(ServerId channel) const
{
    const auto ch = m_channels.find(channel);
    return ch != m_channels.end() && m_conns.at(ch->second)->congested;
}

std::optional<OriginPool::Use> OriginPool::use(ServerId channel) const
{
    const auto ch = m_channels.find(channel);
    if (ch == m_channels.end())
        return std::nullopt;
    const Conn &c = *m_conns.at(ch->second);
    if (!c.secured || c.record.id == 0)
        return std::nullopt;
    if (!c.h2)
        return Use{c.record.id, false, 0};
    if (!c.h2->has(channel))
        return std::nullopt;
    const H2OriginLink::Wire wire = c.h2->wire(channel);
    return Use{c.record.id,       true,           std::uint64_t(c.h2->stream(channel)),
               &wire.request,     &wire.response, wire.requestBytes,
               wire.responseBytes};
}

void OriginPool::publish(Conn &c, std::vector<Command> &out)
{
    if (c.record.id)
        out.push_back(PublishConnection{c.record});
}

void OriginPool::closeAll(std::vector<Command> &out)
{
    while (!m_conns.empty())
        drop(*m_conns.begin()->second, "the client connection closed", out);
}

} // namespace ts::proxy
