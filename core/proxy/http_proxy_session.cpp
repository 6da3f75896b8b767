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

// `request` begins with an origin-form request head as serialize() writes it: the request line
// gets `origin` in front of its path, and a Proxy-Authorization field follows it when
// `authorization` is not empty.
std::string toAbsoluteForm(std::string_view request, std::string_view origin,
                           std::string_view authorization)
{
    const std::size_t space = request.find(' ');
    const std::size_t lineEnd = request.find("\r\n");
    if (space == std::string_view::npos || lineEnd == std::string_view::npos || space > lineEnd)
        return std::string(request);
    std::string out;
    out.reserve(request.size() + origin.size() + authorization.size() + 24);
    out.append(request.substr(0, space + 1)).append(origin);
    out.append(request.substr(space + 1, lineEnd + 2 - (space + 1)));
    if (!authorization.empty())
        out.append("Proxy-Authorization: ").append(authorization).append("\r\n");
    out.append(request.substr(lineEnd + 2));
    return out;
}

flow::HeaderList toList(const Headers &headers)
{
    flow::HeaderList out;
    out.reserve(headers.size());
    for (const Header &h : headers)
        out.emplace_back(h.name, h.value);
    return out;
}

flow::HeaderList toList(Headers &&headers)
{
    flow::HeaderList out;
    out.reserve(headers.size());
    for (Header &h : headers)
        out.emplace_back(std::move(h.name), std::move(h.value));
    return out;
}

bool isIdempotent(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE"
           || method == "PUT" || method == "DELETE";
}

std::string secondsText(MonoTime t)
{
    return std::to_string(t / kSecond) + " s";
}

// Copy-on-write change of a flow's (shared, immutable) TLS side.
template<typename F>
void editTls(std::shared_ptr<const flow::TlsSide> &side, F &&change)
{
    auto copy = side ? std::make_shared<flow::TlsSide>(*side) : std::make_shared<flow::TlsSide>();
    change(*copy);
    side = std::move(copy);
}

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
    const std::size_t first = out.size();
    m_eventCommands = first;
    startLayers(now, out);
    trackServerCommands(out, first, false);
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
    const std::size_t first = out.size();
    m_eventCommands = first;
    noteServerEvent(event);
    dispatchEvent(event, now, out);
    // An answer the h2 link made itself while the session was sending (a WebSocket the origin
    // cannot take) is taken here, outside the send path that produced it.
    if (const ServerId id = std::exchange(m_linkAnswer, 0);
        id && m_serverH2.count(id) && m_mode != Mode::Closed)
        serverPlaintext(id, {}, now, out);
    // An exchange's intermediate milestones (request seen, connected, response head) are
    // published once per event, not once each: a fast exchange costs one copy, not three.
    if (m_exchangeDirty && m_exchange)
        publish(m_exchange->flow, out);
    m_exchangeDirty = false;
    trackServerCommands(out, first, std::holds_alternative<Tick>(event));
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
                    abortExchange("client connection failed: " + e.reason, now, out);
                closeClient(true, e.reason, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnected>) {
                onServerConnected(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                onServerConnectFailed(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerData>) {
                const auto tls = m_serverTls.find(e.id);
                if (tls == m_serverTls.end()) {
                    onServerBytes(e.id, e.data, now, out);
                    return;
                }
                tls::TlsSession &session = *tls->second;
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
                if (m_serverTls.count(e.id) && m_serverTls[e.id]->peerClosed()
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
                } else if (m_exchange && e.id == m_exchange->server) {
                    if (!m_exchange->serverConnected && m_serverTls.count(e.id)) {
                        onServerTlsFailed(e.id, now, out);
                        return;
                    }
                    onServerEnded(false, "the server closed the connection", now, out);
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
                else if (m_exchange && e.id == m_exchange->server)
                    onServerEnded(true, e.reason, now, out);
                else if (m_intercept && e.id == m_intercept->idleServer) {
                    m_intercept->idleServer = 0;
                    dropServer(e.id, out);
                }
            } else if constexpr (
                std::is_same_v<
                    T,
                    RequestHeaders> || std::is_same_v<T, RequestData> || std::is_same_v<T, RequestTrailers> || std::is_same_v<T, RequestEnd>) {
                onStreamRequest(e, now, out);
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
    } else if (m_exchange && id == m_exchange->server && m_exchange->serverConnected) {
        onServerData(data, now, out);
    } else if (m_intercept && id == m_intercept->idleServer) {
        // Unasked bytes on an idle connection: it cannot be trusted for the next request.
        m_intercept->idleServer = 0;
        dropServer(id, out);
    }
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
    if (const auto h2 = m_serverH2.find(id); h2 != m_serverH2.end()) {
        // Our own h2 link: bytes are an upgraded exchange's (an accepted WebSocket's).
        std::string wire;
        h2->second.link->send(0, http::Body{std::move(plaintext)}, m_now, wire);
        plaintext = std::move(wire);
    }
    sendServerWire(id, std::move(plaintext), out);
}

void HttpProxySession::sendServerWire(ServerId id, std::string plaintext, std::vector<Command> &out)
{
    if (plaintext.empty())
        return;
    const auto tls = m_serverTls.find(id);
    if (tls == m_serverTls.end()) {
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

void HttpProxySession::startServerTls(ServerId id, const std::string &sni,
                                      const std::string &verifyName,
                                      const std::vector<std::string> &alpn, bool verify,
                                      MonoTime now, std::vector<Command> &out)
{
    const InterceptConfig &ic = *m_context.intercept;
    auto session = tls::TlsSession::client(ic.toServers, {sni, verifyName, alpn, verify}, now);
    if (!session) {
        // Nothing was sent: treat like a failed handshake.
        m_serverTls.erase(id);
        if (m_exchange && m_exchange->server == id) {
            dropServer(id, out);
            m_exchange->server = 0;
            failExchange(502, "Bad Gateway", session.error().message, now, out);
        }
        return;
    }
    tls::TlsSession &s = **session;
    m_serverTls[id] = std::move(*session);
    if (s.hasCiphertext())
        out.push_back(SendToServer{id, s.takeCiphertext()});
}

void HttpProxySession::serverPlaintext(ServerId id, std::string_view data, MonoTime now,
                                       std::vector<Command> &out)
{
    const auto h2 = m_serverH2.find(id);
    if (h2 == m_serverH2.end()) {
        onServerBytes(id, data, now, out);
        return;
    }
    H2OriginLink &link = *h2->second.link;
    std::string wire;
    if (!data.empty())
        link.fromServer(data, now, wire);
    sendServerWire(id, std::move(wire), out);
    const bool failed = link.channelFailed(0);
    const std::string error = failed ? link.channelError(0) : std::string();
    for (const http::ResponsePart &part : link.take(0)) {
        if (m_mode == Mode::Closed || !m_serverH2.count(id))
            return;
        onServerPart(id, part, now, out);
    }
    if (failed && m_serverH2.count(id) && m_mode != Mode::Closed)
        dispatchEvent(ServerGone{id, "HTTP/2: " + error}, now, out);
}

void HttpProxySession::maybeStartOriginH2(ServerId id, const std::string &target, MonoTime now,
                                          std::vector<Command> &out)
{
    const auto tls = m_serverTls.find(id);
    if (tls == m_serverTls.end() || tls->second->details().alpn != "h2")
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
    r.tls = shared(side);
    r.feed = std::make_shared<flow::LogFeed>(m_context.frameLogCapacity);
    auto link = H2OriginLink::create(http2::ProtocolLimits{}, r.feed, now);
    if (!link)
        return; // stays HTTP/1.1 bytes: the origin will refuse them, and the flow says why
    adoptServerRecord(id, r); // the connection keeps the id it was published with
    h2.link = std::move(*link);
    h2.link->open(0);
    sendServerWire(id, h2.link->start(now), out);
    out.push_back(PublishConnection{r});
    m_serverH2[id] = std::move(h2);
}

void HttpProxySession::dropServer(ServerId id, std::vector<Command> &out)
{
    if (const auto h2 = m_serverH2.find(id); h2 != m_serverH2.end()) {
        flow::Connection &r = h2->second.record;
        r.closedWall = wallNow();
        r.closeReason = h2->second.link->failed() ? h2->second.link->error() : "closed";
        if (r.feed)
            r.feed->closed();
        out.push_back(PublishConnection{r});
        m_serverH2.erase(h2);
    }
    closeServerRecord(id, "closed by the proxy", out);
    m_serverTls.erase(id);
    out.push_back(CloseServer{id});
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
        const auto h2 = m_serverH2.find(m_tunnel->server);
        if (h2 != m_serverH2.end()) { // an extended CONNECT: END_STREAM, the connection stays
            std::string wire;
            h2->second.link->send(0, http::End{}, now, wire);
            sendServerWire(m_tunnel->server, std::move(wire), out);
        }
        if (m_tunnel->serverEof)
            closeTunnel("closed by both sides", now, out);
        else if (h2 == m_serverH2.end())
            out.push_back(ShutdownServer{m_tunnel->server});
        return;
    }
    if (m_exchange) {
        if (!m_exchange->requestComplete) {
            // Let the parser see the end: a close-delimited nothing, or a truncated request.
            std::vector<RequestEvent> events;
            m_parser.feedEof(events);
            abortExchange("the client closed the connection before the request was complete", now,
                          out);
            closeClient(false, "client closed", now, out);
        }
        // Otherwise the response is still due: send it, then close (completeExchange).
        return;
    }
    closeClient(false, "client closed", now, out);
}

void HttpProxySession::pumpClient(MonoTime now, std::vector<Command> &out)
{
    std::vector<RequestEvent> events;
    while (m_mode == Mode::Http && !m_tunnel) {
        // One exchange at a time: a pipelined request waits until the previous response is out.
        if (m_exchange && m_exchange->requestComplete)
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
        held += m_exchange->pendingBody.size();
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
        beginExchange(*head, now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        // Record what was wrong on a flow of its own, answer, and close: after a framing error
        // nothing on this connection can be trusted.
        if (m_exchange && m_exchange->flow.status == 0 && !m_exchange->headSent) {
            if (m_exchange->server)
                dropServer(m_exchange->server, out);
            failExchange(error->status, http::reasonPhrase(error->status), error->reason, now, out);
        } else if (m_exchange) {
            abortExchange("invalid request body: " + error->reason, now, out);
        } else {
            newExchange(now).flow.method = "?"; // no usable request head
            failExchange(error->status, http::reasonPhrase(error->status), error->reason, now, out);
        }
        closeClient(false, "invalid request", now, out);
        return;
    }
    if (!m_exchange)
        return;
    Exchange &ex = *m_exchange;
    if (auto *body = std::get_if<BodyData>(&event)) {
        ex.flow.requestBody->append(body->data);
        forwardBody(body->data, out);
        return;
    }
    if (auto *trailers = std::get_if<TrailersEvent>(&event)) {
        ex.flow.requestTrailers = toList(trailers->trailers);
        return;
    }
    if (auto *end = std::get_if<MessageEnd>(&event)) {
        ex.requestComplete = true;
        ex.requestCompleteAt = now;
        ex.flow.requestWireBytes = end->wireSize;
        if (ex.server && ex.serverConnected && ex.headForwarded)
            forwardEnd(out);
        if (ex.serverConnected)
            ex.flow.timings.requestSent = since(ex.flow, now);
        if (ex.isConnect && ex.serverConnected && !m_tunnel)
            startTunnel({}, now, out);
        else if (!ex.server && ex.flow.responseFromProxy)
            completeExchange(now, out); // answered locally (info page)
    }
}

template<typename E>
void HttpProxySession::onStreamRequest(const E &e, MonoTime now, std::vector<Command> &out)
{
    if (!m_context.stream || m_mode != Mode::Http)
        return;
    if constexpr (std::is_same_v<E, RequestHeaders>) {
        if (m_exchange || m_connection.flows != 0)
            return; // one exchange per stream
        m_streamId = e.stream;
        RequestHeadEvent head = streamRequestHead(e.request, e.endStream);
        const bool noBody = head.framing == BodyFraming::None;
        beginExchange(head, now, out, &e);
        if (!m_exchange)
            return;
        if (noBody) {
            RequestEvent end = MessageEnd{0};
            onRequestEvent(end, now, out);
        }
    } else if constexpr (std::is_same_v<E, RequestData>) {
        if (m_exchange && !m_exchange->requestComplete) {
            RequestEvent body = BodyData{e.data};
            onRequestEvent(body, now, out);
        }
    } else if constexpr (std::is_same_v<E, RequestTrailers>) {
        if (m_exchange && !m_exchange->requestComplete) {
            RequestEvent trailers = TrailersEvent{e.trailers};
            onRequestEvent(trailers, now, out);
        }
    } else {
        m_clientEof = true; // no further request on a stream
        if (m_exchange && !m_exchange->requestComplete) {
            RequestEvent end = MessageEnd{0};
            onRequestEvent(end, now, out);
        }
    }
    updateClientPause(out);
}

void HttpProxySession::beginExchange(RequestHeadEvent &ev, MonoTime now, std::vector<Command> &out,
                                     const RequestHeaders *stream)
{
    // From a stream, the flow keeps the fields as they crossed the client's wire, and the
    // server gets the client's own fields, not those of the HTTP/1.1 head made from them.
    const http::Request *fromStream = stream ? &stream->request : nullptr;
    Exchange &ex = newExchange(now);
    RequestHead &head = ev.head;
    flow::Flow &f = ex.flow;
    f.method = head.method;
    f.clientProtocol = m_context.clientProtocol.empty() ? std::string(versionText(head.version))
                                                        : m_context.clientProtocol;
    f.requestHeaders = stream ? stream->wire : toList(head.headers);
    ex.openedAt = now;
    ex.clientKeepAlive = ev.keepAlive;
    ex.clientIs10 = head.version == Version::Http10;
    ex.requestChunked = ev.framing == BodyFraming::Chunked;
    ex.requestBody = ev.framing != BodyFraming::None;
    if (ev.framing == BodyFraming::ContentLength)
        f.requestBody->expect(ev.contentLength);

    if (head.method == "CONNECT") {
        ex.isConnect = true;
        f.kind = flow::FlowKind::Tunnel;
        auto target = parseAuthorityForm(head.target);
        if (!target) {
            f.path = head.target;
            failExchange(400, "Bad Request", target.error().message, now, out);
            return;
        }
        ex.target = *target;
        f.host = ex.target.host;
        f.port = ex.target.port;
    } else if (m_intercept && !head.target.empty() && head.target.front() == '/') {
        // Inside a decrypted tunnel: an ordinary request to the tunnel's origin.
        ex.target = m_intercept->target;
        ex.target.path = head.target;
        f.scheme = "https";
        f.host = ex.target.host;
        f.port = ex.target.port;
        f.path = ex.target.path;
    } else if (!head.target.empty() && head.target.front() == '/') {
        // Origin-form: the client talks to the proxy as if it were a web server.
        f.scheme = "http";
        f.path = head.target;
        const std::string *host = findHeader(head.headers, "host");
        auto self = parseAbsoluteForm("http://" + (host ? *host : m_context.listenAddress));
        if (self) {
            f.host = self->host;
            f.port = self->port;
        }
        f.responseFromProxy = true;
        const tls::CertificateAuthority *ca
            = m_context.intercept ? m_context.intercept->ca.get() : nullptr;
        const std::string path = head.target.substr(0, head.target.find('?'));
        if ((head.method == "GET" || head.method == "HEAD") && ca
            && (path == "/ca.pem" || path == "/ca.crt" || path == "/ca.der")) {
            const bool der = path == "/ca.der";
            respondLocally(
                200, "OK", der ? "application/pkix-cert" : "application/x-pem-file",
                der ? ca->certificateDer() : ca->certificatePem(), false, {}, now, out,
                {{"Content-Disposition", std::string("attachment; filename=\"tunnelscope-ca")
                                             + (der ? ".der" : ".pem") + "\""}});
        } else if ((head.method == "GET" || head.method == "HEAD")
                   && (path == "/proxy.pac" || path == "/wpad.dat")) {
            // The proxy's address as the client reached it (a LAN address when listening on
            // all interfaces), else the listen address.
            const std::string address
                = host && isPacProxyAddress(*host) ? *host : m_context.listenAddress;
            respondLocally(200, "OK", "application/x-ns-proxy-autoconfig",
                           pacFile(m_context.pac ? *m_context.pac : PacRules{}, address,
                                   m_context.tlsListener),
                           false, {}, now, out);
        } else if (head.method == "GET" || head.method == "HEAD") {
            // Written for the address the client reached (a phone on the LAN sees the LAN
            // address), else the listen address.
            const std::string address
                = host && isPacProxyAddress(*host) ? *host : m_context.listenAddress;
            respondLocally(
                200, "OK", "text/html; charset=utf-8",
                infoPage({address, m_context.tlsListener,
                          m_context.intercept ? m_context.intercept->ca.get() : nullptr}),
                false, {}, now, out);
        } else {
            failExchange(405, "Method Not Allowed",
                         "this is Tunnelscope, a proxy: send absolute-form requests "
                         "(http://host/path) or CONNECT",
                         now, out);
        }
        return;
    } else {
        auto target = parseAbsoluteForm(head.target);
        if (!target) {
            f.path = head.target;
            const bool scheme = target.error().code == "target.scheme";
            failExchange(scheme ? 501 : 400, scheme ? "Not Implemented" : "Bad Request",
                         target.error().message, now, out);
            return;
        }
        ex.target = *target;
        f.scheme = ex.target.scheme;
        f.host = ex.target.host;
        f.port = ex.target.port;
        f.path = ex.target.path;
        if (ex.target.scheme == "https" && !m_context.intercept) {
            failExchange(501, "Not Implemented",
                         "https:// URLs in absolute-form need TLS to the origin, which is off", now,
                         out);
            return;
        }
    }
    ex.needsTls = !ex.isConnect && ex.target.scheme == "https";
    if (m_listenerTlsShared)
        f.clientTls = m_listenerTlsShared;
    else if (m_context.clientTls)
        f.clientTls = m_context.clientTls;
    if (m_context.interceptedParent && !ex.isConnect) {
        f.intercepted = true;
        f.parent = m_context.interceptedParent;
    }

    bool reuse = false;
    if (m_intercept && !ex.isConnect) {
        f.intercepted = true;
        f.parent = m_intercept->tunnelFlow.id;
        f.clientTls = m_intercept->clientShared;
        f.serverTls = m_intercept->serverShared;
        if (!m_intercept->error.empty()) {
            failExchange(502, "Bad Gateway", m_intercept->error, now, out);
            return;
        }
        if (const auto h2 = m_serverH2.find(m_intercept->idleServer);
            h2 != m_serverH2.end() && !h2->second.link->usable()) {
            dropServer(m_intercept->idleServer, out); // the origin sent GOAWAY
            m_intercept->idleServer = 0;
        }
        if (m_intercept->idleServer) {
            ex.server = m_intercept->idleServer;
            m_intercept->idleServer = 0;
            f.serverReused = true;
            f.upstream = m_intercept->tunnelFlow.upstream;
            linkServer(f, ex.server);
            reuse = true;
        }
    }
    ex.upgradeRequested = !ex.isConnect && findHeader(head.headers, "upgrade") != nullptr
                          && headerHasToken(head.headers, "connection", "upgrade");
    if (!reuse) {
        ex.server = ++m_nextServerId;
        out.push_back(OpenServer{ex.server, ex.target.host, ex.target.port,
                                 !ex.isConnect && !ex.needsTls,
                                 ex.target.scheme == "http" && !ex.upgradeRequested, ex.needsTls});
    }
    m_exchangeDirty = true; // published once, when this event is handled

    if (ex.isConnect)
        return;

    // The request as the origin gets it, whatever version carries it there: the target's
    // authority and path (Host from the target, RFC 9112 §3.2.2), the client's fields less the
    // hop-by-hop ones. It goes when the server is ready (serverReady), as HTTP/1.1 bytes or
    // as parts to an HTTP/2 stream; framing is that version's.
    http::Request &r = ex.toServer;
    r.method = head.method;
    r.scheme = ex.target.scheme;
    r.authority = ex.target.authority(true);
    r.path = ex.target.path;
    if (ex.upgradeRequested)
        r.protocol = fromStream ? fromStream->protocol : *findHeader(head.headers, "upgrade");
    if (fromStream)
        r.fields = fromStream->fields;
    else
        r.fields = std::move(head.headers); // recorded already: the parser's copy is spare
    removeHopByHop(r.fields);
    removeHeader(r.fields, "host");
    ex.retryable = isIdempotent(head.method) && !ex.upgradeRequested;
    ex.responseParser.expectResponseTo(head.method);
    if (reuse)
        serverReady(now, out, false); // inside pumpClient already: do not pump again
}

HttpProxySession::Exchange &HttpProxySession::newExchange(MonoTime now)
{
    m_exchange = std::make_unique<Exchange>(m_context.http1);
    flow::Flow &f = m_exchange->flow;
    f.id = m_context.newFlowId();
    f.clientConnection = m_context.connectionId;
    f.clientAddress = m_context.clientAddress;
    f.clientStream = m_context.clientStream;
    f.startedWall = wallNow();
    f.startedMono = now;
    f.requestBody = std::make_shared<flow::Body>(m_context.bodies);
    f.responseBody = std::make_shared<flow::Body>(m_context.bodies);
    ++m_connection.flows;
    return *m_exchange;
}

void HttpProxySession::recordLinkWire(Exchange &ex)
{
    // Our own H2OriginLink spoke h2 to the origin: its fields and frame bytes are what that
    // wire carried.
    const auto h2 = m_serverH2.find(ex.server);
    if (h2 == m_serverH2.end())
        return;
    const H2OriginLink::Wire wire = h2->second.link->wire(0);
    if (!wire.request.empty()) {
        ex.flow.serverRequestHeaders = wire.request;
        ex.flow.serverRequestWireBytes = wire.requestBytes;
    }
    if (!wire.response.empty()) {
        ex.flow.responseHeaders = wire.response;
        ex.flow.responseWireBytes = wire.responseBytes;
    }
}

void HttpProxySession::sendResponseHead(ResponseHead &&head, std::vector<Command> &out,
                                        bool endStream)
{
    flow::Flow &f = m_exchange->flow;
    if (m_context.stream) {
        // The carrier's translator records the head as it crossed its wire.
        f.clientResponseWireBytes = 0;
        out.push_back(ResponseHeaders{m_streamId, streamResponse(head), endStream});
        return;
    }
    std::string bytes = serialize(head);
    f.clientResponseWireBytes = bytes.size();
    f.clientResponseHeaders = toList(std::move(head.headers));
    sendClient(std::move(bytes), out);
}

bool HttpProxySession::ownLink(ServerId id) const
{
    return m_serverH2.count(id) != 0;
}

void HttpProxySession::sendPart(http::RequestPart part, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    const auto h2 = m_serverH2.find(ex.server);
    if (h2 == m_serverH2.end()) {
        out.push_back(SendRequestPart{ex.server, std::move(part)});
        return;
    }
    H2OriginLink &link = *h2->second.link;
    std::string wire;
    link.send(0, std::move(part), m_now, wire);
    sendServerWire(ex.server, std::move(wire), out);
    // An answer the link made itself (a WebSocket the origin cannot take) is taken after
    // this event (handle()), outside the send path that produced it.
    if (link.hasParts(0) || link.channelFailed(0))
        m_linkAnswer = ex.server;
}

void HttpProxySession::forwardHead(std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    ex.headForwarded = true;
    ex.endForwarded = false;
    if (ex.serverMessages) {
        // HTTP/2 to the origin: the fields go as they are; the link records what it sent.
        // A request without a body ends with its HEADERS (no empty DATA frame after them),
        // even when the head goes before the parser has said the request is complete.
        const bool whole = (ex.requestComplete || !ex.requestBody) && ex.pendingBody.empty()
                           && ex.flow.requestTrailers.empty() && ex.toServer.protocol.empty();
        ex.endForwarded = whole;
        sendPart(http::RequestStart{ex.toServer, whole}, out);
        recordLinkWire(ex);
        return;
    }
    RequestHead head = http1Request(ex.toServer, ex.requestChunked);
    std::string bytes = serialize(head);
    if (ex.forwarding) {
        // The connection ends at an upstream proxy: it gets the request line in absolute-form,
        // and the hop's credentials in these bytes only. Recorded as sent, but for the
        // credentials, which never reach a flow.
        bytes
            = toAbsoluteForm(bytes, "http://" + ex.target.authority(true), ex.forwardAuthorization);
        if (!ex.forwardAuthorization.empty())
            head.headers.insert(
                head.headers.begin(),
                {"Proxy-Authorization",
                 ex.forwardAuthorization.substr(0, ex.forwardAuthorization.find(' ')) + " ***"});
    }
    // Recorded the first time (a replay on a fresh connection sends the same head again).
    if (ex.flow.serverRequestHeaders.empty())
        ex.flow.serverRequestHeaders = toList(std::move(head.headers));
    ex.flow.serverRequestWireBytes = bytes.size();
    sendServer(ex.server, std::move(bytes), out);
}

void HttpProxySession::forwardBody(std::string_view data, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (!ex.server || data.empty())
        return;
    if (ex.retryable && !ex.retried) {
        ex.retryBody.append(data);
        if (ex.retryBody.size() > 64 * 1024) {
            ex.retryable = false;
            std::string().swap(ex.retryBody);
        }
    }
    if (!ex.serverConnected || !ex.headForwarded) {
        ex.pendingBody.append(data);
        return;
    }
    if (ex.serverMessages) {
        sendPart(http::Body{std::string(data)}, out);
        return;
    }
    std::string bytes = ex.requestChunked ? chunk(data) : std::string(data);
    ex.flow.serverRequestWireBytes += bytes.size();
    sendServer(ex.server, std::move(bytes), out);
}

void HttpProxySession::forwardEnd(std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (ex.endForwarded)
        return;
    ex.endForwarded = true;
    if (ex.serverMessages) {
        // An Upgrade's request has no end of its own: its stream becomes the tunnel.
        if (ex.toServer.protocol.empty()) {
            http::End end;
            for (const auto &[name, value] : ex.flow.requestTrailers)
                end.trailers.push_back({name, value});
            sendPart(std::move(end), out);
        }
        return;
    }
    if (!ex.requestChunked)
        return;
    Headers trailers;
    for (const auto &[name, value] : ex.flow.requestTrailers)
        trailers.push_back({name, value});
    std::string bytes = lastChunk(trailers);
    ex.flow.serverRequestWireBytes += bytes.size();
    sendServer(ex.server, std::move(bytes), out);
}

// ---------------------------------------------------------------------------- server side

void HttpProxySession::onServerConnected(const ServerConnected &e, MonoTime now,
                                         std::vector<Command> &out)
{
    if (!m_exchange || e.id != m_exchange->server)
        return;
    Exchange &ex = *m_exchange;
    ex.serverConnected = true;
    ex.lastServerActivity = now;
    flow::Flow &f = ex.flow;
    f.serverAddress = e.peerAddress;
    f.serverReused = e.reused;
    f.upstream = e.via;
    linkServer(f, e.id);
    if (!e.reused) {
        if (e.lookupDone >= 0)
            f.timings.lookup = since(f, e.lookupDone);
        if (e.connectDone >= 0)
            f.timings.connect = since(f, e.connectDone);
    }
    if (ex.isConnect) {
        if (m_context.tunnelTarget)
            out.push_back(TunnelEstablished{});
        else
            sendClient(std::string("HTTP/1.1 200 Connection established\r\n\r\n"), out);
        f.status = 200;
        f.reason = "Connection established";
        if (ex.requestComplete)
            startTunnel({}, now, out);
        return;
    }
    ex.serverMessages = e.messages;
    if (ex.needsTls && e.tls) {
        // The carrier did the handshake (and may share an HTTP/2 connection): plaintext, or
        // a stream of it (e.messages).
        f.serverTls = e.tls;
        ex.carrierTls = true;
        serverReady(now, out);
        return;
    }
    ex.forwarding = e.forwarding;
    if (e.forwarding) {
        // The connection ends at an upstream proxy (forwardHead writes the request for it).
        ex.forwardHop = e.forwardHop;
        ex.forwardHopHasCredentials = !e.proxyAuthorization.empty();
        ex.forwardAuthorization = e.proxyAuthorization;
    }
    if (ex.needsTls) {
        ex.serverConnected = false; // not until the TLS handshake is done
        if (m_intercept)
            startServerTls(ex.server, m_intercept->sni, m_intercept->verifyName,
                           m_intercept->alpnOffer, m_intercept->verify, now, out);
        else
            startServerTls(ex.server, isIpLiteral(ex.target.host) ? "" : ex.target.host,
                           ex.target.host, {"h2", "http/1.1"}, true, now, out);
        return;
    }
    serverReady(now, out);
}

void HttpProxySession::serverReady(MonoTime now, std::vector<Command> &out, bool pump)
{
    Exchange &ex = *m_exchange;
    ex.serverConnected = true;
    ex.lastServerActivity = now;
    if (ownLink(ex.server))
        ex.serverMessages = true;
    if (!ex.headForwarded && !ex.isConnect) {
        // The head goes now, with what the client sent while we connected (again, the same,
        // when a stale pooled connection made us replay it).
        forwardHead(out);
        if (!ex.pendingBody.empty()) {
            const std::string body = std::exchange(ex.pendingBody, {});
            const bool retryable = ex.retryable;
            ex.retryable = false; // kept in retryBody already
            forwardBody(body, out);
            ex.retryable = retryable;
        }
        if (ex.requestComplete)
            forwardEnd(out);
    }
    if (ex.requestComplete)
        ex.flow.timings.requestSent = since(ex.flow, now);
    m_exchangeDirty = true; // published once, when this event is handled
    if (pump)
        pumpClient(now, out); // the body may have been held back while connecting
}

void HttpProxySession::onServerTlsDone(ServerId id, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Intercepting && m_tunnel && id == m_tunnel->server) {
        onInterceptServerReady(now, out);
        return;
    }
    if (!m_exchange || id != m_exchange->server)
        return;
    Exchange &ex = *m_exchange;
    const tls::TlsSession &session = *m_serverTls.at(id);
    flow::TlsSide side;
    record(side, session);
    ex.flow.serverTls = shared(side);
    const InterceptConfig &ic = *m_context.intercept;
    const bool verify
        = m_intercept ? m_intercept->verify
                      : ic.verifyServers && !(ic.insecure && ic.insecure->matches(ex.target.host));
    if (verify && !session.details().verified) {
        dropServer(id, out);
        ex.server = 0;
        failExchange(502, "Bad Gateway",
                     "the certificate of " + ex.target.authority()
                         + " is not trusted: " + session.details().verifyError,
                     now, out);
        return;
    }
    maybeStartOriginH2(id, ex.target.authority(), now, out);
    serverReady(now, out);
}

void HttpProxySession::onServerTlsFailed(ServerId id, MonoTime now, std::vector<Command> &out)
{
    std::string why = "the server closed the connection during the TLS handshake";
    if (const auto it = m_serverTls.find(id); it != m_serverTls.end() && it->second->failed())
        why = it->second->error();
    if (m_mode == Mode::Intercepting && m_tunnel && id == m_tunnel->server) {
        if (const auto it = m_serverTls.find(id); it != m_serverTls.end())
            record(m_intercept->serverSide, *it->second);
        m_intercept->serverSide.failure = why;
        m_intercept->error = "TLS with " + m_intercept->target.authority() + " failed: " + why;
        dropServer(id, out);
        m_tunnel->server = 0;
        onInterceptServerReady(now, out); // finish with the client, then answer 502
        return;
    }
    if (!m_exchange || id != m_exchange->server)
        return;
    Exchange &ex = *m_exchange;
    if (const auto it = m_serverTls.find(id); it != m_serverTls.end())
        editTls(ex.flow.serverTls, [&](flow::TlsSide &t) { record(t, *it->second); });
    editTls(ex.flow.serverTls, [&](flow::TlsSide &t) { t.failure = why; });
    dropServer(id, out);
    ex.server = 0;
    failExchange(502, "Bad Gateway", "TLS with " + ex.target.authority() + " failed: " + why, now,
                 out);
}

void HttpProxySession::onServerConnectFailed(const ServerConnectFailed &e, MonoTime now,
                                             std::vector<Command> &out)
{
    if (!m_exchange || e.id != m_exchange->server)
        return;
    Exchange &ex = *m_exchange;
    if (e.lookupDone >= 0)
        ex.flow.timings.lookup = since(ex.flow, e.lookupDone);
    ex.flow.upstream = e.via;
    if (e.tls)
        ex.flow.serverTls = e.tls;
    ex.server = 0;
    ex.connectFailure = e.kind;
    if (e.timedOut) {
        failExchange(504, "Gateway Timeout", e.message, now, out);
        return;
    }
    switch (e.kind) {
    case ConnectFailure::LoopDetected:
        failExchange(508, "Loop Detected", e.message, now, out);
        break;
    default:
        failExchange(502, "Bad Gateway", e.message, now, out);
        break;
    }
}

void HttpProxySession::serverActivity(Exchange &ex, MonoTime now)
{
    ex.lastServerActivity = now;
    if (!ex.sawServerBytes) {
        // The first byte of the answer: too late to replay the request elsewhere.
        ex.sawServerBytes = true;
        ex.flow.timings.firstByte = since(ex.flow, now);
        ex.retryable = false;
        std::string().swap(ex.retryBody);
    }
}

void HttpProxySession::onServerData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    serverActivity(ex, now);
    std::vector<ResponseEvent> events;
    while (!data.empty() && m_exchange && !m_tunnel && m_mode != Mode::Closed) {
        events.clear();
        const std::size_t used = ex.responseParser.feed(data, events);
        data.remove_prefix(used);
        const bool upgraded = ex.responseParser.upgraded();
        for (ResponseEvent &e : events) {
            onResponseEvent(e, now, out);
            if (!m_exchange)
                break;
        }
        if (upgraded && m_exchange) {
            startTunnel({}, now, out);
            if (m_tunnel && !data.empty()) {
                m_tunnel->flow.bytesServerToClient += data.size();
                sendClient(std::string(data), out);
            }
            return;
        }
        if (!m_exchange) {
            // The response ended; anything more from this server is not HTTP we asked for.
            return;
        }
        if (used == 0 && events.empty())
            break;
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
    if (!m_exchange || id != m_exchange->server || !m_exchange->serverConnected)
        return;
    Exchange &ex = *m_exchange;
    serverActivity(ex, now);
    // The parts become the events an HTTP/1.1 response would have given (the exchange's
    // logic is the same whatever version the server spoke); nothing is parsed.
    if (const auto *start = std::get_if<http::ResponseStart>(&part)) {
        const http::Response &r = start->response;
        ResponseHeadEvent head;
        head.head = ResponseHead{Version::Http11, r.status,
                                 std::string(http::reasonPhrase(r.status)), r.fields};
        head.informational = r.status < 200;
        const bool webSocket = equalsIgnoreCase(ex.toServer.protocol, "websocket");
        const bool accepted = webSocket && ex.upgradeRequested && r.status >= 200 && r.status < 300;
        if (accepted) {
            // RFC 8441 §5: the extended CONNECT's 2xx is HTTP/1.1's 101; an HTTP/1.1 client
            // checks the accept value of the key it sent (RFC 6455 §4.2.2).
            head.head.status = 101;
            head.head.reason = "Switching Protocols";
            head.head.headers.push_back({"Upgrade", "websocket"});
            if (const std::string *key = findHeader(ex.toServer.fields, "sec-websocket-key"))
                head.head.headers.push_back({"Sec-WebSocket-Accept", webSocketAccept(*key)});
        }
        if (head.informational || accepted || start->endStream || ex.toServer.method == "HEAD"
            || r.status == 204 || r.status == 304) {
            head.framing = BodyFraming::None;
        } else if (findHeader(r.fields, "content-length")
                   && !http::parseContentLength(r.fields, head.contentLength)) {
            head.framing = BodyFraming::ContentLength; // the link has held the body to it
        } else {
            head.framing = BodyFraming::Chunked; // delimited by the stream's end
        }
        const bool informational = head.informational;
        ResponseEvent event = std::move(head);
        onResponseEvent(event, now, out);
        if (!m_exchange || informational)
            return;
        m_exchange->flow.serverProtocol = "HTTP/2";
        if (accepted) {
            if (m_exchange->headSent)
                startTunnel({}, now, out);
            return;
        }
        if (start->endStream) {
            ResponseEvent end = MessageEnd{0};
            onResponseEvent(end, now, out);
        }
    } else if (const auto *body = std::get_if<http::Body>(&part)) {
        ResponseEvent event = BodyData{body->data};
        onResponseEvent(event, now, out);
    } else if (const auto *end = std::get_if<http::End>(&part)) {
        if (!end->trailers.empty()) {
            ResponseEvent trailers = TrailersEvent{end->trailers};
            onResponseEvent(trailers, now, out);
        }
        if (m_exchange) {
            ResponseEvent done = MessageEnd{0};
            onResponseEvent(done, now, out);
        }
    }
}

void HttpProxySession::onResponseEvent(ResponseEvent &event, MonoTime now,
                                       std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    flow::Flow &f = ex.flow;
    if (auto *head = std::get_if<ResponseHeadEvent>(&event)) {
        ResponseHead &h = head->head;
        f.serverProtocol = std::string(versionText(h.version));
        if (const auto h2 = m_serverH2.find(ex.server); h2 != m_serverH2.end()) {
            f.serverProtocol = "HTTP/2";
            f.serverStream = std::uint64_t(h2->second.link->stream(0));
            f.serverConnection = h2->second.record.id;
        }
        if (head->informational) {
            // 1xx are forwarded to HTTP/1.1 clients only (RFC 9110 §15.2).
            if (!ex.clientIs10) {
                ResponseHead interim{Version::Http11, h.status, h.reason, h.headers};
                removeHopByHop(interim.headers);
                if (m_context.stream)
                    out.push_back(ResponseHeaders{m_streamId, streamResponse(interim), false});
                else
                    sendClient(serialize(interim), out);
            }
            return;
        }
        if (h.status == 407 && !ex.forwardHop.empty()) {
            // The upstream proxy wants credentials: its challenge is not for our client (who
            // would take it for ours), so name the hop as when it refuses a CONNECT.
            dropServer(ex.server, out);
            ex.server = 0;
            failExchange(502, "Bad Gateway",
                         ex.forwardHop + " answered 407" + (h.reason.empty() ? "" : " " + h.reason)
                             + (ex.forwardHopHasCredentials ? " (the credentials were not accepted)"
                                                            : " (no credentials configured)"),
                         now, out);
            return;
        }
        f.status = h.status;
        f.reason = h.reason;
        f.responseHeaders = toList(h.headers);
        recordLinkWire(ex);
        ResponseHead toClient{Version::Http11, h.status, h.reason, h.headers};
        if (ex.clientIs10)
            toClient.version = Version::Http10;
        removeHopByHop(toClient.headers);
        removeHeader(toClient.headers, kLocalErrorField); // ours alone (another Tunnelscope's)
        if (h.status == 101) {
            if (!ex.upgradeRequested || ex.clientIs10) {
                failExchange(502, "Bad Gateway", "the server switched protocols unasked", now, out);
                return;
            }
            if (!m_context.stream) {
                toClient.headers.push_back({"Connection", "Upgrade"});
                if (const std::string *up = findHeader(h.headers, "upgrade"))
                    toClient.headers.push_back({"Upgrade", *up});
            }
            sendResponseHead(std::move(toClient), out);
            ex.headSent = true;
            return; // the parser reports upgraded(); onServerData starts the tunnel
        }
        ex.serverKeepAlive = head->keepAlive && head->framing != BodyFraming::UntilClose;
        if (head->framing == BodyFraming::ContentLength)
            f.responseBody->expect(head->contentLength);
        switch (head->framing) {
        case BodyFraming::None:
        case BodyFraming::ContentLength:
            break;
        case BodyFraming::Chunked:
        case BodyFraming::UntilClose:
            removeHeader(toClient.headers, "content-length");
            if (m_context.stream) {
                // The stream's own framing ends the body.
            } else if (ex.clientIs10) {
                ex.closeClientAfter = true; // HTTP/1.0 has no chunked: delimit by closing
            } else {
                ex.responseChunked = true;
                toClient.headers.push_back({"Transfer-Encoding", "chunked"});
            }
            break;
        }
        if (!ex.requestComplete)
            ex.closeClientAfter = true; // answered before the request ended: cannot resync
        const bool keepAlive = ex.clientKeepAlive && !ex.closeClientAfter && !m_clientEof;
        if (m_context.stream) {
            // The stream's end delimits the exchange: no connection fields.
        } else if (!keepAlive)
            toClient.headers.push_back({"Connection", "close"});
        else if (ex.clientIs10)
            toClient.headers.push_back({"Connection", "keep-alive"});
        ex.closeClientAfter = !keepAlive;
        ex.streamEnded = m_context.stream && head->framing == BodyFraming::None;
        sendResponseHead(std::move(toClient), out, ex.streamEnded);
        ex.headSent = true;
        m_exchangeDirty = true; // published once, when this event is handled
        return;
    }
    if (auto *body = std::get_if<BodyData>(&event)) {
        f.responseBody->append(body->data);
        if (m_context.stream) {
            out.push_back(ResponseData{m_streamId, std::string(body->data)});
            return;
        }
        std::string bytes = ex.responseChunked ? chunk(body->data) : std::string(body->data);
        f.clientResponseWireBytes += bytes.size();
        sendClient(std::move(bytes), out);
        return;
    }
    if (auto *trailers = std::get_if<TrailersEvent>(&event)) {
        f.responseTrailers = toList(trailers->trailers);
        return;
    }
    if (auto *end = std::get_if<MessageEnd>(&event)) {
        if (ex.serverMessages)
            recordLinkWire(ex); // the response's frames have all arrived
        else
            f.responseWireBytes = end->wireSize;
        if (ex.responseChunked) {
            Headers trailers;
            for (const auto &[name, value] : f.responseTrailers)
                trailers.push_back({name, value});
            std::string bytes = lastChunk(trailers);
            f.clientResponseWireBytes += bytes.size();
            sendClient(std::move(bytes), out);
        }
        if (f.status == 101)
            return;
        if (m_context.stream && !ex.streamEnded) {
            if (!f.responseTrailers.empty()) {
                http::Fields trailers;
                for (const auto &[name, value] : f.responseTrailers)
                    trailers.push_back({name, value});
                out.push_back(ResponseTrailers{m_streamId, std::move(trailers)});
            }
            out.push_back(ResponseEnd{m_streamId});
            ex.streamEnded = true;
        }
        completeExchange(now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        const std::string message = "invalid response from the server: " + error->reason;
        dropServer(ex.server, out);
        ex.server = 0;
        if (!ex.headSent)
            failExchange(502, "Bad Gateway", message, now, out);
        else
            abortExchange(message, now, out);
    }
}

void HttpProxySession::onServerEnded(bool error, const std::string &reason, MonoTime now,
                                     std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (!ex.serverConnected) {
        ex.server = 0;
        failExchange(502, "Bad Gateway", reason, now, out);
        return;
    }
    // A pooled connection the server had already closed: replay the request on a fresh one.
    if (!ex.sawServerBytes && ex.flow.serverReused && ex.retryable && !ex.retried) {
        dropServer(ex.server, out);
        ex.retried = true;
        ex.server = ++m_nextServerId;
        ex.serverConnected = false;
        ex.serverMessages = false;
        ex.headForwarded = false;
        ex.pendingBody = std::move(ex.retryBody);
        ex.retryBody.clear();
        ex.openedAt = now;
        out.push_back(OpenServer{ex.server, ex.target.host, ex.target.port, false,
                                 ex.target.scheme == "http" && !ex.upgradeRequested, ex.needsTls});
        return;
    }
    if (!error) {
        std::vector<ResponseEvent> events;
        ex.responseParser.feedEof(events);
        for (ResponseEvent &e : events) {
            onResponseEvent(e, now, out);
            if (!m_exchange)
                break;
        }
        if (!m_exchange)
            return; // completed (close-delimited body) or failed by the parser
    }
    dropServer(ex.server, out);
    ex.server = 0;
    const std::string message = error ? "server connection failed: " + reason
                                      : "the server closed the connection before the response "
                                        "was complete";
    if (!ex.headSent)
        failExchange(502, "Bad Gateway",
                     ex.sawServerBytes ? message
                                       : "the server closed the connection without a response",
                     now, out);
    else
        abortExchange(message, now, out);
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
        Exchange &ex = *m_exchange;
        if (ex.server && !ex.serverConnected && now >= ex.openedAt + t.connect) {
            dropServer(ex.server, out);
            ex.server = 0;
            failExchange(504, "Gateway Timeout",
                         "connecting to " + ex.target.authority() + " timed out after "
                             + secondsText(t.connect),
                         now, out);
            return;
        }
        if (ex.server && ex.serverConnected && ex.requestComplete && !ex.isConnect
            && now >= std::max(ex.lastServerActivity, ex.requestCompleteAt) + t.response) {
            dropServer(ex.server, out);
            ex.server = 0;
            // Forwarding, the silent one is the upstream proxy: name it.
            const std::string from = ex.forwardHop.empty() ? ex.target.authority()
                                                           : ex.forwardHop + " (forwarding to "
                                                                 + ex.target.authority() + ")";
            const std::string message
                = "no response from " + from + " within " + secondsText(t.response);
            if (!ex.headSent)
                failExchange(504, "Gateway Timeout", message, now, out);
            else
                abortExchange(message, now, out);
            return;
        }
        return;
    }
    if (m_headStartedAt >= 0 && now >= m_headStartedAt + t.requestHead) {
        m_headStartedAt = -1;
        newExchange(now).flow.method = "?"; // no usable request head
        failExchange(408, "Request Timeout",
                     "the request head was not complete within " + secondsText(t.requestHead), now,
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
    if (m_exchange) {
        const Exchange &ex = *m_exchange;
        if (ex.server && !ex.serverConnected)
            return ex.openedAt + t.connect;
        if (ex.server && ex.requestComplete && !ex.isConnect)
            return std::max(ex.lastServerActivity, ex.requestCompleteAt) + t.response;
        return kNoDeadline;
    }
    if (m_headStartedAt >= 0)
        return m_headStartedAt + t.requestHead;
    return m_lastClientActivity + t.clientIdle;
}

// ---------------------------------------------------------------------------- answers

void HttpProxySession::respondLocally(int status, std::string_view reason, std::string contentType,
                                      std::string body, bool close, const std::string &error,
                                      MonoTime, std::vector<Command> &out, Headers extra)
{
    Exchange &ex = *m_exchange;
    flow::Flow &f = ex.flow;
    ResponseHead head{
        ex.clientIs10 ? Version::Http10 : Version::Http11, status, std::string(reason), {}};
    head.headers.push_back({"Content-Type", std::move(contentType)});
    // The proxy's own error answer, not the origin's: clients (the composer, tunnelscope send)
    // key on this field rather than on the body's wording.
    if (!error.empty())
        head.headers.push_back({std::string(kLocalErrorField), "1"});
    for (Header &h : extra)
        head.headers.push_back(std::move(h));
    head.headers.push_back({"Content-Length", std::to_string(body.size())});
    head.headers.push_back({"Cache-Control", "no-store"});
    if ((close || !ex.clientKeepAlive) && !m_context.stream)
        head.headers.push_back({"Connection", "close"});
    ex.closeClientAfter = close || !ex.clientKeepAlive;
    if (f.method == "HEAD")
        body.clear();
    if (m_context.tunnelTarget && ex.isConnect) {
        out.push_back(TunnelRefused{status, ex.connectFailure, error});
    } else if (m_context.stream) {
        out.push_back(ResponseHeaders{m_streamId, streamResponse(head), body.empty()});
        if (!body.empty()) {
            out.push_back(ResponseData{m_streamId, body});
            out.push_back(ResponseEnd{m_streamId});
        }
        ex.streamEnded = true;
    } else {
        sendClient(serialize(head) + body, out);
    }
    ex.headSent = true;
    f.status = status;
    f.reason = std::string(reason);
    f.responseHeaders = toList(head.headers);
    f.responseFromProxy = true;
    f.serverProtocol.clear();
    f.responseBody->append(body);
    f.responseWireBytes = 0;
    if (!error.empty())
        f.error = error;
    if (f.kind == flow::FlowKind::Tunnel)
        f.closeReason = error;
}

void HttpProxySession::failExchange(int status, std::string_view reason, const std::string &error,
                                    MonoTime now, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    // A request whose body has not all arrived leaves the connection out of step: answer,
    // record, and close.
    respondLocally(status, reason, "text/plain; charset=utf-8",
                   std::to_string(status) + " " + std::string(reason) + "\n\nTunnelscope: " + error
                       + "\n",
                   !ex.requestComplete, error, now, out);
    ex.flow.state = flow::FlowState::Failed;
    completeExchange(now, out);
}

void HttpProxySession::abortExchange(std::string error, MonoTime now, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (ex.server)
        dropServer(ex.server, out);
    ex.server = 0;
    ex.flow.state = flow::FlowState::Failed;
    ex.flow.error = error;
    ex.flow.timings.complete = since(ex.flow, now);
    publish(ex.flow, out);
    if (m_context.stream && !ex.streamEnded)
        out.push_back(StreamReset{m_streamId, 0x2, error}); // INTERNAL_ERROR
    m_exchange.reset();
    closeClient(true, error, now, out);
}

void HttpProxySession::completeExchange(MonoTime now, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    flow::Flow &f = ex.flow;
    if (f.state == flow::FlowState::Open)
        f.state = flow::FlowState::Complete;
    f.timings.complete = since(f, now);
    if (f.kind == flow::FlowKind::Tunnel)
        f.closedWall = wallNow();
    publish(f, out);

    if (ex.server) {
        const bool reusable = ex.serverKeepAlive && ex.requestComplete && ex.responseParser.idle()
                              && !ex.responseParser.upgraded();
        if (reusable && m_intercept)
            m_intercept->idleServer = ex.server; // TLS state lives here, not in the pool
        else if (reusable && (!ex.needsTls || ex.carrierTls))
            out.push_back(ReleaseServer{ex.server});
        else
            dropServer(ex.server, out);
    }
    const bool close = ex.closeClientAfter || !ex.clientKeepAlive || !ex.requestComplete
                       || m_clientEof || m_context.stream;
    m_exchange.reset();
    if (close) {
        closeClient(false, "response complete", now, out);
        return;
    }
    pumpClient(now, out); // a pipelined request may be waiting
}

void HttpProxySession::startTunnel(std::string firstBytesToServer, MonoTime now,
                                   std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    m_tunnel = std::make_unique<Tunnel>();
    m_tunnel->server = ex.server;
    m_tunnel->flow = std::move(ex.flow);
    m_tunnel->lastActivity = now;
    m_tunnel->lastPublish = now;
    m_tunnel->flow.timings.requestSent = since(m_tunnel->flow, now);
    const bool sniff = ex.isConnect && m_context.intercept;
    m_exchange.reset();
    m_mode = sniff ? Mode::Sniff : Mode::Tunnel;
    publish(m_tunnel->flow, out);

    // Whatever the client sent after its CONNECT (or upgrade request) belongs to the tunnel.
    std::string early = std::move(firstBytesToServer);
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
    startServerTls(t.server, in.sni, in.verifyName, in.alpnOffer, in.verify, now, out);
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
        const tls::TlsSession &server = *m_serverTls.at(t.server);
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
        maybeStartOriginH2(t.server, in.target.authority(), now, out);
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
        abortExchange("TLS with the client failed: " + session.error(), now, out);
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
    Exchange &ex = newExchange(now);
    flow::Flow &f = ex.flow;
    ex.isConnect = true;
    ex.requestComplete = true;
    ex.clientKeepAlive = false;
    ex.openedAt = now;
    ex.requestCompleteAt = now;
    ex.target = *m_context.tunnelTarget;
    f.kind = flow::FlowKind::Tunnel;
    f.method = "CONNECT";
    f.clientProtocol = m_context.clientProtocol;
    f.host = ex.target.host;
    f.port = ex.target.port;
    f.clientTls = m_context.clientTls;
    if (m_context.interceptedParent)
        f.parent = m_context.interceptedParent;
    ex.server = ++m_nextServerId;
    out.push_back(OpenServer{ex.server, ex.target.host, ex.target.port, false});
    publish(f, out);
    m_mode = Mode::Http;
}

} // namespace ts::proxy

namespace ts::proxy {

// ---------------------------------------------------------------------------- server-side records

// Every server connection this session opens gets a flow::Connection record (side Server). It
// is created when OpenServer goes out, published when the server is connected, kept up to date
// from the bytes going in (ServerData, RelayProgress) and out (SendToServer), republished at
// most every tunnelPublishInterval while it moves bytes, and published closed by dropServer.
// A released connection takes its record to the engine's pool (ReleaseServer::record), which
// hands it back with ServerConnected when the connection is reused, or publishes it closed.
// A server that chose h2 keeps the same id; H2OriginLink's record is then the one kept.

flow::Connection *HttpProxySession::serverRecord(ServerId id)
{
    const auto it = m_serverRecords.find(id);
    if (it == m_serverRecords.end())
        return nullptr;
    if (it->second.onH2) {
        const auto h2 = m_serverH2.find(id);
        return h2 == m_serverH2.end() ? nullptr : &h2->second.record;
    }
    return &it->second.record;
}

void HttpProxySession::noteServerEvent(const Event &event)
{
    std::visit(
        [&](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, RelayProgress>) {
                if (!m_tunnel || !m_tunnel->relayed)
                    return;
                const auto it = m_serverRecords.find(m_tunnel->server);
                if (it == m_serverRecords.end() || it->second.onH2)
                    return;
                const flow::Flow &f = m_tunnel->flow;
                const std::uint64_t up = m_tunnel->relayBaseUp + e.clientToServer;
                const std::uint64_t down = m_tunnel->relayBaseDown + e.serverToClient;
                it->second.record.bytesOut += up - std::min(up, f.bytesClientToServer);
                it->second.record.bytesIn += down - std::min(down, f.bytesServerToClient);
                it->second.dirty = true;
                return;
            }
            if constexpr (requires { e.id; }) {
                if (m_front && m_front->ownsServer(e.id))
                    return;
                const auto it = m_serverRecords.find(e.id);
                if (it == m_serverRecords.end())
                    return;
                ServerRecord &r = it->second;
                if constexpr (std::is_same_v<T, ServerConnected>) {
                    if (e.reused && e.record) {
                        // The pooled connection's record, as its last user left it.
                        r.record = *e.record;
                        r.record.closedWall = 0;
                        r.record.closeReason.clear();
                    } else {
                        r.record.openedWall = wallNow();
                    }
                    r.record.peerAddress = e.peerAddress;
                    r.dirty = r.milestone = true;
                } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                    m_serverRecords.erase(it); // never connected: the flow says why
                } else if constexpr (std::is_same_v<T, ServerData>) {
                    if (flow::Connection *c = serverRecord(e.id)) {
                        c->bytesIn += e.data.size();
                        r.dirty = true;
                    }
                } else if constexpr (std::is_same_v<T, ServerEof>) {
                    r.endedBy = "closed by the server";
                } else if constexpr (std::is_same_v<T, ServerGone>) {
                    r.endedBy = "server connection failed: " + e.reason;
                }
            }
        },
        event);
}

void HttpProxySession::trackServerCommands(std::vector<Command> &out, std::size_t first, bool tick)
{
    std::vector<Command> published;
    for (std::size_t i = first; i < out.size(); ++i) {
        if (const auto *open = std::get_if<OpenServer>(&out[i])) {
            // Only this session's own ids: a front's children keep records of their own.
            if (open->id == 0 || open->id > m_nextServerId)
                continue;
            // A carrier that secures origins (OriginPool) keeps the record of what it opens.
            if (open->tls && m_context.carrierSecures)
                continue;
            ServerRecord &r = m_serverRecords[open->id];
            r.record.id = m_context.newConnectionId();
            r.record.side = flow::Side::Server;
            // A CONNECT tunnel's bytes are relayed as they come ("TCP") until the proxy
            // decrypts them and speaks HTTP/1.1 to the server itself.
            const bool tunnel
                = m_exchange && m_exchange->server == open->id && m_exchange->isConnect;
            r.record.protocol = tunnel ? "TCP" : "HTTP/1.1";
            r.record.target = Target{"", open->host, open->port, {}}.authority();
            r.record.parent = m_context.connectionId;
        } else if (const auto *send = std::get_if<SendToServer>(&out[i])) {
            const auto it = m_serverRecords.find(send->id);
            if (it == m_serverRecords.end() || send->id > m_nextServerId)
                continue;
            if (flow::Connection *c = serverRecord(send->id)) {
                c->bytesOut += send->data.size();
                it->second.dirty = true;
            }
        } else if (auto *release = std::get_if<ReleaseServer>(&out[i])) {
            const auto it = m_serverRecords.find(release->id);
            if (it == m_serverRecords.end() || release->id > m_nextServerId || it->second.onH2)
                continue;
            release->record = std::make_shared<flow::Connection>(it->second.record);
            published.push_back(PublishConnection{it->second.record});
            m_serverRecords.erase(it);
        } else if (std::holds_alternative<CloseClient>(out[i])) {
            // The engine closes every server with the client connection.
            while (!m_serverRecords.empty())
                closeServerRecord(m_serverRecords.begin()->first,
                                  "closed with the client connection", published);
        }
    }
    for (auto &[id, r] : m_serverRecords) {
        if (r.onH2)
            continue;
        // Once the proxy's own TLS to the server is up, it speaks HTTP to it.
        const auto tls = m_serverTls.find(id);
        if (!r.tlsRecorded && tls != m_serverTls.end() && tls->second->handshakeDone()) {
            flow::TlsSide side;
            record(side, *tls->second);
            r.record.tls = shared(side);
            r.record.protocol = "HTTP/1.1";
            r.tlsRecorded = true;
            r.dirty = r.milestone = true;
        }
        if (r.record.openedWall == 0 || !r.dirty)
            continue; // not connected yet, or nothing new
        // Milestones (connected, TLS up, a flow more) go out at once, byte counts at most every
        // interval (and on the Tick a tunnel asks for, so the last counts are not left behind).
        if (r.milestone || tick || m_now >= r.lastPublish + m_context.tunnelPublishInterval) {
            published.push_back(PublishConnection{r.record});
            r.lastPublish = m_now;
            r.dirty = r.milestone = false;
        }
    }
    for (Command &c : published)
        out.push_back(std::move(c));
}

void HttpProxySession::linkServer(flow::Flow &flow, ServerId id)
{
    const auto it = m_serverRecords.find(id);
    flow::Connection *c = serverRecord(id);
    if (!c)
        return;
    flow.serverConnection = c->id;
    ++c->flows;
    it->second.dirty = it->second.milestone = true;
}

void HttpProxySession::adoptServerRecord(ServerId id, flow::Connection &h2Record)
{
    const auto it = m_serverRecords.find(id);
    if (it == m_serverRecords.end() || it->second.onH2)
        return;
    const flow::Connection &mine = it->second.record;
    h2Record.id = mine.id;
    h2Record.peerAddress = mine.peerAddress;
    h2Record.openedWall = mine.openedWall;
    h2Record.bytesIn = mine.bytesIn;
    h2Record.bytesOut = mine.bytesOut;
    h2Record.flows = mine.flows;
    it->second.onH2 = true;
}

void HttpProxySession::closeServerRecord(ServerId id, std::string reason, std::vector<Command> &out)
{
    const auto it = m_serverRecords.find(id);
    if (it == m_serverRecords.end())
        return;
    ServerRecord &r = it->second;
    if (!r.onH2 && r.record.openedWall != 0) {
        const auto tls = m_serverTls.find(id);
        if (!r.tlsRecorded && tls != m_serverTls.end()) {
            flow::TlsSide side;
            record(side, *tls->second); // a failed handshake says why
            r.record.tls = shared(side);
        }
        r.record.closedWall = wallNow();
        r.record.closeReason = r.endedBy.empty() ? std::move(reason) : r.endedBy;
        out.push_back(PublishConnection{r.record});
    }
    m_serverRecords.erase(it);
}

} // namespace ts::proxy
