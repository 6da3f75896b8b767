#include "tests/ui/panes/synthetic_flows.h"
#include "ui/panes/connections_pane.h"
#include "ui/panes/frame_model.h"
#include "ui/panes/frames_pane.h"
#include "ui/panes/inspector_docks.h"
#include "ui/panes/stream_model.h"
#include "ui/panes/streams_pane.h"
#include "ui/panes/tunnel_model.h"
#include "ui/panes/tunnels_pane.h"

#include <QDockWidget>
#include <QLabel>
#include <QMainWindow>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>

using namespace ts::flow;
using namespace ts::test;
using ts::ui::createInspectorDocks;
using ts::ui::InspectorDocks;
using namespace Qt::StringLiterals;

// createInspectorDocks: four named docks, and a chosen connection reaching frames and streams.
//
// Also a demo for looking at the panes: `TS_DEMO_SECONDS=20 <this test> demo` shows a window
// with the panes filled with synthetic, live data (TS_DEMO_RAISE=tunnels|connections|frames|
// streams picks the tab in front); scripts/screenshot-panes.sh takes pictures of it.
class InspectorDocksTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createsNamedDocks()
    {
        FlowStore store;
        QMainWindow window;
        const InspectorDocks docks = createInspectorDocks(store, window);
        QVERIFY(docks.tunnels && docks.connections && docks.frames && docks.streams);
        QCOMPARE(docks.tunnelsDock->objectName(), u"tunnelsDock"_s);
        QCOMPARE(docks.connectionsDock->objectName(), u"connectionsDock"_s);
        QCOMPARE(docks.framesDock->objectName(), u"framesDock"_s);
        QCOMPARE(docks.streamsDock->objectName(), u"streamsDock"_s);
        QCOMPARE(docks.tunnelsDock->widget(), docks.tunnels);
        QCOMPARE(window.findChildren<QDockWidget *>().size(), 4);
        // saveState/restoreState round trip (the names make it work).
        const QByteArray state = window.saveState();
        QVERIFY(window.restoreState(state));
    }

    void aChosenConnectionReachesFramesAndStreams()
    {
        FlowStore store;
        QMainWindow window;
        const InspectorDocks docks = createInspectorDocks(store, window);
        publishAll(store);
        QVERIFY(docks.connections->selectConnection(kH2Client));
        QCOMPARE(docks.frames->connection(), kH2Client);
        QCOMPARE(docks.streams->connection(), kH2Client);
        QCOMPARE(docks.frames->model()->rowCount(), 18);
        QCOMPARE(docks.streams->model()->rowCount(), 3);

        QVERIFY(docks.connections->selectConnection(kServerA));
        QCOMPARE(docks.frames->connection(), kServerA);
        // The frames pane jumping to a flow's stream takes the connections pane along.
        QVERIFY(docks.frames->showStreamOfFlow(kTunnelA));
        QCOMPARE(docks.connections->selectedConnection(), kH2Client);
        QCOMPARE(docks.streams->connection(), kH2Client);
    }

    void demo()
    {
        const int seconds = qEnvironmentVariableIntValue("TS_DEMO_SECONDS");
        if (seconds <= 0)
            QSKIP("set TS_DEMO_SECONDS to show the panes");
        FlowStore store;
        QMainWindow window;
        window.setWindowTitle(u"Tunnelscope \u2014 inspector panes (synthetic data)"_s);
        auto *central = new QLabel(u"(the flows table)"_s, &window);
        central->setAlignment(Qt::AlignCenter);
        window.setCentralWidget(central);
        const InspectorDocks docks = createInspectorDocks(store, window);
        auto log = h2ClientLog();
        publishAll(store, log);
        Connection server = serverA();
        server.id = 5;
        server.target = "bank.example:443";
        server.peerAddress = "198.51.100.7:443";
        server.closedWall = 0;
        server.closeReason.clear();
        server.tls = tls("TLSv1.2", "", "bank.example");
        store.publish(server);
        store.flush();

        docks.connections->selectConnection(kH2Client);
        docks.tunnels->selectTunnel(kTunnelA);
        docks.streams->selectStream(5);
        window.resize(1380, 860);
        window.resizeDocks({docks.tunnelsDock, docks.framesDock}, {640, 740}, Qt::Horizontal);
        window.resizeDocks({docks.tunnelsDock}, {600}, Qt::Vertical);
        const QString raise = qEnvironmentVariable("TS_DEMO_RAISE");
        if (raise == u"tunnels"_s) { // wide enough for the byte counts and throughput
            docks.tunnelsDock->raise();
            window.resizeDocks({docks.tunnelsDock, docks.framesDock}, {960, 420}, Qt::Horizontal);
        }
        if (raise == u"streams"_s)
            docks.streamsDock->raise();
        window.show();

        // Live: the tunnel moves bytes and the connection logs DATA frames.
        Flow a = *store.find(kTunnelA);
        Flow b = *store.find(kTunnelB);
        std::int64_t micros = 10'000;
        QTimer live;
        connect(&live, &QTimer::timeout, &window, [&] {
            a.bytesServerToClient += 180 * 1024;
            a.bytesClientToServer += 3 * 1024;
            b.bytesServerToClient += 24 * 1024;
            store.publish(a);
            store.publish(b);
            for (int i = 0; i < 4; ++i) {
                micros += 1250;
                log->addFrame(frame(micros, i % 4 != 3, 0x0, 0, 1, 16384, "16384 bytes"));
            }
            log->addFrame(frame(micros + 10, false, 0x8, 0, 1, 4, "WINDOW_UPDATE +65536"));
        });
        live.start(200);
        QTest::qWait(seconds * 1000);
    }
};

QTEST_MAIN(InspectorDocksTest)
#include "inspector_docks_test.moc"
