#include "core/proxy/server_connections.h"

#include "core/proxy/h2_origin_link.h"
#include "core/proxy/tls_record.h"

#include "core/tls/tls_session.h"

namespace ts::proxy {

ServerConnections::ServerConnections(const SessionContext &context) : m_context(context)
{}

ServerConnections::~ServerConnections() = default;

void ServerConnections::endEvent(std::vector<Command> &out, bool tick, MonoTime now)
{
    m_records.track(out, m_eventCommands, tick, now);
}

ServerId ServerConnections::open(const Target &target, bool reusable, bool plainHttp, bool tls,
                                 bool tunnel, std::vector<Command> &out)
{
    const ServerId id = ++m_nextId;
    if (tunnel)
        m_tunnels.insert(id);
    out.push_back(OpenServer{id, target.host, target.port, reusable, plainHttp, tls});
    return id;
}

void ServerConnections::send(ServerId id, std::string plaintext, MonoTime now,
                             std::vector<Command> &out)
{
    if (const auto h2 = m_h2.find(id); h2 != m_h2.end()) {
        // Our own h2 link: bytes are an upgraded exchange's (an accepted WebSocket's).
        std::string wire;
        h2->second.link->send(0, http::Body{std::move(plaintext)}, now, wire);
        plaintext = std::move(wire);
    }
    sendWire(id, std::move(plaintext), out);
}

void ServerConnections::sendWire(ServerId id, std::string plaintext, std::vector<Command> &out)
{
    if (plaintext.empty())
        return;
    const auto tls = m_tls.find(id);
    if (tls == m_tls.end()) {
        // One command for the bytes of one event: a request body of one-byte chunks made a
        // write() per chunk (300,000 chunks cost 2.4 s of CPU). Only towards servers: a
        // carrier front reads each SendToClient as a step of the response (the 101, then
        // tunnel bytes), and must keep seeing them apart.
        if (out.size() > m_eventCommands)
            if (auto *last = std::get_if<SendToServer>(&out.back()); last && last->id == id) {
                last->data += plaintext;
                return;
            }
        out.push_back(SendToServer{id, std::move(plaintext)});
        return;
    }
    tls->second->send(plaintext);
    if (tls->second->hasCiphertext())
        out.push_back(SendToServer{id, tls->second->takeCiphertext()});
}

bool ServerConnections::sendPart(ServerId id, http::RequestPart part, MonoTime now,
                                 std::vector<Command> &out)
{
    const auto h2 = m_h2.find(id);
    if (h2 == m_h2.end()) {
        out.push_back(SendRequestPart{id, std::move(part)});
        return false;
    }
    H2OriginLink &link = *h2->second.link;
    std::string wire;
    link.send(0, std::move(part), now, wire);
    sendWire(id, std::move(wire), out);
    return link.hasParts(0) || link.channelFailed(0);
}

std::string ServerConnections::startTls(ServerId id, const std::string &sni,
                                        const std::string &verifyName,
                                        const std::vector<std::string> &alpn, bool verify,
                                        MonoTime now, std::vector<Command> &out)
{
    const InterceptConfig &ic = *m_context.intercept;
    auto session = tls::TlsSession::client(ic.toServers, {sni, verifyName, alpn, verify}, now);
    if (!session) {
        m_tls.erase(id);
        return session.error().message;
    }
    tls::TlsSession &s = **session;
    m_tls[id] = std::move(*session);
    if (s.hasCiphertext())
        out.push_back(SendToServer{id, s.takeCiphertext()});
    return {};
}

tls::TlsSession *ServerConnections::tls(ServerId id)
{
    const auto it = m_tls.find(id);
    return it == m_tls.end() ? nullptr : it->second.get();
}

void ServerConnections::startH2(ServerId id, const std::string &target, MonoTime now,
                                std::vector<Command> &out)
{
    const auto tls = m_tls.find(id);
    if (tls == m_tls.end() || tls->second->details().alpn != "h2")
        return;
    OriginH2 h2;
    flow::Connection &r = h2.record;
    r.id = m_context.newConnectionId();
    r.side = flow::Side::Server;
    r.protocol = "HTTP/2";
    r.target = target;
    r.parent = m_context.connectionId;
    r.openedWall = wallNow();
    flow::TlsSide side;
    record(side, *tls->second);
    r.tls = std::make_shared<const flow::TlsSide>(std::move(side));
    r.feed = std::make_shared<flow::LogFeed>(m_context.frameLogCapacity);
    auto link = H2OriginLink::create(http2::ProtocolLimits{}, r.feed, now);
    if (!link)
        return; // stays HTTP/1.1 bytes: the origin will refuse them, and the flow says why
    m_records.adopt(id, r); // the connection keeps the id it was published with
    h2.link = std::move(*link);
    h2.link->open(0);
    sendWire(id, h2.link->start(now), out);
    out.push_back(PublishConnection{r});
    m_h2[id] = std::move(h2);
}

H2OriginLink *ServerConnections::link(ServerId id)
{
    const auto h2 = m_h2.find(id);
    return h2 == m_h2.end() ? nullptr : h2->second.link.get();
}

flow::ConnectionId ServerConnections::linkConnection(ServerId id) const
{
    const auto h2 = m_h2.find(id);
    return h2 == m_h2.end() ? 0 : h2->second.record.id;
}

void ServerConnections::drop(ServerId id, std::vector<Command> &out)
{
    if (const auto h2 = m_h2.find(id); h2 != m_h2.end()) {
        flow::Connection &r = h2->second.record;
        r.closedWall = wallNow();
        r.closeReason = h2->second.link->failed() ? h2->second.link->error() : "closed";
        if (r.feed)
            r.feed->closed();
        out.push_back(PublishConnection{r});
        m_h2.erase(h2);
    }
    m_records.close(id, "closed by the proxy", out);
    m_tls.erase(id);
    m_tunnels.erase(id);
    out.push_back(CloseServer{id});
}

// ---------------------------------------------------------------------------- records

bool ServerConnections::recordsServer(const OpenServer &open) const
{
    // Only this session's own ids: a front's children keep records of their own, and a carrier
    // that secures origins (OriginPool) keeps the record of what it opens.
    return open.id <= m_nextId && !(open.tls && m_context.carrierSecures);
}

bool ServerConnections::ownsServerId(ServerId id) const
{
    return id <= m_nextId;
}

std::string ServerConnections::protocolFor(const OpenServer &open) const
{
    // A CONNECT tunnel's bytes are relayed as they come ("TCP") until the proxy decrypts them
    // and speaks HTTP/1.1 to the server itself.
    return m_tunnels.count(open.id) ? "TCP" : "HTTP/1.1";
}

const tls::TlsSession *ServerConnections::serverTls(ServerId id) const
{
    const auto it = m_tls.find(id);
    return it == m_tls.end() ? nullptr : it->second.get();
}

flow::Connection *ServerConnections::h2Record(ServerId id)
{
    const auto h2 = m_h2.find(id);
    return h2 == m_h2.end() ? nullptr : &h2->second.record;
}

} // namespace ts::proxy
