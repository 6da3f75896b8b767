#include "core/flow/connection_log.h"
#include "core/flow/flow_store.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"
#include "ui/panes/connections_pane.h"
#include "ui/panes/frame_model.h"
#include "ui/panes/frames_pane.h"
#include "ui/panes/stream_model.h"
#include "ui/panes/streams_pane.h"

#include <QAction>
#include <QDockWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

constexpr ConnectionId kClient = 3; // HTTP/1.1 from the client: no frame log
constexpr ConnectionId kServer = 2; // h2 to the origin
constexpr FlowId kOverH2 = 5;       // went to the origin on the server connection's kStream
constexpr FlowId kH1Only = 6;
// Past 32 bits (HTTP/3 stream ids are 62): a link that narrows it finds nothing.
constexpr std::uint64_t kStream = (std::uint64_t(1) << 32) + 1;

void fill(FlowStore &store)
{
    Connection server;
    server.id = kServer;
    server.side = Side::Server;
    server.protocol = "h2";
    server.target = "example.com:443";
    server.log = std::make_shared<ConnectionLog>();
    server.log->addFrame(FrameRecord{10, false, 0x1, 0x5, kStream, 30, ":method: GET :path: /a"});
    server.log->addFrame(FrameRecord{20, true, 0x1, 0x4, kStream, 12, ":status: 200"});
    // What the engine records on a server-side connection: the stream, but no flow.
    server.log->editStream(kStream, [](StreamRecord &s) { s.summary = "GET /a"; });
    Connection client;
    client.id = kClient;
    client.protocol = "HTTP/1.1";
    client.clientAddress = "127.0.0.1:50000";
    store.publish(client);
    store.publish(server);
    for (const FlowId id : {kOverH2, kH1Only}) {
        Flow f;
        f.id = id;
        f.state = FlowState::Complete;
        f.scheme = "https";
        f.host = "example.com";
        f.port = 443;
        f.method = "GET";
        f.path = id == kOverH2 ? "/a" : "/b";
        f.status = 200;
        f.clientConnection = kClient;
        if (id == kOverH2) {
            f.serverConnection = kServer;
            f.serverStream = kStream;
        }
        store.publish(f);
    }
    store.flush();
}

QTableView *table(const MainWindow &window)
{
    return window.findChild<QTableView *>(u"flowTable"_s);
}

void selectFlowRow(const MainWindow &window, FlowId id)
{
    const auto *model = qobject_cast<const ts::ui::FlowTableModel *>(table(window)->model());
    table(window)->selectRow(model->rowOfFlow(id));
}

FlowId currentFlow(const MainWindow &window)
{
    const auto *model = qobject_cast<const ts::ui::FlowTableModel *>(table(window)->model());
    const Flow *f = model->flowAt(table(window)->currentIndex().row());
    return f ? f->id : 0;
}

} // namespace

// Issue 17, defect 9: from a flow to its connection and frames, and from a frame or stream of
// either side back to its flow.
class MainWindowLinksTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowLinksTest"_s);
        QSettings().clear();
    }
    void cleanupTestCase() { QSettings().clear(); }

    void fromAFlowToItsFramesAndBack()
    {
        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        fill(store);
        const ts::ui::InspectorDocks &docks = window.inspectorDocks();

        selectFlowRow(window, kOverH2);
        window.findChild<QAction *>(u"showConnectionAction"_s)->trigger();
        QCOMPARE(docks.frames->connection(), kServer);
        QVERIFY(docks.framesDock->isVisible());
        docks.frames->refresh();
        QCOMPARE(docks.frames->model()->rowCount(), 2); // the stream's frames
        QCOMPARE(docks.connections->selectedConnection(), kServer);

        // Back: the server-side frame names no flow; the flow names its server stream.
        selectFlowRow(window, kH1Only);
        QCOMPARE(docks.frames->flowAtRow(0), kOverH2);
        Q_EMIT docks.frames->view()->doubleClicked(docks.frames->model()->index(0, 0));
        QCOMPARE(currentFlow(window), kOverH2);

        selectFlowRow(window, kH1Only);
        docks.streams->showConnection(kServer);
        docks.streams->refresh();
        QCOMPARE(docks.streams->model()->rowCount(), 1);
        Q_EMIT docks.streams->view()->doubleClicked(docks.streams->model()->index(0, 0));
        QCOMPARE(currentFlow(window), kOverH2);
    }

    void anHttp1FlowShowsItsConnection()
    {
        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        fill(store);
        selectFlowRow(window, kH1Only);
        QVERIFY(window.showSelectedConnection());
        QCOMPARE(window.inspectorDocks().connections->selectedConnection(), kClient);
        QVERIFY(window.inspectorDocks().connectionsDock->isVisible());
    }
};

QTEST_MAIN(MainWindowLinksTest)
#include "main_window_links_test.moc"
