// Tests for the pieces both SOCKS5 codecs share (socks5.h): IP literal parsing and RFC 5952
// formatting, and the address encoding of requests and replies.

#include "core/socks/socks5.h"
#include "tests/core/socks/wire_text.h"

#include <QObject>
#include <QTest>

#include <string>

using namespace ts;
using namespace ts::socks;
using namespace socks_test;

class Socks5Test final : public QObject
{
    Q_OBJECT

private slots:
    void ipv4_data();
    void ipv4();
    void ipv6_data();
    void ipv6();
    void literalTypes();
    void encodeAddresses_data();
    void encodeAddresses();
};

void Socks5Test::ipv4_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("formatted"); // empty: not an IPv4 literal

    const auto row = [](const char *input, const char *formatted) {
        QTest::newRow(input) << QString::fromLatin1(input) << QString::fromLatin1(formatted);
    };
    row("0.0.0.0", "0.0.0.0");
    row("192.0.2.1", "192.0.2.1");
    row("255.255.255.255", "255.255.255.255");
    row("256.0.0.1", "");
    row("1.2.3", "");
    row("1.2.3.4.5", "");
    row("1.2.3.", "");
    row(".1.2.3", "");
    row("01.2.3.4", "");
    row("1.2.3.04", "");
    row("1..3.4", "");
    row("1.2.3.4 ", "");
    row("1234.1.1.1", "");
    row("0x7f.0.0.1", "");
    row("", "");
}

void Socks5Test::ipv4()
{
    QFETCH(QString, input);
    QFETCH(QString, formatted);
    const auto bytes = parseIpv4(input.toStdString());
    QCOMPARE(bytes.has_value(), !formatted.isEmpty());
    if (bytes)
        QCOMPARE(text(formatIpv4(*bytes)), formatted);
}

void Socks5Test::ipv6_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("formatted"); // empty: not an IPv6 literal

    const auto row = [](const char *input, const char *formatted) {
        QTest::newRow(input) << QString::fromLatin1(input) << QString::fromLatin1(formatted);
    };
    row("::", "::");
    row("::1", "::1");
    row("1::", "1::");
    row("2001:db8::1", "2001:db8::1");
    row("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
    row("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    // RFC 5952 4.2.2: a single zero group is not shortened; 4.2.3: the first of equal runs.
    row("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    row("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
    row("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    row("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
    row("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
    row("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
    row("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    row("::ffff:c000:201", "::ffff:192.0.2.1");
    row("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    row("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
    row("::1.2.3.4", "::102:304");
    row("fe80::1", "fe80::1");
    row(":", "");
    row(":::", "");
    row("1:::2", "");
    row("1::2::3", "");
    row(":1::2", "");
    row("1::2:", "");
    row("1:2:3:4:5:6:7", "");
    row("1:2:3:4:5:6:7:8:9", "");
    row("1:2:3:4:5:6:7:8::", "");
    row("::1:2:3:4:5:6:7:8", "");
    row("12345::1", "");
    row("g::1", "");
    row("1:2:3:4:5:6:7:1.2.3.4", "");
    row("::1.2.3.4:5", "");
    row("::1.2.3", "");
    row("::ffff:01.2.3.4", "");
    row("fe80::1%eth0", "");
    row("[::1]", "");
    row("1.2.3.4", "");
    row("", "");
}

void Socks5Test::ipv6()
{
    QFETCH(QString, input);
    QFETCH(QString, formatted);
    const auto bytes = parseIpv6(input.toStdString());
    QCOMPARE(bytes.has_value(), !formatted.isEmpty());
    if (!bytes)
        return;
    const std::string again = formatIpv6(*bytes);
    QCOMPARE(text(again), formatted);
    QCOMPARE(parseIpv6(again), bytes); // the canonical form reads back to the same address
}

void Socks5Test::literalTypes()
{
    QCOMPARE(ipLiteralType("10.0.0.1"), std::optional(AddressType::IPv4));
    QCOMPARE(ipLiteralType("::1"), std::optional(AddressType::IPv6));
    QCOMPARE(ipLiteralType("[::1]"), std::optional(AddressType::IPv6));
    QCOMPARE(ipLiteralType("[10.0.0.1]"), std::nullopt);
    QCOMPARE(ipLiteralType("example.com"), std::nullopt);
    QCOMPARE(ipLiteralType("[]"), std::nullopt);
    QCOMPARE(ipLiteralType(""), std::nullopt);
}

void Socks5Test::encodeAddresses_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("allowDomain");
    QTest::addColumn<QString>("expected"); // wire text, or "error: <message>"

    // clang-format off
    QTest::newRow("ipv4") << QByteArray("192.0.2.1") << 443 << false
        << QStringLiteral("01 c0 00 02 01 01 bb");
    QTest::newRow("ipv6") << QByteArray("2001:db8::1") << 80 << false
        << QStringLiteral("04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 00 50");
    QTest::newRow("ipv6 in brackets") << QByteArray("[::]") << 65535 << false
        << QStringLiteral("04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff");
    QTest::newRow("domain") << QByteArray("example.com") << 1 << true
        << QStringLiteral("03 0b 'example.com' 00 01");
    QTest::newRow("ip literal with domains allowed") << QByteArray("127.0.0.1") << 1 << true
        << QStringLiteral("01 7f 00 00 01 00 01");
    QTest::newRow("domain not allowed") << QByteArray("example.com") << 1 << false
        << QStringLiteral("error: 'example.com' is not an IP address");
    QTest::newRow("control characters quoted") << QByteArray("a\nb'") << 1 << false
        << QStringLiteral("error: 'a\\x0ab\\x27' is not an IP address");
    QTest::newRow("empty domain") << QByteArray() << 1 << true
        << QStringLiteral("error: a SOCKS5 domain name must be 1 to 255 bytes long, not 0");
    QTest::newRow("256-byte domain") << QByteArray(256, 'a') << 1 << true
        << QStringLiteral("error: a SOCKS5 domain name must be 1 to 255 bytes long, not 256");
    // clang-format on
}

void Socks5Test::encodeAddresses()
{
    QFETCH(QByteArray, host);
    QFETCH(int, port);
    QFETCH(bool, allowDomain);
    QFETCH(QString, expected);
    const Result<std::string> r
        = encodeAddress(host.toStdString(), static_cast<std::uint16_t>(port), allowDomain);
    if (!r) {
        QCOMPARE(text(r.error().code), QStringLiteral("socks.invalid-address"));
        QCOMPARE(QStringLiteral("error: ") + text(r.error().message), expected);
        return;
    }
    QCOMPARE(wireText(*r), expected);
}

QTEST_APPLESS_MAIN(Socks5Test)
#include "socks5_test.moc"
