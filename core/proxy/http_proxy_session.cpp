#include "core/proxy/http_proxy_session.h"

#include <algorithm>

namespace ts::proxy {

using namespace ts::http1;

namespace {

std::string_view statusReason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 504: return "Gateway Timeout";
    case 508: return "Loop Detected";
    default: return "Error";
    }
}

flow::HeaderList toList(const Headers &headers)
{
    flow::HeaderList out;
    out.reserve(headers.size());
    for (const Header &h : headers)
        out.emplace_back(h.name, h.value);
    return out;
}

bool isIdempotent(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE"
           || method == "PUT" || method == "DELETE";
}

std::string htmlEscape(std::string_view in)
{
    std::string out;
    for (char c : in) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string secondsText(MonoTime t)
{
    return std::to_string(t / kSecond) + " s";
}

} // namespace

HttpProxySession::HttpProxySession(SessionContext context, MonoTime now)
    : m_context(std::move(context))
    , m_parser(m_context.http1)
    , m_lastClientActivity(now)
{
    m_connection.id = m_context.connectionId;
    m_connection.clientAddress = m_context.clientAddress;
    m_connection.listenAddress = m_context.listenAddress;
    m_connection.openedWall = wallNow();
}

void HttpProxySession::start(MonoTime, std::vector<Command> &out)
{
    publishConnection(out);
}

void HttpProxySession::handle(const Event &event, MonoTime now, std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    std::visit(
        [&](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ClientData>) {
                onClientData(e.data, now, out);
            } else if constexpr (std::is_same_v<T, ClientEof>) {
                onClientEof(now, out);
            } else if constexpr (std::is_same_v<T, ClientGone>) {
                if (m_tunnel)
                    closeTunnel("client connection failed: " + e.reason, now, out);
                else if (m_exchange)
                    abortExchange("client connection failed: " + e.reason, now, out);
                closeClient(true, e.reason, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnected>) {
                onServerConnected(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                onServerConnectFailed(e, now, out);
            } else if constexpr (std::is_same_v<T, ServerData>) {
                if (m_tunnel && e.id == m_tunnel->server) {
                    m_tunnel->lastActivity = now;
                    m_tunnel->flow.bytesServerToClient += e.data.size();
                    m_connection.bytesOut += e.data.size();
                    out.push_back(SendToClient{std::string(e.data)});
                } else if (m_exchange && e.id == m_exchange->server) {
                    onServerData(e.data, now, out);
                }
            } else if constexpr (std::is_same_v<T, ServerEof>) {
                if (m_tunnel && e.id == m_tunnel->server) {
                    m_tunnel->serverEof = true;
                    m_tunnel->lastActivity = now;
                    if (m_tunnel->clientEof)
                        closeTunnel("closed by both sides", now, out);
                    else
                        out.push_back(ShutdownClient{});
                } else if (m_exchange && e.id == m_exchange->server) {
                    onServerEnded(false, "the server closed the connection", now, out);
                }
            } else if constexpr (std::is_same_v<T, ServerGone>) {
                if (m_tunnel && e.id == m_tunnel->server)
                    closeTunnel("server connection failed: " + e.reason, now, out);
                else if (m_exchange && e.id == m_exchange->server)
                    onServerEnded(true, e.reason, now, out);
            } else if constexpr (std::is_same_v<T, Tick>) {
                onTick(now, out);
            }
        },
        event);
}

// ---------------------------------------------------------------------------- client side

void HttpProxySession::onClientData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    m_connection.bytesIn += data.size();
    m_lastClientActivity = now;
    if (m_tunnel) {
        m_tunnel->lastActivity = now;
        m_tunnel->flow.bytesClientToServer += data.size();
        out.push_back(SendToServer{m_tunnel->server, std::string(data)});
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
    if (m_tunnel) {
        m_tunnel->clientEof = true;
        m_tunnel->lastActivity = now;
        if (m_tunnel->serverEof)
            closeTunnel("closed by both sides", now, out);
        else
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
        if (!m_exchange && m_headStartedAt < 0)
            m_headStartedAt = now;
        events.clear();
        const std::size_t used =
            m_parser.feed(std::string_view(m_input).substr(m_inputPos), events);
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
    updateClientPause(out);
}

void HttpProxySession::updateClientPause(std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    std::size_t held = m_input.size() - m_inputPos;
    if (m_exchange)
        held += m_exchange->pendingToServer.size();
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
                out.push_back(CloseServer{m_exchange->server});
            failExchange(error->status, statusReason(error->status), error->reason, now, out);
        } else if (m_exchange) {
            abortExchange("invalid request body: " + error->reason, now, out);
        } else {
            m_exchange = std::make_unique<Exchange>(m_context.http1);
            flow::Flow &f = m_exchange->flow;
            f.id = m_context.newFlowId();
            f.clientConnection = m_context.connectionId;
            f.clientAddress = m_context.clientAddress;
            f.startedWall = wallNow();
            f.startedMono = now;
            f.method = "?";
            f.requestBody = std::make_shared<flow::Body>(m_context.bodies);
            f.responseBody = std::make_shared<flow::Body>(m_context.bodies);
            ++m_connection.flows;
            failExchange(error->status, statusReason(error->status), error->reason, now, out);
        }
        closeClient(false, "invalid request", now, out);
        return;
    }
    if (!m_exchange)
        return;
    Exchange &ex = *m_exchange;
    if (auto *body = std::get_if<BodyData>(&event)) {
        ex.flow.requestBody->append(body->data);
        if (ex.server)
            sendToServer(ex.requestChunked ? chunk(body->data) : std::string(body->data), out);
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
        if (ex.server && ex.requestChunked) {
            Headers trailers;
            for (const auto &[name, value] : ex.flow.requestTrailers)
                trailers.push_back({name, value});
            sendToServer(lastChunk(trailers), out);
        }
        if (ex.serverConnected)
            ex.flow.timings.requestSent = since(ex.flow, now);
        if (ex.retryBytes.size() > 64 * 1024)
            ex.retryable = false;
        if (ex.isConnect && ex.serverConnected && !m_tunnel)
            startTunnel({}, now, out);
        else if (!ex.server && ex.flow.responseFromProxy)
            completeExchange(now, out); // answered locally (info page)
    }
}

void HttpProxySession::beginExchange(RequestHeadEvent &ev, MonoTime now, std::vector<Command> &out)
{
    m_exchange = std::make_unique<Exchange>(m_context.http1);
    Exchange &ex = *m_exchange;
    ++m_connection.flows;
    RequestHead &head = ev.head;
    flow::Flow &f = ex.flow;
    f.id = m_context.newFlowId();
    f.clientConnection = m_context.connectionId;
    f.clientAddress = m_context.clientAddress;
    f.startedWall = wallNow();
    f.startedMono = now;
    f.method = head.method;
    f.clientProtocol = std::string(versionText(head.version));
    f.requestHeaders = toList(head.headers);
    f.requestBody = std::make_shared<flow::Body>(m_context.bodies);
    f.responseBody = std::make_shared<flow::Body>(m_context.bodies);
    ex.openedAt = now;
    ex.clientKeepAlive = ev.keepAlive;
    ex.clientIs10 = head.version == Version::Http10;
    ex.requestChunked = ev.framing == BodyFraming::Chunked;

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
        if (head.method == "GET" || head.method == "HEAD") {
            respondLocally(200, "OK", "text/html; charset=utf-8", infoPage(), false, {}, now, out);
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
        if (ex.target.scheme == "https") {
            failExchange(501, "Not Implemented",
                         "https:// URLs in absolute-form need TLS to the origin, which this "
                         "version does not do; use CONNECT (curl -p) instead",
                         now, out);
            return;
        }
    }

    ex.server = ++m_nextServerId;
    out.push_back(OpenServer{ex.server, ex.target.host, ex.target.port, !ex.isConnect});
    publish(f, out);

    if (ex.isConnect)
        return;

    // The request as the origin gets it: origin-form, Host from the target (RFC 9112 §3.2.2),
    // hop-by-hop fields removed, framing re-applied.
    ex.upgradeRequested = findHeader(head.headers, "upgrade") != nullptr
                          && headerHasToken(head.headers, "connection", "upgrade");
    const std::string upgrade = ex.upgradeRequested ? *findHeader(head.headers, "upgrade") : "";
    RequestHead forwarded{head.method, ex.target.path, Version::Http11, head.headers};
    removeHopByHop(forwarded.headers);
    removeHeader(forwarded.headers, "host");
    forwarded.headers.insert(forwarded.headers.begin(), {"Host", ex.target.authority(true)});
    if (ex.requestChunked)
        forwarded.headers.push_back({"Transfer-Encoding", "chunked"});
    if (ex.upgradeRequested) {
        forwarded.headers.push_back({"Connection", "Upgrade"});
        forwarded.headers.push_back({"Upgrade", upgrade});
    }
    ex.retryable = isIdempotent(head.method) && !ex.upgradeRequested;
    std::string bytes = serialize(forwarded);
    if (ex.retryable)
        ex.retryBytes = bytes;
    ex.pendingToServer = std::move(bytes);
    ex.responseParser.expectResponseTo(head.method);
}

void HttpProxySession::sendToServer(std::string data, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (ex.retryable && !ex.retried) {
        ex.retryBytes += data;
        if (ex.retryBytes.size() > 64 * 1024) {
            ex.retryable = false;
            std::string().swap(ex.retryBytes);
        }
    }
    if (!ex.serverConnected) {
        ex.pendingToServer += data;
        return;
    }
    out.push_back(SendToServer{ex.server, std::move(data)});
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
    if (!e.reused) {
        if (e.lookupDone >= 0)
            f.timings.lookup = since(f, e.lookupDone);
        if (e.connectDone >= 0)
            f.timings.connect = since(f, e.connectDone);
    }
    if (ex.isConnect) {
        out.push_back(SendToClient{"HTTP/1.1 200 Connection established\r\n\r\n"});
        f.status = 200;
        f.reason = "Connection established";
        if (ex.requestComplete)
            startTunnel({}, now, out);
        return;
    }
    if (!ex.pendingToServer.empty()) {
        out.push_back(SendToServer{ex.server, std::move(ex.pendingToServer)});
        ex.pendingToServer.clear();
    }
    if (ex.requestComplete)
        f.timings.requestSent = since(f, now);
    publish(f, out);
    pumpClient(now, out); // the body may have been held back while connecting
}

void HttpProxySession::onServerConnectFailed(const ServerConnectFailed &e, MonoTime now,
                                             std::vector<Command> &out)
{
    if (!m_exchange || e.id != m_exchange->server)
        return;
    Exchange &ex = *m_exchange;
    if (e.lookupDone >= 0)
        ex.flow.timings.lookup = since(ex.flow, e.lookupDone);
    ex.server = 0;
    switch (e.kind) {
    case ConnectFailure::LoopDetected:
        failExchange(508, "Loop Detected", e.message, now, out);
        break;
    default:
        failExchange(502, "Bad Gateway", e.message, now, out);
        break;
    }
}

void HttpProxySession::onServerData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    ex.lastServerActivity = now;
    if (!ex.sawServerBytes) {
        ex.sawServerBytes = true;
        ex.flow.timings.firstByte = since(ex.flow, now);
        ex.retryable = false;
        std::string().swap(ex.retryBytes);
    }
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
                out.push_back(SendToClient{std::string(data)});
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

void HttpProxySession::onResponseEvent(ResponseEvent &event, MonoTime now,
                                       std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    flow::Flow &f = ex.flow;
    if (auto *head = std::get_if<ResponseHeadEvent>(&event)) {
        ResponseHead &h = head->head;
        f.serverProtocol = std::string(versionText(h.version));
        if (head->informational) {
            // 1xx are forwarded to HTTP/1.1 clients only (RFC 9110 §15.2).
            if (!ex.clientIs10) {
                ResponseHead interim{Version::Http11, h.status, h.reason, h.headers};
                removeHopByHop(interim.headers);
                out.push_back(SendToClient{serialize(interim)});
            }
            return;
        }
        f.status = h.status;
        f.reason = h.reason;
        f.responseHeaders = toList(h.headers);
        ResponseHead toClient{Version::Http11, h.status, h.reason, h.headers};
        if (ex.clientIs10)
            toClient.version = Version::Http10;
        removeHopByHop(toClient.headers);
        if (h.status == 101) {
            if (!ex.upgradeRequested || ex.clientIs10) {
                failExchange(502, "Bad Gateway", "the server switched protocols unasked", now,
                             out);
                return;
            }
            toClient.headers.push_back({"Connection", "Upgrade"});
            if (const std::string *up = findHeader(h.headers, "upgrade"))
                toClient.headers.push_back({"Upgrade", *up});
            out.push_back(SendToClient{serialize(toClient)});
            ex.headSent = true;
            return; // the parser reports upgraded(); onServerData starts the tunnel
        }
        ex.serverKeepAlive = head->keepAlive && head->framing != BodyFraming::UntilClose;
        switch (head->framing) {
        case BodyFraming::None:
        case BodyFraming::ContentLength:
            break;
        case BodyFraming::Chunked:
        case BodyFraming::UntilClose:
            removeHeader(toClient.headers, "content-length");
            if (ex.clientIs10) {
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
        if (!keepAlive)
            toClient.headers.push_back({"Connection", "close"});
        else if (ex.clientIs10)
            toClient.headers.push_back({"Connection", "keep-alive"});
        ex.closeClientAfter = !keepAlive;
        out.push_back(SendToClient{serialize(toClient)});
        ex.headSent = true;
        publish(f, out);
        return;
    }
    if (auto *body = std::get_if<BodyData>(&event)) {
        f.responseBody->append(body->data);
        out.push_back(SendToClient{ex.responseChunked ? chunk(body->data) : std::string(body->data)});
        return;
    }
    if (auto *trailers = std::get_if<TrailersEvent>(&event)) {
        f.responseTrailers = toList(trailers->trailers);
        return;
    }
    if (auto *end = std::get_if<MessageEnd>(&event)) {
        f.responseWireBytes = end->wireSize;
        if (ex.responseChunked) {
            Headers trailers;
            for (const auto &[name, value] : f.responseTrailers)
                trailers.push_back({name, value});
            out.push_back(SendToClient{lastChunk(trailers)});
        }
        if (f.status == 101)
            return;
        completeExchange(now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        const std::string message = "invalid response from the server: " + error->reason;
        out.push_back(CloseServer{ex.server});
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
        out.push_back(CloseServer{ex.server});
        ex.retried = true;
        ex.server = ++m_nextServerId;
        ex.serverConnected = false;
        ex.pendingToServer = std::move(ex.retryBytes);
        ex.retryBytes.clear();
        ex.openedAt = now;
        out.push_back(OpenServer{ex.server, ex.target.host, ex.target.port, false});
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
    out.push_back(CloseServer{ex.server});
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
        const std::uint64_t bytes =
            m_tunnel->flow.bytesClientToServer + m_tunnel->flow.bytesServerToClient;
        if (now >= m_tunnel->lastPublish + m_context.tunnelPublishInterval
            && bytes != m_tunnel->publishedBytes) {
            m_tunnel->lastPublish = now;
            m_tunnel->publishedBytes = bytes;
            publish(m_tunnel->flow, out);
        }
        return;
    }
    if (m_exchange) {
        Exchange &ex = *m_exchange;
        if (ex.server && !ex.serverConnected && now >= ex.openedAt + t.connect) {
            out.push_back(CloseServer{ex.server});
            ex.server = 0;
            failExchange(504, "Gateway Timeout",
                         "connecting to " + ex.target.authority() + " timed out after "
                             + secondsText(t.connect),
                         now, out);
            return;
        }
        if (ex.server && ex.serverConnected && ex.requestComplete && !ex.isConnect
            && now >= std::max(ex.lastServerActivity, ex.requestCompleteAt) + t.response) {
            out.push_back(CloseServer{ex.server});
            ex.server = 0;
            const std::string message = "no response from " + ex.target.authority() + " within "
                                        + secondsText(t.response);
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
        m_exchange = std::make_unique<Exchange>(m_context.http1);
        flow::Flow &f = m_exchange->flow;
        f.id = m_context.newFlowId();
        f.clientConnection = m_context.connectionId;
        f.clientAddress = m_context.clientAddress;
        f.startedWall = wallNow();
        f.startedMono = now;
        f.method = "?";
        f.requestBody = std::make_shared<flow::Body>(m_context.bodies);
        f.responseBody = std::make_shared<flow::Body>(m_context.bodies);
        ++m_connection.flows;
        failExchange(408, "Request Timeout",
                     "the request head was not complete within " + secondsText(t.requestHead),
                     now, out);
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
    const Timeouts &t = m_context.timeouts;
    if (m_tunnel) {
        MonoTime d = m_tunnel->lastActivity + t.tunnelIdle;
        const std::uint64_t bytes =
            m_tunnel->flow.bytesClientToServer + m_tunnel->flow.bytesServerToClient;
        if (bytes != m_tunnel->publishedBytes)
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
                                      MonoTime, std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    flow::Flow &f = ex.flow;
    ResponseHead head{ex.clientIs10 ? Version::Http10 : Version::Http11, status,
                      std::string(reason), {}};
    head.headers.push_back({"Content-Type", std::move(contentType)});
    head.headers.push_back({"Content-Length", std::to_string(body.size())});
    head.headers.push_back({"Cache-Control", "no-store"});
    if (close || !ex.clientKeepAlive)
        head.headers.push_back({"Connection", "close"});
    ex.closeClientAfter = close || !ex.clientKeepAlive;
    if (f.method == "HEAD")
        body.clear();
    out.push_back(SendToClient{serialize(head) + body});
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

void HttpProxySession::abortExchange(const std::string &error, MonoTime now,
                                     std::vector<Command> &out)
{
    Exchange &ex = *m_exchange;
    if (ex.server)
        out.push_back(CloseServer{ex.server});
    ex.server = 0;
    ex.flow.state = flow::FlowState::Failed;
    ex.flow.error = error;
    ex.flow.timings.complete = since(ex.flow, now);
    publish(ex.flow, out);
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
        const bool reusable = ex.serverKeepAlive && ex.requestComplete
                              && ex.responseParser.idle() && !ex.responseParser.upgraded();
        if (reusable)
            out.push_back(ReleaseServer{ex.server});
        else
            out.push_back(CloseServer{ex.server});
    }
    const bool close = ex.closeClientAfter || !ex.clientKeepAlive || !ex.requestComplete
                       || m_clientEof;
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
    m_exchange.reset();
    m_mode = Mode::Tunnel;
    publish(m_tunnel->flow, out);

    // Whatever the client sent after its CONNECT (or upgrade request) belongs to the tunnel.
    std::string early = std::move(firstBytesToServer);
    early.append(m_input, m_inputPos, std::string::npos);
    m_input.clear();
    m_inputPos = 0;
    if (!early.empty()) {
        m_tunnel->flow.bytesClientToServer += early.size();
        out.push_back(SendToServer{m_tunnel->server, std::move(early)});
    }
    if (m_clientPaused) {
        m_clientPaused = false;
        out.push_back(ResumeClient{});
    }
    if (m_clientEof) {
        m_tunnel->clientEof = true;
        out.push_back(ShutdownServer{m_tunnel->server});
    }
}

void HttpProxySession::closeTunnel(const std::string &reason, MonoTime now,
                                   std::vector<Command> &out)
{
    flow::Flow &f = m_tunnel->flow;
    f.closeReason = reason;
    f.closedWall = wallNow();
    f.timings.complete = since(f, now);
    if (f.state == flow::FlowState::Open)
        f.state = reason.find("failed") != std::string::npos ? flow::FlowState::Failed
                                                              : flow::FlowState::Complete;
    if (f.state == flow::FlowState::Failed)
        f.error = reason;
    publish(f, out);
    out.push_back(CloseServer{m_tunnel->server});
    m_tunnel.reset();
    closeClient(false, reason, now, out);
}

void HttpProxySession::closeClient(bool abort, const std::string &reason, MonoTime,
                                   std::vector<Command> &out)
{
    if (m_mode == Mode::Closed)
        return;
    if (m_tunnel) {
        out.push_back(CloseServer{m_tunnel->server});
        m_tunnel.reset();
    }
    m_mode = Mode::Closed;
    out.push_back(CloseClient{abort});
    m_connection.closedWall = wallNow();
    m_connection.closeReason = reason;
    publishConnection(out);
}

void HttpProxySession::publish(const flow::Flow &flow, std::vector<Command> &out) const
{
    out.push_back(PublishFlow{flow});
}

void HttpProxySession::publishConnection(std::vector<Command> &out) const
{
    out.push_back(PublishConnection{m_connection});
}

std::string HttpProxySession::infoPage() const
{
    const std::string proxy = htmlEscape(m_context.listenAddress);
    return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Tunnelscope</title>"
           "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44em;margin:2em auto;"
           "padding:0 1em}code,pre{background:#f2f2f2;padding:.1em .3em;border-radius:3px}"
           "</style></head><body>\n"
           "<h1>Tunnelscope</h1>\n"
           "<p>This address is a proxy, not a web server. Point your HTTP client at it and every "
           "request shows up in Tunnelscope.</p>\n"
           "<h2>curl</h2>\n<pre>curl -x http://"
           + proxy + " http://example.com/\ncurl -p -x http://" + proxy
           + " https://example.com/   # tunnelled with CONNECT</pre>\n"
             "<h2>Environment</h2>\n<pre>export http_proxy=http://"
           + proxy + "\nexport https_proxy=http://" + proxy
           + "</pre>\n<h2>Chromium</h2>\n<pre>chromium --proxy-server=http://" + proxy
           + "</pre>\n</body></html>\n";
}

} // namespace ts::proxy
