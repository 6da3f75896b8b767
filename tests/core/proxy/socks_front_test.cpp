// Transcript tests of the SOCKS5 listener's sessions (SocksFront under an HttpProxySession):
// SOCKS5 bytes in, exact replies and engine commands out, no sockets. The last test runs a TLS
// client and origin in memory through an intercepted SOCKS5 tunnel.
#include "core/proxy/http_proxy_session.h"
#include "core/proxy/socks_front.h"
#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"
#include "tests/core/proxy/playbook.h"

#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::proxy;
using socks::ReplyCode;

namespace {

using namespace std::string_literals;

constexpr MonoTime kStart = 1'000'000;

// "\x05\x00\x00\x01" 0.0.0.0:0: what every reply binds to.
std::string reply(ReplyCode code)
{
    return "\x05"s + char(code) + "\x00\x01\x00\x00\x00\x00\x00\x00"s;
}

std::string port(std::uint16_t p)
{
    return {char(p >> 8), char(p & 0xff)};
}

std::string connectIpv4(std::string_view address, std::uint16_t p)
{
    return "\x05\x01\x00\x01"s + std::string(address) + port(p);
}

std::string connectDomain(const std::string &host, std::uint16_t p)
{
    return "\x05\x01\x00\x03"s + char(host.size()) + host + port(p);
}

const std::string kNoAuthGreeting = "\x05\x01\x00"s;

struct Harness : testing::Playbook
{
    static SessionContext context(std::optional<socks::Credentials> credentials,
                                  std::shared_ptr<const InterceptConfig> intercept)
    {
        SessionContext c = testing::baseContext();
        c.listenAddress = "127.0.0.1:1080";
        c.intercept = std::move(intercept);
        c.socks.enabled = true;
        c.socks.credentials = std::move(credentials);
        return c;
    }

    explicit Harness(std::optional<socks::Credentials> credentials = std::nullopt,
                     std::shared_ptr<const InterceptConfig> intercept = nullptr)
        : Playbook(context(std::move(credentials), std::move(intercept)), kStart)
    {}

    using Playbook::all;
    template<typename T>
    std::vector<T> all(const std::vector<Command> &commands) const
    {
        return testing::only<T>(commands);
    }
    using Playbook::toClient;
    std::string toClient(const std::vector<Command> &commands) const
    {
        std::string s;
        for (auto &c : all<SendToClient>(commands))
            s += c.data;
        return s;
    }
    ServerId server() const { return all<OpenServer>().back().id; }

    // Greeting without authentication, then a CONNECT.
    void request(const std::string &connect)
    {
        client(kNoAuthGreeting);
        QCOMPARE(toClient(), "\x05\x00"s);
        client(connect);
    }
};

} // namespace

class SocksFrontTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connectToIpv4OpensTheServerAndRelaysBothWays()
    {
        Harness h;
        QVERIFY(h.all<PublishConnection>().front().connection.listenAddress == "127.0.0.1:1080");
        h.request(connectIpv4("\x7f\x00\x00\x01"s, 8081));
        const auto open = h.all<OpenServer>(h.last);
        QCOMPARE(open.size(), std::size_t(1));
        QCOMPARE(open[0].host, "127.0.0.1"s);
        QCOMPARE(open[0].port, std::uint16_t(8081));
        QVERIFY(!open[0].reusable);
        QVERIFY(h.toClient().empty()); // no reply before the outcome is known
        const flow::Flow opened = h.lastFlow();
        QCOMPARE(opened.kind, flow::FlowKind::Tunnel);
        QCOMPARE(opened.clientProtocol, "SOCKS5"s);
        QCOMPARE(opened.url(), "127.0.0.1:8081"s);
        QCOMPARE(opened.clientConnection, flow::ConnectionId(7));

        const ServerId id = open[0].id;
        h.feed(ServerConnected{id, "127.0.0.1:8081", false, kStart, kStart});
        QCOMPARE(h.toClient(), reply(ReplyCode::Succeeded));
        QVERIFY(h.all<RelayTunnel>().empty()); // carried: the bytes pass through the front

        h.client("ping");
        QCOMPARE(h.toServer(), "ping"s);
        QCOMPARE(h.all<SendToServer>(h.last).front().id, id);
        h.feed(ServerData{id, "pong"});
        QCOMPARE(h.toClient(), "pong"s);

        // The server half-closes: so does the client side, after the bytes before it.
        h.feed(ServerData{id, "bye"});
        h.feed(ServerEof{id});
        QCOMPARE(h.all<ShutdownClient>(h.last).size(), std::size_t(1));
        h.feed(ClientEof{});
        QVERIFY(h.clientClosed());
        const flow::Flow closed = h.lastFlow();
        QCOMPARE(closed.state, flow::FlowState::Complete);
        QCOMPARE(closed.status, 200);
        QCOMPARE(closed.bytesClientToServer, std::uint64_t(4));
        QCOMPARE(closed.bytesServerToClient, std::uint64_t(7));
        QCOMPARE(h.all<PublishConnection>().back().connection.protocol, "SOCKS5"s);
    }

    void clientHalfCloseGoesToTheServerAndBothClosesCompleteIt()
    {
        Harness h;
        h.request(connectIpv4("\x0a\x00\x00\x01"s, 80));
        const ServerId id = h.server();
        h.feed(ServerConnected{id, "10.0.0.1:80", false, kStart, kStart});
        h.client("GET / HTTP/1.1\r\n\r\n");
        h.feed(ServerData{id, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
        // The client half-closes: like any TCP tunnel, the half-close goes on to the server and
        // the client may still read its answer.
        h.feed(ClientEof{});
        QCOMPARE(h.all<ShutdownServer>(h.last).size(), std::size_t(1));
        QVERIFY(!h.clientClosed());
        h.feed(ServerEof{id}); // the server is done too: the tunnel is complete
        QVERIFY(h.clientClosed());
        QCOMPARE(h.all<CloseServer>(h.last).size(), std::size_t(1));
        QCOMPARE(h.lastFlow().state, flow::FlowState::Complete);
        QVERIFY(h.lastFlow().error.empty());
        h.feed(ServerData{id, "late"}); // after the close: nothing happens
        QVERIFY(h.last.empty());
    }

    void clientResetFailsTheTunnel()
    {
        Harness h;
        h.request(connectIpv4("\x0a\x00\x00\x01"s, 80));
        h.feed(ServerConnected{h.server(), "10.0.0.1:80", false, kStart, kStart});
        h.feed(ClientGone{"connection reset by peer"});
        QVERIFY(h.clientClosed());
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
        QVERIFY(h.lastFlow().error.find("reset") != std::string::npos);
    }

    void domainAndIpv6TargetsKeepTheirForm()
    {
        {
            Harness h;
            h.request(connectDomain("origin.example", 443));
            QCOMPARE(h.all<OpenServer>().back().host, "origin.example"s);
            QCOMPARE(h.all<OpenServer>().back().port, std::uint16_t(443));
            QCOMPARE(h.lastFlow().url(), "origin.example:443"s);
        }
        {
            Harness h;
            std::string v6(16, '\0');
            v6[15] = 1;
            h.request("\x05\x01\x00\x04"s + v6 + port(8443));
            QCOMPARE(h.all<OpenServer>().back().host, "::1"s);
            QCOMPARE(h.lastFlow().url(), "[::1]:8443"s);
        }
    }

    void handshakeSplitIntoSingleBytesGivesTheSameTranscript()
    {
        Harness h;
        const std::string all = kNoAuthGreeting + connectDomain("a.test", 80);
        std::string replies;
        for (char c : all) {
            h.client(std::string_view(&c, 1));
            replies += h.toClient();
        }
        QCOMPARE(replies, "\x05\x00"s);
        QCOMPARE(h.all<OpenServer>().size(), std::size_t(1));
        QCOMPARE(h.all<OpenServer>().back().host, "a.test"s);
    }

    void earlyDataWaitsForTheServerAndFollowsTheReply()
    {
        Harness h;
        h.client(kNoAuthGreeting + connectDomain("a.test", 80) + "GET / HTTP/1.1\r\n");
        QCOMPARE(h.toClient(), "\x05\x00"s);
        QVERIFY(h.toServer().empty());
        h.client("Host: a.test\r\n\r\n");
        QVERIFY(h.toServer().empty());
        h.feed(ServerConnected{h.server(), "10.0.0.1:80", false, kStart, kStart});
        QCOMPARE(h.toClient(), reply(ReplyCode::Succeeded));
        QCOMPARE(h.toServer(), "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"s);
        QCOMPARE(h.all<SendToServer>(h.last).front().id, h.server());
    }

    void connectFailuresMapToReplyCodes_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code");
        QTest::addColumn<int>("status");
        QTest::newRow("refused") << int(ConnectFailure::Refused)
                                 << QStringLiteral("connection refused by 10.0.0.1:80")
                                 << int(ReplyCode::ConnectionRefused) << 502;
        QTest::newRow("network unreachable")
            << int(ConnectFailure::Unreachable)
            << QStringLiteral("10.0.0.1:80 is unreachable (Network is unreachable)")
            << int(ReplyCode::NetworkUnreachable) << 502;
        QTest::newRow("host unreachable")
            << int(ConnectFailure::Unreachable)
            << QStringLiteral("10.0.0.1:80 is unreachable (No route to host)")
            << int(ReplyCode::HostUnreachable) << 502;
        QTest::newRow("not resolved") << int(ConnectFailure::NameNotResolved)
                                      << QStringLiteral("could not resolve the host name 'a.test'")
                                      << int(ReplyCode::HostUnreachable) << 502;
        QTest::newRow("loop") << int(ConnectFailure::LoopDetected)
                              << QStringLiteral("127.0.0.1:1080 is Tunnelscope's own address")
                              << int(ReplyCode::NotAllowedByRuleset) << 508;
        QTest::newRow("other") << int(ConnectFailure::Other) << QStringLiteral("cannot connect")
                               << int(ReplyCode::GeneralFailure) << 502;
    }
    void connectFailuresMapToReplyCodes()
    {
        QFETCH(int, kind);
        QFETCH(QString, message);
        QFETCH(int, code);
        QFETCH(int, status);
        Harness h;
        h.request(connectDomain("a.test", 80));
        h.feed(ServerConnectFailed{h.server(), ConnectFailure(kind), message.toStdString(), -1});
        QCOMPARE(h.toClient(), reply(ReplyCode(code)));
        QVERIFY(h.clientClosed());
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Failed);
        QCOMPARE(f.status, status);
        QCOMPARE(f.clientProtocol, "SOCKS5"s);
        QCOMPARE(f.error, message.toStdString());
    }

    void connectTimeoutIsTtlExpired()
    {
        Harness h;
        h.request(connectDomain("slow.test", 80));
        const MonoTime due = h.session->deadline();
        QCOMPARE(due, kStart + Timeouts{}.connect);
        h.now = due;
        h.feed(Tick{});
        QCOMPARE(h.toClient(), reply(ReplyCode::TtlExpired));
        QVERIFY(h.clientClosed());
        QCOMPARE(h.all<CloseServer>(h.last).size(), std::size_t(1));
        QCOMPARE(h.lastFlow().status, 504);
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
    }

    void replyForCoversEveryFailure()
    {
        QCOMPARE(SocksFront::replyFor({504, ConnectFailure::Refused, {}}), ReplyCode::TtlExpired);
        QCOMPARE(SocksFront::replyFor({502, ConnectFailure::Other, {}}), ReplyCode::GeneralFailure);
    }

    void unsupportedCommandsAreRefusedAndRecorded_data()
    {
        QTest::addColumn<int>("command");
        QTest::newRow("BIND") << 2;
        QTest::newRow("UDP ASSOCIATE") << 3;
        QTest::newRow("unknown") << 9;
    }
    void unsupportedCommandsAreRefusedAndRecorded()
    {
        QFETCH(int, command);
        Harness h;
        client(h, kNoAuthGreeting);
        h.client("\x05"s + char(command) + "\x00\x01\x7f\x00\x00\x01\x00\x50"s);
        QCOMPARE(h.toClient(), reply(ReplyCode::CommandNotSupported));
        QVERIFY(h.clientClosed());
        QVERIFY(h.all<OpenServer>().empty());
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.kind, flow::FlowKind::Tunnel);
        QCOMPARE(f.state, flow::FlowState::Failed);
        QCOMPARE(f.clientProtocol, "SOCKS5"s);
        QCOMPARE(f.clientConnection, flow::ConnectionId(7));
        QVERIFY2(f.error.find("not supported") != std::string::npos, f.error.c_str());
        QVERIFY(f.durationMicros() >= 0); // finished: the headless runner prints it
    }

    void badAddressTypeIsRefused()
    {
        Harness h;
        client(h, kNoAuthGreeting);
        h.client("\x05\x01\x00\x02\x7f\x00\x00\x01\x00\x50"s);
        QCOMPARE(h.toClient(), reply(ReplyCode::AddressTypeNotSupported));
        QVERIFY(h.clientClosed());
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
        QCOMPARE(h.lastFlow().clientProtocol, "SOCKS5"s);
    }

    void rightCredentialsOpenTheTunnel()
    {
        Harness h(socks::Credentials{"alice", "s3cret"});
        h.client("\x05\x02\x00\x02"s);
        QCOMPARE(h.toClient(), "\x05\x02"s);
        h.client("\x01\x05"
                 "alice"
                 "\x06"
                 "s3cret"s);
        QCOMPARE(h.toClient(), "\x01\x00"s);
        h.client(connectDomain("a.test", 80));
        QCOMPARE(h.all<OpenServer>().size(), std::size_t(1));
        h.feed(ServerConnected{h.server(), "10.0.0.1:80", false, kStart, kStart});
        QCOMPARE(h.toClient(), reply(ReplyCode::Succeeded));
        for (const flow::Flow &f : h.flows())
            QVERIFY(!contains(f, "s3cret"));
    }

    void wrongCredentialsAreRefusedWithoutShowingThePassword()
    {
        Harness h(socks::Credentials{"alice", "s3cret"});
        h.client("\x05\x01\x02"s);
        QCOMPARE(h.toClient(), "\x05\x02"s);
        h.client("\x01\x05"
                 "alice"
                 "\x05"
                 "guess"s);
        QCOMPARE(h.toClient(), "\x01\x01"s);
        QVERIFY(h.clientClosed());
        QVERIFY(h.all<OpenServer>().empty());
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Failed);
        QCOMPARE(f.clientProtocol, "SOCKS5"s);
        QVERIFY2(f.error.find("wrong username or password") != std::string::npos, f.error.c_str());
        QVERIFY(!contains(f, "guess"));
        QVERIFY(!contains(f, "s3cret"));
        QVERIFY(h.all<PublishConnection>().back().connection.closeReason.find("guess")
                == std::string::npos);
    }

    void clientWithoutAuthIsRefusedWhenCredentialsAreRequired()
    {
        Harness h(socks::Credentials{"alice", "s3cret"});
        h.client(kNoAuthGreeting);
        QCOMPARE(h.toClient(), "\x05\xff"s);
        QVERIFY(h.clientClosed());
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
    }

    void notSocks5IsRecordedAndClosed()
    {
        Harness h;
        h.client("GET / HTTP/1.1\r\n\r\n");
        QVERIFY(h.toClient().empty());
        QVERIFY(h.clientClosed());
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
    }

    void clientLeavingMidHandshakeIsNoFlow()
    {
        Harness h;
        h.client("\x05\x01"s);
        h.feed(ClientEof{});
        QVERIFY(h.clientClosed());
        QVERIFY(h.flows().empty());
    }

    void unfinishedHandshakeTimesOut()
    {
        Harness h;
        h.client("\x05"s);
        QCOMPARE(h.session->deadline(), kStart + Timeouts{}.requestHead);
        h.now = kStart + Timeouts{}.requestHead;
        h.feed(Tick{});
        QVERIFY(h.clientClosed());
        QVERIFY(h.lastFlow().error.find("not complete within 30 s") != std::string::npos);
    }

    void tlsInsideTheTunnelIsIntercepted();

private:
    static void client(Harness &h, const std::string &bytes)
    {
        h.client(bytes);
        QCOMPARE(h.toClient(), "\x05\x00"s);
    }
    static bool contains(const flow::Flow &f, std::string_view needle)
    {
        for (const std::string *s : {&f.error, &f.closeReason, &f.host, &f.reason})
            if (s->find(needle) != std::string::npos)
                return true;
        return false;
    }
};

// A browser's TLS and an origin's TLS in memory, the SOCKS5 session between them.
void SocksFrontTest::tlsInsideTheTunnelIsIntercepted()
{
    QTemporaryDir dir;
    auto config = std::make_shared<InterceptConfig>();
    auto ca
        = tls::CertificateAuthority::openOrCreate(dir.filePath(QStringLiteral("ca")).toStdString());
    QVERIFY2(ca.ok(), ca.ok() ? "" : ca.error().message.c_str());
    config->ca = std::move(*ca);
    const std::string caFile = config->ca->directory() + "/ca.pem";
    config->toServers = *tls::TlsContext::client({{caFile}, nullptr});
    config->toClients = *tls::TlsContext::server({});
    config->passthrough = std::make_shared<HostPatterns>();
    config->insecure = std::make_shared<HostPatterns>();
    auto clientContext = *tls::TlsContext::client({{caFile}, nullptr});
    auto originContext = *tls::TlsContext::server({});
    auto origin = std::move(*tls::TlsSession::server(
        originContext, {*config->ca->leafFor({"origin.test"}), {"http/1.1"}}, 0));

    Harness h(std::nullopt, config);
    h.request(connectDomain("origin.test", 443));
    const ServerId server = h.server();
    h.feed(ServerConnected{server, "10.0.0.1:443", false, kStart, kStart});
    QCOMPARE(h.toClient(), reply(ReplyCode::Succeeded));

    auto client = std::move(*tls::TlsSession::client(
        clientContext, {"origin.test", "origin.test", {"http/1.1"}, true}, 0));
    std::string clientPlain;
    std::string originPlain;
    const auto carry = [&] {
        for (const Command &c : h.last) {
            if (auto *s = std::get_if<SendToClient>(&c))
                client->receive(s->data, clientPlain, 0);
            else if (auto *toServer = std::get_if<SendToServer>(&c)) {
                QCOMPARE(toServer->id, server);
                origin->receive(toServer->data, originPlain, 0);
            }
        }
    };
    const auto pump = [&] {
        for (int i = 0; i < 50; ++i) {
            bool moved = false;
            if (client->hasCiphertext()) {
                h.client(client->takeCiphertext());
                carry();
                moved = true;
            }
            if (origin->hasCiphertext()) {
                h.feed(ServerData{server, origin->takeCiphertext()});
                carry();
                moved = true;
            }
            if (!moved)
                return;
        }
    };
    pump();
    QVERIFY2(client->handshakeDone(), client->error().c_str());
    QVERIFY(client->details().verified); // our minted leaf, trusted through our CA

    client->send("GET /x HTTP/1.1\r\nHost: origin.test\r\n\r\n");
    pump();
    QCOMPARE(originPlain, "GET /x HTTP/1.1\r\nHost: origin.test\r\n\r\n"s);
    origin->send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    pump();
    QCOMPARE(clientPlain, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"s);

    const flow::Flow *tunnel = nullptr;
    const flow::Flow *exchange = nullptr;
    const std::vector<flow::Flow> flows = h.flows();
    for (const flow::Flow &f : flows) {
        if (f.kind == flow::FlowKind::Tunnel)
            tunnel = &f;
        else
            exchange = &f;
    }
    QVERIFY(tunnel && exchange);
    QVERIFY(tunnel->intercepted);
    QCOMPARE(tunnel->clientProtocol, "SOCKS5"s);
    QCOMPARE(exchange->url(), "https://origin.test/x"s);
    QCOMPARE(exchange->parent, tunnel->id);
    QVERIFY(exchange->intercepted);
    QCOMPARE(exchange->status, 200);

    h.feed(ClientEof{});
    QVERIFY(h.clientClosed());
    QCOMPARE(h.lastFlow().kind, flow::FlowKind::Tunnel);
    QCOMPARE(h.lastFlow().state, flow::FlowState::Complete);
}

QTEST_GUILESS_MAIN(SocksFrontTest)
#include "socks_front_test.moc"
