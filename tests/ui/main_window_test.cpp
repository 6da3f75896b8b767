#include "core/flow/flow_store.h"
#include "ui/main_window.h"

#include <QAction>
#include <QLabel>
#include <QMenuBar>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
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
        QCOMPARE(menus.size(), 2);
        QCOMPARE(menus[0]->text(), u"&File"_s);
        QCOMPARE(menus[1]->text(), u"&View"_s);
        QStringList items;
        for (QAction *menu : menus) {
            for (QAction *item : menu->menu()->actions()) {
                if (!item->isSeparator())
                    items.append(item->text());
            }
        }
        QCOMPARE(items,
                 (QStringList{u"&Export HAR\u2026"_s, u"&Quit"_s, u"&Auto-scroll to new flows"_s}));
    }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
