// LogFeed, the engine's side of a connection's frame log: a batch takes what came since the
// last one, bounded in between, and says once that the connection closed.
#include "core/flow/log_feed.h"

#include <QTest>

using namespace ts::flow;

class LogFeedTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aBatchTakesWhatCameSinceTheLast()
    {
        LogFeed feed;
        QVERIFY(feed.take().empty());
        feed.addFrame(FrameRecord{1, true, 0x4, 0, 0, 0, "SETTINGS"});
        feed.addFrame(FrameRecord{2, false, 0x4, 0x1, 0, 0, "ACK"});
        LogFeed::Batch b = feed.take();
        QCOMPARE(b.frames.size(), std::size_t(2));
        QCOMPARE(b.frames[1].summary, std::string("ACK"));
        QCOMPARE(b.dropped, std::uint64_t(0));
        QVERIFY(feed.take().empty());
    }

    void framesBeyondTheCapacityAreDroppedOldestFirstAndCounted()
    {
        LogFeed feed(3);
        for (int i = 0; i < 10; ++i)
            feed.addFrame(FrameRecord{i, true, 0x6, 0, 0, 8, {}});
        const LogFeed::Batch b = feed.take();
        QCOMPARE(b.frames.size(), std::size_t(3));
        QCOMPARE(b.frames.front().micros, std::int64_t(7));
        QCOMPARE(b.dropped, std::uint64_t(7));
        QCOMPARE(feed.take().dropped, std::uint64_t(0));
    }

    void summariesAreCutBeforeTheyAreHeld()
    {
        LogFeed feed;
        feed.addFrame(FrameRecord{0, true, 0x1, 0x4, 1, 60000, std::string(60000, 'h')});
        const auto b = feed.take();
        QVERIFY(b.frames[0].summary.size() < ConnectionLog::kMaxSummaryBytes + 64);
    }

    void changedStreamsGoWholeAndOnce()
    {
        LogFeed feed(10, 2);
        feed.editStream(5, [](StreamRecord &s) { s.history.push_back({1, "open"}); });
        feed.editStream(1, [](StreamRecord &s) { s.bytesIn = 10; });
        feed.editStream(5, [](StreamRecord &s) { s.bytesIn = 3; });
        LogFeed::Batch b = feed.take();
        QCOMPARE(b.streams.size(), std::size_t(2));
        QCOMPARE(b.streams[0].id, std::uint64_t(1)); // by id
        QCOMPARE(b.streams[1].id, std::uint64_t(5));
        QCOMPARE(b.streams[1].history.size(), std::size_t(1));
        QCOMPARE(b.streams[1].bytesIn, std::uint64_t(3));
        QVERIFY(feed.take().streams.empty());

        // The record accumulates across batches; the oldest stream goes past the capacity.
        feed.editStream(5, [](StreamRecord &s) { s.history.push_back({2, "closed"}); });
        feed.editStream(7, [](StreamRecord &) {});
        b = feed.take();
        QCOMPARE(b.streams.size(), std::size_t(2));
        QCOMPARE(b.streams[0].history.size(), std::size_t(2));
        QCOMPARE(b.streams[1].id, std::uint64_t(7));
    }

    void closedIsSaidOnce()
    {
        LogFeed feed;
        QVERIFY(!feed.done());
        feed.closed();
        QVERIFY(feed.take().closed);
        QVERIFY(feed.done());
        QVERIFY(!feed.take().closed);
    }
};

QTEST_GUILESS_MAIN(LogFeedTest)
#include "log_feed_test.moc"
