#include "core/flow/har.h"

#include "core/flow/flow_store.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace ts::flow;
using ts::WallMillis;
using namespace Qt::StringLiterals;

namespace {

constexpr WallMillis kStart = 1700000000123; // 2023-11-14T22:13:20.123Z

// QVERIFY2 evaluates its message even when the check passes, and error() of a good Result
// throws.
template<typename R>
const char *why(const R &result)
{
    return result.ok() ? "" : result.error().message.c_str();
}

std::shared_ptr<Body> bodyOf(const std::shared_ptr<BodyBudget> &budget, std::string_view bytes)
{
    auto body = std::make_shared<Body>(budget);
    body->append(bytes);
    return body;
}

std::string binaryBytes()
{
    std::string s;
    for (int i = 0; i < 256; ++i)
        s += char(i);
    return s;
}

// A page load: a GET with cookies and a query, a binary POST over https on a custom port, a
// request whose connect failed, a tunnel, a 502 the proxy answered itself.
void fill(FlowStore &store)
{
    const auto budget = store.budget();

    Flow get;
    get.id = 1;
    get.state = FlowState::Complete;
    get.clientConnection = 7;
    get.clientAddress = "127.0.0.1:53412";
    get.startedWall = kStart;
    get.scheme = "http";
    get.host = "example.com";
    get.port = 80;
    get.serverAddress = "93.184.216.34:80";
    get.method = "GET";
    get.path = "/search?q=a%20b&x=1&empty";
    get.clientProtocol = "HTTP/1.1";
    get.serverProtocol = "HTTP/1.1";
    get.requestHeaders = {
        {"Host", "example.com"}, {"Cookie", "session=abc123; theme=dark"}, {"X-Latin1", "caf\xe9"}};
    get.status = 200;
    get.reason = "OK";
    get.responseHeaders = {
        {"Content-Type", "text/html; charset=utf-8"},
        {"Content-Length", "24"},
        {"Set-Cookie", "id=42; Path=/; Domain=example.com; Expires=Wed, 21 Oct 2015 07:28:00 GMT; "
                       "HttpOnly; Secure"}};
    get.responseBody = bodyOf(budget, "<html>h\xc3\xa9llo \"w\"\n</html>");
    get.requestWireBytes = 120;
    get.responseWireBytes = 200 + get.responseBody->size();
    get.timings = {1000, 3000, 3500, 10000, 12500};
    store.publish(get);

    Flow post;
    post.id = 2;
    post.state = FlowState::Complete;
    post.clientConnection = 8;
    post.startedWall = kStart + 50;
    post.scheme = "https";
    post.host = "api.example.com";
    post.port = 8443;
    post.serverAddress = "[2001:db8::1]:8443";
    post.serverReused = true;
    post.upstream = "via http://127.0.0.1:3128 → socks5h://127.0.0.1:1080";
    post.method = "POST";
    post.path = "/upload";
    post.clientProtocol = "HTTP/1.1";
    post.serverProtocol = "HTTP/1.1";
    post.requestHeaders = {{"Content-Type", "application/octet-stream"}};
    post.requestBody = bodyOf(budget, binaryBytes());
    post.requestWireBytes = 60 + 256;
    post.status = 201;
    post.reason = "Created";
    post.responseHeaders = {{"Content-Type", "application/json"},
                            {"Transfer-Encoding", "chunked"},
                            {"Location", "/upload/9"}};
    post.responseBody = bodyOf(budget, "{\"id\":9}");
    post.responseTrailers = {{"X-Checksum", "abc"}};
    post.responseWireBytes = 400;
    post.timings = {-1, -1, 800, 20800, 21000}; // reused connection: no dns, no connect
    store.publish(post);

    Flow failed;
    failed.id = 3;
    failed.state = FlowState::Failed;
    failed.clientConnection = 9;
    failed.startedWall = kStart + 100;
    failed.scheme = "http";
    failed.host = "unreachable.test";
    failed.port = 80;
    failed.method = "GET";
    failed.path = "/";
    failed.requestHeaders = {{"Host", "unreachable.test"}};
    failed.error = "connect: connection refused";
    failed.timings = {2000, -1, -1, -1, 5000}; // failed while connecting
    store.publish(failed);

    Flow tunnel;
    tunnel.id = 4;
    tunnel.kind = FlowKind::Tunnel;
    tunnel.state = FlowState::Complete;
    tunnel.clientConnection = 10;
    tunnel.startedWall = kStart + 150;
    tunnel.host = "example.org";
    tunnel.port = 443;
    tunnel.serverAddress = "93.184.216.35:443";
    tunnel.bytesClientToServer = 1234;
    tunnel.bytesServerToClient = 56789;
    tunnel.closedWall = kStart + 2150;
    tunnel.closeReason = "client closed";
    tunnel.timings.complete = 2000000;
    store.publish(tunnel);

    Flow proxy502;
    proxy502.id = 5;
    proxy502.state = FlowState::Failed;
    proxy502.clientConnection = 11;
    proxy502.startedWall = kStart + 200;
    proxy502.scheme = "http";
    proxy502.host = "down.test";
    proxy502.port = 8080;
    proxy502.method = "GET";
    proxy502.path = "/x";
    proxy502.status = 502;
    proxy502.reason = "Bad Gateway";
    proxy502.responseFromProxy = true;
    proxy502.responseHeaders = {{"Content-Type", "text/plain"}, {"Content-Encoding", "gzip"}};
    proxy502.responseBody = bodyOf(budget, std::string("\x1f\x8b\x08\x00rest", 8));
    proxy502.error = "dns: down.test: no such host";
    proxy502.timings = {300, -1, -1, -1, 400};
    store.publish(proxy502);

    store.flush();
}

QJsonObject parseFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "parse error" << error.errorString();
    return doc.object();
}

QString headerIn(const QJsonArray &headers, const QString &name)
{
    for (const QJsonValue h : headers) {
        if (h[u"name"_s].toString().compare(name, Qt::CaseInsensitive) == 0)
            return h[u"value"_s].toString();
    }
    return {};
}

} // namespace

// HAR 1.2 export (fields, values, atomic write) and import (round trip, Chrome's HAR, errors).
class HarTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }

    void writesRequiredHar12Fields()
    {
        FlowStore store;
        fill(store);
        const QString path = m_dir.filePath(u"fields.har"_s);
        const auto written = writeHar(store, path, u"9.9.9"_s);
        QVERIFY2(written.ok(), why(written));

        const QJsonObject log = parseFile(path)[u"log"_s].toObject();
        QCOMPARE(log[u"version"_s].toString(), u"1.2"_s);
        QCOMPARE(log[u"creator"_s][u"name"_s].toString(), u"Tunnelscope"_s);
        QCOMPARE(log[u"creator"_s][u"version"_s].toString(), u"9.9.9"_s);

        const QJsonArray entries = log[u"entries"_s].toArray();
        QCOMPARE(entries.size(), 4); // the tunnel is not an entry
        const QRegularExpression iso(QStringLiteral(
            "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)$"));
        for (const QJsonValue value : entries) {
            const QJsonObject e = value.toObject();
            QVERIFY(iso.match(e[u"startedDateTime"_s].toString()).hasMatch());
            QVERIFY(e[u"time"_s].isDouble());
            QVERIFY(e[u"cache"_s].isObject());

            const QJsonObject request = e[u"request"_s].toObject();
            for (const auto &key : {u"method"_s, u"url"_s, u"httpVersion"_s})
                QVERIFY2(request[key].isString(), qPrintable(key));
            for (const auto &key : {u"cookies"_s, u"headers"_s, u"queryString"_s})
                QVERIFY2(request[key].isArray(), qPrintable(key));
            QVERIFY(request[u"headersSize"_s].isDouble());
            QVERIFY(request[u"bodySize"_s].isDouble());

            const QJsonObject response = e[u"response"_s].toObject();
            QVERIFY(response[u"status"_s].isDouble());
            for (const auto &key : {u"statusText"_s, u"httpVersion"_s, u"redirectURL"_s})
                QVERIFY2(response[key].isString(), qPrintable(key));
            QVERIFY(response[u"cookies"_s].isArray());
            QVERIFY(response[u"headers"_s].isArray());
            QVERIFY(response[u"content"_s][u"size"_s].isDouble());
            QVERIFY(response[u"content"_s][u"mimeType"_s].isString());
            QVERIFY(response[u"headersSize"_s].isDouble());
            QVERIFY(response[u"bodySize"_s].isDouble());

            // time is the sum of the timings that happened (ssl is inside connect).
            const QJsonObject t = e[u"timings"_s].toObject();
            double sum = 0;
            for (const auto &key :
                 {u"blocked"_s, u"dns"_s, u"connect"_s, u"send"_s, u"wait"_s, u"receive"_s}) {
                QVERIFY2(t[key].isDouble(), qPrintable(key));
                sum += std::max(0.0, t[key].toDouble());
            }
            QVERIFY(t[u"ssl"_s].isDouble());
            for (const auto &key : {u"send"_s, u"wait"_s, u"receive"_s})
                QVERIFY(t[key].toDouble() >= 0);
            QVERIFY(qAbs(sum - e[u"time"_s].toDouble()) < 1e-6);
        }
    }

    void writesValues()
    {
        FlowStore store;
        fill(store);
        const QString path = m_dir.filePath(u"values.har"_s);
        QVERIFY(writeHar(store, path).ok());
        const QJsonObject log = parseFile(path)[u"log"_s].toObject();
        QVERIFY(!log[u"creator"_s][u"version"_s].toString().isEmpty());
        const QJsonArray entries = log[u"entries"_s].toArray();

        // The GET.
        const QJsonObject get = entries[0].toObject();
        QCOMPARE(get[u"startedDateTime"_s].toString(), u"2023-11-14T22:13:20.123Z"_s);
        QCOMPARE(get[u"time"_s].toDouble(), 12.5);
        QCOMPARE(get[u"serverIPAddress"_s].toString(), u"93.184.216.34"_s);
        QCOMPARE(get[u"connection"_s].toString(), u"7"_s);
        QCOMPARE(get[u"_clientAddress"_s].toString(), u"127.0.0.1:53412"_s);
        QVERIFY(!get.contains(u"_error"_s));
        const QJsonObject request = get[u"request"_s].toObject();
        QCOMPARE(request[u"method"_s].toString(), u"GET"_s);
        QCOMPARE(request[u"url"_s].toString(), u"http://example.com/search?q=a%20b&x=1&empty"_s);
        QCOMPARE(request[u"httpVersion"_s].toString(), u"HTTP/1.1"_s);
        QCOMPARE(request[u"headersSize"_s].toInt(), 120);
        QCOMPARE(request[u"bodySize"_s].toInt(), 0);
        QVERIFY(!request.contains(u"postData"_s));
        QCOMPARE(headerIn(request[u"headers"_s].toArray(), u"x-latin1"_s), u"caf\u00e9"_s);
        const QJsonArray query = request[u"queryString"_s].toArray();
        QCOMPARE(query.size(), 3);
        QCOMPARE(query[0][u"name"_s].toString(), u"q"_s);
        QCOMPARE(query[0][u"value"_s].toString(), u"a b"_s);
        QCOMPARE(query[2][u"name"_s].toString(), u"empty"_s);
        QCOMPARE(query[2][u"value"_s].toString(), QString());
        const QJsonArray cookies = request[u"cookies"_s].toArray();
        QCOMPARE(cookies.size(), 2);
        QCOMPARE(cookies[1][u"name"_s].toString(), u"theme"_s);
        QCOMPARE(cookies[1][u"value"_s].toString(), u"dark"_s);

        const QJsonObject response = get[u"response"_s].toObject();
        QCOMPARE(response[u"status"_s].toInt(), 200);
        QCOMPARE(response[u"statusText"_s].toString(), u"OK"_s);
        QCOMPARE(response[u"redirectURL"_s].toString(), QString());
        QCOMPARE(response[u"headersSize"_s].toInt(), 200);
        QCOMPARE(response[u"bodySize"_s].toInt(), 24);
        const QJsonObject content = response[u"content"_s].toObject();
        QCOMPARE(content[u"size"_s].toInt(), 24);
        QCOMPARE(content[u"mimeType"_s].toString(), u"text/html; charset=utf-8"_s);
        QCOMPARE(content[u"text"_s].toString(), u"<html>h\u00e9llo \"w\"\n</html>"_s);
        QVERIFY(!content.contains(u"encoding"_s));
        const QJsonObject setCookie = response[u"cookies"_s].toArray()[0].toObject();
        QCOMPARE(setCookie[u"name"_s].toString(), u"id"_s);
        QCOMPARE(setCookie[u"value"_s].toString(), u"42"_s);
        QCOMPARE(setCookie[u"path"_s].toString(), u"/"_s);
        QCOMPARE(setCookie[u"domain"_s].toString(), u"example.com"_s);
        QCOMPARE(setCookie[u"expires"_s].toString(), u"2015-10-21T07:28:00.000Z"_s);
        QCOMPARE(setCookie[u"httpOnly"_s].toBool(), true);
        QCOMPARE(setCookie[u"secure"_s].toBool(), true);
        const QJsonObject timings = get[u"timings"_s].toObject();
        QCOMPARE(timings[u"blocked"_s].toDouble(), -1.0);
        QCOMPARE(timings[u"dns"_s].toDouble(), 1.0);
        QCOMPARE(timings[u"connect"_s].toDouble(), 2.0);
        QCOMPARE(timings[u"send"_s].toDouble(), 0.5);
        QCOMPARE(timings[u"wait"_s].toDouble(), 6.5);
        QCOMPARE(timings[u"receive"_s].toDouble(), 2.5);
        QCOMPARE(timings[u"ssl"_s].toDouble(), -1.0);

        // The binary POST over a reused connection.
        const QJsonObject post = entries[1].toObject();
        QCOMPARE(post[u"request"_s][u"url"_s].toString(), u"https://api.example.com:8443/upload"_s);
        QCOMPARE(post[u"serverIPAddress"_s].toString(), u"2001:db8::1"_s);
        const QJsonObject postData = post[u"request"_s][u"postData"_s].toObject();
        QCOMPARE(postData[u"mimeType"_s].toString(), u"application/octet-stream"_s);
        QCOMPARE(postData[u"encoding"_s].toString(), u"base64"_s);
        const QByteArray sent = QByteArray::fromBase64(postData[u"text"_s].toString().toLatin1());
        QCOMPARE(sent, QByteArray::fromStdString(binaryBytes()));
        QCOMPARE(post[u"request"_s][u"headersSize"_s].toInt(), 60);
        QCOMPARE(post[u"request"_s][u"bodySize"_s].toInt(), 256);
        QCOMPARE(post[u"response"_s][u"headersSize"_s].toInt(), -1); // chunked: unknown
        QCOMPARE(post[u"response"_s][u"redirectURL"_s].toString(), u"/upload/9"_s);
        QCOMPARE(post[u"response"_s][u"_trailers"_s].toArray().size(), 1);
        QCOMPARE(post[u"timings"_s][u"dns"_s].toDouble(), -1.0);
        QCOMPARE(post[u"timings"_s][u"connect"_s].toDouble(), -1.0);
        QCOMPARE(post[u"timings"_s][u"send"_s].toDouble(), 0.8);
        QCOMPARE(post[u"timings"_s][u"wait"_s].toDouble(), 20.0);
        QCOMPARE(post[u"timings"_s][u"receive"_s].toDouble(), 0.2);

        // The failed request: an entry with status 0 and the error.
        const QJsonObject failed = entries[2].toObject();
        QCOMPARE(failed[u"_error"_s].toString(), u"connect: connection refused"_s);
        QCOMPARE(failed[u"response"_s][u"status"_s].toInt(), 0);
        QCOMPARE(failed[u"response"_s][u"bodySize"_s].toInt(), -1);
        QCOMPARE(failed[u"response"_s][u"_error"_s].toString(), u"connect: connection refused"_s);
        QCOMPARE(failed[u"timings"_s][u"dns"_s].toDouble(), 2.0);
        QCOMPARE(failed[u"timings"_s][u"connect"_s].toDouble(), 3.0); // failed while connecting
        QCOMPARE(failed[u"time"_s].toDouble(), 5.0);
        QVERIFY(!failed.contains(u"serverIPAddress"_s));

        // The proxy's own 502, with coded bytes flagged as such.
        const QJsonObject bad = entries[3].toObject();
        QCOMPARE(bad[u"response"_s][u"status"_s].toInt(), 502);
        QCOMPARE(bad[u"response"_s][u"_fromProxy"_s].toBool(), true);
        QCOMPARE(bad[u"response"_s][u"content"_s][u"encoding"_s].toString(), u"base64"_s);
        QCOMPARE(bad[u"response"_s][u"content"_s][u"_contentEncoded"_s].toBool(), true);
        QCOMPARE(bad[u"_error"_s].toString(), u"dns: down.test: no such host"_s);

        // The tunnel, in the custom array.
        const QJsonArray tunnels = log[u"_tunnels"_s].toArray();
        QCOMPARE(tunnels.size(), 1);
        QCOMPARE(tunnels[0][u"host"_s].toString(), u"example.org"_s);
        QCOMPARE(tunnels[0][u"port"_s].toInt(), 443);
        QCOMPARE(tunnels[0][u"bytesServerToClient"_s].toInt(), 56789);
        QCOMPARE(tunnels[0][u"time"_s].toDouble(), 2000.0);
    }

    void latin1HeaderBytesAreWrittenAsUtf8()
    {
        FlowStore store;
        fill(store);
        const QString path = m_dir.filePath(u"latin1.har"_s);
        QVERIFY(writeHar(store, path).ok());
        const QJsonArray headers = parseFile(path)[u"log"_s][u"entries"_s]
                                       .toArray()[0][u"request"_s][u"headers"_s]
                                       .toArray();
        QCOMPARE(headers[2][u"value"_s].toString(), u"caf\u00e9"_s);
    }

    void truncatedBodiesAreFlagged()
    {
        FlowStore store;
        store.budget()->perBodyRecorded = 4;
        Flow f;
        f.id = 1;
        f.state = FlowState::Complete;
        f.scheme = "http";
        f.host = "t.test";
        f.port = 80;
        f.method = "GET";
        f.status = 200;
        f.responseBody = bodyOf(store.budget(), "0123456789");
        store.publish(f);
        store.flush();
        const QString path = m_dir.filePath(u"trunc.har"_s);
        QVERIFY(writeHar(store, path).ok());
        const QJsonObject content = parseFile(path)[u"log"_s][u"entries"_s]
                                        .toArray()[0][u"response"_s][u"content"_s]
                                        .toObject();
        QCOMPARE(content[u"size"_s].toInt(), 10);
        QCOMPARE(content[u"text"_s].toString(), u"0123"_s);
        QCOMPARE(content[u"_truncated"_s].toBool(), true);
    }

    void writeFailsCleanly()
    {
        FlowStore store;
        fill(store);
        const auto result = writeHar(store, m_dir.filePath(u"no/such/dir/x.har"_s));
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, std::string("har.write"));
        QVERIFY(QString::fromStdString(result.error().message).contains(u"no/such/dir"_s));

        // A previous file survives a failed export untouched: QSaveFile only replaces on commit.
        const QString path = m_dir.filePath(u"keep.har"_s);
        QVERIFY(writeHar(store, path).ok());
        QFile::setPermissions(m_dir.path(), QFile::ReadOwner | QFile::ExeOwner);
        const auto blocked = writeHar(store, path);
        QFile::setPermissions(m_dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        if (!blocked.ok()) // root can write anyway; then there is nothing to check
            QCOMPARE(parseFile(path)[u"log"_s][u"entries"_s].toArray().size(), 4);
    }

    void emptyStoreWritesAnEmptyLog()
    {
        FlowStore store;
        const QString path = m_dir.filePath(u"empty.har"_s);
        QVERIFY(writeHar(store, path).ok());
        const QJsonObject log = parseFile(path)[u"log"_s].toObject();
        QVERIFY(log[u"entries"_s].isArray());
        QCOMPARE(log[u"entries"_s].toArray().size(), 0);
        QVERIFY(!log.contains(u"_tunnels"_s));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(HarTest)
#include "har_test.moc"
