// The RFC 6455 frame parser (core/ws/parser.h) as transcripts: every input is also fed split
// at every point and byte by byte, and must give the same transcript.
#include "core/ws/parser.h"
#include "tests/core/ws/transcript.h"
#include "tests/core/ws/wsproto_peer.h"

#include <QTest>

using namespace ts::ws;
using ts::ws::test::checkSplits;

namespace {

std::string bytes(std::initializer_list<int> list)
{
    std::string out;
    for (const int b : list)
        out += static_cast<char>(b);
    return out;
}

ParserOptions fromClient()
{
    return ParserOptions{Sender::Client, std::nullopt, {}};
}

ParserOptions fromServer()
{
    return ParserOptions{Sender::Server, std::nullopt, {}};
}

// A frame as a client (masked with a fixed key) or a server sends it, rules unchecked, so
// that the tests can write broken ones too.
std::string frame(int firstByte, std::string_view payload, bool masked)
{
    std::array<std::uint8_t, 4> key{0x12, 0x34, 0x56, 0x78};
    FrameHeader h;
    h.payloadLength = payload.size();
    h.masked = masked;
    h.maskingKey = key;
    std::string out = encodeFrameHeader(h);
    out[0] = static_cast<char>(firstByte);
    std::string p(payload);
    if (masked)
        applyMask(p.data(), p.size(), key);
    return out + p;
}

std::string client(int firstByte, std::string_view payload = {})
{
    return frame(firstByte, payload, true);
}

std::string server(int firstByte, std::string_view payload = {})
{
    return frame(firstByte, payload, false);
}

} // namespace

#define EXPECT_TRANSCRIPT(options, input, expected)                                                \
    do {                                                                                           \
        bool same_ = false;                                                                        \
        const std::string got_ = checkSplits((options), (input), &same_);                          \
        QVERIFY2(same_, got_.c_str());                                                             \
        QCOMPARE(QString::fromStdString(got_), QString::fromStdString(expected));                  \
    } while (false)

// How a transcript ends: the last lines, up to the error or "offset N".
#define EXPECT_ERROR(options, input, expected)                                                     \
    do {                                                                                           \
        bool same_ = false;                                                                        \
        const std::string got_ = checkSplits((options), (input), &same_);                          \
        QVERIFY2(same_, got_.c_str());                                                             \
        const std::string want_ = std::string(expected) + "\n";                                    \
        const std::string tail_                                                                    \
            = got_.size() >= want_.size() ? got_.substr(got_.size() - want_.size()) : got_;        \
        QCOMPARE(QString::fromStdString(tail_), QString::fromStdString(want_));                    \
    } while (false)

class ParserTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rfc6455Section57Examples()
    {
        EXPECT_TRANSCRIPT(fromServer(), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
                          "frame Text fin=1 rsv=000 mask=0 len=5 @0\n"
                          "data 'Hello'\n"
                          "message Text frames=1 wire=7 payload=5 size=5\n"
                          "offset 7\n");
        EXPECT_TRANSCRIPT(fromClient(),
                          bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                          "frame Text fin=1 rsv=000 mask=1 len=5 @0\n"
                          "data 'Hello'\n"
                          "message Text frames=1 wire=11 payload=5 size=5\n"
                          "offset 11\n");
        EXPECT_TRANSCRIPT(fromServer(),
                          bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}),
                          "frame Text fin=0 rsv=000 mask=0 len=3 @0\n"
                          "data 'Hel'\n"
                          "frame Continuation fin=1 rsv=000 mask=0 len=2 @5\n"
                          "data 'lo'\n"
                          "message Text frames=2 wire=9 payload=5 size=5\n"
                          "offset 9\n");
        EXPECT_TRANSCRIPT(fromServer(), bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
                          "frame Ping fin=1 rsv=000 mask=0 len=5 @0\n"
                          "control Ping 'Hello' wire=7\n"
                          "offset 7\n");
        EXPECT_TRANSCRIPT(fromClient(),
                          bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                          "frame Pong fin=1 rsv=000 mask=1 len=5 @0\n"
                          "control Pong 'Hello' wire=11\n"
                          "offset 11\n");
        const std::string b256(256, 'x');
        EXPECT_TRANSCRIPT(fromServer(), bytes({0x82, 0x7e, 0x01, 0x00}) + b256,
                          "frame Binary fin=1 rsv=000 mask=0 len=256 @0\n"
                          "data '"
                              + b256
                              + "'\n"
                                "message Binary frames=1 wire=260 payload=256 size=256\n"
                                "offset 260\n");
        const std::string b64k(65536, 'y');
        EXPECT_TRANSCRIPT(fromServer(), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}) + b64k,
                          "frame Binary fin=1 rsv=000 mask=0 len=65536 @0\n"
                          "data '"
                              + b64k
                              + "'\n"
                                "message Binary frames=1 wire=65546 payload=65536 size=65536\n"
                                "offset 65546\n");
    }

    void maskingByDirection()
    {
        EXPECT_ERROR(fromClient(), server(0x81, "Hello"),
                     "error 1002 a frame from the client is not masked");
        EXPECT_ERROR(fromServer(), client(0x81, "Hello"),
                     "error 1002 a frame from the server is masked");
        EXPECT_ERROR(fromServer(), client(0x89), "error 1002 a frame from the server is masked");
    }

    void controlFramesBetweenFragments()
    {
        const std::string wire = client(0x01, "Hel") + client(0x89, "ping") + client(0x00, "")
                                 + client(0x8a) + client(0x80, "lo") + client(0x82, "\xff");
        EXPECT_TRANSCRIPT(fromClient(), wire,
                          "frame Text fin=0 rsv=000 mask=1 len=3 @0\n"
                          "data 'Hel'\n"
                          "frame Ping fin=1 rsv=000 mask=1 len=4 @9\n"
                          "control Ping 'ping' wire=10\n"
                          "frame Continuation fin=0 rsv=000 mask=1 len=0 @19\n"
                          "frame Pong fin=1 rsv=000 mask=1 len=0 @25\n"
                          "control Pong '' wire=6\n"
                          "frame Continuation fin=1 rsv=000 mask=1 len=2 @31\n"
                          "data 'lo'\n"
                          "message Text frames=3 wire=23 payload=5 size=5\n"
                          "frame Binary fin=1 rsv=000 mask=1 len=1 @39\n"
                          "data '\\xff'\n"
                          "message Binary frames=1 wire=7 payload=1 size=1\n"
                          "offset 46\n");
    }

    void fragmentationOrder()
    {
        EXPECT_ERROR(fromServer(), server(0x80, "x"),
                     "error 1002 a Continuation frame without a message to continue");
        EXPECT_ERROR(fromServer(), server(0x01, "a") + server(0x81, "b"),
                     "error 1002 a new Text frame before the fragmented Text message ended");
        EXPECT_ERROR(fromServer(), server(0x02, "a") + server(0x01, "b"),
                     "error 1002 a new Text frame before the fragmented Binary message ended");
        // Empty messages and empty fragments are messages all the same.
        EXPECT_TRANSCRIPT(fromServer(), server(0x81) + server(0x02) + server(0x80),
                          "frame Text fin=1 rsv=000 mask=0 len=0 @0\n"
                          "message Text frames=1 wire=2 payload=0 size=0\n"
                          "frame Binary fin=0 rsv=000 mask=0 len=0 @2\n"
                          "frame Continuation fin=1 rsv=000 mask=0 len=0 @4\n"
                          "message Binary frames=2 wire=4 payload=0 size=0\n"
                          "offset 6\n");
    }

    void controlFrameRules()
    {
        EXPECT_ERROR(fromServer(), server(0x09, "x"),
                     "error 1002 a Ping frame is fragmented (FIN is 0)");
        EXPECT_ERROR(fromServer(), server(0x08),
                     "error 1002 a Close frame is fragmented (FIN is 0)");
        EXPECT_ERROR(fromServer(), server(0x8a, std::string(126, 'p')),
                     "error 1002 a Pong frame's payload is longer than 125 bytes");
        // 125 is fine, also between fragments.
        EXPECT_ERROR(fromServer(),
                     server(0x02, "a") + server(0x89, std::string(125, 'p')) + server(0x80, "b"),
                     "offset 133");
        // Compression never applies to control frames.
        ParserOptions deflate = fromServer();
        deflate.deflate = DeflateParams{};
        EXPECT_ERROR(deflate, server(0xc9), "error 1002 RSV1 is set on a Ping frame");
    }

    void reservedOpcodesAndRsvBits()
    {
        for (const int op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
            static constexpr char kHex[] = "0123456789abcdef";
            EXPECT_ERROR(fromServer(), server(0x80 | op, "x"),
                         std::string("error 1002 reserved opcode 0x") + kHex[op]);
        }
        EXPECT_ERROR(fromServer(), server(0xa1, "x"),
                     "error 1002 RSV2 is set, but no extension that uses it was negotiated");
        EXPECT_ERROR(fromServer(), server(0x91, "x"),
                     "error 1002 RSV3 is set, but no extension that uses it was negotiated");
        EXPECT_ERROR(fromServer(), server(0xc1, "x"),
                     "error 1002 RSV1 is set, but permessage-deflate was not negotiated");
        ParserOptions deflate = fromServer();
        deflate.deflate = DeflateParams{};
        EXPECT_ERROR(deflate, server(0xa1, "x"),
                     "error 1002 RSV2 is set, but no extension that uses it was negotiated");
        EXPECT_ERROR(deflate, server(0x41, "\xf2\x48") + server(0xc0, "\xcd"),
                     "error 1002 RSV1 is set on a Continuation frame (only a message's first "
                     "frame says it is compressed)");
    }

    void lengthEncoding()
    {
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7e, 0x00, 0x7d}) + std::string(125, 'x'),
                     "error 1002 a payload length of 125 is sent in 16 bits (the shortest form "
                     "is required)");
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}),
                     "error 1002 a payload length of 65535 is sent in 64 bits (the shortest form "
                     "is required)");
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}),
                     "error 1002 the 64-bit payload length has its most significant bit set");
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7e, 0x00, 0x7e}) + std::string(126, 'x'),
                     "message Binary frames=1 wire=130 payload=126 size=126\noffset 130");
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7e, 0xff, 0xff}) + std::string(65535, 'x'),
                     "message Binary frames=1 wire=65539 payload=65535 size=65535\noffset 65539");
    }

    void closeFrames()
    {
        EXPECT_TRANSCRIPT(fromClient(), client(0x88, bytes({0x03, 0xe8}) + "bye"),
                          "frame Close fin=1 rsv=000 mask=1 len=5 @0\n"
                          "control Close '\\x03\\xe8bye' wire=11 code=1000 reason='bye'\n"
                          "offset 11\n");
        EXPECT_TRANSCRIPT(fromServer(), server(0x88),
                          "frame Close fin=1 rsv=000 mask=0 len=0 @0\n"
                          "control Close '' wire=2\n"
                          "offset 2\n");
        EXPECT_ERROR(fromServer(), server(0x88, "\x03"),
                     "error 1002 a Close frame's payload of 1 byte cannot hold a close code");
        for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
            EXPECT_ERROR(fromServer(), server(0x88, bytes({code >> 8, code & 0xff})),
                         "error 1002 close code " + std::to_string(code)
                             + " is not allowed on the wire");
        for (const int code : {1000, 1003, 1007, 1011, 1014, 3000, 4999})
            EXPECT_ERROR(fromServer(), server(0x88, bytes({code >> 8, code & 0xff})), "offset 4");
        EXPECT_ERROR(fromServer(), server(0x88, bytes({0x03, 0xe8, 0xc0, 0x80})),
                     "error 1007 the close reason is not valid UTF-8 (at byte 0)");
        // Nothing may follow a Close frame.
        EXPECT_ERROR(fromServer(), server(0x88) + server(0x89),
                     "error 1002 a frame after the Close frame");
        // A Close between fragments ends the stream with the message open: EOF is clean only
        // for the frame, and the message never ended.
        EXPECT_ERROR(fromServer(), server(0x01, "a") + server(0x88),
                     "error 1006 the connection closed in the middle of a fragmented Text message");
    }

    void utf8IsCheckedAsItArrives()
    {
        // κόσμε split inside characters across fragments.
        const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
        EXPECT_ERROR(fromServer(),
                     server(0x01, kosme.substr(0, 1)) + server(0x00, kosme.substr(1, 3))
                         + server(0x80, kosme.substr(4)),
                     "message Text frames=3 wire=17 payload=11 size=11\noffset 17");
        // Fails on the byte that cannot come next, after the valid bytes before it.
        EXPECT_TRANSCRIPT(fromServer(), server(0x81, kosme + "\xed\xa0\x80" + "edited"),
                          "frame Text fin=1 rsv=000 mask=0 len=20 @0\n"
                          "data '"
                              + ts::ws::test::printable(kosme + "\xed")
                              + "'\n"
                                "error 1007 a Text message is not valid UTF-8 (byte 12 of the "
                                "message)\n");
        // In a fragmented message the error comes with the fragment, before the FIN frame.
        EXPECT_ERROR(fromServer(), server(0x01, "ok") + server(0x00, "\xc0\x80"),
                     "error 1007 a Text message is not valid UTF-8 (byte 2 of the message)");
        EXPECT_ERROR(fromServer(), server(0x81, "\xf4\x90\x80\x80"),
                     "error 1007 a Text message is not valid UTF-8 (byte 1 of the message)");
        EXPECT_ERROR(fromServer(), server(0x81, "\xf5"),
                     "error 1007 a Text message is not valid UTF-8 (byte 0 of the message)");
        EXPECT_ERROR(fromServer(), server(0x01, "\xce") + server(0x80, ""),
                     "error 1007 a Text message ends in the middle of a UTF-8 character");
        // Binary messages are bytes.
        EXPECT_ERROR(fromServer(), server(0x82, "\xc0\x80\xff"),
                     "message Binary frames=1 wire=5 payload=3 size=3\noffset 5");
    }

    void limits()
    {
        ParserOptions o = fromServer();
        o.limits.maxFramePayload = 10;
        o.limits.maxMessageBytes = 16;
        EXPECT_ERROR(o, server(0x82, std::string(10, 'x')), "offset 12");
        EXPECT_ERROR(o, server(0x82, std::string(11, 'x')),
                     "error 1009 a frame's payload of 11 bytes is over the limit of 10");
        EXPECT_ERROR(o, server(0x02, std::string(10, 'x')) + server(0x80, std::string(6, 'x')),
                     "offset 20");
        EXPECT_ERROR(o,
                     server(0x02, std::string(10, 'x')) + server(0x89, "ctl")
                         + server(0x80, std::string(7, 'x')),
                     "error 1009 a message of more than 16 bytes");
        // The frame limit is checked on the header: a 2^62-byte frame fails at once.
        EXPECT_ERROR(fromServer(), bytes({0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0}),
                     "error 1009 a frame's payload of 4611686018427387904 bytes is over the "
                     "limit of 16777216");
    }

    void endOfStreamInTheMiddle()
    {
        EXPECT_ERROR(fromServer(), server(0x81, "Hello").substr(0, 4),
                     "error 1006 the connection closed in the middle of a Text frame");
        EXPECT_ERROR(fromServer(), std::string(1, '\x89'),
                     "error 1006 the connection closed in the middle of a Ping frame");
        EXPECT_ERROR(fromServer(), std::string(), "offset 0");
    }

    void nothingAfterAnError()
    {
        FrameParser p(fromServer());
        std::vector<Event> events;
        QCOMPARE(p.feed(server(0x83, "x") + server(0x81, "y"), events), std::size_t(1));
        QVERIFY(p.failed());
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(p.feed(server(0x81, "y"), events), std::size_t(0));
        p.feedEof(events);
        QCOMPARE(events.size(), std::size_t(1));
    }

    void strictnessMatchesWsproto()
    {
        // The same bytes to python3-wsproto (tests/core/ws/wsproto_peer.py): the messages, the
        // peer's Close and the close code of a failure must agree. Each case ends at its first
        // error, with nothing after it.
        struct Case
        {
            const char *config; // "none" or a deflate agreement of wsproto_peer.py
            Sender sender;
            std::string wire;
        };
        const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
        const auto close = [](int code, std::string_view reason = {}) {
            return server(0x88, bytes({code >> 8, code & 0xff}) + std::string(reason));
        };
        std::vector<Case> cases = {
            {"none", Sender::Server, server(0x81, "Hello") + server(0x82, "\xff\x00")},
            {"none", Sender::Server,
             server(0x01, kosme.substr(0, 3)) + server(0x89, "p") + server(0x80, kosme.substr(3))},
            {"none", Sender::Server, server(0x02) + server(0x00) + server(0x80, "x")},
            {"none", Sender::Client, client(0x81, "masked") + client(0x8a, "pong")},
            {"none", Sender::Client, server(0x81, "unmasked")},
            {"none", Sender::Server, client(0x81, "masked")},
            {"none", Sender::Server, server(0x81, "ok") + server(0x83, "x")},
            {"none", Sender::Server, server(0x8b, "x")},
            {"none", Sender::Server, server(0xc1, "x")},
            {"none", Sender::Server, server(0xa1, "x")},
            {"none", Sender::Server, server(0x91, "x")},
            {"none", Sender::Server, server(0x09, "x")},
            {"none", Sender::Server, server(0x89, std::string(126, 'p'))},
            {"none", Sender::Server, server(0x80, "x")},
            {"none", Sender::Server, server(0x01, "a") + server(0x81, "b")},
            {"none", Sender::Server, bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0})},
            {"none", Sender::Server, bytes({0x82, 0x7e, 0x00, 0x05}) + "abcde"},
            {"none", Sender::Server, server(0x88)},
            {"none", Sender::Server, close(1000, "bye")},
            {"none", Sender::Server, server(0x88, "\x03")},
            {"none", Sender::Server, close(1000, "\xc0\x80")},
            {"none", Sender::Server, server(0x81, "\xff")},
            {"none", Sender::Server, server(0x81, "ok\xed\xa0\x80")},
            {"none", Sender::Server, server(0x81, "\xc0\xaf")},
            {"none", Sender::Server, server(0x81, "\xf4\x90\x80\x80")},
            {"none", Sender::Server, server(0x01, "\xce") + server(0x80, "")},
            {"default", Sender::Server,
             bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00,
                    0x11, 0x00, 0x00})},
            {"default", Sender::Server, server(0x41, "\xf2\x48") + server(0xc0, "\xcd")},
            {"default", Sender::Server, server(0xc9)},
            {"default", Sender::Server, server(0xc2, "\xff\xff\xff")},
            {"default", Sender::Server, server(0xc1, bytes({0x00, 0x01, 0x00, 0xfe, 0xff, 0xff}))},
            {"no-context-takeover", Sender::Server,
             bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00,
                    0x11, 0x00, 0x00})},
        };
        for (const int code : {999, 1000, 1003, 1004, 1005, 1006, 1007, 1011, 1013, 1015, 1016,
                               2999, 3000, 4999, 5000})
            cases.push_back({"none", Sender::Server, close(code)});

        for (const Case &c : cases) {
            ParserOptions o{c.sender, std::nullopt, {}};
            if (std::string_view(c.config) != "none")
                o.deflate = DeflateParams{std::string_view(c.config) == "no-context-takeover", 15};
            FrameParser parser(o);
            std::vector<Event> events;
            parser.feed(c.wire, events);
            std::string ours, current;
            for (const Event &e : events) {
                if (const auto *d = std::get_if<DataEvent>(&e)) {
                    current += d->bytes;
                } else if (const auto *m = std::get_if<MessageEvent>(&e)) {
                    ours += std::string("msg ") + (m->opcode == Opcode::Text ? "t " : "b ")
                            + ts::ws::test::toHex(current) + "\n";
                    current.clear();
                } else if (const auto *ctl = std::get_if<ControlEvent>(&e)) {
                    if (ctl->opcode == Opcode::Close)
                        ours += "close " + std::to_string(ctl->close.code.value_or(1005)) + "\n";
                } else if (const auto *err = std::get_if<ErrorEvent>(&e)) {
                    ours += "error " + std::to_string(err->error.closeCode) + "\n";
                }
            }
            std::string theirs;
            QVERIFY(ts::ws::test::runPeer(
                {QStringLiteral("parse"), QString::fromLatin1(c.config),
                 c.sender == Sender::Server ? QStringLiteral("client") : QStringLiteral("server")},
                ts::ws::test::toHex(c.wire), theirs));
            QVERIFY2(
                ours == theirs,
                (ts::ws::test::toHex(c.wire) + "\nours:\n" + ours + "wsproto:\n" + theirs).c_str());
        }

        // Where we differ on purpose: 1014 (Bad Gateway) was registered with IANA after
        // RFC 6455 and wsproto does not know it; real servers send it.
        std::string theirs;
        QVERIFY(ts::ws::test::runPeer(
            {QStringLiteral("parse"), QStringLiteral("none"), QStringLiteral("client")},
            ts::ws::test::toHex(close(1014)), theirs));
        QCOMPARE(theirs, std::string("error 1002\n"));
        EXPECT_ERROR(fromServer(), close(1014),
                     "control Close '\\x03\\xf6' wire=4 code=1014 reason=''\noffset 4");
    }

    void whereTheProxyMayWriteAFrame()
    {
        // Between frames, and for data only outside a fragmented message.
        const std::string wire = server(0x01, "ab") + server(0x80, "c");
        FrameParser p(fromServer());
        std::vector<Event> events;
        std::vector<std::pair<bool, bool>> states; // betweenFrames, inMessage after each byte
        for (const char c : wire) {
            p.feed(std::string_view(&c, 1), events);
            states.emplace_back(p.betweenFrames(), p.inMessage());
        }
        QVERIFY(!states[0].first && !states[1].first && !states[2].first);
        QCOMPARE(states[3], std::make_pair(true, true)); // first fragment done
        QVERIFY(!states[4].first && !states[5].first);
        QCOMPARE(states[6], std::make_pair(true, false)); // message done
        QVERIFY(FrameParser(fromServer()).betweenFrames());
    }

    void compressedMessages()
    {
        // RFC 7692 §7.2.3.1, whole and fragmented.
        ParserOptions o = fromServer();
        o.deflate = DeflateParams{};
        const std::string hello = bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
        EXPECT_TRANSCRIPT(o, hello,
                          "frame Text fin=1 rsv=100 mask=0 len=7 @0\n"
                          "data 'Hello'\n"
                          "message Text compressed frames=1 wire=9 payload=7 size=5\n"
                          "offset 9\n");
        EXPECT_ERROR(o, bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00}),
                     "message Text compressed frames=2 wire=11 payload=7 size=5\noffset 11");
        // §7.2.3.2: the second message refers to the first. Without context takeover the
        // sender may not do that, and the reference is corrupt data.
        const std::string again = bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});
        EXPECT_ERROR(o, hello + again,
                     "message Text compressed frames=1 wire=7 payload=5 size=5\noffset 16");
        ParserOptions noTakeover = o;
        noTakeover.deflate->noContextTakeover = true;
        EXPECT_ERROR(noTakeover, hello + again,
                     "error 1007 corrupt compressed data: invalid distance too far back");
        // An uncompressed message between compressed ones is fine and leaves the window alone.
        EXPECT_ERROR(o, hello + server(0x81, "plain") + again,
                     "message Text compressed frames=1 wire=7 payload=5 size=5\noffset 23");
        // Corrupt data; invalid UTF-8 after inflation (0xff stored).
        EXPECT_ERROR(o, server(0xc2, "\xff\xff\xff"),
                     "error 1007 corrupt compressed data: invalid block type");
        EXPECT_ERROR(o, server(0xc1, bytes({0x00, 0x01, 0x00, 0xfe, 0xff, 0xff})),
                     "error 1007 a Text message is not valid UTF-8 (byte 0 of the message)");
    }

    void compressedMessageLimit()
    {
        // 10 KiB of zeros from a few bytes; the bound cuts it at exactly the limit.
        std::string zeros;
        {
            Deflater d(DeflateParams{});
            zeros = *d.compress(std::string(10240, '\0'));
        }
        ParserOptions o = fromServer();
        o.deflate = DeflateParams{};
        o.limits.maxInflatedBytes = 4096;
        bool same = false;
        const std::string t = checkSplits(o, server(0xc2, zeros), &same);
        QVERIFY2(same, t.c_str());
        QVERIFY2(t.find("error 1009 a compressed message inflates to more than 4096 bytes")
                     != std::string::npos,
                 t.c_str());
        QVERIFY(t.find("data '" + ts::ws::test::printable(std::string(4096, '\0')) + "'\n")
                != std::string::npos);
        o.limits.maxInflatedBytes = 10240;
        EXPECT_ERROR(o, server(0xc2, zeros),
                     "message Binary compressed frames=1 wire=" + std::to_string(2 + zeros.size())
                         + " payload=" + std::to_string(zeros.size()) + " size=10240\noffset "
                         + std::to_string(2 + zeros.size()));
    }
};

QTEST_APPLESS_MAIN(ParserTest)
#include "parser_test.moc"
