// Tests for the header helpers, keep-alive and hop-by-hop rules, and the serializers, including
// serialize -> parse round trips through the parsers.

#include "core/http1/message.h"
#include "core/http1/parser.h"

#include <QObject>
#include <QTest>

using namespace ts::http1;

Q_DECLARE_METATYPE(ts::http1::Headers)
Q_DECLARE_METATYPE(ts::http1::RequestHead)
Q_DECLARE_METATYPE(ts::http1::ResponseHead)
Q_DECLARE_METATYPE(ts::http1::Version)

namespace {

std::string names(const Headers &headers)
{
    std::string out;
    for (const Header &h : headers)
        out += (out.empty() ? "" : ",") + h.name;
    return out;
}

} // namespace

class MessageTest final : public QObject
{
    Q_OBJECT

private slots:
    void versionText();
    void equalsIgnoreCase_data();
    void equalsIgnoreCase();
    void findAndJoin();
    void headerHasToken_data();
    void headerHasToken();
    void removeAndSet();
    void wantsKeepAlive_data();
    void wantsKeepAlive();
    void removeHopByHop_data();
    void removeHopByHop();
    void serializeRequest();
    void serializeResponse_data();
    void serializeResponse();
    void serializerKeepsLinesIntact();
    void chunks();
    void requestRoundTrip_data();
    void requestRoundTrip();
    void responseRoundTrip_data();
    void responseRoundTrip();
    void chunkedBodyRoundTrip();
};

void MessageTest::versionText()
{
    QCOMPARE(ts::http1::versionText(Version::Http10), std::string_view("HTTP/1.0"));
    QCOMPARE(ts::http1::versionText(Version::Http11), std::string_view("HTTP/1.1"));
}

void MessageTest::equalsIgnoreCase_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << QByteArray("Host") << QByteArray("Host") << true;
    QTest::newRow("case") << QByteArray("Content-Length") << QByteArray("content-LENGTH") << true;
    QTest::newRow("empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("prefix") << QByteArray("Host") << QByteArray("Hos") << false;
    QTest::newRow("different") << QByteArray("Host") << QByteArray("Hose") << false;
    // Only A-Z fold: '[' and '{' differ by the case bit but are not letters.
    QTest::newRow("not letters") << QByteArray("[") << QByteArray("{") << false;
    QTest::newRow("no Unicode folding")
        << QByteArray("\xc3\xa9") << QByteArray("\xc3\x89") << false;
}

void MessageTest::equalsIgnoreCase()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(ts::http1::equalsIgnoreCase(a.toStdString(), b.toStdString()), equal);
    QCOMPARE(ts::http1::equalsIgnoreCase(b.toStdString(), a.toStdString()), equal);
}

void MessageTest::findAndJoin()
{
    const Headers h = {{"Accept", "a/b"}, {"X", "1"}, {"accept", "c/d"}, {"Empty", ""}};
    QVERIFY(findHeader(h, "ACCEPT") != nullptr);
    QCOMPARE(*findHeader(h, "ACCEPT"), std::string("a/b"));
    QVERIFY(findHeader(h, "Missing") == nullptr);
    QCOMPARE(*findHeader(h, "empty"), std::string());
    QCOMPARE(joinedHeader(h, "Accept"), std::string("a/b, c/d"));
    QCOMPARE(joinedHeader(h, "X"), std::string("1"));
    QCOMPARE(joinedHeader(h, "Missing"), std::string());
}

void MessageTest::headerHasToken_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("has");
    const QByteArray connection = "Connection";
    QTest::newRow("single") << Headers{{"Connection", "close"}} << connection << QByteArray("close")
                            << true;
    QTest::newRow("case and OWS") << Headers{{"connection", " Keep-Alive ,\tClose "}} << connection
                                  << QByteArray("close") << true;
    QTest::newRow("in a later field") << Headers{{"Connection", "upgrade"}, {"Connection", "close"}}
                                      << connection << QByteArray("close") << true;
    QTest::newRow("substring is not a token")
        << Headers{{"Connection", "closed, xclose"}} << connection << QByteArray("close") << false;
    QTest::newRow("parameters ignored") << Headers{{"TE", "trailers, deflate;q=0.5"}}
                                        << QByteArray("te") << QByteArray("deflate") << true;
    QTest::newRow("other field") << Headers{{"X-Connection", "close"}} << connection
                                 << QByteArray("close") << false;
    QTest::newRow("empty elements")
        << Headers{{"Connection", ",, ,"}} << connection << QByteArray("") << false;
    QTest::newRow("absent") << Headers{} << connection << QByteArray("close") << false;
}

void MessageTest::headerHasToken()
{
    QFETCH(Headers, headers);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, token);
    QFETCH(bool, has);
    QCOMPARE(ts::http1::headerHasToken(headers, name.toStdString(), token.toStdString()), has);
}

void MessageTest::removeAndSet()
{
    Headers h = {{"A", "1"}, {"b", "2"}, {"a", "3"}, {"C", "4"}};
    removeHeader(h, "a");
    QCOMPARE(h, (Headers{{"b", "2"}, {"C", "4"}}));
    removeHeader(h, "missing");
    QCOMPARE(h.size(), 2u);

    Headers s = {{"X", "1"}, {"Y", "2"}, {"x", "3"}};
    setHeader(s, "X", "new");
    QCOMPARE(s, (Headers{{"X", "new"}, {"Y", "2"}})); // later duplicates go
    setHeader(s, "Z-New", "z");
    QCOMPARE(s.back(), (Header{"Z-New", "z"}));
}

void MessageTest::wantsKeepAlive_data()
{
    QTest::addColumn<Version>("version");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<bool>("keepAlive");
    QTest::newRow("1.1 default") << Version::Http11 << Headers{} << true;
    QTest::newRow("1.1 close") << Version::Http11 << Headers{{"Connection", "close"}} << false;
    QTest::newRow("1.1 close among options")
        << Version::Http11 << Headers{{"Connection", "Upgrade, CLOSE"}} << false;
    QTest::newRow("1.0 default") << Version::Http10 << Headers{} << false;
    QTest::newRow("1.0 keep-alive")
        << Version::Http10 << Headers{{"Connection", "Keep-Alive"}} << true;
    QTest::newRow("1.0 keep-alive and close")
        << Version::Http10 << Headers{{"Connection", "keep-alive"}, {"Connection", "close"}}
        << false;
    // Proxy-Connection is not standard: it does not count.
    QTest::newRow("1.0 proxy-connection")
        << Version::Http10 << Headers{{"Proxy-Connection", "keep-alive"}} << false;
}

void MessageTest::wantsKeepAlive()
{
    QFETCH(Version, version);
    QFETCH(Headers, headers);
    QFETCH(bool, keepAlive);
    QCOMPARE(ts::http1::wantsKeepAlive(version, headers), keepAlive);
}

void MessageTest::removeHopByHop_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("kept"); // names, comma-separated, in order

    QTest::newRow("fixed list") << Headers{{"Host", "h"},
                                           {"Connection", "keep-alive"},
                                           {"Proxy-Connection", "keep-alive"},
                                           {"Keep-Alive", "timeout=5"},
                                           {"TE", "trailers"},
                                           {"Trailer", "X-Sum"},
                                           {"Transfer-Encoding", "chunked"},
                                           {"Upgrade", "websocket"},
                                           {"proxy-authorization", "Basic eA=="},
                                           {"Proxy-Authenticate", "Basic"},
                                           {"Accept", "*/*"}}
                                << QByteArray("Host,Accept");
    QTest::newRow("fields named in Connection") << Headers{{"Connection", "X-Secret, x-other"},
                                                           {"X-Secret", "1"},
                                                           {"Keep", "1"},
                                                           {"X-Other", "2"},
                                                           {"connection", "X-Third"},
                                                           {"x-third", "3"}}
                                                << QByteArray("Keep");
    QTest::newRow("nothing to remove") << Headers{{"Host", "h"}, {"Authorization", "Bearer t"}}
                                       << QByteArray("Host,Authorization");
}

void MessageTest::removeHopByHop()
{
    QFETCH(Headers, headers);
    QFETCH(QByteArray, kept);
    ts::http1::removeHopByHop(headers);
    QCOMPARE(names(headers), kept.toStdString());
}

void MessageTest::serializeRequest()
{
    RequestHead head{"POST", "/a?b=c", Version::Http11, {{"Host", "h"}, {"X-Empty", ""}}};
    QCOMPARE(serialize(head), std::string("POST /a?b=c HTTP/1.1\r\nHost: h\r\nX-Empty: \r\n\r\n"));
    head.version = Version::Http10;
    head.headers.clear();
    QCOMPARE(serialize(head), std::string("POST /a?b=c HTTP/1.0\r\n\r\n"));
}

void MessageTest::serializeResponse_data()
{
    QTest::addColumn<ResponseHead>("head");
    QTest::addColumn<QByteArray>("wire");
    QTest::newRow("ok") << ResponseHead{Version::Http11, 200, "OK", {{"Content-Length", "0"}}}
                        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]: the SP stays.
    QTest::newRow("empty reason") << ResponseHead{Version::Http10, 204, "", {}}
                                  << QByteArray("HTTP/1.0 204 \r\n\r\n");
}

void MessageTest::serializeResponse()
{
    QFETCH(ResponseHead, head);
    QFETCH(QByteArray, wire);
    QCOMPARE(serialize(head), wire.toStdString());
}

void MessageTest::serializerKeepsLinesIntact()
{
    // Hand-edited heads must not smuggle a second message: CR, LF and NUL become SP.
    const RequestHead head{
        "GET",
        "/\r\nX: y",
        Version::Http11,
        {{"Host", "h\r\n\r\nGET /evil HTTP/1.1"}, {std::string("A\0B", 3), "v"}}};
    QCOMPARE(serialize(head), std::string("GET /  X: y HTTP/1.1\r\nHost: h    GET /evil "
                                          "HTTP/1.1\r\nA B: v\r\n\r\n"));
    const ResponseHead response{Version::Http11, 200, "OK\r\nSet-Cookie: x", {}};
    QCOMPARE(serialize(response), std::string("HTTP/1.1 200 OK  Set-Cookie: x\r\n\r\n"));
}

void MessageTest::chunks()
{
    QCOMPARE(chunk(""), std::string());
    QCOMPARE(chunk("hello"), std::string("5\r\nhello\r\n"));
    const std::string big(255, 'x');
    QCOMPARE(chunk(big), "ff\r\n" + big + "\r\n");
    QCOMPARE(lastChunk(), std::string("0\r\n\r\n"));
    QCOMPARE(lastChunk({{"X-Sum", "1"}, {"Y", ""}}), std::string("0\r\nX-Sum: 1\r\nY: \r\n\r\n"));
}

void MessageTest::requestRoundTrip_data()
{
    QTest::addColumn<RequestHead>("head");
    QTest::newRow("origin-form") << RequestHead{"GET", "/", Version::Http11, {{"Host", "h"}}};
    QTest::newRow("absolute-form") << RequestHead{"POST",
                                                  "http://example.com:8080/p?q=1#f",
                                                  Version::Http11,
                                                  {{"Host", "example.com:8080"},
                                                   {"Content-Length", "0"},
                                                   {"X-Multi", "a, b;q=1"},
                                                   {"X-Multi", "c"},
                                                   {"X-Obs-Text", "caf\xc3\xa9"},
                                                   {"X-Tab", "a\tb"},
                                                   {"x-empty", ""}}};
    QTest::newRow("authority-form")
        << RequestHead{"CONNECT", "[::1]:443", Version::Http11, {{"Host", "[::1]:443"}}};
    QTest::newRow("asterisk-form, 1.0, no fields")
        << RequestHead{"OPTIONS", "*", Version::Http10, {}};
    QTest::newRow("extension method")
        << RequestHead{"PROPFIND", "/dav", Version::Http11, {{"Host", "h"}, {"Depth", "1"}}};
}

void MessageTest::requestRoundTrip()
{
    QFETCH(RequestHead, head);
    const std::string wire = serialize(head);
    RequestParser parser;
    std::vector<RequestEvent> events;
    QCOMPARE(parser.feed(wire, events), wire.size());
    QCOMPARE(events.size(), 2u);
    const auto *parsed = std::get_if<RequestHeadEvent>(&events[0]);
    QVERIFY(parsed);
    QVERIFY(parsed->head == head);
    QCOMPARE(parsed->wireSize, wire.size());
    QVERIFY(std::holds_alternative<MessageEnd>(events[1]));
}

void MessageTest::responseRoundTrip_data()
{
    QTest::addColumn<ResponseHead>("head");
    QTest::newRow("200") << ResponseHead{Version::Http11, 200, "OK", {{"Content-Length", "0"}}};
    QTest::newRow("empty reason") << ResponseHead{Version::Http11, 204, "", {}};
    QTest::newRow("long reason, 1.0")
        << ResponseHead{Version::Http10, 404, "Not Found Here", {{"Content-Length", "0"}}};
    QTest::newRow("many fields") << ResponseHead{
        Version::Http11,
        304,
        "Not Modified",
        {{"ETag", "\"x\""}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}};
}

void MessageTest::responseRoundTrip()
{
    QFETCH(ResponseHead, head);
    const std::string wire = serialize(head);
    ResponseParser parser;
    parser.expectResponseTo("GET");
    std::vector<ResponseEvent> events;
    QCOMPARE(parser.feed(wire, events), wire.size());
    QCOMPARE(events.size(), 2u);
    const auto *parsed = std::get_if<ResponseHeadEvent>(&events[0]);
    QVERIFY(parsed);
    QVERIFY(parsed->head == head);
}

void MessageTest::chunkedBodyRoundTrip()
{
    const RequestHead head{
        "PUT", "/upload", Version::Http11, {{"Host", "h"}, {"Transfer-Encoding", "chunked"}}};
    const Headers trailers = {{"X-Checksum", "abc"}, {"X-Count", "3"}};
    const std::string wire = serialize(head) + chunk("first ") + chunk("") + chunk("second ")
                             + chunk(std::string(300, 'z')) + lastChunk(trailers);
    RequestParser parser;
    std::vector<RequestEvent> events;
    QCOMPARE(parser.feed(wire, events), wire.size());
    std::string body;
    Headers parsedTrailers;
    for (const RequestEvent &e : events) {
        if (const auto *b = std::get_if<BodyData>(&e))
            body += b->data;
        if (const auto *t = std::get_if<TrailersEvent>(&e))
            parsedTrailers = t->trailers;
    }
    QVERIFY(std::get<RequestHeadEvent>(events.front()).head == head);
    QCOMPARE(body, "first second " + std::string(300, 'z'));
    QVERIFY(parsedTrailers == trailers);
    QCOMPARE(std::get<MessageEnd>(events.back()).wireSize, wire.size());
}

QTEST_APPLESS_MAIN(MessageTest)
#include "message_test.moc"
