// permessage-deflate (core/ws/deflate.h): negotiation, the RFC 7692 §7.2.3 examples
// byte-exact, context takeover and window bits, the decompression bound, and vectors made by
// python3-wsproto at test time (tests/core/ws/wsproto_peer.py), both ways.
#include "core/ws/deflate.h"
#include "core/ws/parser.h"
#include "tests/core/ws/transcript.h"
#include "tests/core/ws/wsproto_peer.h"

#include <QTest>

#include <zlib.h>

using namespace ts::ws;
using ts::ws::test::fromHex;
using ts::ws::test::runPeer;
using ts::ws::test::toHex;

namespace {

std::string bytes(std::initializer_list<int> list)
{
    std::string out;
    for (const int b : list)
        out += static_cast<char>(b);
    return out;
}

std::string compressed(Deflater &d, std::string_view message)
{
    ts::Result<std::string> r = d.compress(message);
    if (!r)
        qFatal("compress failed: %s", r.error().message.c_str());
    return *r;
}

std::string inflated(Inflater &i, std::string_view payload)
{
    ts::Result<std::string> r = i.inflateMessage(payload);
    if (!r)
        qFatal("inflate failed: %s", r.error().message.c_str());
    return *r;
}

// The receiving peer as zlib itself sees it: a raw inflater with the agreed window, fed each
// compressed message and the tail RFC 7692 §7.2.2 strips.
class ZlibPeer
{
public:
    ZlibPeer(int windowBits, bool noContextTakeover) : m_reset(noContextTakeover)
    {
        inflateInit2(&m_z, -windowBits); // 8 too: zlib inflates with a 256-byte window
    }
    ~ZlibPeer() { inflateEnd(&m_z); }
    std::string take(std::string payload)
    {
        payload += bytes({0x00, 0x00, 0xff, 0xff});
        std::string out;
        char buffer[4096];
        m_z.next_in = reinterpret_cast<Bytef *>(payload.data());
        m_z.avail_in = static_cast<uInt>(payload.size());
        do {
            m_z.next_out = reinterpret_cast<Bytef *>(buffer);
            m_z.avail_out = sizeof buffer;
            const int rc = inflate(&m_z, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                return "<zlib error " + std::to_string(rc) + ">";
            out.append(buffer, sizeof buffer - m_z.avail_out);
        } while (m_z.avail_in > 0 || m_z.avail_out == 0);
        if (m_reset)
            inflateReset(&m_z);
        return out;
    }

private:
    z_stream m_z{};
    bool m_reset;
};

struct Vector
{
    std::string name, offer, answer, c2s, s2c;
    std::vector<std::string> expectedC2s, expectedS2c; // "t <payload>" / "b <payload>"
};

std::vector<Vector> readVectors(const std::string &text)
{
    std::vector<Vector> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        const std::size_t sp = line.find(' ');
        const std::string key = line.substr(0, sp);
        const std::string rest = sp == std::string::npos ? std::string() : line.substr(sp + 1);
        if (key == "config") {
            out.push_back({});
            out.back().name = rest;
        } else if (key == "offer") {
            out.back().offer = rest;
        } else if (key == "answer") {
            out.back().answer = rest;
        } else if (key == "c2s") {
            out.back().c2s = fromHex(rest);
        } else if (key == "s2c") {
            out.back().s2c = fromHex(rest);
        } else if (key == "msg") {
            // "c2s t HEX"
            const std::string kind = rest.substr(4, 1);
            const std::string payload = fromHex(rest.size() > 6 ? rest.substr(6) : "");
            (rest.substr(0, 3) == "c2s" ? out.back().expectedC2s : out.back().expectedS2c)
                .push_back(kind + " " + payload);
        }
    }
    return out;
}

// Whole messages out of a parser's events: "t <payload>" or "b <payload>", and whether each
// was compressed.
struct Messages
{
    std::vector<std::string> list;
    std::vector<bool> compressed;
    std::string error;
};

Messages messagesOf(const ParserOptions &options, std::string_view wire)
{
    FrameParser parser(options);
    std::vector<Event> events;
    parser.feed(wire, events);
    parser.feedEof(events);
    Messages out;
    std::string current;
    for (const Event &e : events) {
        if (const auto *d = std::get_if<DataEvent>(&e)) {
            current += d->bytes;
        } else if (const auto *m = std::get_if<MessageEvent>(&e)) {
            out.list.push_back((m->opcode == Opcode::Text ? "t " : "b ") + current);
            out.compressed.push_back(m->compressed);
            current.clear();
        } else if (const auto *err = std::get_if<ErrorEvent>(&e)) {
            out.error = err->error.reason;
        }
    }
    return out;
}

} // namespace

class DeflateTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void extensionHeaderSyntax()
    {
        auto r = parseExtensions("permessage-deflate; client_max_window_bits, Permessage-Deflate ;"
                                 " Server_Max_Window_Bits=\"10\"; x=y ,, foo");
        QVERIFY(r);
        QCOMPARE(r->size(), std::size_t(3));
        QCOMPARE((*r)[0], (Extension{"permessage-deflate", {{"client_max_window_bits", {}}}}));
        QCOMPARE((*r)[1],
                 (Extension{"permessage-deflate", {{"server_max_window_bits", "10"}, {"x", "y"}}}));
        QCOMPARE((*r)[2], (Extension{"foo", {}}));
        for (const char *bad : {"", " , ", "permessage-deflate;", "a; b=", "a; b=\"1", "a b",
                                "a; b=\"1 2\"", "a; =1", "a;b=\"\""}) {
            auto e = parseExtensions(bad);
            QVERIFY2(!e, bad);
            QCOMPARE(e.error().code, std::string("ws.bad-extensions"));
        }
        QCOMPARE(parseExtensions("a; b=c d").error().message,
                 std::string("Sec-WebSocket-Extensions: expected ';' or ',' at byte 7 ('d')"));
    }

    void offers()
    {
        auto r = parseDeflateOffers(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10; "
            "server_no_context_takeover, permessage-deflate; client_max_window_bits=8; "
            "client_no_context_takeover, x-webkit-deflate-frame, permessage-deflate; "
            "server_max_window_bits=16, permessage-deflate; server_max_window_bits=08, "
            "permessage-deflate; mystery, permessage-deflate; client_no_context_takeover; "
            "client_no_context_takeover, permessage-deflate; server_no_context_takeover=1");
        QVERIFY(r);
        QCOMPARE(r->size(), std::size_t(7));
        const DeflateOffer &a = (*r)[0];
        QVERIFY(a.problem.empty() && a.clientMaxWindowBits && !a.clientMaxWindowBitsValue);
        QVERIFY(a.serverNoContextTakeover && !a.clientNoContextTakeover);
        QCOMPARE(*a.serverMaxWindowBits, 10);
        const DeflateOffer &b = (*r)[1];
        QVERIFY(b.problem.empty() && b.clientNoContextTakeover);
        QCOMPARE(*b.clientMaxWindowBitsValue, 8);
        QCOMPARE((*r)[2].problem, std::string("server_max_window_bits must be 8 to 15"));
        QCOMPARE((*r)[3].problem, std::string("server_max_window_bits must be 8 to 15"));
        QCOMPARE((*r)[4].problem, std::string("unknown parameter 'mystery'"));
        QCOMPARE((*r)[5].problem,
                 std::string("parameter 'client_no_context_takeover' appears twice"));
        QCOMPARE((*r)[6].problem,
                 std::string("parameter 'server_no_context_takeover' takes no value"));
    }

    void negotiation()
    {
        // The plain case, and what each parameter gives each sender.
        auto n = negotiate("permessage-deflate; client_max_window_bits", "permessage-deflate");
        QVERIFY(n);
        QCOMPARE(*n->deflate, (DeflateAgreement{{false, 15}, {false, 15}}));
        n = negotiate("permessage-deflate; client_max_window_bits",
                      "permessage-deflate; server_no_context_takeover; client_max_window_bits=9; "
                      "server_max_window_bits=12; client_no_context_takeover");
        QVERIFY(n);
        QCOMPARE(*n->deflate, (DeflateAgreement{{true, 9}, {true, 12}}));
        QCOMPARE(responseHeader(*n->deflate),
                 std::string("permessage-deflate; server_no_context_takeover; "
                             "client_no_context_takeover; server_max_window_bits=12; "
                             "client_max_window_bits=9"));
        // Declined: no compression. Unknown extensions are named for the caller.
        n = negotiate("permessage-deflate", "");
        QVERIFY(n && !n->deflate && n->unknown.empty());
        n = negotiate("permessage-deflate, x-other", "x-other; a=1");
        QVERIFY(n && !n->deflate);
        QCOMPARE(n->unknown, std::vector<std::string>{"x-other"});
        // The server picked the second offer.
        n = negotiate("permessage-deflate; server_max_window_bits=10, permessage-deflate",
                      "permessage-deflate; server_max_window_bits=12");
        QVERIFY(n);
        QCOMPARE(n->deflate->server.maxWindowBits, 12);

        const auto fails = [](const char *offer, const char *answer, const char *why) {
            auto r = negotiate(offer, answer);
            QVERIFY2(!r, answer);
            QCOMPARE(r.error().code, std::string("ws.bad-extensions"));
            QCOMPARE(QString::fromStdString(r.error().message), QString::fromUtf8(why));
        };
        fails("permessage-deflate", "permessage-deflate; client_max_window_bits=10",
              "the server's permessage-deflate answer fits none of the client's offers");
        fails("permessage-deflate; client_max_window_bits",
              "permessage-deflate; client_max_window_bits",
              "the server's permessage-deflate answer: client_max_window_bits needs a value");
        fails("permessage-deflate; server_max_window_bits=10",
              "permessage-deflate; server_max_window_bits=11",
              "the server's permessage-deflate answer fits none of the client's offers");
        fails("permessage-deflate; server_no_context_takeover", "permessage-deflate",
              "the server's permessage-deflate answer fits none of the client's offers");
        fails("permessage-deflate", "permessage-deflate, permessage-deflate",
              "the server accepted permessage-deflate twice");
        fails("permessage-deflate", "permessage-deflate; x=1",
              "the server's permessage-deflate answer: unknown parameter 'x'");
        fails("permessage-deflate", "permessage-deflate; server_max_window_bits=7",
              "the server's permessage-deflate answer: server_max_window_bits must be 8 to 15");
        fails("", "permessage-deflate",
              "the server accepted permessage-deflate, which the client did not offer");
        fails("permessage-deflate; bogus", "permessage-deflate",
              "the server's permessage-deflate answer fits none of the client's offers");
        fails("permessage-deflate;", "permessage-deflate",
              "the client's offer: Sec-WebSocket-Extensions: expected a parameter name at the "
              "end");
    }

    void rfc7692Section723Examples()
    {
        // §7.2.3.1 and §7.2.3.2, byte-exact from the deflater (context takeover).
        Deflater d(DeflateParams{});
        QCOMPARE(compressed(d, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
        QCOMPARE(compressed(d, "Hello"), bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
        // And as frames.
        FrameHeader h;
        h.rsv1 = true;
        QCOMPARE(*encodeFrame(h, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
                 bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
        // Without context takeover each message stands alone.
        Deflater alone(DeflateParams{true, 15});
        QCOMPARE(compressed(alone, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
        QCOMPARE(compressed(alone, "Hello"), bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));

        Inflater i(DeflateParams{});
        QCOMPARE(inflated(i, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
        QCOMPARE(inflated(i, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello"); // §7.2.3.2
        // §7.2.3.3: a stored (uncompressed) DEFLATE block.
        QCOMPARE(
            inflated(i, bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})),
            "Hello");
        // §7.2.3.4: a block with BFINAL set; the window is kept for the next message.
        QCOMPARE(inflated(i, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})), "Hello");
        QCOMPARE(inflated(i, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello");
        // §7.2.3.5: two DEFLATE blocks in one message.
        QCOMPARE(inflated(i, bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9,
                                    0xc9, 0x07, 0x00})),
                 "Hello");
        // §7.2.3.6's idea: an empty last fragment, "0x00" (an empty stored block's first
        // byte; the stripped tail completes it).
        Inflater j(DeflateParams{});
        std::string out;
        QVERIFY(!j.inflate(
            bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}), out));
        QVERIFY(!j.inflate(bytes({0x00}), out));
        QVERIFY(!j.finish(out));
        QCOMPARE(out, std::string("Hello"));
    }

    void rfc7692ExamplesThroughTheParser()
    {
        ParserOptions o{Sender::Server, DeflateParams{}, {}};
        bool same = false;
        const std::string t = ts::ws::test::checkSplits(
            o, bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2,
                      0x00, 0x11, 0x00, 0x00, 0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48,
                      0x65, 0x6c, 0x6c, 0x6f, 0x00, 0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9,
                      0x07, 0x00, 0x00, 0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff,
                      0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00, 0x41, 0x0b, 0xf2, 0x48, 0xcd, 0xc9,
                      0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0x80, 0x01, 0x00}),
            &same);
        QVERIFY2(same, t.c_str());
        QCOMPARE(QString::fromStdString(t),
                 QStringLiteral("frame Text fin=1 rsv=100 mask=0 len=7 @0\n"
                                "data 'Hello'\n"
                                "message Text compressed frames=1 wire=9 payload=7 size=5\n"
                                "frame Text fin=1 rsv=100 mask=0 len=5 @9\n"
                                "data 'Hello'\n"
                                "message Text compressed frames=1 wire=7 payload=5 size=5\n"
                                "frame Text fin=1 rsv=100 mask=0 len=11 @16\n"
                                "data 'Hello'\n"
                                "message Text compressed frames=1 wire=13 payload=11 size=5\n"
                                "frame Text fin=1 rsv=100 mask=0 len=8 @29\n"
                                "data 'Hello'\n"
                                "message Text compressed frames=1 wire=10 payload=8 size=5\n"
                                "frame Text fin=1 rsv=100 mask=0 len=13 @39\n"
                                "data 'Hello'\n"
                                "message Text compressed frames=1 wire=15 payload=13 size=5\n"
                                "frame Text fin=0 rsv=100 mask=0 len=11 @54\n"
                                "data 'Hello'\n"
                                "frame Continuation fin=1 rsv=000 mask=0 len=1 @67\n"
                                "message Text compressed frames=2 wire=16 payload=12 size=5\n"
                                "offset 70\n"));
    }

    void contextTakeoverAndWindowBitsWithZlibAsThePeer()
    {
        std::string text;
        for (int i = 0; i < 3000; ++i)
            text += "message part " + std::to_string(i % 97) + "; ";
        for (int bits = 8; bits <= 15; ++bits) {
            for (const bool noTakeover : {false, true}) {
                const DeflateParams p{noTakeover, bits};
                Deflater d(p);
                ZlibPeer peer(bits, noTakeover);
                Inflater mine(p);
                for (int m = 0; m < 4; ++m) {
                    const std::string message = text.substr(std::size_t(m) * 517, 9000);
                    const std::string c = compressed(d, message);
                    QCOMPARE(peer.take(c), message);
                    QCOMPARE(inflated(mine, c), message);
                }
            }
        }
        // Context takeover pays: the same message again costs a few bytes.
        std::string noise;
        std::uint32_t x = 12345;
        for (int i = 0; i < 2000; ++i) {
            x = x * 1103515245u + 12345u;
            noise += static_cast<char>('a' + (x >> 16) % 26);
        }
        Deflater d(DeflateParams{});
        const std::size_t first = compressed(d, noise).size();
        QVERIFY(first > 1000);
        QVERIFY(compressed(d, noise).size() < first / 10);
        Deflater alone(DeflateParams{true, 15});
        compressed(alone, noise);
        QCOMPARE(compressed(alone, noise).size(), first);
    }

    void injectedMessagesFitTheReceiversWindow()
    {
        // The original sender compresses with context takeover; the proxy relays its
        // messages untouched (observe) and then writes one of its own into the same stream.
        const DeflateParams p{false, 10};
        Deflater sender(p);
        Deflater proxy(p);
        ZlibPeer receiver(10, false);
        for (const char *m : {"{\"op\":\"subscribe\",\"channel\":\"prices\"}",
                              "{\"op\":\"subscribe\",\"channel\":\"trades\"}"}) {
            QCOMPARE(receiver.take(compressed(sender, m)), std::string(m));
            proxy.observe(m);
        }
        const std::string injected = "{\"op\":\"subscribe\",\"channel\":\"orders\"}";
        const std::string c = compressed(proxy, injected);
        QVERIFY(c.size() < injected.size() / 2); // it did refer to the earlier messages
        QCOMPARE(receiver.take(c), injected);
        // From now on the sender's own stream no longer fits: the proxy re-compresses it.
        const std::string next = "{\"op\":\"unsubscribe\",\"channel\":\"prices\"}";
        QCOMPARE(receiver.take(compressed(proxy, next)), next);
    }

    void decompressionBombIsBounded()
    {
        Deflater d(DeflateParams{});
        const std::string bomb = compressed(d, std::string(std::size_t(8) << 20, 'a'));
        QVERIFY(bomb.size() < 10000);
        Inflater i(DeflateParams{}, 1 << 20);
        std::string out;
        const std::optional<WsError> e = i.inflate(bomb, out);
        QVERIFY(e);
        QCOMPARE(e->closeCode, close_code::kTooBig);
        QCOMPARE(e->reason,
                 std::string("a compressed message inflates to more than 1048576 bytes"));
        QCOMPARE(out.size(), std::size_t(1) << 20);
        auto r = Inflater(DeflateParams{}, 1000).inflateMessage(bomb);
        QVERIFY(!r);
        QCOMPARE(r.error().code, std::string("ws.too-big"));
        r = Inflater(DeflateParams{}).inflateMessage("\xff\xff");
        QVERIFY(!r);
        QCOMPARE(r.error().code, std::string("ws.inflate"));
    }

    void wsprotoFramesAreReadAndInflated()
    {
        std::string text;
        QVERIFY(runPeer({QStringLiteral("vectors")}, {}, text));
        const std::vector<Vector> vectors = readVectors(text);
        QCOMPARE(vectors.size(), std::size_t(5));
        for (const Vector &v : vectors) {
            auto n = negotiate(v.offer, v.answer);
            QVERIFY2(n && n->deflate && n->unknown.empty(), v.name.c_str());
            const Messages c2s = messagesOf({Sender::Client, n->deflate->client, {}}, v.c2s);
            QVERIFY2(c2s.error.empty(), (v.name + ": " + c2s.error).c_str());
            QVERIFY2(c2s.list == v.expectedC2s, v.name.c_str());
            const Messages s2c = messagesOf({Sender::Server, n->deflate->server, {}}, v.s2c);
            QVERIFY2(s2c.error.empty(), (v.name + ": " + s2c.error).c_str());
            QVERIFY2(s2c.list == v.expectedS2c, v.name.c_str());
            QVERIFY(std::count(s2c.compressed.begin(), s2c.compressed.end(), true) > 5);
            // However the bytes arrive.
            bool same = false;
            const std::string t = ts::ws::test::checkSplits(
                {Sender::Server, n->deflate->server, {}}, v.s2c.substr(0, 3000), &same, false);
            QVERIFY2(same, t.c_str());
        }
        // A parser that was not told about the agreement stops at the first compressed frame.
        const Messages plain = messagesOf({Sender::Server, std::nullopt, {}}, vectors[0].s2c);
        QCOMPARE(plain.error,
                 std::string("RSV1 is set, but permessage-deflate was not negotiated"));
    }

    void wsprotoInflatesWhatTheProxyInjects()
    {
        std::string text;
        QVERIFY(runPeer({QStringLiteral("vectors")}, {}, text));
        for (const Vector &v : readVectors(text)) {
            auto n = negotiate(v.offer, v.answer);
            QVERIFY(n && n->deflate);
            for (const bool towardsClient : {true, false}) {
                // Relay the original stream, keep the receiver's window in step, then inject
                // a compressed message and a plain one after it.
                const Sender sender = towardsClient ? Sender::Server : Sender::Client;
                const DeflateParams params
                    = towardsClient ? n->deflate->server : n->deflate->client;
                const std::string &wire = towardsClient ? v.s2c : v.c2s;
                FrameParser parser({sender, params, {}});
                std::vector<Event> events;
                parser.feed(wire, events);
                Deflater proxy(params);
                std::string current;
                for (const Event &e : events) {
                    if (const auto *d = std::get_if<DataEvent>(&e))
                        current += d->bytes;
                    else if (const auto *m = std::get_if<MessageEvent>(&e)) {
                        if (m->compressed)
                            proxy.observe(current);
                        current.clear();
                    }
                }
                const std::string injected = "Hello, Hello, Hello! injected by the proxy";
                FrameHeader h;
                h.rsv1 = true;
                h.masked = sender == Sender::Client;
                h.maskingKey = {1, 2, 3, 4};
                std::string stream = wire + *encodeFrame(h, compressed(proxy, injected));
                h.rsv1 = false;
                stream += *encodeFrame(h, "plain after it");

                std::string got;
                QVERIFY(
                    runPeer({QStringLiteral("receive"), QString::fromStdString(v.name),
                             towardsClient ? QStringLiteral("client") : QStringLiteral("server")},
                            toHex(stream), got));
                std::string expected;
                for (const std::string &m : towardsClient ? v.expectedS2c : v.expectedC2s)
                    expected += "msg " + m.substr(0, 1) + " " + toHex(m.substr(2)) + "\n";
                expected += "msg t " + toHex(injected) + "\n";
                expected += "msg t " + toHex("plain after it") + "\n";
                QCOMPARE(QString::fromStdString(got), QString::fromStdString(expected));
            }
        }
    }
};

QTEST_GUILESS_MAIN(DeflateTest)
#include "deflate_test.moc"
