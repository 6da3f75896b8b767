// ChainConnector against small in-memory fake hops (an HTTP CONNECT proxy, a SOCKS5 proxy on
// core/socks's Socks5Server, a TLS-fronted CONNECT proxy on TlsSession::server) and a fake
// destination: bytes end to end through chains, each failure naming the right hop, leftover
// bytes, forward mode, and the same outcome however the input is split.
#include "core/http1/message.h"
#include "core/http1/parser.h"
#include "core/socks/socks5_server.h"
#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"
#include "core/upstream/chain_connector.h"

#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::upstream;

namespace {

const char *c(const std::string &s)
{
    return s.c_str();
}

std::string take(std::string &s)
{
    return std::exchange(s, {});
}

// One machine in the simulated network. Bytes towards the connector go to `toClient`, bytes
// towards the destination to `toServer`; the Network moves them.
struct Node
{
    virtual ~Node() = default;
    virtual void fromClient(std::string_view bytes) = 0;
    virtual void fromServer(std::string_view bytes) { toClient.append(bytes); }
    virtual void connected() {} // the node before this one opened its tunnel to it

    std::string toClient;
    std::string toServer;
    Node *next = nullptr;
};

// The destination: records what arrives, says `greeting` as soon as it is connected.
struct Destination final : Node
{
    std::string greeting;
    std::string got;
    bool isConnected = false;

    void fromClient(std::string_view bytes) override { got.append(bytes); }
    void connected() override
    {
        isConnected = true;
        toClient += greeting;
    }
};

// An HTTP/1.1 CONNECT proxy: answers 200 (then relays), 407 when the Proxy-Authorization
// is not `requiredAuth`, or `answer` when set.
struct FakeConnectProxy final : Node
{
    std::string requiredAuth;
    std::string answer;
    std::string afterAnswer; // sent right behind the 200, in the same write
    http1::RequestParser parser;
    std::string method;
    std::string target;
    std::string authorization;
    bool tunnel = false;
    bool done = false;

    void fromClient(std::string_view bytes) override
    {
        if (tunnel) {
            toServer.append(bytes);
            return;
        }
        if (done)
            return;
        std::vector<http1::RequestEvent> events;
        const std::size_t consumed = parser.feed(bytes, events);
        for (const auto &event : events) {
            if (const auto *head = std::get_if<http1::RequestHeadEvent>(&event)) {
                method = head->head.method;
                target = head->head.target;
                if (const std::string *a
                    = http1::findHeader(head->head.headers, "Proxy-Authorization"))
                    authorization = *a;
            } else if (std::holds_alternative<http1::ParseError>(event)) {
                toClient += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
                done = true;
                return;
            } else if (std::holds_alternative<http1::MessageEnd>(event)) {
                done = true;
                if (!answer.empty()) {
                    toClient += answer;
                    return;
                }
                if (!requiredAuth.empty() && authorization != requiredAuth) {
                    toClient += "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                "Proxy-Authenticate: Basic realm=\"fake\"\r\n"
                                "Content-Length: 5\r\n\r\nlogin";
                    return;
                }
                toClient += "HTTP/1.1 200 Connection established\r\n\r\n" + afterAnswer;
                tunnel = true;
                next->connected();
                toServer.append(bytes.substr(consumed));
                return;
            }
        }
    }
};

// A SOCKS5 proxy on core/socks's server codec, answering `reply`.
struct FakeSocksProxy final : Node
{
    explicit FakeSocksProxy(std::optional<socks::Credentials> required) : server(required) {}

    socks::Socks5Server server;
    socks::ReplyCode reply = socks::ReplyCode::Succeeded;
    std::optional<socks::Socks5Server::Request> request;
    bool tunnel = false;
    bool done = false;

    void fromClient(std::string_view bytes) override
    {
        if (tunnel) {
            toServer.append(bytes);
            return;
        }
        if (done)
            return;
        const socks::Socks5Server::Output out = server.feed(bytes);
        toClient += out.toClient;
        if (out.status == socks::Socks5Server::Status::Failed) {
            done = true;
        } else if (out.status == socks::Socks5Server::Status::Request) {
            done = true;
            request = server.request();
            toClient += socks::Socks5Server::reply(reply, "10.9.8.7", 4242);
            if (reply == socks::ReplyCode::Succeeded) {
                tunnel = true;
                next->connected();
                toServer.append(bytes.substr(out.consumed));
            }
        }
    }
};

// An https proxy: TLS (TlsSession::server) in front of a FakeConnectProxy.
struct FakeTlsProxy final : Node
{
    std::unique_ptr<tls::TlsSession> tls;
    FakeConnectProxy inner;
    std::string plaintextSeen; // everything that arrived inside the TLS

    void fromClient(std::string_view bytes) override
    {
        std::string plain;
        tls->receive(bytes, plain, 0);
        plaintextSeen += plain;
        if (!plain.empty())
            inner.fromClient(plain);
        settle();
    }
    void fromServer(std::string_view bytes) override
    {
        inner.fromServer(bytes);
        settle();
    }
    void connected() override { inner.connected(); }
    void settle()
    {
        if (!inner.toClient.empty())
            tls->send(take(inner.toClient));
        toClient += tls->takeCiphertext();
        toServer += take(inner.toServer);
    }
};

// The connector, every hop and the destination, and the pump that moves bytes between them.
struct Network
{
    std::unique_ptr<ChainConnector> connector;
    std::vector<std::unique_ptr<Node>> nodes; // the hops, then the destination
    MonoTime clock = 1000;
    std::size_t chunk = 0; // deliver to the connector this many bytes at a time (0: all)
    std::string delivered; // everything the connector was given

    template<typename T>
    T &node(std::size_t i)
    {
        return dynamic_cast<T &>(*nodes.at(i));
    }
    Destination &destination() { return node<Destination>(nodes.size() - 1); }

    void deliver(const std::string &bytes)
    {
        delivered += bytes;
        clock += 10;
        if (chunk == 0) {
            connector->receive(bytes, clock);
            return;
        }
        for (std::size_t i = 0; i < bytes.size(); i += chunk)
            connector->receive(std::string_view(bytes).substr(i, chunk), clock);
    }

    void start()
    {
        connector->start(clock);
        pump();
    }

    void pump()
    {
        for (int round = 0; round < 1000; ++round) {
            bool moved = false;
            if (connector->hasWire()) {
                nodes.front()->fromClient(connector->takeWire());
                moved = true;
            }
            for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
                if (!nodes[i]->toServer.empty()) {
                    nodes[i + 1]->fromClient(take(nodes[i]->toServer));
                    moved = true;
                }
            }
            for (std::size_t i = nodes.size() - 1; i >= 1; --i) {
                if (!nodes[i]->toClient.empty()) {
                    nodes[i - 1]->fromServer(take(nodes[i]->toClient));
                    moved = true;
                }
            }
            if (!nodes.front()->toClient.empty()) {
                deliver(take(nodes.front()->toClient));
                moved = true;
            }
            if (!moved)
                return;
        }
        qFatal("the network never went quiet");
    }
};

// Everything observable about a connector after some input, to compare runs.
struct Outcome
{
    ChainConnector::State state;
    HopFailure::Kind kind;
    std::size_t hopIndex;
    std::string message;
    std::string wire;
    std::string app;

    bool operator==(const Outcome &) const = default;
};

Outcome outcomeOf(ChainConnector &connector, std::string wire)
{
    wire += connector.takeWire();
    return {connector.state(),           connector.failure().kind, connector.failure().hopIndex,
            connector.failure().message, std::move(wire),          connector.takeApp()};
}

ChainSpec chainOf(const std::string &text)
{
    auto chain = ChainSpec::parse(text);
    if (!chain.ok())
        qFatal("%s", chain.error().message.c_str());
    return *chain;
}

ChainConnector::Options opts(const std::string &chain, std::string host, std::uint16_t port)
{
    ChainConnector::Options options;
    options.chain = chainOf(chain);
    options.host = std::move(host);
    options.port = port;
    return options;
}

std::string socksReply(socks::ReplyCode code)
{
    return socks::Socks5Server::reply(code, "10.9.8.7", 4242);
}

} // namespace

class ChainConnectorTest final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<tls::CertificateAuthority> m_ca;    // trusted by m_trusting
    std::unique_ptr<tls::CertificateAuthority> m_other; // trusted by nobody
    std::shared_ptr<tls::TlsContext> m_trusting;
    std::shared_ptr<tls::TlsContext> m_server;

    struct Setup
    {
        Setup(std::string chain_, std::string host_ = "example.com", std::uint16_t port_ = 443,
              ChainConnector::Mode mode_ = ChainConnector::Mode::Tunnel, bool insecure_ = false,
              bool untrustedTls_ = false, std::string greeting_ = {})
            : chain(std::move(chain_))
            , host(std::move(host_))
            , port(port_)
            , mode(mode_)
            , insecure(insecure_)
            , untrustedTls(untrustedTls_)
            , greeting(std::move(greeting_))
        {}

        std::string chain;
        std::string host;
        std::uint16_t port;
        ChainConnector::Mode mode;
        bool insecure;
        bool untrustedTls; // https hops show a certificate from an unknown CA
        std::string greeting;
    };

    // A fake for every hop of the chain, each requiring the credentials its URL carries.
    std::unique_ptr<Network> build(const Setup &setup)
    {
        auto net = std::make_unique<Network>();
        ChainConnector::Options options;
        options.chain = chainOf(setup.chain);
        options.host = setup.host;
        options.port = setup.port;
        options.mode = setup.mode;
        options.tlsContext = m_trusting;
        options.insecure = setup.insecure;
        for (const Hop &hop : options.chain.hops) {
            switch (hop.scheme) {
            case HopScheme::Http: {
                auto proxy = std::make_unique<FakeConnectProxy>();
                proxy->requiredAuth = ChainConnector::basicAuthorization(hop);
                net->nodes.push_back(std::move(proxy));
                break;
            }
            case HopScheme::Https: {
                auto proxy = std::make_unique<FakeTlsProxy>();
                auto &ca = setup.untrustedTls ? m_other : m_ca;
                auto leaf = ca->leafFor({hop.host});
                auto session = tls::TlsSession::server(m_server, {*leaf, {"http/1.1"}}, 0);
                if (!leaf.ok() || !session.ok())
                    qFatal("fake TLS proxy");
                proxy->tls = std::move(*session);
                proxy->inner.requiredAuth = ChainConnector::basicAuthorization(hop);
                net->nodes.push_back(std::move(proxy));
                break;
            }
            case HopScheme::Socks5:
            case HopScheme::Socks5h: {
                std::optional<socks::Credentials> required;
                if (hop.hasCredentials)
                    required = socks::Credentials{hop.username, hop.password};
                net->nodes.push_back(std::make_unique<FakeSocksProxy>(required));
                break;
            }
            }
        }
        auto destination = std::make_unique<Destination>();
        destination->greeting = setup.greeting;
        net->nodes.push_back(std::move(destination));
        for (std::size_t i = 0; i + 1 < net->nodes.size(); ++i) {
            net->nodes[i]->next = net->nodes[i + 1].get();
            if (auto *tlsProxy = dynamic_cast<FakeTlsProxy *>(net->nodes[i].get()))
                tlsProxy->inner.next = net->nodes[i + 1].get();
        }
        net->connector = std::make_unique<ChainConnector>(std::move(options));
        return net;
    }

    // The failure message must name the hop and never show a password.
    static void checkFailure(const ChainConnector &connector, HopFailure::Kind kind,
                             std::size_t hopIndex, const std::string &message)
    {
        QVERIFY(connector.failed());
        const HopFailure &f = connector.failure();
        QCOMPARE(kindName(f.kind), kindName(kind));
        QCOMPARE(f.hopIndex, hopIndex);
        QVERIFY2(f.message == message, c(f.message));
        QCOMPARE(f.hop, connector.chain().hops.at(hopIndex).display());
        QVERIFY(f.message.rfind("hop " + std::to_string(hopIndex + 1) + " (" + f.hop + ")", 0)
                == 0);
        for (const Hop &hop : connector.chain().hops)
            if (!hop.password.empty())
                QVERIFY2(f.message.find(hop.password) == std::string::npos, c(f.message));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto ca = tls::CertificateAuthority::openOrCreate(
            m_dir.filePath(QStringLiteral("ca")).toStdString());
        auto other = tls::CertificateAuthority::openOrCreate(
            m_dir.filePath(QStringLiteral("other")).toStdString());
        QVERIFY(ca.ok() && other.ok());
        m_ca = std::move(*ca);
        m_other = std::move(*other);
        auto trusting = tls::TlsContext::client({{m_ca->directory() + "/ca.pem"}, nullptr});
        auto server = tls::TlsContext::server({});
        QVERIFY(trusting.ok() && server.ok());
        m_trusting = *trusting;
        m_server = *server;
    }

    // Every hop kind in several orders; each later hop is reached through the earlier ones.
    void bytesFlowEndToEnd_data()
    {
        QTest::addColumn<QString>("chain");
        QTest::addColumn<int>("chunk");
        QTest::addColumn<QString>("summary");

        QTest::newRow("http, https, socks5h")
            << QStringLiteral("http://alice:s3cret@127.0.0.1:3128,https://proxy.test:8443,"
                              "socks5h://bob:hunter2@127.0.0.1:1080")
            << 0
            << QStringLiteral("via http://alice:***@127.0.0.1:3128 \u2192 https://proxy.test:8443 "
                              "\u2192 socks5h://bob:***@127.0.0.1:1080");
        QTest::newRow("same, byte by byte")
            << QStringLiteral("http://alice:s3cret@127.0.0.1:3128,https://proxy.test:8443,"
                              "socks5h://bob:hunter2@127.0.0.1:1080")
            << 1 << QString();
        QTest::newRow("socks5h, http, https")
            << QStringLiteral("socks5h://127.0.0.1:1080,http://127.0.0.1:3128,"
                              "https://carol:pw@proxy.test:8443")
            << 0 << QString();
        QTest::newRow("https inside https")
            << QStringLiteral("https://a:b@proxy.test:8443,https://127.0.0.1:9443") << 0
            << QStringLiteral("via https://a:***@proxy.test:8443 \u2192 https://127.0.0.1:9443");
        QTest::newRow("https inside https, 7 bytes at a time")
            << QStringLiteral("https://a:b@proxy.test:8443,https://127.0.0.1:9443") << 7
            << QString();
        QTest::newRow("http in http in http")
            << QStringLiteral("http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3") << 0
            << QString();
        QTest::newRow("one socks5h") << QStringLiteral("socks5h://[::1]:1080") << 0
                                     << QStringLiteral("via socks5h://[::1]:1080");
    }

    void bytesFlowEndToEnd()
    {
        QFETCH(QString, chain);
        QFETCH(int, chunk);
        QFETCH(QString, summary);

        auto net = build({chain.toStdString(), "example.com", 443, ChainConnector::Mode::Tunnel,
                          false, false, "220 hi\n"});
        net->chunk = std::size_t(chunk);
        ChainConnector &connector = *net->connector;
        QCOMPARE(connector.state(), ChainConnector::State::Idle);
        connector.sendApp("early "); // held until the chain is through
        net->start();
        QVERIFY2(connector.established(), c(connector.failure().message));
        QVERIFY(!connector.forwarding());
        QVERIFY(connector.proxyAuthorization().empty());
        QCOMPARE(connector.deadline(), kNoDeadline);
        if (!summary.isEmpty())
            QCOMPARE(QString::fromStdString(connector.summary()), summary);

        // Each hop was asked for the next one, with its credentials.
        const auto &hops = connector.chain().hops;
        for (std::size_t i = 0; i < hops.size(); ++i) {
            const std::string next
                = i + 1 < hops.size() ? hops[i + 1].authority() : std::string("example.com:443");
            if (hops[i].scheme == HopScheme::Http) {
                auto &proxy = net->node<FakeConnectProxy>(i);
                QCOMPARE(proxy.method, std::string("CONNECT"));
                QCOMPARE(proxy.target, next);
                QCOMPARE(proxy.authorization, ChainConnector::basicAuthorization(hops[i]));
            } else if (hops[i].scheme == HopScheme::Https) {
                auto &proxy = net->node<FakeTlsProxy>(i);
                QCOMPARE(proxy.inner.target, next);
                QCOMPARE(proxy.tls->details().sni,
                         isIpLiteral(hops[i].host) ? std::string() : hops[i].host);
                QCOMPARE(proxy.tls->details().alpn, std::string("http/1.1"));
            } else {
                auto &proxy = net->node<FakeSocksProxy>(i);
                QVERIFY(proxy.request);
                QCOMPARE(authorityOf(proxy.request->host, proxy.request->port), next);
            }
        }

        // The destination's greeting came right behind the last answer; "early " went out.
        Destination &destination = net->destination();
        QVERIFY(destination.isConnected);
        QCOMPARE(connector.takeApp(), std::string("220 hi\n"));
        QCOMPARE(destination.got, std::string("early "));

        connector.sendApp("ping");
        net->pump();
        QCOMPARE(destination.got, std::string("early ping"));
        const std::string big(100 * 1024, 'z');
        destination.toClient = big;
        net->pump();
        QCOMPARE(connector.takeApp(), big);
        connector.sendApp(big);
        net->pump();
        QCOMPARE(destination.got.size(), big.size() + 10);

        bool anyTls = false;
        for (const Hop &hop : hops)
            anyTls = anyTls || hop.scheme == HopScheme::Https;
        QCOMPARE(connector.plainPath(), !anyTls);

        // Timings: every hop began, was through, in order; https hops also finished TLS.
        const auto &t = connector.timings();
        QCOMPARE(t.size(), hops.size());
        for (std::size_t i = 0; i < hops.size(); ++i) {
            QVERIFY(t[i].started >= 1000);
            QVERIFY(t[i].through > t[i].started);
            if (hops[i].scheme == HopScheme::Https)
                QVERIFY(t[i].tlsDone > t[i].started && t[i].tlsDone < t[i].through);
            else
                QCOMPARE(t[i].tlsDone, MonoTime(-1));
            if (i > 0)
                QCOMPARE(t[i].started, t[i - 1].through);
        }
    }

    void directChainIsEstablishedAtOnce()
    {
        ChainConnector connector(opts("direct", "example.com", 80));
        QCOMPARE(connector.summary(), std::string("direct"));
        connector.sendApp("GET / HTTP/1.1\r\n\r\n");
        QVERIFY(!connector.hasWire());
        connector.start(5);
        QVERIFY(connector.established());
        QVERIFY(connector.plainPath());
        QCOMPARE(connector.takeWire(), std::string("GET / HTTP/1.1\r\n\r\n"));
        connector.receive("HTTP/1.1 200 OK\r\n", 6);
        QCOMPARE(connector.takeApp(), std::string("HTTP/1.1 200 OK\r\n"));

        ChainConnector refused(opts("direct", "example.com", 80));
        refused.connectFailed("connection refused by 127.0.0.1:80", 5);
        QVERIFY(refused.failed());
        QCOMPARE(refused.failure().kind, HopFailure::Kind::Refused);
        QCOMPARE(refused.failure().message,
                 std::string("example.com:80 could not be reached: connection refused by "
                             "127.0.0.1:80"));
    }

    void firstHopRefused()
    {
        ChainConnector connector(
            opts("http://u:pw@127.0.0.1:3128,socks5h://127.0.0.1:1", "example.com", 443));
        connector.connectFailed("connection refused by 127.0.0.1:3128", 5);
        checkFailure(connector, HopFailure::Kind::Refused, 0,
                     "hop 1 (http://u:***@127.0.0.1:3128) could not be reached: connection "
                     "refused by 127.0.0.1:3128");
        connector.start(6); // nothing happens after a failure
        QVERIFY(connector.failed());
        QVERIFY(!connector.hasWire());
    }

    void proxyAuthenticationRequiredNamesTheHop()
    {
        auto net = build({"http://127.0.0.1:3128,http://127.0.0.1:3129"});
        net->node<FakeConnectProxy>(1).requiredAuth = "Basic c29tZW9uZTplbHNl";
        net->start();
        checkFailure(*net->connector, HopFailure::Kind::AuthRequired, 1,
                     "hop 2 (http://127.0.0.1:3129) answered 407 Proxy Authentication Required "
                     "(no credentials configured)");
        QCOMPARE(net->connector->failure().httpStatus, 407);
        QVERIFY(!net->destination().isConnected);

        auto wrong = build({"http://127.0.0.1:3128,https://bob:wrong@proxy.test:8443"});
        wrong->node<FakeTlsProxy>(1).inner.requiredAuth = "Basic Ym9iOnJpZ2h0";
        wrong->start();
        checkFailure(*wrong->connector, HopFailure::Kind::AuthRequired, 1,
                     "hop 2 (https://bob:***@proxy.test:8443) answered 407 Proxy Authentication "
                     "Required (the credentials were not accepted)");
    }

    void otherStatusesAreDenials()
    {
        auto net = build({"http://127.0.0.1:3128,socks5h://127.0.0.1:1080,http://127.0.0.1:3129"});
        net->node<FakeConnectProxy>(2).answer
            = "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!";
        net->start();
        checkFailure(*net->connector, HopFailure::Kind::Denied, 2,
                     "hop 3 (http://127.0.0.1:3129) refused CONNECT to example.com:443: 403 "
                     "Forbidden");
        QCOMPARE(net->connector->failure().httpStatus, 403);

        auto first = build({"http://127.0.0.1:3128,http://127.0.0.1:3129"});
        first->node<FakeConnectProxy>(0).answer = "HTTP/1.0 502 Bad Gateway\r\n\r\n";
        first->start();
        checkFailure(*first->connector, HopFailure::Kind::Denied, 0,
                     "hop 1 (http://127.0.0.1:3128) refused CONNECT to 127.0.0.1:3129: 502 Bad "
                     "Gateway");
    }

    void socksFailureReplyNamesTheHop()
    {
        auto net = build({"http://127.0.0.1:3128,socks5h://u:pw@127.0.0.1:1080"});
        net->node<FakeSocksProxy>(1).reply = socks::ReplyCode::ConnectionRefused;
        net->start();
        checkFailure(*net->connector, HopFailure::Kind::SocksReply, 1,
                     "hop 2 (socks5h://u:***@127.0.0.1:1080) refused CONNECT to example.com:443: "
                     "connection refused (SOCKS reply 5)");
        QCOMPARE(net->connector->failure().socksReply, std::optional<std::uint8_t>(5));

        // A SOCKS hop that wants credentials we do not have.
        auto noAuth = build({"socks5h://127.0.0.1:1080"});
        noAuth->node<FakeSocksProxy>(0).server = socks::Socks5Server(socks::Credentials{"u", "p"});
        noAuth->start();
        QVERIFY(noAuth->connector->failed());
        QCOMPARE(noAuth->connector->failure().kind, HopFailure::Kind::AuthRequired);
        QVERIFY2(noAuth->connector->failure().message.rfind("hop 1 (socks5h://127.0.0.1:1080): ", 0)
                     == 0,
                 c(noAuth->connector->failure().message));
    }

    void tlsFailureNamesTheHop()
    {
        auto net = build({"http://u:pw@127.0.0.1:3128,https://carol:s3cret@proxy.test:8443",
                          "example.com", 443, ChainConnector::Mode::Tunnel, false, true});
        net->start();
        checkFailure(*net->connector, HopFailure::Kind::Tls, 1,
                     "hop 2 (https://carol:***@proxy.test:8443): its certificate does not verify: "
                     "self-signed certificate in certificate chain");
        // Nothing was said inside a TLS session we do not trust: the credentials stay unsent.
        QVERIFY(net->node<FakeTlsProxy>(1).plaintextSeen.empty());

        // Told to be insecure, the same chain goes through.
        auto insecure = build({"http://u:pw@127.0.0.1:3128,https://carol:s3cret@proxy.test:8443",
                               "example.com", 443, ChainConnector::Mode::Tunnel, true, true});
        insecure->start();
        QVERIFY2(insecure->connector->established(), c(insecure->connector->failure().message));

        // A hop that is not TLS at all: the handshake fails.
        ChainConnector::Options plainOptions = opts("https://proxy.test:8443", "example.com", 443);
        plainOptions.tlsContext = m_trusting;
        ChainConnector plain(std::move(plainOptions));
        plain.start(1);
        QVERIFY(plain.hasWire());
        plain.receive("HTTP/1.1 400 Bad Request\r\n\r\n", 2);
        QVERIFY(plain.failed());
        QCOMPARE(plain.failure().kind, HopFailure::Kind::Tls);
        QVERIFY2(plain.failure().message.rfind("hop 1 (https://proxy.test:8443): TLS handshake "
                                               "failed",
                                               0)
                     == 0,
                 c(plain.failure().message));

        // No context to verify with.
        ChainConnector noContext(opts("https://proxy.test:8443", "example.com", 443));
        noContext.start(1);
        QVERIFY(noContext.failed());
        QCOMPARE(noContext.failure().kind, HopFailure::Kind::Tls);
    }

    void malformedAnswerIsAProtocolError()
    {
        ChainConnector connector(opts("http://127.0.0.1:3128", "example.com", 443));
        connector.start(1);
        QCOMPARE(connector.takeWire(),
                 std::string("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
        connector.receive("SSH-2.0-OpenSSH_9.2\r\n", 2);
        QVERIFY(connector.failed());
        QCOMPARE(connector.failure().kind, HopFailure::Kind::Protocol);
        QVERIFY2(
            connector.failure().message.rfind(
                "hop 1 (http://127.0.0.1:3128) answered CONNECT with a malformed response: ", 0)
                == 0,
            c(connector.failure().message));

        ChainConnector socksToHttp(opts("socks5h://127.0.0.1:1080", "example.com", 443));
        socksToHttp.start(1);
        socksToHttp.receive("HTTP/1.1 400 Bad Request\r\n\r\n", 2);
        QVERIFY(socksToHttp.failed());
        QCOMPARE(socksToHttp.failure().kind, HopFailure::Kind::Protocol);
    }

    void requestBytesAreExact()
    {
        ChainConnector connector(
            opts("http://alice:s3cret@[::1]:3128,socks5h://h.test:1", "example.com", 443));
        connector.start(1);
        QCOMPARE(connector.takeWire(), std::string("CONNECT h.test:1 HTTP/1.1\r\nHost: h.test:1\r\n"
                                                   "Proxy-Authorization: Basic "
                                                   "YWxpY2U6czNjcmV0\r\n\r\n"));
        ChainConnector v6(opts("http://127.0.0.1:3128", "2001:db8::5", 8443));
        v6.start(1);
        QCOMPARE(v6.takeWire(), std::string("CONNECT [2001:db8::5]:8443 HTTP/1.1\r\n"
                                            "Host: [2001:db8::5]:8443\r\n\r\n"));
        QCOMPARE(ChainConnector::basicAuthorization(
                     chainOf("http://Aladdin:open%20sesame@h.test:1").hops[0]),
                 std::string("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        QCOMPARE(ChainConnector::basicAuthorization(chainOf("http://a:@h.test:1").hops[0]),
                 std::string("Basic YTo="));
        QVERIFY(
            ChainConnector::basicAuthorization(chainOf("socks5h://a:b@h.test:1").hops[0]).empty());
        QVERIFY(ChainConnector::basicAuthorization(chainOf("http://h.test:1").hops[0]).empty());
    }

    void leftoverBytesAfterTheLastAnswer()
    {
        ChainConnector connector(
            opts("http://127.0.0.1:3128,socks5h://127.0.0.1:1080", "example.com", 25));
        connector.start(1);
        connector.receive("HTTP/1.1 200 Connection established\r\n\r\n", 2);
        QVERIFY(!connector.established());
        connector.receive(std::string("\x05\x00", 2) + socksReply(socks::ReplyCode::Succeeded)
                              + "220 mail.example.com ESMTP\r\n",
                          3);
        QVERIFY2(connector.established(), c(connector.failure().message));
        QCOMPARE(connector.takeApp(), std::string("220 mail.example.com ESMTP\r\n"));

        // Through the fakes: the destination speaks first, its greeting rides in the same
        // TLS records and writes as the last 200.
        auto net = build({"https://proxy.test:8443,http://127.0.0.1:3128", "example.com", 25,
                          ChainConnector::Mode::Tunnel, false, false, "220 ready\r\n"});
        net->node<FakeConnectProxy>(1).afterAnswer = "and more";
        net->start();
        QVERIFY2(net->connector->established(), c(net->connector->failure().message));
        QCOMPARE(net->connector->takeApp(), std::string("and more220 ready\r\n"));
    }

    // The same input split at every byte position (and byte by byte) gives the same outcome.
    void splitAtEveryPosition_data()
    {
        QTest::addColumn<QString>("chain");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("state");

        const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        const std::string socksOk
            = std::string("\x05\x00", 2) + socksReply(socks::ReplyCode::Succeeded);
        const std::string chain3
            = "http://a:b@127.0.0.1:3128,socks5h://127.0.0.1:1080,http://127.0.0.1:3129";
        auto row = [&](const char *name, const std::string &input, ChainConnector::State state) {
            QTest::newRow(name) << QString::fromStdString(chain3)
                                << QByteArray::fromStdString(input) << int(state);
        };
        row("through, with leftover",
            ok + socksOk + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX: y\r\n\r\nLEFTOVER",
            ChainConnector::State::Established);
        row("407 at hop 3",
            ok + socksOk
                + "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
            ChainConnector::State::Failed);
        row("socks refusal",
            ok + std::string("\x05\x00", 2) + socksReply(socks::ReplyCode::HostUnreachable),
            ChainConnector::State::Failed);
        row("malformed at hop 3", ok + socksOk + "HTTP/1.1 2000 OK\r\n\r\n",
            ChainConnector::State::Failed);
        row("not through yet", ok + socksOk + "HTTP/1.1 200 OK\r\n",
            ChainConnector::State::Connecting);
    }

    void splitAtEveryPosition()
    {
        QFETCH(QString, chain);
        QFETCH(QByteArray, input);
        QFETCH(int, state);
        const std::string bytes = input.toStdString();
        auto make = [&] {
            return std::make_unique<ChainConnector>(opts(chain.toStdString(), "example.com", 443));
        };

        auto whole = make();
        whole->start(1);
        std::string wire = whole->takeWire();
        whole->receive(bytes, 2);
        const Outcome reference = outcomeOf(*whole, wire);
        QCOMPARE(int(reference.state), state);
        if (reference.state == ChainConnector::State::Established)
            QCOMPARE(reference.app, std::string("LEFTOVER"));

        for (std::size_t split = 0; split <= bytes.size(); ++split) {
            auto connector = make();
            connector->start(1);
            std::string w = connector->takeWire();
            connector->receive(std::string_view(bytes).substr(0, split), 2);
            w += connector->takeWire();
            connector->receive(std::string_view(bytes).substr(split), 2);
            const Outcome outcome = outcomeOf(*connector, w);
            QVERIFY2(outcome == reference, c("split at " + std::to_string(split)));
        }

        auto byByte = make();
        byByte->start(1);
        std::string w = byByte->takeWire();
        for (char ch : bytes) {
            byByte->receive(std::string_view(&ch, 1), 2);
            w += byByte->takeWire();
        }
        QVERIFY(outcomeOf(*byByte, w) == reference);
    }

    void forwardModeStopsAtTheLastHop()
    {
        auto net = build({"http://127.0.0.1:3128,http://carol:pw@127.0.0.1:3129", "example.com", 80,
                          ChainConnector::Mode::Forward});
        net->start();
        ChainConnector &connector = *net->connector;
        QVERIFY2(connector.established(), c(connector.failure().message));
        QVERIFY(connector.forwarding());
        QCOMPARE(connector.proxyAuthorization(), std::string("Basic Y2Fyb2w6cHc="));
        QCOMPARE(net->node<FakeConnectProxy>(0).target, std::string("127.0.0.1:3129"));
        QVERIFY(net->node<FakeConnectProxy>(1).method.empty()); // no CONNECT to the last hop
        QVERIFY(connector.timings()[1].through >= connector.timings()[1].started);

        connector.sendApp("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
                          "Proxy-Authorization: "
                          + connector.proxyAuthorization() + "\r\n\r\n");
        net->pump();
        QCOMPARE(net->node<FakeConnectProxy>(1).method, std::string("GET"));
        QCOMPARE(net->node<FakeConnectProxy>(1).target, std::string("http://example.com/"));
        QCOMPARE(net->node<FakeConnectProxy>(1).authorization, std::string("Basic Y2Fyb2w6cHc="));

        // Through an https last hop, forwarding happens inside its TLS.
        auto https
            = build({"https://proxy.test:8443", "example.com", 80, ChainConnector::Mode::Forward});
        https->start();
        QVERIFY(https->connector->forwarding());
        QVERIFY(https->connector->proxyAuthorization().empty());
        https->connector->sendApp("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
        https->pump();
        QCOMPARE(https->node<FakeTlsProxy>(0).inner.target, std::string("http://example.com/"));

        // A chain ending in SOCKS cannot forward: it tunnels.
        auto socks = build({"http://127.0.0.1:3128,socks5h://127.0.0.1:1080", "example.com", 80,
                            ChainConnector::Mode::Forward});
        socks->start();
        QVERIFY(socks->connector->established());
        QVERIFY(!socks->connector->forwarding());
        QVERIFY(socks->destination().isConnected);
    }

    void socks5ResolvesNamesFirst()
    {
        auto net = build({"http://127.0.0.1:3128,socks5://127.0.0.1:1080"});
        net->start();
        ChainConnector &connector = *net->connector;
        QCOMPARE(connector.state(), ChainConnector::State::NeedAddress);
        QCOMPARE(connector.addressNeeded(), std::string("example.com"));
        connector.provideAddress("93.184.216.34", net->clock);
        net->pump();
        QVERIFY2(connector.established(), c(connector.failure().message));
        const auto &request = net->node<FakeSocksProxy>(1).request;
        QVERIFY(request);
        QCOMPARE(request->atyp, socks::AddressType::IPv4);
        QCOMPARE(request->host, std::string("93.184.216.34"));

        // An IP literal destination needs no lookup.
        auto literal = build({"socks5://127.0.0.1:1080", "2001:db8::7", 443});
        literal->start();
        QVERIFY(literal->connector->established());
        QCOMPARE(literal->node<FakeSocksProxy>(0).request->atyp, socks::AddressType::IPv6);

        auto failed = build({"socks5://127.0.0.1:1080,http://proxy.test:3128"});
        failed->start();
        QCOMPARE(failed->connector->addressNeeded(), std::string("proxy.test"));
        failed->connector->addressFailed("name not resolved", 7);
        checkFailure(*failed->connector, HopFailure::Kind::NotResolved, 0,
                     "hop 1 (socks5://127.0.0.1:1080) needs the address of proxy.test, which was "
                     "not found: name not resolved");
    }

    void closedAndTimedOut()
    {
        auto closed = std::make_unique<ChainConnector>(
            opts("http://127.0.0.1:3128,http://127.0.0.1:3129", "example.com", 443));
        closed->start(1);
        closed->receive("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 2", 2);
        closed->receiveEof(3);
        checkFailure(*closed, HopFailure::Kind::Closed, 1,
                     "hop 2 (http://127.0.0.1:3129): the connection closed before it answered "
                     "CONNECT");

        ChainConnector::Options options
            = opts("socks5h://127.0.0.1:1080,http://127.0.0.1:3128", "example.com", 443);
        options.hopTimeout = 5 * kSecond;
        ChainConnector slow(std::move(options));
        QCOMPARE(slow.deadline(), kNoDeadline);
        slow.start(10 * kSecond);
        QCOMPARE(slow.deadline(), 15 * kSecond);
        slow.receive(std::string("\x05\x00", 2) + socksReply(socks::ReplyCode::Succeeded),
                     11 * kSecond);
        QCOMPARE(slow.deadline(), 16 * kSecond); // hop 2's clock starts when it is reached
        slow.tick(15 * kSecond);
        QVERIFY(!slow.failed());
        slow.tick(16 * kSecond);
        checkFailure(slow, HopFailure::Kind::Timeout, 1,
                     "hop 2 (http://127.0.0.1:3128) did not answer within 5 s");
        QCOMPARE(slow.deadline(), kNoDeadline);
    }
};

QTEST_GUILESS_MAIN(ChainConnectorTest)
#include "chain_connector_test.moc"
