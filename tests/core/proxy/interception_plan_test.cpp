// The decisions of TLS interception (interception.h), apart from any connection.
#include "core/proxy/host_patterns.h"
#include "core/proxy/interception.h"
#include "core/tls/certificate_authority.h"
#include "core/tls/client_hello.h"
#include "core/tls/tls_session.h"

#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::proxy;

namespace {

InterceptConfig withCa(QTemporaryDir &dir)
{
    InterceptConfig c;
    auto ca = tls::CertificateAuthority::openOrCreate(dir.path().toStdString());
    if (ca)
        c.ca = std::move(*ca);
    return c;
}

tls::ClientHello hello(std::string sni, std::vector<std::string> alpn)
{
    tls::ClientHello h;
    h.serverName = std::move(sni);
    h.alpn = std::move(alpn);
    return h;
}

} // namespace

class InterceptionPlanTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sniNamesTheOriginAndTheCertificate()
    {
        QTemporaryDir dir;
        const InterceptConfig c = withCa(dir);
        QVERIFY(c.ca);
        const InterceptPlan p
            = planInterception(hello("www.example.test", {"h2", "http/1.1"}), c, "10.0.0.1", 443);
        QVERIFY(p.intercept);
        QCOMPARE(p.target.host, std::string("www.example.test"));
        QCOMPARE(p.target.port, std::uint16_t(443));
        QCOMPARE(p.sni, std::string("www.example.test"));
        QCOMPARE(p.verifyName, std::string("www.example.test"));
        QVERIFY(p.verify);
        QCOMPARE(p.alpnOffer, (std::vector<std::string>{"h2", "http/1.1"}));
    }

    void withoutSniTheConnectHostIsUsedButNeverAnIpAsSni()
    {
        QTemporaryDir dir;
        const InterceptConfig c = withCa(dir);
        InterceptPlan p = planInterception(hello("", {}), c, "127.0.0.1", 8443);
        QVERIFY(p.intercept);
        QCOMPARE(p.sni, std::string());
        QCOMPARE(p.verifyName, std::string("127.0.0.1"));
        QVERIFY(p.alpnOffer.empty()); // the client offered none: neither do we
        p = planInterception(hello("", {"http/1.1"}), c, "origin.test", 443);
        QCOMPARE(p.sni, std::string("origin.test"));
    }

    void passedThroughWithTheReason()
    {
        QTemporaryDir dir;
        InterceptConfig c = withCa(dir);
        auto patterns = HostPatterns::parse({"*.pinned.test"});
        QVERIFY(patterns);
        c.passthrough = std::make_shared<HostPatterns>(*patterns);
        InterceptPlan p = planInterception(hello("a.pinned.test", {"h2"}), c, "x", 443);
        QVERIFY(!p.intercept);
        QCOMPARE(p.passReason,
                 std::string("passed through: a.pinned.test is on the pass-through list"));

        p = planInterception(hello("o.test", {"imap", "smtp"}), c, "o.test", 993);
        QVERIFY(!p.intercept);
        QCOMPARE(p.passReason, std::string("passed through: the client offered only imap, smtp"));

        c.enabled = false;
        p = planInterception(hello("o.test", {"h2"}), c, "o.test", 443);
        QVERIFY(!p.intercept);
        QVERIFY(p.passReason.empty());
    }

    void insecureHostsAreNotVerified()
    {
        QTemporaryDir dir;
        InterceptConfig c = withCa(dir);
        auto patterns = HostPatterns::parse({"self-signed.test"});
        QVERIFY(patterns);
        c.insecure = std::make_shared<HostPatterns>(*patterns);
        QVERIFY(!planInterception(hello("self-signed.test", {}), c, "x", 443).verify);
        QVERIFY(planInterception(hello("other.test", {}), c, "x", 443).verify);
        c.verifyServers = false;
        QVERIFY(!planInterception(hello("other.test", {}), c, "x", 443).verify);
    }

    void leafMirrorsTheOriginsNamesUpToSixtyFour()
    {
        QCOMPARE(leafNames("o.test", nullptr), std::vector<std::string>{"o.test"});
        tls::TlsDetails origin;
        origin.peerChain.emplace_back();
        origin.peerChain.front().dnsNames = {"o.test", "*.o.test"};
        origin.peerChain.front().ipAddresses = {"127.0.0.1"};
        QCOMPARE(leafNames("o.test", &origin),
                 (std::vector<std::string>{"o.test", "o.test", "*.o.test", "127.0.0.1"}));
        for (int i = 0; i < 100; ++i)
            origin.peerChain.front().dnsNames.push_back("n" + std::to_string(i) + ".test");
        QCOMPARE(leafNames("o.test", &origin).size(), std::size_t(64));
    }

    void clientGetsH2OnlyWhenOfferedAndTheOriginIsReachable()
    {
        QCOMPARE(clientAlpn({"h2", "http/1.1"}, true),
                 (std::vector<std::string>{"h2", "http/1.1"}));
        QCOMPARE(clientAlpn({"h2", "http/1.1"}, false), std::vector<std::string>{"http/1.1"});
        QCOMPARE(clientAlpn({"http/1.1"}, true), std::vector<std::string>{"http/1.1"});
    }
};

QTEST_GUILESS_MAIN(InterceptionPlanTest)
#include "interception_plan_test.moc"
