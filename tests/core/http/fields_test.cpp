// The version-free field rules every translator shares (core/http).
#include "core/http/fields.h"
#include "core/http/message.h"

#include <QTest>

using namespace ts::http;

class FieldsTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lookupsIgnoreCaseAndKeepSpelling()
    {
        Fields f{{"Content-Type", "text/plain"}, {"cookie", "a=1"}, {"Cookie", "b=2"}};
        QCOMPARE(*findHeader(f, "content-type"), std::string("text/plain"));
        QVERIFY(!findHeader(f, "content-length"));
        QCOMPARE(joinedHeader(f, "COOKIE"), std::string("a=1, b=2"));
        QCOMPARE(f[0].name, std::string("Content-Type")); // spelling kept
        QCOMPARE(f.size(), std::size_t(3));               // each line kept
        setHeader(f, "cookie", "c=3");
        QCOMPARE(f, (Fields{{"Content-Type", "text/plain"}, {"cookie", "c=3"}}));
        removeHeader(f, "CONTENT-TYPE");
        QCOMPARE(f, (Fields{{"cookie", "c=3"}}));
    }

    void tokensInListFields()
    {
        const Fields f{{"Connection", "keep-alive, Upgrade ;x=1"}};
        QVERIFY(headerHasToken(f, "connection", "upgrade"));
        QVERIFY(headerHasToken(f, "connection", "Keep-Alive"));
        QVERIFY(!headerHasToken(f, "connection", "close"));
    }

    void hopByHopFieldsAndTheOnesConnectionNames()
    {
        Fields f{{"Host", "h"},
                 {"Connection", "X-Drop, close"},
                 {"X-Drop", "1"},
                 {"Keep-Alive", "5"},
                 {"TE", "trailers"},
                 {"Upgrade", "ws"},
                 {"Proxy-Connection", "k"},
                 {"Transfer-Encoding", "chunked"},
                 {"Proxy-Authorization", "Basic x"},
                 {"Accept", "*/*"}};
        removeHopByHop(f);
        QCOMPARE(f, (Fields{{"Host", "h"}, {"Accept", "*/*"}}));
    }

    void connectionSpecificForHttp2AndHttp3()
    {
        for (const char *name :
             {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
            QVERIFY2(connectionSpecific(name), name);
        QVERIFY(!connectionSpecific("te", "trailers"));
        QVERIFY(!connectionSpecific("te", " Trailers "));
        QVERIFY(connectionSpecific("te", "gzip"));
        QVERIFY(!connectionSpecific("cookie", "a=1"));
    }

    void base64OfEveryLength()
    {
        QCOMPARE(base64(""), std::string(""));
        QCOMPARE(base64("f"), std::string("Zg=="));
        QCOMPARE(base64("fo"), std::string("Zm8="));
        QCOMPARE(base64("foo"), std::string("Zm9v"));
        QCOMPARE(base64("foobar"), std::string("Zm9vYmFy"));
        QCOMPARE(base64(std::string("\xff\x00\x80", 3)), std::string("/wCA"));
    }

    void oneTableOfReasons()
    {
        QCOMPARE(reasonPhrase(200), std::string_view("OK"));
        QCOMPARE(reasonPhrase(431), std::string_view("Request Header Fields Too Large"));
        QCOMPARE(reasonPhrase(508), std::string_view("Loop Detected"));
        QCOMPARE(reasonPhrase(599), std::string_view(""));
    }
};

QTEST_APPLESS_MAIN(FieldsTest)
#include "fields_test.moc"
