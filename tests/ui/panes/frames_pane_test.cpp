#include "tests/ui/panes/synthetic_flows.h"
#include "ui/panes/frame_model.h"
#include "ui/panes/frames_pane.h"
#include "ui/panes/h2_names.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using namespace ts::test;
using ts::ui::FrameModel;
using ts::ui::FramesPane;
namespace h2 = ts::ui::h2;
using namespace Qt::StringLiterals;

namespace {

QString cell(const QAbstractItemModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

FrameRecord data(std::uint32_t stream, std::int64_t micros)
{
    return frame(micros, micros % 2 == 0, 0x0, 0, stream, 1024, "1024 bytes");
}

} // namespace

// FrameModel and the frames pane: names and flags per type, filters, frames dropped by the log
// leaving from the top, live polling, the jump between frames and flows.
class FramesPaneTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frameTypeNames()
    {
        QCOMPARE(h2::frameTypeName(0x0), u"DATA"_s);
        QCOMPARE(h2::frameTypeName(0x3), u"RST_STREAM"_s);
        QCOMPARE(h2::frameTypeName(0x9), u"CONTINUATION"_s);
        QCOMPARE(h2::frameTypeName(0xa), u"ALTSVC"_s);
        QCOMPARE(h2::frameTypeName(0xb), u"0x0b"_s);
        QCOMPARE(h2::frameTypeName(0xc), u"ORIGIN"_s);
        QCOMPARE(h2::frameTypeName(0x10), u"PRIORITY_UPDATE"_s);
        QCOMPARE(h2::frameTypeName(0xff), u"0xff"_s);
    }

    void flagsDependOnTheType()
    {
        QCOMPARE(h2::frameFlagNames(0x0, 0x1), u"END_STREAM"_s);
        QCOMPARE(h2::frameFlagNames(0x0, 0x9), u"END_STREAM | PADDED"_s);
        QCOMPARE(h2::frameFlagNames(0x1, 0x2d), u"END_STREAM | END_HEADERS | PADDED | PRIORITY"_s);
        QCOMPARE(h2::frameFlagNames(0x4, 0x1), u"ACK"_s);
        QCOMPARE(h2::frameFlagNames(0x6, 0x1), u"ACK"_s);
        QCOMPARE(h2::frameFlagNames(0x5, 0x4), u"END_HEADERS"_s);
        QCOMPARE(h2::frameFlagNames(0x9, 0x4), u"END_HEADERS"_s);
        QCOMPARE(h2::frameFlagNames(0x8, 0x1), u"0x01"_s);  // WINDOW_UPDATE defines none
        QCOMPARE(h2::frameFlagNames(0x0, 0x20), u"0x20"_s); // PRIORITY only means so on HEADERS
        QCOMPARE(h2::frameFlagNames(0x1, 0x00), QString());
        QCOMPARE(h2::errorCodeName(0), u"NO_ERROR"_s);
        QCOMPARE(h2::errorCodeName(8), u"CANCEL"_s);
        QCOMPARE(h2::errorCodeName(0xd), u"HTTP_1_1_REQUIRED"_s);
        QCOMPARE(h2::errorCodeName(0x1f), u"0x1f"_s);
    }

    void showsTheLogsFrames()
    {
        FrameModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setLog(h2ClientLog(), u"HTTP/2"_s);
        QCOMPARE(model.rowCount(), 18);
        QCOMPARE(cell(model, 0, FrameModel::NumberColumn), u"1"_s);
        QCOMPARE(cell(model, 0, FrameModel::TimeColumn), u"0.000010"_s);
        QCOMPARE(cell(model, 0, FrameModel::DirectionColumn), u"\u2190"_s);
        QCOMPARE(cell(model, 2, FrameModel::DirectionColumn), u"\u2192"_s);
        QCOMPARE(cell(model, 0, FrameModel::TypeColumn), u"SETTINGS"_s);
        QCOMPARE(cell(model, 3, FrameModel::FlagsColumn), u"ACK"_s);
        QCOMPARE(cell(model, 5, FrameModel::TypeColumn), u"HEADERS"_s);
        QCOMPARE(cell(model, 5, FrameModel::FlagsColumn), u"END_HEADERS | PRIORITY"_s);
        QCOMPARE(cell(model, 5, FrameModel::StreamColumn), u"1"_s);
        QCOMPARE(cell(model, 5, FrameModel::LengthColumn), u"41"_s);
        QCOMPARE(cell(model, 5, FrameModel::SummaryColumn),
                 u":method: CONNECT :authority: example.com:443"_s);
        QCOMPARE(cell(model, 16, FrameModel::TypeColumn), u"PRIORITY_UPDATE"_s);
        QCOMPARE(cell(model, 17, FrameModel::TypeColumn), u"0x2a"_s);
        QCOMPARE(cell(model, 17, FrameModel::FlagsColumn), u"0x80"_s);
        QVERIFY(!model.poll()); // nothing new
    }

    void filtersByTypeAndStream()
    {
        FrameModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto log = h2ClientLog();
        model.setLog(log, u"HTTP/2"_s);
        model.setTypeFilter(0x4);
        QCOMPARE(model.rowCount(), 4);
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(cell(model, row, FrameModel::TypeColumn), u"SETTINGS"_s);
        model.setTypeFilter(std::nullopt);
        model.setStreamFilter(1);
        QCOMPARE(model.rowCount(), 5);
        model.setTypeFilter(0x0);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(cell(model, 0, FrameModel::NumberColumn), u"8"_s);

        // New frames pass through the same filter.
        log->addFrame(data(1, 8000));
        log->addFrame(data(3, 8001));
        log->addFrame(frame(8002, true, 0x1, 0x5, 1, 3, "trailers"));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QVERIFY(model.poll());
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(cell(model, 3, FrameModel::NumberColumn), u"19"_s);
        model.setStreamFilter(0);
        model.setTypeFilter(std::nullopt);
        QCOMPARE(model.rowCount(), 9); // the connection's own frames
    }

    void droppedFramesLeaveFromTheTop()
    {
        FrameModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto log = std::make_shared<ConnectionLog>(100);
        for (int i = 0; i < 60; ++i)
            log->addFrame(data(std::uint32_t(1 + 2 * (i % 3)), i));
        model.setLog(log, u"HTTP/2"_s);
        QCOMPARE(model.rowCount(), 60);
        QCOMPARE(model.droppedCount(), 0u);

        for (int i = 60; i < 150; ++i)
            log->addFrame(data(std::uint32_t(1 + 2 * (i % 3)), i));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QVERIFY(model.poll());
        QCOMPARE(reset.count(), 0);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(2).toInt(), 49); // rows 0..49
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.droppedCount(), 50u);
        QCOMPARE(cell(model, 0, FrameModel::NumberColumn), u"51"_s);
        QCOMPARE(cell(model, 99, FrameModel::NumberColumn), u"150"_s);

        // Filtered: only the dropped rows that were shown go.
        model.setStreamFilter(3);
        QCOMPARE(model.rowCount(), 33);
        for (int i = 150; i < 160; ++i)
            log->addFrame(data(std::uint32_t(1 + 2 * (i % 3)), i));
        QVERIFY(model.poll());
        QCOMPARE(model.rowCount(), 33);
        QCOMPARE(model.frameCount(), std::size_t(100));

        // More new frames than the ring holds between two polls: all of ours go.
        for (int i = 160; i < 400; ++i)
            log->addFrame(data(std::uint32_t(1 + 2 * (i % 3)), i));
        QVERIFY(model.poll());
        model.setStreamFilter(std::nullopt);
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(cell(model, 0, FrameModel::NumberColumn), u"301"_s);
    }

    void staysQuickWithAHundredThousandFrames()
    {
        FrameModel model;
        auto log = std::make_shared<ConnectionLog>(100'000);
        for (int i = 0; i < 100'000; ++i)
            log->addFrame(data(std::uint32_t(1 + 2 * (i % 50)), i));
        QElapsedTimer timer;
        timer.start();
        model.setLog(log, u"HTTP/2"_s);
        const qint64 first = timer.restart();
        QCOMPARE(model.rowCount(), 100'000);
        for (int i = 0; i < 1000; ++i)
            log->addFrame(data(1, 100'000 + i));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QVERIFY(model.poll());
        const qint64 next = timer.restart();
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(model.rowCount(), 100'000);
        model.setStreamFilter(1);
        const qint64 filter = timer.elapsed();
        QCOMPARE(model.rowCount(), 2000 + 1000 - 20); // 20 of stream 1 dropped
        qInfo("100k frames: first copy %lld ms, a poll with 1000 new %lld ms, a filter %lld ms",
              first, next, filter);
        QVERIFY2(next < 2000, "a poll must not stall the GUI");
    }

    void paneShowsTheChosenConnectionAndTheDroppedNote()
    {
        FlowStore store;
        auto log = std::make_shared<ConnectionLog>(100);
        for (int i = 0; i < 150; ++i)
            log->addFrame(data(1, i));
        publishAll(store, log);
        FramesPane pane(store);
        QAbstractItemModelTester tester(pane.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(pane.model()->rowCount(), 0);
        pane.showConnection(kH2Client);
        QCOMPARE(pane.model()->rowCount(), 100);
        QCOMPARE(pane.droppedNote(), u"50 older frames dropped; the log keeps the newest 100"_s);

        pane.showConnection(kServerA); // HTTP/1.1: no log
        QCOMPARE(pane.model()->rowCount(), 0);
        QCOMPARE(pane.droppedNote(), QString());
    }

    void paneReadsASpilledLogBack()
    {
        const auto makeLog = [] {
            auto log = std::make_shared<ConnectionLog>(100);
            for (int i = 0; i < 150; ++i)
                log->addFrame(data(std::uint32_t(1 + i % 3 * 2), i));
            log->closed();
            return log;
        };
        FlowStore kept;
        publishAll(kept, makeLog());
        FlowStore spilled;
        auto log = makeLog();
        publishAll(spilled, log);
        QVERIFY(log->spill() > 0); // as the store does past its memory budget

        FramesPane expected(kept);
        expected.showConnection(kH2Client);
        FramesPane pane(spilled);
        QAbstractItemModelTester tester(pane.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        pane.showConnection(kH2Client);
        QCOMPARE(pane.model()->rowCount(), 100);
        QCOMPARE(pane.droppedNote(), u"50 older frames dropped; the log keeps the newest 100"_s);
        for (int row = 0; row < 100; ++row)
            for (int column = 0; column < FrameModel::ColumnCount; ++column)
                QCOMPARE(cell(*pane.model(), row, column), cell(*expected.model(), row, column));
        QVERIFY(log->spilled()); // reading did not bring it back
    }

    void paneFiltersAndFollowsTheStoresBatches()
    {
        FlowStore store;
        publishAll(store);
        FramesPane pane(store);
        pane.showConnection(kH2Client);
        QCOMPARE(pane.model()->rowCount(), 18);
        QCOMPARE(pane.droppedNote(), QString());
        pane.setTypeFilter(0x1);
        QCOMPARE(pane.model()->rowCount(), 5);
        pane.setStreamFilter(3);
        QCOMPARE(pane.model()->rowCount(), 2);
        pane.setStreamFilter(std::nullopt);
        pane.setTypeFilter(std::nullopt);

        // The engine records into a feed; the pane learns of new frames from the store's
        // batch, not by reading the engine's structure.
        auto feed = std::make_shared<LogFeed>();
        Connection live = h2Client(nullptr);
        live.feed = feed;
        store.publish(live);
        store.flush();
        pane.show();
        QCOMPARE(pane.model()->rowCount(), 18);
        feed->addFrame(frame(9000, true, 0x7, 0, 0, 8, "GOAWAY last stream 5 NO_ERROR"));
        QCOMPARE(pane.model()->rowCount(), 18); // not before the batch
        QSignalSpy batches(&store, &FlowStore::logsChanged);
        QTRY_COMPARE_WITH_TIMEOUT(pane.model()->rowCount(), 19, 3000); // the store's timer
        QCOMPARE(batches.count(), 1);
        QCOMPARE(cell(*pane.model(), 18, FrameModel::TypeColumn), u"GOAWAY"_s);

        // 62-bit stream ids and types past 8 bits: shown, filtered and named as they are.
        const std::uint64_t big = (std::uint64_t(1) << 62) - 1;
        feed->addFrame(FrameRecord{9100, true, 0x100, 0, big, 1, "type 0x100"});
        store.flush();
        QCOMPARE(pane.model()->rowCount(), 20);
        QCOMPARE(cell(*pane.model(), 19, FrameModel::StreamColumn), QString::number(big));
        QCOMPARE(cell(*pane.model(), 19, FrameModel::TypeColumn), u"0x100"_s);
        QCOMPARE(pane.model()->index(19, 0).data(FrameModel::TypeRole).toULongLong(), 0x100ULL);
        pane.setTypeFilter(0x100);
        QCOMPARE(pane.model()->rowCount(), 1); // not DATA (0x00), as an 8-bit cast made it
        pane.setTypeFilter(std::nullopt);
        auto *streamEdit = pane.findChild<QLineEdit *>(u"frameStreamFilter"_s);
        QVERIFY(streamEdit);
        streamEdit->clear();
        QTest::keyClicks(streamEdit, QString::number(big));
        QCOMPARE(streamEdit->text(), QString::number(big)); // the validator takes 19 digits
        QCOMPARE(pane.model()->streamFilter(), std::optional<std::uint64_t>(big));
        QCOMPARE(pane.model()->rowCount(), 1);
        streamEdit->setText(u"9999999999999999999"_s); // over 2^62 - 1: the largest id
        QCOMPARE(pane.model()->streamFilter(), std::optional<std::uint64_t>(big));
    }

    void jumpsBetweenFramesAndFlows()
    {
        FlowStore store;
        publishAll(store);
        FramesPane pane(store);
        QSignalSpy requested(&pane, &FramesPane::flowRequested);
        QSignalSpy shown(&pane, &FramesPane::connectionShown);

        // From a flow to the frames of its stream, switching to its connection.
        QVERIFY(pane.showStreamOfFlow(kTunnelB));
        QCOMPARE(pane.connection(), kH2Client);
        QCOMPARE(shown.count(), 1);
        QCOMPARE(pane.model()->streamFilter(), std::optional<std::uint64_t>(3));
        QCOMPARE(pane.model()->rowCount(), 2);
        QCOMPARE(pane.view()->selectionModel()->selectedRows().size(), 2);
        QVERIFY(!pane.showStreamOfFlow(kTunnelH1)); // HTTP/1.1: no stream
        QVERIFY(!pane.showStreamOfFlow(12345));

        // From a frame to the flow its stream carried.
        pane.setStreamFilter(std::nullopt);
        QCOMPARE(pane.flowAtRow(5), kTunnelA);  // HEADERS on stream 1
        QCOMPARE(pane.flowAtRow(0), FlowId(0)); // SETTINGS: the connection's own
        Q_EMIT pane.view()->doubleClicked(pane.model()->index(12, 0)); // RST_STREAM on 5
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).value<FlowId>(), kTunnelC);
        Q_EMIT pane.view()->doubleClicked(pane.model()->index(0, 0));
        QCOMPARE(requested.count(), 1);
    }
};

QTEST_MAIN(FramesPaneTest)
#include "frames_pane_test.moc"
