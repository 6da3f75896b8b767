// Tests for decodeContent with samples made here by the real encoders (zlib, brotli, zstd):
// every coding, chains, empty bodies, corrupt and cut-short input, and the output bound.

#include "core/codec/content_decoding.h"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <QObject>
#include <QTest>

#include <random>
#include <string>

using namespace ts::codec;

namespace {

// A body that compresses, but not to nothing: text with some noise.
std::string sampleText(std::size_t size = 20000)
{
    std::string s;
    std::mt19937 rng(7);
    while (s.size() < size) {
        s += "The quick brown fox jumps over the lazy dog ";
        s += std::to_string(rng() % 1000);
        s += '\n';
    }
    s.resize(size);
    return s;
}

// windowBits: 16 + 15 gzip, 15 zlib-wrapped deflate, -15 raw deflate.
std::string zlibCompress(std::string_view in, int windowBits)
{
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        qFatal("deflateInit2");
    std::string out(deflateBound(&z, uLong(in.size())), '\0');
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        qFatal("deflate");
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string gzip(std::string_view in)
{
    return zlibCompress(in, 16 + MAX_WBITS);
}

std::string brotli(std::string_view in, int quality = 5)
{
    std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
    std::string out(size, '\0');
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                               reinterpret_cast<const std::uint8_t *>(in.data()), &size,
                               reinterpret_cast<std::uint8_t *>(out.data())))
        qFatal("BrotliEncoderCompress");
    out.resize(size);
    return out;
}

std::string zstd(std::string_view in, int level = 3)
{
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
    if (ZSTD_isError(n))
        qFatal("ZSTD_compress");
    out.resize(n);
    return out;
}

// A zstd frame streamed without a size, so its header declares the whole 2^windowLog window.
std::string zstdWithWindow(std::string_view in, int windowLog)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, windowLog);
    std::string out(ZSTD_compressBound(in.size()) + 64, '\0');
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    // Input first, the end separately: given both at once, zstd sizes the window to the input.
    if (ZSTD_isError(ZSTD_compressStream2(c, &output, &input, ZSTD_e_continue)))
        qFatal("ZSTD_compressStream2");
    ZSTD_inBuffer none{nullptr, 0, 0};
    if (ZSTD_compressStream2(c, &output, &none, ZSTD_e_end) != 0)
        qFatal("ZSTD_compressStream2");
    out.resize(output.pos);
    ZSTD_freeCCtx(c);
    return out;
}

QByteArray bytes(std::string_view s)
{
    return QByteArray(s.data(), qsizetype(s.size()));
}

std::string str(const QByteArray &b)
{
    return std::string(b.constData(), std::size_t(b.size()));
}

QByteArray joined(const std::vector<std::string> &codings)
{
    std::string out;
    for (const std::string &c : codings)
        out += (out.empty() ? "" : ",") + c;
    return bytes(out);
}

} // namespace

class ContentDecodingTest final : public QObject
{
    Q_OBJECT

private slots:
    void decodes_data();
    void decodes();
    void emptyBody_data();
    void emptyBody();
    void unknownCoding_data();
    void unknownCoding();
    void corrupt_data();
    void corrupt();
    void cutShort_data();
    void cutShort();
    void partialInput_data();
    void partialInput();
    void bombDefaultLimit_data();
    void bombDefaultLimit();
    void bombSmallLimit_data();
    void bombSmallLimit();
    void exactlyAtLimit();
    void chainStageIsBounded();
    void gzipMembersAndTrailingBytes();
    void zstdFramesAndTrailingBytes();
    void zstdWindowLimit();
};

void ContentDecodingTest::decodes_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QByteArray>("codings");

    const std::string text = sampleText();
    const QByteArray plain = bytes(text);
    QTest::newRow("identity") << QByteArray("identity") << plain << plain << QByteArray();
    QTest::newRow("no header") << QByteArray() << plain << plain << QByteArray();
    QTest::newRow("gzip") << QByteArray("gzip") << bytes(gzip(text)) << plain << QByteArray("gzip");
    QTest::newRow("x-gzip") << QByteArray("x-gzip") << bytes(gzip(text)) << plain
                            << QByteArray("gzip");
    QTest::newRow("GZIP, spaces") << QByteArray("  GZip\t") << bytes(gzip(text)) << plain
                                  << QByteArray("gzip");
    QTest::newRow("deflate zlib-wrapped")
        << QByteArray("deflate") << bytes(zlibCompress(text, MAX_WBITS)) << plain
        << QByteArray("deflate");
    QTest::newRow("deflate raw") << QByteArray("deflate") << bytes(zlibCompress(text, -MAX_WBITS))
                                 << plain << QByteArray("deflate");
    QTest::newRow("br") << QByteArray("br") << bytes(brotli(text)) << plain << QByteArray("br");
    QTest::newRow("zstd") << QByteArray("zstd") << bytes(zstd(text)) << plain << QByteArray("zstd");
    QTest::newRow("gzip, br") << QByteArray("gzip, br") << bytes(brotli(gzip(text))) << plain
                              << QByteArray("gzip,br");
    QTest::newRow("br,zstd,deflate")
        << QByteArray("br,zstd,deflate") << bytes(zlibCompress(zstd(brotli(text)), MAX_WBITS))
        << plain << QByteArray("br,zstd,deflate");
    QTest::newRow("identity, gzip, identity") << QByteArray("identity, gzip, identity")
                                              << bytes(gzip(text)) << plain << QByteArray("gzip");
    QTest::newRow("empty list elements")
        << QByteArray(", gzip ,, ") << bytes(gzip(text)) << plain << QByteArray("gzip");
    QTest::newRow("gzip twice") << QByteArray("gzip, gzip") << bytes(gzip(gzip(text))) << plain
                                << QByteArray("gzip,gzip");
    const std::string binary(3000, '\0');
    QTest::newRow("zeros br") << QByteArray("br") << bytes(brotli(binary)) << bytes(binary)
                              << QByteArray("br");
}

void ContentDecodingTest::decodes()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, codings);
    const auto r = decodeContent(str(body), str(encoding));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(bytes(r->bytes), expected);
    QCOMPARE(joined(r->codings), codings);
    QVERIFY(!r->truncated);
}

void ContentDecodingTest::emptyBody_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<bool>("compressed");
    for (const char *e : {"", "identity", "gzip", "x-gzip", "deflate", "br", "zstd", "gzip, br"})
        QTest::newRow(*e ? e : "(none)")
            << QByteArray(e) << (*e && std::string_view(e) != "identity");
}

// An empty body decodes to nothing. The empty start of a body (completeInput false) is
// truncated under a compressed coding: its stream has not ended.
void ContentDecodingTest::emptyBody()
{
    QFETCH(QByteArray, encoding);
    QFETCH(bool, compressed);
    for (const bool complete : {true, false}) {
        const auto r = decodeContent("", str(encoding), {.completeInput = complete});
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->bytes, std::string());
        QCOMPARE(r->truncated, !complete && compressed);
    }
}

void ContentDecodingTest::unknownCoding_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("foo") << QByteArray("foo") << QByteArray("unknown content-coding 'foo'");
    QTest::newRow("in a chain") << QByteArray("gzip, Foo-Bar ")
                                << QByteArray("unknown content-coding 'Foo-Bar'");
    QTest::newRow("compress") << QByteArray("compress")
                              << QByteArray("unsupported content-coding 'compress' (Unix LZW)");
    QTest::newRow("x-compress") << QByteArray("x-compress")
                                << QByteArray("unsupported content-coding 'x-compress' (Unix LZW)");
    QTest::newRow("gzip;q=1") << QByteArray("gzip;q=1")
                              << QByteArray("unknown content-coding 'gzip;q=1'");
}

void ContentDecodingTest::unknownCoding()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, message);
    // Checked before any decoding: even an empty or valid body gives the error.
    for (const std::string &body : {std::string(), gzip("hello")}) {
        const auto r = decodeContent(body, str(encoding));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, std::string("codec.unknown-coding"));
        QCOMPARE(bytes(r.error().message), message);
    }
}

void ContentDecodingTest::corrupt_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("message");

    const std::string text = sampleText();
    QTest::newRow("not gzip at all")
        << QByteArray("gzip") << QByteArray("hello world")
        << QByteArray("corrupt gzip data at byte 2: incorrect header check");
    std::string badBlock = gzip(text);
    badBlock[10] = char(0xff); // first deflate block header: reserved block type 3
    QTest::newRow("gzip bad block type")
        << QByteArray("gzip") << bytes(badBlock)
        << QByteArray("corrupt gzip data at byte 11: invalid block type");
    std::string badCrc = gzip(text);
    badCrc[badCrc.size() - 6] ^= 0x55; // the CRC-32 in the trailer
    QTest::newRow("gzip bad crc") << QByteArray("gzip") << bytes(badCrc)
                                  << bytes("corrupt gzip data at byte "
                                           + std::to_string(badCrc.size() - 4)
                                           + ": incorrect data check");
    std::string badAdler = zlibCompress(text, MAX_WBITS);
    badAdler.back() ^= 0x55;
    QTest::newRow("deflate bad adler")
        << QByteArray("deflate") << bytes(badAdler)
        << bytes("corrupt deflate data at byte " + std::to_string(badAdler.size())
                 + ": incorrect data check");
    QTest::newRow("br garbage") << QByteArray("br") << QByteArray("\xff\xff\xff\xff\xff\xff")
                                << QByteArray("corrupt br data at byte 1: padding 2");
    QTest::newRow("zstd garbage") << QByteArray("zstd") << QByteArray("hello world")
                                  << QByteArray(
                                         "corrupt zstd data at byte 0: Unknown frame descriptor");
    // In a chain the offset counts in that stage's input, which the message names.
    QTest::newRow("gzip inside br")
        << QByteArray("gzip, br") << bytes(brotli("hello world"))
        << QByteArray("corrupt gzip data at byte 2 of the br-decoded data: incorrect header check");
}

void ContentDecodingTest::corrupt()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, message);
    const auto r = decodeContent(str(body), str(encoding));
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, std::string("codec.corrupt"));
    QCOMPARE(bytes(r.error().message), message);
}

void ContentDecodingTest::cutShort_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("body");
    const std::string text = sampleText();
    QTest::newRow("gzip") << QByteArray("gzip") << bytes(gzip(text));
    QTest::newRow("deflate") << QByteArray("deflate") << bytes(zlibCompress(text, MAX_WBITS));
    QTest::newRow("raw deflate") << QByteArray("deflate") << bytes(zlibCompress(text, -MAX_WBITS));
    QTest::newRow("br") << QByteArray("br") << bytes(brotli(text));
    QTest::newRow("zstd") << QByteArray("zstd") << bytes(zstd(text));
    QTest::newRow("gzip, zstd") << QByteArray("gzip, zstd") << bytes(zstd(gzip(text)));
}

// A complete body that stops mid-stream is an error naming where it stopped.
void ContentDecodingTest::cutShort()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    const std::string whole = str(body);
    const std::string coding = str(encoding).substr(0, str(encoding).find(','));
    for (const std::size_t keep : {whole.size() / 2, whole.size() - 1}) {
        const auto r = decodeContent(whole.substr(0, keep), str(encoding));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, std::string("codec.truncated"));
        if (str(encoding).find(',') == std::string::npos) {
            QCOMPARE(r.error().message, coding + " data ends at byte " + std::to_string(keep)
                                            + " before the end of its stream");
        }
    }
}

void ContentDecodingTest::partialInput_data()
{
    cutShort_data();
}

// The start of a body (completeInput false) decodes to the start of the text.
void ContentDecodingTest::partialInput()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    const std::string whole = str(body);
    const std::string text = sampleText();
    for (const std::size_t keep : {std::size_t(0), whole.size() / 2, whole.size() - 1}) {
        const auto r
            = decodeContent(whole.substr(0, keep), str(encoding), {.completeInput = false});
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        // One byte short of a gzip trailer, all the text may be out already.
        QVERIFY(r->bytes.size() <= text.size());
        QCOMPARE(r->bytes, text.substr(0, r->bytes.size()));
        QVERIFY(r->truncated);
    }
    // All of it, still flagged incomplete by the caller: the stream ends, so nothing is missing.
    const auto r = decodeContent(whole, str(encoding), {.completeInput = false});
    QVERIFY(r.ok());
    QCOMPARE(r->bytes, text);
    QVERIFY(!r->truncated);
}

void ContentDecodingTest::bombDefaultLimit_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("body");
    // 80 MiB of zeros: gzip makes ~80 KiB of it, zstd a few KiB, brotli a few bytes.
    const std::string zeros(80u << 20, '\0');
    QTest::newRow("gzip") << QByteArray("gzip") << bytes(gzip(zeros));
    QTest::newRow("zstd") << QByteArray("zstd") << bytes(zstd(zeros, 1));
    QTest::newRow("br") << QByteArray("br") << bytes(brotli(zeros, 1));
}

void ContentDecodingTest::bombDefaultLimit()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    QVERIFY(body.size() < 1 << 20);
    const auto r = decodeContent(str(body), str(encoding));
    QVERIFY(r.ok());
    QVERIFY(r->truncated);
    QCOMPARE(r->bytes.size(), kDefaultMaxDecodedBytes);
    QVERIFY(r->bytes.find_first_not_of('\0') == std::string::npos);
}

void ContentDecodingTest::bombSmallLimit_data()
{
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("body");
    const std::string zeros(4u << 20, '\0');
    QTest::newRow("identity") << QByteArray("identity") << bytes(zeros);
    QTest::newRow("gzip") << QByteArray("gzip") << bytes(gzip(zeros));
    QTest::newRow("deflate") << QByteArray("deflate") << bytes(zlibCompress(zeros, MAX_WBITS));
    QTest::newRow("br") << QByteArray("br") << bytes(brotli(zeros));
    QTest::newRow("zstd") << QByteArray("zstd") << bytes(zstd(zeros));
    QTest::newRow("gzip, br") << QByteArray("gzip, br") << bytes(brotli(gzip(zeros)));
}

void ContentDecodingTest::bombSmallLimit()
{
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, body);
    for (const std::size_t limit : {std::size_t(0), std::size_t(1), std::size_t(100000)}) {
        const auto r = decodeContent(str(body), str(encoding), {.maxOutput = limit});
        QVERIFY(r.ok());
        QVERIFY(r->truncated);
        // In a chain the bound cuts the inner stage too, so the outer one may yield less.
        if (encoding.contains(','))
            QVERIFY(r->bytes.size() <= limit);
        else
            QCOMPARE(r->bytes.size(), limit);
        QVERIFY(r->bytes.find_first_not_of('\0') == std::string::npos);
    }
}

void ContentDecodingTest::exactlyAtLimit()
{
    const std::string text = sampleText(100000);
    for (const auto &[encoding, body] :
         std::vector<std::pair<std::string, std::string>>{{"identity", text},
                                                          {"gzip", gzip(text)},
                                                          {"br", brotli(text)},
                                                          {"zstd", zstd(text)}}) {
        const auto fits = decodeContent(body, encoding, {.maxOutput = text.size()});
        QVERIFY(fits.ok());
        QVERIFY2(!fits->truncated, encoding.c_str());
        QCOMPARE(fits->bytes, text);
        const auto over = decodeContent(body, encoding, {.maxOutput = text.size() - 1});
        QVERIFY(over.ok());
        QVERIFY2(over->truncated, encoding.c_str());
        QCOMPARE(over->bytes, text.substr(0, text.size() - 1));
    }
}

// The inner output of a chain is bounded too: the outer coding gets a prefix of it and
// decodes what it can, without an error.
void ContentDecodingTest::chainStageIsBounded()
{
    const std::string text = sampleText(1 << 20);
    const auto r = decodeContent(brotli(gzip(text)), "gzip, br", {.maxOutput = 1000});
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QVERIFY(r->truncated);
    QVERIFY(r->bytes.size() <= 1000);
    QCOMPARE(r->bytes, text.substr(0, r->bytes.size()));
}

void ContentDecodingTest::gzipMembersAndTrailingBytes()
{
    const auto two = decodeContent(gzip("hello, ") + gzip("world"), "gzip");
    QVERIFY(two.ok());
    QCOMPARE(two->bytes, std::string("hello, world"));

    const auto trailing = decodeContent(gzip("hello") + "\r\n\r\ngarbage", "gzip");
    QVERIFY(trailing.ok());
    QCOMPARE(trailing->bytes, std::string("hello"));

    const auto brTrailing = decodeContent(brotli("hello") + "garbage", "br");
    QVERIFY(brTrailing.ok());
    QCOMPARE(brTrailing->bytes, std::string("hello"));

    // The start of a body that ends on the first byte of another member's magic: maybe more.
    const auto halfMagic = decodeContent(gzip("hello") + "\x1f", "gzip", {.completeInput = false});
    QVERIFY(halfMagic.ok());
    QCOMPARE(halfMagic->bytes, std::string("hello"));
    QVERIFY(halfMagic->truncated);
    const auto wholeHalfMagic = decodeContent(gzip("hello") + "\x1f", "gzip");
    QVERIFY(wholeHalfMagic.ok());
    QVERIFY(!wholeHalfMagic->truncated);

    // A second member that is itself broken is an error.
    std::string broken = gzip("world");
    broken[10] = char(0xff);
    const auto bad = decodeContent(gzip("hello") + broken, "gzip");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, std::string("codec.corrupt"));
}

void ContentDecodingTest::zstdFramesAndTrailingBytes()
{
    const auto two = decodeContent(zstd("hello, ") + zstd("world"), "zstd");
    QVERIFY(two.ok());
    QCOMPARE(two->bytes, std::string("hello, world"));

    const std::string one = zstd("hello");
    const auto trailing = decodeContent(one + "garbage", "zstd");
    QVERIFY(!trailing.ok());
    QCOMPARE(trailing.error().message, "corrupt zstd data at byte " + std::to_string(one.size())
                                           + ": Unknown frame descriptor");
}

void ContentDecodingTest::zstdWindowLimit()
{
    const std::string text = sampleText();
    const auto fits = decodeContent(zstdWithWindow(text, 23), "zstd");
    QVERIFY2(fits.ok(), fits.ok() ? "" : fits.error().message.c_str());
    QCOMPARE(fits->bytes, text);
    const auto tooBig = decodeContent(zstdWithWindow(text, 24), "zstd");
    QVERIFY(!tooBig.ok());
    QCOMPARE(tooBig.error().message,
             std::string("corrupt zstd data at byte 0: the frame needs a window over 8 MiB"));
}

QTEST_APPLESS_MAIN(ContentDecodingTest)

#include "content_decoding_test.moc"
