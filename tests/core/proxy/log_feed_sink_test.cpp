// LogFeedSink: what the proxy makes of a codec's records. Frames and stream changes of a real
// H2Connection end up as the flow layer's records in a LogFeed, bounded under a flood.
#include "core/http2/h2_connection.h"
#include "core/proxy/log_feed_sink.h"

#include <QTest>

#include <algorithm>

using namespace ts;
using namespace ts::http2;
using ts::proxy::LogFeedSink;

namespace {

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

std::unique_ptr<H2Connection> make(H2Connection::Role role, const ProtocolLimits &limits,
                                   std::shared_ptr<flow::LogFeed> feed)
{
    auto c = H2Connection::create(role, limits, LogFeedSink::into(std::move(feed)), 0);
    if (!c)
        qFatal("H2Connection::create failed: %s", c.error().message.c_str());
    return std::move(*c);
}

void pump(H2Connection &client, H2Connection &server)
{
    std::vector<H2Event> events;
    for (int round = 0; round < 100; ++round) {
        const std::string c = client.takeOutput(0);
        if (!c.empty())
            server.receive(c, 0, events);
        const std::string s = server.takeOutput(0);
        if (!s.empty())
            client.receive(s, 0, events);
        if (c.empty() && s.empty())
            return;
    }
}

} // namespace

class LogFeedSinkTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void framesAndStreamsBecomeFlowRecords()
    {
        auto clientFeed = std::make_shared<flow::LogFeed>();
        auto serverFeed = std::make_shared<flow::LogFeed>();
        auto client = make(H2Connection::Role::Client, {}, clientFeed);
        auto server = make(H2Connection::Role::Server, {}, serverFeed);
        const Fields request{{":method", "GET"},
                             {":scheme", "https"},
                             {":authority", "example.com"},
                             {":path", "/a"}};
        auto id = client->submitRequest(request, true);
        QVERIFY(id);
        pump(*client, *server);
        QVERIFY(server->submitResponse(*id, {{":status", "200"}}, false));
        server->submitData(*id, "12345");
        server->endStream(*id);
        pump(*client, *server);
        proxy::linkStreamFlow(clientFeed.get(), std::uint64_t(*id), 42, "GET /a");
        proxy::linkStreamFlow(nullptr, 1, 1, {}); // no feed: nothing to do

        const flow::LogFeed::Batch c = clientFeed->take();
        const auto headers
            = std::find_if(c.frames.begin(), c.frames.end(),
                           [](const flow::FrameRecord &f) { return f.type == 0x1 && !f.inbound; });
        QVERIFY(headers != c.frames.end());
        QCOMPARE(headers->stream, std::uint64_t(1));
        QVERIFY(headers->summary.find(":path: /a") != std::string::npos);
        QCOMPARE(c.streams.size(), std::size_t(1));
        const flow::StreamRecord &s = c.streams[0];
        QCOMPARE(s.id, std::uint64_t(1));
        QCOMPARE(s.flow, flow::FlowId(42));
        QCOMPARE(s.summary, std::string("GET /a"));
        QCOMPARE(s.bytesIn, std::uint64_t(5));
        QVERIFY(s.closed);
        QCOMPARE(s.resetCode, -1);
        std::vector<std::string> states;
        for (const auto &t : s.history)
            states.push_back(t.state);
        QCOMPARE(states, (std::vector<std::string>{"open", "half-closed (local)", "closed"}));

        const flow::LogFeed::Batch sv = serverFeed->take();
        QCOMPARE(sv.streams.size(), std::size_t(1));
        QCOMPARE(sv.streams[0].bytesOut, std::uint64_t(5));
    }

    void aResetStreamKeepsItsCode()
    {
        auto clientFeed = std::make_shared<flow::LogFeed>();
        auto client = make(H2Connection::Role::Client, {}, clientFeed);
        auto server = make(H2Connection::Role::Server, {}, nullptr); // records go nowhere
        auto id = client->submitRequest({{":method", "GET"},
                                         {":scheme", "https"},
                                         {":authority", "example.com"},
                                         {":path", "/"}},
                                        false);
        pump(*client, *server);
        client->resetStream(*id, 0x8);
        pump(*client, *server);
        const auto b = clientFeed->take();
        QCOMPARE(b.streams.size(), std::size_t(1));
        QCOMPARE(b.streams[0].resetCode, std::int32_t(0x8));
        QCOMPARE(b.streams[0].history.back().state, std::string("reset: CANCEL"));
    }

    void pingFloodCostsBoundedFeedMemory()
    {
        // 500 PINGs and their ACKs between two batches: the feed keeps its newest 16 frames
        // and counts the others.
        ProtocolLimits limits;
        limits.maxPingsPerWindow = 10000;
        auto feed = std::make_shared<flow::LogFeed>(16);
        auto server = make(H2Connection::Role::Server, limits, feed);
        std::string bytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0, {});
        for (int i = 0; i < 500; ++i)
            bytes += frame(0x6, 0, 0, "pingpong");
        std::vector<H2Event> events;
        server->receive(bytes, kSecond, events);
        const std::string out = server->takeOutput(kSecond);
        QVERIFY(!server->failed());
        const auto b = feed->take();
        QCOMPARE(b.frames.size(), std::size_t(16));
        QVERIFY(b.dropped + 16 >= 1000); // 500 in, 500 ACKs out, SETTINGS
        QVERIFY(std::any_of(b.frames.begin(), b.frames.end(), [](const flow::FrameRecord &f) {
            return f.type == 0x6 && f.summary == "ACK 70696e67706f6e67";
        }));
    }
};

QTEST_GUILESS_MAIN(LogFeedSinkTest)
#include "log_feed_sink_test.moc"
