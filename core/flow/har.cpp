#include "core/flow/har.h"

#include "core/flow/flow_store.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <QTemporaryFile>
#include <QUrl>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#ifndef TS_VERSION_STRING
#define TS_VERSION_STRING "0.0.0"
#endif

namespace ts::flow {

namespace {

using namespace Qt::StringLiterals;

// Bodies are read and written in chunks of this size (a multiple of 3, so base64 chunks
// concatenate into one valid base64 string).
constexpr std::uint64_t kBodyChunk = 3 * 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Small helpers on byte strings

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
        };
        return lower(x) == lower(y);
    });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<std::string_view> headerValue(const HeaderList &headers, std::string_view name)
{
    for (const auto &[n, v] : headers) {
        if (equalsIgnoreCase(n, name))
            return std::string_view(v);
    }
    return std::nullopt;
}

bool isHttp1(std::string_view protocol)
{
    return protocol.starts_with("HTTP/1.") || protocol.starts_with("http/1.");
}

bool isChunked(const HeaderList &headers)
{
    for (const auto &[n, v] : headers) {
        if (equalsIgnoreCase(n, "transfer-encoding") && !equalsIgnoreCase(trim(v), "identity"))
            return true;
    }
    return false;
}

bool hasContentCoding(const HeaderList &headers)
{
    const auto coding = headerValue(headers, "content-encoding");
    return coding && !trim(*coding).empty() && !equalsIgnoreCase(trim(*coding), "identity");
}

std::uint64_t bodySize(const std::shared_ptr<Body> &body)
{
    return body ? body->size() : 0;
}

// Header bytes of an HTTP/1 message: the wire count minus the body, exact only when the body
// was not chunk-framed. -1 (HAR's "not available") otherwise.
std::int64_t headersSize(std::string_view protocol, const HeaderList &headers,
                         std::uint64_t wireBytes, const std::shared_ptr<Body> &body)
{
    const std::uint64_t bodyBytes = bodySize(body);
    if (!isHttp1(protocol) || isChunked(headers) || wireBytes == 0 || wireBytes < bodyBytes)
        return -1;
    return std::int64_t(wireBytes - bodyBytes);
}

// Validates UTF-8 fed in pieces (a code point may straddle two pieces). WHATWG's decoder rules:
// no overlongs, no surrogates, nothing past U+10FFFF.
class Utf8Validator
{
public:
    void feed(std::string_view bytes)
    {
        for (const char ch : bytes) {
            if (!m_ok)
                return;
            const auto b = static_cast<unsigned char>(ch);
            if (m_need == 0) {
                if (b <= 0x7F)
                    continue;
                if (b >= 0xC2 && b <= 0xDF) {
                    m_need = 1;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    m_lower = b == 0xE0 ? 0xA0 : 0x80;
                    m_upper = b == 0xED ? 0x9F : 0xBF;
                    m_need = 2;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    m_lower = b == 0xF0 ? 0x90 : 0x80;
                    m_upper = b == 0xF4 ? 0x8F : 0xBF;
                    m_need = 3;
                } else {
                    m_ok = false;
                }
                continue;
            }
            if (b < m_lower || b > m_upper) {
                m_ok = false;
                return;
            }
            m_lower = 0x80;
            m_upper = 0xBF;
            --m_need;
        }
    }
    bool failed() const { return !m_ok; } // so far; a code point may still be incomplete
    bool valid() const { return m_ok && m_need == 0; }

private:
    int m_need = 0;
    unsigned char m_lower = 0x80;
    unsigned char m_upper = 0xBF;
    bool m_ok = true;
};

bool isUtf8(std::string_view bytes)
{
    Utf8Validator v;
    v.feed(bytes);
    return v.valid();
}

// ---------------------------------------------------------------------------------------------
// Streaming JSON writer: appends to a buffer and hands it to the device every ~256 KiB, so an
// export never holds more than one entry's worth of JSON.

class JsonWriter
{
public:
    explicit JsonWriter(QIODevice &out) : m_out(out) {}

    void beginObject()
    {
        separate();
        m_buffer += '{';
        m_first.push_back(true);
    }
    void endObject()
    {
        m_first.pop_back();
        m_buffer += '}';
        maybeFlush();
    }
    void beginArray()
    {
        separate();
        m_buffer += '[';
        m_first.push_back(true);
    }
    void endArray()
    {
        m_first.pop_back();
        m_buffer += ']';
    }
    void newline() { m_buffer += '\n'; }

    JsonWriter &key(std::string_view name)
    {
        separate();
        m_buffer += '"';
        m_buffer.append(name.data(), qsizetype(name.size()));
        m_buffer += "\":";
        m_afterKey = true;
        return *this;
    }

    // Bytes from the wire: written as they are when they are UTF-8, else read as Latin-1 (what
    // obs-text in HTTP headers is, in practice).
    void string(std::string_view bytes)
    {
        separate();
        m_buffer += '"';
        if (isUtf8(bytes)) {
            escape(bytes);
        } else {
            const QByteArray utf8
                = QString::fromLatin1(bytes.data(), qsizetype(bytes.size())).toUtf8();
            escape(std::string_view(utf8.constData(), std::size_t(utf8.size())));
        }
        m_buffer += '"';
    }
    void string(const QString &s)
    {
        const QByteArray utf8 = s.toUtf8();
        string(std::string_view(utf8.constData(), std::size_t(utf8.size())));
    }

    // A string written in pieces; every piece must be valid UTF-8 once they are all joined.
    void beginString()
    {
        separate();
        m_buffer += '"';
    }
    void stringPiece(std::string_view utf8)
    {
        escape(utf8);
        maybeFlush();
    }
    void stringPieceRaw(const QByteArray &safe) // needs no escaping (base64)
    {
        m_buffer += safe;
        maybeFlush();
    }
    void endString() { m_buffer += '"'; }

    void number(std::int64_t n)
    {
        separate();
        m_buffer += QByteArray::number(qlonglong(n));
    }
    void number(std::uint64_t n)
    {
        separate();
        m_buffer += QByteArray::number(qulonglong(n));
    }
    void number(int n) { number(std::int64_t(n)); }
    // Microseconds as milliseconds with three decimals, exact; -1 stays -1.
    void millis(std::int64_t micros)
    {
        separate();
        if (micros < 0) {
            m_buffer += "-1";
            return;
        }
        m_buffer += QByteArray::number(qlonglong(micros / 1000));
        m_buffer += '.';
        m_buffer += QByteArray::number(qlonglong(micros % 1000)).rightJustified(3, '0');
    }
    // The shortest text that reads back as the same double.
    void real(double d)
    {
        separate();
        if (!std::isfinite(d)) {
            m_buffer += '0'; // JSON has no NaN or infinity
            return;
        }
        char text[32];
        const auto end = std::to_chars(text, text + sizeof text, d).ptr;
        m_buffer.append(text, qsizetype(end - text));
    }
    void boolean(bool b)
    {
        separate();
        m_buffer += b ? "true" : "false";
    }

    bool finish()
    {
        flush();
        return m_ok;
    }
    bool ok() const { return m_ok; }

private:
    void separate()
    {
        if (m_afterKey) {
            m_afterKey = false;
            return;
        }
        if (!m_first.empty()) {
            if (!m_first.back())
                m_buffer += ',';
            m_first.back() = false;
        }
    }

    void escape(std::string_view s)
    {
        std::size_t plain = 0;
        const auto flushPlain = [&](std::size_t upTo) {
            m_buffer.append(s.data() + plain, qsizetype(upTo - plain));
        };
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c != '"' && c != '\\')
                continue;
            flushPlain(i);
            plain = i + 1;
            switch (c) {
            case '"':
                m_buffer += "\\\"";
                break;
            case '\\':
                m_buffer += "\\\\";
                break;
            case '\n':
                m_buffer += "\\n";
                break;
            case '\r':
                m_buffer += "\\r";
                break;
            case '\t':
                m_buffer += "\\t";
                break;
            case '\b':
                m_buffer += "\\b";
                break;
            case '\f':
                m_buffer += "\\f";
                break;
            default:
                m_buffer += "\\u00";
                m_buffer += "0123456789abcdef"[c >> 4];
                m_buffer += "0123456789abcdef"[c & 0xF];
            }
        }
        flushPlain(s.size());
    }

    void maybeFlush()
    {
        if (m_buffer.size() >= 256 * 1024)
            flush();
    }
    void flush()
    {
        if (m_ok && !m_buffer.isEmpty() && m_out.write(m_buffer) != m_buffer.size())
            m_ok = false;
        m_buffer.clear();
    }

    QIODevice &m_out;
    QByteArray m_buffer;
    std::vector<bool> m_first;
    bool m_afterKey = false;
    bool m_ok = true;
};

// ---------------------------------------------------------------------------------------------
// Export

QString isoTime(WallMillis ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString percentDecode(std::string_view s)
{
    QByteArray bytes(s.data(), qsizetype(s.size()));
    bytes.replace('+', ' ');
    return QUrl::fromPercentEncoding(bytes);
}

void writeHeaders(JsonWriter &w, const HeaderList &headers)
{
    w.beginArray();
    for (const auto &[name, value] : headers) {
        w.beginObject();
        w.key("name").string(name);
        w.key("value").string(value);
        w.endObject();
    }
    w.endArray();
}

void writeNameValuePairs(JsonWriter &w, std::string_view encoded)
{
    w.beginArray();
    while (!encoded.empty()) {
        const std::size_t amp = encoded.find('&');
        const std::string_view pair = encoded.substr(0, amp);
        encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
        if (pair.empty())
            continue;
        const std::size_t eq = pair.find('=');
        w.beginObject();
        w.key("name").string(percentDecode(pair.substr(0, eq)));
        w.key("value").string(eq == std::string_view::npos ? QString()
                                                           : percentDecode(pair.substr(eq + 1)));
        w.endObject();
    }
    w.endArray();
}

void writeRequestCookies(JsonWriter &w, const HeaderList &headers)
{
    w.beginArray();
    for (const auto &[name, value] : headers) {
        if (!equalsIgnoreCase(name, "cookie"))
            continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const std::size_t semi = rest.find(';');
            const std::string_view pair = trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            const std::size_t eq = pair.find('=');
            if (pair.empty() || eq == std::string_view::npos)
                continue;
            w.beginObject();
            w.key("name").string(trim(pair.substr(0, eq)));
            w.key("value").string(trim(pair.substr(eq + 1)));
            w.endObject();
        }
    }
    w.endArray();
}

// Cookie dates: RFC 1123 ("Wed, 21 Oct 2015 07:28:00 GMT") and the Netscape form with dashes.
std::optional<QDateTime> parseCookieDate(std::string_view text)
{
    QString s = QString::fromLatin1(text.data(), qsizetype(text.size())).trimmed();
    s.replace(u'-', u' ');
    if (s.endsWith(u" GMT"_s) || s.endsWith(u" UTC"_s))
        s = s.left(s.size() - 4) + u" +0000"_s;
    const QDateTime parsed = QDateTime::fromString(s, Qt::RFC2822Date);
    if (!parsed.isValid())
        return std::nullopt;
    return parsed;
}

void writeResponseCookies(JsonWriter &w, const HeaderList &headers, WallMillis received)
{
    w.beginArray();
    for (const auto &[name, value] : headers) {
        if (!equalsIgnoreCase(name, "set-cookie"))
            continue;
        std::string_view rest = value;
        const std::size_t semi = rest.find(';');
        const std::string_view pair = trim(rest.substr(0, semi));
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos)
            continue;
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);

        std::optional<std::string_view> path, domain;
        std::optional<QDateTime> expires;
        std::optional<std::int64_t> maxAge;
        bool httpOnly = false, secure = false;
        while (!rest.empty()) {
            const std::size_t next = rest.find(';');
            const std::string_view attr = trim(rest.substr(0, next));
            rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
            const std::size_t aeq = attr.find('=');
            const std::string_view aname = trim(attr.substr(0, aeq));
            const std::string_view avalue
                = aeq == std::string_view::npos ? std::string_view() : trim(attr.substr(aeq + 1));
            if (equalsIgnoreCase(aname, "path")) {
                path = avalue;
            } else if (equalsIgnoreCase(aname, "domain")) {
                domain = avalue;
            } else if (equalsIgnoreCase(aname, "expires")) {
                expires = parseCookieDate(avalue);
            } else if (equalsIgnoreCase(aname, "max-age")) {
                bool ok = false;
                const qlonglong seconds
                    = QByteArray(avalue.data(), qsizetype(avalue.size())).toLongLong(&ok);
                if (ok)
                    maxAge = seconds;
            } else if (equalsIgnoreCase(aname, "httponly")) {
                httpOnly = true;
            } else if (equalsIgnoreCase(aname, "secure")) {
                secure = true;
            }
        }
        if (maxAge) // Max-Age wins over Expires (RFC 6265 5.3)
            expires = QDateTime::fromMSecsSinceEpoch(received + *maxAge * 1000, Qt::UTC);

        w.beginObject();
        w.key("name").string(trim(pair.substr(0, eq)));
        w.key("value").string(trim(pair.substr(eq + 1)));
        if (path)
            w.key("path").string(*path);
        if (domain)
            w.key("domain").string(*domain);
        if (expires)
            w.key("expires").string(expires->toUTC().toString(Qt::ISODateWithMs));
        w.key("httpOnly").boolean(httpOnly);
        w.key("secure").boolean(secure);
        w.endObject();
    }
    w.endArray();
}

// Writes "text" (and "encoding" when base64) for a body, reading it chunk by chunk; the body
// may still be growing, so only the bytes recorded when we looked are written.
void writeBodyText(JsonWriter &w, const Body &body)
{
    const std::uint64_t recorded = body.recordedSize();
    std::string whole; // small bodies are read once
    bool text;
    if (recorded <= kBodyChunk) {
        whole = body.read(0, recorded);
        text = isUtf8(whole);
    } else {
        Utf8Validator v;
        for (std::uint64_t at = 0; at < recorded && !v.failed(); at += kBodyChunk)
            v.feed(body.read(at, std::min(kBodyChunk, recorded - at)));
        text = v.valid();
    }

    w.key("text").beginString();
    if (recorded <= kBodyChunk) {
        if (text)
            w.stringPiece(whole);
        else
            w.stringPieceRaw(QByteArray(whole.data(), qsizetype(whole.size())).toBase64());
    } else {
        for (std::uint64_t at = 0; at < recorded; at += kBodyChunk) {
            const std::string chunk = body.read(at, std::min(kBodyChunk, recorded - at));
            if (text)
                w.stringPiece(chunk);
            else
                w.stringPieceRaw(QByteArray(chunk.data(), qsizetype(chunk.size())).toBase64());
        }
    }
    w.endString();
    if (!text)
        w.key("encoding").string(u"base64"_s);
}

std::string mimeTypeOf(const HeaderList &headers)
{
    const auto type = headerValue(headers, "content-type");
    return type ? std::string(trim(*type)) : std::string("x-unknown");
}

// HAR phases from Flow::Timings. Each phase runs from the previous milestone reached to its
// own; a phase whose milestone never came is -1 (dns, connect) or 0 (send, wait, receive, which
// HAR requires), except that the time from the last milestone reached to `complete` goes to the
// phase that was under way then: a flow that failed while connecting shows it in connect.
struct HarTimings
{
    std::int64_t dns = -1, connect = -1, send = 0, wait = 0, receive = 0; // microseconds
    std::int64_t total() const
    {
        return std::max<std::int64_t>(dns, 0) + std::max<std::int64_t>(connect, 0) + send + wait
               + receive;
    }
};

HarTimings harTimings(const Timings &t)
{
    HarTimings out;
    std::int64_t *phases[] = {&out.dns, &out.connect, &out.send, &out.wait, &out.receive};
    const std::int64_t milestones[] = {t.lookup, t.connect, t.requestSent, t.firstByte};
    std::int64_t previous = 0;
    int underWay = 0; // index of the phase after the last milestone reached
    for (int i = 0; i < 4; ++i) {
        if (milestones[i] < 0)
            continue;
        *phases[i] = std::max<std::int64_t>(milestones[i] - previous, 0);
        previous = std::max(previous, milestones[i]);
        underWay = i + 1;
    }
    if (t.complete >= 0)
        *phases[underWay] = std::max<std::int64_t>(t.complete - previous, 0);
    return out;
}

std::string ipOnly(const std::string &address)
{
    if (address.starts_with('[')) {
        const std::size_t close = address.find(']');
        return close == std::string::npos ? address : address.substr(1, close - 1);
    }
    const std::size_t colon = address.find(':');
    if (colon != std::string::npos && address.find(':', colon + 1) == std::string::npos)
        return address.substr(0, colon);
    return address;
}

// The version as Chrome DevTools writes it: "http/2.0" for HTTP/2, "h3" for HTTP/3.
std::string harVersion(const std::string &protocol)
{
    if (protocol == "HTTP/2")
        return "http/2.0";
    if (protocol == "HTTP/3")
        return "h3";
    return protocol;
}

// The other wire of a message ("_serverRequest", "_serverResponse"): its version, its fields as
// they crossed it, its head size where that is known, and the bytes the message took on that
// wire ("_transferSize", as Chrome writes it: head and body as framed, HTTP/2 frames included).
void writeOtherWire(JsonWriter &w, std::string_view key, const std::string &protocol,
                    const HeaderList &headers, std::uint64_t wireBytes,
                    const std::shared_ptr<Body> &body)
{
    w.key(key).beginObject();
    w.key("httpVersion").string(harVersion(protocol));
    w.key("headers");
    writeHeaders(w, headers);
    w.key("headersSize").number(headersSize(protocol, headers, wireBytes, body));
    if (wireBytes > 0)
        w.key("_transferSize").number(std::int64_t(wireBytes));
    w.endObject();
}

// A HAR entry is the client's view, as a browser's HAR is: the request as the client sent it
// and the response as the client got it. Where the server's wire differed (version
// translation, hop-by-hop fields), "_serverRequest" / "_serverResponse" hold that side.
void writeRequest(JsonWriter &w, const Flow &f)
{
    w.beginObject();
    w.key("method").string(f.method);
    w.key("url").string(f.url());
    w.key("httpVersion").string(harVersion(f.clientProtocol));
    w.key("cookies");
    writeRequestCookies(w, f.requestHeaders);
    w.key("headers");
    writeHeaders(w, f.requestHeaders);
    w.key("queryString");
    const std::size_t question = f.path.find('?');
    writeNameValuePairs(w, question == std::string::npos
                               ? std::string_view()
                               : std::string_view(f.path).substr(question + 1));
    if (f.requestBody && f.requestBody->size() > 0) {
        const std::string mimeType = mimeTypeOf(f.requestHeaders);
        w.key("postData").beginObject();
        w.key("mimeType").string(mimeType);
        w.key("params");
        if (mimeType.starts_with("application/x-www-form-urlencoded")
            && f.requestBody->recordedSize() <= kBodyChunk)
            writeNameValuePairs(w, f.requestBody->read());
        else
            writeNameValuePairs(w, {});
        writeBodyText(w, *f.requestBody);
        if (f.requestBody->truncated())
            w.key("_truncated").boolean(true);
        w.endObject();
    }
    w.key("headersSize")
        .number(headersSize(f.clientProtocol, f.requestHeaders, f.requestWireBytes, f.requestBody));
    w.key("bodySize").number(bodySize(f.requestBody));
    if (!f.requestTrailers.empty()) {
        w.key("_trailers");
        writeHeaders(w, f.requestTrailers);
    }
    if (!f.serverRequestHeaders.empty())
        writeOtherWire(w, "_serverRequest",
                       f.serverProtocol.empty() ? f.clientProtocol : f.serverProtocol,
                       f.serverRequestHeaders, f.serverRequestWireBytes, f.requestBody);
    w.endObject();
}

void writeResponse(JsonWriter &w, const Flow &f)
{
    w.beginObject();
    if (f.status == 0) {
        // No response: the shape browsers use for failed requests.
        w.key("status").number(0);
        w.key("statusText").string(std::string_view());
        w.key("httpVersion").string(std::string_view());
        w.key("cookies").beginArray();
        w.endArray();
        w.key("headers").beginArray();
        w.endArray();
        w.key("content").beginObject();
        w.key("size").number(0);
        w.key("mimeType").string(u"x-unknown"_s);
        w.endObject();
        w.key("redirectURL").string(std::string_view());
        w.key("headersSize").number(-1);
        w.key("bodySize").number(-1);
        if (!f.error.empty())
            w.key("_error").string(f.error);
        w.endObject();
        return;
    }
    // The client's side when it was recorded (or the proxy's own answer, which only the
    // client saw); older records have the server's side alone.
    const bool clientSide = !f.clientResponseHeaders.empty() || f.responseFromProxy;
    const std::string &serverProtocol
        = f.serverProtocol.empty() ? f.clientProtocol : f.serverProtocol;
    const std::string &protocol = clientSide ? f.clientProtocol : serverProtocol;
    const HeaderList &headers
        = f.clientResponseHeaders.empty() ? f.responseHeaders : f.clientResponseHeaders;
    const std::uint64_t wireBytes
        = f.clientResponseHeaders.empty() ? f.responseWireBytes : f.clientResponseWireBytes;
    w.key("status").number(f.status);
    w.key("statusText").string(f.reason);
    w.key("httpVersion").string(harVersion(protocol));
    w.key("cookies");
    writeResponseCookies(w, headers, f.startedWall);
    w.key("headers");
    writeHeaders(w, headers);
    w.key("content").beginObject();
    w.key("size").number(bodySize(f.responseBody));
    w.key("mimeType").string(mimeTypeOf(headers));
    if (f.responseBody && f.responseBody->size() > 0) {
        writeBodyText(w, *f.responseBody);
        // Until the flow layer decodes content codings, the text is the coded bytes; say so,
        // so an importer (session::importHar) keeps the Content-Encoding header.
        if (hasContentCoding(headers))
            w.key("_contentEncoded").boolean(true);
        if (f.responseBody->truncated())
            w.key("_truncated").boolean(true);
    }
    w.endObject();
    const auto location = headerValue(headers, "location");
    w.key("redirectURL").string(location ? trim(*location) : std::string_view());
    w.key("headersSize").number(headersSize(protocol, headers, wireBytes, f.responseBody));
    w.key("bodySize").number(bodySize(f.responseBody));
    if (wireBytes > 0) // the response's bytes on the client's wire, as Chrome's HAR has it
        w.key("_transferSize").number(std::int64_t(wireBytes));
    if (!f.clientResponseHeaders.empty())
        writeOtherWire(w, "_serverResponse", serverProtocol, f.responseHeaders, f.responseWireBytes,
                       f.responseBody);
    if (!f.responseTrailers.empty()) {
        w.key("_trailers");
        writeHeaders(w, f.responseTrailers);
    }
    if (f.responseFromProxy)
        w.key("_fromProxy").boolean(true);
    w.endObject();
}

void writeStrings(JsonWriter &w, const std::vector<std::string> &list)
{
    w.beginArray();
    for (const std::string &item : list)
        w.string(item);
    w.endArray();
}

void writeTlsSide(JsonWriter &w, const TlsSide &side)
{
    w.beginObject();
    w.key("sni").string(side.sni);
    w.key("alpnOffered");
    writeStrings(w, side.alpnOffered);
    w.key("alpn").string(side.alpn);
    w.key("version").string(side.version);
    w.key("cipher").string(side.cipher);
    w.key("handshakeMicros").number(side.handshakeMicros);
    w.key("verified").boolean(side.verified);
    w.key("verifyError").string(side.verifyError);
    w.key("failure").string(side.failure);
    w.key("chain").beginArray();
    for (const CertificateSummary &c : side.chain) {
        w.beginObject();
        w.key("subject").string(c.subject);
        w.key("issuer").string(c.issuer);
        w.key("names");
        writeStrings(w, c.names);
        w.key("notBefore").string(isoTime(c.notBefore));
        w.key("notAfter").string(isoTime(c.notAfter));
        w.key("serial").string(c.serial);
        w.key("sha256").string(c.sha256);
        w.key("keyType").string(c.keyType);
        w.endObject();
    }
    w.endArray();
    w.endObject();
}

// TLS on either side, as "_tls": {intercepted, client: {...}, server: {...}}.
void writeTls(JsonWriter &w, const Flow &f)
{
    if (!f.clientTls && !f.serverTls)
        return;
    w.key("_tls").beginObject();
    w.key("intercepted").boolean(f.intercepted);
    if (f.clientTls) {
        w.key("client");
        writeTlsSide(w, *f.clientTls);
    }
    if (f.serverTls) {
        w.key("server");
        writeTlsSide(w, *f.serverTls);
    }
    w.endObject();
}

// The user's marks, apart from the wire data: HAR's own "comment", our "_pinned" and "_color".
void writeMarks(JsonWriter &w, const Flow &f)
{
    if (f.marks.pinned)
        w.key("_pinned").boolean(true);
    if (f.marks.color != MarkColor::None)
        w.key("_color").string(markColorName(f.marks.color));
    if (!f.marks.comment.empty())
        w.key("comment").string(f.marks.comment);
}

// Chrome's "_webSocketMessages", recorded or as an imported entry brought them; what the
// recording left out in fields of our own.
void writeWebSocketMessages(JsonWriter &w, const Flow &f)
{
    if (f.webSocketDropped > 0)
        w.key("_webSocketMessagesDropped").number(f.webSocketDropped);
    if (f.webSocketTruncated > 0)
        w.key("_webSocketMessagesTruncated").number(f.webSocketTruncated);
    if (!f.webSocketError.empty())
        w.key("_webSocketError").string(f.webSocketError);
    if (!f.webSocketMessages)
        return;
    w.key("_webSocketMessages").beginArray();
    for (const WebSocketMessage &m : *f.webSocketMessages) {
        w.beginObject();
        w.key("type").string(std::string_view(m.fromClient ? "send" : "receive"));
        w.key("time").real(m.time);
        w.key("opcode").number(m.opcode);
        w.key("data").string(m.data);
        w.endObject();
    }
    w.endArray();
}

void writeEntry(JsonWriter &w, const Flow &f)
{
    const HarTimings t = harTimings(f.timings);
    w.beginObject();
    w.key("startedDateTime").string(isoTime(f.startedWall));
    w.key("time").millis(t.total());
    w.key("request");
    writeRequest(w, f);
    w.key("response");
    writeResponse(w, f);
    w.key("cache").beginObject();
    w.endObject();
    w.key("timings").beginObject();
    w.key("blocked").number(-1);
    w.key("dns").millis(t.dns);
    w.key("connect").millis(t.connect);
    w.key("send").millis(t.send);
    w.key("wait").millis(t.wait);
    w.key("receive").millis(t.receive);
    w.key("ssl").number(-1);
    w.endObject();
    if (!f.serverAddress.empty())
        w.key("serverIPAddress").string(ipOnly(f.serverAddress));
    w.key("connection").string(std::to_string(f.clientConnection));
    if (!f.clientAddress.empty())
        w.key("_clientAddress").string(f.clientAddress);
    if (f.serverReused)
        w.key("_serverReused").boolean(true);
    if (f.serverConnection) // the server connection's record
        w.key("_serverConnection").string(std::to_string(f.serverConnection));
    if (f.serverStream) // the stream on it, when it speaks HTTP/2
        w.key("_serverStream").number(std::int64_t(f.serverStream));
    if (!f.upstream.empty())
        w.key("_upstream").string(f.upstream);
    if (!f.error.empty())
        w.key("_error").string(f.error);
    writeTls(w, f);
    writeWebSocketMessages(w, f);
    writeMarks(w, f);
    w.endObject();
}

void writeTunnel(JsonWriter &w, const Flow &f)
{
    w.beginObject();
    w.key("startedDateTime").string(isoTime(f.startedWall));
    w.key("time").millis(f.durationMicros());
    w.key("host").string(f.host);
    w.key("port").number(int(f.port));
    w.key("connection").string(std::to_string(f.clientConnection));
    // What carried it: "HTTP/1.1" (a CONNECT), "HTTP/2" (a CONNECT stream), "SOCKS5".
    w.key("clientProtocol").string(f.clientProtocol);
    if (f.clientStream)
        w.key("clientStream").number(std::int64_t(f.clientStream));
    if (!f.clientAddress.empty())
        w.key("clientAddress").string(f.clientAddress);
    if (!f.serverAddress.empty())
        w.key("serverAddress").string(f.serverAddress);
    if (f.serverConnection)
        w.key("serverConnection").string(std::to_string(f.serverConnection));
    if (!f.upstream.empty())
        w.key("upstream").string(f.upstream);
    w.key("bytesClientToServer").number(f.bytesClientToServer);
    w.key("bytesServerToClient").number(f.bytesServerToClient);
    if (f.closedWall > 0)
        w.key("closedDateTime").string(isoTime(f.closedWall));
    if (!f.closeReason.empty())
        w.key("closeReason").string(f.closeReason);
    if (!f.error.empty())
        w.key("error").string(f.error);
    writeTls(w, f);
    writeMarks(w, f);
    w.endObject();
}

Error writeError(const QString &path, const QString &why)
{
    return Error{"har.write", (u"Cannot write %1: %2"_s.arg(path, why)).toStdString()};
}

} // namespace

Result<void> checkWritable(const QString &path)
{
    const QFileInfo info(path);
    const auto refuse = [&path](const QString &why) {
        return Error{"file.unwritable", (u"cannot write %1: %2"_s.arg(path, why)).toStdString()};
    };
    if (info.isDir())
        return refuse(u"it is a directory"_s);
    const QFileInfo dir(info.absolutePath());
    if (!dir.exists())
        return refuse(u"the directory %1 does not exist"_s.arg(dir.filePath()));
    if (!dir.isDir())
        return refuse(u"%1 is not a directory"_s.arg(dir.filePath()));
    if (info.exists() && !info.isWritable())
        return refuse(u"the file is read-only"_s);
    // Permissions alone do not tell (root, ACLs, a read-only mount): make a file there.
    QTemporaryFile probe(dir.filePath() + u"/.tunnelscope-probe-XXXXXX"_s);
    if (!probe.open())
        return refuse(u"the directory %1 does not take new files (%2)"_s.arg(dir.filePath(),
                                                                             probe.errorString()));
    return {};
}

QString fallbackPath(const QString &suffix)
{
    QTemporaryFile file(QDir::tempPath() + u"/tunnelscope-XXXXXX"_s + suffix);
    file.setAutoRemove(false);
    if (!file.open())
        return {};
    return file.fileName();
}

namespace {

// The rows `rowAt(0 .. count-1)` of `store`, in that order.
template<typename RowAt>
Result<void> writeRows(const FlowStore &store, std::size_t count, RowAt rowAt, const QString &path,
                       const QString &creatorVersion)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return writeError(path, file.errorString());

    JsonWriter w(file);
    w.beginObject();
    w.key("log").beginObject();
    w.key("version").string(u"1.2"_s);
    w.key("creator").beginObject();
    w.key("name").string(u"Tunnelscope"_s);
    w.key("version").string(creatorVersion.isEmpty() ? QStringLiteral(TS_VERSION_STRING)
                                                     : creatorVersion);
    w.endObject();
    w.key("entries").beginArray();
    bool anyTunnel = false;
    for (std::size_t i = 0; i < count && w.ok(); ++i) {
        const Flow &f = store.at(rowAt(i));
        if (f.kind != FlowKind::Exchange) {
            anyTunnel = true;
            continue;
        }
        w.newline();
        writeEntry(w, f);
    }
    w.newline();
    w.endArray();
    if (anyTunnel) {
        w.key("_tunnels").beginArray();
        for (std::size_t i = 0; i < count && w.ok(); ++i) {
            const Flow &f = store.at(rowAt(i));
            if (f.kind != FlowKind::Tunnel)
                continue;
            w.newline();
            writeTunnel(w, f);
        }
        w.newline();
        w.endArray();
    }
    w.endObject();
    w.endObject();
    w.newline();

    if (!w.finish()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return writeError(path, why);
    }
    if (!file.commit())
        return writeError(path, file.errorString());
    return {};
}

} // namespace

Result<void> writeHar(const FlowStore &store, const QString &path, const QString &creatorVersion)
{
    return writeRows(
        store, store.size(), [](std::size_t i) { return i; }, path, creatorVersion);
}

Result<void> writeHar(const FlowStore &store, const std::vector<std::size_t> &rows,
                      const QString &path, const QString &creatorVersion)
{
    for (const std::size_t row : rows) {
        if (row >= store.size())
            return writeError(path, u"no flow at row %1"_s.arg(row));
    }
    return writeRows(
        store, rows.size(), [&rows](std::size_t i) { return rows[i]; }, path, creatorVersion);
}

} // namespace ts::flow
