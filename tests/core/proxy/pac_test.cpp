// The PAC generator: --pac-rules parsing, and the JavaScript written for them. (That the file
// routes as configured in a real JavaScript engine is tests/e2e/test_pac.py.)
#include "core/proxy/pac.h"

#include <QTest>

using namespace ts;
using namespace ts::proxy;

class PacTest final : public QObject
{
    Q_OBJECT

private slots:
    void parsesCommaSeparatedRulesInOrder()
    {
        auto rules = PacRules::parse({"*.Example.com, api.test", "!*.bank.example"});
        QVERIFY(rules.ok());
        const auto &r = rules->rules();
        QCOMPARE(r.size(), std::size_t(3));
        QCOMPARE(r[0].glob, std::string("*.example.com")); // lower case, as hosts are compared
        QVERIFY(r[0].proxied);
        QCOMPARE(r[1].glob, std::string("api.test"));
        QCOMPARE(r[2].glob, std::string("*.bank.example"));
        QVERIFY(!r[2].proxied);
        QVERIFY(!rules->proxiedByDefault()); // some rule says which hosts: others go direct
    }

    void onlyExclusionsProxyTheRest()
    {
        QVERIFY(PacRules::parse({"!*.internal"})->proxiedByDefault());
        QVERIFY(PacRules{}.proxiedByDefault());
    }

    void rejectsWhatIsNoHostPattern_data()
    {
        QTest::addColumn<QString>("entry");
        QTest::newRow("empty") << QString();
        QTest::newRow("empty between commas") << QStringLiteral("a.test,,b.test");
        QTest::newRow("bare !") << QStringLiteral("!");
        QTest::newRow("quote") << QStringLiteral("a\".test");
        QTest::newRow("script") << QStringLiteral("a\");alert(1);//");
        QTest::newRow("space inside") << QStringLiteral("a b.test");
        QTest::newRow("slash") << QStringLiteral("a.test/path");
    }
    void rejectsWhatIsNoHostPattern()
    {
        QFETCH(QString, entry);
        const auto rules = PacRules::parse({entry.toStdString()});
        QVERIFY(!rules.ok());
        QVERIFY(rules.error().message.starts_with("--pac-rules: "));
    }

    void writesRulesThenLoopbackThenTheDefault()
    {
        const auto rules = PacRules::parse({"!login.example.com,*.example.com"});
        const std::string js = pacFile(*rules, "127.0.0.1:8080", false);
        QVERIFY(js.find("var proxy = \"PROXY 127.0.0.1:8080\";") != std::string::npos);
        const auto at = [&](const char *text) {
            return js.find(text);
        };
        QVERIFY(at("[\"login.example.com\", \"DIRECT\"]") < at("[\"*.example.com\", proxy]"));
        QVERIFY(at("[\"*.example.com\", proxy]") < at("[\"localhost\", \"DIRECT\"]"));
        QVERIFY(at("[\"127.*\", \"DIRECT\"]") != std::string::npos);
        QVERIFY(js.find("    return \"DIRECT\";\n}") != std::string::npos);
    }

    void defaultSendsEverythingButLoopbackThroughTheProxy()
    {
        const std::string js = pacFile(PacRules{}, "127.0.0.1:8080", false);
        QVERIFY(js.find("[\"localhost\", \"DIRECT\"]") != std::string::npos);
        QVERIFY(js.find("    return proxy;\n}") != std::string::npos);
    }

    void anHttpsProxyIsNamedAsSuch()
    {
        const std::string js = pacFile(PacRules{}, "[::1]:8443", true);
        QVERIFY(js.find("var proxy = \"HTTPS [::1]:8443\";") != std::string::npos);
    }

    void addressesAreChecked_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<bool>("valid");
        QTest::newRow("ipv4") << QStringLiteral("192.168.1.5:8080") << true;
        QTest::newRow("name") << QStringLiteral("proxy-1.lan:3128") << true;
        QTest::newRow("ipv6") << QStringLiteral("[fe80::1]:8080") << true;
        QTest::newRow("no port") << QStringLiteral("127.0.0.1") << false;
        QTest::newRow("port too big") << QStringLiteral("h:70000") << false;
        QTest::newRow("empty host") << QStringLiteral(":80") << false;
        QTest::newRow("quote") << QStringLiteral("a\"b:80") << false;
        QTest::newRow("bad ipv6") << QStringLiteral("[fe80::g]:80") << false;
        QTest::newRow("unbracketed ipv6") << QStringLiteral("fe80::1:80") << false;
    }
    void addressesAreChecked()
    {
        QFETCH(QString, address);
        QFETCH(bool, valid);
        QCOMPARE(isPacProxyAddress(address.toStdString()), valid);
        QCOMPARE(pacFile(PacRules{}, address.toStdString(), false).empty(), !valid);
    }
};

QTEST_GUILESS_MAIN(PacTest)
#include "pac_test.moc"
