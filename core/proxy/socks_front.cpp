#include "core/proxy/socks_front.h"

#include "core/proxy/http_proxy_session.h"

namespace ts::proxy {

namespace {

using socks::ReplyCode;

// The engine words ENETUNREACH "... is unreachable (Network is unreachable)" and
// EHOSTUNREACH "... (No route to host)"; ConnectFailure::Unreachable covers both.
bool mentionsNetwork(std::string_view message)
{
    std::string lower(message);
    for (char &c : lower)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return lower.find("network") != std::string::npos;
}

} // namespace

SocksFront::SocksFront(const SessionContext &context, MonoTime now)
    : m_context(context), m_server(context.socks.credentials), m_startedAt(now)
{}

SocksFront::~SocksFront() = default;

ReplyCode SocksFront::replyFor(const TunnelRefused &refused)
{
    if (refused.status == 504) // connect timeout: RFC 1928 has nothing closer than "TTL expired"
        return ReplyCode::TtlExpired;
    switch (refused.kind) {
    case ConnectFailure::Refused:
        return ReplyCode::ConnectionRefused;
    case ConnectFailure::Unreachable:
        return mentionsNetwork(refused.message) ? ReplyCode::NetworkUnreachable
                                                : ReplyCode::HostUnreachable;
    case ConnectFailure::NameNotResolved:
        return ReplyCode::HostUnreachable;
    case ConnectFailure::LoopDetected:
        return ReplyCode::NotAllowedByRuleset;
    case ConnectFailure::Other:
        break;
    }
    return ReplyCode::GeneralFailure;
}

void SocksFront::start(MonoTime, std::vector<Command> &)
{
    // The client speaks first (its greeting).
}

void SocksFront::clientData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    if (m_finished)
        return;
    if (m_child) {
        childEvent(ClientData{data}, now, out);
        return;
    }
    m_sawBytes = m_sawBytes || !data.empty();
    const socks::Socks5Server::Output result = m_server.feed(data);
    onHandshake(result, data.substr(std::min(result.consumed, data.size())), now, out);
}

void SocksFront::onHandshake(const socks::Socks5Server::Output &result, std::string_view rest,
                             MonoTime now, std::vector<Command> &out)
{
    m_toClient += result.toClient;
    switch (result.status) {
    case socks::Socks5Server::Status::NeedMore:
        return;
    case socks::Socks5Server::Status::Failed:
        recordRefusal(m_server.error(), now, out);
        finish("SOCKS5: " + m_server.error().message);
        return;
    case socks::Socks5Server::Status::Request:
        startChild(now, out);
        // Bytes behind the request (a client that does not wait for the reply) are the
        // tunnel's: the child holds them until the server is connected.
        if (!rest.empty() && m_child && !m_child->closed())
            childEvent(ClientData{rest}, now, out);
        return;
    }
}

void SocksFront::startChild(MonoTime now, std::vector<Command> &out)
{
    const socks::Socks5Server::Request &request = m_server.request();
    SessionContext ctx = m_context;
    ctx.socks = {}; // the child serves the tunnel, not another SOCKS5 handshake
    ctx.carried = true;
    ctx.tlsListener = false;
    ctx.clientProtocol = "SOCKS5";
    ctx.clientStream = 0;
    ctx.interceptedParent = 0;
    ctx.clientTls.reset();
    Target target;
    target.host = request.host;
    target.port = request.port;
    ctx.tunnelTarget = target;
    m_child = std::make_unique<HttpProxySession>(std::move(ctx), now);
    std::vector<Command> childOut;
    m_child->start(now, childOut);
    runChildCommands(childOut, out);
}

void SocksFront::childEvent(const Event &event, MonoTime now, std::vector<Command> &out)
{
    if (!m_child || m_child->closed())
        return;
    std::vector<Command> childOut;
    m_child->handle(event, now, childOut);
    runChildCommands(childOut, out);
}

void SocksFront::runChildCommands(std::vector<Command> &childOut, std::vector<Command> &out)
{
    for (Command &command : childOut) {
        std::visit(
            [&](auto &c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, SendToClient>) {
                    if (m_established)
                        m_toClient += c.data;
                } else if constexpr (std::is_same_v<T, ShutdownClient>) {
                    // The server half-closed the tunnel. The half-close must follow the bytes
                    // before it, so those go out now rather than through takeClientBytes().
                    if (!m_toClient.empty())
                        out.push_back(SendToClient{std::exchange(m_toClient, {})});
                    out.push_back(ShutdownClient{});
                } else if constexpr (std::is_same_v<T, CloseClient>) {
                    closeServers(out);
                    finish(m_childCloseReason.empty() ? std::string("SOCKS5 tunnel closed")
                                                      : m_childCloseReason);
                } else if constexpr (
                    std::is_same_v<
                        T,
                        PauseClient> || std::is_same_v<T, ResumeClient> || std::is_same_v<T, MultiplexClient> || std::is_same_v<T, PublishConnection>) {
                    // The child's client connection is ours; an h2 connection inside an
                    // intercepted tunnel publishes a record of its own.
                    out.push_back(std::move(c));
                } else if constexpr (std::is_same_v<T, OpenServer>) {
                    const ServerId id = m_nextServer++;
                    m_toOwner[c.id] = id;
                    m_toChild[id] = c.id;
                    c.id = id;
                    out.push_back(std::move(c));
                } else if constexpr (
                    std::is_same_v<
                        T,
                        SendToServer> || std::is_same_v<T, ShutdownServer> || std::is_same_v<T, PauseServer> || std::is_same_v<T, ResumeServer>) {
                    if (auto it = m_toOwner.find(c.id); it != m_toOwner.end()) {
                        c.id = it->second;
                        out.push_back(std::move(c));
                    }
                } else if constexpr (std::is_same_v<
                                         T, CloseServer> || std::is_same_v<T, ReleaseServer>) {
                    if (auto it = m_toOwner.find(c.id); it != m_toOwner.end()) {
                        c.id = it->second;
                        m_toChild.erase(it->second);
                        m_toOwner.erase(it);
                        out.push_back(std::move(c));
                    }
                } else if constexpr (std::is_same_v<T, PublishFlow>) {
                    if (c.flow && c.flow->kind == flow::FlowKind::Tunnel
                        && c.flow->clientProtocol == "SOCKS5") {
                        m_intercepted = c.flow->intercepted;
                        m_childCloseReason
                            = !c.flow->closeReason.empty() ? c.flow->closeReason : c.flow->error;
                    }
                    out.push_back(std::move(c));
                } else if constexpr (std::is_same_v<T, TunnelEstablished>) {
                    if (!m_established) {
                        m_established = true;
                        // The outbound socket's own address is not known to layers; RFC 1928
                        // lets a server answer 0.0.0.0:0, which every client accepts.
                        m_toClient += socks::Socks5Server::reply(ReplyCode::Succeeded);
                    }
                } else if constexpr (std::is_same_v<T, TunnelRefused>) {
                    if (!m_established)
                        m_toClient += socks::Socks5Server::reply(replyFor(c));
                    m_childCloseReason = c.message;
                } else {
                    // RelayTunnel: never asked of a carried session (the bytes pass here).
                }
            },
            command);
    }
}

void SocksFront::serverEvent(const Event &event, MonoTime now, std::vector<Command> &out)
{
    const auto it = m_toChild.find(serverOf(event));
    if (it == m_toChild.end())
        return;
    const ServerId childId = it->second;
    std::visit(
        [&](const auto &e) {
            if constexpr (requires { e.id; }) {
                auto copy = e;
                copy.id = childId;
                childEvent(copy, now, out);
            }
        },
        event);
    // The engine has forgotten a server that failed to connect or broke.
    if (std::holds_alternative<ServerConnectFailed>(event)
        || std::holds_alternative<ServerGone>(event)) {
        if (const auto gone = m_toChild.find(serverOf(event)); gone != m_toChild.end()) {
            m_toOwner.erase(gone->second);
            m_toChild.erase(gone);
        }
    }
}

void SocksFront::clientEof(MonoTime now, std::vector<Command> &out)
{
    // A client that half-closes an established tunnel still reads the answer (nc -N, a
    // request then shutdown(SHUT_WR)): the tunnel passes the half-close on to the server.
    if (m_child && !m_child->closed() && m_established) {
        childEvent(ClientEof{}, now, out);
        return;
    }
    clientGone("the client closed the connection", now, out);
}

void SocksFront::clientGone(const std::string &reason, MonoTime now, std::vector<Command> &out)
{
    if (m_child && !m_child->closed()) {
        // The owner passes an orderly close as "the client closed the connection" and a reset
        // or error as "client connection failed: ...". A SOCKS5 tunnel normally ends with the
        // client closing: once it was up, that is a complete tunnel, not a failed one.
        const bool failed = reason.starts_with("client connection failed");
        if (m_established && !failed) {
            childEvent(ClientEof{}, now, out);
            // A raw tunnel would now wait for the server's half-close; the client is gone
            // for good, so the server's side ends here too.
            if (!m_intercepted)
                for (const auto &[ownerId, childId] : std::unordered_map(m_toChild))
                    childEvent(ServerEof{childId}, now, out);
        }
        childEvent(ClientGone{reason}, now, out);
    } else if (!m_child && !m_finished) {
        const socks::Socks5Server::Output result = m_server.feedEof();
        m_toClient += result.toClient;
    }
    closeServers(out);
    finish(reason);
}

void SocksFront::tick(MonoTime now, std::vector<Command> &out)
{
    if (m_finished)
        return;
    if (m_child) {
        if (!m_child->closed() && m_child->deadline() <= now)
            childEvent(Tick{}, now, out);
        return;
    }
    if (now >= m_startedAt + m_context.timeouts.requestHead) {
        const std::string message = "the SOCKS5 handshake was not complete within "
                                    + std::to_string(m_context.timeouts.requestHead / kSecond)
                                    + " s";
        if (m_sawBytes)
            recordRefusal(Error{"socks.timeout", message}, now, out);
        finish(message);
    }
}

MonoTime SocksFront::deadline() const
{
    if (m_finished)
        return kNoDeadline;
    if (m_child)
        return m_child->closed() ? kNoDeadline : m_child->deadline();
    return m_startedAt + m_context.timeouts.requestHead;
}

std::string SocksFront::takeClientBytes()
{
    return std::exchange(m_toClient, {});
}

void SocksFront::recordRefusal(const Error &error, MonoTime now, std::vector<Command> &out)
{
    // The client going away mid-handshake is not a request: the connection record says it.
    if (error.code == "socks.closed")
        return;
    auto f = std::make_shared<flow::Flow>();
    f->id = m_context.newFlowId();
    f->kind = flow::FlowKind::Tunnel;
    f->state = flow::FlowState::Failed;
    f->clientConnection = m_context.connectionId;
    f->clientAddress = m_context.clientAddress;
    f->startedWall = wallNow();
    f->startedMono = now;
    f->method = "CONNECT";
    f->clientProtocol = "SOCKS5";
    if (m_server.status() == socks::Socks5Server::Status::Request) {
        f->host = m_server.request().host;
        f->port = m_server.request().port;
    }
    // Never a password: the codec's messages name the username at most.
    f->error = "SOCKS5: " + error.message;
    f->closeReason = f->error;
    f->closedWall = f->startedWall;
    f->timings.complete = 0;
    out.push_back(PublishFlow{std::move(f)});
}

void SocksFront::closeServers(std::vector<Command> &out)
{
    for (const auto &[ownerId, childId] : m_toChild)
        out.push_back(CloseServer{ownerId});
    m_toChild.clear();
    m_toOwner.clear();
}

void SocksFront::finish(std::string reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_finishReason = std::move(reason);
}

} // namespace ts::proxy
