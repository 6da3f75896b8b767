// H2Connection in memory: a client-role and a server-role connection wired to each other (no
// sockets), plus hand-made frames for what nghttp2's own client would never send.
#include "core/http2/frame_text.h"
#include "core/http2/h2_connection.h"

#include <QTest>

#include <algorithm>
#include <map>

using namespace ts;
using namespace ts::http2;

namespace {

constexpr std::uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                       kGoAway = 0x7, kWindowUpdate = 0x8;
constexpr std::uint32_t kCancel = 0x8, kEnhanceYourCalm = 0xb;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// ---- Hand-made wire bytes (RFC 9113 §4.1, RFC 7541 §6.2.2), independent of nghttp2.
std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  std::string_view payload)
{
    std::string f;
    const std::size_t n = payload.size();
    f += char(n >> 16);
    f += char(n >> 8);
    f += char(n);
    f += char(type);
    f += char(flags);
    f += char((stream >> 24) & 0x7f);
    f += char(stream >> 16);
    f += char(stream >> 8);
    f += char(stream);
    f += payload;
    return f;
}

std::string ping(std::string_view opaque8, bool ack = false)
{
    return frame(kPing, ack ? 0x1 : 0x0, 0, opaque8);
}

// Literal header field without indexing (RFC 7541 §6.2.2), short strings, no Huffman.
std::string literalNewName(std::string_view name, std::string_view value)
{
    std::string out(1, '\0');
    out += char(name.size());
    out += name;
    out += char(value.size());
    out += value;
    return out;
}
std::string literalIndexedName(std::uint8_t staticIndex, std::string_view value)
{
    std::string out(1, char(staticIndex)); // 0000xxxx, index < 15
    out += char(value.size());
    out += value;
    return out;
}

Fields request(std::string method = "GET", std::string path = "/")
{
    return {{":method", std::move(method)},
            {":scheme", "https"},
            {":authority", "example.com"},
            {":path", std::move(path)}};
}

template<typename T>
std::vector<T> only(const std::vector<H2Event> &events)
{
    std::vector<T> r;
    for (const H2Event &e : events)
        if (const T *p = std::get_if<T>(&e))
            r.push_back(*p);
    return r;
}

std::string dataOn(const std::vector<H2Event> &events, StreamId id)
{
    std::string s;
    for (const auto &d : only<DataReceived>(events))
        if (d.stream == id)
            s += d.data;
    return s;
}

// What a codec's owner would make of its records: every frame, and each stream's state as the
// events build it. Codecs know no flows, so neither does this test.
class Recorder final : public RecordSink
{
public:
    struct Stream
    {
        std::uint64_t id = 0;
        std::vector<StreamEvent> history; // Kind::State events
        std::uint64_t bytesIn = 0;
        std::uint64_t bytesOut = 0;
        std::int32_t localWindow = 0; // h2's windows are 31-bit
        std::int32_t remoteWindow = 0;
        std::int32_t resetCode = -1;
        bool closed = false;
    };

    void frame(FrameRecord frame) override { m_frames.push_back(std::move(frame)); }
    void stream(StreamEvent event) override
    {
        Stream &s = m_streams[event.stream];
        s.id = event.stream;
        switch (event.kind) {
        case StreamEvent::Kind::State:
            s.history.push_back(std::move(event));
            break;
        case StreamEvent::Kind::DataIn:
            s.bytesIn += event.bytes;
            break;
        case StreamEvent::Kind::DataOut:
            s.bytesOut += event.bytes;
            break;
        case StreamEvent::Kind::Windows:
            if (event.localWindow >= 0)
                s.localWindow = std::int32_t(event.localWindow);
            if (event.remoteWindow >= 0)
                s.remoteWindow = std::int32_t(event.remoteWindow);
            break;
        case StreamEvent::Kind::Closed:
            s.closed = true;
            if (event.code)
                s.resetCode = std::int32_t(event.code);
            break;
        }
    }
    const std::vector<FrameRecord> &frames() const { return m_frames; }
    std::vector<Stream> streams() const
    {
        std::vector<Stream> r;
        for (const auto &[id, s] : m_streams)
            r.push_back(s);
        return r;
    }

private:
    std::vector<FrameRecord> m_frames;
    std::map<std::uint64_t, Stream> m_streams;
};

std::vector<FrameRecord> framesOf(const Recorder &log, std::uint8_t type, bool inbound)
{
    std::vector<FrameRecord> r;
    for (const FrameRecord &f : log.frames())
        if (f.type == type && f.inbound == inbound)
            r.push_back(f);
    return r;
}

std::vector<std::string> historyOf(const Recorder &log, std::uint32_t id)
{
    std::vector<std::string> r;
    for (const Recorder::Stream &s : log.streams())
        if (s.id == id)
            for (const auto &t : s.history)
                r.push_back(t.state);
    return r;
}

Recorder::Stream streamOf(const Recorder &log, std::uint32_t id)
{
    for (const Recorder::Stream &s : log.streams())
        if (s.id == id)
            return s;
    return {};
}

QString joined(const std::vector<std::string> &v)
{
    QStringList l;
    for (const auto &s : v)
        l << QString::fromStdString(s);
    return l.join(QStringLiteral(" -> "));
}

std::unique_ptr<H2Connection> make(H2Connection::Role role, const ProtocolLimits &limits,
                                   std::shared_ptr<Recorder> log, MonoTime now)
{
    auto c = H2Connection::create(role, limits, std::move(log), now);
    if (!c)
        qFatal("H2Connection::create failed: %s", c.error().message.c_str());
    return std::move(*c);
}

// A client and a server connection talking in memory; events collect per side.
struct Pair
{
    MonoTime now = 5 * kSecond;
    std::shared_ptr<Recorder> clientLog, serverLog;
    std::unique_ptr<H2Connection> client, server;
    std::vector<H2Event> clientEvents, serverEvents;

    explicit Pair(ProtocolLimits serverLimits = {}, ProtocolLimits clientLimits = {})
        : clientLog(std::make_shared<Recorder>()), serverLog(std::make_shared<Recorder>())
    {
        client = make(H2Connection::Role::Client, clientLimits, clientLog, now);
        server = make(H2Connection::Role::Server, serverLimits, serverLog, now);
    }

    // Moves bytes both ways until neither side has anything to say.
    void pump()
    {
        for (int round = 0; round < 1000; ++round) {
            client->pollEvents(clientEvents);
            server->pollEvents(serverEvents);
            const std::string c = client->takeOutput(now);
            if (!c.empty())
                server->receive(c, now, serverEvents);
            const std::string s = server->takeOutput(now);
            if (!s.empty())
                client->receive(s, now, clientEvents);
            if (c.empty() && s.empty()) {
                client->pollEvents(clientEvents);
                server->pollEvents(serverEvents);
                return;
            }
        }
        qFatal("the connections never went quiet");
    }
    void clear()
    {
        clientEvents.clear();
        serverEvents.clear();
    }
};

} // namespace

class H2ConnectionTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestAndResponseWithBodiesAndTrailers()
    {
        Pair p;
        auto id = p.client->submitRequest(request("POST", "/upload"), false);
        QVERIFY(id);
        QCOMPARE(*id, 1);
        p.client->submitData(*id, "hello ");
        p.client->submitData(*id, "server");
        p.client->endStream(*id, {{"x-checksum", "abc"}});
        p.pump();

        const auto heads = only<HeadersReceived>(p.serverEvents);
        QCOMPARE(heads.size(), std::size_t(2));
        QCOMPARE(heads[0].stream, 1);
        QVERIFY(heads[0].fields == request("POST", "/upload"));
        QVERIFY(!heads[0].endStream);
        QVERIFY(!heads[0].trailers);
        QVERIFY(heads[1].trailers);
        QVERIFY(heads[1].endStream);
        QVERIFY((heads[1].fields == Fields{{"x-checksum", "abc"}}));
        QCOMPARE(dataOn(p.serverEvents, 1), std::string("hello server"));
        p.server->consume(1, 12);

        QVERIFY(p.server->submitResponse(1, {{":status", "200"}, {"content-type", "text/plain"}},
                                         false));
        p.server->submitData(1, "hello client");
        p.server->endStream(1, {{"grpc-status", "0"}});
        p.pump();

        const auto answers = only<HeadersReceived>(p.clientEvents);
        QCOMPARE(answers.size(), std::size_t(2));
        QVERIFY((answers[0].fields == Fields{{":status", "200"}, {"content-type", "text/plain"}}));
        QVERIFY(!answers[0].trailers);
        QVERIFY(answers[1].trailers);
        QVERIFY(answers[1].endStream);
        QVERIFY((answers[1].fields == Fields{{"grpc-status", "0"}}));
        QCOMPARE(dataOn(p.clientEvents, 1), std::string("hello client"));
        const auto closedClient = only<StreamClosed>(p.clientEvents);
        QCOMPARE(closedClient.size(), std::size_t(1));
        QCOMPARE(closedClient[0].code, 0u);
        QCOMPARE(only<StreamClosed>(p.serverEvents).size(), std::size_t(1));
        QVERIFY(!p.client->streamOpen(1));
        QCOMPARE(p.server->openStreams(), 0u);
    }

    void closedStreamIsNotOpen()
    {
        // BUG: nghttp2's server keeps closed streams around (RFC 7540 priority tree), and
        // streamOpen() asks nghttp2_session_find_stream(), which still finds them.
        Pair p;
        auto id = p.client->submitRequest(request(), true);
        p.pump();
        QVERIFY(p.server->submitResponse(*id, {{":status", "204"}}, true));
        p.pump();
        QCOMPARE(only<StreamClosed>(p.serverEvents).size(), std::size_t(1));
        QVERIFY(!p.client->streamOpen(*id));
        QVERIFY(!p.server->streamOpen(*id));
    }

    void responseWithoutBody()
    {
        Pair p;
        auto id = p.client->submitRequest(request(), true);
        QVERIFY(id);
        p.pump();
        const auto heads = only<HeadersReceived>(p.serverEvents);
        QCOMPARE(heads.size(), std::size_t(1));
        QVERIFY(heads[0].endStream);
        QVERIFY(p.server->submitResponse(*id, {{":status", "204"}}, true));
        p.pump();
        const auto answers = only<HeadersReceived>(p.clientEvents);
        QCOMPARE(answers.size(), std::size_t(1));
        QVERIFY(answers[0].endStream);
        QCOMPARE(only<StreamClosed>(p.clientEvents).size(), std::size_t(1));
    }

    void informationalThenFinal()
    {
        Pair p;
        auto id = p.client->submitRequest(request(), true);
        p.pump();
        QVERIFY(
            p.server->submitResponse(*id, {{":status", "103"}, {"link", "</a.css>"}}, false, true));
        QVERIFY(p.server->submitResponse(*id, {{":status", "200"}}, true));
        p.pump();
        const auto answers = only<HeadersReceived>(p.clientEvents);
        QCOMPARE(answers.size(), std::size_t(2));
        QCOMPARE(answers[0].fields[0].second, std::string("103"));
        QVERIFY(!answers[0].trailers);
        QCOMPARE(answers[1].fields[0].second, std::string("200"));
        QVERIFY(!answers[1].trailers); // a final response after a 1xx is not trailers
        QVERIFY(answers[1].endStream);
    }

    void framesAreRecordedBothWays()
    {
        Pair p;
        auto id = p.client->submitRequest(request("GET", "/frames"), true);
        p.pump();
        QVERIFY(p.server->submitResponse(*id, {{":status", "200"}}, false));
        p.server->submitData(*id, "12345");
        p.server->endStream(*id);
        p.pump();
        p.server->goAway(0, "bye");
        p.pump();

        const Recorder &c = *p.clientLog;
        const Recorder &s = *p.serverLog;

        // SETTINGS: the values each side advertises, decoded, both as sent and as received.
        const auto serverSettings = framesOf(s, kSettings, false);
        QVERIFY(serverSettings.size() >= 2); // its SETTINGS and its ACK of the client's
        QCOMPARE(serverSettings[0].flags, std::uint8_t(0));
        QCOMPARE(serverSettings[0].stream, 0u);
        QCOMPARE(serverSettings[0].length, 4u * 6u);
        QCOMPARE(serverSettings[0].summary,
                 std::string("MAX_CONCURRENT_STREAMS=128, INITIAL_WINDOW_SIZE=1048576, "
                             "MAX_HEADER_LIST_SIZE=65536, ENABLE_CONNECT_PROTOCOL=1"));
        const auto clientGotSettings = framesOf(c, kSettings, true);
        QVERIFY(!clientGotSettings.empty());
        QCOMPARE(clientGotSettings[0].summary, serverSettings[0].summary);
        QCOMPARE(framesOf(c, kSettings, false)[0].summary,
                 std::string("MAX_CONCURRENT_STREAMS=128, INITIAL_WINDOW_SIZE=1048576, "
                             "MAX_HEADER_LIST_SIZE=65536, ENABLE_PUSH=0"));
        const bool ackSeen
            = std::any_of(serverSettings.begin(), serverSettings.end(), [](const FrameRecord &f) {
                  return f.flags == 0x1 && f.summary == "ACK" && f.length == 0;
              });
        QVERIFY(ackSeen);

        // WINDOW_UPDATE: the connection window opened to 64 MiB at once.
        const auto updates = framesOf(s, kWindowUpdate, false);
        QVERIFY(!updates.empty());
        QCOMPARE(updates[0].stream, 0u);
        QCOMPARE(updates[0].length, 4u);
        QCOMPARE(updates[0].summary, std::string("+") + std::to_string((64 << 20) - 65535));

        // HEADERS: the decoded header list, flags and stream, both ways.
        const auto requestIn = framesOf(s, kHeaders, true);
        QCOMPARE(requestIn.size(), std::size_t(1));
        QCOMPARE(requestIn[0].stream, 1u);
        QCOMPARE(requestIn[0].flags, std::uint8_t(0x5)); // END_STREAM|END_HEADERS
        QCOMPARE(frameFlagsText(kHeaders, requestIn[0].flags),
                 std::string("END_STREAM|END_HEADERS"));
        QVERIFY(requestIn[0].length > 0);
        QCOMPARE(requestIn[0].summary,
                 std::string(":method: GET, :scheme: https, :authority: example.com, :path: "
                             "/frames"));
        const auto requestOut = framesOf(c, kHeaders, false);
        QCOMPARE(requestOut.size(), std::size_t(1));
        QCOMPARE(requestOut[0].summary, requestIn[0].summary);
        QCOMPARE(requestOut[0].length, requestIn[0].length);
        QCOMPARE(framesOf(c, kHeaders, true)[0].summary, std::string(":status: 200"));

        // DATA: length and END_STREAM.
        const auto dataIn = framesOf(c, kData, true);
        QVERIFY(!dataIn.empty());
        QCOMPARE(dataIn[0].length, 5u);
        QCOMPARE(dataIn.back().flags & 0x1, 0x1);
        QVERIFY(
            QString::fromStdString(dataIn.back().summary).contains(QLatin1String("END_STREAM")));

        // GOAWAY: the code, the last stream and the debug text.
        const auto goaway = framesOf(c, kGoAway, true);
        QCOMPARE(goaway.size(), std::size_t(1));
        QCOMPARE(goaway[0].summary, std::string("NO_ERROR, last stream 1, \"bye\""));
        QCOMPARE(framesOf(s, kGoAway, false)[0].summary, goaway[0].summary);
        const auto away = only<GoAwayReceived>(p.clientEvents);
        QCOMPARE(away.size(), std::size_t(1));
        QCOMPARE(away[0].lastStream, 1);
        QCOMPARE(away[0].code, 0u);
        QCOMPARE(away[0].debug, std::string("bye"));

        // Time runs from the connection's opening; every frame has one.
        for (const auto &f : s.frames())
            QCOMPARE(f.micros, std::int64_t(0));
    }

    void rstStreamAndPingAreDecoded()
    {
        Pair p;
        auto id = p.client->submitRequest(request(), false);
        p.pump();
        p.client->resetStream(*id, kCancel);
        p.pump();
        const auto rst = framesOf(*p.serverLog, kRstStream, true);
        QCOMPARE(rst.size(), std::size_t(1));
        QCOMPARE(rst[0].stream, 1u);
        QCOMPARE(rst[0].length, 4u);
        QCOMPARE(rst[0].summary, std::string("CANCEL"));
        QCOMPARE(framesOf(*p.clientLog, kRstStream, false)[0].summary, std::string("CANCEL"));
        const auto closed = only<StreamClosed>(p.serverEvents);
        QCOMPARE(closed.size(), std::size_t(1));
        QCOMPARE(closed[0].code, kCancel);
        QCOMPARE(streamOf(*p.serverLog, 1).resetCode, std::int32_t(kCancel));
        QVERIFY(streamOf(*p.serverLog, 1).closed);

        // PING from a hand-made peer: the payload recorded in hex, the ACK echoes it.
        auto log = std::make_shared<Recorder>();
        auto server = make(H2Connection::Role::Server, {}, log, 0);
        std::vector<H2Event> events;
        server->receive(std::string(kPreface) + frame(kSettings, 0, 0, {})
                            + ping("\x01\x02\x03\x04\xa0\xb0\xc0\xff"),
                        kSecond, events);
        server->takeOutput(kSecond);
        const auto pingIn = framesOf(*log, kPing, true);
        QCOMPARE(pingIn.size(), std::size_t(1));
        QCOMPARE(pingIn[0].length, 8u);
        QCOMPARE(pingIn[0].summary, std::string("01020304a0b0c0ff"));
        QCOMPARE(pingIn[0].micros, std::int64_t(kSecond));
        const auto pingOut = framesOf(*log, kPing, false);
        QCOMPARE(pingOut.size(), std::size_t(1));
        QCOMPARE(pingOut[0].flags, std::uint8_t(0x1));
        QCOMPARE(pingOut[0].summary, std::string("ACK 01020304a0b0c0ff"));
    }

    void streamStateHistory()
    {
        // The states of RFC 9113 §5.1 as each side saw them.
        Pair p;
        auto id = p.client->submitRequest(request(), true);
        p.pump();
        QVERIFY(p.server->submitResponse(*id, {{":status", "200"}}, false));
        p.server->submitData(*id, "x");
        p.server->endStream(*id);
        p.pump();
        // Both sides at once, so one failure shows both.
        QCOMPARE(QStringLiteral("server: ") + joined(historyOf(*p.serverLog, 1))
                     + QStringLiteral("; client: ") + joined(historyOf(*p.clientLog, 1)),
                 QStringLiteral("server: open -> half-closed (remote) -> closed; "
                                "client: open -> half-closed (local) -> closed"));

        auto second = p.client->submitRequest(request(), false);
        QCOMPARE(*second, 3);
        p.pump();
        p.client->resetStream(3, kCancel);
        p.pump();
        QCOMPARE(joined(historyOf(*p.serverLog, 3)), QStringLiteral("open -> reset: CANCEL"));
        QCOMPARE(joined(historyOf(*p.clientLog, 3)), QStringLiteral("open -> reset: CANCEL"));
    }

    void unconsumedStreamStopsAtItsWindowWhileASiblingCompletes()
    {
        ProtocolLimits limits;
        limits.streamWindow = 32768;
        Pair p(limits);
        p.pump(); // SETTINGS both ways first: the window is the advertised one from the start
        const std::string body(200 * 1024, 'b');
        auto stalled = p.client->submitRequest(request("POST", "/stalled"), false);
        auto flowing = p.client->submitRequest(request("POST", "/flowing"), false);
        p.client->submitData(*stalled, body);
        p.client->endStream(*stalled);
        p.client->submitData(*flowing, body);
        p.client->endStream(*flowing);

        std::size_t stalledBytes = 0;
        std::string flowingBytes;
        bool flowingEnded = false;
        for (int round = 0; round < 200 && !flowingEnded; ++round) {
            p.clear();
            p.pump();
            for (const auto &d : only<DataReceived>(p.serverEvents)) {
                if (d.stream == *stalled) {
                    stalledBytes += d.data.size(); // never given back
                } else {
                    flowingBytes += d.data;
                    p.server->consume(d.stream, d.data.size());
                }
            }
            for (const auto &e : only<StreamEnded>(p.serverEvents))
                flowingEnded |= e.stream == *flowing;
        }
        QVERIFY(flowingEnded);
        QCOMPARE(flowingBytes.size(), body.size());
        QCOMPARE(stalledBytes, std::size_t(32768));
        QVERIFY(p.client->queued(*stalled) > 0);
        QCOMPARE(p.client->queued(*flowing), std::size_t(0));
        QVERIFY(p.server->streamOpen(*stalled));
        // The log shows why: nothing more may be sent on that stream.
        QCOMPARE(streamOf(*p.clientLog, std::uint32_t(*stalled)).remoteWindow, 0);
        QCOMPARE(streamOf(*p.serverLog, std::uint32_t(*stalled)).bytesIn, std::uint64_t(32768));
        QCOMPARE(streamOf(*p.serverLog, std::uint32_t(*stalled)).localWindow, 0);

        // Taking the bytes lets the rest through.
        p.server->consume(*stalled, stalledBytes);
        bool stalledEnded = false;
        for (int round = 0; round < 200 && !stalledEnded; ++round) {
            p.clear();
            p.pump();
            for (const auto &d : only<DataReceived>(p.serverEvents)) {
                stalledBytes += d.data.size();
                p.server->consume(d.stream, d.data.size());
            }
            for (const auto &e : only<StreamEnded>(p.serverEvents))
                stalledEnded |= e.stream == *stalled;
        }
        QVERIFY(stalledEnded);
        QCOMPARE(stalledBytes, body.size());
    }

    void sendWindowOpenedAfterBackPressure()
    {
        ProtocolLimits limits;
        limits.maxBufferedPerStream = 64 * 1024;
        limits.streamWindow = 65535;
        Pair p({}, limits);
        p.pump();
        auto id = p.client->submitRequest(request("POST", "/"), false);
        p.client->submitData(*id, std::string(100 * 1024, 'q'));
        QVERIFY(p.client->queued(*id) >= limits.maxBufferedPerStream);
        std::vector<H2Event> events;
        p.clear();
        for (int round = 0; round < 50 && only<SendWindowOpened>(p.clientEvents).empty(); ++round) {
            p.pump();
            for (const auto &d : only<DataReceived>(p.serverEvents))
                p.server->consume(d.stream, d.data.size());
            p.serverEvents.clear();
        }
        QCOMPARE(only<SendWindowOpened>(p.clientEvents).size(), std::size_t(1));
        QVERIFY(p.client->queued(*id) < limits.maxBufferedPerStream / 2);
    }

    void pingFloodEndsTheConnection()
    {
        ProtocolLimits limits;
        limits.maxPingsPerWindow = 10;
        auto log = std::make_shared<Recorder>();
        auto server = make(H2Connection::Role::Server, limits, log, 0);
        std::vector<H2Event> events;
        const std::string hello = std::string(kPreface) + frame(kSettings, 0, 0, {});
        server->receive(hello, 0, events);
        // Ten a window are fine, window after window.
        for (int window = 0; window < 3; ++window) {
            std::string ten;
            for (int i = 0; i < 10; ++i)
                ten += ping("aaaaaaaa");
            server->receive(ten, 11 * kSecond * (window + 1), events);
            QVERIFY2(!server->failed(), server->failure().c_str());
        }
        server->takeOutput(40 * kSecond);
        std::string eleven;
        for (int i = 0; i < 11; ++i)
            eleven += ping("bbbbbbbb");
        events.clear();
        server->receive(eleven, 41 * kSecond, events);
        QVERIFY(server->failed());
        QCOMPARE(server->failure(), std::string("PING flood: more than 10 frames in 10 s"));
        const auto failed = only<ConnectionFailed>(events);
        QCOMPARE(failed.size(), std::size_t(1));
        QCOMPARE(failed[0].reason, server->failure());

        // GOAWAY(ENHANCE_YOUR_CALM) goes out with the reason; a client sees exactly that.
        const std::string out = server->takeOutput(41 * kSecond);
        const auto goaways = framesOf(*log, kGoAway, false);
        QVERIFY2(goaways.size() == 1,
                 qPrintable(QStringLiteral("%1 GOAWAY frames sent, the last: %2")
                                .arg(goaways.size())
                                .arg(QString::fromStdString(goaways.back().summary))));
        QVERIFY(QString::fromStdString(goaways[0].summary)
                    .startsWith(QLatin1String("ENHANCE_YOUR_CALM, last stream 0, \"PING flood")));
        const std::size_t at = out.rfind(std::string("\x07\x00\x00\x00\x00\x00", 6));
        QVERIFY(at != std::string::npos && at >= 3);
        // GOAWAY payload: last stream (4 bytes), error code (4 bytes), debug data.
        const std::string payload = out.substr(at + 6, 8);
        QCOMPARE(std::uint8_t(payload[7]), std::uint8_t(kEnhanceYourCalm));
        QVERIFY(out.find("PING flood") != std::string::npos);
        // Nothing after the violation is answered: 10 ACKs at most for the eleven.
        int acks = 0;
        for (const auto &f : framesOf(*log, kPing, false))
            acks += f.summary == "ACK 6262626262626262";
        QVERIFY(acks <= 10);
        QVERIFY(server->finished());
        events.clear();
        server->receive(ping("cccccccc"), 42 * kSecond, events);
        QVERIFY(events.empty());
    }

    void rstStreamFloodEndsTheConnection()
    {
        ProtocolLimits serverLimits;
        serverLimits.maxResetsPerWindow = 5;
        Pair p(serverLimits);
        p.pump();
        for (int i = 0; i < 6; ++i) {
            auto id = p.client->submitRequest(request(), true);
            QVERIFY(id);
            p.pump(); // HEADERS out first: nghttp2 drops a reset of a stream not yet sent
            p.client->resetStream(*id, kCancel);
            p.pump();
        }
        QVERIFY(p.server->failed());
        QCOMPARE(p.server->failure(), std::string("RST_STREAM flood: more than 5 frames in 10 s"));
        QCOMPARE(only<ConnectionFailed>(p.serverEvents).size(), std::size_t(1));
        const auto away = only<GoAwayReceived>(p.clientEvents);
        QVERIFY(!away.empty());
        QCOMPARE(away[0].code, kEnhanceYourCalm);
        QCOMPARE(away[0].debug, p.server->failure());
    }

    void headerListOverTheLimitIsRefused()
    {
        ProtocolLimits limits;
        limits.maxHeaderListBytes = 1000;
        Pair p(limits);
        p.pump();
        Fields big = request("GET", "/big");
        big.emplace_back("x-big", std::string(2000, 'z'));
        auto refused = p.client->submitRequest(big, true);
        QVERIFY(refused);
        p.pump();
        for (const auto &h : only<HeadersReceived>(p.serverEvents))
            QVERIFY(h.stream != *refused);
        const auto closed = only<StreamClosed>(p.clientEvents);
        QCOMPARE(closed.size(), std::size_t(1));
        QCOMPARE(closed[0].stream, *refused);
        QVERIFY(closed[0].code != 0);
        const auto history = historyOf(*p.serverLog, std::uint32_t(*refused));
        QVERIFY2(std::find(history.begin(), history.end(), "refused: header list over 1000 bytes")
                     != history.end(),
                 qPrintable(joined(history)));
        QVERIFY(!p.server->failed());

        // The connection (and its HPACK state) carries on.
        p.clear();
        Fields small = request("GET", "/small");
        small.emplace_back("x-small", "1");
        auto next = p.client->submitRequest(small, true);
        p.pump();
        const auto heads = only<HeadersReceived>(p.serverEvents);
        QCOMPARE(heads.size(), std::size_t(1));
        QCOMPARE(heads[0].stream, *next);
        QVERIFY(heads[0].fields == small);
    }

    void headerListAmplificationEndsTheConnection()
    {
        // A 4000-byte field indexed once and named again and again: few bytes on the wire,
        // many decoded. Each request stays under the per-list bound; the connection does not.
        ProtocolLimits limits;
        limits.maxDecodedHeaderBytesPerWindow = 1 << 20;
        Pair p(limits);
        p.pump();
        Fields amplified = request("GET", "/");
        for (int i = 0; i < 15; ++i)
            amplified.emplace_back("x-big", std::string(4000, 'a'));
        int accepted = 0;
        for (int i = 0; i < 40 && !p.server->failed(); ++i) {
            auto id = p.client->submitRequest(amplified, true);
            QVERIFY(id);
            p.pump();
            accepted = int(only<HeadersReceived>(p.serverEvents).size());
        }
        QVERIFY(p.server->failed());
        // 1 MiB of decoded fields is 17 requests of 60 KB; not one more is decoded.
        QCOMPARE(accepted, 17);
        QCOMPARE(p.server->failure(),
                 std::string("header list amplification: more than 1048576 decoded bytes in 10 s"));
        const auto away = only<GoAwayReceived>(p.clientEvents);
        QVERIFY(!away.empty());
        QCOMPARE(away[0].code, kEnhanceYourCalm);
        // (The frame log cuts each HEADERS frame's summary: log_feed_sink_test.)
    }

    void stalledStreamHoldsWhatTheBoundSays()
    {
        // The client never gives window back: the server's stream output stops at the window
        // and what is queued behind it is what the caller submitted, in chunks.
        Pair p;
        p.pump();
        auto id = p.client->submitRequest(request(), true);
        QVERIFY(id);
        p.pump();
        QVERIFY(p.server->submitResponse(*id, {{":status", "200"}}, false));
        const std::string piece(64 * 1024 + 1, 'x'); // not a multiple of the chunk size
        for (int i = 0; i < 40; ++i)
            p.server->submitData(*id, piece);
        p.pump();
        // 1 MiB of stream window went out; the rest waits, counted exactly.
        QCOMPARE(p.server->queued(*id), std::size_t(40 * piece.size() - (1 << 20)));
        p.server->endStream(*id);
        p.pump();
        std::size_t received = 0;
        for (const auto &d : only<DataReceived>(p.clientEvents)) {
            received += d.data.size();
            p.client->consume(d.stream, d.data.size());
        }
        p.clear();
        for (int round = 0; round < 100 && p.server->queued(*id) > 0; ++round) {
            p.pump();
            for (const auto &d : only<DataReceived>(p.clientEvents)) {
                received += d.data.size();
                p.client->consume(d.stream, d.data.size());
            }
            p.clear();
        }
        QCOMPARE(received, 40 * piece.size()); // every byte, in order of submission
    }

    void extendedConnectOnlyAfterThePeersSettings()
    {
        Pair p;
        QVERIFY(!p.client->connectProtocolAllowed());
        QVERIFY(!p.client->peerSettingsReceived());
        p.pump();
        QVERIFY(p.client->peerSettingsReceived());
        QVERIFY(p.client->connectProtocolAllowed());
        QCOMPARE(only<SettingsReceived>(p.clientEvents).size(), std::size_t(1));
        // The client never offers it: the server may not use it towards the client.
        QVERIFY(p.server->peerSettingsReceived());
        QVERIFY(!p.server->connectProtocolAllowed());

        p.clear();
        auto id = p.client->submitRequest({{":method", "CONNECT"},
                                           {":protocol", "websocket"},
                                           {":scheme", "https"},
                                           {":authority", "example.com"},
                                           {":path", "/chat"},
                                           {"sec-websocket-version", "13"}},
                                          false);
        QVERIFY(id);
        p.client->submitData(*id, "frame");
        p.pump();
        const auto heads = only<HeadersReceived>(p.serverEvents);
        QCOMPARE(heads.size(), std::size_t(1));
        QCOMPARE(heads[0].fields[1],
                 (std::pair<std::string, std::string>(":protocol", "websocket")));
        QCOMPARE(dataOn(p.serverEvents, *id), std::string("frame"));
    }

    void extendedConnectBeforeTheSettingsIsRefused()
    {
        // RFC 8441 §3, §4: a client may use :protocol only after SETTINGS_ENABLE_CONNECT_PROTOCOL
        // arrived; one that jumps the gun sent a malformed request: a stream error, the
        // connection survives.
        auto log = std::make_shared<Recorder>();
        auto server = make(H2Connection::Role::Server, {}, log, 0);
        std::string block = literalIndexedName(2, "CONNECT") // :method
                            + literalNewName(":protocol", "websocket")
                            + literalIndexedName(6, "http")   // :scheme
                            + literalIndexedName(1, "h:80")   // :authority
                            + literalIndexedName(4, "/chat"); // :path
        std::vector<H2Event> events;
        server->receive(std::string(kPreface) + frame(kSettings, 0, 0, {})
                            + frame(kHeaders, 0x4, 1, block),
                        0, events);
        const std::string out = server->takeOutput(0);
        QVERIFY(!server->failed());
        QVERIFY2(only<HeadersReceived>(events).empty(),
                 "the server accepted :protocol before the client could have seen its SETTINGS");
        const auto rst = framesOf(*log, kRstStream, false);
        QCOMPARE(rst.size(), std::size_t(1));
        QCOMPARE(rst[0].stream, 1u);
        QCOMPARE(rst[0].summary, std::string("PROTOCOL_ERROR"));
    }

    void handMadeBytesWithoutNghttp2OnTheClientSide()
    {
        // Preface, empty SETTINGS, and HEADERS whose HPACK block uses only literals without
        // indexing (indexed names for the pseudo-header fields, a new name for the rest).
        const std::string block = literalIndexedName(2, "GET") + literalIndexedName(6, "http")
                                  + literalIndexedName(1, "example.com:8080")
                                  + literalIndexedName(4, "/by/hand")
                                  + literalNewName("x-made", "by hand");
        const std::string bytes
            = std::string(kPreface) + frame(kSettings, 0, 0, {}) + frame(kHeaders, 0x5, 1, block);
        const Fields expected{{":method", "GET"},
                              {":scheme", "http"},
                              {":authority", "example.com:8080"},
                              {":path", "/by/hand"},
                              {"x-made", "by hand"}};

        // Whole, and one byte at a time: the same events.
        for (const bool bytewise : {false, true}) {
            auto log = std::make_shared<Recorder>();
            auto server = make(H2Connection::Role::Server, {}, log, 0);
            std::vector<H2Event> events;
            if (bytewise) {
                for (char c : bytes)
                    server->receive(std::string_view(&c, 1), 0, events);
            } else {
                server->receive(bytes, 0, events);
            }
            QVERIFY2(!server->failed(), server->failure().c_str());
            const auto heads = only<HeadersReceived>(events);
            QCOMPARE(heads.size(), std::size_t(1));
            QCOMPARE(heads[0].stream, 1);
            QVERIFY(heads[0].endStream);
            QVERIFY(!heads[0].trailers);
            QVERIFY(heads[0].fields == expected);
            QCOMPARE(only<SettingsReceived>(events).size(), std::size_t(1));
            QVERIFY(server->peerSettingsReceived());

            const auto in = log->frames();
            QCOMPARE(in.size(), std::size_t(2)); // nothing sent yet
            QCOMPARE(in[0].type, kSettings);
            QVERIFY(in[0].inbound);
            QCOMPARE(in[0].summary, std::string("(no values)"));
            QCOMPARE(in[1].type, kHeaders);
            QCOMPARE(in[1].length, std::uint32_t(block.size()));
            QCOMPARE(in[1].flags, std::uint8_t(0x5));
            QCOMPARE(in[1].summary,
                     std::string(":method: GET, :scheme: http, :authority: "
                                 "example.com:8080, :path: /by/hand, x-made: by hand"));

            QVERIFY(server->submitResponse(1, {{":status", "200"}}, true));
            const std::string out = server->takeOutput(0);
            // SETTINGS, then the ACK of ours, then the response: parsed by hand.
            QVERIFY(out.size() > 9);
            QCOMPARE(std::uint8_t(out[3]), kSettings);
            bool sawAck = false, sawResponse = false;
            for (std::size_t at = 0; at + 9 <= out.size();) {
                const std::size_t n = (std::uint8_t(out[at]) << 16)
                                      | (std::uint8_t(out[at + 1]) << 8)
                                      | std::uint8_t(out[at + 2]);
                const std::uint8_t type = std::uint8_t(out[at + 3]),
                                   flags = std::uint8_t(out[at + 4]);
                sawAck |= type == kSettings && flags == 0x1 && n == 0;
                if (type == kHeaders) {
                    sawResponse = true;
                    QCOMPARE(flags, std::uint8_t(0x5));
                    QCOMPARE(std::uint8_t(out[at + 8]), std::uint8_t(1));
                    // :status 200 is static table entry 8: one byte, indexed (0x88).
                    QCOMPARE(n, std::size_t(1));
                    QCOMPARE(std::uint8_t(out[at + 9]), std::uint8_t(0x88));
                }
                at += 9 + n;
            }
            QVERIFY(sawAck);
            QVERIFY(sawResponse);
        }
    }

    void lowerStreamIdIsAConnectionError()
    {
        // RFC 9113 §5.1.1: stream 5, then a new stream 3. nghttp2 alone ignores the second
        // HEADERS; it is a connection error of type PROTOCOL_ERROR.
        auto log = std::make_shared<Recorder>();
        auto server = make(H2Connection::Role::Server, {}, log, 0);
        const auto block = [](std::string_view path) {
            return literalIndexedName(2, "GET") + literalIndexedName(6, "http")
                   + literalIndexedName(1, "example.com") + literalIndexedName(4, path);
        };
        std::vector<H2Event> events;
        server->receive(std::string(kPreface) + frame(kSettings, 0, 0, {})
                            + frame(kHeaders, 0x5, 5, block("/five")),
                        0, events);
        QVERIFY(!server->failed());
        QCOMPARE(only<HeadersReceived>(events).size(), std::size_t(1));
        QVERIFY(server->submitResponse(5, {{":status", "200"}}, true));
        (void)server->takeOutput(0); // stream 5 is closed and forgotten
        events.clear();
        server->receive(frame(kHeaders, 0x5, 3, block("/three")), 0, events);
        QVERIFY(server->failed());
        QVERIFY(only<HeadersReceived>(events).empty());
        (void)server->takeOutput(0);
        const auto goAway = framesOf(*log, kGoAway, false);
        QCOMPARE(goAway.size(), std::size_t(1));
        QVERIFY2(goAway[0].summary.find("PROTOCOL_ERROR") != std::string::npos,
                 goAway[0].summary.c_str());
    }

    void badPrefaceFailsTheConnection()
    {
        auto server = make(H2Connection::Role::Server, {}, nullptr, 0);
        std::vector<H2Event> events;
        server->receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, events);
        QVERIFY(server->failed());
        QCOMPARE(only<ConnectionFailed>(events).size(), std::size_t(1));
        QVERIFY(QString::fromStdString(server->failure())
                    .startsWith(QLatin1String("HTTP/2 protocol error")));
    }

    void prefaceGoingWrongAfterItsFirstLineGetsGoAway()
    {
        // RFC 9113 §3.4: an invalid preface is a connection error of type PROTOCOL_ERROR; the
        // client hears it as a GOAWAY before the close.
        auto log = std::make_shared<Recorder>();
        auto server = make(H2Connection::Role::Server, {}, log, 0);
        std::vector<H2Event> events;
        server->receive("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 0, events);
        QVERIFY(server->failed());
        const std::string out = server->takeOutput(0);
        const auto goAway = framesOf(*log, kGoAway, false);
        QCOMPARE(goAway.size(), std::size_t(1));
        QVERIFY2(goAway[0].summary.find("PROTOCOL_ERROR") != std::string::npos,
                 goAway[0].summary.c_str());
        QVERIFY(out.find(char(kGoAway)) != std::string::npos);
        QVERIFY(server->finished());
    }

    void namesOfWireValues()
    {
        QCOMPARE(frameTypeName(kWindowUpdate), std::string("WINDOW_UPDATE"));
        QCOMPARE(frameTypeName(0x10), std::string("PRIORITY_UPDATE"));
        QCOMPARE(frameTypeName(0x2a), std::string("0x2a"));
        QCOMPARE(frameFlagsText(kData, 0x9), std::string("END_STREAM|PADDED"));
        QCOMPARE(frameFlagsText(kPing, 0x3), std::string("ACK|0x02"));
        QCOMPARE(errorCodeName(kEnhanceYourCalm), std::string("ENHANCE_YOUR_CALM"));
        QCOMPARE(errorCodeName(0x1234), std::string("0x1234"));
        QCOMPARE(settingName(8), std::string("ENABLE_CONNECT_PROTOCOL"));
    }
};

QTEST_GUILESS_MAIN(H2ConnectionTest)
#include "h2_connection_test.moc"
