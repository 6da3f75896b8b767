// Tests for sniffTls and parseClientHello: real ClientHellos captured from openssl s_client and
// curl, hand-built ones (GREASE, fragmented over records, at the size cap) and one malformed
// stream per structural rule, each checked over every prefix length: a prefix says NeedMore or
// already gives the final result, never anything else.
//
// The captures in tests/core/tls/data/client_hello/ are the first bytes each client sent to a
// plain socket listening on 127.0.0.1 (it never answers, so only the ClientHello arrives):
//   openssl_tls13.bin   openssl s_client -servername example.com -alpn h2,http/1.1 -tls1_3
//   openssl_tls12.bin   openssl s_client -servername www.example.org -alpn h2,http/1.1 -tls1_2
//   openssl_nosni.bin   openssl s_client -noservername
//   openssl_ipsni.bin   openssl s_client -servername 127.0.0.1 -alpn http/1.1
//   curl_h2.bin         curl -k --http2 https://localhost:PORT/
//   curl_tls12.bin      curl -k --http1.1 --tlsv1.2 --tls-max 1.2 https://localhost:PORT/
// (OpenSSL 3.0.19, curl 7.88.1.)

#include "core/tls/client_hello.h"

#include <QFile>
#include <QObject>
#include <QTest>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

using namespace ts::tls;
using Status = ClientHelloResult::Status;

namespace {

// --- building hellos byte by byte ---

std::string u8(unsigned v)
{
    return std::string(1, static_cast<char>(v & 0xff));
}

std::string u16(unsigned v)
{
    return u8(v >> 8) + u8(v);
}

std::string u24(unsigned v)
{
    return u8(v >> 16) + u16(v);
}

std::string vec8(const std::string &s)
{
    return u8(static_cast<unsigned>(s.size())) + s;
}

std::string vec16(const std::string &s)
{
    return u16(static_cast<unsigned>(s.size())) + s;
}

std::string ext(unsigned type, const std::string &data)
{
    return u16(type) + vec16(data);
}

std::string sniExt(const std::string &host)
{
    return ext(kExtServerName, vec16(u8(0) + vec16(host)));
}

std::string alpnExt(std::initializer_list<std::string> protocols)
{
    std::string list;
    for (const std::string &p : protocols)
        list += vec8(p);
    return ext(kExtAlpn, vec16(list));
}

std::string u16List(std::initializer_list<unsigned> values)
{
    std::string out;
    for (const unsigned v : values)
        out += u16(v);
    return out;
}

std::string versionsExt(std::initializer_list<unsigned> versions)
{
    return ext(kExtSupportedVersions, vec8(u16List(versions)));
}

// The parts of a ClientHello body, each already encoded, so that a test can break one.
struct Body
{
    std::string version = u16(0x0303);
    std::string random = std::string(32, '\x5a');
    std::string sessionId = vec8(std::string(32, '\x33'));
    std::string suites = vec16(u16List({0x1301, 0x1302, 0x00ff}));
    std::string compression = vec8(u8(0));
    std::string extensions = vec16(sniExt("example.com") + alpnExt({"h2", "http/1.1"})
                                   + versionsExt({0x0304, 0x0303}));

    std::string bytes() const
    {
        return version + random + sessionId + suites + compression + extensions;
    }
};

std::string handshake(const std::string &body, unsigned type = 1)
{
    return u8(type) + u24(static_cast<unsigned>(body.size())) + body;
}

std::string record(const std::string &fragment, unsigned type = 0x16, unsigned version = 0x0301)
{
    return u8(type) + u16(version) + vec16(fragment);
}

// The message cut into handshake records at the given offsets.
std::string records(const std::string &message, const std::vector<std::size_t> &cuts)
{
    std::string out;
    std::size_t from = 0;
    for (const std::size_t cut : cuts) {
        out += record(message.substr(from, cut - from), 0x16, out.empty() ? 0x0301 : 0x0303);
        from = cut;
    }
    return out + record(message.substr(from), 0x16, out.empty() ? 0x0301 : 0x0303);
}

// The message in records of at most `size` bytes.
std::string chunked(const std::string &message, std::size_t size)
{
    std::vector<std::size_t> cuts;
    for (std::size_t at = size; at < message.size(); at += size)
        cuts.push_back(at);
    return records(message, cuts);
}

std::string hello(const Body &body = {})
{
    return record(handshake(body.bytes()));
}

std::string withExtensions(const std::string &extensions)
{
    Body b;
    b.extensions = vec16(extensions);
    return hello(b);
}

// The handshake message a single-record stream carries.
std::string messageOf(const std::string &stream)
{
    return stream.substr(5);
}

// Shaped like a Chrome 13x ClientHello (extension order from a real one): GREASE suite,
// extension, group and version; an X25519MLKEM768 key share of 1216 bytes; an ECH GREASE
// extension. About 1.9 KB, more than one TCP segment.
std::string chromeLikeBody()
{
    Body b;
    b.suites = vec16(u16List({0x8a8a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                              0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}));
    const std::string keyShares
        = vec16(u16(0x4a4a) + vec16(u8(0)) + u16(0x11ec) + vec16(std::string(1216, '\x42'))
                + u16(0x001d) + vec16(std::string(32, '\x43')));
    const std::string ech = u8(0) + u16(0x0001) + u16(0x0001) + u8(0x2a)
                            + vec16(std::string(32, 'e')) + vec16(std::string(208, '\x44'));
    b.extensions = vec16(
        ext(0x2a2a, "") + ext(0x002d, vec8(u8(1))) + ext(0x0033, keyShares)
        + alpnExt({"h2", "http/1.1"}) + ext(kExtEncryptedClientHello, ech) + ext(0x0017, "")
        + ext(0x44cd, vec16(vec8("h2"))) + sniExt("www.example.com") + ext(0x000b, vec8(u8(0)))
        + ext(0x000a, vec16(u16List({0x4a4a, 0x11ec, 0x001d, 0x0017, 0x0018})))
        + versionsExt({0x6a6a, 0x0304, 0x0303}) + ext(0xff01, u8(0)) + ext(0x0023, "")
        + ext(0x0012, "") + ext(0x0005, u8(1) + u16(0) + u16(0))
        + ext(0x000d,
              vec16(u16List({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601})))
        + ext(0x001b, vec8(u16(0x0002))) + ext(0xdada, u8(0)));
    return b.bytes();
}

// --- looking at results ---

QString hex4(std::uint16_t v)
{
    return QStringLiteral("%1").arg(v, 4, 16, QLatin1Char('0'));
}

QString hexList(const std::vector<std::uint16_t> &values)
{
    QStringList out;
    for (const std::uint16_t v : values)
        out << hex4(v);
    return out.join(QLatin1Char(' '));
}

QStringList strings(const std::vector<std::string> &values)
{
    QStringList out;
    for (const std::string &v : values)
        out << QString::fromStdString(v);
    return out;
}

// One line holding every field, so that a QCOMPARE failure shows what differed.
QString describe(const ClientHelloResult &r)
{
    switch (r.status) {
    case Status::NeedMore:
        return QStringLiteral("NeedMore");
    case Status::Invalid:
        return QStringLiteral("Invalid: ") + QString::fromStdString(r.error);
    case Status::Complete:
        break;
    }
    const ClientHello &h = r.hello;
    return QStringLiteral("Complete length=%1 version=%2 sni=%3 ip=%4 ech=%5 alpn=[%6] "
                          "versions=[%7] suites=[%8] extensions=[%9]")
        .arg(h.length)
        .arg(hex4(h.legacyVersion), QString::fromStdString(h.serverName))
        .arg(h.serverNameIsIpLiteral)
        .arg(h.hasEncryptedClientHello)
        .arg(strings(h.alpn).join(QLatin1Char(',')), hexList(h.supportedVersions),
             hexList(h.cipherSuites), hexList(h.extensions));
}

ClientHelloResult parse(std::string_view stream)
{
    return parseClientHello(stream);
}

// Every prefix of `stream` gives NeedMore or the result of the whole stream; a complete hello
// is NeedMore right up to its last byte, and bytes after it change nothing.
void checkEveryPrefix(std::string_view stream)
{
    const ClientHelloResult whole = parse(stream);
    for (std::size_t k = 0; k < stream.size(); ++k) {
        const ClientHelloResult prefix = parse(stream.substr(0, k));
        if (prefix.status == Status::NeedMore)
            continue;
        if (!(prefix == whole))
            QFAIL(qPrintable(QStringLiteral("prefix %1 of %2: %3, whole: %4")
                                 .arg(k)
                                 .arg(stream.size())
                                 .arg(describe(prefix), describe(whole))));
    }
    if (whole.status == Status::Complete) {
        QCOMPARE(whole.hello.length, stream.size());
        QCOMPARE(parse(stream.substr(0, stream.size() - 1)).status, Status::NeedMore);
    }
    if (whole.status != Status::NeedMore) {
        // A change cipher spec record and application data may follow at once (0-RTT).
        const std::string more
            = std::string(stream) + record(u8(1), 0x14, 0x0303) + record("early", 0x17, 0x0303);
        QCOMPARE(describe(parse(more)), describe(whole));
    }
}

std::string readData(const char *name)
{
    const QString dir = qEnvironmentVariable("TS_SOURCE_DIR");
    if (dir.isEmpty())
        return {};
    QFile f(dir + QStringLiteral("/tests/core/tls/data/client_hello/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = f.readAll();
    return bytes.toStdString();
}

QByteArray qbytes(const std::string &s)
{
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

} // namespace

class ClientHelloTest : public QObject
{
    Q_OBJECT

private slots:
    void sniff_data();
    void sniff();
    void realHello_data();
    void realHello();
    void realHelloRefragmented_data();
    void realHelloRefragmented();
    void chromeLikeOverTwoRecords();
    void greaseIsKeptAndRecognised();
    void withoutSni();
    void withoutExtensions();
    void largestAccepted();
    void oversizeRejectedFromHeader();
    void hostnames_data();
    void hostnames();
    void malformed_data();
    void malformed();
};

void ClientHelloTest::sniff_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("expected");
    const auto row = [](const char *name, const std::string &bytes, Sniff s) {
        QTest::newRow(name) << qbytes(bytes) << static_cast<int>(s);
    };
    row("empty", "", Sniff::NeedMore);
    row("0x16", "\x16", Sniff::NeedMore);
    row("0x16 0x03", "\x16\x03", Sniff::NeedMore);
    row("TLS 1.0 record", "\x16\x03\x01", Sniff::Tls);
    row("TLS 1.2 record", "\x16\x03\x03\x02\x00", Sniff::Tls);
    row("record version 0x0304", "\x16\x03\x04", Sniff::Tls);
    row("SSL 3.0 record", std::string("\x16\x03\x00", 3), Sniff::Tls);
    row("record version 0x0305", "\x16\x03\x05", Sniff::NotTls);
    row("major 2", "\x16\x02", Sniff::NotTls);
    row("HTTP request", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", Sniff::NotTls);
    row("HTTP first byte", "G", Sniff::NotTls);
    row("CONNECT", "CONNECT a:443 HTTP/1.1\r\n", Sniff::NotTls);
    row("SOCKS5 greeting", std::string("\x05\x01\x00", 3), Sniff::NotTls);
    row("SOCKS4", std::string("\x04\x01\x01\xbb", 4), Sniff::NotTls);
    row("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Sniff::NotTls);
    row("SSL 2.0 hello", std::string("\x80\x2e\x01\x03\x01", 5), Sniff::NotTls);
    row("application data record", "\x17\x03\x03", Sniff::NotTls);
    row("real hello", readData("curl_h2.bin"), Sniff::Tls);
}

void ClientHelloTest::sniff()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, expected);
    QCOMPARE(static_cast<int>(sniffTls(std::string_view(bytes.constData(), bytes.size()))),
             expected);
}

void ClientHelloTest::realHello_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QString>("sni");
    QTest::addColumn<bool>("ip");
    QTest::addColumn<QStringList>("alpn");
    QTest::addColumn<QString>("versions");
    QTest::addColumn<QString>("extensions");
    QTest::addColumn<int>("suiteCount");

    const auto row = [](const char *file, const char *sni, bool ip, QStringList alpn,
                        const char *versions, const char *extensions, int suites) {
        const std::string bytes = readData(file);
        QVERIFY2(!bytes.empty(), file); // TS_SOURCE_DIR is set by ctest
        QTest::newRow(file) << qbytes(bytes) << QString::fromLatin1(sni) << ip << alpn
                            << QString::fromLatin1(versions) << QString::fromLatin1(extensions)
                            << suites;
    };
    const QStringList h2AndH1{QStringLiteral("h2"), QStringLiteral("http/1.1")};
    const QStringList h1{QStringLiteral("http/1.1")};
    row("openssl_tls13.bin", "example.com", false, h2AndH1, "0304",
        "0000 000b 000a 0023 0010 0016 0017 000d 002b 002d 0033", 4);
    row("openssl_tls12.bin", "www.example.org", false, h2AndH1, "",
        "0000 000b 000a 0023 0010 0016 0017 000d", 28);
    row("openssl_nosni.bin", "", false, {}, "0304 0303 0302 0301",
        "000b 000a 0023 0016 0017 000d 002b 002d 0033", 31);
    row("openssl_ipsni.bin", "127.0.0.1", true, h1, "0304 0303 0302 0301",
        "0000 000b 000a 0023 0010 0016 0017 000d 002b 002d 0033", 31);
    row("curl_h2.bin", "localhost", false, h2AndH1, "0304 0303 0302 0301",
        "0000 000b 000a 0010 0016 0017 0031 000d 002b 002d 0033 0015", 31);
    row("curl_tls12.bin", "localhost", false, h1, "", "0000 000b 000a 0010 0016 0017 000d", 28);
}

void ClientHelloTest::realHello()
{
    QFETCH(QByteArray, stream);
    QFETCH(QString, sni);
    QFETCH(bool, ip);
    QFETCH(QStringList, alpn);
    QFETCH(QString, versions);
    QFETCH(QString, extensions);
    QFETCH(int, suiteCount);

    const std::string bytes = stream.toStdString();
    const ClientHelloResult r = parse(bytes);
    QCOMPARE(describe(r).left(8), QStringLiteral("Complete"));
    QCOMPARE(r.hello.length, bytes.size());
    QCOMPARE(r.hello.legacyVersion, std::uint16_t(0x0303));
    QCOMPARE(QString::fromStdString(r.hello.serverName), sni);
    QCOMPARE(r.hello.serverNameIsIpLiteral, ip);
    QCOMPARE(strings(r.hello.alpn), alpn);
    QCOMPARE(hexList(r.hello.supportedVersions), versions);
    QCOMPARE(hexList(r.hello.extensions), extensions);
    QCOMPARE(static_cast<int>(r.hello.cipherSuites.size()), suiteCount);
    QVERIFY(!r.hello.hasEncryptedClientHello);
    checkEveryPrefix(bytes);
}

void ClientHelloTest::realHelloRefragmented_data()
{
    QTest::addColumn<QByteArray>("stream");
    for (const char *file : {"openssl_tls13.bin", "curl_h2.bin", "curl_tls12.bin"})
        QTest::newRow(file) << qbytes(readData(file));
}

// The same handshake message cut into two records at every offset, and into one-byte records,
// parses to the same hello; only `length` counts the extra record headers.
void ClientHelloTest::realHelloRefragmented()
{
    QFETCH(QByteArray, stream);
    const std::string original = stream.toStdString();
    const ClientHelloResult expected = parse(original);
    QCOMPARE(expected.status, Status::Complete);
    const std::string message = messageOf(original);

    for (std::size_t cut = 1; cut < message.size(); ++cut) {
        const std::string two = records(message, {cut});
        ClientHelloResult r = parse(two);
        QCOMPARE(r.hello.length, original.size() + 5);
        r.hello.length = expected.hello.length;
        QCOMPARE(describe(r), describe(expected));
        if (cut % 97 == 1)
            checkEveryPrefix(two); // every prefix of every cut would take a while
    }

    const std::string bytewise = chunked(message, 1);
    ClientHelloResult r = parse(bytewise);
    QCOMPARE(r.hello.length, message.size() * 6);
    r.hello.length = expected.hello.length;
    QCOMPARE(describe(r), describe(expected));
    checkEveryPrefix(bytewise);
}

void ClientHelloTest::chromeLikeOverTwoRecords()
{
    const std::string message = handshake(chromeLikeBody());
    QVERIFY(message.size() > 1500);
    const std::string stream = records(message, {1400});
    const ClientHelloResult r = parse(stream);
    QCOMPARE(describe(r).left(8), QStringLiteral("Complete"));
    QCOMPARE(r.hello.length, message.size() + 10);
    QCOMPARE(QString::fromStdString(r.hello.serverName), QStringLiteral("www.example.com"));
    QCOMPARE(strings(r.hello.alpn),
             (QStringList{QStringLiteral("h2"), QStringLiteral("http/1.1")}));
    QCOMPARE(hexList(r.hello.supportedVersions), QStringLiteral("6a6a 0304 0303"));
    QVERIFY(r.hello.hasEncryptedClientHello);
    QCOMPARE(hexList(r.hello.extensions),
             QStringLiteral("2a2a 002d 0033 0010 fe0d 0017 44cd 0000 000b 000a 002b ff01 0023 "
                            "0012 0005 000d 001b dada"));
    checkEveryPrefix(stream);

    // The first record alone is not enough, whatever follows it.
    QCOMPARE(parse(stream.substr(0, 1405)).status, Status::NeedMore);
}

void ClientHelloTest::greaseIsKeptAndRecognised()
{
    const ClientHelloResult r = parse(record(handshake(chromeLikeBody())));
    QCOMPARE(r.status, Status::Complete);
    QCOMPARE(r.hello.cipherSuites.front(), std::uint16_t(0x8a8a));
    for (const std::uint16_t g : {0x0a0a, 0x2a2a, 0x8a8a, 0xdada, 0xfafa})
        QVERIFY(isGrease(g));
    for (const std::uint16_t v : {0x0000, 0x0a1a, 0x1a0a, 0x0a0b, 0x1301, 0xfe0d, 0xaaab})
        QVERIFY(!isGrease(v));
    std::size_t grease = 0;
    for (const std::uint16_t t : r.hello.extensions)
        grease += isGrease(t);
    QCOMPARE(grease, std::size_t(2));
}

void ClientHelloTest::withoutSni()
{
    Body b;
    b.extensions = vec16(alpnExt({"http/1.1"}));
    const std::string stream = hello(b);
    const ClientHelloResult r = parse(stream);
    QCOMPARE(r.status, Status::Complete);
    QVERIFY(r.hello.serverName.empty());
    QVERIFY(!r.hello.serverNameIsIpLiteral);
    QCOMPARE(hexList(r.hello.extensions), QStringLiteral("0010"));
    checkEveryPrefix(stream);
}

// Before TLS 1.3 the extensions block may be left out entirely, or be empty.
void ClientHelloTest::withoutExtensions()
{
    Body b;
    b.extensions.clear();
    const ClientHelloResult none = parse(hello(b));
    QCOMPARE(describe(none),
             QStringLiteral("Complete length=86 version=0303 sni= ip=0 ech=0 alpn=[] versions=[] "
                            "suites=[1301 1302 00ff] extensions=[]"));
    checkEveryPrefix(hello(b));
    b.extensions = u16(0);
    QCOMPARE(parse(hello(b)).status, Status::Complete);
}

// A ClientHello of exactly kMaxClientHelloSize bytes (here padded to it, in four full records) is
// accepted; one byte more is not.
void ClientHelloTest::largestAccepted()
{
    Body b;
    const std::size_t base = b.bytes().size() + 4 /* pad ext header */;
    const auto padded = [&](std::size_t messageSize) {
        Body p;
        const std::string exts
            = sniExt("example.com") + alpnExt({"h2", "http/1.1"}) + versionsExt({0x0304, 0x0303});
        p.extensions = vec16(exts + ext(0x0015, std::string(messageSize - 4 - base, '\0')));
        return handshake(p.bytes());
    };
    const std::string max = padded(kMaxClientHelloSize);
    QCOMPARE(max.size(), kMaxClientHelloSize);
    const std::string stream = chunked(max, kMaxRecordFragment);
    const ClientHelloResult r = parse(stream);
    QCOMPARE(r.status, Status::Complete);
    QCOMPARE(r.hello.length, kMaxClientHelloSize + 4 * 5);
    QCOMPARE(QString::fromStdString(r.hello.serverName), QStringLiteral("example.com"));
    checkEveryPrefix(stream);

    const ClientHelloResult over
        = parse(chunked(padded(kMaxClientHelloSize + 1), kMaxRecordFragment));
    QCOMPARE(describe(over), QStringLiteral("Invalid: ClientHello: larger than 64 KiB"));
}

// The size cap applies as soon as the handshake header is in: nothing more is buffered.
void ClientHelloTest::oversizeRejectedFromHeader()
{
    const std::string start = u8(0x16) + u16(0x0301) + u16(16384) + u8(1) + u24(0xffffff);
    QCOMPARE(parse(start.substr(0, 8)).status, Status::NeedMore);
    QCOMPARE(describe(parse(start)), QStringLiteral("Invalid: ClientHello: larger than 64 KiB"));
}

void ClientHelloTest::hostnames_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QString>("expected"); // reported name, or the error
    QTest::addColumn<bool>("ip");
    const auto ok = [](const char *row, const std::string &name, const char *reported, bool ip) {
        QTest::newRow(row) << qbytes(name) << QString::fromLatin1(reported) << ip;
    };
    const auto bad = [](const char *row, const std::string &name) {
        QTest::newRow(row) << qbytes(name)
                           << QStringLiteral("ClientHello: SNI host_name is not a hostname")
                           << false;
    };
    ok("plain", "example.com", "example.com", false);
    ok("single label", "localhost", "localhost", false);
    ok("case kept", "WWW.Example.COM", "WWW.Example.COM", false);
    ok("underscore", "_acme.example.com", "_acme.example.com", false);
    ok("hyphens", "a-b.-c-.example", "a-b.-c-.example", false);
    ok("A-label", "xn--bcher-kva.example", "xn--bcher-kva.example", false);
    ok("trailing dot dropped", "example.com.", "example.com", false);
    ok("63-byte label", std::string(63, 'a') + ".com", "", false);
    ok("253 bytes",
       std::string(63, 'a') + '.' + std::string(63, 'b') + '.' + std::string(63, 'c') + '.'
           + std::string(61, 'd'),
       "", false);
    ok("IPv4 literal", "192.0.2.1", "192.0.2.1", true);
    ok("IPv4 literal, trailing dot", "10.0.0.1.", "10.0.0.1", true);
    ok("IPv6 loopback", "::1", "::1", true);
    ok("IPv6 literal", "2001:db8::8:800:200c:417a", "2001:db8::8:800:200c:417a", true);
    ok("IPv6 full", "2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:1", true);
    ok("IPv6 with IPv4 tail", "::ffff:192.0.2.1", "::ffff:192.0.2.1", true);
    ok("five numbers is a name", "1.2.3.4.5", "1.2.3.4.5", false);
    ok("leading zero is a name", "01.2.3.4", "01.2.3.4", false);
    ok("octet over 255 is a name", "1.2.3.256", "1.2.3.256", false);
    bad("space", "exa mple.com");
    bad("empty label", "a..b");
    bad("leading dot", ".example.com");
    bad("only a dot", ".");
    bad("two trailing dots", "example.com..");
    bad("wildcard", "*.example.com");
    bad("UTF-8", "b\xc3\xbc"
                 "cher.example");
    bad("64-byte label", std::string(64, 'a') + ".com");
    bad("254 bytes", std::string(63, 'a') + '.' + std::string(63, 'b') + '.' + std::string(63, 'c')
                         + '.' + std::string(62, 'd'));
    bad("bracketed IPv6", "[::1]");
    bad("IPv6 zone", "fe80::1%eth0");
    bad("IPv6 two elisions", "1::2::3");
    bad("IPv6 nine groups", "1:2:3:4:5:6:7:8:9");
    bad("IPv6 trailing colon", "1:2:3:4:5:6:7:");
    bad("host and port", "example.com:443");
    QTest::newRow("NUL") << qbytes(std::string("example.com\0.evil", 17))
                         << QStringLiteral("ClientHello: SNI host_name contains NUL") << false;
}

void ClientHelloTest::hostnames()
{
    QFETCH(QByteArray, name);
    QFETCH(QString, expected);
    QFETCH(bool, ip);
    const std::string host = name.toStdString();
    const ClientHelloResult r = parse(withExtensions(sniExt(host)));
    if (expected.startsWith(QStringLiteral("ClientHello:"))) {
        QCOMPARE(r.status, Status::Invalid);
        QCOMPARE(QString::fromStdString(r.error), expected);
        return;
    }
    QCOMPARE(r.status, Status::Complete);
    if (expected.isEmpty())
        expected = QString::fromStdString(host);
    QCOMPARE(QString::fromStdString(r.hello.serverName), expected);
    QCOMPARE(r.hello.serverNameIsIpLiteral, ip);
}

void ClientHelloTest::malformed_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QString>("error");
    const auto row = [](const char *name, const std::string &stream, const char *error) {
        QTest::newRow(name) << qbytes(stream)
                            << QStringLiteral("ClientHello: ") + QString::fromLatin1(error);
    };
    const std::string good = handshake(Body().bytes());

    // Record layer.
    row("alert record", record(u16(0x0228), 0x15), "record content type 21 is not handshake");
    row("HTTP request", "GET / HTTP/1.1\r\n", "record content type 71 is not handshake");
    row("record version 0x0305", record(good, 0x16, 0x0305), "record version 0x0305 is not TLS");
    row("record version 0x0201", record(good, 0x16, 0x0201), "record version 0x0201 is not TLS");
    row("empty record", record("") + record(good), "empty handshake record");
    row("record over 2^14", u8(0x16) + u16(0x0301) + u16(16385) + good,
        "record longer than 16384 bytes");
    row("second record not handshake",
        records(good, {100}).substr(0, 105) + record(good.substr(100), 0x17),
        "record content type 23 is not handshake");
    row("empty second record", record(good.substr(0, 100)) + record("") + record(good.substr(100)),
        "empty handshake record");
    row("bytes after the hello in its record", record(good + u8(0x14)),
        "record holds bytes after the ClientHello");
    row("next message in the same record", record(good + handshake("", 0x0b)),
        "record holds bytes after the ClientHello");
    row("record outruns the hello",
        records(good, {100}).substr(0, 105) + u8(0x16) + u16(0x0303)
            + u16(static_cast<unsigned>(good.size() - 100 + 1)),
        "record holds bytes after the ClientHello");

    // Handshake header.
    row("ServerHello", record(handshake(Body().bytes(), 2)),
        "handshake message type 2 is not ClientHello");
    row("header over records", records(u8(0x0b) + good.substr(1), {1, 2, 3}),
        "handshake message type 11 is not ClientHello");
    row("over 64 KiB", record(u8(1) + u24(kMaxClientHelloSize - 3)), "larger than 64 KiB");

    // ClientHello body.
    const auto body = [&](const char *name, const Body &b, const char *error) {
        row(name, hello(b), error);
    };
    row("empty body", record(handshake("")), "too short for version and random");
    row("random cut short", record(handshake(u16(0x0303) + std::string(31, 'r'))),
        "too short for version and random");
    {
        Body b;
        b.sessionId = vec8(std::string(33, 's'));
        body("session id of 33", b, "session id longer than 32 bytes");
    }
    row("session id truncated",
        record(handshake(u16(0x0303) + std::string(32, 'r') + u8(32) + "abc")),
        "session id truncated");
    {
        Body b;
        b.suites = u16(0);
        body("no cipher suites", b, "no cipher suites");
        b.suites = vec16(u16(0x1301) + u8(0x13));
        body("cipher suites odd", b, "cipher suites length odd");
    }
    row("cipher suites truncated",
        record(handshake(u16(0x0303) + std::string(32, 'r') + u8(0) + u16(40) + u16(0x1301))),
        "cipher suites truncated");
    {
        Body b;
        b.compression = u8(0);
        body("no compression methods", b, "no compression methods");
        b.compression = vec8(u8(1));
        body("compression without null", b, "compression methods lack null");
    }
    row("compression truncated",
        record(handshake(u16(0x0303) + std::string(32, 'r') + u8(0) + vec16(u16(0x1301)) + u8(2)
                         + u8(0))),
        "compression methods truncated");
    {
        Body b;
        b.extensions = u8(0);
        body("one byte of extensions length", b, "extensions block truncated");
        b.extensions = u16(100) + sniExt("example.com");
        body("extensions block truncated", b, "extensions block truncated");
        b.extensions = vec16(sniExt("example.com")) + u8(0);
        body("bytes after the extensions block", b, "bytes after the extensions block");
    }
    row("extension header truncated", withExtensions(sniExt("example.com") + u16(0x0017) + u8(0)),
        "extension header truncated");
    row("extension type only", withExtensions(u16(0x0017)), "extension header truncated");
    row("extension data truncated", withExtensions(u16(0x0017) + u16(5) + "abc"),
        "extension 0x0017 truncated");
    row("extension repeated", withExtensions(ext(0x0017, "") + ext(0x0023, "") + ext(0x0017, "")),
        "extension 0x0017 repeated");
    row("GREASE extension repeated", withExtensions(ext(0x1a1a, "") + ext(0x1a1a, u8(0))),
        "extension 0x1a1a repeated");

    // server_name.
    row("SNI empty extension", withExtensions(ext(0, "")), "SNI extension truncated");
    row("SNI list truncated", withExtensions(ext(0, u16(20) + u8(0) + vec16("a.example"))),
        "SNI extension truncated");
    row("SNI bytes after list", withExtensions(ext(0, vec16(u8(0) + vec16("a.example")) + u8(0))),
        "SNI extension has bytes after its list");
    row("SNI list empty", withExtensions(ext(0, vec16(""))), "SNI list empty");
    row("SNI entry truncated", withExtensions(ext(0, vec16(u8(0) + u16(30) + "a.example"))),
        "SNI entry truncated");
    row("SNI entry without length", withExtensions(ext(0, vec16(u8(0) + u8(0)))),
        "SNI entry truncated");
    row("SNI name type 1", withExtensions(ext(0, vec16(u8(1) + vec16("a.example")))),
        "SNI name type 1 is not host_name");
    row("SNI host_name twice",
        withExtensions(ext(0, vec16(u8(0) + vec16("a.example") + u8(0) + vec16("b.example")))),
        "SNI host_name repeated");
    row("SNI host_name empty", withExtensions(ext(0, vec16(u8(0) + vec16("")))),
        "SNI host_name empty");
    row("SNI with NUL", withExtensions(sniExt(std::string("a.example\0", 10))),
        "SNI host_name contains NUL");
    row("SNI not a hostname", withExtensions(sniExt("a b")), "SNI host_name is not a hostname");

    // application_layer_protocol_negotiation.
    row("ALPN empty extension", withExtensions(ext(kExtAlpn, "")), "ALPN extension truncated");
    row("ALPN list truncated", withExtensions(ext(kExtAlpn, u16(9) + vec8("h2"))),
        "ALPN extension truncated");
    row("ALPN bytes after list", withExtensions(ext(kExtAlpn, vec16(vec8("h2")) + u8(0))),
        "ALPN extension has bytes after its list");
    row("ALPN list empty", withExtensions(ext(kExtAlpn, vec16(""))), "ALPN list empty");
    row("ALPN name empty", withExtensions(ext(kExtAlpn, vec16(vec8("h2") + vec8("")))),
        "ALPN protocol name empty");
    row("ALPN name truncated", withExtensions(ext(kExtAlpn, vec16(vec8("h2") + u8(8) + "http"))),
        "ALPN protocol name truncated");

    // supported_versions.
    row("versions empty extension", withExtensions(ext(kExtSupportedVersions, "")),
        "supported_versions truncated");
    row("versions truncated", withExtensions(ext(kExtSupportedVersions, u8(4) + u16(0x0304))),
        "supported_versions truncated");
    row("versions bytes after list",
        withExtensions(ext(kExtSupportedVersions, vec8(u16(0x0304)) + u8(0))),
        "supported_versions has bytes after its list");
    row("versions empty list", withExtensions(ext(kExtSupportedVersions, vec8(""))),
        "supported_versions empty");
    row("versions odd", withExtensions(ext(kExtSupportedVersions, vec8(u16(0x0304) + u8(3)))),
        "supported_versions length odd");

    // encrypted_client_hello.
    row("ECH empty", withExtensions(ext(kExtEncryptedClientHello, "")), "ECH extension empty");
}

// Each structural rule gives Invalid with its own message, whatever prefix first shows it.
void ClientHelloTest::malformed()
{
    QFETCH(QByteArray, stream);
    QFETCH(QString, error);
    const std::string bytes = stream.toStdString();
    const ClientHelloResult r = parse(bytes);
    QCOMPARE(describe(r), QStringLiteral("Invalid: ") + error);
    QVERIFY(r.hello == ClientHello());
    checkEveryPrefix(bytes);
}

QTEST_APPLESS_MAIN(ClientHelloTest)
#include "client_hello_test.moc"
