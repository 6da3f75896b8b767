// The connection log's memory bounds: a frame summary is cut at kMaxSummaryBytes (on a UTF-8
// boundary, saying how much was left out), and a closed connection keeps its newest
// kClosedFrameCapacity frames, counting the rest as dropped.
#include "core/flow/connection_log.h"

#include <QTest>

using namespace ts::flow;

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
};

QTEST_GUILESS_MAIN(ConnectionLogTest)
#include "connection_log_test.moc"
