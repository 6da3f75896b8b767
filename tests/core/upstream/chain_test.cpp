// Hop URLs, chains and host rules: parsing, defaults, IPv6, percent-decoding, errors, and that
// no password ever shows in a display string or an error message.
#include "core/upstream/chain.h"

#include <QTest>

using namespace ts;
using namespace ts::upstream;

namespace {

const char *c(const std::string &s)
{
    return s.c_str();
}

Hop mustParse(const std::string &url)
{
    auto hop = Hop::parse(url);
    if (!hop.ok())
        qFatal("%s: %s", url.c_str(), hop.error().message.c_str());
    return *hop;
}

} // namespace

class ChainTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hopUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<int>("scheme");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("display");

        auto row = [](const char *name, const char *url, HopScheme scheme, const char *host,
                      int port, const char *display) {
            QTest::newRow(name) << QString::fromUtf8(url) << int(scheme) << QString::fromUtf8(host)
                                << port << QString::fromUtf8(display);
        };
        row("http", "http://127.0.0.1:3128", HopScheme::Http, "127.0.0.1", 3128,
            "http://127.0.0.1:3128");
        row("http default port", "http://proxy.test", HopScheme::Http, "proxy.test", 8080,
            "http://proxy.test:8080");
        row("https default port", "https://proxy.test/", HopScheme::Https, "proxy.test", 443,
            "https://proxy.test:443");
        row("socks5 default port", "socks5://10.0.0.1", HopScheme::Socks5, "10.0.0.1", 1080,
            "socks5://10.0.0.1:1080");
        row("socks5h", "socks5h://gw.test:9050", HopScheme::Socks5h, "gw.test", 9050,
            "socks5h://gw.test:9050");
        row("case", "HTTP://Proxy.TEST:1", HopScheme::Http, "proxy.test", 1, "http://proxy.test:1");
        row("ipv6", "http://[::1]:3128", HopScheme::Http, "::1", 3128, "http://[::1]:3128");
        row("ipv6 default port", "socks5h://[2001:db8::1]", HopScheme::Socks5h, "2001:db8::1", 1080,
            "socks5h://[2001:db8::1]:1080");
        row("credentials", "http://alice:s3cret@127.0.0.1:3128", HopScheme::Http, "127.0.0.1", 3128,
            "http://alice:***@127.0.0.1:3128");
        row("user only", "http://alice@127.0.0.1:3128", HopScheme::Http, "127.0.0.1", 3128,
            "http://alice@127.0.0.1:3128");
        row("encoded user", "http://al%20ice:x@h.test:1", HopScheme::Http, "h.test", 1,
            "http://al%20ice:***@h.test:1");
        row("ipv6 with credentials", "https://u:p@[fe80::2]:8443", HopScheme::Https, "fe80::2",
            8443, "https://u:***@[fe80::2]:8443");
        row("spaces trimmed", "  http://h.test:2  ", HopScheme::Http, "h.test", 2,
            "http://h.test:2");
    }

    void hopUrls()
    {
        QFETCH(QString, url);
        QFETCH(int, scheme);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, display);
        auto hop = Hop::parse(url.toStdString());
        QVERIFY2(hop.ok(), hop.ok() ? "" : c(hop.error().message));
        QCOMPARE(int(hop->scheme), scheme);
        QCOMPARE(QString::fromStdString(hop->host), host);
        QCOMPARE(int(hop->port), port);
        QCOMPARE(QString::fromStdString(hop->display()), display);
    }

    void credentialsArePercentDecoded()
    {
        const Hop hop = mustParse("http://al%40ice:p%3Ass%2Cw%25rd@127.0.0.1:3128");
        QVERIFY(hop.hasCredentials);
        QCOMPARE(hop.username, std::string("al@ice"));
        QCOMPARE(hop.password, std::string("p:ss,w%rd"));
        QCOMPARE(hop.display(), std::string("http://al%40ice:***@127.0.0.1:3128"));

        // The last '@' ends the userinfo: unencoded '@' and '/' in a password still parse.
        const Hop raw = mustParse("socks5h://bob:a@b/c@[::1]:1080");
        QCOMPARE(raw.username, std::string("bob"));
        QCOMPARE(raw.password, std::string("a@b/c"));
        QCOMPARE(raw.host, std::string("::1"));

        const Hop emptyPassword = mustParse("http://alice:@h.test:1");
        QVERIFY(emptyPassword.hasCredentials);
        QVERIFY(emptyPassword.password.empty());
        QCOMPARE(emptyPassword.display(), std::string("http://alice@h.test:1"));

        QVERIFY(!mustParse("http://h.test:1").hasCredentials);
    }

    void authorityBracketsIpv6()
    {
        QCOMPARE(mustParse("http://[::1]:3128").authority(), std::string("[::1]:3128"));
        QCOMPARE(mustParse("http://h.test:3128").authority(), std::string("h.test:3128"));
        QCOMPARE(authorityOf("2001:db8::1", 443), std::string("[2001:db8::1]:443"));
        QVERIFY(isIpLiteral("::1"));
        QVERIFY(isIpLiteral("10.1.2.3"));
        QVERIFY(!isIpLiteral("example.com"));
        QVERIFY(!isIpLiteral("[::1]"));
    }

    void badHopUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("fragment");

        auto row = [](const char *name, const char *url, const char *code, const char *fragment) {
            QTest::newRow(name) << QString::fromUtf8(url) << QString::fromUtf8(code)
                                << QString::fromUtf8(fragment);
        };
        row("no scheme", "127.0.0.1:3128", "upstream.bad-url", "scheme://host:port");
        row("empty", "", "upstream.bad-url", "not a proxy URL");
        row("unknown scheme", "ftp://h.test:21", "upstream.bad-scheme", "'ftp'");
        row("socks4", "socks4://h.test", "upstream.bad-scheme", "socks4");
        row("path", "http://h.test:1/path", "upstream.bad-url", "no path");
        row("query", "http://h.test:1?x", "upstream.bad-url", "no path");
        row("empty port", "http://h.test:", "upstream.bad-port", "empty port");
        row("port 0", "http://h.test:0", "upstream.bad-port", "'0'");
        row("port too big", "http://h.test:65536", "upstream.bad-port", "'65536'");
        row("port not a number", "http://h.test:80a", "upstream.bad-port", "'80a'");
        row("no host", "http://:3128", "upstream.bad-host", "no host");
        row("no host with credentials", "http://u:p@:3128", "upstream.bad-host", "no host");
        row("bad host char", "http://h_!.test:1", "upstream.bad-host", "invalid character");
        row("bare ipv6", "http://::1:3128", "upstream.bad-host", "brackets");
        row("unterminated ipv6", "http://[::1:3128", "upstream.bad-host", "unterminated");
        row("bad ipv6", "http://[1.2.3]:1", "upstream.bad-host", "invalid IPv6");
        row("ipv6 zone", "http://[fe80::1%25eth0]:1", "upstream.bad-host", "invalid IPv6");
        row("junk after ipv6", "http://[::1]x:1", "upstream.bad-host", "after the IPv6");
        row("bad escape", "http://a:b%zz@h.test:1", "upstream.bad-credentials", "percent");
        row("short escape", "http://a:b%4@h.test:1", "upstream.bad-credentials", "percent");
        row("colon in basic user", "http://a%3Ab:c@h.test:1", "upstream.bad-credentials", "':'");
        row("space in credentials", "http://a b:c@h.test:1", "upstream.bad-credentials",
            "percent-encoded");
        row("socks empty user", "socks5://:pw@h.test", "upstream.bad-credentials", "user name");
    }

    void badHopUrls()
    {
        QFETCH(QString, url);
        QFETCH(QString, code);
        QFETCH(QString, fragment);
        auto hop = Hop::parse(url.toStdString());
        QVERIFY(!hop.ok());
        QCOMPARE(QString::fromStdString(hop.error().code), code);
        QVERIFY2(hop.error().message.find(fragment.toStdString()) != std::string::npos,
                 c(hop.error().message));
    }

    void socksCredentialsAreBounded()
    {
        const std::string user(256, 'u');
        auto hop = Hop::parse("socks5h://" + user + ":p@h.test:1080");
        QVERIFY(!hop.ok());
        QCOMPARE(hop.error().code, std::string("upstream.bad-credentials"));
        QVERIFY(Hop::parse("socks5h://" + std::string(255, 'u') + ":p@h.test:1080").ok());
        // No such bound for Basic.
        QVERIFY(Hop::parse("http://" + user + ":p@h.test:1").ok());
    }

    // Whatever is wrong with a URL, the error quotes it with the password replaced.
    void errorsNeverShowPasswords_data()
    {
        QTest::addColumn<QString>("input");
        QTest::newRow("bad port") << QStringLiteral("http://alice:TOPSECRET@h.test:99999");
        QTest::newRow("path") << QStringLiteral("http://alice:TOPSECRET@h.test:1/x");
        QTest::newRow("bad scheme") << QStringLiteral("gopher://alice:TOPSECRET@h.test:1");
        QTest::newRow("no scheme") << QStringLiteral("alice:TOPSECRET@h.test:1");
        QTest::newRow("missing colon") << QStringLiteral("http//alice:TOPSECRET@h.test:1");
        QTest::newRow("bad escape") << QStringLiteral("http://alice:TOPSECRET%zz@h.test:1");
        QTest::newRow("bad host") << QStringLiteral("http://alice:TOPSECRET@h!.test:1");
        QTest::newRow("at in password") << QStringLiteral("http://alice:TOP@SECRET@h.test:0");
        QTest::newRow("slash in password") << QStringLiteral("http://alice:TOP/SECRET@h.test:");
        QTest::newRow("ipv6") << QStringLiteral("http://alice:TOPSECRET@[::1:1");
    }

    void errorsNeverShowPasswords()
    {
        QFETCH(QString, input);
        const std::string url = input.toStdString();
        auto hop = Hop::parse(url);
        QVERIFY(!hop.ok());
        QVERIFY2(hop.error().message.find("SECRET") == std::string::npos, c(hop.error().message));
        QVERIFY2(hop.error().message.find("TOP") == std::string::npos, c(hop.error().message));

        auto chain = ChainSpec::parse("http://h.test:1, " + url);
        QVERIFY(!chain.ok());
        QVERIFY2(chain.error().message.find("SECRET") == std::string::npos,
                 c(chain.error().message));

        auto rules = ChainRules::parse({"*.test=" + url});
        QVERIFY(!rules.ok());
        QVERIFY2(rules.error().message.find("SECRET") == std::string::npos,
                 c(rules.error().message));
    }

    void redactUrlKeepsTheRest()
    {
        QCOMPARE(redactUrl("http://alice:pw@h.test:1"), std::string("http://alice:***@h.test:1"));
        QCOMPARE(redactUrl("http://alice@h.test:1"), std::string("http://alice@h.test:1"));
        QCOMPARE(redactUrl("http://a:x@h:1,socks5h://b:y@g:2"),
                 std::string("http://a:***@h:1,socks5h://b:***@g:2"));
        QCOMPARE(redactUrl("no-scheme:pw@h"), std::string("***@h"));
        QCOMPARE(redactUrl("http://h.test:1"), std::string("http://h.test:1"));
    }

    void chains()
    {
        auto direct = ChainSpec::parse(" Direct ");
        QVERIFY(direct.ok());
        QVERIFY(direct->direct());
        QCOMPARE(direct->display(), std::string("direct"));

        auto chain = ChainSpec::parse(
            "http://alice:pw@127.0.0.1:3128, https://proxy.test,socks5h://127.0.0.1:1080");
        QVERIFY2(chain.ok(), chain.ok() ? "" : c(chain.error().message));
        QCOMPARE(chain->hops.size(), std::size_t(3));
        QCOMPARE(chain->hops[1].scheme, HopScheme::Https);
        QCOMPARE(chain->hops[1].port, std::uint16_t(443));
        QCOMPARE(chain->display(), std::string("http://alice:***@127.0.0.1:3128 \u2192 "
                                               "https://proxy.test:443 \u2192 "
                                               "socks5h://127.0.0.1:1080"));

        // A comma not followed by a scheme belongs to the password.
        auto comma = ChainSpec::parse("http://a:x,y@h.test:1,socks5h://g.test:2");
        QVERIFY(comma.ok());
        QCOMPARE(comma->hops.size(), std::size_t(2));
        QCOMPARE(comma->hops[0].password, std::string("x,y"));
    }

    void badChains()
    {
        auto empty = ChainSpec::parse("  ");
        QVERIFY(!empty.ok());
        QCOMPARE(empty.error().code, std::string("upstream.bad-chain"));

        auto second = ChainSpec::parse("http://h.test:1,socks5h://g.test:0");
        QVERIFY(!second.ok());
        QVERIFY2(second.error().message.rfind("hop 2: ", 0) == 0, c(second.error().message));

        std::string many;
        for (std::size_t i = 0; i <= ChainSpec::kMaxHops; ++i)
            many += (i ? "," : "") + std::string("http://h.test:1");
        auto tooMany = ChainSpec::parse(many);
        QVERIFY(!tooMany.ok());
        QVERIFY2(tooMany.error().message.find("at most 16") != std::string::npos,
                 c(tooMany.error().message));
    }

    void globs()
    {
        QVERIFY(hostGlobMatches("*.example.com", "www.example.com"));
        QVERIFY(hostGlobMatches("*.example.com", "a.b.example.com"));
        QVERIFY(!hostGlobMatches("*.example.com", "example.com"));
        QVERIFY(!hostGlobMatches("*.example.com", "badexample.com"));
        QVERIFY(hostGlobMatches("*example.com", "example.com"));
        QVERIFY(hostGlobMatches("api.?.test", "api.x.test"));
        QVERIFY(!hostGlobMatches("api.?.test", "api.xy.test"));
        QVERIFY(hostGlobMatches("*", "anything"));
        QVERIFY(hostGlobMatches("10.*", "10.1.2.3"));
        QVERIFY(hostGlobMatches("A.Test", "a.TEST"));
        QVERIFY(hostGlobMatches("*a*b*c", "xaxxbxxc"));
        QVERIFY(!hostGlobMatches("*a*b*c", "xaxxbxxcx"));
        QVERIFY(!hostGlobMatches("exact.test", "exact.test.evil"));
    }

    void rulesFirstMatchWins()
    {
        auto rules = ChainRules::parse({
            "*.example.com=http://a:pw@127.0.0.1:1,socks5h://127.0.0.1:2", "  # a comment", "",
            "internal.example.com, *.corp = direct", "[::1]=http://127.0.0.1:3",
            "http://u:p=q@127.0.0.1:9", // '=' inside a password: the default, not a rule
        });
        QVERIFY2(rules.ok(), rules.ok() ? "" : c(rules.error().message));
        QCOMPARE(rules->rules().size(), std::size_t(3));
        QCOMPARE(rules->rules()[1].patterns,
                 (std::vector<std::string>{"internal.example.com", "*.corp"}));

        // First match wins: internal.example.com matches rule 1 before rule 2.
        QCOMPARE(rules->chainFor("internal.example.com").hops.size(), std::size_t(2));
        QCOMPARE(rules->chainFor("WWW.Example.com.").hops.size(), std::size_t(2));
        QVERIFY(rules->chainFor("db.corp").direct());
        QCOMPARE(rules->chainFor("::1").hops.at(0).port, std::uint16_t(3));
        QCOMPARE(rules->chainFor("[::1]").hops.at(0).port, std::uint16_t(3));
        const ChainSpec &fallback = rules->chainFor("elsewhere.test");
        QCOMPARE(fallback.hops.size(), std::size_t(1));
        QCOMPARE(fallback.hops[0].password, std::string("p=q"));
        QCOMPARE(fallback.hops[0].port, std::uint16_t(9));
    }

    void rulesWithoutDefaultAreDirect()
    {
        auto rules = ChainRules::parseText("*.test = socks5h://127.0.0.1:1080\n\n");
        QVERIFY(rules.ok());
        QVERIFY(rules->defaultChain().direct());
        QVERIFY(rules->chainFor("example.com").direct());
        QVERIFY(!rules->chainFor("a.test").direct());

        auto directDefault = ChainRules::parseText("direct\n*.test=http://h.test:1");
        QVERIFY(directDefault.ok());
        QVERIFY(directDefault->chainFor("x").direct());
        QCOMPARE(directDefault->rules().size(), std::size_t(1));
    }

    void badRules()
    {
        auto twoDefaults = ChainRules::parse({"http://h.test:1", "x=direct", "direct"});
        QVERIFY(!twoDefaults.ok());
        QCOMPARE(twoDefaults.error().code, std::string("upstream.bad-rule"));
        QVERIFY2(twoDefaults.error().message.find("rule 3") != std::string::npos
                     && twoDefaults.error().message.find("rule 1") != std::string::npos,
                 c(twoDefaults.error().message));

        auto emptyPattern = ChainRules::parse({"a.test,,b.test=direct"});
        QVERIFY(!emptyPattern.ok());
        QVERIFY2(emptyPattern.error().message.find("empty host pattern") != std::string::npos,
                 c(emptyPattern.error().message));

        auto badChar = ChainRules::parse({"a/b=direct"});
        QVERIFY(!badChar.ok());
        QVERIFY2(badChar.error().message.find("'/'") != std::string::npos,
                 c(badChar.error().message));

        auto badChain = ChainRules::parse({"ok.test=direct", "*.test=ftp://h.test"});
        QVERIFY(!badChain.ok());
        QCOMPARE(badChain.error().code, std::string("upstream.bad-scheme"));
        QVERIFY2(badChain.error().message.rfind("rule 2: ", 0) == 0, c(badChain.error().message));

        auto emptyChain = ChainRules::parse({"*.test="});
        QVERIFY(!emptyChain.ok());
        QCOMPARE(emptyChain.error().code, std::string("upstream.bad-chain"));
    }
};

QTEST_GUILESS_MAIN(ChainTest)
#include "chain_test.moc"
