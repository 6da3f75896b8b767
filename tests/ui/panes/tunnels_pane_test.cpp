#include "tests/ui/panes/synthetic_flows.h"
#include "ui/panes/carried_flows_model.h"
#include "ui/panes/tunnel_model.h"
#include "ui/panes/tunnels_pane.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using namespace ts::test;
using ts::ui::CarriedFlowsModel;
using ts::ui::TunnelModel;
using ts::ui::TunnelsPane;
using namespace Qt::StringLiterals;

namespace {

QString cell(const QAbstractItemModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

} // namespace

// TunnelModel, CarriedFlowsModel and the tunnels pane: only tunnels, in arrival order, with the
// carrier named, interception, bytes and throughput following the store.
class TunnelsPaneTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsOnlyTunnelsWithTheirCarrier()
    {
        FlowStore store;
        TunnelModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        publishAll(store);
        QCOMPARE(inserted.count(), 1); // one batch, one insert
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.flowIdAt(0), kTunnelA);
        QCOMPARE(model.flowIdAt(4), kTunnelSocks);

        QCOMPARE(cell(model, 0, TunnelModel::CarrierColumn), u"HTTP/2 stream 1 on connection 1"_s);
        QCOMPARE(cell(model, 3, TunnelModel::CarrierColumn), u"HTTP/1.1 CONNECT"_s);
        QCOMPARE(cell(model, 4, TunnelModel::CarrierColumn), u"SOCKS5"_s);
        QCOMPARE(cell(model, 0, TunnelModel::TargetColumn), u"example.com:443"_s);
        QCOMPARE(cell(model, 0, TunnelModel::ClientColumn), u"127.0.0.1:50412"_s);
        QCOMPARE(cell(model, 0, TunnelModel::InterceptionColumn), u"intercepted"_s);
        QCOMPARE(cell(model, 1, TunnelModel::InterceptionColumn), u"passed through"_s);
        QCOMPARE(model.index(1, TunnelModel::InterceptionColumn).data(Qt::ToolTipRole).toString(),
                 u"passed through: bank.example is on the pass-through list"_s);
        QCOMPARE(cell(model, 1, TunnelModel::ReceivedColumn), u"225.1 KiB"_s);
        QCOMPARE(cell(model, 2, TunnelModel::StateColumn), u"failed"_s);
        QCOMPARE(cell(model, 3, TunnelModel::StateColumn), u"closed"_s);
        QCOMPARE(cell(model, 3, TunnelModel::CloseReasonColumn), u"client closed the connection"_s);
        QCOMPARE(model.index(0, 0).data(TunnelModel::FlowIdRole).toULongLong(), kTunnelA);
        QCOMPARE(model.rowOf(kTunnelH1), 3);
        QCOMPARE(model.rowOf(100), -1); // an exchange
    }

    void startsWithTunnelsAlreadyInTheStoreAndResetsOnClear()
    {
        FlowStore store;
        publishAll(store);
        TunnelModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 5);
        store.clear();
        QCOMPARE(model.rowCount(), 0);
        publishAll(store);
        QCOMPARE(model.rowCount(), 5);
    }

    void throughputFromSuccessiveUpdates()
    {
        FlowStore store;
        TunnelModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        qint64 now = 1000;
        model.setClock([&] { return now; });
        Flow t = tunnel(1, 1, "example.com", 443);
        store.publish(t);
        store.publish(exchange(2, 0, "/", 200)); // not a tunnel: no row, no change
        store.flush();
        QCOMPARE(model.rowCount(), 1);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        now += 1000;
        t.bytesClientToServer = 1000;
        t.bytesServerToClient = 50 * 1024;
        store.publish(t);
        Flow e = exchange(2, 0, "/", 200);
        e.status = 404;
        store.publish(e);
        store.flush();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.rateAt(0).up, 1000.0);
        QCOMPARE(model.rateAt(0).down, 50.0 * 1024);
        QCOMPARE(cell(model, 0, TunnelModel::ThroughputColumn),
                 u"\u2191 1000 B/s  \u2193 50.0 KiB/s"_s);
        QCOMPARE(cell(model, 0, TunnelModel::SentColumn), u"1000 B"_s);

        // An update sooner than the interval keeps the rate; the bytes still show.
        now += 100;
        t.bytesClientToServer = 1500;
        store.publish(t);
        store.flush();
        QCOMPARE(model.rateAt(0).up, 1000.0);
        QCOMPARE(cell(model, 0, TunnelModel::SentColumn), u"1.5 KiB"_s);

        now += 400; // 500 ms since the last sample: 500 bytes more
        store.publish(t);
        store.flush();
        QCOMPARE(model.rateAt(0).up, 1000.0);
        QCOMPARE(model.rateAt(0).down, 0.0);

        // Quiet for longer than kQuietMs: the rate falls to zero on the next refresh.
        now += TunnelModel::kQuietMs + 1;
        changed.clear();
        model.refreshRates();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().column(), int(TunnelModel::ThroughputColumn));
        QCOMPARE(model.rateAt(0).up, 0.0);

        t.state = FlowState::Complete;
        store.publish(t);
        store.flush();
        QCOMPARE(cell(model, 0, TunnelModel::ThroughputColumn), QString());
    }

    void carriedFlowsFollowTheTunnel()
    {
        FlowStore store;
        CarriedFlowsModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        publishAll(store);
        QCOMPARE(model.rowCount(), 0);
        model.setTunnel(kTunnelA);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.flowIdAt(0), FlowId(100));
        QCOMPARE(cell(model, 1, CarriedFlowsModel::UrlColumn), u"https://example.com/style.css"_s);
        QCOMPARE(cell(model, 2, CarriedFlowsModel::StatusColumn), QString());

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        store.publish(exchange(103, kTunnelA, "/new", 200));
        store.publish(exchange(104, kTunnelB, "/elsewhere", 200));
        store.publish(exchange(102, kTunnelA, "/api/slow", 201));
        store.flush();
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(cell(model, 2, CarriedFlowsModel::StatusColumn), u"201"_s);

        model.setTunnel(kTunnelB);
        QCOMPARE(model.rowCount(), 1);
        model.setTunnel(0);
        QCOMPARE(model.rowCount(), 0);
    }

    void selectingATunnelAnnouncesItAndShowsWhatItCarried()
    {
        FlowStore store;
        TunnelsPane pane(store);
        publishAll(store);
        QSignalSpy selected(&pane, &TunnelsPane::tunnelSelected);
        QSignalSpy requested(&pane, &TunnelsPane::flowRequested);

        QVERIFY(pane.selectTunnel(kTunnelA));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(0).value<FlowId>(), kTunnelA);
        QCOMPARE(pane.selectedTunnel(), kTunnelA);
        QCOMPARE(pane.carriedModel()->rowCount(), 3);

        QVERIFY(pane.selectTunnel(kTunnelSocks));
        QCOMPARE(selected.count(), 2);
        QCOMPARE(pane.carriedModel()->rowCount(), 0);
        QVERIFY(!pane.selectTunnel(100)); // an exchange is not a tunnel

        // Sorting by bytes received keeps the selection and the ids straight.
        pane.view()->sortByColumn(TunnelModel::ReceivedColumn, Qt::DescendingOrder);
        QCOMPARE(pane.view()->model()->index(0, 0).data(TunnelModel::FlowIdRole).toULongLong(),
                 kTunnelB);
        QCOMPARE(pane.selectedTunnel(), kTunnelSocks);

        QVERIFY(pane.selectTunnel(kTunnelA));
        Q_EMIT pane.carriedView()->doubleClicked(pane.carriedModel()->index(1, 0));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).value<FlowId>(), FlowId(101));
    }

    void carrierColumnFitsAnH2Carrier()
    {
        // At its default width the carrier of a CONNECT stream on a long-lived h2 connection
        // reads whole, not "HTTP/2 stream 1 on connectio…".
        FlowStore store;
        TunnelsPane pane(store);
        Flow f;
        f.id = 1;
        f.kind = FlowKind::Tunnel;
        f.clientProtocol = "HTTP/2";
        f.clientStream = 101;
        f.clientConnection = 1234;
        const QString text = TunnelModel::carrierText(f);
        QCOMPARE(text, u"HTTP/2 stream 101 on connection 1234"_s);
        const QTableView &view = *pane.view();
        QVERIFY2(view.columnWidth(TunnelModel::CarrierColumn)
                     > view.fontMetrics().horizontalAdvance(text),
                 qPrintable(QString::number(view.columnWidth(TunnelModel::CarrierColumn))));
    }
};

QTEST_MAIN(TunnelsPaneTest)
#include "tunnels_pane_test.moc"
