#include "core/proxy/http_proxy_session.h"

#include "core/http/message.h"
#include "core/proxy/h2_origin_link.h"
#include "core/proxy/h2_proxy_front.h"
#include "core/proxy/info_page.h"
#include "core/proxy/interception.h"
#include "core/proxy/socks_front.h"
#include "core/proxy/stream_h1.h"
#include "core/proxy/tls_record.h"

#include "core/tls/certificate_authority.h"
#include "core/tls/client_hello.h"
#include "core/tls/tls_session.h"

#include <algorithm>

namespace ts::proxy {

using namespace ts::http1;

namespace {

std::shared_ptr<const flow::TlsSide> shared(const flow::TlsSide &side)
{
    return std::make_shared<const flow::TlsSide>(side);
}

} // namespace

HttpStream *HttpProxySession::exchangeOn(ServerId id)
{
    HttpStream *ex = m_h1.stream();
    return ex && id && ex->server() == id ? ex : nullptr;
}

HttpProxySession::HttpProxySession(SessionContext context, MonoTime now)
    : m_context(std::move(context)), m_lastClientActivity(now)
{
    m_connection.id = m_context.connectionId;
    m_connection.protocol = "HTTP/1.1"; // until the preface, ALPN h2 or SOCKS5 says otherwise
    m_connection.clientAddress = m_context.clientAddress;
    m_connection.listenAddress = m_context.listenAddress;
    m_connection.openedWall = wallNow();
}

HttpProxySession::~HttpProxySession() = default;

void HttpProxySession::start(MonoTime now, std::vector<Command> &out)
{
    m_now = now;
    m_servers.beginEvent(out.size());
    startLayers(now, out);
    m_servers.endEvent(out, false, m_now);
}

void HttpProxySession::startLayers(MonoTime now, std::vector<Command> &out)
{
    publishConnection(out);
    if (m_context.socks.enabled) {
        m_connection.protocol = "SOCKS5";
        startFront(std::make_unique<SocksFront>(m_context, now), now, out);
        return;
    }
    if (m_context.tunnelTarget) {
        startCarriedTunnel(now, out);
        return;
    }
    if (!m_context.tlsListener)
        return;
    // HTTPS proxy: the client's first bytes are a TLS handshake with the proxy itself.
    const InterceptConfig *ic = m_context.intercept.get();
    auto leaf = ic && ic->ca ? ic->ca->leafFor(ic->proxyNames)
                             : Result<std::shared_ptr<const tls::LeafCertificate>>(
                                 Error{"tls.ca", "no certificate authority"});
    if (!leaf) {
        closeClient(true, "cannot make the proxy's certificate: " + leaf.error().message, now, out);
        return;
    }
    auto session = tls::TlsSession::server(ic->toClients, {*leaf, {"h2", "http/1.1"}}, now);
    if (!session) {
        closeClient(true, session.error().message, now, out);
        return;
    }
    m_clientTls.push_back(std::move(*session));
}

void HttpProxySession::handle(const Event &event, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    m_now = now;
    m_servers.beginEvent(out.size());
    noteServerEvent(event);
    dispatchEvent(event, now, out);
    // An answer the h2 link made itself while the session was sending (a WebSocket the origin
    // cannot take) is taken here, outside the send path that produced it.
    if (const ServerId id = std::exchange(m_linkAnswer, 0);
        id && m_servers.link(id) && m_mode != Mode::Closed)
        serverPlaintext(id, {}, now, out);
    m_h1.endEvent(out);
    m_servers.endEvent(out, std::holds_alternative<Tick>(event), m_now);
}

void HttpProxySession::dispatchEvent(const Event &event, MonoTime now, std::vector<Command> &out)
{
    if (m_front) {
        const ServerId server = serverOf(event);
        if (server && m_front->ownsServer(server)) {
            m_front->serverEvent(event, now, out);
            afterFront(now, out);
            return;
        }
        if (std::holds_alternative<Tick>(event) && m_mode == Mode::Front) {
            m_front->tick(now, out);
            afterFront(now, out);
            return;
        }
    }
    std::visit(
        [&](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ClientData>) {
                m_connection.bytesIn += e.data.size();
                m_lastClientActivity = now;
                if (m_intercept)
                    m_intercept->tunnelFlow.bytesClientToServer += e.data.size();
                if (m_clientTls.empty()) {
                    onClientData(e.data, now, out);
                    return;
                }
                const std::string plain = clientDecrypt(e.data, now, out);
                if (!plain.empty() && m_mode != Mode::Closed)
                    onClientData(plain, now, out);
                const bool closeNotify = std::any_of(m_clientTls.begin(), m_clientTls.end(),
                                                     [](const auto &t) { return t->peerClosed(); });
                if (closeNotify && m_mode != Mode::Closed && !m_clientEof)
                    onClientEof(now, out);
            } else if constexpr (std::is_same_v<T, ClientEof>) {
                onClientEof(now, out);
            } else if constexpr (std::is_same_v<T, ClientGone>) {
                if (m_front)
                    m_front->clientGone("client connection failed: " + e.reason, now, out);
                if (m_tunnel)
                    closeTunnel("client connection failed: " + e.reason, now, out, true);
                else if (HttpStream *ex = m_h1.stream())
                    ex->abort("client connection failed: " + e.reason, now, out);
                closeClient(true, e.reason, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnected>) {
                if (HttpStream *ex = exchangeOn(e.id))
                    ex->serverConnected(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                if (HttpStream *ex = exchangeOn(e.id))
                    ex->serverConnectFailed(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerData>) {
                tls::TlsSession *tls = m_servers.tls(e.id);
                if (!tls) {
                    onServerBytes(e.id, e.data, now, out);
                    return;
                }
                tls::TlsSession &session = *tls;
                const bool wasDone = session.handshakeDone();
                std::string plain;
                session.receive(e.data, plain, now);
                if (session.hasCiphertext())
                    out.push_back(SendToServer{e.id, session.takeCiphertext()});
                if (session.failed()) {
                    onServerTlsFailed(e.id, now, out);
                    return;
                }
                if (!wasDone && session.handshakeDone())
                    onServerTlsDone(e.id, now, out);
                if (!plain.empty() && m_mode != Mode::Closed)
                    serverPlaintext(e.id, plain, now, out);
                if (m_servers.tls(e.id) && m_servers.tls(e.id)->peerClosed()
                    && m_mode != Mode::Closed)
                    dispatchEvent(ServerEof{e.id}, now, out);
            } else if constexpr (std::is_same_v<T, ServerEof>) {
                if (m_tunnel && e.id == m_tunnel->server) {
                    if (m_mode == Mode::Intercepting) {
                        onServerTlsFailed(e.id, now, out);
                        return;
                    }
                    m_tunnel->serverEof = true;
                    m_tunnel->lastActivity = now;
                    if (m_tunnel->clientEof || !m_clientTls.empty())
                        closeTunnel(m_tunnel->clientEof ? "closed by both sides"
                                                        : "closed by the server",
                                    now, out);
                    else
                        out.push_back(ShutdownClient{});
                } else if (HttpStream *ex = exchangeOn(e.id)) {
                    if (!ex->serverConnected() && m_servers.tls(e.id)) {
                        onServerTlsFailed(e.id, now, out);
                        return;
                    }
                    ex->serverEnded(false, "the server closed the connection", now, out);
                } else if (m_intercept && e.id == m_intercept->idleServer) {
                    m_intercept->idleServer = 0;
                    dropServer(e.id, out);
                }
            } else if constexpr (std::is_same_v<T, ServerResponse>) {
                if (e.part)
                    onServerPart(e.id, *e.part, now, out);
            } else if constexpr (std::is_same_v<T, ServerGone>) {
                if (m_tunnel && e.id == m_tunnel->server)
                    closeTunnel("server connection failed: " + e.reason, now, out, true);
                else if (HttpStream *ex = exchangeOn(e.id))
                    ex->serverEnded(true, e.reason, now, out);
                else if (m_intercept && e.id == m_intercept->idleServer) {
                    m_intercept->idleServer = 0;
                    dropServer(e.id, out);
                }
            } else if constexpr (std::is_same_v<T, Tick>) {
                onTick(now, out);
            } else if constexpr (std::is_same_v<T, RelayProgress>) {
                if (m_tunnel && m_tunnel->relayed) {
                    flow::Flow &f = m_tunnel->flow;
                    const std::uint64_t before = f.bytesClientToServer + f.bytesServerToClient;
                    f.bytesClientToServer = m_tunnel->relayBaseUp + e.clientToServer;
                    f.bytesServerToClient = m_tunnel->relayBaseDown + e.serverToClient;
                    if (f.bytesClientToServer + f.bytesServerToClient != before)
                        m_tunnel->lastActivity = now;
                }
            }
        },
        event);
}

void HttpProxySession::onServerBytes(ServerId id, std::string_view data, MonoTime now,
                                     std::vector<Command> &out)
{
    if (m_tunnel && id == m_tunnel->server) {
        if (m_mode == Mode::Sniff) {
            // The server spoke first (a banner): not TLS from the client; relay what we have.
            relayRaw(now, out);
        }
        if (m_mode != Mode::Tunnel)
            return;
        tunnelToClient(std::string(data), now, out);
    } else if (HttpStream *ex = exchangeOn(id); ex && ex->serverConnected()) {
        ex->serverData(data, now, out);
    } else if (m_intercept && id == m_intercept->idleServer) {
        // Unasked bytes on an idle connection: it cannot be trusted for the next request.
        m_intercept->idleServer = 0;
        dropServer(id, out);
    }
}

void HttpProxySession::onServerPart(ServerId id, const http::ResponsePart &part, MonoTime now,
                                    std::vector<Command> &out)
{
    if (m_tunnel && id == m_tunnel->server) {
        // An accepted WebSocket on an h2 stream: its bytes, and END_STREAM as the half-close.
        if (const auto *body = std::get_if<http::Body>(&part)) {
            if (m_mode != Mode::Tunnel)
                return;
            tunnelToClient(body->data, now, out);
        } else if (std::holds_alternative<http::End>(part)) {
            dispatchEvent(ServerEof{id}, now, out);
        }
        return;
    }
    if (HttpStream *ex = exchangeOn(id); ex && ex->serverConnected())
        ex->serverPart(part, now, out);
}

// ---------------------------------------------------------------------------- TLS byte paths

std::string HttpProxySession::clientDecrypt(std::string_view data, MonoTime now,
                                            std::vector<Command> &out)
{
    std::string bytes(data);
    for (std::size_t i = 0; i < m_clientTls.size(); ++i) {
        tls::TlsSession &session = *m_clientTls[i];
        const bool wasDone = session.handshakeDone();
        std::string plain;
        session.receive(bytes, plain, now);
        flushClientTls(i, out);
        if (session.failed()) {
            onClientTlsFailed(i, now, out);
            return {};
        }
        if (!wasDone && session.handshakeDone())
            onClientHandshakeDone(i, now, out);
        if (m_mode == Mode::Closed)
            return {};
        bytes = std::move(plain);
        if (bytes.empty())
            break;
    }
    return bytes;
}

void HttpProxySession::flushClientTls(std::size_t layer, std::vector<Command> &out)
{
    if (layer >= m_clientTls.size() || !m_clientTls[layer]->hasCiphertext())
        return;
    std::string bytes = m_clientTls[layer]->takeCiphertext();
    for (std::size_t j = layer; j-- > 0;) {
        m_clientTls[j]->send(bytes);
        bytes = m_clientTls[j]->takeCiphertext();
    }
    if (m_intercept)
        m_intercept->tunnelFlow.bytesServerToClient += bytes.size();
    m_connection.bytesOut += bytes.size();
    if (!bytes.empty())
        out.push_back(SendToClient{std::move(bytes)});
}

void HttpProxySession::sendClient(std::string plaintext, std::vector<Command> &out)
{
    if (plaintext.empty())
        return;
    if (m_clientTls.empty()) {
        m_connection.bytesOut += plaintext.size();
        out.push_back(SendToClient{std::move(plaintext)});
        return;
    }
    m_clientTls.back()->send(plaintext);
    flushClientTls(m_clientTls.size() - 1, out);
}

void HttpProxySession::sendServer(ServerId id, std::string plaintext, std::vector<Command> &out)
{
    m_servers.send(id, std::move(plaintext), m_now, out);
}

std::string HttpProxySession::startServerTls(ServerId id, const Target &target, MonoTime now,
                                             std::vector<Command> &out)
{
    if (m_intercept)
        return m_servers.startTls(id, m_intercept->sni, m_intercept->verifyName,
                                  m_intercept->alpnOffer, m_intercept->verify, now, out);
    return m_servers.startTls(id, isIpLiteral(target.host) ? "" : target.host, target.host,
                              {"h2", "http/1.1"}, true, now, out);
}

bool HttpProxySession::verifyServer(const Target &target) const
{
    const InterceptConfig &ic = *m_context.intercept;
    return m_intercept ? m_intercept->verify
                       : ic.verifyServers && !(ic.insecure && ic.insecure->matches(target.host));
}

void HttpProxySession::serverSecured(ServerId id, const Target &target, MonoTime now,
                                     std::vector<Command> &out)
{
    m_servers.startH2(id, target.authority(), now, out);
}

void HttpProxySession::serverPlaintext(ServerId id, std::string_view data, MonoTime now,
                                       std::vector<Command> &out)
{
    H2OriginLink *link = m_servers.link(id);
    if (!link) {
        onServerBytes(id, data, now, out);
        return;
    }
    std::string wire;
    if (!data.empty())
        link->fromServer(data, now, wire);
    m_servers.sendWire(id, std::move(wire), out);
    const bool failed = link->channelFailed(0);
    const std::string error = failed ? link->channelError(0) : std::string();
    for (const http::ResponsePart &part : link->take(0)) {
        if (m_mode == Mode::Closed || !m_servers.link(id))
            return;
        onServerPart(id, part, now, out);
    }
    if (failed && m_servers.link(id) && m_mode != Mode::Closed)
        dispatchEvent(ServerGone{id, "HTTP/2: " + error}, now, out);
}

void HttpProxySession::dropServer(ServerId id, std::vector<Command> &out)
{
    m_servers.drop(id, out);
}

// ---------------------------------------------------------------------------- client side

void HttpProxySession::onClientData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Front) {
        m_front->clientData(data, now, out);
        afterFront(now, out);
        return;
    }
    if (m_mode == Mode::Sniff || m_mode == Mode::Intercepting) {
        m_tunnel->lastActivity = now;
        m_tunnel->sniffed.append(data);
        if (m_mode == Mode::Sniff)
            onSniffData(now, out);
        return;
    }
    if (m_tunnel) {
        m_tunnel->lastActivity = now;
        m_tunnel->flow.bytesClientToServer += data.size();
        if (m_tunnel->ws)
            m_tunnel->ws->clientBytes(data, now);
        // Through the server's TLS and HTTP/2 when it has them (an upgraded exchange).
        sendServer(m_tunnel->server, std::string(data), out);
        return;
    }
    m_h1.clientData(data, now, out);
}

void HttpProxySession::onClientEof(MonoTime now, std::vector<Command> &out)
{
    m_clientEof = true;
    if (m_mode == Mode::Front) {
        m_front->clientEof(now, out);
        afterFront(now, out);
        return;
    }
    if (m_mode == Mode::Intercepting || (m_mode == Mode::Sniff && !m_tunnel->sniffed.empty())) {
        if (m_intercept && m_intercept->clientHandshakeStarted) {
            // Closing in the middle of our handshake is how many clients refuse a certificate.
            editTls(m_tunnel->flow.clientTls, [](flow::TlsSide &t) {
                t.failure = "the client closed the connection during the handshake";
            });
            onClientTlsFailed(m_clientTls.size() - 1, now, out);
            return;
        }
        closeTunnel("the client closed the connection before the tunnel was set up", now, out);
        return;
    }
    if (m_tunnel) {
        if (!m_clientTls.empty()) {
            closeTunnel("closed by the client", now, out);
            return;
        }
        m_tunnel->clientEof = true;
        m_tunnel->lastActivity = now;
        H2OriginLink *link = m_servers.link(m_tunnel->server);
        if (link) { // an extended CONNECT: END_STREAM, the connection stays
            std::string wire;
            link->send(0, http::End{}, now, wire);
            m_servers.sendWire(m_tunnel->server, std::move(wire), out);
        }
        if (m_tunnel->serverEof)
            closeTunnel("closed by both sides", now, out);
        else if (!link)
            out.push_back(ShutdownServer{m_tunnel->server});
        return;
    }
    m_h1.clientEof(now, out);
}

// ---------------------------------------------------------------------------- server side

void HttpProxySession::onServerTlsDone(ServerId id, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Intercepting && m_tunnel && id == m_tunnel->server) {
        onInterceptServerReady(now, out);
        return;
    }
    if (HttpStream *ex = exchangeOn(id))
        ex->serverTlsDone(*m_servers.tls(id), now, out);
}

void HttpProxySession::onServerTlsFailed(ServerId id, MonoTime now, std::vector<Command> &out)
{
    std::string why = "the server closed the connection during the TLS handshake";
    if (const tls::TlsSession *tls = m_servers.tls(id); tls && tls->failed())
        why = tls->error();
    if (m_mode == Mode::Intercepting && m_tunnel && id == m_tunnel->server) {
        if (const tls::TlsSession *tls = m_servers.tls(id))
            record(m_intercept->serverSide, *tls);
        m_intercept->serverSide.failure = why;
        m_intercept->error = "TLS with " + m_intercept->target.authority() + " failed: " + why;
        dropServer(id, out);
        m_tunnel->server = 0;
        onInterceptServerReady(now, out); // finish with the client, then answer 502
        return;
    }
    if (HttpStream *ex = exchangeOn(id))
        ex->serverTlsFailed(m_servers.tls(id), why, now, out);
}

void HttpProxySession::onTick(MonoTime now, std::vector<Command> &out)
{
    const Timeouts &t = m_context.timeouts;
    if (m_tunnel) {
        if (now >= m_tunnel->lastActivity + t.tunnelIdle) {
            closeTunnel("idle for " + secondsText(t.tunnelIdle), now, out);
            return;
        }
        const std::uint64_t bytes
            = m_tunnel->flow.bytesClientToServer + m_tunnel->flow.bytesServerToClient;
        if (now >= m_tunnel->lastPublish + m_context.tunnelPublishInterval) {
            m_tunnel->lastPublish = now;
            if (bytes != m_tunnel->publishedBytes) {
                m_tunnel->publishedBytes = bytes;
                publishTunnel(out);
            }
        }
        return;
    }
    m_h1.tick(now, m_lastClientActivity, out);
}

MonoTime HttpProxySession::deadline() const
{
    if (m_mode == Mode::Closed)
        return kNoDeadline;
    if (m_mode == Mode::Front)
        return m_front->deadline();
    const Timeouts &t = m_context.timeouts;
    if (m_tunnel) {
        MonoTime d = m_tunnel->lastActivity + t.tunnelIdle;
        const std::uint64_t bytes
            = m_tunnel->flow.bytesClientToServer + m_tunnel->flow.bytesServerToClient;
        // A relayed tunnel learns its byte counts only with the next event: tick regularly.
        if (bytes != m_tunnel->publishedBytes || m_tunnel->relayed)
            d = std::min(d, m_tunnel->lastPublish + m_context.tunnelPublishInterval);
        return d;
    }
    return m_h1.deadline(m_lastClientActivity);
}

// ---------------------------------------------------------------------------- tunnels

void HttpProxySession::startTunnel(std::string toClient, MonoTime now, std::vector<Command> &out)
{
    HttpStream &ex = m_h1.tunnelStream();
    m_tunnel = std::make_unique<Tunnel>();
    m_tunnel->server = ex.server();
    m_tunnel->flow = std::move(ex.flow());
    m_tunnel->lastActivity = now;
    m_tunnel->lastPublish = now;
    const bool sniff = ex.isConnect() && m_context.intercept;
    m_mode = sniff ? Mode::Sniff : Mode::Tunnel;
    if (!ex.isConnect())
        m_tunnel->ws = WebSocketRecorder::forHandshake(m_tunnel->flow);
    publish(m_tunnel->flow, out);

    // Whatever the client sent after its CONNECT (or upgrade request) belongs to the tunnel.
    std::string early = m_h1.takeInput();
    if (sniff) {
        m_tunnel->sniffed = std::move(early);
        if (!m_tunnel->sniffed.empty())
            onSniffData(now, out);
    } else if (!early.empty()) {
        onClientData(early, now, out);
    }
    if (!m_tunnel)
        return;
    m_h1.unpause(out);
    if (m_clientEof) {
        m_tunnel->clientEof = true;
        out.push_back(ShutdownServer{m_tunnel->server});
    }
    if (!toClient.empty()) // the server's first bytes after its 101
        tunnelToClient(std::move(toClient), now, out);
}

void HttpProxySession::tunnelToClient(std::string data, MonoTime now, std::vector<Command> &out)
{
    m_tunnel->lastActivity = now;
    m_tunnel->flow.bytesServerToClient += data.size();
    if (m_tunnel->ws)
        m_tunnel->ws->serverBytes(data, now);
    sendClient(std::move(data), out);
}

void HttpProxySession::publishTunnel(std::vector<Command> &out)
{
    if (m_tunnel->ws)
        m_tunnel->ws->update(m_tunnel->flow);
    publish(m_tunnel->flow, out);
}

void HttpProxySession::closeTunnel(std::string reason, MonoTime now, std::vector<Command> &out,
                                   bool failed)
{
    flow::Flow &f = m_tunnel->flow;
    f.closeReason = reason;
    f.closedWall = wallNow();
    f.timings.complete = since(f, now);
    if (f.state == flow::FlowState::Open)
        f.state = failed ? flow::FlowState::Failed : flow::FlowState::Complete;
    if (failed && f.error.empty())
        f.error = reason;
    publishTunnel(out);
    if (m_tunnel->server)
        dropServer(m_tunnel->server, out);
    m_tunnel.reset();
    // A carried tunnel (an h2 stream) reports a failed TCP connection as such: the carrier
    // resets the stream with CONNECT_ERROR instead of ending it (RFC 9113 §8.5).
    closeClient(failed && m_context.carried, reason, now, out);
}

void HttpProxySession::closeClient(bool abort, std::string reason, MonoTime now,
                                   std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    if (m_tunnel) {
        if (m_tunnel->server)
            dropServer(m_tunnel->server, out);
        m_tunnel.reset();
    }
    if (m_intercept && m_intercept->tunnelFlow.id) { // the decrypted tunnel was set up
        if (m_intercept->idleServer)
            dropServer(m_intercept->idleServer, out);
        m_intercept->idleServer = 0;
        flow::Flow &f = m_intercept->tunnelFlow;
        f.closeReason = reason;
        f.closedWall = wallNow();
        f.timings.complete = since(f, now);
        if (f.state == flow::FlowState::Open)
            f.state = abort ? flow::FlowState::Failed : flow::FlowState::Complete;
        publish(f, out);
    }
    m_mode = Mode::Closed;
    out.push_back(CloseClient{abort});
    m_connection.closedWall = wallNow();
    m_connection.closeReason = reason;
    publishConnection(out);
}

// ---------------------------------------------------------------------------- StreamHost

// The server half of every HttpStream on this connection: connections by id, our TLS with
// them, our HTTP/2 links, their records.

ServerId HttpProxySession::openServer(const Target &target, bool reusable, bool plainHttp, bool tls,
                                      std::vector<Command> &out)
{
    const bool tunnel = m_h1.stream() && m_h1.stream()->isConnect();
    return m_servers.open(target, reusable, plainHttp, tls, tunnel, out);
}

void HttpProxySession::sendServerPart(ServerId id, http::RequestPart part,
                                      std::vector<Command> &out)
{
    // An answer the link made itself (a WebSocket the origin cannot take) is taken after
    // this event (handle()), outside the send path that produced it.
    if (m_servers.sendPart(id, std::move(part), m_now, out))
        m_linkAnswer = id;
}

void HttpProxySession::releaseServer(ServerId id, bool reusable, bool ownTls,
                                     std::vector<Command> &out)
{
    if (reusable && m_intercept)
        m_intercept->idleServer = id; // TLS state lives here, not in the pool
    else if (reusable && !ownTls)
        out.push_back(ReleaseServer{id});
    else
        dropServer(id, out);
}

H2OriginLink *HttpProxySession::ownLink(ServerId id)
{
    return m_servers.link(id);
}

flow::ConnectionId HttpProxySession::linkConnection(ServerId id) const
{
    return m_servers.linkConnection(id);
}

const StreamHost::Intercepted *HttpProxySession::intercepted() const
{
    if (!m_intercept)
        return nullptr;
    const Intercept &in = *m_intercept;
    m_interceptedView = {in.target,       in.tunnelFlow.id, in.tunnelFlow.upstream,
                         in.clientShared, in.serverShared,  in.error};
    return &m_interceptedView;
}

std::shared_ptr<const flow::TlsSide> HttpProxySession::clientTls() const
{
    return m_listenerTlsShared;
}

ServerId HttpProxySession::takeIdleServer(std::vector<Command> &out)
{
    if (!m_intercept)
        return 0;
    if (const H2OriginLink *link = m_servers.link(m_intercept->idleServer);
        link && !link->usable()) {
        dropServer(m_intercept->idleServer, out); // the origin sent GOAWAY
        m_intercept->idleServer = 0;
    }
    return std::exchange(m_intercept->idleServer, 0);
}

// ---------------------------------------------------------------------------- interception

void HttpProxySession::onSniffData(MonoTime now, std::vector<Command> &out)
{
    Tunnel &t = *m_tunnel;
    const tls::Sniff sniff = tls::sniffTls(t.sniffed);
    if (sniff == tls::Sniff::NeedMore)
        return;
    if (sniff == tls::Sniff::NotTls) {
        relayRaw(now, out);
        return;
    }
    const tls::ClientHelloResult parsed = tls::parseClientHello(t.sniffed);
    if (parsed.status == tls::ClientHelloResult::Status::NeedMore)
        return;
    flow::Flow &f = t.flow;
    if (parsed.status == tls::ClientHelloResult::Status::Invalid) {
        editTls(f.clientTls, [&](flow::TlsSide &side) {
            side.used = true;
            side.failure = parsed.error + " (relayed without interception)";
        });
        relayRaw(now, out);
        return;
    }
    const tls::ClientHello &hello = parsed.hello;
    editTls(f.clientTls, [&](flow::TlsSide &side) {
        side.used = true;
        side.sni = hello.serverName;
        side.alpnOffered = hello.alpn;
    });

    InterceptPlan plan = planInterception(hello, *m_context.intercept, f.host, f.port);
    if (!plan.intercept) {
        if (!plan.passReason.empty())
            f.closeReason = std::move(plan.passReason);
        relayRaw(now, out);
        return;
    }
    m_intercept = std::make_unique<Intercept>();
    Intercept &in = *m_intercept;
    in.target = std::move(plan.target);
    in.sni = std::move(plan.sni);
    in.verifyName = std::move(plan.verifyName);
    in.verify = plan.verify;
    in.alpnOffer = std::move(plan.alpnOffer);
    m_mode = Mode::Intercepting;
    (void)m_servers.startTls(t.server, in.sni, in.verifyName, in.alpnOffer, in.verify, now, out);
}

void HttpProxySession::relayRaw(MonoTime now, std::vector<Command> &out)
{
    Tunnel &t = *m_tunnel;
    m_mode = Mode::Tunnel;
    t.lastActivity = now;
    publish(t.flow, out); // what the sniffing learned (SNI, why not intercepted)
    if (!t.sniffed.empty()) {
        t.flow.bytesClientToServer += t.sniffed.size();
        out.push_back(SendToServer{t.server, std::move(t.sniffed)});
        t.sniffed.clear();
    }
    if (m_clientEof) {
        t.clientEof = true;
        out.push_back(ShutdownServer{t.server});
    } else if (m_clientTls.empty() && !m_context.carried) {
        // Plain bytes both ways from here: the engine moves them without copying.
        t.relayed = true;
        t.relayBaseUp = t.flow.bytesClientToServer;
        t.relayBaseDown = t.flow.bytesServerToClient;
        out.push_back(RelayTunnel{t.server});
    }
}

void HttpProxySession::onInterceptServerReady(MonoTime now, std::vector<Command> &out)
{
    Intercept &in = *m_intercept;
    Tunnel &t = *m_tunnel;
    const InterceptConfig &ic = *m_context.intercept;
    const tls::TlsDetails *origin = nullptr;
    if (t.server) {
        const tls::TlsSession &server = *m_servers.tls(t.server);
        record(in.serverSide, server);
        if (in.verify && !server.details().verified) {
            in.error = "the certificate of " + in.target.authority()
                       + " is not trusted: " + server.details().verifyError;
            dropServer(t.server, out);
            t.server = 0;
        } else {
            origin = &server.details();
        }
    }
    const std::vector<std::string> names = leafNames(in.target.host, origin);
    if (t.server)
        m_servers.startH2(t.server, in.target.authority(), now, out);
    auto leaf = ic.ca->leafFor(names);
    if (!leaf) {
        t.flow.error
            = "cannot make a certificate for " + in.target.host + ": " + leaf.error().message;
        closeTunnel(t.flow.error, now, out, true);
        return;
    }
    // The client gets h2 when it offered it (translated to the server's HTTP/1.1), else
    // what the server chose.
    const auto &offered
        = t.flow.clientTls ? t.flow.clientTls->alpnOffered : std::vector<std::string>{};
    const std::vector<std::string> accept = clientAlpn(offered, in.error.empty());
    auto session = tls::TlsSession::server(ic.toClients, {*leaf, accept}, now);
    if (!session) {
        t.flow.error = session.error().message;
        closeTunnel(t.flow.error, now, out, true);
        return;
    }
    m_clientTls.push_back(std::move(*session));
    in.clientHandshakeStarted = true;
    // Replay the ClientHello (and anything after it) into our side of the handshake.
    const std::string hello = std::move(t.sniffed);
    t.sniffed.clear();
    const std::size_t layer = m_clientTls.size() - 1;
    std::string plain;
    m_clientTls[layer]->receive(hello, plain, now);
    flushClientTls(layer, out);
    if (m_clientTls[layer]->failed())
        onClientTlsFailed(layer, now, out);
    else if (m_clientTls[layer]->handshakeDone())
        onClientHandshakeDone(layer, now, out);
}

void HttpProxySession::onClientHandshakeDone(std::size_t layer, MonoTime now,
                                             std::vector<Command> &out)
{
    const tls::TlsSession &session = *m_clientTls[layer];
    if (m_context.tlsListener && layer == 0) {
        record(m_listenerTls, session);
        m_listenerTlsShared = shared(m_listenerTls);
        m_connection.tls = m_listenerTlsShared;
        if (session.details().alpn == "h2")
            startH2(now, out);
        return;
    }
    if (!m_intercept || m_mode != Mode::Intercepting)
        return;
    Intercept &in = *m_intercept;
    Tunnel &t = *m_tunnel;
    record(in.clientSide, session);
    flow::Flow &f = t.flow;
    f.intercepted = true;
    in.clientShared = shared(in.clientSide);
    in.serverShared = shared(in.serverSide);
    f.clientTls = in.clientShared;
    f.serverTls = in.serverShared;
    in.idleServer = t.server;
    in.tunnelFlow = std::move(t.flow);
    m_tunnel.reset();
    m_mode = Mode::Http;
    publish(in.tunnelFlow, out);
    if (session.details().alpn == "h2") {
        // The client speaks HTTP/2 inside; each stream reaches the origin on its own.
        if (in.idleServer)
            dropServer(in.idleServer, out);
        in.idleServer = 0;
        startH2(now, out);
    }
}

void HttpProxySession::onClientTlsFailed(std::size_t layer, MonoTime now, std::vector<Command> &out)
{
    const tls::TlsSession &session = *m_clientTls[layer];
    // An alert about our certificate, or a client hanging up mid-handshake, is how clients
    // refuse a certificate they do not trust.
    const bool hungUp
        = !session.failed() || session.error().find("ended the handshake") != std::string::npos;
    const bool rejected = session.peerRejectedCertificate() || hungUp;
    if (m_intercept && m_tunnel && layer + 1 == m_clientTls.size()) {
        flow::Flow &f = m_tunnel->flow;
        editTls(f.clientTls, [&](flow::TlsSide &t) {
            record(t, session);
            if (!session.failed() && t.failure.empty())
                t.failure = "the client closed the connection during the handshake";
        });
        f.serverTls = shared(m_intercept->serverSide);
        if (rejected) {
            const InterceptConfig &ic = *m_context.intercept;
            f.error = "the client rejected the certificate (" + f.clientTls->failure + ")";
            if (ic.passthroughRejecting && ic.passthrough) {
                ic.passthrough->addHost(m_intercept->target.host);
                f.error += "; " + m_intercept->target.host + " is passed through from now on";
            }
        } else {
            f.error = f.clientTls->failure;
        }
        closeTunnel(f.error, now, out, true);
        return;
    }
    // The HTTPS listener's own handshake (or a later TLS error on it).
    if (HttpStream *ex = m_h1.stream())
        ex->abort("TLS with the client failed: " + session.error(), now, out);
    closeClient(true, "TLS with the client failed: " + session.error(), now, out);
}

void HttpProxySession::publish(const flow::Flow &flow, std::vector<Command> &out) const
{
    out.push_back(PublishFlow{std::make_shared<flow::Flow>(flow)});
}

void HttpProxySession::publishConnection(std::vector<Command> &out) const
{
    if (m_context.carried)
        return; // the carrier's connection is the one recorded
    out.push_back(PublishConnection{m_connection});
}

} // namespace ts::proxy

namespace ts::proxy {

// ---------------------------------------------------------------------------- HTTP/2

void HttpProxySession::startH2(MonoTime now, std::vector<Command> &out)
{
    H2ProxyFront::Origin origin;
    flow::Connection record;
    if (m_intercept) {
        // h2 inside a decrypted tunnel: a connection of its own, carried by the tunnel.
        origin.intercepted = true;
        origin.target = m_intercept->target;
        origin.tunnelFlow = m_intercept->tunnelFlow.id;
        origin.clientTls = m_intercept->clientShared;
        record.id = m_context.newConnectionId();
        record.parent = m_context.connectionId;
        record.clientAddress = m_context.clientAddress;
        record.listenAddress = "tunnel to " + m_intercept->target.authority();
        record.openedWall = wallNow();
        record.tls = m_intercept->clientShared;
    } else {
        origin.clientTls = m_listenerTlsShared;
        record = m_connection;
    }
    record.feed = std::make_shared<flow::LogFeed>(m_context.frameLogCapacity);
    if (!m_intercept) {
        m_connection.protocol = "HTTP/2";
        m_connection.feed = record.feed;
        publishConnection(out);
    }
    const bool own = m_intercept != nullptr;
    startFront(std::make_unique<H2ProxyFront>(m_context, origin, std::move(record), own, now), now,
               out);
}

void HttpProxySession::startFront(std::unique_ptr<CarrierFront> front, MonoTime now,
                                  std::vector<Command> &out)
{
    m_front = std::move(front);
    m_mode = Mode::Front;
    // What the client sent with (or after) the first bytes belongs to the front.
    std::string early = m_h1.takeInput();
    m_h1.unpause(out);
    m_front->start(now, out);
    if (!early.empty() && !m_front->finished())
        m_front->clientData(early, now, out);
    afterFront(now, out);
}

void HttpProxySession::afterFront(MonoTime now, std::vector<Command> &out)
{
    if (!m_front)
        return;
    sendClient(m_front->takeClientBytes(), out);
    if (m_front->finished() && m_mode == Mode::Front)
        closeClient(false, m_front->finishReason(), now, out);
}

void HttpProxySession::startCarriedTunnel(MonoTime now, std::vector<Command> &out)
{
    m_h1.newStream(now).carriedTunnel(*m_context.tunnelTarget, now, out);
    m_mode = Mode::Http;
}

} // namespace ts::proxy

namespace ts::proxy {

// ---------------------------------------------------------------------------- server-side records

void HttpProxySession::noteServerEvent(const Event &event)
{
    if (const auto *relay = std::get_if<RelayProgress>(&event)) {
        if (!m_tunnel || !m_tunnel->relayed)
            return;
        const flow::Flow &f = m_tunnel->flow;
        const std::uint64_t up = m_tunnel->relayBaseUp + relay->clientToServer;
        const std::uint64_t down = m_tunnel->relayBaseDown + relay->serverToClient;
        m_servers.relayed(m_tunnel->server, up - std::min(up, f.bytesClientToServer),
                          down - std::min(down, f.bytesServerToClient));
        return;
    }
    m_servers.note(event);
}

void HttpProxySession::linkServer(flow::Flow &flow, ServerId id)
{
    m_servers.link(flow, id);
}

} // namespace ts::proxy
