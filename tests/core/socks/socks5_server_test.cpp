// Transcript tests for Socks5Server: each row feeds a client's bytes and compares what the
// server sends, what it concludes and which bytes it leaves for the tunnel, one line each. Every
// row is also fed split at every byte position and one byte at a time, with the same transcript.
// No message may contain a password: all passwords in these rows contain "PW", nothing else does.

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
    std::optional<Credentials> credentials;
    AcceptedCommands accepted;
};

// "none" or "user:password"; commands as "connect,bind,udp".
Setup setupOf(const QString &auth, const QString &commands)
{
    Setup s;
    if (auth != QLatin1String("none")) {
        const qsizetype colon = auth.indexOf(QLatin1Char(':'));
        s.credentials
            = Credentials{auth.left(colon).toStdString(), auth.mid(colon + 1).toStdString()};
    }
    const QStringList list = commands.split(QLatin1Char(','), Qt::SkipEmptyParts);
    s.accepted.connect = list.contains(QLatin1String("connect"));
    s.accepted.bind = list.contains(QLatin1String("bind"));
    s.accepted.udpAssociate = list.contains(QLatin1String("udp"));
    return s;
}

QString describe(const Socks5Server::Request &r)
{
    const bool v6 = r.atyp == AddressType::IPv6;
    return QStringLiteral("request %1 %2 %3%4%5:%6")
        .arg(text(commandText(r.cmd)), text(addressTypeText(r.atyp)),
             v6 ? QStringLiteral("[") : QString(), escaped(r.host),
             v6 ? QStringLiteral("]") : QString())
        .arg(r.port);
}

// Feeds the pieces as a connection would and returns the normalised transcript: what was sent
// (all outputs concatenated), the outcome, and the bytes left for the tunnel. Contract
// violations show up as "BUG" lines.
QStringList run(const Setup &setup, const std::vector<std::string_view> &pieces, bool eof)
{
    Socks5Server server(setup.credentials, setup.accepted);
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
        const Socks5Server::Output out = server.feed(piece);
        sent += out.toClient;
        consumed += out.consumed;
        if (out.consumed > piece.size())
            bugs << QStringLiteral("BUG consumed more than given");
        if (out.status != server.status())
            bugs << QStringLiteral("BUG output status differs from status()");
        if (out.status == Socks5Server::Status::NeedMore) {
            if (out.consumed != piece.size())
                bugs << QStringLiteral("BUG NeedMore left input unconsumed");
        } else {
            done = true;
            left += piece.substr(out.consumed);
        }
    }
    if (eof) {
        const Socks5Server::Output out = server.feedEof();
        sent += out.toClient;
        if (out.status != server.status())
            bugs << QStringLiteral("BUG feedEof status differs from status()");
    }
    if (server.status() != Socks5Server::Status::NeedMore) {
        // Dead or finished: more input changes nothing.
        const Socks5Server::Output more = server.feed(wire("05 01 00"));
        if (more.consumed != 0 || !more.toClient.empty() || more.status != server.status())
            bugs << QStringLiteral("BUG feed after the end did something");
    }

    QStringList out;
    if (!sent.empty())
        out << QStringLiteral("send ") + wireText(sent);
    switch (server.status()) {
    case Socks5Server::Status::NeedMore:
        out << QStringLiteral("need-more");
        break;
    case Socks5Server::Status::Request:
        out << describe(server.request());
        out << QStringLiteral("method %1").arg(text(authMethodText(server.method())));
        if (server.method() == AuthMethod::UsernamePassword)
            out << QStringLiteral("user '%1'").arg(escaped(server.username()));
        break;
    case Socks5Server::Status::Failed:
        out << QStringLiteral("failed %1: %2")
                   .arg(text(server.error().code), escaped(server.error().message));
        if (text(server.error().message).contains(QLatin1String("PW")))
            bugs << QStringLiteral("BUG a password in the message");
        break;
    }
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

const char *const kNoAuth = "05 01 00";
const char *const kAuth = "05 01 02";
// alice / s3cretPW
const char *const kAliceOk = "01 05 'alice' 08 's3cretPW'";

std::string domainOfLength(std::size_t n)
{
    std::string name;
    while (name.size() < n)
        name += (name.size() % 64 == 63) ? '.' : static_cast<char>('a' + name.size() % 26);
    return name;
}

} // namespace

class Socks5ServerTest final : public QObject
{
    Q_OBJECT

private slots:
    void transcripts_data();
    void transcripts();
    void replies_data();
    void replies();
    void replyFallsBackToZeroAddress();
    void replyTexts();
    void eofInEveryPhase_data();
    void eofInEveryPhase();
    void longestDomain();
    void pipelinedHandshakeInOneSegment();
};

void Socks5ServerTest::transcripts_data()
{
    QTest::addColumn<QString>("auth");
    QTest::addColumn<QString>("commands");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("eof");
    QTest::addColumn<QStringList>("expected");

    const auto row = [](const char *name, const char *auth, const char *commands,
                        const std::string &input, const QStringList &expected, bool eof = false) {
        QTest::newRow(name) << QString::fromLatin1(auth) << QString::fromLatin1(commands)
                            << QByteArray::fromStdString(input) << eof << expected;
    };
    const std::string noAuth = wire(kNoAuth);

    // clang-format off
    // --- every address type
    row("connect ipv4", "none", "connect",
        noAuth + wire("05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 13",
    }));
    row("connect domain", "none", "connect",
        noAuth + wire("05 01 00 03 0b 'example.com' 00 50"), lines({
        "send 05 00",
        "request CONNECT domain name example.com:80",
        "method no authentication",
        "consumed 21",
    }));
    row("connect ipv6", "none", "connect",
        noAuth + wire("05 01 00 04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 fb"), lines({
        "send 05 00",
        "request CONNECT IPv6 [2001:db8::1]:8443",
        "method no authentication",
        "consumed 25",
    }));
    row("connect ipv6 loopback", "none", "connect",
        noAuth + wire("05 01 00 04 00000000000000000000000000000001 ffff"), lines({
        "send 05 00",
        "request CONNECT IPv6 [::1]:65535",
        "method no authentication",
        "consumed 25",
    }));
    row("connect ipv6 mapped ipv4", "none", "connect",
        noAuth + wire("05 01 00 04 00000000000000000000ffff7f000001 0001"), lines({
        "send 05 00",
        "request CONNECT IPv6 [::ffff:127.0.0.1]:1",
        "method no authentication",
        "consumed 25",
    }));
    row("connect ipv6 two zero runs", "none", "connect",
        noAuth + wire("05 01 00 04 20010db8 0000 0000 0001 0000 0000 0000 0016"), lines({
        "send 05 00",
        "request CONNECT IPv6 [2001:db8:0:0:1::]:22",
        "method no authentication",
        "consumed 25",
    }));
    row("connect port 0", "none", "connect",
        noAuth + wire("05 01 00 01 0a 00 00 01 00 00"), lines({
        "send 05 00",
        "request CONNECT IPv4 10.0.0.1:0",
        "method no authentication",
        "consumed 13",
    }));
    row("domain that looks like an ip stays a domain", "none", "connect",
        noAuth + wire("05 01 00 03 09 '127.0.0.1' 01 bb"), lines({
        "send 05 00",
        "request CONNECT domain name 127.0.0.1:443",
        "method no authentication",
        "consumed 19",
    }));
    row("domain with bytes above 0x7f", "none", "connect",
        noAuth + wire("05 01 00 03 07 'b' c3 bc 'cher' 01 bb"), lines({
        "send 05 00",
        "request CONNECT domain name b\\xc3\\xbccher:443",
        "method no authentication",
        "consumed 17",
    }));

    // --- early tunnel bytes after the request are the caller's
    row("tunnel bytes after the request", "none", "connect",
        noAuth + wire("05 01 00 03 0b 'example.com' 01 bb") + "GET / HTTP/1.1\r\n", lines({
        "send 05 00",
        "request CONNECT domain name example.com:443",
        "method no authentication",
        "consumed 21",
        "left GET / HTTP/1.1\\x0d\\x0a",
    }));
    row("tls bytes after the request", "none", "connect",
        noAuth + wire("05 01 00 01 c0 00 02 01 01 bb | 16 03 01 00 05 01 00 00 01 00"), lines({
        "send 05 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 13",
        "left \\x16\\x03\\x01\\x00\\x05\\x01\\x00\\x00\\x01\\x00",
    }));
    row("a second request is tunnel bytes", "none", "connect",
        noAuth + wire("05 01 00 01 c0 00 02 01 01 bb 05 01 00 01 c0 00 02 02 01 bb"), lines({
        "send 05 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 13",
        "left \\x05\\x01\\x00\\x01\\xc0\\x00\\x02\\x02\\x01\\xbb",
    }));

    // --- method selection
    row("several methods, no authentication chosen", "none", "connect",
        wire("05 03 02 01 00 | 05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 15",
    }));
    row("only username/password offered, no credentials configured: any pass", "none", "connect",
        wire("05 01 02 | 01 03 'bob' 07 'anyPWxx' | 05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 02 01 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method username/password",
        "user 'bob'",
        "consumed 26",
    }));
    row("empty username and password accepted without credentials", "none", "connect",
        wire("05 01 02 | 01 00 00 | 05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 02 01 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method username/password",
        "user ''",
        "consumed 16",
    }));
    row("no methods", "none", "connect",
        wire("05 00 | 05 01 00"), lines({
        "send 05 ff",
        "failed socks.no-acceptable-method: the client offered no authentication method this proxy supports (offered: none)",
        "consumed 2",
        "left \\x05\\x01\\x00",
    }));
    row("only gssapi and private methods", "none", "connect",
        wire("05 04 01 80 fe 01"), lines({
        "send 05 ff",
        "failed socks.no-acceptable-method: the client offered no authentication method this proxy supports (offered: GSSAPI, 0x80, 0xfe)",
        "consumed 6",
    }));
    row("255 methods, none acceptable", "none", "connect",
        wire("05 ff") + std::string(255, '\x03'), lines({
        "send 05 ff",
        "failed socks.no-acceptable-method: the client offered no authentication method this proxy supports (offered: 0x03)",
        "consumed 257",
    }));
    row("more than eight distinct methods are cut short", "none", "connect",
        wire("05 0a 03 04 05 06 07 08 09 0a 0b 0c"), lines({
        "send 05 ff",
        "failed socks.no-acceptable-method: the client offered no authentication method this proxy supports (offered: 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, ...)",
        "consumed 12",
    }));

    // --- username/password (RFC 1929)
    row("auth success", "alice:s3cretPW", "connect",
        wire(kAuth) + wire(kAliceOk) + wire("05 01 00 03 0b 'example.com' 01 bb"), lines({
        "send 05 02 01 00",
        "request CONNECT domain name example.com:443",
        "method username/password",
        "user 'alice'",
        "consumed 37",
    }));
    row("auth success, both methods offered", "alice:s3cretPW", "connect",
        wire("05 02 00 02") + wire(kAliceOk) + wire("05 01 00 01 c0 00 02 01 01 bb") + "hi", lines({
        "send 05 02 01 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method username/password",
        "user 'alice'",
        "consumed 30",
        "left hi",
    }));
    row("auth wrong password", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("01 05 'alice' 08 'guessPW1' | 05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 02 01 01",
        "failed socks.auth-failed: wrong username or password for user 'alice'",
        "consumed 19",
        "left \\x05\\x01\\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("auth wrong user", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("01 03 'eve' 08 's3cretPW'"), lines({
        "send 05 02 01 01",
        "failed socks.auth-failed: wrong username or password for user 'eve'",
        "consumed 17",
    }));
    row("auth password is a prefix", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("01 05 'alice' 07 's3cretP'"), lines({
        "send 05 02 01 01",
        "failed socks.auth-failed: wrong username or password for user 'alice'",
        "consumed 18",
    }));
    row("auth password is longer", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("01 05 'alice' 09 's3cretPWx'"), lines({
        "send 05 02 01 01",
        "failed socks.auth-failed: wrong username or password for user 'alice'",
        "consumed 20",
    }));
    row("auth username quoted safely", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("01 05 'a' 27 0a 00 'z' 02 'PW'"), lines({
        "send 05 02 01 01",
        "failed socks.auth-failed: wrong username or password for user 'a\\x27\\x0a\\x00z'",
        "consumed 13",
    }));
    row("auth required, client offers none", "alice:s3cretPW", "connect",
        wire(kNoAuth), lines({
        "send 05 ff",
        "failed socks.no-acceptable-method: the client did not offer username/password authentication, which this proxy requires (offered: no authentication)",
        "consumed 3",
    }));
    row("auth sub-negotiation version 5", "alice:s3cretPW", "connect",
        wire(kAuth) + wire("05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 02",
        "failed socks.auth-version: SOCKS5 username/password authentication version 0x05 is not supported (expected 0x01)",
        "consumed 4",
        "left \\x01\\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));

    // --- versions
    row("socks4", "none", "connect",
        wire("04 01 00 50 7f 00 00 01 00"), lines({
        "failed socks.version: SOCKS version 4 is not supported",
        "consumed 1",
        "left \\x01\\x00P\\x7f\\x00\\x00\\x01\\x00",
    }));
    row("http", "none", "connect",
        "GET / HTTP/1.1\r\n", lines({
        "failed socks.version: not a SOCKS5 greeting: the first byte is 0x47, not 0x05",
        "consumed 1",
        "left ET / HTTP/1.1\\x0d\\x0a",
    }));
    row("request version 4", "none", "connect",
        noAuth + wire("04 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00",
        "failed socks.version: SOCKS5 request with version 0x04, not 0x05",
        "consumed 4",
        "left \\x01\\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));

    // --- commands
    row("bind not accepted", "none", "connect",
        noAuth + wire("05 02 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00 05 07 00 01 00 00 00 00 00 00",
        "failed socks.command-not-supported: SOCKS5 BIND is not supported",
        "consumed 5",
        "left \\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("udp associate not accepted", "none", "connect",
        noAuth + wire("05 03 00 01 00 00 00 00 00 00"), lines({
        "send 05 00 05 07 00 01 00 00 00 00 00 00",
        "failed socks.command-not-supported: SOCKS5 UDP ASSOCIATE is not supported",
        "consumed 5",
        "left \\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00",
    }));
    row("unknown command", "none", "connect,bind,udp",
        noAuth + wire("05 09 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00 05 07 00 01 00 00 00 00 00 00",
        "failed socks.command-not-supported: SOCKS5 command 0x09 is not supported",
        "consumed 5",
        "left \\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("command 0", "none", "connect",
        noAuth + wire("05 00"), lines({
        "send 05 00 05 07 00 01 00 00 00 00 00 00",
        "failed socks.command-not-supported: SOCKS5 command 0x00 is not supported",
        "consumed 5",
    }));
    row("connect not accepted", "none", "udp",
        noAuth + wire("05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00 05 07 00 01 00 00 00 00 00 00",
        "failed socks.command-not-supported: SOCKS5 CONNECT is not supported",
        "consumed 5",
        "left \\x00\\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("bind accepted", "none", "connect,bind",
        noAuth + wire("05 02 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00",
        "request BIND IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 13",
    }));
    row("udp associate accepted", "none", "connect,udp",
        noAuth + wire("05 03 00 01 00 00 00 00 00 00"), lines({
        "send 05 00",
        "request UDP ASSOCIATE IPv4 0.0.0.0:0",
        "method no authentication",
        "consumed 13",
    }));

    // --- malformed requests
    row("reserved byte not zero", "none", "connect",
        noAuth + wire("05 01 01 01 c0 00 02 01 01 bb"), lines({
        "send 05 00 05 01 00 01 00 00 00 00 00 00",
        "failed socks.bad-request: SOCKS5 request with a non-zero reserved byte (0x01)",
        "consumed 6",
        "left \\x01\\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("address type 2", "none", "connect",
        noAuth + wire("05 01 00 02 c0 00 02 01 01 bb"), lines({
        "send 05 00 05 08 00 01 00 00 00 00 00 00",
        "failed socks.address-type-not-supported: SOCKS5 address type 0x02 is not supported",
        "consumed 7",
        "left \\xc0\\x00\\x02\\x01\\x01\\xbb",
    }));
    row("address type 0", "none", "connect",
        noAuth + wire("05 01 00 00"), lines({
        "send 05 00 05 08 00 01 00 00 00 00 00 00",
        "failed socks.address-type-not-supported: SOCKS5 address type 0x00 is not supported",
        "consumed 7",
    }));
    row("address type 0xff", "none", "connect",
        noAuth + wire("05 01 00 ff 00 00"), lines({
        "send 05 00 05 08 00 01 00 00 00 00 00 00",
        "failed socks.address-type-not-supported: SOCKS5 address type 0xff is not supported",
        "consumed 7",
        "left \\x00\\x00",
    }));
    row("empty domain", "none", "connect",
        noAuth + wire("05 01 00 03 00 01 bb"), lines({
        "send 05 00 05 01 00 01 00 00 00 00 00 00",
        "failed socks.bad-request: SOCKS5 request with an empty domain name",
        "consumed 8",
        "left \\x01\\xbb",
    }));
    row("space in domain", "none", "connect",
        noAuth + wire("05 01 00 03 05 'a' 20 'b.c' 01 bb"), lines({
        "send 05 00 05 01 00 01 00 00 00 00 00 00",
        "failed socks.bad-request: SOCKS5 request with a space or control character in the domain name 'a b.c'",
        "consumed 15",
    }));
    row("nul in domain", "none", "connect",
        noAuth + wire("05 01 00 03 05 'a.b' 00 'c' 01 bb"), lines({
        "send 05 00 05 01 00 01 00 00 00 00 00 00",
        "failed socks.bad-request: SOCKS5 request with a space or control character in the domain name 'a.b\\x00c'",
        "consumed 15",
    }));
    row("del in domain", "none", "connect",
        noAuth + wire("05 01 00 03 03 'ab' 7f 01 bb"), lines({
        "send 05 00 05 01 00 01 00 00 00 00 00 00",
        "failed socks.bad-request: SOCKS5 request with a space or control character in the domain name 'ab\\x7f'",
        "consumed 13",
    }));

    // --- incomplete input and EOF
    row("nothing", "none", "connect", "", lines({
        "need-more",
        "consumed 0",
    }));
    row("half a greeting", "none", "connect", wire("05 02 00"), lines({
        "need-more",
        "consumed 3",
    }));
    row("half a request", "none", "connect",
        noAuth + wire("05 01 00 03 0b 'exam'"), lines({
        "send 05 00",
        "need-more",
        "consumed 12",
    }));
    row("half a request, then eof", "none", "connect",
        noAuth + wire("05 01 00 03 0b 'exam'"), lines({
        "send 05 00",
        "failed socks.closed: the client closed the connection before its SOCKS5 request was complete",
        "consumed 12",
    }), true);
    row("eof after the request changes nothing", "none", "connect",
        noAuth + wire("05 01 00 01 c0 00 02 01 01 bb"), lines({
        "send 05 00",
        "request CONNECT IPv4 192.0.2.1:443",
        "method no authentication",
        "consumed 13",
    }), true);
    // clang-format on
}

void Socks5ServerTest::transcripts()
{
    QFETCH(QString, auth);
    QFETCH(QString, commands);
    QFETCH(QByteArray, input);
    QFETCH(bool, eof);
    QFETCH(QStringList, expected);
    checkTranscript(setupOf(auth, commands), input.toStdString(), eof, expected);
}

void Socks5ServerTest::replies_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("expected");

    // clang-format off
    QTest::newRow("succeeded, default address") << 0 << QString() << -1
        << QStringLiteral("05 00 00 01 00 00 00 00 00 00");
    QTest::newRow("succeeded, ipv4") << 0 << QStringLiteral("192.0.2.7") << 4321
        << QStringLiteral("05 00 00 01 c0 00 02 07 10 e1");
    QTest::newRow("succeeded, ipv6") << 0 << QStringLiteral("2001:db8::7") << 443
        << QStringLiteral("05 00 00 04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 07 01 bb");
    QTest::newRow("succeeded, ipv6 in brackets") << 0 << QStringLiteral("[::1]") << 80
        << QStringLiteral("05 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 50");
    QTest::newRow("succeeded, domain") << 0 << QStringLiteral("proxy.example") << 1080
        << QStringLiteral("05 00 00 03 0d 'proxy.example' 04 38");
    QTest::newRow("general failure") << 1 << QString() << -1
        << QStringLiteral("05 01 00 01 00 00 00 00 00 00");
    QTest::newRow("not allowed by ruleset") << 2 << QString() << -1
        << QStringLiteral("05 02 00 01 00 00 00 00 00 00");
    QTest::newRow("network unreachable") << 3 << QString() << -1
        << QStringLiteral("05 03 00 01 00 00 00 00 00 00");
    QTest::newRow("host unreachable") << 4 << QString() << -1
        << QStringLiteral("05 04 00 01 00 00 00 00 00 00");
    QTest::newRow("connection refused") << 5 << QString() << -1
        << QStringLiteral("05 05 00 01 00 00 00 00 00 00");
    QTest::newRow("ttl expired") << 6 << QString() << -1
        << QStringLiteral("05 06 00 01 00 00 00 00 00 00");
    QTest::newRow("command not supported") << 7 << QString() << -1
        << QStringLiteral("05 07 00 01 00 00 00 00 00 00");
    QTest::newRow("address type not supported") << 8 << QString() << -1
        << QStringLiteral("05 08 00 01 00 00 00 00 00 00");
    // clang-format on
}

void Socks5ServerTest::replies()
{
    QFETCH(int, code);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, expected);
    const auto rep = static_cast<ReplyCode>(code);
    const std::string bytes
        = port < 0 ? Socks5Server::reply(rep)
                   : Socks5Server::reply(rep, host.toStdString(), static_cast<std::uint16_t>(port));
    QCOMPARE(wireText(bytes), expected);
}

void Socks5ServerTest::replyFallsBackToZeroAddress()
{
    QCOMPARE(wireText(Socks5Server::reply(ReplyCode::Succeeded, "", 7)),
             QStringLiteral("05 00 00 01 00 00 00 00 00 07"));
    QCOMPARE(wireText(Socks5Server::reply(ReplyCode::Succeeded, std::string(256, 'a'), 7)),
             QStringLiteral("05 00 00 01 00 00 00 00 00 07"));
    const std::string longest(255, 'a');
    QCOMPARE(Socks5Server::reply(ReplyCode::Succeeded, longest, 7),
             wire("05 00 00 03 ff") + longest + wire("00 07"));
}

void Socks5ServerTest::replyTexts()
{
    const std::vector<std::pair<ReplyCode, std::string_view>> texts = {
        {ReplyCode::Succeeded, "succeeded"},
        {ReplyCode::GeneralFailure, "general SOCKS server failure"},
        {ReplyCode::NotAllowedByRuleset, "connection not allowed by ruleset"},
        {ReplyCode::NetworkUnreachable, "network unreachable"},
        {ReplyCode::HostUnreachable, "host unreachable"},
        {ReplyCode::ConnectionRefused, "connection refused"},
        {ReplyCode::TtlExpired, "TTL expired"},
        {ReplyCode::CommandNotSupported, "command not supported"},
        {ReplyCode::AddressTypeNotSupported, "address type not supported"},
        {static_cast<ReplyCode>(9), "unassigned reply code"},
        {static_cast<ReplyCode>(0xff), "unassigned reply code"},
    };
    for (const auto &[code, expected] : texts)
        QCOMPARE(text(replyText(code)), text(expected));
}

void Socks5ServerTest::eofInEveryPhase_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("nothing") << QByteArray()
                             << QStringLiteral("the client closed the connection before its "
                                               "SOCKS5 greeting was complete");
    QTest::newRow("greeting") << QByteArray::fromStdString(wire("05 02"))
                              << QStringLiteral("the client closed the connection before its "
                                                "SOCKS5 greeting was complete");
    QTest::newRow("auth") << QByteArray::fromStdString(wire("05 01 02 01 05 'ali'"))
                          << QStringLiteral("the client closed the connection during SOCKS5 "
                                            "username/password authentication");
    QTest::newRow("request") << QByteArray::fromStdString(wire("05 01 00"))
                             << QStringLiteral("the client closed the connection before its "
                                               "SOCKS5 request was complete");
}

void Socks5ServerTest::eofInEveryPhase()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    Socks5Server server;
    const Socks5Server::Output out = server.feed(input.toStdString());
    QCOMPARE(out.status, Socks5Server::Status::NeedMore);
    const Socks5Server::Output end = server.feedEof();
    QCOMPARE(end.status, Socks5Server::Status::Failed);
    QVERIFY(end.toClient.empty());
    QCOMPARE(end.consumed, std::size_t(0));
    QCOMPARE(text(server.error().code), QStringLiteral("socks.closed"));
    QCOMPARE(text(server.error().message), expected);
}

void Socks5ServerTest::longestDomain()
{
    const std::string name = domainOfLength(255);
    const std::string input = wire(kNoAuth) + wire("05 01 00 03 ff") + name + wire("01 bb") + "x";
    const QStringList expected = {
        QStringLiteral("send 05 00"),
        QStringLiteral("request CONNECT domain name %1:443").arg(QString::fromStdString(name)),
        QStringLiteral("method no authentication"),
        QStringLiteral("consumed %1").arg(3 + 5 + 255 + 2),
        QStringLiteral("left x"),
    };
    checkTranscript(Setup{}, input, false, expected);
}

// A client that sends greeting, credentials and request in one segment (optimistic data, as
// some clients do) gets both answers in one output, in order.
void Socks5ServerTest::pipelinedHandshakeInOneSegment()
{
    Socks5Server server(Credentials{"alice", "s3cretPW"});
    const std::string input
        = wire(kAuth) + wire(kAliceOk) + wire("05 01 00 01 c0 00 02 01 01 bb") + "tunnel";
    const Socks5Server::Output out = server.feed(input);
    QCOMPARE(out.status, Socks5Server::Status::Request);
    QCOMPARE(wireText(out.toClient), QStringLiteral("05 02 01 00"));
    QCOMPARE(out.consumed, input.size() - 6);
    QCOMPARE(input.substr(out.consumed), std::string("tunnel"));
    QCOMPARE(server.request(),
             (Socks5Server::Request{Command::Connect, AddressType::IPv4, "192.0.2.1", 443}));
}

QTEST_APPLESS_MAIN(Socks5ServerTest)
#include "socks5_server_test.moc"
