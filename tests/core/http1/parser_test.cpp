// Transcript tests for the HTTP/1.1 request and response parsers: each row feeds bytes and
// compares the exact events (one line each) with the expected transcript, then checks that
// every two-piece split and byte-at-a-time feeding give the same transcript.

#include "core/http1/parser.h"

#include <QObject>
#include <QTest>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

using namespace ts;
using namespace ts::http1;

namespace {

// Bytes of a string literal, embedded NULs included.
template<std::size_t N>
QByteArray raw(const char (&s)[N])
{
    return QByteArray(s, static_cast<qsizetype>(N - 1));
}

QStringList lines(std::initializer_list<const char *> l)
{
    QStringList out;
    for (const char *s : l)
        out << QString::fromUtf8(s);
    return out;
}

QByteArray repeated(char c, qsizetype n)
{
    return QByteArray(n, c);
}

// Printable ASCII as is, the rest escaped; long text shortened to its size and a hash so that
// transcripts of big inputs stay readable yet still compare exactly.
QString escaped(std::string_view data)
{
    if (data.size() > 64) {
        // FNV-style over 8-byte words: the split checks hash every long value many times.
        std::uint64_t h = 14695981039346656037u;
        std::size_t i = 0;
        for (; i + 8 <= data.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, data.data() + i, 8);
            h = (h ^ word) * 1099511628211u;
        }
        for (; i < data.size(); ++i)
            h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211u;
        return QStringLiteral("[%1 bytes %2]")
            .arg(data.size())
            .arg(static_cast<quint32>(h ^ (h >> 32)), 8, 16, QLatin1Char('0'));
    }
    QString out;
    for (const char c : data) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r')
            out += QStringLiteral("\\r");
        else if (c == '\n')
            out += QStringLiteral("\\n");
        else if (c == '\t')
            out += QStringLiteral("\\t");
        else if (c == '"' || c == '\\')
            out += QLatin1Char('\\') + QLatin1Char(c);
        else if (u < 0x20 || u >= 0x7f)
            out += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        else
            out += QLatin1Char(c);
    }
    return out;
}

QString headersText(const Headers &headers)
{
    QStringList fields;
    for (const Header &h : headers)
        fields << escaped(h.name) + QStringLiteral(": ") + escaped(h.value);
    return QLatin1Char('{') + fields.join(QStringLiteral(" | ")) + QLatin1Char('}');
}

QString framingText(BodyFraming framing, std::uint64_t contentLength)
{
    switch (framing) {
    case BodyFraming::None:
        break;
    case BodyFraming::ContentLength:
        return QStringLiteral("cl=%1").arg(contentLength);
    case BodyFraming::Chunked:
        return QStringLiteral("chunked");
    case BodyFraming::UntilClose:
        return QStringLiteral("until-close");
    }
    // A stray length with another framing would show up here.
    return contentLength ? QStringLiteral("none(cl=%1)").arg(contentLength)
                         : QStringLiteral("none");
}

QString versionString(Version v)
{
    return QString::fromLatin1(versionText(v));
}

QString describe(const RequestHeadEvent &e)
{
    return QStringLiteral("head %1 %2 %3 %4 %5%6 wire=%7 %8")
        .arg(escaped(e.head.method), escaped(e.head.target), versionString(e.head.version),
             framingText(e.framing, e.contentLength),
             e.keepAlive ? QStringLiteral("keep-alive") : QStringLiteral("close"),
             e.expectContinue ? QStringLiteral(" 100-continue") : QString())
        .arg(e.wireSize)
        .arg(headersText(e.head.headers));
}

QString describe(const ResponseHeadEvent &e)
{
    return QStringLiteral("head %1 %2 \"%3\" %4 %5%6 wire=%7 %8")
        .arg(versionString(e.head.version))
        .arg(e.head.status)
        .arg(escaped(e.head.reason), framingText(e.framing, e.contentLength),
             e.keepAlive ? QStringLiteral("keep-alive") : QStringLiteral("close"),
             e.informational ? QStringLiteral(" informational") : QString())
        .arg(e.wireSize)
        .arg(headersText(e.head.headers));
}

// Feeds `pieces` the way a connection does: each piece is fed as it arrives; after a
// MessageEnd the rest is fed again at once; bytes the parser leaves (after an error or an
// upgrade) are kept in front of the next piece. Returns one line per event, adjacent BodyData
// merged, with the stream offset after each MessageEnd/ParseError, and a final summary line.
// Contract violations (empty or copied BodyData, events after an error, MessageEnd not last
// in its feed, consuming more than given) become lines that no expectation contains.
template<typename Parser, typename Event>
QStringList transcript(Parser &parser, const std::vector<std::string_view> &pieces, bool eof)
{
    QStringList out;
    std::string body;
    std::size_t offset = 0;
    bool errored = false;
    auto flushBody = [&] {
        if (!body.empty())
            out << QStringLiteral("body \"%1\"").arg(escaped(body));
        body.clear();
    };
    auto take = [&](const std::vector<Event> &events, std::string_view input) {
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event &event = events[i];
            if (errored)
                out << QStringLiteral("VIOLATION: event after ParseError");
            const bool last = i + 1 == events.size();
            if (const auto *b = std::get_if<BodyData>(&event)) {
                if (b->data.empty())
                    out << QStringLiteral("VIOLATION: empty BodyData");
                if (b->data.data() < input.data()
                    || b->data.data() + b->data.size() > input.data() + input.size())
                    out << QStringLiteral("VIOLATION: BodyData outside the input");
                body.append(b->data);
                continue;
            }
            flushBody();
            std::visit(
                [&](const auto &e) {
                    using T = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<
                                      T,
                                      RequestHeadEvent> || std::is_same_v<T, ResponseHeadEvent>) {
                        out << describe(e);
                    } else if constexpr (std::is_same_v<T, TrailersEvent>) {
                        out << QStringLiteral("trailers ") + headersText(e.trailers);
                    } else if constexpr (std::is_same_v<T, MessageEnd>) {
                        out << QStringLiteral("end wire=%1 @%2").arg(e.wireSize).arg(offset);
                        if (!last)
                            out << QStringLiteral("VIOLATION: feed went on after MessageEnd");
                    } else if constexpr (std::is_same_v<T, ParseError>) {
                        out << QStringLiteral("error %1 \"%2\" @%3")
                                   .arg(e.status)
                                   .arg(QString::fromStdString(e.reason))
                                   .arg(offset);
                        errored = true;
                    }
                },
                event);
        }
    };

    std::string leftover;
    for (const std::string_view piece : pieces) {
        std::string_view input = piece;
        if (!leftover.empty()) {
            leftover.append(piece);
            input = leftover;
        }
        while (!input.empty()) {
            std::vector<Event> events;
            const std::size_t n = parser.feed(input, events);
            if (n > input.size())
                out << QStringLiteral("VIOLATION: consumed more than given");
            offset += n;
            take(events, input);
            input.remove_prefix(std::min(n, input.size()));
            if (n == 0)
                break;
        }
        leftover = std::string(input); // copy first: input may point into leftover
    }
    if (eof) {
        std::vector<Event> events;
        parser.feedEof(events);
        take(events, {});
    }
    flushBody();
    QString state;
    if (parser.failed())
        state = QStringLiteral("failed");
    else if constexpr (std::is_same_v<Parser, ResponseParser>)
        state = parser.upgraded() ? QStringLiteral("upgraded") : QString();
    if (state.isEmpty())
        state = parser.idle() ? QStringLiteral("idle") : QStringLiteral("busy");
    out << QStringLiteral("done consumed=%1 %2").arg(offset).arg(state);
    return out;
}

struct Setup
{
    Http1Limits limits;
    QList<QByteArray> methods; // response side: the requests being answered
};

QStringList run(const Setup &setup, bool response, const std::vector<std::string_view> &pieces,
                bool eof)
{
    if (response) {
        ResponseParser parser(setup.limits);
        for (const QByteArray &m : setup.methods)
            parser.expectResponseTo(std::string_view(m.constData(), m.size()));
        return transcript<ResponseParser, ResponseEvent>(parser, pieces, eof);
    }
    RequestParser parser(setup.limits);
    return transcript<RequestParser, RequestEvent>(parser, pieces, eof);
}

// Prints a transcript so that it can be pasted into a table after it has been checked by eye.
void dump(const QStringList &transcript)
{
    QString text = QStringLiteral("actual transcript:\n");
    for (const QString &line : transcript) {
        QString quoted = line;
        quoted.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
            .replace(QLatin1Char('"'), QStringLiteral("\\\""));
        text += QStringLiteral("    \"%1\",\n").arg(quoted);
    }
    qWarning("%s", qPrintable(text));
}

// The transcript for the whole input must match `expected`; every split into two pieces and
// feeding one byte at a time must give the same transcript.
void checkTranscript(const Setup &setup, bool response, const QByteArray &input, bool eof,
                     const QStringList &expected)
{
    const std::string_view all(input.constData(), static_cast<std::size_t>(input.size()));
    const QStringList whole = run(setup, response, {all}, eof);

    for (std::size_t k = 1; k < all.size(); ++k) {
        const QStringList split = run(setup, response, {all.substr(0, k), all.substr(k)}, eof);
        if (split != whole) {
            dump(split);
            QFAIL(qPrintable(QStringLiteral("split at %1 differs").arg(k)));
        }
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < all.size(); ++i)
        bytes.push_back(all.substr(i, 1));
    const QStringList byByte = run(setup, response, bytes, eof);
    if (byByte != whole)
        dump(byByte);
    QCOMPARE(byByte, whole);

    if (whole != expected)
        dump(whole);
    QCOMPARE(whole, expected);
}

// A request whose request line is exactly `size` bytes, CRLF included.
QByteArray requestLineOf(qsizetype size)
{
    const QByteArray fixed = "GET / HTTP/1.1\r\n";
    return "GET /" + repeated('a', size - fixed.size()) + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

// A request head of exactly `size` bytes: filler fields of about 4000 bytes take up the rest.
QByteArray headOf(qsizetype size)
{
    QByteArray head = "GET / HTTP/1.1\r\nHost: h\r\n";
    const qsizetype left = size - head.size() - 2;
    const qsizetype count = (left + 3999) / 4000;
    for (qsizetype i = 0; i < count; ++i) {
        const qsizetype line = left / count + (i < left % count ? 1 : 0);
        head += "X: " + repeated('v', line - 5) + "\r\n";
    }
    return head + "\r\n";
}

QByteArray fields(int count)
{
    QByteArray out;
    for (int i = 0; i < count; ++i)
        out += "F" + QByteArray::number(i) + ": v\r\n";
    return out;
}

} // namespace

class ParserTest final : public QObject
{
    Q_OBJECT

private slots:
    void requestTranscripts_data();
    void requestTranscripts();
    void responseTranscripts_data();
    void responseTranscripts();
    void smallLimits_data();
    void smallLimits();

    void feedStopsAtMessageEnd();
    void bodyIsNotCopied();
    void endlessLinesFailAtTheLimit_data();
    void endlessLinesFailAtTheLimit();
    void deadAfterError();
    void idleAndEof();
    void upgradedConsumesNothing();
    void methodsAnnouncedBetweenFeeds();
};

void ParserTest::requestTranscripts_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("eof");
    QTest::addColumn<QStringList>("expected");

    // clang-format off
    auto row = [](const char *name, const QByteArray &input, bool eof, const QStringList &expected) {
        QTest::newRow(name) << input << eof << expected;
    };
    const QByteArray get = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

    // --- framing ---
    row("no body", get, false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @27",
            "done consumed=27 idle",
        }));
    row("content-length body",
        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", false, lines({
            "head POST /a HTTP/1.1 cl=5 keep-alive wire=48 {Host: h | Content-Length: 5}",
            "body \"hello\"",
            "end wire=53 @53",
            "done consumed=53 idle",
        }));
    row("content-length zero",
        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", false, lines({
            "head POST /a HTTP/1.1 cl=0 keep-alive wire=48 {Host: h | Content-Length: 0}",
            "end wire=48 @48",
            "done consumed=48 idle",
        }));
    row("repeated identical content-length",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", false, lines({
            "head POST / HTTP/1.1 cl=3 keep-alive wire=66 {Host: h | Content-Length: 3 | Content-Length: 3}",
            "body \"abc\"",
            "end wire=69 @69",
            "done consumed=69 idle",
        }));
    row("comma-joined identical content-length",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3 , 3\r\n\r\nabc", false, lines({
            "head POST / HTTP/1.1 cl=3 keep-alive wire=51 {Host: h | Content-Length: 3 , 3}",
            "body \"abc\"",
            "end wire=54 @54",
            "done consumed=54 idle",
        }));
    row("largest content-length",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\nab", false, lines({
            "head POST / HTTP/1.1 cl=18446744073709551615 keep-alive wire=66 {Host: h | Content-Length: 18446744073709551615}",
            "body \"ab\"",
            "done consumed=68 busy",
        }));
    row("chunked body",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello world\"",
            "end wire=82 @82",
            "done consumed=82 idle",
        }));
    row("chunked, coding name case-insensitive, hex digits of both cases",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
        "a\r\n0123456789\r\n0A\r\n0123456789\r\n000\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: Chunked}",
            "body \"01234567890123456789\"",
            "end wire=94 @94",
            "done consumed=94 idle",
        }));
    row("chunk extensions",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value;flag\r\nhello\r\n1 ; a = \"q \\\"x\\\" ;\"\t;b\r\n!\r\n0;last\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello!\"",
            "end wire=119 @119",
            "done consumed=119 idle",
        }));
    row("chunked with trailers",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other:  two \r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"abc\"",
            "trailers {X-Sum: 1 | X-Other: two}",
            "end wire=95 @95",
            "done consumed=95 idle",
        }));
    row("empty list elements in transfer-encoding",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked,\r\n\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=59 {Host: h | Transfer-Encoding: , chunked,}",
            "end wire=64 @64",
            "done consumed=64 idle",
        }));
    row("empty lines before the request line",
        "\r\n\r\n" + get, false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @31",
            "done consumed=31 idle",
        }));
    row("field values: OWS trimmed, empty, obs-text, inner HTAB",
        "GET / HTTP/1.1\r\nHost: h\r\nA:  x  y \t\r\nB:\r\nC: caf\xc3\xa9\r\nD: a\tb\r\n\r\n", false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=61 {Host: h | A: x  y | B:  | C: caf\\xc3\\xa9 | D: a\\tb}",
            "end wire=61 @61",
            "done consumed=61 idle",
        }));
    row("absolute-form", "GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n", false, lines({
            "head GET http://example.com/x?y HTTP/1.1 none keep-alive wire=58 {Host: example.com}",
            "end wire=58 @58",
            "done consumed=58 idle",
        }));
    row("authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", false, lines({
            "head CONNECT example.com:443 HTTP/1.1 none keep-alive wire=59 {Host: example.com:443}",
            "end wire=59 @59",
            "done consumed=59 idle",
        }));
    row("asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "head OPTIONS * HTTP/1.1 none keep-alive wire=31 {Host: h}",
            "end wire=31 @31",
            "done consumed=31 idle",
        }));
    row("expect 100-continue",
        "PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head PUT /u HTTP/1.1 cl=2 keep-alive 100-continue wire=69 {Host: h | Expect: 100-Continue | Content-Length: 2}",
            "body \"ok\"",
            "end wire=71 @71",
            "done consumed=71 idle",
        }));
    row("expect ignored in HTTP/1.0",
        "PUT /u HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head PUT /u HTTP/1.0 cl=2 close wire=60 {Expect: 100-continue | Content-Length: 2}",
            "body \"ok\"",
            "end wire=62 @62",
            "done consumed=62 idle",
        }));

    // --- keep-alive ---
    row("1.1 persists by default", get, false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @27",
            "done consumed=27 idle",
        }));
    row("1.1 with Connection: close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, lines({
            "head GET / HTTP/1.1 none close wire=46 {Host: h | Connection: close}",
            "end wire=46 @46",
            "done consumed=46 idle",
        }));
    row("1.1 with close among other options",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n", false, lines({
            "head GET / HTTP/1.1 none close wire=58 {Host: h | Connection: keep-alive, Close}",
            "end wire=58 @58",
            "done consumed=58 idle",
        }));
    row("1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", false, lines({
            "head GET / HTTP/1.0 none close wire=18 {}",
            "end wire=18 @18",
            "done consumed=18 idle",
        }));
    row("1.0 with Connection: keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false, lines({
            "head GET / HTTP/1.0 none keep-alive wire=42 {Connection: Keep-Alive}",
            "end wire=42 @42",
            "done consumed=42 idle",
        }));

    // --- pipelining: the driver feeds the rest again after each MessageEnd ---
    row("pipelined requests",
        get + "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
            + "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nyo\r\n0\r\n\r\n" + get,
        false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @27",
            "head POST /p HTTP/1.1 cl=2 keep-alive wire=48 {Host: h | Content-Length: 2}",
            "body \"hi\"",
            "end wire=50 @77",
            "head POST /c HTTP/1.1 chunked keep-alive wire=57 {Host: h | Transfer-Encoding: chunked}",
            "body \"yo\"",
            "end wire=69 @146",
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @173",
            "done consumed=173 idle",
        }));
    row("CRLF after a body before the next request",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx\r\n" + get, false, lines({
            "head POST / HTTP/1.1 cl=1 keep-alive wire=47 {Host: h | Content-Length: 1}",
            "body \"x\"",
            "end wire=48 @48",
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @77",
            "done consumed=77 idle",
        }));

    // --- EOF ---
    row("eof between messages", get, true, lines({
            "head GET / HTTP/1.1 none keep-alive wire=27 {Host: h}",
            "end wire=27 @27",
            "done consumed=27 idle",
        }));
    row("eof mid head", "GET / HTTP/1.1\r\nHost:", true, lines({
            "error 400 \"connection closed before the request was complete\" @21",
            "done consumed=21 failed",
        }));
    row("eof mid body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel", true, lines({
            "head POST / HTTP/1.1 cl=5 keep-alive wire=47 {Host: h | Content-Length: 5}",
            "body \"hel\"",
            "error 400 \"connection closed before the request was complete\" @50",
            "done consumed=50 failed",
        }));
    row("eof mid chunked body",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello\"",
            "error 400 \"connection closed before the request was complete\" @66",
            "done consumed=66 failed",
        }));
    row("partial head without eof", "GET / HTTP/1.1\r\nHo", false, lines({
            "done consumed=18 busy",
        }));

    // --- framing errors ---
    row("content-length with transfer-encoding",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "error 400 \"both Content-Length and Transfer-Encoding\" @75",
            "done consumed=75 failed",
        }));
    row("differing content-length",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false, lines({
            "error 400 \"conflicting Content-Length values\" @66",
            "done consumed=66 failed",
        }));
    row("differing comma-joined content-length",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", false, lines({
            "error 400 \"conflicting Content-Length values\" @50",
            "done consumed=50 failed",
        }));
    row("non-numeric content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5a\r\n\r\n", false, lines({
            "error 400 \"invalid Content-Length\" @48",
            "done consumed=48 failed",
        }));
    row("signed content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", false, lines({
            "error 400 \"invalid Content-Length\" @48",
            "done consumed=48 failed",
        }));
    row("empty content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", false, lines({
            "error 400 \"invalid Content-Length\" @45",
            "done consumed=45 failed",
        }));
    row("empty element in content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\n", false, lines({
            "error 400 \"invalid Content-Length\" @48",
            "done consumed=48 failed",
        }));
    row("content-length overflow",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n", false, lines({
            "error 400 \"invalid Content-Length\" @66",
            "done consumed=66 failed",
        }));
    row("transfer-encoding not ending in chunked",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, lines({
            "error 400 \"Transfer-Encoding does not end in chunked\" @62",
            "done consumed=62 failed",
        }));
    row("transfer-encoding without chunked",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", false, lines({
            "error 400 \"Transfer-Encoding does not end in chunked\" @53",
            "done consumed=53 failed",
        }));
    row("chunked twice",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "error 400 \"chunked applied more than once\" @84",
            "done consumed=84 failed",
        }));
    row("unknown transfer coding before chunked",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, lines({
            "error 501 \"unsupported transfer coding\" @62",
            "done consumed=62 failed",
        }));
    row("empty transfer-encoding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", false, lines({
            "error 400 \"invalid Transfer-Encoding\" @48",
            "done consumed=48 failed",
        }));
    row("chunked with a parameter",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", false, lines({
            "error 400 \"invalid Transfer-Encoding\" @60",
            "done consumed=60 failed",
        }));
    row("transfer-encoding in HTTP/1.0",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "error 400 \"Transfer-Encoding in an HTTP/1.0 request\" @47",
            "done consumed=47 failed",
        }));

    // --- head syntax errors ---
    row("whitespace before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", false, lines({
            "error 400 \"whitespace before colon\" @26",
            "done consumed=26 failed",
        }));
    row("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", false, lines({
            "error 400 \"obsolete line folding\" @35",
            "done consumed=35 failed",
        }));
    row("whitespace before the first field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", false, lines({
            "error 400 \"whitespace before the first header field\" @26",
            "done consumed=26 failed",
        }));
    row("invalid method character", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"invalid method\" @16",
            "done consumed=16 failed",
        }));
    row("NUL in method", raw("GE\0T / HTTP/1.1\r\nHost: h\r\n\r\n"), false, lines({
            "error 400 \"invalid method\" @17",
            "done consumed=17 failed",
        }));
    row("invalid field name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n", false, lines({
            "error 400 \"invalid header field name\" @34",
            "done consumed=34 failed",
        }));
    row("empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: 1\r\n\r\n", false, lines({
            "error 400 \"invalid header field name\" @30",
            "done consumed=30 failed",
        }));
    row("missing colon", "GET / HTTP/1.1\r\nHost: h\r\nX\r\n\r\n", false, lines({
            "error 400 \"missing colon in header field\" @28",
            "done consumed=28 failed",
        }));
    row("CTL in field value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01" "b\r\n\r\n", false, lines({
            "error 400 \"invalid character in header field value\" @33",
            "done consumed=33 failed",
        }));
    row("DEL in field value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", false, lines({
            "error 400 \"invalid character in header field value\" @32",
            "done consumed=32 failed",
        }));
    row("NUL in field value", raw("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"), false, lines({
            "error 400 \"invalid character in header field value\" @33",
            "done consumed=33 failed",
        }));
    row("NUL in field name", raw("GET / HTTP/1.1\r\nHost: h\r\nX\0: b\r\n\r\n"), false, lines({
            "error 400 \"invalid header field name\" @32",
            "done consumed=32 failed",
        }));
    row("bare CR in a field line", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", false, lines({
            "error 400 \"bare CR\" @33",
            "done consumed=33 failed",
        }));
    row("bare CR before CRLF", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"bare CR\" @17",
            "done consumed=17 failed",
        }));
    row("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"bare CR\" @17",
            "done consumed=17 failed",
        }));
    row("bare LF ends the request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", false, lines({
            "error 400 \"line ending without CR\" @15",
            "done consumed=15 failed",
        }));
    row("bare LF ends a field line", "GET / HTTP/1.1\r\nHost: h\n\r\n", false, lines({
            "error 400 \"line ending without CR\" @24",
            "done consumed=24 failed",
        }));
    row("bare LF ends the head", "GET / HTTP/1.1\r\nHost: h\r\n\n", false, lines({
            "error 400 \"line ending without CR\" @26",
            "done consumed=26 failed",
        }));
    row("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", false, lines({
            "error 400 \"missing Host header\" @24",
            "done consumed=24 failed",
        }));
    row("repeated Host", "GET / HTTP/1.1\r\nHost: h\r\nhost: h\r\n\r\n", false, lines({
            "error 400 \"repeated Host header\" @36",
            "done consumed=36 failed",
        }));
    row("repeated Host in HTTP/1.0", "GET / HTTP/1.0\r\nHost: h\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"repeated Host header\" @36",
            "done consumed=36 failed",
        }));
    row("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", false, lines({
            "head GET / HTTP/1.0 none close wire=18 {}",
            "end wire=18 @18",
            "done consumed=18 idle",
        }));
    row("unknown version 1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"unsupported HTTP version\" @16",
            "done consumed=16 failed",
        }));
    row("unknown version 2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"unsupported HTTP version\" @16",
            "done consumed=16 failed",
        }));
    row("lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"unsupported HTTP version\" @16",
            "done consumed=16 failed",
        }));
    row("HTTP/0.9 request", "GET /\r\n\r\n", false, lines({
            "error 400 \"malformed request line\" @7",
            "done consumed=7 failed",
        }));
    row("extra space after method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"malformed request line\" @17",
            "done consumed=17 failed",
        }));
    row("extra space after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"malformed request line\" @17",
            "done consumed=17 failed",
        }));
    row("leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"malformed request line\" @17",
            "done consumed=17 failed",
        }));
    row("empty target", "GET  HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"empty request target\" @15",
            "done consumed=15 failed",
        }));
    row("HTAB in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"invalid character in request target\" @19",
            "done consumed=19 failed",
        }));
    row("CTL in target", "GET /a\x01" "b HTTP/1.1\r\nHost: h\r\n\r\n", false, lines({
            "error 400 \"invalid character in request target\" @19",
            "done consumed=19 failed",
        }));
    row("NUL in target", raw("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"), false, lines({
            "error 400 \"invalid character in request target\" @17",
            "done consumed=17 failed",
        }));

    // --- chunked body errors ---
    const QByteArray chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    row("non-hex chunk size", chunkedHead + "5g\r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @60",
            "done consumed=60 failed",
        }));
    row("empty chunk size", chunkedHead + "\r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @58",
            "done consumed=58 failed",
        }));
    row("signed chunk size", chunkedHead + "+5\r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @60",
            "done consumed=60 failed",
        }));
    row("chunk size overflow", chunkedHead + "10000000000000000\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @75",
            "done consumed=75 failed",
        }));
    row("largest chunk size", chunkedHead + "ffffffffffffffff\r\nab", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"ab\"",
            "done consumed=76 busy",
        }));
    row("whitespace after chunk size", chunkedHead + "5 \r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @60",
            "done consumed=60 failed",
        }));
    row("chunk extension without name", chunkedHead + "5;\r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @60",
            "done consumed=60 failed",
        }));
    row("chunk extension with unterminated quote", chunkedHead + "5;a=\"x\r\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid chunk size line\" @64",
            "done consumed=64 failed",
        }));
    row("chunk size line too long",
        chunkedHead + "1;a=" + repeated('x', 5000) + "\r\nx\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"chunk size line too long\" @4153",
            "done consumed=4153 failed",
        }));
    row("missing CRLF after chunk data", chunkedHead + "5\r\nhelloX\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello\"",
            "error 400 \"missing CRLF after chunk data\" @65",
            "done consumed=65 failed",
        }));
    row("CR without LF after chunk data", chunkedHead + "5\r\nhello\rX0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello\"",
            "error 400 \"missing CRLF after chunk data\" @66",
            "done consumed=66 failed",
        }));
    row("bare LF after chunk data", chunkedHead + "5\r\nhello\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"hello\"",
            "error 400 \"missing CRLF after chunk data\" @65",
            "done consumed=65 failed",
        }));
    row("bare LF after chunk size", chunkedHead + "5\nhello\r\n0\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"line ending without CR\" @58",
            "done consumed=58 failed",
        }));
    row("invalid trailer field", chunkedHead + "0\r\nX y: 1\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"invalid header field name\" @67",
            "done consumed=67 failed",
        }));
    row("obs-fold in trailers", chunkedHead + "0\r\nX: 1\r\n 2\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"obsolete line folding\" @69",
            "done consumed=69 failed",
        }));

    // --- limits (defaults) ---
    row("request line at the limit", requestLineOf(8192), false, lines({
            "head GET [8177 bytes 306b34ac] HTTP/1.1 none keep-alive wire=8203 {Host: h}",
            "end wire=8203 @8203",
            "done consumed=8203 idle",
        }));
    row("request line one byte over the limit", requestLineOf(8193), false, lines({
            "error 414 \"request line too long\" @8193",
            "done consumed=8193 failed",
        }));
    row("head at the limit", headOf(65536), false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=65536 {Host: h | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3849 bytes 527de70e] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a] | X: [3848 bytes 56c7ee7a]}",
            "end wire=65536 @65536",
            "done consumed=65536 idle",
        }));
    row("head one byte over the limit", headOf(65537), false, lines({
            "error 431 \"header section too long\" @65537",
            "done consumed=65537 failed",
        }));
    row("100 fields", "GET / HTTP/1.1\r\nHost: h\r\n" + fields(99) + "\r\n", false, lines({
            "head GET / HTTP/1.1 none keep-alive wire=809 {Host: h | F0: v | F1: v | F2: v | F3: v | F4: v | F5: v | F6: v | F7: v | F8: v | F9: v | F10: v | F11: v | F12: v | F13: v | F14: v | F15: v | F16: v | F17: v | F18: v | F19: v | F20: v | F21: v | F22: v | F23: v | F24: v | F25: v | F26: v | F27: v | F28: v | F29: v | F30: v | F31: v | F32: v | F33: v | F34: v | F35: v | F36: v | F37: v | F38: v | F39: v | F40: v | F41: v | F42: v | F43: v | F44: v | F45: v | F46: v | F47: v | F48: v | F49: v | F50: v | F51: v | F52: v | F53: v | F54: v | F55: v | F56: v | F57: v | F58: v | F59: v | F60: v | F61: v | F62: v | F63: v | F64: v | F65: v | F66: v | F67: v | F68: v | F69: v | F70: v | F71: v | F72: v | F73: v | F74: v | F75: v | F76: v | F77: v | F78: v | F79: v | F80: v | F81: v | F82: v | F83: v | F84: v | F85: v | F86: v | F87: v | F88: v | F89: v | F90: v | F91: v | F92: v | F93: v | F94: v | F95: v | F96: v | F97: v | F98: v}",
            "end wire=809 @809",
            "done consumed=809 idle",
        }));
    row("101 fields", "GET / HTTP/1.1\r\nHost: h\r\n" + fields(100) + "\r\n", false, lines({
            "error 431 \"too many header fields\" @815",
            "done consumed=815 failed",
        }));
    row("trailers over the limit",
        chunkedHead + "0\r\nT: " + repeated('t', 16 * 1024) + "\r\n\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 431 \"trailer section too long\" @16444",
            "done consumed=16444 failed",
        }));
    row("101 trailer fields", chunkedHead + "0\r\n" + fields(101) + "\r\n", false, lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 431 \"too many trailer fields\" @858",
            "done consumed=858 failed",
        }));
    // clang-format on
}

void ParserTest::requestTranscripts()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, eof);
    QFETCH(QStringList, expected);
    checkTranscript(Setup{}, false, input, eof, expected);
}

void ParserTest::responseTranscripts_data()
{
    QTest::addColumn<QByteArray>("methods");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("eof");
    QTest::addColumn<QStringList>("expected");

    // clang-format off
    auto row = [](const char *name, const QByteArray &methods, const QByteArray &input, bool eof,
                  const QStringList &expected) {
        QTest::newRow(name) << methods << input << eof << expected;
    };
    const QByteArray ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    // --- framing ---
    row("content-length", "GET", ok, false, lines({
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @40",
            "done consumed=40 idle",
        }));
    row("chunked with extension and trailers", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
        false, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=47 {Transfer-Encoding: chunked}",
            "body \"Wikipedia\"",
            "trailers {Expires: never}",
            "end wire=91 @91",
            "done consumed=91 idle",
        }));
    row("close-delimited, ended by eof", "GET", "HTTP/1.1 200 OK\r\n\r\nuntil the end", true, lines({
            "head HTTP/1.1 200 \"OK\" until-close close wire=19 {}",
            "body \"until the end\"",
            "end wire=32 @32",
            "done consumed=32 idle",
        }));
    row("close-delimited without eof yet", "GET", "HTTP/1.1 200 OK\r\n\r\nmore", false, lines({
            "head HTTP/1.1 200 \"OK\" until-close close wire=19 {}",
            "body \"more\"",
            "done consumed=23 busy",
        }));
    row("close-delimited, empty body", "GET", "HTTP/1.1 200 OK\r\n\r\n", true, lines({
            "head HTTP/1.1 200 \"OK\" until-close close wire=19 {}",
            "end wire=19 @19",
            "done consumed=19 idle",
        }));
    row("HTTP/1.0 close-delimited", "GET", "HTTP/1.0 200 OK\r\n\r\nold", true, lines({
            "head HTTP/1.0 200 \"OK\" until-close close wire=19 {}",
            "body \"old\"",
            "end wire=22 @22",
            "done consumed=22 idle",
        }));
    row("transfer-encoding not ending in chunked is close-delimited", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b...", true, lines({
            "head HTTP/1.1 200 \"OK\" until-close close wire=44 {Transfer-Encoding: gzip}",
            "body \"\\x1f\\x8b...\"",
            "end wire=49 @49",
            "done consumed=49 idle",
        }));
    row("other codings before chunked", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=53 {Transfer-Encoding: gzip, chunked}",
            "body \"\\x1f\\x8b\"",
            "end wire=65 @65",
            "done consumed=65 idle",
        }));
    row("HEAD: content-length but no body", "HEAD",
        "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" none keep-alive wire=41 {Content-Length: 1234}",
            "end wire=41 @41",
            "done consumed=41 idle",
        }));
    row("HEAD: chunked but no body", "HEAD",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" none keep-alive wire=47 {Transfer-Encoding: chunked}",
            "end wire=47 @47",
            "done consumed=47 idle",
        }));
    row("HEAD: framing fields are not checked", "HEAD",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" none keep-alive wire=85 {Content-Length: 1 | Content-Length: 2 | Transfer-Encoding: chunked}",
            "end wire=85 @85",
            "done consumed=85 idle",
        }));
    row("204 has no body", "DELETE", "HTTP/1.1 204 No Content\r\n\r\n", false, lines({
            "head HTTP/1.1 204 \"No Content\" none keep-alive wire=27 {}",
            "end wire=27 @27",
            "done consumed=27 idle",
        }));
    row("304 with content-length has no body", "GET",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false, lines({
            "head HTTP/1.1 304 \"Not Modified\" none keep-alive wire=49 {Content-Length: 99}",
            "end wire=49 @49",
            "done consumed=49 idle",
        }));
    row("empty lines before the status line", "GET", "\r\n\n" + ok, false, lines({
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @43",
            "done consumed=43 idle",
        }));

    // --- interim responses ---
    row("100-continue then 200", "POST",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head HTTP/1.1 100 \"Continue\" none keep-alive informational wire=25 {}",
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @65",
            "done consumed=65 idle",
        }));
    row("103 early hints then 200", "GET",
        "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + ok, false, lines({
            "head HTTP/1.1 103 \"Early Hints\" none keep-alive informational wire=57 {Link: </s.css>; rel=preload}",
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @97",
            "done consumed=97 idle",
        }));
    row("several 1xx before the final response", "GET",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n" + ok,
        false, lines({
            "head HTTP/1.1 100 \"Continue\" none keep-alive informational wire=25 {}",
            "head HTTP/1.1 102 \"Processing\" none keep-alive informational wire=27 {}",
            "head HTTP/1.1 103 \"Early Hints\" none keep-alive informational wire=28 {}",
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @120",
            "done consumed=120 idle",
        }));
    row("1xx content-length is ignored", "GET",
        "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n" + ok, false, lines({
            "head HTTP/1.1 100 \"Continue\" none keep-alive informational wire=44 {Content-Length: 5}",
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @84",
            "done consumed=84 idle",
        }));
    row("eof after a 1xx", "GET", "HTTP/1.1 100 Continue\r\n\r\n", true, lines({
            "head HTTP/1.1 100 \"Continue\" none keep-alive informational wire=25 {}",
            "error 502 \"connection closed before the response was complete\" @25",
            "done consumed=25 failed",
        }));

    // --- upgrades and tunnels: the parser stops at the end of the head ---
    row("101 switching protocols", "GET",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
        false, lines({
            "head HTTP/1.1 101 \"Switching Protocols\" none keep-alive wire=77 {Upgrade: websocket | Connection: Upgrade}",
            "end wire=77 @77",
            "done consumed=77 upgraded",
        }));
    row("CONNECT 200", "CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01", false, lines({
            "head HTTP/1.1 200 \"Connection established\" none keep-alive wire=39 {}",
            "end wire=39 @39",
            "done consumed=39 upgraded",
        }));
    row("CONNECT 2xx ignores framing fields", "CONNECT",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nabc", false, lines({
            "head HTTP/1.1 200 \"OK\" none keep-alive wire=66 {Content-Length: 5 | Transfer-Encoding: chunked}",
            "end wire=66 @66",
            "done consumed=66 upgraded",
        }));
    row("CONNECT refused has a body", "CONNECT",
        "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny", false, lines({
            "head HTTP/1.1 407 \"Proxy Authentication Required\" cl=4 keep-alive wire=65 {Content-Length: 4}",
            "body \"deny\"",
            "end wire=69 @69",
            "done consumed=69 idle",
        }));

    // --- pipelining and keep-alive ---
    row("pipelined responses with a HEAD in the middle", "GET HEAD GET",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthird\r\n0\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" cl=5 keep-alive wire=38 {Content-Length: 5}",
            "body \"first\"",
            "end wire=43 @43",
            "head HTTP/1.1 200 \"OK\" none keep-alive wire=38 {Content-Length: 5}",
            "end wire=38 @81",
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=47 {Transfer-Encoding: chunked}",
            "body \"third\"",
            "end wire=62 @143",
            "done consumed=143 idle",
        }));
    row("1.1 with Connection: close", "GET",
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head HTTP/1.1 200 \"OK\" cl=2 close wire=57 {Connection: close | Content-Length: 2}",
            "body \"ok\"",
            "end wire=59 @59",
            "done consumed=59 idle",
        }));
    row("1.0 closes by default", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head HTTP/1.0 200 \"OK\" cl=2 close wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @40",
            "done consumed=40 idle",
        }));
    row("1.0 with keep-alive", "GET",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, lines({
            "head HTTP/1.0 200 \"OK\" cl=2 keep-alive wire=62 {Connection: keep-alive | Content-Length: 2}",
            "body \"ok\"",
            "end wire=64 @64",
            "done consumed=64 idle",
        }));
    row("1.0 with transfer-encoding does not persist", "GET",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        false, lines({
            "head HTTP/1.0 200 \"OK\" chunked close wire=71 {Connection: keep-alive | Transfer-Encoding: chunked}",
            "body \"ok\"",
            "end wire=83 @83",
            "done consumed=83 idle",
        }));

    // --- tolerated forms ---
    row("LF-only line endings", "GET", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, lines({
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=35 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=37 @37",
            "done consumed=37 idle",
        }));
    row("LF-only chunked", "GET",
        "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\nT: 1\n\n", false, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=44 {Transfer-Encoding: chunked}",
            "body \"ok\"",
            "trailers {T: 1}",
            "end wire=57 @57",
            "done consumed=57 idle",
        }));
    row("obs-fold becomes SP", "GET",
        "HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\tc \r\nY:\r\n z\r\nContent-Length: 0\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" cl=0 keep-alive wire=62 {X: a b c | Y: z | Content-Length: 0}",
            "end wire=62 @62",
            "done consumed=62 idle",
        }));
    row("empty reason", "GET", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"\" cl=0 keep-alive wire=36 {Content-Length: 0}",
            "end wire=36 @36",
            "done consumed=36 idle",
        }));
    row("no space after the status", "GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, lines({
            "head HTTP/1.1 200 \"\" cl=0 keep-alive wire=35 {Content-Length: 0}",
            "end wire=35 @35",
            "done consumed=35 idle",
        }));
    row("reason with spaces and obs-text", "GET",
        "HTTP/1.1 404 Not \xc3\xa0 Found \r\nContent-Length: 0\r\n\r\n", false, lines({
            "head HTTP/1.1 404 \"Not \\xc3\\xa0 Found \" cl=0 keep-alive wire=49 {Content-Length: 0}",
            "end wire=49 @49",
            "done consumed=49 idle",
        }));
    row("status 599", "GET", "HTTP/1.1 599 X\r\nContent-Length: 0\r\n\r\n", false, lines({
            "head HTTP/1.1 599 \"X\" cl=0 keep-alive wire=37 {Content-Length: 0}",
            "end wire=37 @37",
            "done consumed=37 idle",
        }));

    // --- errors: 502 ---
    row("content-length with transfer-encoding", "GET",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", false, lines({
            "error 502 \"both Content-Length and Transfer-Encoding\" @66",
            "done consumed=66 failed",
        }));
    row("differing content-length", "GET",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false, lines({
            "error 502 \"conflicting Content-Length values\" @57",
            "done consumed=57 failed",
        }));
    row("malformed content-length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", false, lines({
            "error 502 \"invalid Content-Length\" @40",
            "done consumed=40 failed",
        }));
    row("chunked twice", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", false, lines({
            "error 502 \"chunked applied more than once\" @56",
            "done consumed=56 failed",
        }));
    row("status below 100", "GET", "HTTP/1.1 099 Odd\r\n\r\n", false, lines({
            "error 502 \"invalid status code\" @18",
            "done consumed=18 failed",
        }));
    row("status above 599", "GET", "HTTP/1.1 600 Odd\r\n\r\n", false, lines({
            "error 502 \"invalid status code\" @18",
            "done consumed=18 failed",
        }));
    row("four-digit status", "GET", "HTTP/1.1 2000 OK\r\n\r\n", false, lines({
            "error 502 \"invalid status code\" @18",
            "done consumed=18 failed",
        }));
    row("non-digit status", "GET", "HTTP/1.1 2x0 OK\r\n\r\n", false, lines({
            "error 502 \"invalid status code\" @17",
            "done consumed=17 failed",
        }));
    row("missing status", "GET", "HTTP/1.1\r\n\r\n", false, lines({
            "error 502 \"malformed status line\" @10",
            "done consumed=10 failed",
        }));
    row("unknown version", "GET", "HTTP/2 200 OK\r\n\r\n", false, lines({
            "error 502 \"unsupported HTTP version\" @15",
            "done consumed=15 failed",
        }));
    row("not HTTP", "GET", "ICY 200 OK\r\n\r\n", false, lines({
            "error 502 \"malformed status line\" @12",
            "done consumed=12 failed",
        }));
    row("CTL in reason", "GET", "HTTP/1.1 200 O\x01K\r\n\r\n", false, lines({
            "error 502 \"invalid character in reason phrase\" @18",
            "done consumed=18 failed",
        }));
    row("response without a request", "", ok, false, lines({
            "error 502 \"response without a request\" @17",
            "done consumed=17 failed",
        }));
    row("more responses than requests", "GET", ok + ok, false, lines({
            "head HTTP/1.1 200 \"OK\" cl=2 keep-alive wire=38 {Content-Length: 2}",
            "body \"ok\"",
            "end wire=40 @40",
            "error 502 \"response without a request\" @57",
            "done consumed=57 failed",
        }));
    row("bare CR in the head", "GET", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", false, lines({
            "error 502 \"bare CR\" @25",
            "done consumed=25 failed",
        }));
    row("NUL in a field value", "GET", raw("HTTP/1.1 200 OK\r\nX: \0\r\n\r\n"), false, lines({
            "error 502 \"invalid character in header field value\" @23",
            "done consumed=23 failed",
        }));
    row("whitespace before colon", "GET", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", false, lines({
            "error 502 \"whitespace before colon\" @37",
            "done consumed=37 failed",
        }));
    row("whitespace before the first field", "GET", "HTTP/1.1 200 OK\r\n X: 1\r\n\r\n", false, lines({
            "error 502 \"whitespace before the first header field\" @24",
            "done consumed=24 failed",
        }));
    row("invalid chunk size", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=47 {Transfer-Encoding: chunked}",
            "error 502 \"invalid chunk size line\" @50",
            "done consumed=50 failed",
        }));
    row("missing CRLF after chunk data", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokk\r\n", false, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=47 {Transfer-Encoding: chunked}",
            "body \"ok\"",
            "error 502 \"missing CRLF after chunk data\" @53",
            "done consumed=53 failed",
        }));
    row("eof mid head", "GET", "HTTP/1.1 200 OK\r\nContent-Le", true, lines({
            "error 502 \"connection closed before the response was complete\" @27",
            "done consumed=27 failed",
        }));
    row("eof mid body", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true, lines({
            "head HTTP/1.1 200 \"OK\" cl=5 keep-alive wire=38 {Content-Length: 5}",
            "body \"ab\"",
            "error 502 \"connection closed before the response was complete\" @40",
            "done consumed=40 failed",
        }));
    row("eof mid chunked body", "GET",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true, lines({
            "head HTTP/1.1 200 \"OK\" chunked keep-alive wire=47 {Transfer-Encoding: chunked}",
            "body \"ab\"",
            "error 502 \"connection closed before the response was complete\" @52",
            "done consumed=52 failed",
        }));
    row("eof before any response", "GET", "", true, lines({
            "done consumed=0 idle",
        }));
    row("status line over the limit", "GET",
        "HTTP/1.1 200 " + repeated('r', 8192) + "\r\n\r\n", false, lines({
            "error 502 \"status line too long\" @8193",
            "done consumed=8193 failed",
        }));
    row("head over the limit", "GET",
        "HTTP/1.1 200 OK\r\n" + headOf(65537).mid(16) + "ok", false, lines({
            "error 502 \"header section too long\" @65537",
            "done consumed=65537 failed",
        }));
    row("101 fields", "GET", "HTTP/1.1 200 OK\r\n" + fields(101) + "\r\n", false, lines({
            "error 502 \"too many header fields\" @816",
            "done consumed=816 failed",
        }));
    // clang-format on
}

void ParserTest::responseTranscripts()
{
    QFETCH(QByteArray, methods);
    QFETCH(QByteArray, input);
    QFETCH(bool, eof);
    QFETCH(QStringList, expected);
    Setup setup;
    for (const QByteArray &m : methods.split(' ')) {
        if (!m.isEmpty())
            setup.methods << m;
    }
    checkTranscript(setup, true, input, eof, expected);
}

void ParserTest::smallLimits_data()
{
    QTest::addColumn<bool>("response");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("expected");

    // clang-format off
    auto row = [](const char *name, bool response, const QByteArray &input, const QStringList &expected) {
        QTest::newRow(name) << response << input << expected;
    };
    const QByteArray chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    row("request line at the limit", false, "GET /" + repeated('a', 16) + " HTTP/1.1\r\nHost: h\r\n\r\n", lines({
            "head GET /aaaaaaaaaaaaaaaa HTTP/1.1 none keep-alive wire=43 {Host: h}",
            "end wire=43 @43",
            "done consumed=43 idle",
        }));
    row("request line over the limit", false, "GET /" + repeated('a', 17) + " HTTP/1.1\r\nHost: h\r\n\r\n", lines({
            "error 414 \"request line too long\" @33",
            "done consumed=33 failed",
        }));
    row("status line over the limit", true, "HTTP/1.1 200 " + repeated('r', 18) + "\r\n\r\n", lines({
            "error 502 \"status line too long\" @33",
            "done consumed=33 failed",
        }));
    row("3 fields", false, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", lines({
            "head GET / HTTP/1.1 none keep-alive wire=39 {Host: h | A: 1 | B: 2}",
            "end wire=39 @39",
            "done consumed=39 idle",
        }));
    row("4 fields", false, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lines({
            "error 431 \"too many header fields\" @43",
            "done consumed=43 failed",
        }));
    row("folded lines are not fields", true, "HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n 3\r\n\r\n", lines({
            "head HTTP/1.1 200 \"OK\" until-close close wire=33 {A: 1 2 3}",
            "done consumed=33 busy",
        }));
    row("folded lines count as header bytes", true,
        "HTTP/1.1 200 OK\r\nA: 1\r\n" + repeated(' ', 40) + "2\r\n" + repeated(' ', 40) + "3\r\n\r\n", lines({
            "error 502 \"header section too long\" @97",
            "done consumed=97 failed",
        }));
    row("head at the limit", false, "GET / HTTP/1.1\r\nHost: h\r\nX: " + repeated('x', 64) + "\r\n\r\n", lines({
            "head GET / HTTP/1.1 none keep-alive wire=96 {Host: h | X: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}",
            "end wire=96 @96",
            "done consumed=96 idle",
        }));
    row("head over the limit", false, "GET / HTTP/1.1\r\nHost: h\r\nX: " + repeated('x', 65) + "\r\n\r\n", lines({
            "error 431 \"header section too long\" @97",
            "done consumed=97 failed",
        }));
    row("empty lines before the head do not count", false,
        "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nX: " + repeated('x', 64) + "\r\n\r\n", lines({
            "head GET / HTTP/1.1 none keep-alive wire=96 {Host: h | X: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}",
            "end wire=96 @102",
            "done consumed=102 idle",
        }));
    row("chunk line at the limit", false, chunked + "1;a=bc\r\nx\r\n0\r\n\r\n", lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "body \"x\"",
            "end wire=72 @72",
            "done consumed=72 idle",
        }));
    row("chunk line over the limit", false, chunked + "1;a=bcd\r\nx\r\n0\r\n\r\n", lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 400 \"chunk size line too long\" @65",
            "done consumed=65 failed",
        }));
    row("trailers at the limit", false, chunked + "0\r\nT: " + repeated('t', 17) + "\r\n\r\n", lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "trailers {T: ttttttttttttttttt}",
            "end wire=83 @83",
            "done consumed=83 idle",
        }));
    row("trailers over the limit", false, chunked + "0\r\nT: " + repeated('t', 18) + "\r\n\r\n", lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 431 \"trailer section too long\" @84",
            "done consumed=84 failed",
        }));
    row("4 trailer fields", false, chunked + "0\r\nA:\r\nB:\r\nC:\r\nD:\r\n\r\n", lines({
            "head POST / HTTP/1.1 chunked keep-alive wire=56 {Host: h | Transfer-Encoding: chunked}",
            "error 431 \"too many trailer fields\" @75",
            "done consumed=75 failed",
        }));
    // clang-format on
}

void ParserTest::smallLimits()
{
    QFETCH(bool, response);
    QFETCH(QByteArray, input);
    QFETCH(QStringList, expected);
    Setup setup;
    setup.limits.maxStartLine = 32;
    setup.limits.maxHeaderBytes = 96;
    setup.limits.maxHeaderCount = 3;
    setup.limits.maxChunkLineBytes = 8;
    setup.limits.maxTrailerBytes = 24;
    setup.methods = {"GET"};
    checkTranscript(setup, response, input, false, expected);
}

void ParserTest::feedStopsAtMessageEnd()
{
    const std::string first = "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string both = first + second;
    RequestParser parser;
    std::vector<RequestEvent> events;
    QCOMPARE(parser.feed(both, events), first.size());
    QCOMPARE(events.size(), 3u);
    QVERIFY(std::holds_alternative<MessageEnd>(events.back()));
    QCOMPARE(std::get<MessageEnd>(events.back()).wireSize, first.size());
    QVERIFY(parser.idle());

    events.clear();
    QCOMPARE(parser.feed(std::string_view(both).substr(first.size()), events), second.size());
    QCOMPARE(events.size(), 2u);
    QCOMPARE(std::get<RequestHeadEvent>(events.front()).head.target, std::string("/2"));
    QVERIFY(std::holds_alternative<MessageEnd>(events.back()));

    // Responses the same way, with the method queue advancing per message.
    const std::string r1 = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    const std::string r2 = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n";
    ResponseParser responses;
    responses.expectResponseTo("GET");
    responses.expectResponseTo("HEAD");
    std::vector<ResponseEvent> rEvents;
    QCOMPARE(responses.feed(r1 + r2, rEvents), r1.size());
    QCOMPARE(responses.feed(r2, rEvents), r2.size());
    QCOMPARE(rEvents.size(), 5u);
    QCOMPARE(std::get<ResponseHeadEvent>(rEvents[3]).framing, BodyFraming::None);
}

void ParserTest::bodyIsNotCopied()
{
    const std::string body(8 * 1024 * 1024, 'b');
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
                             + std::to_string(body.size()) + "\r\n\r\n";
    const std::string input = head + body;
    RequestParser parser;
    std::vector<RequestEvent> events;
    QCOMPARE(parser.feed(input, events), input.size());
    QCOMPARE(events.size(), 3u);
    const auto &data = std::get<BodyData>(events[1]).data;
    QCOMPARE(static_cast<const void *>(data.data()),
             static_cast<const void *>(input.data() + head.size()));
    QCOMPARE(data.size(), body.size());

    // A chunk is passed on as one view too, however big.
    const std::string chunkedInput
        = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(body) + lastChunk();
    ResponseParser responses;
    responses.expectResponseTo("GET");
    std::vector<ResponseEvent> rEvents;
    QCOMPARE(responses.feed(chunkedInput, rEvents), chunkedInput.size());
    QCOMPARE(rEvents.size(), 3u);
    const auto &chunkData = std::get<BodyData>(rEvents[1]).data;
    QCOMPARE(chunkData.size(), body.size());
    QCOMPARE(static_cast<const void *>(chunkData.data()),
             static_cast<const void *>(chunkedInput.data() + chunkedInput.find("\r\n\r\n") + 4
                                       + chunk(body).find('\n') + 1));
}

void ParserTest::endlessLinesFailAtTheLimit_data()
{
    QTest::addColumn<bool>("response");
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<qsizetype>("failsAt"); // stream offset of the first byte over the limit
    QTest::addColumn<int>("status");

    const QByteArray chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    const QByteArray chunkedResponse = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("request line") << false << QByteArray("GET /") << qsizetype(8193) << 414;
    QTest::newRow("header line") << false << QByteArray("GET / HTTP/1.1\r\nX: ") << qsizetype(65537)
                                 << 431;
    QTest::newRow("status line") << true << QByteArray("HTTP/1.1 200 ") << qsizetype(8193) << 502;
    QTest::newRow("response header line")
        << true << QByteArray("HTTP/1.1 200 OK\r\nX: ") << qsizetype(65537) << 502;
    QTest::newRow("chunk size line") << false << chunked + "1;a=" << chunked.size() + 4097 << 400;
    QTest::newRow("trailer line") << false << chunked + "0\r\nT: " << chunked.size() + 3 + 16385
                                  << 431;
    QTest::newRow("response trailer line")
        << true << chunkedResponse + "0\r\nT: " << chunkedResponse.size() + 3 + 16385 << 502;
}

void ParserTest::endlessLinesFailAtTheLimit()
{
    QFETCH(bool, response);
    QFETCH(QByteArray, prefix);
    QFETCH(qsizetype, failsAt);
    QFETCH(int, status);

    // The peer never sends a line ending: the parser must give up as soon as the line passes
    // its limit, not buffer what follows.
    RequestParser requests;
    ResponseParser responses;
    responses.expectResponseTo("GET");
    std::vector<RequestEvent> rqEvents;
    std::vector<ResponseEvent> rsEvents;
    auto feed = [&](std::string_view piece) {
        return response ? responses.feed(piece, rsEvents) : requests.feed(piece, rqEvents);
    };
    auto errorStatus = [&]() -> int {
        if (response) {
            const auto *e = rsEvents.empty() ? nullptr : std::get_if<ParseError>(&rsEvents.back());
            return e ? e->status : 0;
        }
        const auto *e = rqEvents.empty() ? nullptr : std::get_if<ParseError>(&rqEvents.back());
        return e ? e->status : 0;
    };

    QCOMPARE(feed(std::string_view(prefix.constData(), prefix.size())),
             static_cast<std::size_t>(prefix.size()));
    const std::string filler(1000, 'z');
    qsizetype offset = prefix.size();
    for (int i = 0; i < 1000 && errorStatus() == 0; ++i) {
        const std::size_t n = feed(filler);
        offset += static_cast<qsizetype>(n);
        if (errorStatus() == 0)
            QCOMPARE(n, filler.size());
    }
    QCOMPARE(errorStatus(), status);
    QCOMPARE(offset, failsAt);
    QCOMPARE(feed(filler), 0u);
}

void ParserTest::deadAfterError()
{
    RequestParser parser;
    std::vector<RequestEvent> events;
    const std::string bad = "GET / HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\nGET / HTTP/1.1\r\n";
    QCOMPARE(parser.feed(bad, events), bad.find("\r\n\r\n") + 2); // through the bad line
    QCOMPARE(events.size(), 1u);
    QCOMPARE(std::get<ParseError>(events[0]).status, 400);
    QVERIFY(parser.failed());
    QVERIFY(!parser.idle());
    events.clear();
    QCOMPARE(parser.feed(bad, events), 0u);
    parser.feedEof(events);
    QVERIFY(events.empty());

    ResponseParser responses;
    responses.expectResponseTo("GET");
    std::vector<ResponseEvent> rEvents;
    QCOMPARE(responses.feed("HTTP/1.1 999 No\r\n", rEvents), 17u);
    QCOMPARE(std::get<ParseError>(rEvents.at(0)).status, 502);
    QVERIFY(responses.failed());
    rEvents.clear();
    QCOMPARE(responses.feed("HTTP/1.1 200 OK\r\n\r\n", rEvents), 0u);
    responses.feedEof(rEvents);
    QVERIFY(rEvents.empty());
}

void ParserTest::idleAndEof()
{
    RequestParser parser;
    std::vector<RequestEvent> events;
    QVERIFY(parser.idle());
    parser.feedEof(events); // nothing sent at all
    QVERIFY(events.empty());
    QCOMPARE(parser.feed("\r\n", events), 2u); // an empty line before a request: still idle
    QVERIFY(parser.idle());
    QCOMPARE(parser.feed("G", events), 1u);
    QVERIFY(!parser.idle());
    QCOMPARE(parser.feed("ET / HTTP/1.1\r\nHost: h\r\n\r\n", events), 26u);
    QVERIFY(parser.idle());
    QCOMPARE(events.size(), 2u);

    ResponseParser responses;
    std::vector<ResponseEvent> rEvents;
    responses.expectResponseTo("POST");
    QVERIFY(responses.idle());
    responses.feed("HTTP/1.1 100 Continue\r\n\r\n", rEvents);
    QVERIFY(!responses.idle()); // the final response is still owed
    responses.feed("HTTP/1.1 204 No Content\r\n\r\n", rEvents);
    QVERIFY(responses.idle());
    responses.feedEof(rEvents);
    QCOMPARE(rEvents.size(), 3u);
}

void ParserTest::upgradedConsumesNothing()
{
    ResponseParser responses;
    responses.expectResponseTo("GET");
    responses.expectResponseTo("GET"); // pipelined behind the upgrade: never answered in HTTP
    std::vector<ResponseEvent> events;
    const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n";
    QCOMPARE(responses.feed(head + "PRI * HTTP/2.0", events), head.size());
    QVERIFY(responses.upgraded());
    QVERIFY(!responses.idle());
    QVERIFY(!responses.failed());
    QCOMPARE(events.size(), 2u);
    events.clear();
    QCOMPARE(responses.feed("HTTP/1.1 200 OK\r\n\r\n", events), 0u);
    responses.feedEof(events);
    QVERIFY(events.empty());
}

void ParserTest::methodsAnnouncedBetweenFeeds()
{
    ResponseParser responses;
    std::vector<ResponseEvent> events;
    responses.expectResponseTo("GET");
    const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    QCOMPARE(responses.feed(r, events), r.size());
    responses.expectResponseTo("HEAD");
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    QCOMPARE(responses.feed(head, events), head.size());
    QCOMPARE(events.size(), 5u);
    QCOMPARE(std::get<ResponseHeadEvent>(events[3]).framing, BodyFraming::None);
    QCOMPARE(std::get<MessageEnd>(events[4]).wireSize, head.size());
    QVERIFY(responses.idle());
}

QTEST_APPLESS_MAIN(ParserTest)
#include "parser_test.moc"
