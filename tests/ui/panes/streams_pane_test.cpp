#include "tests/ui/panes/synthetic_flows.h"
#include "ui/panes/stream_model.h"
#include "ui/panes/streams_pane.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using namespace ts::test;
using ts::ui::StreamModel;
using ts::ui::StreamsPane;
using namespace Qt::StringLiterals;

namespace {

QString cell(const QAbstractItemModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

void openStream(ConnectionLog &log, std::uint32_t id)
{
    log.editStream(id, [&](StreamRecord &s) {
        s.summary = "GET /" + std::to_string(id);
        s.history = {{std::int64_t(id), "open"}};
    });
}

} // namespace

// StreamModel and the streams pane: state and its history, windows, reset codes by name, the
// link to the flow, and the log's changes applied without a reset.
class StreamsPaneTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTheLogsStreams()
    {
        StreamModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setLog(h2ClientLog());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(cell(model, 0, StreamModel::IdColumn), u"1"_s);
        QCOMPARE(cell(model, 0, StreamModel::SummaryColumn), u"CONNECT example.com:443"_s);
        QCOMPARE(cell(model, 0, StreamModel::StateColumn), u"half-closed (remote)"_s);
        QCOMPARE(model.index(0, StreamModel::StateColumn).data(Qt::ToolTipRole).toString(),
                 u"0.000900 s  open\n0.006000 s  half-closed (remote)"_s);
        QCOMPARE(cell(model, 0, StreamModel::InColumn), u"797 B"_s);
        QCOMPARE(cell(model, 0, StreamModel::OutColumn), u"4.0 KiB"_s);
        QCOMPARE(cell(model, 0, StreamModel::LocalWindowColumn), u"6290659"_s);
        QCOMPARE(cell(model, 0, StreamModel::RemoteWindowColumn), u"1044480"_s);
        QCOMPARE(cell(model, 0, StreamModel::ResetColumn), QString());
        QCOMPARE(cell(model, 0, StreamModel::FlowColumn), u"#10"_s);
        QCOMPARE(cell(model, 2, StreamModel::StateColumn), u"reset: CANCEL"_s);
        QCOMPARE(cell(model, 2, StreamModel::ResetColumn), u"CANCEL"_s);
        QCOMPARE(model.index(2, 0).data(StreamModel::FlowIdRole).toULongLong(), kTunnelC);
        QVERIFY(!model.poll());
    }

    void followsTheLogWithoutResets()
    {
        StreamModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto log = std::make_shared<ConnectionLog>(10000, 4);
        for (std::uint32_t id : {1u, 3u, 5u})
            openStream(*log, id);
        model.setLog(log);
        QCOMPARE(model.rowCount(), 3);

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        log->editStream(3, [](StreamRecord &s) { s.history.push_back({10, "closed"}); });
        openStream(*log, 7);
        QVERIFY(model.poll());
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(cell(model, 1, StreamModel::StateColumn), u"closed"_s);

        // The log keeps the newest four: 1 and 3 go from the top.
        openStream(*log, 9);
        openStream(*log, 11);
        QVERIFY(model.poll());
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(2).toInt(), 1);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(cell(model, 0, StreamModel::IdColumn), u"5"_s);
        QCOMPARE(cell(model, 3, StreamModel::IdColumn), u"11"_s);
        QCOMPARE(model.rowOfStream(9), 2);
        QCOMPARE(model.rowOfStream(1), -1);
    }

    void paneShowsHistoryAndRequestsTheFlow()
    {
        FlowStore store;
        auto log = h2ClientLog();
        publishAll(store, log);
        StreamsPane pane(store);
        QSignalSpy requested(&pane, &StreamsPane::flowRequested);
        pane.showConnection(kH2Client);
        QCOMPARE(pane.model()->rowCount(), 3);
        QVERIFY(pane.selectStream(5));
        QCOMPARE(pane.historyText(), u"0.004000 s  open\n0.004100 s  reset: CANCEL"_s);
        Q_EMIT pane.view()->doubleClicked(pane.model()->index(1, StreamModel::SummaryColumn));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).value<FlowId>(), kTunnelB);

        // Live: the selected stream's history follows the store's batches, which take what
        // the engine's feed gathered.
        auto feed = std::make_shared<LogFeed>();
        Connection live = h2Client(nullptr);
        live.feed = feed;
        store.publish(live);
        store.flush();
        pane.show();
        StreamRecord five = log->streams().at(2);
        five.history.push_back({5000, "closed"});
        feed->editStream(5, [&](StreamRecord &s) { s = five; });
        QVERIFY(!pane.historyText().endsWith(u"0.005000 s  closed"_s)); // not before the batch
        store.flush();
        QVERIFY(pane.historyText().endsWith(u"0.005000 s  closed"_s));

        pane.showConnection(kServerA);
        QCOMPARE(pane.model()->rowCount(), 0);
        QCOMPARE(pane.historyText(), QString());
    }
};

QTEST_MAIN(StreamsPaneTest)
#include "streams_pane_test.moc"
