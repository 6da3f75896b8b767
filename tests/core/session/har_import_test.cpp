#include "core/session/har_import.h"

#include "core/flow/flow_store.h"
#include "core/flow/har.h"
#include "core/session/session_file.h"

#include <QBuffer>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::flow;
using namespace ts::session;
using namespace Qt::StringLiterals;

namespace {

template<typename R>
const char *why(const R &result)
{
    return result.ok() ? "" : result.error().message.c_str();
}

QByteArray readData(const QString &name)
{
    // ctest sets TS_SOURCE_DIR; QFINDTESTDATA alone depends on the working directory when
    // ccache has made __FILE__ relative (CCACHE_BASEDIR).
    const QString root = qEnvironmentVariable("TS_SOURCE_DIR");
    QFile file(root.isEmpty() ? QFINDTESTDATA(u"data/"_s + name)
                              : root + u"/tests/core/session/data/"_s + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read test data %s", qPrintable(name));
    return file.readAll();
}

WallMillis at(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs).toMSecsSinceEpoch();
}

std::string bodyText(const std::shared_ptr<Body> &body)
{
    return body ? body->read() : std::string("<null>");
}

std::shared_ptr<Body> bodyOf(const std::shared_ptr<BodyBudget> &budget, std::string_view bytes)
{
    auto body = std::make_shared<Body>(budget);
    body->append(bytes);
    return body;
}

// What Timings say, in one comparable line.
std::string timings(const Flow &f)
{
    const Timings &t = f.timings;
    return std::to_string(t.lookup) + " " + std::to_string(t.connect) + " "
           + std::to_string(t.requestSent) + " " + std::to_string(t.firstByte) + " "
           + std::to_string(t.complete);
}

std::shared_ptr<const TlsSide> tlsSide(const std::string &sni, bool server)
{
    TlsSide t;
    t.used = true;
    t.sni = sni;
    t.alpnOffered = {"h2", "http/1.1"};
    t.alpn = "h2";
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.chain = {{"CN=" + sni, "CN=CA", {sni}, 1700000000000, 1731536000000, "0A", "ab", "EC"}};
    t.handshakeMicros = server ? 18250 : 4100;
    t.verified = server;
    t.verifyError = server ? "" : "unable to get local issuer certificate";
    return std::make_shared<const TlsSide>(std::move(t));
}

Error errorOf(const QByteArray &json)
{
    auto flows = importHar(json, nullptr);
    if (flows)
        qFatal("imported: %s", json.constData());
    return flows.error();
}

} // namespace

class HarImportTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void chrome()
    {
        const auto flows = importHar(readData(u"chrome.har"_s), nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE(flows->size(), std::size_t(6));
        // In start order: the +01:00 entry started first.
        const Flow &legacy = (*flows)[0];
        const Flow &page = (*flows)[1];
        const Flow &logo = (*flows)[2];
        const Flow &tracker = (*flows)[3];
        const Flow &api = (*flows)[4];
        const Flow &login = (*flows)[5];
        for (std::size_t i = 0; i < flows->size(); ++i)
            QCOMPARE((*flows)[i].id, FlowId(i + 1));

        QCOMPARE(page.kind, FlowKind::Exchange);
        QCOMPARE(page.state, FlowState::Complete);
        QCOMPARE(page.url(), std::string("https://www.example.com/"));
        QCOMPARE(page.method, std::string("GET"));
        QCOMPARE(page.clientProtocol, std::string("HTTP/2"));
        QCOMPARE(page.serverProtocol, std::string("HTTP/2"));
        // Kept as Chrome recorded them, pseudo-header fields included.
        QCOMPARE(page.requestHeaders.size(), std::size_t(7));
        QCOMPARE(page.requestHeaders[0].first, std::string(":authority"));
        QCOMPARE(page.requestHeaders[4].first, std::string("accept"));
        // Chrome's text is decoded: no Content-Encoding left to claim otherwise.
        QCOMPARE(page.responseHeaders.size(), std::size_t(3));
        QCOMPARE(page.responseHeaders[0].first, std::string("content-type"));
        QVERIFY(bodyText(page.responseBody).find("h\xc3\xa9llo, w\xc3\xb6rld \xe2\x9c\x93")
                != std::string::npos);
        QVERIFY(!page.responseBody->truncated());
        QCOMPARE(page.responseWireBytes, std::uint64_t(412));
        QCOMPARE(page.startedWall, at("2024-03-01T10:15:30.123Z"));
        QCOMPARE(timings(page), std::string("13734 49434 49634 129934 135034"));
        QVERIFY(page.serverTls);
        QCOMPARE(page.serverTls->handshakeMicros, std::int64_t(20100));
        QCOMPARE(page.serverAddress, std::string("[2606:2800:220:1:248:1893:25c8:1946]:443"));
        QCOMPARE(page.clientConnection, ConnectionId(1234));
        QVERIFY(page.error.empty());

        const QByteArray png
            = QByteArray::fromBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+"
                                     "M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
        QCOMPARE(bodyText(logo.responseBody), png.toStdString());
        QVERIFY(!logo.serverTls);
        QCOMPARE(timings(logo), std::string("-1 -1 900 21150 21550"));

        QCOMPARE(tracker.state, FlowState::Failed);
        QCOMPARE(tracker.status, 0);
        QCOMPARE(tracker.error, std::string("net::ERR_NAME_NOT_RESOLVED"));
        QCOMPARE(tracker.clientProtocol, std::string("HTTP/1.1"));
        QCOMPARE(timings(tracker), std::string("-1 -1 -1 -1 900"));
        QVERIFY(!tracker.responseBody);

        QCOMPARE(api.method, std::string("POST"));
        QCOMPARE(api.path, std::string("/v1/events?session=x%20y"));
        QCOMPARE(api.clientProtocol, std::string("HTTP/2")); // "http/2.0"
        QCOMPARE(bodyText(api.requestBody),
                 std::string(R"({"type":"page_view","ts":1709288130123,"path":"/"})"));
        QCOMPARE(api.status, 204);
        QVERIFY(!api.responseBody);
        QCOMPARE(api.serverAddress, std::string("93.184.216.34:443"));

        // Text wins over params when both are there.
        QCOMPARE(bodyText(login.requestBody),
                 std::string("user=alice%40example.com&password=s3cr%C3%A9t+x&remember=on"));
        QCOMPARE(login.status, 302);
        QVERIFY(login.responseBody && login.responseBody->size() == 0);

        QCOMPARE(legacy.url(), std::string("http://legacy.example.com:8080/api?q=1&r=two"));
        QCOMPARE(legacy.clientProtocol, std::string("HTTP/1.1"));
        QCOMPARE(legacy.reason, std::string("OK"));
        QCOMPARE(legacy.requestWireBytes, std::uint64_t(96));
        QCOMPARE(legacy.responseWireBytes, std::uint64_t(100));
        QCOMPARE(legacy.serverAddress, std::string("198.51.100.4:8080"));
        QCOMPARE(legacy.startedWall, at("2024-03-01T09:15:30.700Z"));
        QCOMPARE(timings(legacy), std::string("2100 12100 12150 27150 28400"));
    }

    void firefox()
    {
        const auto flows = importHar(readData(u"firefox.har"_s), nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE(flows->size(), std::size_t(3));
        const Flow &list = (*flows)[0];
        const Flow &cart = (*flows)[1];
        const Flow &upload = (*flows)[2];

        QCOMPARE(list.clientProtocol, std::string("HTTP/2"));
        QCOMPARE(list.clientConnection, ConnectionId(0)); // Firefox's "connection" is a port
        QCOMPARE(bodyText(list.responseBody), std::string("{\"products\":[1,2,3],\"n\":3}\n"));
        QCOMPARE(list.responseHeaders.size(), std::size_t(2)); // content-encoding dropped
        QCOMPARE(timings(list), std::string("0 0 0 120000 123000"));
        QVERIFY(!list.serverTls); // ssl 0: the connection was set up before
        QCOMPARE(list.startedWall, at("2024-03-01T10:15:30.123Z"));
        QCOMPARE(list.requestWireBytes, std::uint64_t(310));
        QCOMPARE(list.responseWireBytes, std::uint64_t(184));

        // Params without text: the body is made from them.
        QCOMPARE(bodyText(cart.requestBody), std::string("item=42&note=gift+wrap+%26+card"));
        QCOMPARE(cart.reason, std::string("See Other"));

        QCOMPARE(bodyText(upload.requestBody),
                 std::string("------geckoformboundary7f3a\r\n"
                             "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                             "Holiday\r\n"
                             "------geckoformboundary7f3a\r\n"
                             "Content-Disposition: form-data; name=\"photo\"; "
                             "filename=\"a.png\"\r\n"
                             "Content-Type: image/png\r\n\r\n"
                             "PNGDATA\r\n"
                             "------geckoformboundary7f3a--\r\n"));
        // A body Firefox saw but did not save: its size, nothing recorded.
        QVERIFY(upload.responseBody);
        QCOMPARE(upload.responseBody->size(), std::uint64_t(5000));
        QCOMPARE(upload.responseBody->recordedSize(), std::uint64_t(0));
        QVERIFY(upload.responseBody->truncated());
        QCOMPARE(upload.serverAddress, std::string("[2001:db8::5]:443"));
        QCOMPARE(upload.serverTls->handshakeMicros, std::int64_t(20000));
        QCOMPARE(timings(upload), std::string("7000 37000 38000 78000 85000"));
    }

    // Our export, imported again, gives the flows back: every field HAR carries.
    void ownRoundTrip()
    {
        FlowStore store;
        const auto budget = store.budget();
        budget->perBodyRecorded = 1000;
        const auto clientTls = tlsSide("secure.example", false);
        const auto serverTls = tlsSide("secure.example", true);
        std::vector<Flow> original;

        Flow get;
        get.id = 1;
        get.state = FlowState::Complete;
        get.clientConnection = 3;
        get.clientAddress = "127.0.0.1:50000";
        get.startedWall = 1700000000100;
        get.scheme = "http";
        get.host = "example.com";
        get.port = 80;
        get.serverAddress = "93.184.216.34:80";
        get.serverReused = true;
        get.serverConnection = 12;
        get.upstream = "via http://127.0.0.1:3128 → socks5h://127.0.0.1:1080";
        get.method = "GET";
        get.path = "/a?b=c%20d";
        get.clientProtocol = "HTTP/1.1";
        get.serverProtocol = "HTTP/1.0";
        get.requestHeaders = {{"Host", "example.com"}, {"Accept", "*/*"}};
        get.status = 200;
        get.reason = "OK";
        get.responseHeaders = {{"Content-Type", "application/octet-stream"},
                               {"Content-Encoding", "gzip"},
                               {"Content-Length", "4"}};
        get.responseBody = bodyOf(budget, std::string("\x1f\x8b\0\xff", 4));
        get.requestWireBytes = 60;
        get.responseWireBytes = 120;
        // The other wire of each message: what went on to the server and back to the client.
        get.serverRequestHeaders = {{"Host", "example.com"}, {"Accept", "*/*"}, {"Via", "1.1 t"}};
        get.serverRequestWireBytes = 70;
        get.clientResponseHeaders = {{"Content-Type", "application/octet-stream"},
                                     {"Content-Encoding", "gzip"},
                                     {"Content-Length", "4"},
                                     {"Connection", "close"}};
        get.clientResponseWireBytes = 140;
        get.timings = {1000, 3000, 3500, 10000, 12500};
        original.push_back(get);

        Flow tunnel;
        tunnel.id = 2;
        tunnel.kind = FlowKind::Tunnel;
        tunnel.state = FlowState::Complete;
        tunnel.clientConnection = 4;
        tunnel.clientAddress = "127.0.0.1:50001";
        tunnel.startedWall = 1700000000200;
        tunnel.host = "secure.example";
        tunnel.port = 443;
        tunnel.serverAddress = "198.51.100.1:443";
        tunnel.method = "CONNECT";
        tunnel.bytesClientToServer = 500;
        tunnel.bytesServerToClient = 7000;
        tunnel.closedWall = 1700000005000;
        tunnel.closeReason = "client closed";
        tunnel.intercepted = true;
        tunnel.clientTls = clientTls;
        tunnel.serverTls = serverTls;
        tunnel.timings.complete = 4800000;
        original.push_back(tunnel);

        Flow post;
        post.id = 3;
        post.state = FlowState::Complete;
        post.clientConnection = 4;
        post.startedWall = 1700000000300;
        post.scheme = "https";
        post.host = "secure.example";
        post.port = 443;
        post.serverAddress = "198.51.100.1:443";
        post.method = "POST";
        post.path = "/upload";
        post.clientProtocol = "HTTP/2";
        post.serverProtocol = "HTTP/2";
        post.requestHeaders = {{":method", "POST"},
                               {":scheme", "https"},
                               {":authority", "secure.example"},
                               {":path", "/upload"},
                               {"content-type", "text/plain; charset=utf-8"}};
        post.serverRequestHeaders = post.requestHeaders;
        post.requestTrailers = {{"x-sum", "1"}};
        post.requestBody = bodyOf(budget, "h\xc3\xa9llo \"w\"\n\t\x01");
        post.status = 201;
        post.reason = "";
        post.responseHeaders = {{"content-type", "text/plain"}};
        post.responseTrailers = {{"grpc-status", "0"}};
        post.responseBody = bodyOf(budget, std::string(1500, 'x')); // truncated at 1000
        post.timings = {-1, -1, 200, 900, 1300};
        post.intercepted = true;
        post.clientTls = clientTls;
        post.serverTls = serverTls;
        post.parent = 2;
        original.push_back(post);

        Flow unreachable; // failed while connecting; the proxy answered 502
        unreachable.id = 4;
        unreachable.state = FlowState::Failed;
        unreachable.clientConnection = 5;
        unreachable.startedWall = 1700000000400;
        unreachable.scheme = "http";
        unreachable.host = "down.example";
        unreachable.port = 8080;
        unreachable.method = "GET";
        unreachable.path = "/";
        unreachable.serverProtocol = "HTTP/1.1";
        unreachable.status = 502;
        unreachable.reason = "Bad Gateway";
        unreachable.responseFromProxy = true;
        unreachable.error = "Cannot connect to down.example:8080: connection refused";
        unreachable.timings = {1000, -1, -1, -1, 5000};
        original.push_back(unreachable);

        Flow noResponse; // failed with no response at all
        noResponse.id = 5;
        noResponse.state = FlowState::Failed;
        noResponse.startedWall = 1700000000500;
        noResponse.scheme = "http";
        noResponse.host = "slow.example";
        noResponse.port = 80;
        noResponse.method = "DELETE";
        noResponse.path = "/x";
        noResponse.error = "Timed out waiting for the response";
        noResponse.timings = {500, 700, 800, -1, 30000800};
        original.push_back(noResponse);

        for (const Flow &f : original)
            store.publish(f);
        store.flush();

        QTemporaryDir dir;
        const QString path = dir.filePath(u"out.har"_s);
        const auto written = writeHar(store, path);
        QVERIFY2(written, why(written));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray exported = file.readAll();
        // TS_FUZZ_SEED_DIR=tests/fuzz/corpus/har_import refreshes the fuzz seed of our format.
        if (const QString seeds = qEnvironmentVariable("TS_FUZZ_SEED_DIR"); !seeds.isEmpty()) {
            QFile seed(seeds + u"/tunnelscope-export.har"_s);
            QVERIFY(seed.open(QIODevice::WriteOnly) && seed.write(exported) == exported.size());
        }
        const auto imported = importHar(exported, nullptr);
        QVERIFY2(imported, why(imported));
        QCOMPARE(imported->size(), original.size());

        for (std::size_t i = 0; i < original.size(); ++i) {
            const Flow &a = original[i];
            const Flow &b = (*imported)[i];
            qInfo("flow %d", int(a.id));
            QCOMPARE(b.id, a.id);
            QCOMPARE(b.kind, a.kind);
            QCOMPARE(b.state, a.state);
            QCOMPARE(b.clientConnection, a.clientConnection);
            QCOMPARE(b.clientAddress, a.clientAddress);
            QCOMPARE(b.startedWall, a.startedWall);
            QCOMPARE(b.scheme, a.scheme);
            QCOMPARE(b.host, a.host);
            QCOMPARE(b.port, a.port);
            QCOMPARE(b.serverAddress, a.serverAddress);
            QCOMPARE(b.serverReused, a.serverReused);
            QCOMPARE(b.serverConnection, a.serverConnection);
            QCOMPARE(b.upstream, a.upstream);
            QCOMPARE(b.method, a.method);
            if (a.kind == FlowKind::Exchange) {
                QCOMPARE(b.path, a.path);
                QCOMPARE(b.clientProtocol, a.clientProtocol);
                QCOMPARE(b.serverProtocol, a.status ? a.serverProtocol : std::string());
            }
            QVERIFY(b.requestHeaders == a.requestHeaders);
            QVERIFY(b.requestTrailers == a.requestTrailers);
            QCOMPARE(b.status, a.status);
            QCOMPARE(b.reason, a.reason);
            QVERIFY(b.responseHeaders == a.responseHeaders);
            QVERIFY(b.responseTrailers == a.responseTrailers);
            QVERIFY(b.serverRequestHeaders == a.serverRequestHeaders);
            QVERIFY(b.clientResponseHeaders == a.clientResponseHeaders);
            QCOMPARE(bodyText(b.requestBody), bodyText(a.requestBody));
            QCOMPARE(bodyText(b.responseBody), bodyText(a.responseBody));
            if (a.responseBody) {
                QCOMPARE(b.responseBody->size(), a.responseBody->size());
                QCOMPARE(b.responseBody->truncated(), a.responseBody->truncated());
            }
            if (a.clientProtocol.starts_with("HTTP/1")) {
                QCOMPARE(b.requestWireBytes, a.requestWireBytes);
                QCOMPARE(b.responseWireBytes, a.responseWireBytes);
                QCOMPARE(b.serverRequestWireBytes, a.serverRequestWireBytes);
                QCOMPARE(b.clientResponseWireBytes, a.clientResponseWireBytes);
            }
            QCOMPARE(b.responseFromProxy, a.responseFromProxy);
            QCOMPARE(timings(b), timings(a));
            QCOMPARE(b.bytesClientToServer, a.bytesClientToServer);
            QCOMPARE(b.bytesServerToClient, a.bytesServerToClient);
            QCOMPARE(b.closedWall, a.closedWall);
            QCOMPARE(b.closeReason, a.closeReason);
            QCOMPARE(b.intercepted, a.intercepted);
            QCOMPARE(b.parent, a.parent);
            QCOMPARE(bool(b.clientTls), bool(a.clientTls));
            QCOMPARE(bool(b.serverTls), bool(a.serverTls));
            for (const auto &[x, y] :
                 {std::pair(a.clientTls, b.clientTls), std::pair(a.serverTls, b.serverTls)}) {
                if (!x)
                    continue;
                QCOMPARE(y->sni, x->sni);
                QCOMPARE(y->alpnOffered, x->alpnOffered);
                QCOMPARE(y->alpn, x->alpn);
                QCOMPARE(y->version, x->version);
                QCOMPARE(y->cipher, x->cipher);
                QCOMPARE(y->handshakeMicros, x->handshakeMicros);
                QCOMPARE(y->verified, x->verified);
                QCOMPARE(y->verifyError, x->verifyError);
                QCOMPARE(y->failure, x->failure);
                QCOMPARE(y->chain.size(), x->chain.size());
                QCOMPARE(y->chain[0].names, x->chain[0].names);
                QCOMPARE(y->chain[0].notAfter, x->chain[0].notAfter);
                QCOMPARE(y->chain[0].sha256, x->chain[0].sha256);
            }
            QCOMPARE(b.error, a.error);
        }
        // The tunnel and its exchange share one record per side, as recorded.
        QCOMPARE((*imported)[1].clientTls.get(), (*imported)[2].clientTls.get());
    }

    // Our writer's spilled bodies, read back: the writer streams them in chunks.
    void spilledBodiesComeBackWhole()
    {
        // Bigger than the writer's chunk, with a 2-byte character straddling every chunk edge,
        // and a large binary body: both must come back byte for byte.
        FlowStore store;
        store.budget()->perBodyMemory = 256 * 1024; // both bodies spill
        std::string text = "a";
        while (text.size() < 700 * 1024)
            text += "\xc3\xa9";
        std::string binary;
        for (std::size_t i = 0; i < 500 * 1024; ++i)
            binary += char((i * 131) & 0xFF);
        Flow f;
        f.id = 1;
        f.state = FlowState::Complete;
        f.scheme = "http";
        f.host = "big.test";
        f.port = 80;
        f.method = "PUT";
        f.path = "/big";
        f.requestBody = bodyOf(store.budget(), binary);
        f.status = 200;
        f.responseBody = bodyOf(store.budget(), text);
        QVERIFY(f.responseBody->spilled());
        QVERIFY(f.requestBody->spilled());
        store.publish(f);
        store.flush();
        QTemporaryDir dir;
        const QString path = dir.filePath(u"big.har"_s);
        QVERIFY(writeHar(store, path).ok());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray json = file.readAll();
        // Valid UTF-8 goes as text, not base64.
        const QJsonObject content = QJsonDocument::fromJson(json)
                                        .object()[u"log"_s][u"entries"_s]
                                        .toArray()[0][u"response"_s][u"content"_s]
                                        .toObject();
        QVERIFY(!content.contains(u"encoding"_s));
        const auto read = importHar(json, nullptr);
        QVERIFY2(read, why(read));
        QCOMPARE(read->size(), std::size_t(1));
        QVERIFY(read->front().responseBody->read() == text);
        QVERIFY(read->front().requestBody->read() == binary);
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty") << QByteArray() << u"JSON is broken at line 1"_s;
        QTest::newRow("broken") << QByteArray("{\"log\": {\n  \"entries\": [,]}}")
                                << u"line 2, column"_s;
        QTest::newRow("array") << QByteArray("[]") << u"no \"log\" object"_s;
        QTest::newRow("no log") << QByteArray("{\"entries\": []}") << u"no \"log\" object"_s;
        QTest::newRow("no entries")
            << QByteArray("{\"log\": {\"version\": \"1.2\"}}") << u"no \"entries\" array"_s;
        QTest::newRow("entry not object")
            << QByteArray("{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\"}}, 5]}}")
            << u"Entry 2 is not an object"_s;
        QTest::newRow("no request")
            << QByteArray("{\"log\": {\"entries\": [{}]}}") << u"Entry 1: request is missing"_s;
        QTest::newRow("no url") << QByteArray("{\"log\": {\"entries\": [{\"request\": {}}]}}")
                                << u"Entry 1: request.url is missing"_s;
        QTest::newRow("relative url")
            << QByteArray("{\"log\": {\"entries\": [{\"request\": {\"url\": \"/index.html\"}}]}}")
            << u"not an absolute URL"_s;
        QTest::newRow("bad port") << QByteArray(
            "{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a:99999/\"}}]}}")
                                  << u"not an absolute URL"_s;
        QTest::newRow("bad base64")
            << QByteArray("{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\"}, "
                          "\"response\": {\"content\": {\"text\": \"@@@\", "
                          "\"encoding\": \"base64\"}}}]}}")
            << u"Entry 1: response.content.text is not valid base64"_s;
    }

    void malformed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        const Error e = errorOf(json);
        QVERIFY2(QString::fromStdString(e.message).contains(message), e.message.c_str());
    }

    // Only a URL: everything else takes its default.
    void missingFields()
    {
        const auto flows = importHar(
            "{\"log\": {\"entries\": [{\"request\": {\"url\": \"https://a.example/x\"}},"
            "{\"request\": {\"url\": \"https://b.example\", \"headers\": 5,"
            "\"postData\": {\"text\": 7}},"
            "\"response\": {\"status\": \"200\", \"content\": []},"
            "\"timings\": {\"wait\": \"x\"}, \"startedDateTime\": 3}]}}",
            nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE(flows->size(), std::size_t(2));
        const Flow &a = (*flows)[0];
        QCOMPARE(a.method, std::string("GET"));
        QCOMPARE(a.url(), std::string("https://a.example/x"));
        QCOMPARE(a.status, 0);
        QCOMPARE(a.state, FlowState::Failed);
        QVERIFY(!a.requestBody && !a.responseBody);
        QCOMPARE((*flows)[1].path, std::string("/"));
        QCOMPARE((*flows)[1].startedWall, WallMillis(0));
    }

    // Issue 17, defect 13: a WebSocket entry's wss:// URL reads as it was written, not with
    // the default port spelled out.
    void webSocketUrlsKeepTheirScheme()
    {
        const auto flows = importHar(
            "{\"log\": {\"entries\": [{\"request\": {\"url\": \"wss://a.example/socket\"},"
            "\"response\": {\"status\": 101}},"
            "{\"request\": {\"url\": \"ws://b.example:8080/live\"}}]}}",
            nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE((*flows)[0].scheme, std::string("wss"));
        QCOMPARE((*flows)[0].port, std::uint16_t(443));
        QCOMPARE((*flows)[0].url(), std::string("wss://a.example/socket"));
        QCOMPARE((*flows)[1].url(), std::string("ws://b.example:8080/live"));
    }

    // Decoded bodies stop at the budget's per-body cap; the rest is counted.
    void bodiesAreCapped()
    {
        auto budget = std::make_shared<BodyBudget>();
        budget->perBodyRecorded = 1000;
        budget->perBodyMemory = 300;
        const QByteArray bytes = QByteArray(5000, '\x01');
        const QByteArray json = "{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\"}, "
                                "\"response\": {\"status\": 200, \"content\": {\"text\": \""
                                + bytes.toBase64() + "\", \"encoding\": \"base64\"}}}]}}";
        const auto flows = importHar(json, budget);
        QVERIFY2(flows, why(flows));
        const auto &body = (*flows)[0].responseBody;
        QCOMPARE(body->size(), std::uint64_t(5000));
        QCOMPARE(body->recordedSize(), std::uint64_t(1000));
        QVERIFY(body->truncated());
        QVERIFY(body->spilled());
        QCOMPARE(budget->inMemory.load(), std::uint64_t(0));
    }

    // Text and base64 longer than a conversion chunk, with characters across its edges.
    void longBodies()
    {
        QString text;
        while (text.size() < 200000)
            text += u"a\U0001F600\u00e9"_s; // surrogate pairs land on every chunk edge
        std::string binary;
        for (int i = 0; i < 700000; ++i)
            binary += char(i * 7 + i / 256);
        QByteArray wrapped = QByteArray(binary.data(), qsizetype(binary.size())).toBase64();
        for (qsizetype i = 76; i < wrapped.size(); i += 78)
            wrapped.insert(i, "\r\n"); // MIME-style line breaks
        const QByteArray json
            = "{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\", \"postData\": "
              "{\"text\": \""
              + text.toUtf8()
              + "\"}}, \"response\": {\"status\": 200, \"content\": {\"encoding\": \"base64\", "
                "\"text\": \""
              + wrapped.replace("\r\n", "\\r\\n") + "\"}}}]}}";
        const auto flows = importHar(json, nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE(bodyText((*flows)[0].requestBody), text.toStdString());
        QVERIFY(bodyText((*flows)[0].responseBody) == binary);
    }

    // Issue 17 item 13: an imported entry's "_webSocketMessages" stay with the flow, through a
    // session file, and go back out on HAR export as they came in. The user's marks (HAR's
    // "comment", our "_pinned" and "_color") make the same round trip, for tunnels too.
    void webSocketMessagesAndMarksRoundTrip()
    {
        const QByteArray json = readData(u"websocket_marks.har"_s);
        const QJsonArray messages = QJsonDocument::fromJson(json)
                                        .object()["log"_L1]
                                        .toObject()["entries"_L1]
                                        .toArray()[0]
                                        .toObject()["_webSocketMessages"_L1]
                                        .toArray();
        QCOMPARE(messages.size(), 3);
        const auto flows = importHar(json, nullptr);
        QVERIFY2(flows, why(flows));
        QCOMPARE(flows->size(), std::size_t(3));
        const Flow *ws = nullptr;
        const Flow *plain = nullptr;
        const Flow *tunnel = nullptr;
        for (const Flow &f : *flows)
            (f.kind == FlowKind::Tunnel ? tunnel : f.host == "chat.example" ? ws : plain) = &f;
        QVERIFY(ws && plain && tunnel);
        QVERIFY(ws->webSocketMessages);
        QCOMPARE(ws->webSocketMessages->size(), std::size_t(3));
        const WebSocketMessage &first = ws->webSocketMessages->front();
        QVERIFY(first.fromClient);
        QCOMPARE(first.time, 1700000000.123456);
        QCOMPARE(first.opcode, 1);
        QCOMPARE(first.data, std::string("hello \"you\""));
        QVERIFY(!(*ws->webSocketMessages)[1].fromClient);
        QCOMPARE((*ws->webSocketMessages)[1].opcode, 2);
        QCOMPARE((*ws->webSocketMessages)[2].data, std::string("Grüße"));
        QCOMPARE(ws->webSocketDropped, std::uint64_t(4));
        QCOMPARE(ws->webSocketTruncated, std::uint64_t(1));
        QCOMPARE(ws->webSocketError,
                 std::string("the server broke the protocol (1002): reserved opcode 0x3"));
        QVERIFY(ws->marks == (Marks{true, MarkColor::Purple, "the chat, slow to answer"}));
        QVERIFY(!plain->webSocketMessages);
        QVERIFY(plain->marks.empty()); // an unknown colour is no colour
        QVERIFY(tunnel->marks == (Marks{true, MarkColor::None, "pinned tunnel"}));

        // Through a session file into a store, then out as HAR.
        FlowStore store;
        {
            ts::session::SessionData data;
            FlowId id = 1;
            for (Flow f : *flows) {
                f.id = id++;
                data.flows.push_back(std::move(f));
            }
            QBuffer buffer;
            buffer.open(QIODevice::ReadWrite);
            QVERIFY(writeSession(buffer, data));
            buffer.seek(0);
            auto read = readSession(buffer, store.budget());
            QVERIFY2(read, why(read));
            loadSession(std::move(*read), store);
        }
        QCOMPARE(store.size(), std::size_t(3));
        QTemporaryDir dir;
        const QString path = dir.filePath(u"ws.har"_s);
        QVERIFY(writeHar(store, path).ok());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray exported = file.readAll();
        const QJsonObject log = QJsonDocument::fromJson(exported).object()["log"_L1].toObject();
        const QJsonArray entries = log["entries"_L1].toArray();
        QCOMPARE(entries.size(), 2);
        // Store order is the import's (by start time): find the entries by URL.
        const bool wsFirst
            = entries[0].toObject()["request"_L1].toObject()["url"_L1].toString().startsWith(
                u"wss:"_s);
        const QJsonObject entry = entries[wsFirst ? 0 : 1].toObject();
        QCOMPARE(entry["_webSocketMessages"_L1].toArray(), messages);
        QCOMPARE(entry["_webSocketMessagesDropped"_L1].toInt(), 4);
        QCOMPARE(entry["_webSocketMessagesTruncated"_L1].toInt(), 1);
        QVERIFY(entry["_webSocketError"_L1].toString().startsWith(u"the server broke"_s));
        QCOMPARE(entry["comment"_L1].toString(), u"the chat, slow to answer"_s);
        QCOMPARE(entry["_pinned"_L1].toBool(), true);
        QCOMPARE(entry["_color"_L1].toString(), u"purple"_s);
        const QJsonObject other = entries[wsFirst ? 1 : 0].toObject();
        for (const char *key :
             {"_webSocketMessages", "_webSocketMessagesDropped", "_webSocketMessagesTruncated",
              "_webSocketError", "comment", "_pinned", "_color"})
            QVERIFY2(!other.contains(QLatin1StringView(key)), key);
        const QJsonObject tunnelOut = log["_tunnels"_L1].toArray()[0].toObject();
        QCOMPARE(tunnelOut["comment"_L1].toString(), u"pinned tunnel"_s);
        QCOMPARE(tunnelOut["_pinned"_L1].toBool(), true);

        // And imported again: the same messages and marks.
        const auto again = importHar(exported, nullptr);
        QVERIFY2(again, why(again));
        for (const Flow &f : *again) {
            const Flow *before = f.kind == FlowKind::Tunnel ? tunnel
                                 : f.host == "chat.example" ? ws
                                                            : plain;
            QVERIFY(f.marks == before->marks);
            QCOMPARE(bool(f.webSocketMessages), bool(before->webSocketMessages));
            if (f.webSocketMessages)
                QVERIFY(*f.webSocketMessages == *before->webSocketMessages);
        }
    }
};

QTEST_GUILESS_MAIN(HarImportTest)
#include "har_import_test.moc"
