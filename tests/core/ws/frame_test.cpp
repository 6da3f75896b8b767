// RFC 6455 frame encoding and close payloads (core/ws/frame.h), byte-exact against the
// examples of RFC 6455 §5.7.
#include "core/ws/frame.h"

#include <QTest>

using namespace ts::ws;

namespace {

std::string bytes(std::initializer_list<int> list)
{
    std::string out;
    for (const int b : list)
        out += static_cast<char>(b);
    return out;
}

const std::array<std::uint8_t, 4> kKey{0x37, 0xfa, 0x21, 0x3d}; // the key of RFC 6455 §5.7

FrameHeader header(Opcode op, bool fin = true, bool masked = false)
{
    FrameHeader h;
    h.opcode = op;
    h.fin = fin;
    h.masked = masked;
    if (masked)
        h.maskingKey = kKey;
    return h;
}

std::string encoded(const FrameHeader &h, std::string_view payload)
{
    ts::Result<std::string> r = encodeFrame(h, payload);
    if (!r)
        qFatal("encodeFrame failed: %s", r.error().message.c_str());
    return *r;
}

} // namespace

class FrameTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rfc6455Section57Examples()
    {
        // A single-frame unmasked text message.
        QCOMPARE(encoded(header(Opcode::Text), "Hello"),
                 bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
        // A single-frame masked text message.
        QCOMPARE(encoded(header(Opcode::Text, true, true), "Hello"),
                 bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
        // A fragmented unmasked text message.
        QCOMPARE(encoded(header(Opcode::Text, false), "Hel"),
                 bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
        QCOMPARE(encoded(header(Opcode::Continuation), "lo"), bytes({0x80, 0x02, 0x6c, 0x6f}));
        // Unmasked Ping, masked Pong.
        QCOMPARE(encoded(header(Opcode::Ping), "Hello"),
                 bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
        QCOMPARE(encoded(header(Opcode::Pong, true, true), "Hello"),
                 bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
        // 256 bytes and 64 KiB of binary data in a single unmasked frame.
        const std::string b256(256, 'x');
        QCOMPARE(encoded(header(Opcode::Binary), b256), bytes({0x82, 0x7e, 0x01, 0x00}) + b256);
        const std::string b64k(65536, 'y');
        QCOMPARE(encoded(header(Opcode::Binary), b64k),
                 bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + b64k);
    }

    void lengthsUseTheShortestForm()
    {
        for (const std::uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40}) {
            FrameHeader h = header(Opcode::Binary);
            h.payloadLength = n;
            const std::string wire = encodeFrameHeader(h);
            QCOMPARE(wire.size(), h.wireSize());
            QCOMPARE(wire.size(), std::size_t(n < 126 ? 2 : n < 65536 ? 4 : 10));
            h.masked = true;
            QCOMPARE(encodeFrameHeader(h).size(), wire.size() + 4);
        }
    }

    void rsvBitsAndMaskOffsets()
    {
        FrameHeader h = header(Opcode::Text);
        h.rsv1 = true;
        QCOMPARE(encoded(h, "").substr(0, 1), bytes({0xc1}));
        h.rsv1 = false;
        h.rsv2 = h.rsv3 = true;
        QCOMPARE(encoded(h, "").substr(0, 1), bytes({0xb1}));
        // Masking a payload in pieces gives what masking it whole does.
        std::string whole = "a longer payload, masked in pieces";
        std::string pieces = whole;
        applyMask(whole.data(), whole.size(), kKey);
        applyMask(pieces.data(), 5, kKey, 0);
        applyMask(pieces.data() + 5, pieces.size() - 5, kKey, 5);
        QCOMPARE(pieces, whole);
    }

    void encoderRefusesWhatNoPeerMaySend()
    {
        QVERIFY(!encodeFrame(header(Opcode::Ping, false), "x"));
        QVERIFY(!encodeFrame(header(Opcode::Close), std::string(126, 'x')));
        QVERIFY(encodeFrame(header(Opcode::Close), std::string(125, 'x')));
        FrameHeader h = header(Opcode::Pong);
        h.rsv1 = true;
        QVERIFY(!encodeFrame(h, ""));
        h = header(static_cast<Opcode>(0x3));
        const ts::Result<std::string> r = encodeFrame(h, "");
        QVERIFY(!r);
        QCOMPARE(r.error().code, std::string("ws.bad-frame"));
    }

    void closeCodesAllowedOnTheWire()
    {
        for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
                               1014, 3000, 3999, 4000, 4999})
            QVERIFY2(validCloseCode(std::uint16_t(code)), std::to_string(code).c_str());
        for (const int code :
             {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
            QVERIFY2(!validCloseCode(std::uint16_t(code)), std::to_string(code).c_str());
    }

    void closePayloads()
    {
        ClosePayload c;
        QVERIFY(!parseClosePayload("", c));
        QVERIFY(!c.code);
        QVERIFY(!parseClosePayload(bytes({0x03, 0xe8}) + "bye", c));
        QCOMPARE(*c.code, std::uint16_t(1000));
        QCOMPARE(c.reason, std::string("bye"));
        QVERIFY(!parseClosePayload(bytes({0x0f, 0xa0}) + "\xce\xba", c)); // 4000, UTF-8
        QCOMPARE(*c.code, std::uint16_t(4000));

        std::optional<WsError> e = parseClosePayload(bytes({0x03}), c);
        QVERIFY(e);
        QCOMPARE(e->closeCode, close_code::kProtocolError);
        e = parseClosePayload(bytes({0x03, 0xed}), c); // 1005 is never sent
        QVERIFY(e);
        QCOMPARE(e->closeCode, close_code::kProtocolError);
        QCOMPARE(e->reason, std::string("close code 1005 is not allowed on the wire"));
        e = parseClosePayload(bytes({0x03, 0xe8, 0xce}), c); // a character cut off
        QVERIFY(e);
        QCOMPARE(e->closeCode, close_code::kInvalidPayload);
        e = parseClosePayload(bytes({0x03, 0xe8, 0xff}), c);
        QVERIFY(e);
        QCOMPARE(e->closeCode, close_code::kInvalidPayload);
    }

    void closePayloadCutsTheReasonAtACharacter()
    {
        QCOMPARE(closePayload(1000), bytes({0x03, 0xe8}));
        QCOMPARE(closePayload(1009, "too big"), bytes({0x03, 0xf1}) + "too big");
        std::string reason(122, 'a');
        reason += "\xce\xba"; // bytes 122-123: the 2-byte character does not fit in 123
        const std::string p = closePayload(1002, reason);
        QCOMPARE(p.size(), std::size_t(2 + 122));
        ClosePayload c;
        QVERIFY(!parseClosePayload(p, c));
        QCOMPARE(closePayload(1002, std::string(300, 'b')).size(), kMaxControlPayload);
    }

    void names()
    {
        QCOMPARE(opcodeName(Opcode::Continuation), std::string_view("Continuation"));
        QCOMPARE(opcodeName(Opcode::Pong), std::string_view("Pong"));
        QVERIFY(isControl(Opcode::Close) && !isControl(Opcode::Binary));
        for (int op = 0; op < 16; ++op)
            QCOMPARE(isKnownOpcode(std::uint8_t(op)), op <= 2 || (op >= 8 && op <= 10));
    }
};

QTEST_APPLESS_MAIN(FrameTest)
#include "frame_test.moc"
