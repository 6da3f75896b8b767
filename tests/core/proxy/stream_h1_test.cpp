// The one HTTP/1.1 translation a stream's request still gets on its way to an HTTP/1.1 origin
// (core/proxy/stream_h1.h): made from fields, with framing from content-length or END_STREAM.
#include "core/proxy/stream_h1.h"

#include <QTest>

using namespace ts;
using namespace ts::proxy;

namespace {

http::Request get(http::Fields fields)
{
    return http::Request{"GET", "https", "example.com:8443", "/a?b=1", "", std::move(fields)};
}

} // namespace

class StreamH1Test final : public QObject
{
    Q_OBJECT

private slots:
    void absoluteFormWithHostFromAuthority()
    {
        const auto e = streamRequestHead(get({{"accept", "*/*"}}), true);
        QCOMPARE(e.head.method, std::string("GET"));
        QCOMPARE(e.head.target, std::string("https://example.com:8443/a?b=1"));
        QCOMPARE(e.head.headers, (http::Fields{{"Host", "example.com:8443"}, {"accept", "*/*"}}));
        QCOMPARE(e.framing, http1::BodyFraming::None); // END_STREAM with the HEADERS
    }

    void aHostFieldGivesWayToAuthority()
    {
        const auto e = streamRequestHead(get({{"host", "other.example"}}), true);
        QCOMPARE(e.head.headers, (http::Fields{{"Host", "example.com:8443"}}));
    }

    void cookieCrumbsBecomeOneLine()
    {
        // RFC 9113 §8.2.3: an HTTP/1.1 hop gets them joined with "; ".
        const auto e
            = streamRequestHead(get({{"cookie", "a=1"}, {"x", "y"}, {"cookie", "b=2"}}), true);
        QCOMPARE(e.head.headers,
                 (http::Fields{{"Host", "example.com:8443"}, {"x", "y"}, {"cookie", "a=1; b=2"}}));
    }

    void bodyFramedByContentLengthElseChunked()
    {
        http::Request post{"POST", "http", "o.example", "/up", "", {{"content-length", "11"}}};
        auto e = streamRequestHead(post, false);
        QCOMPARE(e.framing, http1::BodyFraming::ContentLength);
        QCOMPARE(e.contentLength, std::uint64_t(11));

        post.fields = {};
        e = streamRequestHead(post, false);
        QCOMPARE(e.framing, http1::BodyFraming::Chunked); // length unknown: chunked to HTTP/1.1
    }

    void aContentLengthThatIsNoNumberIsNotForwarded()
    {
        // Never a content-length beside a chunked body on the HTTP/1.1 side.
        http::Request post{"POST", "http", "o.example", "/", "", {{"content-length", "1x"}}};
        const auto e = streamRequestHead(post, false);
        QCOMPARE(e.framing, http1::BodyFraming::Chunked);
        QVERIFY(!http::findHeader(e.head.headers, "content-length"));
    }

    void extendedConnectStartsAsAnUpgrade()
    {
        http::Request ws{"CONNECT", "https",     "ws.example",
                         "/chat",   "websocket", {{"sec-websocket-version", "13"}}};
        const auto e = streamRequestHead(ws, false);
        QCOMPARE(e.head.method, std::string("GET"));
        QCOMPARE(e.head.target, std::string("https://ws.example/chat"));
        QCOMPARE(e.framing, http1::BodyFraming::None);
        QVERIFY(http::headerHasToken(e.head.headers, "connection", "upgrade"));
        QCOMPARE(*http::findHeader(e.head.headers, "upgrade"), std::string("websocket"));
    }

    void http1RequestIsOriginFormWithHostFirst()
    {
        const http::Request r{
            "POST",  "http", "o.example:81",
            "/up?x", "",     {{"Cookie", "a=1"}, {"accept", "*/*"}, {"cookie", "b=2"}}};
        const http1::RequestHead head = http1Request(r, true);
        QCOMPARE(head.method, std::string("POST"));
        QCOMPARE(head.target, std::string("/up?x"));
        QCOMPARE(head.headers, (http::Fields{{"Host", "o.example:81"},
                                             {"Cookie", "a=1; b=2"}, // where the first one was
                                             {"accept", "*/*"},
                                             {"Transfer-Encoding", "chunked"}}));
    }

    void webSocketToAnHttp1OriginGetsAKeyOfOurOwnOnlyWhenNoneCame()
    {
        // From an HTTP/2 client (RFC 8441): no key, so the proxy makes one (RFC 6455 §4.1).
        http::Request ws{"CONNECT", "https",     "ws.example",
                         "/chat",   "websocket", {{"sec-websocket-version", "13"}}};
        http1::RequestHead head = http1Request(ws, false);
        QCOMPARE(head.method, std::string("GET"));
        QVERIFY(http::headerHasToken(head.headers, "connection", "upgrade"));
        const std::string *key = http::findHeader(head.headers, "sec-websocket-key");
        QVERIFY(key);
        QCOMPARE(key->size(), std::size_t(24)); // base64 of 16 bytes
        int versions = 0;
        for (const auto &f : head.headers)
            versions += http::equalsIgnoreCase(f.name, "sec-websocket-version");
        QCOMPARE(versions, 1); // the client's, not a second one

        // From an HTTP/1.1 client: its own handshake goes on untouched.
        ws = {"GET",   "http",      "ws.example",
              "/chat", "websocket", {{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}}};
        head = http1Request(ws, false);
        QCOMPARE(*http::findHeader(head.headers, "sec-websocket-key"),
                 std::string("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    void webSocketAcceptIsRfc6455s()
    {
        QCOMPARE(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="),
                 std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")); // RFC 6455 §1.3
    }
};

QTEST_GUILESS_MAIN(StreamH1Test)
#include "stream_h1_test.moc"
