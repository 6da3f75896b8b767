// Transcript tests for Socks5Client: each row gives a target and what the proxy answers, and
// compares what the client sends, what it concludes and which bytes it leaves for the tunnel.
// Every row is also fed split at every byte position and one byte at a time, with the same
// transcript. At the end, Socks5Client and Socks5Server talk to each other in memory.

#include "core/socks/socks5_client.h"
#include "core/socks/socks5_server.h"
#include "tests/core/socks/wire_text.h"

#include <QObject>
#include <QTest>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace ts;
using namespace ts::socks;
using namespace socks_test;

namespace {

struct Setup
{
    Socks5Client::Target target;
    std::optional<Credentials> credentials;
};

// "host:port" (IPv6 in brackets), and "none" or "user:password".
Setup setupOf(const QString &target, bool sendDomain, const QString &auth)
{
    Setup s;
    const qsizetype colon = target.lastIndexOf(QLatin1Char(':'));
    s.target.host = target.left(colon).toStdString();
    s.target.port = static_cast<std::uint16_t>(target.mid(colon + 1).toUInt());
    s.target.sendDomain = sendDomain;
    if (auth != QLatin1String("none")) {
        const qsizetype c = auth.indexOf(QLatin1Char(':'));
        s.credentials = Credentials{auth.left(c).toStdString(), auth.mid(c + 1).toStdString()};
    }
    return s;
}

QString describe(const Socks5Client::Bound &b)
{
    const bool v6 = b.atyp == AddressType::IPv6;
    return QStringLiteral("established %1 %2%3%4:%5")
        .arg(text(addressTypeText(b.atyp)), v6 ? QStringLiteral("[") : QString(), escaped(b.host),
             v6 ? QStringLiteral("]") : QString())
        .arg(b.port);
}

QStringList run(const Setup &setup, const std::vector<std::string_view> &pieces, bool eof)
{
    Result<Socks5Client> created = Socks5Client::create(setup.target, setup.credentials);
    if (!created)
        return {QStringLiteral("create failed: ") + text(created.error().message)};
    Socks5Client &client = *created;
    QStringList bugs;
    std::string sent;
    std::string left;
    std::size_t consumed = 0;
    bool done = false;
    for (const std::string_view piece : pieces) {
        if (done) {
            left += piece;
            continue;
        }
        const Socks5Client::Output out = client.feed(piece);
        sent += out.toServer;
        consumed += out.consumed;
        if (out.consumed > piece.size())
            bugs << QStringLiteral("BUG consumed more than given");
        if (out.status != client.status())
            bugs << QStringLiteral("BUG output status differs from status()");
        if (out.status == Socks5Client::Status::NeedMore) {
            if (out.consumed != piece.size())
                bugs << QStringLiteral("BUG NeedMore left input unconsumed");
        } else {
            done = true;
            left += piece.substr(out.consumed);
        }
    }
    if (eof) {
        const Socks5Client::Output out = client.feedEof();
        sent += out.toServer;
        if (out.status != client.status())
            bugs << QStringLiteral("BUG feedEof status differs from status()");
    }
    if (client.status() != Socks5Client::Status::NeedMore) {
        const Socks5Client::Output more = client.feed(wire("05 00 00 01 00 00 00 00 00 00"));
        if (more.consumed != 0 || !more.toServer.empty() || more.status != client.status())
            bugs << QStringLiteral("BUG feed after the end did something");
    }

    QStringList out;
    out << QStringLiteral("greeting ") + wireText(client.greeting());
    if (!sent.empty())
        out << QStringLiteral("send ") + wireText(sent);
    switch (client.status()) {
    case Socks5Client::Status::NeedMore:
        out << QStringLiteral("need-more");
        break;
    case Socks5Client::Status::Established:
        out << describe(client.bound());
        break;
    case Socks5Client::Status::Failed:
        out << QStringLiteral("failed %1: %2")
                   .arg(text(client.error().code), escaped(client.error().message));
        if (text(client.error().message).contains(QLatin1String("PW")))
            bugs << QStringLiteral("BUG a password in the message");
        break;
    }
    if (client.replyCode())
        out << QStringLiteral("reply %1").arg(static_cast<int>(*client.replyCode()));
    out << QStringLiteral("method %1").arg(text(authMethodText(client.method())));
    out << QStringLiteral("consumed %1").arg(consumed);
    if (!left.empty())
        out << QStringLiteral("left ") + escaped(left);
    return bugs + out;
}

void checkTranscript(const Setup &setup, const std::string &input, bool eof,
                     const QStringList &expected)
{
    const QStringList whole = run(setup, {input}, eof);
    for (const auto &pieces : splits(input)) {
        const QStringList t = run(setup, pieces, eof);
        if (t != whole) {
            dump(t);
            QFAIL(qPrintable(splitName(pieces) + QStringLiteral(" differs")));
        }
    }
    if (whole != expected)
        dump(whole);
    QCOMPARE(whole, expected);
}

const char *const kOk = "05 00 00 01 00 00 00 00 00 00";

} // namespace

class Socks5ClientTest final : public QObject
{
    Q_OBJECT

private slots:
    void transcripts_data();
    void transcripts();
    void everyReplyCode_data();
    void everyReplyCode();
    void invalidTargets_data();
    void invalidTargets();
    void eofInEveryPhase();
    void longestFields();

    void withServer_data();
    void withServer();
    void withServerFailures_data();
    void withServerFailures();
};

void Socks5ClientTest::transcripts_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<bool>("sendDomain");
    QTest::addColumn<QString>("auth");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("eof");
    QTest::addColumn<QStringList>("expected");

    const auto row = [](const char *name, const char *target, bool sendDomain, const char *auth,
                        const std::string &input, const QStringList &expected, bool eof = false) {
        QTest::newRow(name) << QString::fromLatin1(target) << sendDomain
                            << QString::fromLatin1(auth) << QByteArray::fromStdString(input) << eof
                            << expected;
    };

    // clang-format off
    // --- targets of every address type
    row("socks5h domain", "example.com:443", true, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("socks5 ipv4", "192.0.2.1:80", false, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 01 c0 00 02 01 00 50",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("socks5 ipv6 in brackets", "[2001:db8::1]:8443", false, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 fb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("socks5 ipv6 without brackets", "::ffff:10.1.2.3:22", false, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 04 00 00 00 00 00 00 00 00 00 00 ff ff 0a 01 02 03 00 16",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("socks5h with an ip literal sends the address", "[::1]:443", true, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));

    // --- bound addresses of every type, and the tunnel bytes after the reply
    row("bound ipv4", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 01 c0 00 02 07 10 e1"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 192.0.2.7:4321",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("bound ipv6", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 04 20010db8000000000000000000000007 01 bb"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv6 [2001:db8::7]:443",
        "reply 0",
        "method no authentication",
        "consumed 24",
    }));
    row("bound domain", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 03 0d 'proxy.example' 04 38"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established domain name proxy.example:1080",
        "reply 0",
        "method no authentication",
        "consumed 22",
    }));
    row("bound empty domain", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 03 00 00 00"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established domain name :0",
        "reply 0",
        "method no authentication",
        "consumed 9",
    }));
    row("tunnel bytes after the reply", "example.com:80", true, "none",
        wire("05 00") + wire(kOk) + "HTTP/1.1 200 OK\r\n", lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 00 50",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
        "left HTTP/1.1 200 OK\\x0d\\x0a",
    }));
    row("reserved byte in the reply is ignored", "example.com:80", true, "none",
        wire("05 00 | 05 00 ff 01 7f 00 00 01 00 50"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 00 50",
        "established IPv4 127.0.0.1:80",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));

    // --- username/password (RFC 1929)
    row("auth success", "example.com:443", true, "alice:s3cretPW",
        wire("05 02 | 01 00") + wire(kOk) + "data", lines({
        "greeting 05 02 00 02",
        "send 01 05 'alice' 08 's3cretPW' 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method username/password",
        "consumed 14",
        "left data",
    }));
    row("auth status with version 5 is accepted", "example.com:443", true, "alice:s3cretPW",
        wire("05 02 | 05 00") + wire(kOk), lines({
        "greeting 05 02 00 02",
        "send 01 05 'alice' 08 's3cretPW' 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method username/password",
        "consumed 14",
    }));
    row("credentials offered, proxy needs none", "example.com:443", true, "alice:s3cretPW",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 02 00 02",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("auth refused", "example.com:443", true, "alice:s3cretPW",
        wire("05 02 | 01 01"), lines({
        "greeting 05 02 00 02",
        "send 01 05 'alice' 08 's3cretPW'",
        "failed socks.auth-refused: SOCKS5 proxy refused the username/password for user 'alice'",
        "method username/password",
        "consumed 4",
    }));
    row("auth refused with status 0xff", "example.com:443", true, "bob:PW",
        wire("05 02 | 01 ff 05 00"), lines({
        "greeting 05 02 00 02",
        "send 01 03 'bob' 02 50 57",
        "failed socks.auth-refused: SOCKS5 proxy refused the username/password for user 'bob'",
        "method username/password",
        "consumed 4",
        "left \\x05\\x00",
    }));
    row("empty username and password", "example.com:443", true, ":",
        wire("05 02 | 01 00") + wire(kOk), lines({
        "greeting 05 02 00 02",
        "send 01 00 00 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method username/password",
        "consumed 14",
    }));

    // --- method selection failures
    row("no acceptable method, no credentials", "example.com:443", true, "none",
        wire("05 ff"), lines({
        "greeting 05 01 00",
        "failed socks.no-acceptable-method: SOCKS5 proxy accepts none of the offered authentication methods (no authentication); it probably needs a username and password",
        "method no acceptable methods",
        "consumed 2",
    }));
    row("no acceptable method, with credentials", "example.com:443", true, "alice:s3cretPW",
        wire("05 ff"), lines({
        "greeting 05 02 00 02",
        "failed socks.no-acceptable-method: SOCKS5 proxy accepts none of the offered authentication methods (no authentication, username/password)",
        "method no acceptable methods",
        "consumed 2",
    }));
    row("username/password chosen without credentials", "example.com:443", true, "none",
        wire("05 02 | 01 00"), lines({
        "greeting 05 01 00",
        "failed socks.auth-required: SOCKS5 proxy asks for a username and password; none are configured",
        "method username/password",
        "consumed 2",
        "left \\x01\\x00",
    }));
    row("gssapi chosen", "example.com:443", true, "none",
        wire("05 01"), lines({
        "greeting 05 01 00",
        "failed socks.protocol: SOCKS5 proxy chose authentication method 0x01, which was not offered",
        "method GSSAPI",
        "consumed 2",
    }));
    row("private method chosen", "example.com:443", true, "alice:s3cretPW",
        wire("05 80"), lines({
        "greeting 05 02 00 02",
        "failed socks.protocol: SOCKS5 proxy chose authentication method 0x80, which was not offered",
        "method unknown method",
        "consumed 2",
    }));

    // --- not a SOCKS5 proxy
    row("http server", "example.com:443", true, "none",
        "HTTP/1.1 400 Bad Request\r\n", lines({
        "greeting 05 01 00",
        "failed socks.protocol: SOCKS5 proxy answered the greeting with version 0x48, not 0x05 (it looks like an HTTP server)",
        "method no acceptable methods",
        "consumed 1",
        "left TTP/1.1 400 Bad Request\\x0d\\x0a",
    }));
    row("tls server", "example.com:443", true, "none",
        wire("15 03 03 00 02 02 46"), lines({
        "greeting 05 01 00",
        "failed socks.protocol: SOCKS5 proxy answered the greeting with version 0x15, not 0x05 (it looks like a TLS server)",
        "method no acceptable methods",
        "consumed 1",
        "left \\x03\\x03\\x00\\x02\\x02F",
    }));
    row("socks4 server", "example.com:443", true, "none",
        wire("00 5b 00 00 00 00 00 00"), lines({
        "greeting 05 01 00",
        "failed socks.protocol: SOCKS5 proxy answered the greeting with version 0x00, not 0x05 (a SOCKS4 server?)",
        "method no acceptable methods",
        "consumed 1",
        "left [\\x00\\x00\\x00\\x00\\x00\\x00",
    }));
    row("reply version 4", "example.com:443", true, "none",
        wire("05 00 | 04 00 00 01 00 00 00 00 00 00"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "failed socks.protocol: SOCKS5 proxy replied with version 0x04, not 0x05",
        "method no authentication",
        "consumed 3",
        "left \\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00",
    }));
    row("reply with address type 2", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 02 00 00 00 00 00 00"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "failed socks.protocol: SOCKS5 proxy replied with an unknown address type 0x02",
        "reply 0",
        "method no authentication",
        "consumed 6",
        "left \\x00\\x00\\x00\\x00\\x00\\x00",
    }));

    // --- incomplete input and EOF
    row("nothing yet", "example.com:443", true, "none", "", lines({
        "greeting 05 01 00",
        "need-more",
        "method no acceptable methods",
        "consumed 0",
    }));
    row("half a bound domain", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 03 0d 'proxy'"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "need-more",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }));
    row("half a reply, then eof", "example.com:443", true, "none",
        wire("05 00 | 05 00 00 04 20 01"), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "failed socks.closed: SOCKS5 proxy closed the connection before replying to the CONNECT request",
        "reply 0",
        "method no authentication",
        "consumed 8",
    }), true);
    row("eof after established changes nothing", "example.com:443", true, "none",
        wire("05 00") + wire(kOk), lines({
        "greeting 05 01 00",
        "send 05 01 00 03 0b 'example.com' 01 bb",
        "established IPv4 0.0.0.0:0",
        "reply 0",
        "method no authentication",
        "consumed 12",
    }), true);
    // clang-format on
}

void Socks5ClientTest::transcripts()
{
    QFETCH(QString, target);
    QFETCH(bool, sendDomain);
    QFETCH(QString, auth);
    QFETCH(QByteArray, input);
    QFETCH(bool, eof);
    QFETCH(QStringList, expected);
    checkTranscript(setupOf(target, sendDomain, auth), input.toStdString(), eof, expected);
}

void Socks5ClientTest::everyReplyCode_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("1") << 1 << QStringLiteral("general SOCKS server failure (1)");
    QTest::newRow("2") << 2 << QStringLiteral("connection not allowed by ruleset (2)");
    QTest::newRow("3") << 3 << QStringLiteral("network unreachable (3)");
    QTest::newRow("4") << 4 << QStringLiteral("host unreachable (4)");
    QTest::newRow("5") << 5 << QStringLiteral("connection refused (5)");
    QTest::newRow("6") << 6 << QStringLiteral("TTL expired (6)");
    QTest::newRow("7") << 7 << QStringLiteral("command not supported (7)");
    QTest::newRow("8") << 8 << QStringLiteral("address type not supported (8)");
    QTest::newRow("9") << 9 << QStringLiteral("unassigned reply code (9)");
    QTest::newRow("255") << 255 << QStringLiteral("unassigned reply code (255)");
}

// A failure reply is decided on its REP byte; the rest of it (the bound address) is left.
void Socks5ClientTest::everyReplyCode()
{
    QFETCH(int, code);
    QFETCH(QString, message);
    const std::string input
        = wire("05 00 05") + static_cast<char>(code) + wire("00 01 00 00 00 00 00 00");
    checkTranscript(setupOf(QStringLiteral("example.com:443"), true, QStringLiteral("none")), input,
                    false,
                    {
                        QStringLiteral("greeting 05 01 00"),
                        QStringLiteral("send 05 01 00 03 0b 'example.com' 01 bb"),
                        QStringLiteral("failed socks.reply: SOCKS5 proxy answered: ") + message,
                        QStringLiteral("reply %1").arg(code),
                        QStringLiteral("method no authentication"),
                        QStringLiteral("consumed 4"),
                        QStringLiteral("left \\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"),
                    });
}

void Socks5ClientTest::invalidTargets_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("sendDomain");
    QTest::addColumn<QByteArray>("username");
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QString>("message");

    // clang-format off
    QTest::newRow("domain without socks5h") << QByteArray("example.com") << false
        << QByteArray() << QByteArray()
        << QStringLiteral("'example.com' is not an IP address: without remote name resolution "
                          "(socks5, not socks5h) the target must be resolved first");
    QTest::newRow("ipv4 with a leading zero is not an ip") << QByteArray("010.0.0.1") << false
        << QByteArray() << QByteArray()
        << QStringLiteral("'010.0.0.1' is not an IP address: without remote name resolution "
                          "(socks5, not socks5h) the target must be resolved first");
    QTest::newRow("ipv6 with a zone") << QByteArray("fe80::1%eth0") << false
        << QByteArray() << QByteArray()
        << QStringLiteral("'fe80::1%eth0' is not an IP address: without remote name resolution "
                          "(socks5, not socks5h) the target must be resolved first");
    QTest::newRow("empty domain") << QByteArray() << true << QByteArray() << QByteArray()
        << QStringLiteral("a SOCKS5 domain name must be 1 to 255 bytes long, not 0");
    QTest::newRow("256-byte domain") << QByteArray(256, 'a') << true
        << QByteArray() << QByteArray()
        << QStringLiteral("a SOCKS5 domain name must be 1 to 255 bytes long, not 256");
    QTest::newRow("256-byte username") << QByteArray("example.com") << true
        << QByteArray(256, 'u') << QByteArray("PW")
        << QStringLiteral("a SOCKS5 username must be at most 255 bytes long");
    QTest::newRow("256-byte password") << QByteArray("example.com") << true
        << QByteArray("u") << QByteArray(256, 'p')
        << QStringLiteral("a SOCKS5 password must be at most 255 bytes long");
    // clang-format on
}

void Socks5ClientTest::invalidTargets()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, sendDomain);
    QFETCH(QByteArray, username);
    QFETCH(QByteArray, password);
    QFETCH(QString, message);
    std::optional<Credentials> credentials;
    if (!username.isEmpty())
        credentials = Credentials{username.toStdString(), password.toStdString()};
    const Result<Socks5Client> r
        = Socks5Client::create({host.toStdString(), 443, sendDomain}, credentials);
    QVERIFY(!r.ok());
    QCOMPARE(text(r.error().code), QStringLiteral("socks.invalid-target"));
    QCOMPARE(text(r.error().message), message);
}

void Socks5ClientTest::eofInEveryPhase()
{
    const auto closedAfter = [](const std::string &input) {
        Result<Socks5Client> c
            = Socks5Client::create({"example.com", 443, true}, Credentials{"alice", "s3cretPW"});
        c->feed(input);
        const Socks5Client::Output out = c->feedEof();
        return out.status == Socks5Client::Status::Failed && c->error().code == "socks.closed"
                   ? text(c->error().message)
                   : QStringLiteral("not failed");
    };
    QCOMPARE(closedAfter(""),
             QStringLiteral("SOCKS5 proxy closed the connection before answering the greeting"));
    QCOMPARE(closedAfter(wire("05")),
             QStringLiteral("SOCKS5 proxy closed the connection before answering the greeting"));
    QCOMPARE(closedAfter(wire("05 02 01")),
             QStringLiteral("SOCKS5 proxy closed the connection before answering the "
                            "username/password authentication"));
    QCOMPARE(closedAfter(wire("05 02 01 00 05 00 00 01")),
             QStringLiteral("SOCKS5 proxy closed the connection before replying to the CONNECT "
                            "request"));
}

void Socks5ClientTest::longestFields()
{
    const std::string name(255, 'n');
    const std::string user(255, 'u');
    const std::string password(255, 'p');
    Result<Socks5Client> c = Socks5Client::create({name, 1, true}, Credentials{user, password});
    QVERIFY(c.ok());
    QCOMPARE(c->greeting(), wire("05 02 00 02"));
    const Socks5Client::Output auth = c->feed(wire("05 02"));
    QCOMPARE(auth.toServer, wire("01 ff") + user + wire("ff") + password);
    const Socks5Client::Output request = c->feed(wire("01 00"));
    QCOMPARE(request.toServer, wire("05 01 00 03 ff") + name + wire("00 01"));
}

// --- Socks5Client and Socks5Server in memory: each side's output is the other's input, each
// delivered in pieces of `chunk` bytes, until neither has anything more to say.

namespace {

struct Exchange
{
    Socks5Client::Status clientStatus = Socks5Client::Status::NeedMore;
    Socks5Server::Status serverStatus = Socks5Server::Status::NeedMore;
    std::optional<Socks5Server::Request> request;
    std::optional<Socks5Client::Bound> bound;
    std::string clientError;
    std::string serverError;
    std::string clientLeft; // tunnel bytes the client was left with
    std::string serverLeft; // tunnel bytes the server was left with
};

Exchange converse(Socks5Client &client, Socks5Server &server, std::size_t chunk,
                  const std::string &earlyFromClient, ReplyCode outcome,
                  const std::string &earlyFromServer)
{
    Exchange e;
    std::string toServer = client.greeting();
    std::string toClient;
    bool requestAnswered = false;
    for (int round = 0; round < 1000; ++round) {
        bool progress = false;
        if (!toServer.empty() && server.status() == Socks5Server::Status::NeedMore) {
            const std::string piece = toServer.substr(0, chunk);
            const Socks5Server::Output out = server.feed(piece);
            toServer.erase(0, out.consumed);
            toClient += out.toClient;
            progress = out.consumed > 0 || !out.toClient.empty();
        }
        if (server.status() == Socks5Server::Status::Request && !requestAnswered) {
            requestAnswered = true;
            toClient += Socks5Server::reply(outcome, "192.0.2.7", 4321);
            if (outcome == ReplyCode::Succeeded)
                toClient += earlyFromServer;
            progress = true;
        }
        if (!toClient.empty() && client.status() == Socks5Client::Status::NeedMore) {
            const std::string piece = toClient.substr(0, chunk);
            const Socks5Client::Output out = client.feed(piece);
            toClient.erase(0, out.consumed);
            toServer += out.toServer;
            if (out.status == Socks5Client::Status::Established)
                toServer += earlyFromClient; // the client's tunnel starts
            progress = progress || out.consumed > 0 || !out.toServer.empty();
        }
        if (!progress)
            break;
    }
    e.clientStatus = client.status();
    e.serverStatus = server.status();
    if (server.status() == Socks5Server::Status::Request)
        e.request = server.request();
    if (client.status() == Socks5Client::Status::Established)
        e.bound = client.bound();
    e.clientError = client.error().message;
    e.serverError = server.error().message;
    e.clientLeft = toClient;
    e.serverLeft = toServer;
    return e;
}

} // namespace

void Socks5ClientTest::withServer_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("sendDomain");
    QTest::addColumn<bool>("credentials");
    QTest::addColumn<int>("atyp");
    QTest::addColumn<QString>("expectedHost");

    QTest::newRow("domain") << QStringLiteral("example.com") << true << false << 3
                            << QStringLiteral("example.com");
    QTest::newRow("domain, auth") << QStringLiteral("example.com") << true << true << 3
                                  << QStringLiteral("example.com");
    QTest::newRow("ipv4") << QStringLiteral("198.51.100.9") << false << false << 1
                          << QStringLiteral("198.51.100.9");
    QTest::newRow("ipv4, auth") << QStringLiteral("198.51.100.9") << false << true << 1
                                << QStringLiteral("198.51.100.9");
    QTest::newRow("ipv6") << QStringLiteral("[2001:DB8:0:0:0:0:0:1]") << false << false << 4
                          << QStringLiteral("2001:db8::1");
    QTest::newRow("ipv6, auth") << QStringLiteral("::ffff:192.0.2.1") << true << true << 4
                                << QStringLiteral("::ffff:192.0.2.1");
}

void Socks5ClientTest::withServer()
{
    QFETCH(QString, host);
    QFETCH(bool, sendDomain);
    QFETCH(bool, credentials);
    QFETCH(int, atyp);
    QFETCH(QString, expectedHost);

    const std::optional<Credentials> creds
        = credentials ? std::optional(Credentials{"alice", "s3cretPW"}) : std::nullopt;
    for (std::size_t chunk :
         {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(7), std::size_t(1000)}) {
        Result<Socks5Client> client
            = Socks5Client::create({host.toStdString(), 8443, sendDomain}, creds);
        QVERIFY(client.ok());
        Socks5Server server(creds);
        const Exchange e = converse(*client, server, chunk, "client hello", ReplyCode::Succeeded,
                                    "server hello");
        QCOMPARE(e.serverStatus, Socks5Server::Status::Request);
        QCOMPARE(e.clientStatus, Socks5Client::Status::Established);
        QVERIFY(e.request);
        QCOMPARE(e.request->cmd, Command::Connect);
        QCOMPARE(static_cast<int>(e.request->atyp), atyp);
        QCOMPARE(text(e.request->host), expectedHost);
        QCOMPARE(e.request->port, std::uint16_t(8443));
        QCOMPARE(server.method(),
                 credentials ? AuthMethod::UsernamePassword : AuthMethod::NoAuthentication);
        QCOMPARE(text(server.username()), credentials ? QStringLiteral("alice") : QString());
        QVERIFY(e.bound);
        QCOMPARE(*e.bound, (Socks5Client::Bound{AddressType::IPv4, "192.0.2.7", 4321}));
        // Early tunnel bytes come out on the other side untouched.
        QCOMPARE(e.clientLeft, std::string("server hello"));
        QCOMPARE(e.serverLeft, std::string("client hello"));
    }
}

void Socks5ClientTest::withServerFailures_data()
{
    QTest::addColumn<QString>("clientAuth");
    QTest::addColumn<QString>("serverAuth");
    QTest::addColumn<int>("outcome");
    QTest::addColumn<QString>("clientError");
    QTest::addColumn<QString>("serverError");

    // clang-format off
    QTest::newRow("wrong password") << QStringLiteral("alice:guessPW") << QStringLiteral("alice:s3cretPW") << 0
        << QStringLiteral("SOCKS5 proxy refused the username/password for user 'alice'")
        << QStringLiteral("wrong username or password for user 'alice'");
    QTest::newRow("no credentials for a proxy that needs them") << QString() << QStringLiteral("alice:s3cretPW") << 0
        << QStringLiteral("SOCKS5 proxy accepts none of the offered authentication methods (no authentication); it probably needs a username and password")
        << QStringLiteral("the client did not offer username/password authentication, which this proxy requires (offered: no authentication)");
    QTest::newRow("connection refused") << QString() << QString() << 5
        << QStringLiteral("SOCKS5 proxy answered: connection refused (5)") << QString();
    QTest::newRow("host unreachable, with auth") << QStringLiteral("alice:s3cretPW") << QStringLiteral("alice:s3cretPW") << 4
        << QStringLiteral("SOCKS5 proxy answered: host unreachable (4)") << QString();
    // clang-format on
}

void Socks5ClientTest::withServerFailures()
{
    QFETCH(QString, clientAuth);
    QFETCH(QString, serverAuth);
    QFETCH(int, outcome);
    QFETCH(QString, clientError);
    QFETCH(QString, serverError);

    const auto credentialsOf = [](const QString &s) -> std::optional<Credentials> {
        if (s.isEmpty())
            return std::nullopt;
        const qsizetype c = s.indexOf(QLatin1Char(':'));
        return Credentials{s.left(c).toStdString(), s.mid(c + 1).toStdString()};
    };
    for (std::size_t chunk : {std::size_t(1), std::size_t(5), std::size_t(1000)}) {
        Result<Socks5Client> client
            = Socks5Client::create({"example.com", 443, true}, credentialsOf(clientAuth));
        Socks5Server server(credentialsOf(serverAuth));
        const Exchange e
            = converse(*client, server, chunk, "x", static_cast<ReplyCode>(outcome), "y");
        QCOMPARE(e.clientStatus, Socks5Client::Status::Failed);
        QCOMPARE(text(e.clientError), clientError);
        if (serverError.isEmpty()) {
            QCOMPARE(e.serverStatus, Socks5Server::Status::Request);
            QCOMPARE(client->replyCode(), std::optional(static_cast<ReplyCode>(outcome)));
        } else {
            QCOMPARE(e.serverStatus, Socks5Server::Status::Failed);
            QCOMPARE(text(e.serverError), serverError);
        }
    }
}

QTEST_APPLESS_MAIN(Socks5ClientTest)
#include "socks5_client_test.moc"
