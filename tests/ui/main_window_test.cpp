#include "core/flow/flow_store.h"
#include "core/flow/har.h"
#include "ui/detail/flow_detail_pane.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"
#include "ui/setup/system_proxy.h"

#include "setup/fake_runner.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace ts::flow;
using ts::ui::FlowTableModel;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

void publishFlows(FlowStore &store, FlowId first, FlowId last)
{
    for (FlowId id = first; id <= last; ++id) {
        Flow f;
        f.id = id;
        f.state = FlowState::Complete;
        f.scheme = "http";
        f.host = "example.com";
        f.port = 80;
        f.method = "GET";
        f.path = "/" + std::to_string(id);
        f.status = 200;
        store.publish(f);
    }
    store.flush();
}

QString labelText(const MainWindow &window, const QString &name)
{
    const auto *label = window.findChild<QLabel *>(name);
    return label ? label->text() : u"<no label %1>"_s.arg(name);
}

QAction *action(const MainWindow &window, const QString &name)
{
    return window.findChild<QAction *>(name);
}

} // namespace

// MainWindow offscreen: the table follows the store, the status bar follows the batches,
// the menus do what they say, geometry survives a restart.
class MainWindowTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void systemProxyIsPutBackWhenTheWindowGoes()
    {
        FlowStore store;
        QStringList ran;
        {
            MainWindow window(store, {u"127.0.0.1:8080"_s});
            auto runner = std::make_unique<FakeRunner>();
            runner->installed = {u"gsettings"_s};
            runner->answers[u"/usr/bin/gsettings get org.gnome.system.proxy mode"_s]
                = {true, 0, u"'none'"_s, {}};
            runner->copyTo = &ran;
            window.setCommandRunner(std::move(runner));
            QVERIFY(window.systemProxy().enable(ts::ui::SystemProxy::Desktop::Gnome, u"127.0.0.1"_s,
                                                8080));
            QCOMPARE(ran.last(), u"/usr/bin/gsettings set org.gnome.system.proxy mode 'manual'"_s);
            ran.clear();
        }
        QVERIFY(ran.contains(u"/usr/bin/gsettings set org.gnome.system.proxy mode 'none'"_s));
    }

    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings goes to a test location
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowTest"_s);
        QSettings().clear();
    }
    void cleanupTestCase() { QSettings().clear(); }

    void showsFlowsAndStatus()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.windowTitle(), u"Tunnelscope"_s);
        QCOMPARE(labelText(window, u"listeningLabel"_s), u"Listening on 127.0.0.1:8080"_s);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"0 flows"_s);

        publishFlows(store, 1, 1);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"1 flow"_s);
        publishFlows(store, 2, 40);
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        QVERIFY(view);
        QCOMPARE(view->model()->rowCount(), 40);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"40 flows"_s);
        QCOMPARE(view->model()->index(39, 0).data().toString(), u"40"_s);

        store.clear();
        QCOMPARE(view->model()->rowCount(), 0);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"0 flows"_s);
    }

    void listsSeveralAddresses()
    {
        FlowStore store;
        MainWindow none(store, {});
        QCOMPARE(labelText(none, u"listeningLabel"_s), u"Not listening"_s);
        MainWindow two(store, {u"127.0.0.1:8080"_s, u"[::1]:8080"_s});
        QCOMPARE(labelText(two, u"listeningLabel"_s), u"Listening on 127.0.0.1:8080, [::1]:8080"_s);
    }

    void autoScrollFollowsNewFlows()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        window.resize(800, 400);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        QAction *autoScroll = action(window, u"autoScrollAction"_s);
        QVERIFY(autoScroll);
        QVERIFY(autoScroll->isCheckable());
        QVERIFY(autoScroll->isChecked()); // on by default

        publishFlows(store, 1, 200);
        QScrollBar *bar = view->verticalScrollBar();
        QVERIFY(bar->maximum() > 0);
        QTRY_COMPARE(bar->value(), bar->maximum());

        autoScroll->setChecked(false);
        view->scrollToTop();
        publishFlows(store, 201, 400);
        QCoreApplication::processEvents();
        QCOMPARE(bar->value(), 0);
        autoScroll->setChecked(true); // the setting is persisted; leave it as found
    }

    void quitClosesAndGeometrySurvives()
    {
        FlowStore store;
        {
            MainWindow window(store, {u"127.0.0.1:8080"_s});
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(900, 600);
            QTRY_COMPARE(window.size(), QSize(900, 600));
            QAction *quit = action(window, u"quitAction"_s);
            QVERIFY(quit);
            QCOMPARE(quit->shortcut(), QKeySequence(QKeySequence::Quit));
            quit->trigger();
            QVERIFY(!window.isVisible());
        }
        QVERIFY(QSettings().contains(u"MainWindow/geometry"_s));
        MainWindow again(store, {u"127.0.0.1:8080"_s});
        QCOMPARE(again.size(), QSize(900, 600));
    }

    void menusHoldOnlyWorkingActions()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        const QList<QAction *> menus = window.menuBar()->actions();
        QCOMPARE(menus.size(), 4);
        QCOMPARE(menus[0]->text(), u"&File"_s);
        QCOMPARE(menus[1]->text(), u"&Edit"_s);
        QCOMPARE(menus[2]->text(), u"&View"_s);
        QCOMPARE(menus[3]->text(), u"&Help"_s);
        QStringList items;
        for (QAction *menu : menus) {
            for (QAction *item : menu->menu()->actions()) {
                if (!item->isSeparator() && item->isVisible())
                    items.append(item->text());
            }
        }
        QStringList expected{u"&Open Session\u2026"_s,    u"&Save Session"_s,
                             u"Save Session &As\u2026"_s, u"&Import HAR\u2026"_s,
                             u"&Export HAR\u2026"_s,      u"&Quit"_s,
                             u"Copy as &curl"_s};
#ifdef TS_HAVE_FILTER
        expected.append(u"&Filter\u2026"_s);
#endif
        expected += {u"C&lear"_s, u"&Preferences\u2026"_s, u"&Auto-scroll to new flows"_s,
                     u"&Pause"_s, u"Details"_s};
        // Then a toggle for each inspector dock (ui/panes), in whatever order they were made.
        QStringList docks = items.mid(expected.size(), 4);
        docks.sort();
        QCOMPARE(items.first(expected.size()), expected);
        QCOMPARE(docks, (QStringList{u"Connections"_s, u"Frames"_s, u"Streams"_s, u"Tunnels"_s}));
        // Help: setting up a client works without a CA too (the proxy variables).
        QCOMPARE(items.mid(expected.size() + 4), QStringList{u"&Set up a client\u2026"_s});
        // No engine hook: no intercept button; no CA: no CA dialog.
        QVERIFY(!action(window, u"interceptAction"_s));
        QVERIFY(!action(window, u"caAction"_s));
        QCOMPARE(action(window, u"openAction"_s)->shortcut(), QKeySequence(QKeySequence::Open));
        QCOMPARE(action(window, u"saveAction"_s)->shortcut(), QKeySequence(QKeySequence::Save));
    }

    void interceptToggleCallsTheEngine()
    {
        FlowStore store;
        QList<bool> calls;
        ts::ui::EngineControls engine;
        engine.setIntercepting = [&](bool on) {
            calls.append(on);
        };
        engine.intercepting = true;
        MainWindow window(store, {u"127.0.0.1:8080"_s}, engine);
        QAction *intercept = action(window, u"interceptAction"_s);
        QVERIFY(intercept);
        QVERIFY(intercept->isChecked());
        intercept->trigger();
        intercept->trigger();
        QCOMPARE(calls, (QList<bool>{false, true}));
    }

    void statusBarCountsAndMeasures()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        Flow tunnel;
        tunnel.id = 1000;
        tunnel.kind = FlowKind::Tunnel;
        tunnel.host = "example.org";
        tunnel.port = 443;
        store.publish(tunnel);
        Connection connection;
        connection.id = 1;
        connection.log = std::make_shared<ConnectionLog>(2);
        for (int i = 0; i < 5; ++i)
            connection.log->addFrame({});
        store.publish(connection);
        publishFlows(store, 1, 3);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"4 flows"_s);
        QCOMPARE(labelText(window, u"tunnelCountLabel"_s), u"1 tunnel"_s);
        QTRY_COMPARE_WITH_TIMEOUT(labelText(window, u"droppedFramesLabel"_s), u"3 frames dropped"_s,
                                  3000);
        QVERIFY(labelText(window, u"memoryLabel"_s).startsWith(u"Memory "_s));
        QVERIFY(!labelText(window, u"memoryLabel"_s).contains(u"unknown"_s));
    }

    void pauseSkipsAndSaysHowMany()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        publishFlows(store, 1, 2);
        QAction *pause = action(window, u"pauseAction"_s);
        pause->trigger();
        publishFlows(store, 3, 7);
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(labelText(window, u"pausedLabel"_s), u"Paused: 5 new flows not shown"_s);
        pause->trigger();
        publishFlows(store, 8, 8);
        QCOMPARE(view->model()->rowCount(), 3);
        QCOMPARE(labelText(window, u"pausedLabel"_s),
                 u"5 flows not shown (arrived while paused)"_s);
        action(window, u"clearAction"_s)->trigger();
        QCOMPARE(view->model()->rowCount(), 0);
        QVERIFY(window.findChild<QLabel *>(u"pausedLabel"_s)->isHidden());
    }

    void selectingAFlowShowsItsDetails()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        publishFlows(store, 1, 3);
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        view->selectRow(1);
        auto *pane = window.findChild<ts::ui::FlowDetailPane *>();
        QVERIFY(pane);
        QCOMPARE(pane->flowId(), 2u);
        QCOMPARE(pane->summaryText(), u"GET http://example.com/2  \u2192  200 "_s);
    }

    void copiesTheSelectedFlowAsCurl()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        publishFlows(store, 1, 3);
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        view->selectRow(2);
        action(window, u"copyCurlAction"_s)->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), u"curl 'http://example.com/3'"_s);
    }

    void chosenColumnsSurvive()
    {
        FlowStore store;
        {
            MainWindow window(store, {});
            auto *view = window.findChild<QTableView *>(u"flowTable"_s);
            QVERIFY(view->horizontalHeader()->isSectionHidden(FlowTableModel::SchemeColumn));
            QVERIFY(!view->horizontalHeader()->isSectionHidden(FlowTableModel::HostColumn));
            view->horizontalHeader()->setSectionHidden(FlowTableModel::HostColumn, true);
            view->horizontalHeader()->setSectionHidden(FlowTableModel::SchemeColumn, false);
            window.close();
        }
        MainWindow again(store, {});
        auto *view = again.findChild<QTableView *>(u"flowTable"_s);
        QVERIFY(view->horizontalHeader()->isSectionHidden(FlowTableModel::HostColumn));
        QVERIFY(!view->horizontalHeader()->isSectionHidden(FlowTableModel::SchemeColumn));
        view->horizontalHeader()->setSectionHidden(FlowTableModel::HostColumn, false);
        again.close();
    }

    void filterNarrowsTheTable()
    {
#ifndef TS_HAVE_FILTER
        QSKIP("built without core/filter");
#else
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        publishFlows(store, 1, 30);
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        auto *edit = window.findChild<QLineEdit *>(u"filterEdit"_s);
        QVERIFY(edit && edit->isVisible() == window.isVisible());
        QTest::keyClicks(edit, u"path:/2"_s); // /2, /20 ... /29
        QTRY_COMPARE(view->model()->rowCount(), 11);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"11 of 30 flows"_s);

        // A bad expression leaves the filter as it was and says why.
        edit->setText(u"status:"_s);
        Q_EMIT edit->returnPressed();
        QVERIFY(edit->property("invalid").toBool());
        QVERIFY(!edit->toolTip().isEmpty());
        QCOMPARE(view->model()->rowCount(), 11);

        // New flows are filtered as they come.
        publishFlows(store, 31, 40);
        QCOMPARE(view->model()->rowCount(), 11);
        edit->clear();
        QTRY_COMPARE(view->model()->rowCount(), 40);
        QVERIFY(!edit->property("invalid").toBool());
#endif
    }

    void opensAHarFile()
    {
        FlowStore exported;
        publishFlows(exported, 1, 5);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"flows.har"_s);
        QVERIFY(ts::flow::writeHar(exported, path));

        FlowStore store;
        publishFlows(store, 1, 2); // live flows keep their ids
        MainWindow window(store, {});
        QVERIFY(window.openFile(path));
        auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        QCOMPARE(view->model()->rowCount(), 7);
        QCOMPARE(view->model()->index(0, 0).data().toString(), u"1"_s);
        QCOMPARE(view->model()->index(6, FlowTableModel::PathColumn).data().toString(), u"/5"_s);
        QVERIFY(window.acceptDrops());
    }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
