// The connection log's memory bounds: a frame summary is cut at kMaxSummaryBytes (on a UTF-8
// boundary, saying how much was left out), a closed connection keeps its newest
// kClosedFrameCapacity frames, counting the rest as dropped, what the log holds is counted in
// the store's budget, and a spilled log reads back the same records.
#include "core/flow/connection_log.h"

#include <QTest>

#include <algorithm>

using namespace ts::flow;

namespace {

FrameRecord frame(std::uint32_t stream, std::size_t summaryBytes)
{
    FrameRecord f;
    f.micros = 1000 + stream;
    f.inbound = stream % 2 == 1;
    f.type = 1;
    f.flags = 4;
    f.stream = stream;
    f.length = std::uint32_t(summaryBytes);
    f.summary = "HEADERS " + std::string(summaryBytes, char('a' + stream % 26));
    return f;
}

// 300 frames of 500-byte summaries on 20 streams, each with two transitions.
void fill(ConnectionLog &log)
{
    for (std::uint32_t i = 0; i < 300; ++i)
        log.addFrame(frame(i, 500));
    for (std::uint32_t id = 1; id <= 39; id += 2) {
        log.editStream(id, [&](StreamRecord &s) {
            s.flow = id * 10;
            s.summary = "GET /" + std::string(40, 'p') + std::to_string(id);
            s.history.push_back({5, "open"});
            s.history.push_back({9, "reset: ENHANCE_YOUR_CALM"});
            s.bytesIn = id;
            s.bytesOut = 2 * id;
            s.localWindow = 65535;
            s.remoteWindow = -3;
            s.resetCode = 11;
            s.closed = true;
        });
    }
}

bool sameFrames(const std::vector<FrameRecord> &a, const std::vector<FrameRecord> &b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const FrameRecord &x, const FrameRecord &y) {
                          return x.micros == y.micros && x.inbound == y.inbound && x.type == y.type
                                 && x.flags == y.flags && x.stream == y.stream
                                 && x.length == y.length && x.summary == y.summary;
                      });
}

bool sameStreams(const std::vector<StreamRecord> &a, const std::vector<StreamRecord> &b)
{
    return std::equal(
        a.begin(), a.end(), b.begin(), b.end(), [](const StreamRecord &x, const StreamRecord &y) {
            if (x.history.size() != y.history.size())
                return false;
            for (std::size_t i = 0; i < x.history.size(); ++i)
                if (x.history[i].micros != y.history[i].micros
                    || x.history[i].state != y.history[i].state)
                    return false;
            return x.id == y.id && x.flow == y.flow && x.summary == y.summary
                   && x.bytesIn == y.bytesIn && x.bytesOut == y.bytesOut
                   && x.localWindow == y.localWindow && x.remoteWindow == y.remoteWindow
                   && x.resetCode == y.resetCode && x.closed == y.closed;
        });
}

} // namespace

class ConnectionLogTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void longSummaryIsCut()
    {
        ConnectionLog log;
        FrameRecord f;
        f.summary = std::string(64 * 1024, 'a');
        log.addFrame(f);
        const std::string kept = log.frames().at(0).summary;
        QVERIFY(kept.size() < ConnectionLog::kMaxSummaryBytes + 64);
        QVERIFY(kept.starts_with(std::string(ConnectionLog::kMaxSummaryBytes, 'a')));
        QVERIFY(kept.ends_with("(" + std::to_string(64 * 1024 - ConnectionLog::kMaxSummaryBytes)
                               + " more bytes)"));
    }

    void cutNeverSplitsAUtf8Sequence()
    {
        ConnectionLog log;
        FrameRecord f;
        // "é" is two bytes: an odd prefix puts the cut inside one.
        f.summary = "x";
        for (int i = 0; i < 2000; ++i)
            f.summary += "\xc3\xa9";
        log.addFrame(f);
        const std::string kept = log.frames().at(0).summary;
        const std::size_t note = kept.find("\xe2\x80\xa6"); // the ellipsis that starts the note
        QVERIFY(note != std::string::npos);
        QCOMPARE(note % 2, std::size_t(1)); // "x" and whole two-byte characters before it
    }

    void shortSummaryIsKept()
    {
        ConnectionLog log;
        FrameRecord f;
        f.summary = "SETTINGS MAX_CONCURRENT_STREAMS=100";
        log.addFrame(f);
        QCOMPARE(log.frames().at(0).summary, f.summary);
    }

    void closedLogKeepsTheNewestFrames()
    {
        ConnectionLog log(5000);
        for (int i = 0; i < 4000; ++i) {
            FrameRecord f;
            f.stream = std::uint32_t(i);
            log.addFrame(f);
        }
        log.closed();
        const auto frames = log.frames();
        QCOMPARE(frames.size(), ConnectionLog::kClosedFrameCapacity);
        QCOMPARE(frames.front().stream, std::uint32_t(4000 - ConnectionLog::kClosedFrameCapacity));
        QCOMPARE(frames.back().stream, std::uint32_t(3999));
        QCOMPARE(log.framesDropped(), std::uint64_t(4000 - ConnectionLog::kClosedFrameCapacity));
        QCOMPARE(log.framesSeen(), std::uint64_t(4000));
    }

    void heldRecordsAreCountedInTheBudget()
    {
        auto budget = std::make_shared<BodyBudget>();
        {
            ConnectionLog log(5000);
            log.addFrame(frame(0, 500));
            const std::uint64_t one = log.memoryBytes();
            QVERIFY(one >= 500); // the summary's bytes, at least
            log.attach(budget);  // what was there before is counted too
            QCOMPARE(budget->logMemory.load(), one);
            QCOMPARE(budget->inMemory.load(), one);

            fill(log);
            QVERIFY(log.memoryBytes() > 300 * 500);
            QCOMPARE(budget->logMemory.load(), log.memoryBytes());
            QCOMPARE(budget->inMemory.load(), log.memoryBytes());

            log.attach(budget); // once only
            QCOMPARE(budget->logMemory.load(), log.memoryBytes());
        }
        QCOMPARE(budget->logMemory.load(), 0u); // a log that goes gives its bytes back
        QCOMPARE(budget->inMemory.load(), 0u);
    }

    void ringAndClosedTrimGiveBytesBack()
    {
        auto budget = std::make_shared<BodyBudget>();
        ConnectionLog log(2000);
        log.attach(budget);
        for (std::uint32_t i = 0; i < 2000; ++i)
            log.addFrame(frame(i, 200));
        const std::uint64_t full = log.memoryBytes();
        for (std::uint32_t i = 0; i < 2000; ++i) // the ring drops as many as it takes
            log.addFrame(frame(i, 200));
        QCOMPARE(log.memoryBytes(), full);
        log.closed(); // 1,000 kept
        QVERIFY(log.memoryBytes() <= full / 2 + 1000);
        QCOMPARE(budget->logMemory.load(), log.memoryBytes());
    }

    void spilledLogReadsBackTheSameRecords()
    {
        auto budget = std::make_shared<BodyBudget>();
        ConnectionLog log;
        log.attach(budget);
        fill(log);
        log.closed();
        const auto frames = log.frames();
        const auto streams = log.streams();
        const std::uint64_t version = log.version();
        const std::uint64_t held = log.memoryBytes();

        QCOMPARE(log.spill(), held);
        QVERIFY(log.spilled());
        QCOMPARE(log.memoryBytes(), 0u);
        QCOMPARE(budget->logMemory.load(), 0u);
        QCOMPARE(budget->inMemory.load(), 0u);
        QVERIFY(budget->spill->size() > 300 * 500);
        QCOMPARE(log.version(), version); // nothing changed for a reader
        QCOMPARE(log.streamCount(), streams.size());
        QCOMPARE(log.framesSeen(), std::uint64_t(300));
        QVERIFY(sameFrames(log.frames(), frames));
        QVERIFY(sameStreams(log.streams(), streams));
        QCOMPARE(log.spill(), 0u); // already on disk
    }

    void spilledLogThatChangesComesBackToMemory()
    {
        auto budget = std::make_shared<BodyBudget>();
        ConnectionLog log;
        log.attach(budget);
        fill(log);
        auto frames = log.frames();
        log.spill();
        log.addFrame(frame(7, 10)); // a late frame after the spill
        frames.push_back(frame(7, 10));
        QVERIFY(!log.spilled());
        QVERIFY(sameFrames(log.frames(), frames));
        QCOMPARE(log.streamCount(), std::size_t(20));
        QCOMPARE(budget->logMemory.load(), log.memoryBytes());
    }

    void unwritableSpillDropsFramesAndSaysSo()
    {
        auto budget = std::make_shared<BodyBudget>();
        budget->spill.reset(); // no file to spill to
        ConnectionLog log;
        log.attach(budget);
        fill(log);
        const auto streams = log.streams();
        log.closed();
        QVERIFY(log.spill() > 300 * 500);
        QVERIFY(log.frames().empty());
        QCOMPARE(log.framesDropped(), std::uint64_t(300));
        QCOMPARE(budget->framesDroppedForBudget.load(), std::uint64_t(300));
        QVERIFY(sameStreams(log.streams(), streams)); // small: they stay
        QCOMPARE(budget->logMemory.load(), log.memoryBytes());
    }

    void streamIdsAreOrderedAcrossAll64Bits()
    {
        // HTTP/3's stream ids are 62-bit: ids that agree in their low 32 bits are still two
        // streams, in order.
        ConnectionLog log;
        const std::uint64_t high = std::uint64_t(1) << 40;
        for (const std::uint64_t id :
             {high + 4, std::uint64_t(4), high, (std::uint64_t(1) << 62) - 1})
            log.editStream(id, [](StreamRecord &) {});
        const auto streams = log.streams();
        QCOMPARE(streams.size(), std::size_t(4));
        QCOMPARE(streams[0].id, std::uint64_t(4));
        QCOMPARE(streams[1].id, high);
        QCOMPARE(streams[2].id, high + 4);
        QCOMPARE(streams[3].id, (std::uint64_t(1) << 62) - 1);
    }

    void putStreamReplacesTheRecordAndItsCount()
    {
        auto budget = std::make_shared<BodyBudget>();
        ConnectionLog log;
        log.attach(budget);
        StreamRecord s;
        s.id = 9;
        s.summary = std::string(500, 's');
        log.putStream(s);
        QCOMPARE(budget->logMemory.load(), log.memoryBytes());
        const std::uint64_t version = log.version();
        s.summary = "GET /";
        s.closed = true;
        log.putStream(s);
        QVERIFY(log.version() > version);
        QCOMPARE(log.streams().size(), std::size_t(1));
        QCOMPARE(log.streams()[0].summary, std::string("GET /"));
        QVERIFY(log.streams()[0].closed);
        QCOMPARE(budget->logMemory.load(), log.memoryBytes());
    }
};

QTEST_GUILESS_MAIN(ConnectionLogTest)
#include "connection_log_test.moc"
