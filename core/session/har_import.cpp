#include "core/session/har_import.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringView>
#include <QUrl>

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace ts::session {

namespace {

using namespace Qt::StringLiterals;
using flow::Body;
using flow::BodyBudget;
using flow::CertificateSummary;
using flow::Flow;
using flow::FlowKind;
using flow::FlowState;
using flow::HeaderList;
using flow::TlsSide;

// Text is converted to bytes this many UTF-16 units at a time, base64 this many characters
// at a time (a multiple of 4): memory beyond the JSON tree stays at one chunk.
constexpr qsizetype kTextChunk = 64 * 1024;
constexpr qsizetype kBase64Chunk = 4 * 64 * 1024;

Error formatError(const QString &message)
{
    return Error{"har.format", message.toStdString()};
}

std::string str(const QJsonValue &v)
{
    return v.toString().toStdString();
}

// A JSON number as an integer; `fallback` when absent, not a number or out of range.
std::int64_t integer(const QJsonValue &v, std::int64_t fallback)
{
    if (!v.isDouble())
        return fallback;
    const double d = v.toDouble();
    if (!(d >= -9.0e15 && d <= 9.0e15)) // also false for NaN
        return fallback;
    return std::int64_t(d);
}

// HAR milliseconds (fractional) to microseconds; -1 ("did not happen") for negative or absent.
std::int64_t micros(const QJsonValue &v)
{
    if (!v.isDouble())
        return -1;
    const double ms = v.toDouble();
    if (!(ms >= 0 && ms <= 9.0e12))
        return -1;
    return std::int64_t(ms * 1000.0 + 0.5);
}

WallMillis wall(const QJsonValue &v)
{
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
        };
        return lower(x) == lower(y);
    });
}

HeaderList readHeaders(const QJsonValue &v)
{
    HeaderList out;
    for (const QJsonValue item : v.toArray()) {
        const QJsonObject h = item.toObject();
        std::string name = str(h.value("name"_L1));
        if (name.empty())
            continue;
        // h2/h3 pseudo-header fields stay: a flow records the fields as they crossed the wire.
        out.emplace_back(std::move(name), str(h.value("value"_L1)));
    }
    return out;
}

// Our flows name versions as "HTTP/1.1", "HTTP/2", "HTTP/3"; browsers write ALPN ids ("h2"),
// lower case ("http/2.0") or Firefox's "HTTP/2".
std::string protocol(const QJsonValue &v)
{
    const QString raw = v.toString().trimmed();
    const QString lower = raw.toLower();
    if (lower.isEmpty())
        return {};
    if (lower == "http/1.1"_L1 || lower == "http/1.0"_L1 || lower == "http/0.9"_L1)
        return raw.toUpper().toStdString();
    if (lower == "h2"_L1 || lower == "h2c"_L1 || lower == "http/2"_L1 || lower == "http/2.0"_L1)
        return "HTTP/2";
    if (lower == "h3"_L1 || lower.startsWith("h3-"_L1) || lower == "http/3"_L1
        || lower == "http/3.0"_L1)
        return "HTTP/3";
    return raw.toStdString();
}

// ---------------------------------------------------------------------------------------------
// Bodies

void appendText(Body &body, QStringView text)
{
    while (!text.isEmpty()) {
        qsizetype n = std::min(kTextChunk, text.size());
        if (n < text.size() && text[n - 1].isHighSurrogate())
            --n; // keep a surrogate pair in one chunk
        const QByteArray utf8 = text.first(n).toUtf8();
        body.append(std::string_view(utf8.constData(), std::size_t(utf8.size())));
        text = text.sliced(n);
    }
}

// Decodes in chunks; whitespace (line-wrapped base64) is skipped. False when not base64.
bool appendBase64(Body &body, QStringView text)
{
    QByteArray pending;
    const auto decode = [&](bool last) {
        const qsizetype usable = last ? pending.size() : pending.size() / 4 * 4;
        if (usable == 0)
            return true;
        auto decoded = QByteArray::fromBase64Encoding(pending.first(usable),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return false;
        body.append(
            std::string_view(decoded.decoded.constData(), std::size_t(decoded.decoded.size())));
        pending.remove(0, usable);
        return true;
    };
    for (qsizetype at = 0; at < text.size(); at += kBase64Chunk) {
        for (const QChar c : text.sliced(at, std::min(kBase64Chunk, text.size() - at))) {
            if (c == u' ' || c == u'\n' || c == u'\r' || c == u'\t')
                continue;
            if (c.unicode() > 0x7F)
                return false;
            pending.append(char(c.unicode()));
        }
        if (!decode(false))
            return false;
    }
    return decode(true);
}

// A body from a HAR "text" (+ "encoding"); null when there is no text.
Result<std::shared_ptr<Body>>
readText(const QJsonObject &holder, const std::shared_ptr<BodyBudget> &budget, const QString &where)
{
    const QJsonValue text = holder.value("text"_L1);
    if (!text.isString())
        return std::shared_ptr<Body>();
    auto body = std::make_shared<Body>(budget);
    const QString s = text.toString();
    if (holder.value("encoding"_L1).toString().compare("base64"_L1, Qt::CaseInsensitive) == 0) {
        if (!appendBase64(*body, s))
            return formatError(where + u".text is not valid base64"_s);
    } else {
        appendText(*body, s);
    }
    return body;
}

QByteArray formEncode(const QString &s)
{
    return QUrl::toPercentEncoding(s, " "_ba).replace(' ', '+');
}

// The body a browser sent, from postData.params when it gave no text (HAR allows either).
std::shared_ptr<Body> bodyFromParams(const QJsonObject &postData,
                                     const std::shared_ptr<BodyBudget> &budget)
{
    const QJsonArray params = postData.value("params"_L1).toArray();
    if (params.isEmpty())
        return nullptr;
    auto body = std::make_shared<Body>(budget);
    const QString mime = postData.value("mimeType"_L1).toString();
    const qsizetype b = mime.indexOf("boundary="_L1, 0, Qt::CaseInsensitive);
    if (mime.startsWith("multipart/"_L1, Qt::CaseInsensitive) && b >= 0) {
        QString boundary = mime.mid(b + 9).section(u';', 0, 0).trimmed();
        if (boundary.size() >= 2 && boundary.startsWith(u'"') && boundary.endsWith(u'"'))
            boundary = boundary.mid(1, boundary.size() - 2);
        for (const QJsonValue p : params) {
            const QJsonObject o = p.toObject();
            QString part = u"--"_s + boundary + u"\r\nContent-Disposition: form-data; name=\""_s
                           + o.value("name"_L1).toString() + u'"';
            if (o.value("fileName"_L1).isString())
                part += u"; filename=\""_s + o.value("fileName"_L1).toString() + u'"';
            part += u"\r\n"_s;
            if (o.value("contentType"_L1).isString())
                part += u"Content-Type: "_s + o.value("contentType"_L1).toString() + u"\r\n"_s;
            part += u"\r\n"_s + o.value("value"_L1).toString() + u"\r\n"_s;
            appendText(*body, part);
        }
        appendText(*body, QString(u"--"_s + boundary + u"--\r\n"_s));
        return body;
    }
    QByteArray encoded;
    for (const QJsonValue p : params) {
        const QJsonObject o = p.toObject();
        if (!encoded.isEmpty())
            encoded += '&';
        encoded += formEncode(o.value("name"_L1).toString());
        encoded += '=';
        encoded += formEncode(o.value("value"_L1).toString());
    }
    body->append(std::string_view(encoded.constData(), std::size_t(encoded.size())));
    return body;
}

// A body that had `size` bytes of which fewer were kept is marked truncated, as it was.
void countUnrecorded(const std::shared_ptr<Body> &body, std::int64_t size)
{
    if (body && size > 0 && std::uint64_t(size) > body->size())
        body->appendUnrecorded(std::uint64_t(size) - body->size());
}

// ---------------------------------------------------------------------------------------------
// TLS ("_tls", our extension)

CertificateSummary readCertificate(const QJsonObject &o)
{
    CertificateSummary c;
    c.subject = str(o.value("subject"_L1));
    c.issuer = str(o.value("issuer"_L1));
    for (const QJsonValue n : o.value("names"_L1).toArray())
        c.names.push_back(str(n));
    c.notBefore = wall(o.value("notBefore"_L1));
    c.notAfter = wall(o.value("notAfter"_L1));
    c.serial = str(o.value("serial"_L1));
    c.sha256 = str(o.value("sha256"_L1));
    c.keyType = str(o.value("keyType"_L1));
    return c;
}

TlsSide readTlsSide(const QJsonObject &o)
{
    TlsSide t;
    t.used = true;
    t.sni = str(o.value("sni"_L1));
    for (const QJsonValue a : o.value("alpnOffered"_L1).toArray())
        t.alpnOffered.push_back(str(a));
    t.alpn = str(o.value("alpn"_L1));
    t.version = str(o.value("version"_L1));
    t.cipher = str(o.value("cipher"_L1));
    for (const QJsonValue c : o.value("chain"_L1).toArray())
        t.chain.push_back(readCertificate(c.toObject()));
    t.handshakeMicros = integer(o.value("handshakeMicros"_L1), -1);
    t.verified = o.value("verified"_L1).toBool();
    t.verifyError = str(o.value("verifyError"_L1));
    t.failure = str(o.value("failure"_L1));
    return t;
}

// Every exchange of a tunnel carries the same handshake: one shared record for equal ones, as
// the recorder keeps them.
class TlsCache
{
public:
    std::shared_ptr<const TlsSide> get(const QJsonValue &v)
    {
        if (!v.isObject())
            return nullptr;
        const QByteArray key = QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
        auto &slot = m_sides[key];
        if (!slot)
            slot = std::make_shared<const TlsSide>(readTlsSide(v.toObject()));
        return slot;
    }

private:
    std::map<QByteArray, std::shared_ptr<const TlsSide>> m_sides;
};

void readTls(const QJsonObject &holder, Flow &f, TlsCache &cache)
{
    const QJsonObject tls = holder.value("_tls"_L1).toObject();
    if (tls.isEmpty())
        return;
    f.intercepted = tls.value("intercepted"_L1).toBool();
    f.clientTls = cache.get(tls.value("client"_L1));
    f.serverTls = cache.get(tls.value("server"_L1));
}

// ---------------------------------------------------------------------------------------------
// Entries

struct Target
{
    std::string scheme, host, path;
    std::uint16_t port = 0;
};

std::optional<Target> parseUrl(const QString &text)
{
    const QUrl url(text, QUrl::TolerantMode);
    if (!url.isValid() || url.scheme().isEmpty())
        return std::nullopt;
    Target out;
    out.scheme = url.scheme().toLower().toStdString();
    QString rest = text.mid(text.indexOf(u':') + 1);
    const qsizetype hash = rest.indexOf(u'#');
    if (hash >= 0)
        rest.truncate(hash);
    if (!rest.startsWith("//"_L1)) { // data:, about:, blob: ... have no authority
        out.path = rest.toStdString();
        return out;
    }
    if (url.host().isEmpty())
        return std::nullopt;
    out.host = url.host(QUrl::FullyEncoded).toStdString();
    const bool secure = out.scheme == "https" || out.scheme == "wss";
    const int port = url.port(secure ? 443 : 80);
    if (port <= 0 || port > 65535)
        return std::nullopt;
    out.port = std::uint16_t(port);
    // Path and query exactly as written: QUrl would re-encode them.
    qsizetype at = 2;
    while (at < rest.size() && rest[at] != u'/' && rest[at] != u'?')
        ++at;
    QString path = rest.mid(at);
    if (path.isEmpty() || path.startsWith(u'?'))
        path.prepend(u'/');
    out.path = path.toStdString();
    return out;
}

std::string joinAddress(std::string ip, std::uint16_t port)
{
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
        ip = ip.substr(1, ip.size() - 2); // Chrome brackets IPv6
    if (ip.empty())
        return {};
    const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
    return port ? host + ":" + std::to_string(port) : host;
}

flow::ConnectionId connectionId(const QJsonValue &v)
{
    if (v.isDouble())
        return flow::ConnectionId(std::max<std::int64_t>(integer(v, 0), 0));
    bool ok = false;
    const qulonglong id = v.toString().toULongLong(&ok);
    return ok ? id : 0;
}

// HAR phases (each the time since the previous) to our milestones (each the time since the
// flow started). HAR's connect includes ssl; ssl goes to the server TLS record when there is
// none from "_tls". An entry that got no response stopped during its last phase with any
// time in it: that phase's milestone, and those after, did not happen. (So does one that has
// an error: our proxy's own 502 answer to a failed connect.)
void readTimings(const QJsonObject &e, Flow &f)
{
    const QJsonObject t = e.value("timings"_L1).toObject();
    if (t.isEmpty()) {
        f.timings.complete = std::max<std::int64_t>(micros(e.value("time"_L1)), 0);
        return;
    }
    const std::int64_t blocked = std::max<std::int64_t>(micros(t.value("blocked"_L1)), 0);
    const std::int64_t phases[]
        = {micros(t.value("dns"_L1)), micros(t.value("connect"_L1)), micros(t.value("send"_L1)),
           micros(t.value("wait"_L1)), micros(t.value("receive"_L1))};
    std::int64_t *milestones[] = {&f.timings.lookup, &f.timings.connect, &f.timings.requestSent,
                                  &f.timings.firstByte, &f.timings.complete};
    int reached = 5;
    if (f.status <= 0 || !f.error.empty()) {
        reached = 0;
        for (int i = 0; i < 5; ++i) {
            if (phases[i] > 0)
                reached = i; // the phase under way when it failed
        }
    }
    std::int64_t at = blocked;
    for (int i = 0; i < 5; ++i) {
        if (phases[i] < 0)
            continue;
        at += phases[i];
        if (i < reached)
            *milestones[i] = at;
    }
    f.timings.complete = at;

    // Firefox writes 0 for a request on a connection that was set up before.
    if (const std::int64_t ssl = micros(t.value("ssl"_L1)); ssl > 0 && !f.serverTls) {
        TlsSide side;
        side.used = true;
        side.handshakeMicros = ssl;
        f.serverTls = std::make_shared<const TlsSide>(std::move(side));
    }
}

// The user's marks: HAR's own "comment", and ours, "_pinned" and "_color" (a colour name).
void readMarks(const QJsonObject &o, Flow &f)
{
    f.marks.comment = str(o.value("comment"_L1));
    f.marks.pinned = o.value("_pinned"_L1).toBool();
    f.marks.color = flow::markColorFromName(str(o.value("_color"_L1)));
}

// Chrome's "_webSocketMessages": [{type: "send" | "receive", time, opcode, data}], kept as given.
std::shared_ptr<const flow::WebSocketMessages> readWebSocketMessages(const QJsonValue &v)
{
    const QJsonArray array = v.toArray();
    if (array.isEmpty())
        return nullptr;
    auto out = std::make_shared<flow::WebSocketMessages>();
    out->reserve(std::size_t(array.size()));
    for (const QJsonValue &item : array) {
        if (!item.isObject())
            continue;
        const QJsonObject m = item.toObject();
        flow::WebSocketMessage message;
        message.fromClient = m.value("type"_L1).toString() == "send"_L1;
        message.time = m.value("time"_L1).toDouble();
        message.opcode = m.value("opcode"_L1).toInt(1);
        message.data = str(m.value("data"_L1));
        out->push_back(std::move(message));
    }
    return out;
}

struct Context
{
    std::shared_ptr<BodyBudget> budget;
    TlsCache tls;
    bool firefox = false; // its "connection" is the server's port, not a connection id
};

Result<Flow> readEntry(const QJsonObject &e, Context &cx, qsizetype index)
{
    const QString where = u"Entry %1"_s.arg(index + 1);
    if (!e.value("request"_L1).isObject())
        return formatError(where + u": request is missing"_s);
    const QJsonObject request = e.value("request"_L1).toObject();
    const QJsonObject response = e.value("response"_L1).toObject();

    Flow f;
    f.kind = FlowKind::Exchange;
    const QString urlText = request.value("url"_L1).toString();
    if (urlText.isEmpty())
        return formatError(where + u": request.url is missing"_s);
    const auto url = parseUrl(urlText);
    if (!url)
        return formatError(
            where + u": request.url \"%1\" is not an absolute URL"_s.arg(urlText.left(200)));
    f.scheme = url->scheme;
    f.host = url->host;
    f.port = url->port;
    f.path = url->path;
    f.method = request.value("method"_L1).toString(u"GET"_s).toStdString();
    f.clientProtocol = protocol(request.value("httpVersion"_L1));
    if (f.clientProtocol.empty())
        f.clientProtocol = "HTTP/1.1";
    f.requestHeaders = readHeaders(request.value("headers"_L1));
    f.requestTrailers = readHeaders(request.value("_trailers"_L1));
    const std::int64_t requestBodySize = integer(request.value("bodySize"_L1), -1);
    if (request.value("postData"_L1).isObject()) {
        const QJsonObject postData = request.value("postData"_L1).toObject();
        auto body = readText(postData, cx.budget, where + u": request.postData"_s);
        if (!body)
            return body.error();
        f.requestBody = *body ? std::move(*body) : bodyFromParams(postData, cx.budget);
        if (postData.value("_truncated"_L1).toBool())
            countUnrecorded(f.requestBody, requestBodySize);
    }
    const std::int64_t requestHeadersSize = integer(request.value("headersSize"_L1), -1);
    if (requestHeadersSize >= 0 && requestBodySize >= 0)
        f.requestWireBytes = std::uint64_t(requestHeadersSize + requestBodySize);
    // Ours: the other wire of each message (har.cpp writes the client's view first).
    const QJsonObject serverRequest = request.value("_serverRequest"_L1).toObject();
    f.serverRequestHeaders = readHeaders(serverRequest.value("headers"_L1));
    if (const std::int64_t size = integer(serverRequest.value("headersSize"_L1), -1);
        size >= 0 && requestBodySize >= 0)
        f.serverRequestWireBytes = std::uint64_t(size + requestBodySize);

    f.status = int(std::clamp<std::int64_t>(integer(response.value("status"_L1), 0), 0, 999));
    f.reason = str(response.value("statusText"_L1));
    const QJsonObject serverResponse = response.value("_serverResponse"_L1).toObject();
    if (serverResponse.isEmpty()) {
        f.serverProtocol = protocol(response.value("httpVersion"_L1));
        f.responseHeaders = readHeaders(response.value("headers"_L1));
    } else {
        f.serverProtocol = protocol(serverResponse.value("httpVersion"_L1));
        f.responseHeaders = readHeaders(serverResponse.value("headers"_L1));
        f.clientResponseHeaders = readHeaders(response.value("headers"_L1));
    }
    if (f.serverProtocol.empty() && !f.serverRequestHeaders.empty())
        f.serverProtocol = protocol(serverRequest.value("httpVersion"_L1));
    f.responseTrailers = readHeaders(response.value("_trailers"_L1));
    f.responseFromProxy = response.value("_fromProxy"_L1).toBool();
    const QJsonObject content = response.value("content"_L1).toObject();
    auto responseBody = readText(content, cx.budget, where + u": response.content"_s);
    if (!responseBody)
        return responseBody.error();
    f.responseBody = std::move(*responseBody);
    const std::int64_t contentSize = integer(content.value("size"_L1), -1);
    if (!f.responseBody && contentSize > 0) {
        // The browser saw a body but did not keep it: a body of that size with nothing kept.
        f.responseBody = std::make_shared<Body>(cx.budget);
        countUnrecorded(f.responseBody, contentSize);
    } else if (content.value("_truncated"_L1).toBool()) {
        countUnrecorded(f.responseBody, contentSize);
    }
    // Browsers store decoded text: the headers must then not claim a coding.
    if (f.responseBody && !content.value("_contentEncoded"_L1).toBool())
        for (HeaderList *headers : {&f.responseHeaders, &f.clientResponseHeaders})
            std::erase_if(*headers, [](const auto &h) {
                return equalsIgnoreCase(h.first, "content-encoding");
            });
    const std::int64_t transfer = integer(response.value("_transferSize"_L1), -1);
    const std::int64_t responseHeadersSize = integer(response.value("headersSize"_L1), -1);
    const std::int64_t responseBodySize = integer(response.value("bodySize"_L1), -1);
    // The entry's own sizes are the client's wire; ours name the server's apart.
    std::uint64_t &clientSide
        = serverResponse.isEmpty() ? f.responseWireBytes : f.clientResponseWireBytes;
    if (transfer >= 0)
        clientSide = std::uint64_t(transfer);
    else if (responseHeadersSize >= 0 && responseBodySize >= 0)
        clientSide = std::uint64_t(responseHeadersSize + responseBodySize);
    if (const std::int64_t size = integer(serverResponse.value("headersSize"_L1), -1);
        size >= 0 && responseBodySize >= 0)
        f.responseWireBytes = std::uint64_t(size + responseBodySize);

    f.startedWall = wall(e.value("startedDateTime"_L1));
    f.error = str(e.value("_error"_L1));
    if (f.error.empty())
        f.error = str(response.value("_error"_L1)); // Chrome: "net::ERR_CONNECTION_REFUSED"
    readTls(e, f, cx.tls);
    readTimings(e, f);
    f.serverAddress = joinAddress(str(e.value("serverIPAddress"_L1)), f.port);
    f.serverReused = e.value("_serverReused"_L1).toBool();
    f.serverConnection = connectionId(e.value("_serverConnection"_L1));
    f.serverStream = std::uint32_t(std::max(0, e.value("_serverStream"_L1).toInt()));
    f.upstream = str(e.value("_upstream"_L1));
    if (!cx.firefox)
        f.clientConnection = connectionId(e.value("connection"_L1));
    f.clientAddress = str(e.value("_clientAddress"_L1));
    f.webSocketMessages = readWebSocketMessages(e.value("_webSocketMessages"_L1));
    // What the proxy's recording left out (our own fields, beside Chrome's).
    f.webSocketDropped
        = std::uint64_t(std::max(0.0, e.value("_webSocketMessagesDropped"_L1).toDouble()));
    f.webSocketTruncated
        = std::uint64_t(std::max(0.0, e.value("_webSocketMessagesTruncated"_L1).toDouble()));
    f.webSocketError = str(e.value("_webSocketError"_L1));
    readMarks(e, f);
    f.state = f.error.empty() && f.status > 0 ? FlowState::Complete : FlowState::Failed;
    return f;
}

Flow readTunnel(const QJsonObject &t, Context &cx)
{
    Flow f;
    f.kind = FlowKind::Tunnel;
    f.method = "CONNECT";
    f.host = str(t.value("host"_L1));
    f.port = std::uint16_t(std::clamp<std::int64_t>(integer(t.value("port"_L1), 0), 0, 65535));
    f.startedWall = wall(t.value("startedDateTime"_L1));
    f.timings.complete = micros(t.value("time"_L1));
    f.clientConnection = connectionId(t.value("connection"_L1));
    f.clientAddress = str(t.value("clientAddress"_L1));
    f.serverAddress = str(t.value("serverAddress"_L1));
    f.serverConnection = connectionId(t.value("serverConnection"_L1));
    f.upstream = str(t.value("upstream"_L1));
    f.bytesClientToServer
        = std::uint64_t(std::max<std::int64_t>(integer(t.value("bytesClientToServer"_L1), 0), 0));
    f.bytesServerToClient
        = std::uint64_t(std::max<std::int64_t>(integer(t.value("bytesServerToClient"_L1), 0), 0));
    f.closedWall = wall(t.value("closedDateTime"_L1));
    f.closeReason = str(t.value("closeReason"_L1));
    f.error = str(t.value("error"_L1));
    readTls(t, f, cx.tls);
    readMarks(t, f);
    f.state = !f.error.empty()         ? FlowState::Failed
              : f.timings.complete < 0 ? FlowState::Open
                                       : FlowState::Complete;
    return f;
}

} // namespace

Result<std::vector<Flow>> importHar(const QByteArray &json, std::shared_ptr<BodyBudget> budget)
{
    Context cx;
    cx.budget = budget ? std::move(budget) : std::make_shared<BodyBudget>();

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const QByteArray before = json.left(parseError.offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype column = parseError.offset - (before.lastIndexOf('\n') + 1) + 1;
        return Error{"har.parse", (u"Not a HAR file: the JSON is broken at line %1, column %2 "
                                   "(%3)"_s.arg(line)
                                       .arg(column)
                                       .arg(parseError.errorString()))
                                      .toStdString()};
    }
    if (!doc.isObject() || !doc.object().value("log"_L1).isObject())
        return formatError(u"Not a HAR file: there is no \"log\" object"_s);
    const QJsonObject log = doc.object().value("log"_L1).toObject();
    if (!log.value("entries"_L1).isArray())
        return formatError(u"Not a HAR file: \"log\" has no \"entries\" array"_s);
    cx.firefox = log.value("creator"_L1)
                     .toObject()
                     .value("name"_L1)
                     .toString()
                     .contains("Firefox"_L1, Qt::CaseInsensitive);

    std::vector<Flow> flows;
    const QJsonArray entries = log.value("entries"_L1).toArray();
    flows.reserve(std::size_t(entries.size()));
    for (qsizetype i = 0; i < entries.size(); ++i) {
        if (!entries.at(i).isObject())
            return formatError(u"Entry %1 is not an object"_s.arg(i + 1));
        auto f = readEntry(entries.at(i).toObject(), cx, i);
        if (!f)
            return f.error();
        flows.push_back(std::move(*f));
    }
    for (const QJsonValue tunnel : log.value("_tunnels"_L1).toArray()) {
        if (tunnel.isObject())
            flows.push_back(readTunnel(tunnel.toObject(), cx));
    }

    // Tunnels and exchanges interleave in time as they did when recorded; a tunnel starts
    // before the exchanges it carries, so the stable sort keeps it first.
    std::stable_sort(flows.begin(), flows.end(),
                     [](const Flow &a, const Flow &b) { return a.startedWall < b.startedWall; });
    std::unordered_map<flow::ConnectionId, flow::FlowId> tunnelOf; // intercepted, by connection
    flow::FlowId id = 0;
    for (Flow &f : flows) {
        f.id = ++id;
        if (!f.intercepted || f.clientConnection == 0)
            continue;
        if (f.kind == FlowKind::Tunnel)
            tunnelOf[f.clientConnection] = f.id;
        else if (const auto it = tunnelOf.find(f.clientConnection); it != tunnelOf.end())
            f.parent = it->second;
    }
    return flows;
}

} // namespace ts::session
