// Two TlsSessions talking to each other through memory: handshake, ALPN, verification results,
// data both ways, close_notify and key logging, with no socket.
#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::tls;

namespace {

struct Pair
{
    std::unique_ptr<TlsSession> client;
    std::unique_ptr<TlsSession> server;
    std::string clientGot;
    std::string serverGot;

    // Moves ciphertext both ways until neither side has anything to say.
    void pump()
    {
        for (int i = 0; i < 20; ++i) {
            bool moved = false;
            if (client->hasCiphertext()) {
                server->receive(client->takeCiphertext(), serverGot, 0);
                moved = true;
            }
            if (server->hasCiphertext()) {
                client->receive(server->takeCiphertext(), clientGot, 0);
                moved = true;
            }
            if (!moved)
                return;
        }
    }
};

} // namespace

class TlsSessionTest final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<CertificateAuthority> m_ca;
    std::shared_ptr<TlsContext> m_trusting; // client context trusting our CA
    std::shared_ptr<TlsContext> m_plain;    // client context with the system roots only
    std::shared_ptr<TlsContext> m_server;

    Pair connect(const std::shared_ptr<TlsContext> &clientContext, const std::string &sni,
                 const std::vector<std::string> &certNames, std::vector<std::string> offer,
                 std::vector<std::string> accept)
    {
        auto leaf = m_ca->leafFor(certNames);
        if (!leaf.ok())
            qFatal("leaf: %s", leaf.error().message.c_str());
        auto client = TlsSession::client(clientContext, {sni, sni, std::move(offer), true}, 0);
        auto server = TlsSession::server(m_server, {*leaf, std::move(accept)}, 0);
        if (!client.ok() || !server.ok())
            qFatal("session creation failed");
        Pair p{std::move(*client), std::move(*server), {}, {}};
        p.pump();
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto ca = CertificateAuthority::openOrCreate(
            m_dir.filePath(QStringLiteral("ca")).toStdString());
        QVERIFY(ca.ok());
        m_ca = std::move(*ca);
        auto trusting = TlsContext::client({{m_ca->directory() + "/ca.pem"}, nullptr});
        auto plain = TlsContext::client({});
        auto server = TlsContext::server({});
        QVERIFY(trusting.ok() && plain.ok() && server.ok());
        m_trusting = *trusting;
        m_plain = *plain;
        m_server = *server;
    }

    void handshakeAlpnAndData()
    {
        Pair p = connect(m_trusting, "example.test", {"example.test"}, {"h2", "http/1.1"},
                         {"http/1.1"});
        QVERIFY2(p.client->handshakeDone(), p.client->error().c_str());
        QVERIFY(p.server->handshakeDone());
        QCOMPARE(p.client->details().alpn, std::string("http/1.1"));
        QCOMPARE(p.server->details().alpn, std::string("http/1.1"));
        QCOMPARE(p.server->details().sni, std::string("example.test"));
        QCOMPARE(p.server->details().alpnOffered, (std::vector<std::string>{"h2", "http/1.1"}));
        QVERIFY(p.client->details().verified);
        QVERIFY(p.client->details().verifyError.empty());
        QCOMPARE(p.client->details().version, std::string("TLSv1.3"));
        QVERIFY(!p.client->details().peerChain.empty());
        QCOMPARE(p.client->details().peerChain.front().dnsNames,
                 std::vector<std::string>{"example.test"});

        p.client->send("ping");
        p.pump();
        QCOMPARE(p.serverGot, std::string("ping"));
        const std::string big(300 * 1024, 'x');
        p.server->send(big);
        p.pump();
        QCOMPARE(p.clientGot.size(), big.size());

        p.client->shutdown();
        p.pump();
        QVERIFY(p.server->peerClosed());
    }

    void dataWrittenBeforeTheHandshakeIsHeld()
    {
        auto leaf = m_ca->leafFor({"early.test"});
        QVERIFY(leaf.ok());
        auto client = TlsSession::client(m_trusting, {"early.test", "early.test", {}, true}, 0);
        auto server = TlsSession::server(m_server, {*leaf, {}}, 0);
        QVERIFY(client.ok() && server.ok());
        (*client)->send("early");
        Pair p{std::move(*client), std::move(*server), {}, {}};
        p.pump();
        QCOMPARE(p.serverGot, std::string("early"));
        QVERIFY(p.client->details().alpn.empty()); // nothing offered, nothing chosen
    }

    void wrongNameIsReported()
    {
        Pair p = connect(m_trusting, "asked.test", {"other.test"}, {}, {});
        QVERIFY(p.client->handshakeDone()); // the handshake completes; the proxy decides
        QVERIFY(!p.client->details().verified);
        QVERIFY2(p.client->details().verifyError.find("mismatch") != std::string::npos,
                 p.client->details().verifyError.c_str());
    }

    void unknownIssuerIsReported()
    {
        Pair p = connect(m_plain, "example.test", {"example.test"}, {}, {});
        QVERIFY(p.client->handshakeDone());
        QVERIFY(!p.client->details().verified);
        // The server sends our CA along, so OpenSSL names the untrusted root itself.
        const std::string &why = p.client->details().verifyError;
        QVERIFY2(why.find("issuer") != std::string::npos
                     || why.find("self-signed certificate in certificate chain")
                            != std::string::npos,
                 why.c_str());
    }

    void ipAddressTargetsVerifyTheIpSan()
    {
        auto leaf = m_ca->leafFor({"127.0.0.1"});
        QVERIFY(leaf.ok());
        auto client = TlsSession::client(m_trusting, {"", "127.0.0.1", {}, true}, 0);
        auto server = TlsSession::server(m_server, {*leaf, {}}, 0);
        QVERIFY(client.ok() && server.ok());
        Pair p{std::move(*client), std::move(*server), {}, {}};
        p.pump();
        QVERIFY(p.client->details().verified);
        QVERIFY(p.server->details().sni.empty());
    }

    void garbageFailsTheHandshakeWithAReason()
    {
        auto leaf = m_ca->leafFor({"x.test"});
        QVERIFY(leaf.ok());
        auto server = TlsSession::server(m_server, {*leaf, {}}, 0);
        QVERIFY(server.ok());
        std::string plain;
        (*server)->receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", plain, 0);
        QVERIFY((*server)->failed());
        QVERIFY((*server)->error().starts_with("TLS handshake failed"));
        QVERIFY(plain.empty());
    }

    void keyLogGetsBothSides()
    {
        const QString path = m_dir.filePath(QStringLiteral("keys.log"));
        auto log = std::make_shared<KeyLog>(path.toStdString());
        auto client = TlsContext::client({{m_ca->directory() + "/ca.pem"}, log});
        auto server = TlsContext::server({log});
        QVERIFY(client.ok() && server.ok());
        auto leaf = m_ca->leafFor({"keys.test"});
        QVERIFY(leaf.ok());
        auto c = TlsSession::client(*client, {"keys.test", "keys.test", {}, true}, 0);
        auto s = TlsSession::server(*server, {*leaf, {}}, 0);
        QVERIFY(c.ok() && s.ok());
        Pair p{std::move(*c), std::move(*s), {}, {}};
        p.pump();
        QVERIFY(p.client->handshakeDone());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().split('\n');
        int clientTraffic = 0;
        int serverTraffic = 0;
        for (const QByteArray &line : lines) {
            clientTraffic += line.startsWith("CLIENT_TRAFFIC_SECRET_0 ");
            serverTraffic += line.startsWith("SERVER_TRAFFIC_SECRET_0 ");
        }
        // Both endpoints log the same handshake: each secret appears twice.
        QCOMPARE(clientTraffic, 2);
        QCOMPARE(serverTraffic, 2);
    }
};

QTEST_GUILESS_MAIN(TlsSessionTest)
#include "tls_session_test.moc"
