#include "tests/ui/panes/synthetic_flows.h"
#include "ui/panes/connection_model.h"
#include "ui/panes/connections_pane.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using namespace ts::test;
using ts::ui::ConnectionModel;
using ts::ui::ConnectionsPane;
using namespace Qt::StringLiterals;

namespace {

QString cell(const QAbstractItemModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

} // namespace

// ConnectionModel and the connections pane: both sides, TLS in one line, streams from the log,
// lifetime, selection announced once.
class ConnectionsPaneTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsBothSides()
    {
        FlowStore store;
        ConnectionModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setWallClock([] { return kT0 + 12'400; });
        publishAll(store);
        QCOMPARE(model.rowCount(), 3);

        QCOMPARE(cell(model, 0, ConnectionModel::SideColumn), u"client"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::ProtocolColumn), u"HTTP/2"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::AddressColumn), u"127.0.0.1:50412"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::TlsColumn),
                 u"TLSv1.3 \u00b7 h2 \u00b7 localhost"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::StreamsColumn), u"3"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::InColumn), u"47.1 KiB"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::OutColumn), u"1.1 MiB"_s);
        QCOMPARE(cell(model, 0, ConnectionModel::LifetimeColumn), u"12.4 s, open"_s);
        QVERIFY(model.index(0, ConnectionModel::TlsColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(u"Cipher: TLS_AES_128_GCM_SHA256"_s));

        QCOMPARE(cell(model, 1, ConnectionModel::SideColumn), u"server"_s);
        QCOMPARE(cell(model, 1, ConnectionModel::AddressColumn),
                 u"example.com:443 (93.184.216.34:443)"_s);
        QCOMPARE(cell(model, 1, ConnectionModel::StreamsColumn), QString()); // no log
        QCOMPARE(cell(model, 1, ConnectionModel::LifetimeColumn), u"1 min 05 s"_s);
        QCOMPARE(cell(model, 1, ConnectionModel::CloseReasonColumn),
                 u"server closed the connection"_s);
        QCOMPARE(cell(model, 2, ConnectionModel::TlsColumn), QString());
        QCOMPARE(cell(model, 2, ConnectionModel::LifetimeColumn), u"850 ms"_s);
        QCOMPARE(model.index(1, 0).data(ConnectionModel::ConnectionIdRole).toULongLong(), kServerA);
    }

    void updatesInPlaceAndAppends()
    {
        FlowStore store;
        ConnectionModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        publishAll(store);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Connection c = h1Client();
        c.bytesIn = 4096;
        store.publish(c);
        Connection fresh = h1Client();
        fresh.id = 7;
        store.publish(fresh);
        store.flush();
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(cell(model, 2, ConnectionModel::InColumn), u"4.0 KiB"_s);
        QCOMPARE(model.rowOf(7), 3);

        store.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void durations()
    {
        QCOMPARE(ConnectionModel::formatDuration(0), u"0 ms"_s);
        QCOMPARE(ConnectionModel::formatDuration(59'949), u"59.9 s"_s);
        QCOMPARE(ConnectionModel::formatDuration(3 * 60'000 + 5'000), u"3 min 05 s"_s);
        QCOMPARE(ConnectionModel::formatDuration(2 * 3'600'000 + 60'000), u"2 h 01 min"_s);
        QCOMPARE(ConnectionModel::formatDuration(-1), QString());
    }

    void selectingAConnectionAnnouncesIt()
    {
        FlowStore store;
        ConnectionsPane pane(store);
        publishAll(store);
        QSignalSpy selected(&pane, &ConnectionsPane::connectionSelected);
        QVERIFY(pane.selectConnection(kServerA));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(0).value<ConnectionId>(), kServerA);
        QCOMPARE(pane.selectedConnection(), kServerA);
        QVERIFY(!pane.selectConnection(99));

        // Only client side: the server connection is hidden; selecting it shows both again.
        pane.setSideFilter(ConnectionsPane::SideFilter::Client);
        QCOMPARE(pane.view()->model()->rowCount(), 2);
        QVERIFY(pane.selectConnection(kServerA));
        QCOMPARE(pane.view()->model()->rowCount(), 3);

        // Clicking a row is what a person does.
        QVERIFY(pane.selectConnection(kH2Client));
        QCOMPARE(selected.last().at(0).value<ConnectionId>(), kH2Client);
    }
};

QTEST_MAIN(ConnectionsPaneTest)
#include "connections_pane_test.moc"
