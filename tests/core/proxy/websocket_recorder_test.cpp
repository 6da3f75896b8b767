#include "core/http/fields.h"
#include "core/proxy/websocket_recorder.h"
#include "core/ws/deflate.h"
#include "core/ws/frame.h"
#include "tests/core/proxy/playbook.h"

#include <QTest>

using namespace ts;
using namespace ts::proxy;

namespace {

// A frame as the client sends it (masked) or the server (not).
std::string frame(ws::Opcode op, std::string_view payload, bool fromClient, bool fin = true,
                  bool rsv1 = false)
{
    ws::FrameHeader h;
    h.opcode = op;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.masked = fromClient;
    h.maskingKey = {0x12, 0x34, 0x56, 0x78};
    return *ws::encodeFrame(h, payload);
}

flow::WebSocketMessage message(bool fromClient, double time, int opcode, std::string data)
{
    return {fromClient, time, opcode, std::move(data)};
}

const char kUpgrade[]
    = "GET http://echo.example/chat HTTP/1.1\r\nHost: echo.example\r\n"
      "Connection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      "\r\n";
const char kSwitch[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                       "Upgrade: websocket\r\n"
                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                       "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

// A forwarded ws:// upgrade through the session, up to the 101 relayed to the client.
ServerId upgrade(testing::Playbook &h)
{
    h.client(kUpgrade);
    const auto open = h.one<OpenServer>();
    h.feed(ServerConnected{open.id, "10.0.0.1:80", false, h.now, h.now});
    h.server(open.id, kSwitch);
    return open.id;
}

} // namespace

class WebSocketRecorderTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Masked client frames and server frames of an HTTP/1.1 upgrade become the flow's messages
    // in Chrome's form: a fragmented message whole, a ping and its pong, a deflated message
    // inflated, and the close of each side; the bytes are relayed as they came.
    void upgradeRecordsMessages()
    {
        testing::Playbook h;
        const ServerId server = upgrade(h);
        const flow::Flow opened = h.lastFlow();
        QCOMPARE(opened.status, 101);
        QVERIFY(!opened.webSocketMessages);
        const double t0 = double(opened.startedWall) / 1e3 - double(opened.startedMono) / 1e6;

        const std::string hello = frame(ws::Opcode::Text, "hello", true);
        h.now = opened.startedMono + 1000;
        h.client(hello);
        QCOMPARE(h.toServer(server), hello);

        // The echo, in two fragments with a ping between them.
        const std::string echo = frame(ws::Opcode::Text, "hel", false, false)
                                 + frame(ws::Opcode::Ping, "p1", false)
                                 + frame(ws::Opcode::Continuation, "lo", false);
        h.now += 1000;
        h.server(server, echo.substr(0, 7)); // split inside the ping's header
        QCOMPARE(h.toClient(), echo.substr(0, 7));
        h.server(server, echo.substr(7));
        QCOMPARE(h.toClient(), echo.substr(7));
        const std::string pong = frame(ws::Opcode::Pong, "p1", true);
        h.client(pong);

        // A compressed message from the server (context takeover: two in a row).
        ws::Deflater deflater({});
        const std::string big(300, 'x');
        const std::string z1 = *deflater.compress(big);
        const std::string z2 = *deflater.compress(big);
        const std::string zframes = frame(ws::Opcode::Text, z1, false, true, true)
                                    + frame(ws::Opcode::Text, z2, false, true, true);
        h.now += 1000;
        h.server(server, zframes);
        QCOMPARE(h.toClient(), zframes);
        const std::string binary = frame(ws::Opcode::Binary, std::string("\x00\x01\xff", 3), true);
        h.client(binary);

        // Published at the next tick past the interval, with what was added.
        h.now += 1 * kSecond;
        h.feed(Tick{});
        const flow::Flow live = h.lastFlow();
        QVERIFY(live.webSocketMessages);
        QCOMPARE(live.webSocketMessages->size(), std::size_t(7));

        const std::string closeC = frame(ws::Opcode::Close, ws::closePayload(1000, "bye"), true);
        const std::string closeS = frame(ws::Opcode::Close, ws::closePayload(1000), false);
        h.client(closeC);
        h.server(server, closeS);
        h.feed(ServerEof{server});
        h.feed(ClientEof{});
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Complete);
        QVERIFY(f.webSocketError.empty());
        QCOMPARE(f.webSocketDropped, std::uint64_t(0));
        QCOMPARE(f.bytesClientToServer,
                 std::uint64_t(hello.size() + pong.size() + binary.size() + closeC.size()));
        QCOMPARE(f.bytesServerToClient,
                 std::uint64_t(echo.size() + zframes.size() + closeS.size()));
        QVERIFY(f.webSocketMessages);
        const double t1 = t0 + double(opened.startedMono + 1000) / 1e6;
        const double t2 = t1 + 1e-3;
        const double t3 = t2 + 1e-3;
        const double t4 = t3 + 1.0;
        const flow::WebSocketMessages want{
            message(true, t1, 1, "hello"),
            message(false, t2, 9, "cDE="), // ping "p1", base64 as Chrome writes non-text
            message(false, t2, 1, "hello"),
            message(true, t2, 10, "cDE="),
            message(false, t3, 1, big),
            message(false, t3, 1, big),
            message(true, t3, 2, "AAH/"),
            message(true, t4, 8, http::base64(ws::closePayload(1000, "bye"))),
            message(false, t4, 8, "A+g="),
        };
        QCOMPARE(f.webSocketMessages->size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            const flow::WebSocketMessage &m = (*f.webSocketMessages)[i];
            QCOMPARE(m.fromClient, want[i].fromClient);
            QCOMPARE(m.opcode, want[i].opcode);
            QCOMPARE(m.data, want[i].data);
            QVERIFY2(std::abs(m.time - want[i].time) < 1e-6, std::to_string(i).c_str());
        }
        // The earlier publish kept its own vector (copy on write).
        QCOMPARE(live.webSocketMessages->size(), std::size_t(7));
    }

    // A protocol error stops the recording and says why; the bytes still pass exactly.
    void parserErrorStopsRecording()
    {
        testing::Playbook h;
        const ServerId server = upgrade(h);
        const std::string ok = frame(ws::Opcode::Text, "one", true);
        h.client(ok);
        const std::string unmasked = frame(ws::Opcode::Text, "two", false); // client: must mask
        h.client(unmasked);
        QCOMPARE(h.toServer(server), unmasked);
        const std::string after = frame(ws::Opcode::Text, "three", true);
        h.client(after);
        QCOMPARE(h.toServer(server), after);
        const std::string reply = frame(ws::Opcode::Text, "four", false);
        h.server(server, reply);
        QCOMPARE(h.toClient(), reply);
        h.feed(ServerEof{server});
        h.feed(ClientEof{});
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Complete);
        QCOMPARE(f.bytesClientToServer, std::uint64_t(ok.size() + unmasked.size() + after.size()));
        QCOMPARE(f.bytesServerToClient, std::uint64_t(reply.size()));
        QVERIFY(f.webSocketMessages);
        QCOMPARE(f.webSocketMessages->size(), std::size_t(1));
        QCOMPARE(f.webSocketMessages->front().data, std::string("one"));
        QVERIFY2(f.webSocketError.starts_with("the client broke the protocol (1002)"),
                 f.webSocketError.c_str());
    }

    // Past the budget messages are counted, not kept; a long one is cut at a character.
    void budgetDropsAndTruncates()
    {
        flow::Flow f;
        f.requestHeaders = {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
        WsRecordLimits limits;
        limits.maxMessages = 2;
        limits.maxMessageBytes = 4;
        auto r = WebSocketRecorder::forHandshake(f, limits);
        QVERIFY(r);
        r->serverBytes(frame(ws::Opcode::Text, "abc\xc3\xa9z", false), 0); // "abcéz"
        r->serverBytes(frame(ws::Opcode::Binary, "123456", false), 0);
        r->serverBytes(frame(ws::Opcode::Text, "3", false), 0);
        r->update(f);
        QCOMPARE(f.webSocketMessages->size(), std::size_t(2));
        QCOMPARE((*f.webSocketMessages)[0].data, std::string("abc"));
        QCOMPARE((*f.webSocketMessages)[1].data, http::base64("1234"));
        QCOMPARE(f.webSocketTruncated, std::uint64_t(2));
        QCOMPARE(f.webSocketDropped, std::uint64_t(1));

        flow::Flow plain;
        plain.requestHeaders = {{"Upgrade", "h2c"}};
        QVERIFY(!WebSocketRecorder::forHandshake(plain));
    }

    // Messages are charged to the store's memory budget (the flow's bodies'): the recorder's
    // list and each published copy, until they go. While the records are over the budget no
    // message is kept, only counted.
    void messagesAreChargedToTheMemoryBudget()
    {
        auto budget = std::make_shared<flow::BodyBudget>();
        flow::Flow f;
        f.requestHeaders = {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
        f.responseBody = std::make_shared<flow::Body>(budget);
        auto r = WebSocketRecorder::forHandshake(f);
        QVERIFY(r);
        r->serverBytes(frame(ws::Opcode::Text, std::string(1000, 'x'), false), 0);
        const std::uint64_t one = budget->messageMemory.load();
        QVERIFY(one >= 1000);
        QCOMPARE(budget->inMemory.load(), one);
        r->update(f); // a published copy holds as much again
        QCOMPARE(budget->messageMemory.load(), 2 * one);
        QCOMPARE(budget->bodyMemory(), std::uint64_t(0));

        budget->totalMemory = one; // over it now
        r->serverBytes(frame(ws::Opcode::Text, "kept?", false), 0);
        r->update(f);
        QCOMPARE(f.webSocketMessages->size(), std::size_t(1));
        QCOMPARE(f.webSocketDropped, std::uint64_t(1));

        r.reset();
        QCOMPARE(budget->messageMemory.load(), one); // the flow's copy is still there
        f.webSocketMessages.reset();
        QCOMPARE(budget->messageMemory.load(), std::uint64_t(0));
        QCOMPARE(budget->inMemory.load(), std::uint64_t(0));
    }
};

QTEST_APPLESS_MAIN(WebSocketRecorderTest)
#include "websocket_recorder_test.moc"
