#include "core/proxy/http_stream.h"

#include "core/http/message.h"
#include "core/proxy/h2_origin_link.h"
#include "core/proxy/info_page.h"
#include "core/proxy/stream_h1.h"
#include "core/proxy/tls_record.h"

#include "core/tls/certificate_authority.h"
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

bool isIdempotent(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE"
           || method == "PUT" || method == "DELETE";
}

} // namespace

HttpStream::HttpStream(StreamClient &client, StreamServers &servers, const SessionContext &context,
                       MonoTime now)
    : m_client(client), m_servers(servers), m_context(context), m_responseParser(context.http1)
{
    flow::Flow &f = m_flow;
    f.id = m_context.newFlowId();
    f.clientConnection = m_context.connectionId;
    f.clientAddress = m_context.clientAddress;
    f.clientStream = m_context.clientStream;
    f.startedWall = wallNow();
    f.startedMono = now;
    f.requestBody = std::make_shared<flow::Body>(m_context.bodies);
    f.responseBody = std::make_shared<flow::Body>(m_context.bodies);
    m_openedAt = now;
}

HttpStream::~HttpStream() = default;

void HttpStream::publish(std::vector<Command> &out) const
{
    out.push_back(PublishFlow{std::make_shared<flow::Flow>(m_flow)});
}

// ---------------------------------------------------------------------------- the request

void HttpStream::requestHead(RequestHeadEvent &ev, const RequestHeaders *stream, MonoTime now,
                             std::vector<Command> &out)
{
    // From a stream, the flow keeps the fields as they crossed the client's wire, and the
    // server gets the client's own fields, not those of the HTTP/1.1 head made from them.
    const http::Request *fromStream = stream ? &stream->request : nullptr;
    RequestHead &head = ev.head;
    flow::Flow &f = m_flow;
    f.method = head.method;
    f.clientProtocol = m_context.clientProtocol.empty() ? std::string(versionText(head.version))
                                                        : m_context.clientProtocol;
    f.requestHeaders = stream ? stream->wire : toList(head.headers);
    m_openedAt = now;
    m_clientKeepAlive = ev.keepAlive;
    m_clientIs10 = head.version == Version::Http10;
    m_requestChunked = ev.framing == BodyFraming::Chunked;
    m_requestBody = ev.framing != BodyFraming::None;
    if (ev.framing == BodyFraming::ContentLength)
        f.requestBody->expect(ev.contentLength);

    const StreamServers::Intercepted *in = m_servers.intercepted();
    if (head.method == "CONNECT") {
        m_isConnect = true;
        f.kind = flow::FlowKind::Tunnel;
        auto target = parseAuthorityForm(head.target);
        if (!target) {
            f.path = head.target;
            fail(400, "Bad Request", target.error().message, now, out);
            return;
        }
        m_target = *target;
        f.host = m_target.host;
        f.port = m_target.port;
    } else if (in && !head.target.empty() && head.target.front() == '/') {
        // Inside a decrypted tunnel: an ordinary request to the tunnel's origin.
        m_target = in->target;
        m_target.path = head.target;
        f.scheme = "https";
        f.host = m_target.host;
        f.port = m_target.port;
        f.path = m_target.path;
    } else if (!head.target.empty() && head.target.front() == '/') {
        localPage(head, now, out);
        return;
    } else {
        auto target = parseAbsoluteForm(head.target);
        if (!target) {
            f.path = head.target;
            const bool scheme = target.error().code == "target.scheme";
            fail(scheme ? 501 : 400, scheme ? "Not Implemented" : "Bad Request",
                 target.error().message, now, out);
            return;
        }
        m_target = *target;
        f.scheme = m_target.scheme;
        f.host = m_target.host;
        f.port = m_target.port;
        f.path = m_target.path;
        if (m_target.scheme == "https" && !m_context.intercept) {
            fail(501, "Not Implemented",
                 "https:// URLs in absolute-form need TLS to the origin, which is off", now, out);
            return;
        }
    }
    m_needsTls = !m_isConnect && m_target.scheme == "https";
    if (auto tls = m_servers.clientTls())
        f.clientTls = std::move(tls);
    else if (m_context.clientTls)
        f.clientTls = m_context.clientTls;
    if (m_context.interceptedParent && !m_isConnect) {
        f.intercepted = true;
        f.parent = m_context.interceptedParent;
    }

    bool reuse = false;
    if (in && !m_isConnect) {
        f.intercepted = true;
        f.parent = in->tunnelFlow;
        f.clientTls = in->clientTls;
        f.serverTls = in->serverTls;
        if (!in->error.empty()) {
            fail(502, "Bad Gateway", in->error, now, out);
            return;
        }
        if (const ServerId idle = m_servers.takeIdleServer(out)) {
            m_server = idle;
            f.serverReused = true;
            f.upstream = in->upstream;
            m_servers.linkServer(f, m_server);
            reuse = true;
        }
    }
    m_upgradeRequested = !m_isConnect && findHeader(head.headers, "upgrade") != nullptr
                         && headerHasToken(head.headers, "connection", "upgrade");
    // [hold], [cache lookup]: where breakpoints and the cache will answer before a server is
    // asked. Nothing holds or answers yet.
    if (!reuse)
        openServer(out);
    m_dirty = true; // published once, when this event is handled

    if (m_isConnect)
        return;

    // The request as the origin gets it, whatever version carries it there: the target's
    // authority and path (Host from the target, RFC 9112 §3.2.2), the client's fields less the
    // hop-by-hop ones. It goes when the server is ready (serverReady), as HTTP/1.1 bytes or
    // as parts to an HTTP/2 stream; framing is that version's.
    http::Request &r = m_toServer;
    r.method = head.method;
    r.scheme = m_target.scheme;
    r.authority = m_target.authority(true);
    r.path = m_target.path;
    if (m_upgradeRequested)
        r.protocol = fromStream ? fromStream->protocol : *findHeader(head.headers, "upgrade");
    if (fromStream)
        r.fields = fromStream->fields;
    else
        r.fields = std::move(head.headers); // recorded already: the parser's copy is spare
    removeHopByHop(r.fields);
    removeHeader(r.fields, "host");
    m_retryable = isIdempotent(head.method) && !m_upgradeRequested;
    m_responseParser.expectResponseTo(head.method);
    if (reuse)
        serverReady(now, out, false); // inside the host's reading already: do not pump again
}

void HttpStream::openServer(std::vector<Command> &out)
{
    m_server
        = m_servers.openServer(m_target, !m_isConnect && !m_needsTls,
                               m_target.scheme == "http" && !m_upgradeRequested, m_needsTls, out);
}

void HttpStream::localPage(const RequestHead &head, MonoTime now, std::vector<Command> &out)
{
    // Origin-form: the client talks to the proxy as if it were a web server.
    flow::Flow &f = m_flow;
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
    // The proxy's address as the client reached it (a LAN address when listening on all
    // interfaces, so a phone sees the LAN address), else the listen address.
    const std::string address = host && isPacProxyAddress(*host) ? *host : m_context.listenAddress;
    if ((head.method == "GET" || head.method == "HEAD") && ca
        && (path == "/ca.pem" || path == "/ca.crt" || path == "/ca.der")) {
        const bool der = path == "/ca.der";
        respondLocally(200, "OK", der ? "application/pkix-cert" : "application/x-pem-file",
                       der ? ca->certificateDer() : ca->certificatePem(), false, {}, out,
                       {{"Content-Disposition", std::string("attachment; filename=\"tunnelscope-ca")
                                                    + (der ? ".der" : ".pem") + "\""}});
    } else if ((head.method == "GET" || head.method == "HEAD")
               && (path == "/proxy.pac" || path == "/wpad.dat")) {
        respondLocally(
            200, "OK", "application/x-ns-proxy-autoconfig",
            pacFile(m_context.pac ? *m_context.pac : PacRules{}, address, m_context.tlsListener),
            false, {}, out);
    } else if (head.method == "GET" || head.method == "HEAD") {
        respondLocally(200, "OK", "text/html; charset=utf-8",
                       infoPage({address, m_context.tlsListener, ca}), false, {}, out);
    } else {
        fail(405, "Method Not Allowed",
             "this is Tunnelscope, a proxy: send absolute-form requests "
             "(http://host/path) or CONNECT",
             now, out);
    }
}

void HttpStream::carriedTunnel(const Target &target, MonoTime now, std::vector<Command> &out)
{
    flow::Flow &f = m_flow;
    m_isConnect = true;
    m_requestComplete = true;
    m_clientKeepAlive = false;
    m_openedAt = now;
    m_requestCompleteAt = now;
    m_target = target;
    f.kind = flow::FlowKind::Tunnel;
    f.method = "CONNECT";
    f.clientProtocol = m_context.clientProtocol;
    f.host = m_target.host;
    f.port = m_target.port;
    f.clientTls = m_context.clientTls;
    if (m_context.interceptedParent)
        f.parent = m_context.interceptedParent;
    m_server = m_servers.openServer(m_target, false, false, false, out);
    publish(out);
}

void HttpStream::requestBody(std::string_view data, std::vector<Command> &out)
{
    m_flow.requestBody->append(data);
    forwardBody(data, out);
}

void HttpStream::requestTrailers(const Headers &trailers)
{
    m_flow.requestTrailers = toList(trailers);
}

void HttpStream::requestEnd(std::uint64_t wireSize, MonoTime now, std::vector<Command> &out)
{
    m_requestComplete = true;
    m_requestCompleteAt = now;
    m_flow.requestWireBytes = wireSize;
    if (m_server && m_serverConnected && m_headForwarded)
        forwardEnd(out);
    if (m_serverConnected)
        m_flow.timings.requestSent = since(now);
    if (m_isConnect && m_serverConnected)
        toTunnel({}, now, out);
    else if (!m_server && m_flow.responseFromProxy)
        complete(now, out); // answered locally (info page)
}

void HttpStream::requestFailed(int status, const std::string &error, MonoTime now,
                               std::vector<Command> &out)
{
    if (m_flow.method.empty())
        m_flow.method = "?"; // no usable request head
    if (m_server) {
        m_servers.dropServer(m_server, out);
        m_server = 0;
    }
    fail(status, http::reasonPhrase(status), error, now, out);
}

// ---------------------------------------------------------------------------- to the server

void HttpStream::sendPart(http::RequestPart part, std::vector<Command> &out)
{
    m_servers.sendServerPart(m_server, std::move(part), out);
}

void HttpStream::recordLinkWire()
{
    // Our own H2OriginLink spoke h2 to the origin: its fields and frame bytes are what that
    // wire carried.
    const H2OriginLink *link = m_servers.ownLink(m_server);
    if (!link)
        return;
    const H2OriginLink::Wire wire = link->wire(0);
    if (!wire.request.empty()) {
        m_flow.serverRequestHeaders = wire.request;
        m_flow.serverRequestWireBytes = wire.requestBytes;
    }
    if (!wire.response.empty()) {
        m_flow.responseHeaders = wire.response;
        m_flow.responseWireBytes = wire.responseBytes;
    }
}

void HttpStream::forwardHead(std::vector<Command> &out)
{
    m_headForwarded = true;
    m_endForwarded = false;
    if (m_serverMessages) {
        // HTTP/2 to the origin: the fields go as they are; the link records what it sent.
        // A request without a body ends with its HEADERS (no empty DATA frame after them),
        // even when the head goes before the parser has said the request is complete.
        const bool whole = (m_requestComplete || !m_requestBody) && m_pendingBody.empty()
                           && m_flow.requestTrailers.empty() && m_toServer.protocol.empty();
        m_endForwarded = whole;
        sendPart(http::RequestStart{m_toServer, whole}, out);
        recordLinkWire();
        return;
    }
    RequestHead head = http1Request(m_toServer, m_requestChunked);
    std::string bytes = serialize(head);
    if (m_forwarding) {
        // The connection ends at an upstream proxy: it gets the request line in absolute-form,
        // and the hop's credentials in these bytes only. Recorded as sent, but for the
        // credentials, which never reach a flow.
        bytes = toAbsoluteForm(bytes, "http://" + m_target.authority(true), m_forwardAuthorization);
        if (!m_forwardAuthorization.empty())
            head.headers.insert(
                head.headers.begin(),
                {"Proxy-Authorization",
                 m_forwardAuthorization.substr(0, m_forwardAuthorization.find(' ')) + " ***"});
    }
    // Recorded the first time (a replay on a fresh connection sends the same head again).
    if (m_flow.serverRequestHeaders.empty())
        m_flow.serverRequestHeaders = toList(std::move(head.headers));
    m_flow.serverRequestWireBytes = bytes.size();
    m_servers.sendServer(m_server, std::move(bytes), out);
}

void HttpStream::forwardBody(std::string_view data, std::vector<Command> &out)
{
    if (!m_server || data.empty())
        return;
    if (m_retryable && !m_retried) {
        m_retryBody.append(data);
        if (m_retryBody.size() > 64 * 1024) {
            m_retryable = false;
            std::string().swap(m_retryBody);
        }
    }
    if (!m_serverConnected || !m_headForwarded) {
        m_pendingBody.append(data);
        return;
    }
    if (m_serverMessages) {
        sendPart(http::Body{std::string(data)}, out);
        return;
    }
    std::string bytes = m_requestChunked ? chunk(data) : std::string(data);
    m_flow.serverRequestWireBytes += bytes.size();
    m_servers.sendServer(m_server, std::move(bytes), out);
}

void HttpStream::forwardEnd(std::vector<Command> &out)
{
    if (m_endForwarded)
        return;
    m_endForwarded = true;
    if (m_serverMessages) {
        // An Upgrade's request has no end of its own: its stream becomes the tunnel.
        if (m_toServer.protocol.empty()) {
            http::End end;
            for (const auto &[name, value] : m_flow.requestTrailers)
                end.trailers.push_back({name, value});
            sendPart(std::move(end), out);
        }
        return;
    }
    if (!m_requestChunked)
        return;
    std::string bytes = lastChunk(toHeaders(m_flow.requestTrailers));
    m_flow.serverRequestWireBytes += bytes.size();
    m_servers.sendServer(m_server, std::move(bytes), out);
}

// ---------------------------------------------------------------------------- server events

void HttpStream::serverConnected(const ServerConnected &e, MonoTime now, std::vector<Command> &out)
{
    m_serverConnected = true;
    m_lastServerActivity = now;
    flow::Flow &f = m_flow;
    f.serverAddress = e.peerAddress;
    f.serverReused = e.reused;
    f.upstream = e.via;
    m_servers.linkServer(f, e.id);
    if (!e.reused) {
        if (e.lookupDone >= 0)
            f.timings.lookup = since(e.lookupDone);
        if (e.connectDone >= 0)
            f.timings.connect = since(e.connectDone);
    }
    if (m_isConnect) {
        m_client.clientConnectEstablished(*this, out);
        f.status = 200;
        f.reason = "Connection established";
        if (m_requestComplete)
            toTunnel({}, now, out);
        return;
    }
    m_serverMessages = e.messages;
    if (m_needsTls && e.tls) {
        // The carrier did the handshake (and may share an HTTP/2 connection): plaintext, or
        // a stream of it (e.messages).
        f.serverTls = e.tls;
        m_carrierTls = true;
        serverReady(now, out);
        return;
    }
    m_forwarding = e.forwarding;
    if (e.forwarding) {
        // The connection ends at an upstream proxy (forwardHead writes the request for it).
        m_forwardHop = e.forwardHop;
        m_forwardHopHasCredentials = !e.proxyAuthorization.empty();
        m_forwardAuthorization = e.proxyAuthorization;
    }
    if (m_needsTls) {
        m_serverConnected = false; // not until the TLS handshake is done
        const std::string error = m_servers.startServerTls(m_server, m_target, now, out);
        if (!error.empty()) {
            // Nothing was sent: as a failed handshake.
            m_servers.dropServer(m_server, out);
            m_server = 0;
            fail(502, "Bad Gateway", error, now, out);
        }
        return;
    }
    serverReady(now, out);
}

void HttpStream::serverReady(MonoTime now, std::vector<Command> &out, bool pump)
{
    m_serverConnected = true;
    m_lastServerActivity = now;
    if (m_servers.ownLink(m_server))
        m_serverMessages = true;
    if (!m_headForwarded && !m_isConnect) {
        // The head goes now, with what the client sent while we connected (again, the same,
        // when a stale pooled connection made us replay it).
        forwardHead(out);
        if (!m_pendingBody.empty()) {
            const std::string body = std::exchange(m_pendingBody, {});
            const bool retryable = m_retryable;
            m_retryable = false; // kept in m_retryBody already
            forwardBody(body, out);
            m_retryable = retryable;
        }
        if (m_requestComplete)
            forwardEnd(out);
    }
    if (m_requestComplete)
        m_flow.timings.requestSent = since(now);
    m_dirty = true; // published once, when this event is handled
    if (pump)
        m_client.clientPump(now, out); // the body may have been held back while connecting
}

void HttpStream::serverTlsDone(const tls::TlsSession &session, MonoTime now,
                               std::vector<Command> &out)
{
    flow::TlsSide side;
    record(side, session);
    m_flow.serverTls = std::make_shared<const flow::TlsSide>(std::move(side));
    if (m_servers.verifyServer(m_target) && !session.details().verified) {
        m_servers.dropServer(m_server, out);
        m_server = 0;
        fail(502, "Bad Gateway",
             "the certificate of " + m_target.authority()
                 + " is not trusted: " + session.details().verifyError,
             now, out);
        return;
    }
    m_servers.serverSecured(m_server, m_target, now, out);
    serverReady(now, out);
}

void HttpStream::serverTlsFailed(const tls::TlsSession *session, const std::string &why,
                                 MonoTime now, std::vector<Command> &out)
{
    if (session)
        editTls(m_flow.serverTls, [&](flow::TlsSide &t) { record(t, *session); });
    editTls(m_flow.serverTls, [&](flow::TlsSide &t) { t.failure = why; });
    m_servers.dropServer(m_server, out);
    m_server = 0;
    fail(502, "Bad Gateway", "TLS with " + m_target.authority() + " failed: " + why, now, out);
}

void HttpStream::serverConnectFailed(const ServerConnectFailed &e, MonoTime now,
                                     std::vector<Command> &out)
{
    if (e.lookupDone >= 0)
        m_flow.timings.lookup = since(e.lookupDone);
    m_flow.upstream = e.via;
    if (e.tls)
        m_flow.serverTls = e.tls;
    m_server = 0;
    m_connectFailure = e.kind;
    if (e.timedOut) {
        fail(504, "Gateway Timeout", e.message, now, out);
        return;
    }
    switch (e.kind) {
    case ConnectFailure::LoopDetected:
        fail(508, "Loop Detected", e.message, now, out);
        break;
    default:
        fail(502, "Bad Gateway", e.message, now, out);
        break;
    }
}

void HttpStream::serverActivity(MonoTime now)
{
    m_lastServerActivity = now;
    if (!m_sawServerBytes) {
        // The first byte of the answer: too late to replay the request elsewhere.
        m_sawServerBytes = true;
        m_flow.timings.firstByte = since(now);
        m_retryable = false;
        std::string().swap(m_retryBody);
    }
}

void HttpStream::serverData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    serverActivity(now);
    std::vector<ResponseEvent> events;
    while (!data.empty() && !m_finished) {
        events.clear();
        const std::size_t used = m_responseParser.feed(data, events);
        data.remove_prefix(used);
        const bool upgraded = m_responseParser.upgraded();
        for (ResponseEvent &e : events) {
            onResponseEvent(e, now, out);
            if (m_finished)
                break;
        }
        if (m_finished)
            return; // anything more from this server is not HTTP we asked for
        if (upgraded) {
            toTunnel(std::string(data), now, out);
            return;
        }
        if (used == 0 && events.empty())
            break;
    }
}

void HttpStream::serverPart(const http::ResponsePart &part, MonoTime now, std::vector<Command> &out)
{
    serverActivity(now);
    // The parts become the events an HTTP/1.1 response would have given (the exchange's
    // logic is the same whatever version the server spoke); nothing is parsed.
    if (const auto *start = std::get_if<http::ResponseStart>(&part)) {
        const http::Response &r = start->response;
        ResponseHeadEvent head;
        head.head = ResponseHead{Version::Http11, r.status,
                                 std::string(http::reasonPhrase(r.status)), r.fields};
        head.informational = r.status < 200;
        const bool webSocket = equalsIgnoreCase(m_toServer.protocol, "websocket");
        const bool accepted = webSocket && m_upgradeRequested && r.status >= 200 && r.status < 300;
        if (accepted) {
            // RFC 8441 §5: the extended CONNECT's 2xx is HTTP/1.1's 101; an HTTP/1.1 client
            // checks the accept value of the key it sent (RFC 6455 §4.2.2).
            head.head.status = 101;
            head.head.reason = "Switching Protocols";
            head.head.headers.push_back({"Upgrade", "websocket"});
            if (const std::string *key = findHeader(m_toServer.fields, "sec-websocket-key"))
                head.head.headers.push_back({"Sec-WebSocket-Accept", webSocketAccept(*key)});
        }
        if (head.informational || accepted || start->endStream || m_toServer.method == "HEAD"
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
        if (m_finished || informational)
            return;
        m_flow.serverProtocol = "HTTP/2";
        if (accepted) {
            if (m_headSent)
                toTunnel({}, now, out);
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
        if (!m_finished) {
            ResponseEvent done = MessageEnd{0};
            onResponseEvent(done, now, out);
        }
    }
}

void HttpStream::onResponseEvent(ResponseEvent &event, MonoTime now, std::vector<Command> &out)
{
    flow::Flow &f = m_flow;
    if (auto *head = std::get_if<ResponseHeadEvent>(&event)) {
        ResponseHead &h = head->head;
        f.serverProtocol = std::string(versionText(h.version));
        if (const H2OriginLink *link = m_servers.ownLink(m_server)) {
            f.serverProtocol = "HTTP/2";
            f.serverStream = std::uint64_t(link->stream(0));
            f.serverConnection = m_servers.linkConnection(m_server);
        }
        if (head->informational) {
            // 1xx are forwarded to HTTP/1.1 clients only (RFC 9110 §15.2).
            if (!m_clientIs10) {
                ResponseHead interim{Version::Http11, h.status, h.reason, h.headers};
                removeHopByHop(interim.headers);
                m_client.clientInterim(*this, interim, out);
            }
            return;
        }
        if (h.status == 407 && !m_forwardHop.empty()) {
            // The upstream proxy wants credentials: its challenge is not for our client (who
            // would take it for ours), so name the hop as when it refuses a CONNECT.
            m_servers.dropServer(m_server, out);
            m_server = 0;
            fail(502, "Bad Gateway",
                 m_forwardHop + " answered 407" + (h.reason.empty() ? "" : " " + h.reason)
                     + (m_forwardHopHasCredentials ? " (the credentials were not accepted)"
                                                   : " (no credentials configured)"),
                 now, out);
            return;
        }
        f.status = h.status;
        f.reason = h.reason;
        f.responseHeaders = toList(h.headers);
        recordLinkWire();
        // [hold], [cache store]: where breakpoints and the cache will see the response head.
        ResponseHead toClient{Version::Http11, h.status, h.reason, h.headers};
        removeHopByHop(toClient.headers);
        removeHeader(toClient.headers, kLocalErrorField); // ours alone (another Tunnelscope's)
        if (h.status == 101) {
            if (!m_upgradeRequested || m_clientIs10) {
                fail(502, "Bad Gateway", "the server switched protocols unasked", now, out);
                return;
            }
            m_client.clientHead(*this, std::move(toClient), BodyFraming::None, out);
            m_headSent = true;
            return; // the parser reports upgraded(); serverData hands the stream on
        }
        m_serverKeepAlive = head->keepAlive && head->framing != BodyFraming::UntilClose;
        if (head->framing == BodyFraming::ContentLength)
            f.responseBody->expect(head->contentLength);
        if (head->framing == BodyFraming::Chunked || head->framing == BodyFraming::UntilClose)
            removeHeader(toClient.headers, "content-length");
        m_client.clientHead(*this, std::move(toClient), head->framing, out);
        m_headSent = true;
        m_dirty = true; // published once, when this event is handled
        return;
    }
    if (auto *body = std::get_if<BodyData>(&event)) {
        f.responseBody->append(body->data);
        m_client.clientBody(*this, body->data, out);
        return;
    }
    if (auto *trailers = std::get_if<TrailersEvent>(&event)) {
        f.responseTrailers = toList(trailers->trailers);
        return;
    }
    if (auto *end = std::get_if<MessageEnd>(&event)) {
        if (m_serverMessages)
            recordLinkWire(); // the response's frames have all arrived
        else
            f.responseWireBytes = end->wireSize;
        if (f.status == 101)
            return;
        m_client.clientEnd(*this, out);
        complete(now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        const std::string message = "invalid response from the server: " + error->reason;
        m_servers.dropServer(m_server, out);
        m_server = 0;
        if (!m_headSent)
            fail(502, "Bad Gateway", message, now, out);
        else
            abort(message, now, out);
    }
}

void HttpStream::serverEnded(bool error, const std::string &reason, MonoTime now,
                             std::vector<Command> &out)
{
    if (!m_serverConnected) {
        m_server = 0;
        fail(502, "Bad Gateway", reason, now, out);
        return;
    }
    // A pooled connection the server had already closed: replay the request on a fresh one.
    if (!m_sawServerBytes && m_flow.serverReused && m_retryable && !m_retried) {
        m_servers.dropServer(m_server, out);
        m_retried = true;
        m_serverConnected = false;
        m_serverMessages = false;
        m_headForwarded = false;
        m_pendingBody = std::move(m_retryBody);
        m_retryBody.clear();
        m_openedAt = now;
        m_server = m_servers.openServer(
            m_target, false, m_target.scheme == "http" && !m_upgradeRequested, m_needsTls, out);
        return;
    }
    if (!error) {
        std::vector<ResponseEvent> events;
        m_responseParser.feedEof(events);
        for (ResponseEvent &e : events) {
            onResponseEvent(e, now, out);
            if (m_finished)
                return; // completed (close-delimited body) or failed by the parser
        }
    }
    m_servers.dropServer(m_server, out);
    m_server = 0;
    const std::string message = error ? "server connection failed: " + reason
                                      : "the server closed the connection before the response "
                                        "was complete";
    if (!m_headSent)
        fail(502, "Bad Gateway",
             m_sawServerBytes ? message : "the server closed the connection without a response",
             now, out);
    else
        abort(message, now, out);
}

void HttpStream::tick(MonoTime now, std::vector<Command> &out)
{
    const Timeouts &t = m_context.timeouts;
    if (m_server && !m_serverConnected && now >= m_openedAt + t.connect) {
        m_servers.dropServer(m_server, out);
        m_server = 0;
        fail(504, "Gateway Timeout",
             "connecting to " + m_target.authority() + " timed out after " + secondsText(t.connect),
             now, out);
        return;
    }
    if (m_server && m_serverConnected && m_requestComplete && !m_isConnect
        && now >= std::max(m_lastServerActivity, m_requestCompleteAt) + t.response) {
        m_servers.dropServer(m_server, out);
        m_server = 0;
        // Forwarding, the silent one is the upstream proxy: name it.
        const std::string from
            = m_forwardHop.empty() ? m_target.authority()
                                   : m_forwardHop + " (forwarding to " + m_target.authority() + ")";
        const std::string message
            = "no response from " + from + " within " + secondsText(t.response);
        if (!m_headSent)
            fail(504, "Gateway Timeout", message, now, out);
        else
            abort(message, now, out);
    }
}

MonoTime HttpStream::deadline() const
{
    const Timeouts &t = m_context.timeouts;
    if (m_server && !m_serverConnected)
        return m_openedAt + t.connect;
    if (m_server && m_requestComplete && !m_isConnect)
        return std::max(m_lastServerActivity, m_requestCompleteAt) + t.response;
    return kNoDeadline;
}

// ---------------------------------------------------------------------------- answers, ends

void HttpStream::respondLocally(int status, std::string_view reason, std::string contentType,
                                std::string body, bool close, const std::string &error,
                                std::vector<Command> &out, Headers extra)
{
    flow::Flow &f = m_flow;
    ResponseHead head{
        m_clientIs10 ? Version::Http10 : Version::Http11, status, std::string(reason), {}};
    head.headers.push_back({"Content-Type", std::move(contentType)});
    // The proxy's own error answer, not the origin's: clients (the composer, tunnelscope send)
    // key on this field rather than on the body's wording.
    if (!error.empty())
        head.headers.push_back({std::string(kLocalErrorField), "1"});
    for (Header &h : extra)
        head.headers.push_back(std::move(h));
    head.headers.push_back({"Content-Length", std::to_string(body.size())});
    head.headers.push_back({"Cache-Control", "no-store"});
    if (f.method == "HEAD")
        body.clear();
    f.responseBody->append(body);
    m_client.clientLocal(*this, head, std::move(body), close, error, out);
    m_headSent = true;
    f.status = status;
    f.reason = std::string(reason);
    f.responseHeaders = toList(head.headers);
    f.responseFromProxy = true;
    f.serverProtocol.clear();
    f.responseWireBytes = 0;
    if (!error.empty())
        f.error = error;
    if (f.kind == flow::FlowKind::Tunnel)
        f.closeReason = error;
}

void HttpStream::fail(int status, std::string_view reason, const std::string &error, MonoTime now,
                      std::vector<Command> &out)
{
    // A request whose body has not all arrived leaves the connection out of step: answer,
    // record, and close.
    respondLocally(status, reason, "text/plain; charset=utf-8",
                   std::to_string(status) + " " + std::string(reason) + "\n\nTunnelscope: " + error
                       + "\n",
                   !m_requestComplete, error, out);
    m_flow.state = flow::FlowState::Failed;
    complete(now, out);
}

void HttpStream::abort(std::string error, MonoTime now, std::vector<Command> &out)
{
    if (m_finished)
        return;
    if (m_server)
        m_servers.dropServer(m_server, out);
    m_server = 0;
    m_flow.state = flow::FlowState::Failed;
    m_flow.error = error;
    m_flow.timings.complete = since(now);
    publish(out);
    m_finished = true;
    m_client.streamAborted(*this, error, now, out);
}

void HttpStream::complete(MonoTime now, std::vector<Command> &out)
{
    flow::Flow &f = m_flow;
    if (f.state == flow::FlowState::Open)
        f.state = flow::FlowState::Complete;
    f.timings.complete = since(now);
    if (f.kind == flow::FlowKind::Tunnel)
        f.closedWall = wallNow();
    publish(out);
    if (m_server) {
        const bool reusable = m_serverKeepAlive && m_requestComplete && m_responseParser.idle()
                              && !m_responseParser.upgraded();
        m_servers.releaseServer(m_server, reusable, m_needsTls && !m_carrierTls, out);
    }
    m_finished = true;
    m_client.streamCompleted(*this, now, out);
}

void HttpStream::toTunnel(std::string toClient, MonoTime now, std::vector<Command> &out)
{
    m_flow.timings.requestSent = since(now);
    m_finished = true;
    m_client.streamTunnel(*this, std::move(toClient), now, out);
}

} // namespace ts::proxy
