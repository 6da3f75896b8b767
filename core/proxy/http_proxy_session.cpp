#include "core/proxy/http_proxy_session.h"

#include "core/http/message.h"
#include "core/proxy/h2_origin_link.h"
#include "core/proxy/h2_proxy_front.h"
#include "core/proxy/info_page.h"
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

HttpProxySession::HttpProxySession(SessionContext context, MonoTime now)
    : m_context(std::move(context)), m_parser(m_context.http1), m_lastClientActivity(now)
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
    // An exchange's intermediate milestones (request seen, connected, response head) are
    // published once per event, not once each: a fast exchange costs one copy, not three.
    if (m_exchange && m_exchange->takeDirty())
        publish(m_exchange->flow(), out);
    m_leftStreams.clear();
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
                else if (m_exchange)
                    m_exchange->abort("client connection failed: " + e.reason, now, out);
                closeClient(true, e.reason, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnected>) {
                if (m_exchange && e.id == m_exchange->server())
                    m_exchange->serverConnected(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                if (m_exchange && e.id == m_exchange->server())
                    m_exchange->serverConnectFailed(e, now, out);
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
                } else if (m_exchange && e.id == m_exchange->server()) {
                    if (!m_exchange->serverConnected() && m_servers.tls(e.id)) {
                        onServerTlsFailed(e.id, now, out);
                        return;
                    }
                    m_exchange->serverEnded(false, "the server closed the connection", now, out);
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
                else if (m_exchange && e.id == m_exchange->server())
                    m_exchange->serverEnded(true, e.reason, now, out);
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
        m_tunnel->lastActivity = now;
        m_tunnel->flow.bytesServerToClient += data.size();
        sendClient(std::string(data), out);
    } else if (m_exchange && id == m_exchange->server() && m_exchange->serverConnected()) {
        m_exchange->serverData(data, now, out);
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
            m_tunnel->lastActivity = now;
            m_tunnel->flow.bytesServerToClient += body->data.size();
            sendClient(body->data, out);
        } else if (std::holds_alternative<http::End>(part)) {
            dispatchEvent(ServerEof{id}, now, out);
        }
        return;
    }
    if (m_exchange && id == m_exchange->server() && m_exchange->serverConnected())
        m_exchange->serverPart(part, now, out);
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
        // Through the server's TLS and HTTP/2 when it has them (an upgraded exchange).
        sendServer(m_tunnel->server, std::string(data), out);
        return;
    }
    if (m_clientEof)
        return;
    m_input.append(data);
    pumpClient(now, out);
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
    if (m_exchange) {
        if (!m_exchange->requestComplete()) {
            // Let the parser see the end: a close-delimited nothing, or a truncated request.
            std::vector<RequestEvent> events;
            m_parser.feedEof(events);
            m_exchange->abort("the client closed the connection before the request was complete",
                              now, out);
            closeClient(false, "client closed", now, out);
        }
        // Otherwise the response is still due: send it, then close (streamCompleted).
        return;
    }
    closeClient(false, "client closed", now, out);
}

void HttpProxySession::pumpClient(MonoTime now, std::vector<Command> &out)
{
    std::vector<RequestEvent> events;
    while (m_mode == Mode::Http && !m_tunnel) {
        // One exchange at a time: a pipelined request waits until the previous response is out.
        if (m_exchange && m_exchange->requestComplete())
            break;
        if (m_inputPos == m_input.size())
            break;
        if (!m_exchange && m_connection.flows == 0 && m_inputPos == 0 && !m_context.carried) {
            // HTTP/2 with prior knowledge (RFC 9113 §3.3) starts with the connection preface.
            // Its first line says the client speaks h2; the rest is HTTP/2's to judge, so a
            // preface that goes wrong after it gets GOAWAY PROTOCOL_ERROR (§3.4), not a 400.
            static constexpr std::string_view firstLine = "PRI * HTTP/2.0\r\n";
            const std::size_t n = std::min(m_input.size(), firstLine.size());
            if (std::string_view(m_input).substr(0, n) == firstLine.substr(0, n)) {
                if (n < firstLine.size())
                    break; // wait for the rest of the line
                startH2(now, out);
                return;
            }
        }
        if (!m_exchange && m_headStartedAt < 0)
            m_headStartedAt = now;
        events.clear();
        const std::size_t used
            = m_parser.feed(std::string_view(m_input).substr(m_inputPos), events);
        m_inputPos += used;
        for (RequestEvent &e : events) {
            onRequestEvent(e, now, out);
            if (m_mode != Mode::Http || m_tunnel)
                break;
        }
        if (used == 0 && events.empty())
            break;
    }
    if (m_inputPos > 0 && (m_inputPos == m_input.size() || m_inputPos > 64 * 1024)) {
        m_input.erase(0, m_inputPos);
        m_inputPos = 0;
    }
    // An idle keep-alive connection should not keep the room its last burst of input needed.
    if (m_input.empty() && m_input.capacity() > 4096)
        std::string().swap(m_input);
    updateClientPause(out);
}

void HttpProxySession::updateClientPause(std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    std::size_t held = m_input.size() - m_inputPos;
    if (m_exchange)
        held += m_exchange->heldBytes();
    const bool pause = held >= m_context.proxy.maxBufferedClientInput;
    if (pause != m_clientPaused) {
        m_clientPaused = pause;
        if (pause)
            out.push_back(PauseClient{});
        else
            out.push_back(ResumeClient{});
    }
}

void HttpProxySession::onRequestEvent(RequestEvent &event, MonoTime now, std::vector<Command> &out)
{
    if (auto *head = std::get_if<RequestHeadEvent>(&event)) {
        m_headStartedAt = -1;
        newStream(now).requestHead(*head, nullptr, now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        // Record what was wrong on a flow of its own, answer, and close: after a framing error
        // nothing on this connection can be trusted.
        if (m_exchange && m_exchange->flow().status == 0 && !m_exchange->headSent())
            m_exchange->requestFailed(error->status, error->reason, now, out);
        else if (m_exchange)
            m_exchange->abort("invalid request body: " + error->reason, now, out);
        else
            newStream(now).requestFailed(error->status, error->reason, now, out);
        closeClient(false, "invalid request", now, out);
        return;
    }
    if (!m_exchange)
        return;
    if (auto *body = std::get_if<BodyData>(&event))
        m_exchange->requestBody(body->data, out);
    else if (auto *trailers = std::get_if<TrailersEvent>(&event))
        m_exchange->requestTrailers(trailers->trailers);
    else if (auto *end = std::get_if<MessageEnd>(&event))
        m_exchange->requestEnd(end->wireSize, now, out);
}

HttpStream &HttpProxySession::newStream(MonoTime now)
{
    m_exchange = std::make_unique<HttpStream>(static_cast<StreamHost &>(*this), m_context, now);
    m_responseChunked = false;
    m_closeAfter = false;
    ++m_connection.flows;
    return *m_exchange;
}

// ---------------------------------------------------------------------------- server side

void HttpProxySession::onServerTlsDone(ServerId id, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Intercepting && m_tunnel && id == m_tunnel->server) {
        onInterceptServerReady(now, out);
        return;
    }
    if (m_exchange && id == m_exchange->server())
        m_exchange->serverTlsDone(*m_servers.tls(id), now, out);
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
    if (!m_exchange || id != m_exchange->server())
        return;
    m_exchange->serverTlsFailed(m_servers.tls(id), why, now, out);
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
                publish(m_tunnel->flow, out);
            }
        }
        return;
    }
    if (m_exchange) {
        m_exchange->tick(now, out);
        return;
    }
    if (m_headStartedAt >= 0 && now >= m_headStartedAt + t.requestHead) {
        m_headStartedAt = -1;
        newStream(now).requestFailed(
            408, "the request head was not complete within " + secondsText(t.requestHead), now,
            out);
        closeClient(false, "request head timeout", now, out);
        return;
    }
    if (m_headStartedAt < 0 && m_inputPos == m_input.size()
        && now >= m_lastClientActivity + t.clientIdle)
        closeClient(false, "idle keep-alive connection", now, out);
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
    if (m_exchange)
        return m_exchange->deadline();
    if (m_headStartedAt >= 0)
        return m_headStartedAt + t.requestHead;
    return m_lastClientActivity + t.clientIdle;
}

// ---------------------------------------------------------------------------- tunnels

void HttpProxySession::startTunnel(std::string toClient, MonoTime now, std::vector<Command> &out)
{
    HttpStream &ex = *m_exchange;
    m_tunnel = std::make_unique<Tunnel>();
    m_tunnel->server = ex.server();
    m_tunnel->flow = std::move(ex.flow());
    m_tunnel->lastActivity = now;
    m_tunnel->lastPublish = now;
    const bool sniff = ex.isConnect() && m_context.intercept;
    streamLeft();
    m_mode = sniff ? Mode::Sniff : Mode::Tunnel;
    publish(m_tunnel->flow, out);

    // Whatever the client sent after its CONNECT (or upgrade request) belongs to the tunnel.
    std::string early;
    early.append(m_input, m_inputPos, std::string::npos);
    m_input.clear();
    m_inputPos = 0;
    if (sniff) {
        m_tunnel->sniffed = std::move(early);
        if (!m_tunnel->sniffed.empty())
            onSniffData(now, out);
    } else if (!early.empty()) {
        m_tunnel->flow.bytesClientToServer += early.size();
        sendServer(m_tunnel->server, std::move(early), out);
    }
    if (!m_tunnel)
        return;
    if (m_clientPaused) {
        m_clientPaused = false;
        out.push_back(ResumeClient{});
    }
    if (m_clientEof) {
        m_tunnel->clientEof = true;
        out.push_back(ShutdownServer{m_tunnel->server});
    }
    if (!toClient.empty()) { // the server's first bytes after its 101
        m_tunnel->flow.bytesServerToClient += toClient.size();
        sendClient(std::move(toClient), out);
    }
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
    publish(f, out);
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

// The client half: this session is the HTTP/1.1 server translator.

void HttpProxySession::clientInterim(HttpStream &, const ResponseHead &head,
                                     std::vector<Command> &out)
{
    sendClient(serialize(head), out);
}

void HttpProxySession::clientHead(HttpStream &stream, ResponseHead &&head, BodyFraming framing,
                                  std::vector<Command> &out)
{
    flow::Flow &f = stream.flow();
    if (stream.clientIs10())
        head.version = Version::Http10;
    if (head.status == 101) {
        head.headers.push_back({"Connection", "Upgrade"});
        for (const auto &[name, value] : f.responseHeaders)
            if (equalsIgnoreCase(name, "upgrade")) {
                head.headers.push_back({"Upgrade", value});
                break;
            }
    } else {
        if (framing == BodyFraming::Chunked || framing == BodyFraming::UntilClose) {
            if (stream.clientIs10()) {
                m_closeAfter = true; // HTTP/1.0 has no chunked: delimit by closing
            } else {
                m_responseChunked = true;
                head.headers.push_back({"Transfer-Encoding", "chunked"});
            }
        }
        if (!stream.requestComplete())
            m_closeAfter = true; // answered before the request ended: cannot resync
        const bool keepAlive = stream.clientKeepAlive() && !m_closeAfter && !m_clientEof;
        if (!keepAlive)
            head.headers.push_back({"Connection", "close"});
        else if (stream.clientIs10())
            head.headers.push_back({"Connection", "keep-alive"});
        m_closeAfter = !keepAlive;
    }
    std::string bytes = serialize(head);
    f.clientResponseWireBytes = bytes.size();
    f.clientResponseHeaders = toList(std::move(head.headers));
    sendClient(std::move(bytes), out);
}

void HttpProxySession::clientBody(HttpStream &stream, std::string_view data,
                                  std::vector<Command> &out)
{
    std::string bytes = m_responseChunked ? chunk(data) : std::string(data);
    stream.flow().clientResponseWireBytes += bytes.size();
    sendClient(std::move(bytes), out);
}

void HttpProxySession::clientEnd(HttpStream &stream, std::vector<Command> &out)
{
    if (!m_responseChunked)
        return;
    flow::Flow &f = stream.flow();
    std::string bytes = lastChunk(toHeaders(f.responseTrailers));
    f.clientResponseWireBytes += bytes.size();
    sendClient(std::move(bytes), out);
}

void HttpProxySession::clientLocal(HttpStream &stream, ResponseHead &head, std::string body,
                                   bool close, const std::string &error, std::vector<Command> &out)
{
    m_closeAfter = close || !stream.clientKeepAlive();
    if (m_context.tunnelTarget && stream.isConnect()) {
        out.push_back(TunnelRefused{head.status, stream.connectFailure(), error});
        return;
    }
    if (m_closeAfter)
        head.headers.push_back({"Connection", "close"});
    sendClient(serialize(head) + body, out);
}

void HttpProxySession::clientConnectEstablished(HttpStream &, std::vector<Command> &out)
{
    if (m_context.tunnelTarget)
        out.push_back(TunnelEstablished{});
    else
        sendClient(std::string("HTTP/1.1 200 Connection established\r\n\r\n"), out);
}

void HttpProxySession::clientPump(MonoTime now, std::vector<Command> &out)
{
    pumpClient(now, out);
}

void HttpProxySession::streamLeft()
{
    m_leftStreams.push_back(std::move(m_exchange));
}

void HttpProxySession::streamCompleted(HttpStream &stream, MonoTime now, std::vector<Command> &out)
{
    const bool close
        = m_closeAfter || !stream.clientKeepAlive() || !stream.requestComplete() || m_clientEof;
    streamLeft();
    if (close) {
        closeClient(false, "response complete", now, out);
        return;
    }
    pumpClient(now, out); // a pipelined request may be waiting
}

void HttpProxySession::streamAborted(HttpStream &, const std::string &error, MonoTime now,
                                     std::vector<Command> &out)
{
    streamLeft();
    closeClient(true, error, now, out);
}

void HttpProxySession::streamTunnel(HttpStream &, std::string toClient, MonoTime now,
                                    std::vector<Command> &out)
{
    startTunnel(std::move(toClient), now, out);
}

// The server half: connections by id, our TLS with them, our HTTP/2 links, their records.

ServerId HttpProxySession::openServer(const Target &target, bool reusable, bool plainHttp, bool tls,
                                      std::vector<Command> &out)
{
    const bool tunnel = m_exchange && m_exchange->isConnect();
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

    const InterceptConfig &ic = *m_context.intercept;
    const std::string host = hello.serverName.empty() ? f.host : hello.serverName;
    if (!ic.enabled || !ic.ca) {
        relayRaw(now, out);
        return;
    }
    if (ic.passthrough && ic.passthrough->matches(host)) {
        f.closeReason = "passed through: " + host + " is on the pass-through list";
        relayRaw(now, out);
        return;
    }
    // Towards the server h2 and http/1.1 are offered whenever the client offered either: each
    // side speaks what it chose and the proxy translates between them (H2ProxyFront towards
    // the client, H2OriginLink towards the server).
    std::vector<std::string> alpn;
    for (const std::string &p : hello.alpn)
        if (p == "http/1.1" || p == "h2")
            alpn = {"h2", "http/1.1"};
    if (!hello.alpn.empty() && alpn.empty()) {
        std::string offered;
        for (const std::string &p : hello.alpn)
            offered += (offered.empty() ? "" : ", ") + p;
        f.closeReason = "passed through: the client offered only " + offered;
        relayRaw(now, out);
        return;
    }

    m_intercept = std::make_unique<Intercept>();
    Intercept &in = *m_intercept;
    in.target = Target{"https", host, f.port, {}};
    in.sni = hello.serverName.empty() ? (isIpLiteral(f.host) ? "" : f.host) : hello.serverName;
    in.verifyName = host;
    in.verify = ic.verifyServers && !(ic.insecure && ic.insecure->matches(host));
    in.alpnOffer = alpn;
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
    std::string serverAlpn;
    std::vector<std::string> names{in.target.host};
    if (t.server) {
        const tls::TlsSession &server = *m_servers.tls(t.server);
        record(in.serverSide, server);
        serverAlpn = server.details().alpn;
        if (in.verify && !server.details().verified) {
            in.error = "the certificate of " + in.target.authority()
                       + " is not trusted: " + server.details().verifyError;
            dropServer(t.server, out);
            t.server = 0;
        } else if (!server.details().peerChain.empty()) {
            // Mirror the real certificate's names, so the client sees what it would have seen.
            const tls::CertificateInfo &leaf = server.details().peerChain.front();
            for (const auto *list : {&leaf.dnsNames, &leaf.ipAddresses})
                for (const std::string &n : *list)
                    if (names.size() < 64)
                        names.push_back(n);
        }
    }
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
    std::vector<std::string> accept;
    if (std::find(offered.begin(), offered.end(), "h2") != offered.end() && in.error.empty())
        accept.push_back("h2");
    accept.push_back("http/1.1");
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
    if (m_exchange)
        m_exchange->abort("TLS with the client failed: " + session.error(), now, out);
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
    std::string early = m_input.substr(m_inputPos);
    m_input.clear();
    m_inputPos = 0;
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
    newStream(now).carriedTunnel(*m_context.tunnelTarget, now, out);
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
