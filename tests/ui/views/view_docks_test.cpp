#include "core/flow/flow_store.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"
#include "ui/views/structure_model.h"
#include "ui/views/structure_pane.h"
#include "ui/views/timeline_pane.h"
#include "ui/views/timeline_view.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDockWidget>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTreeView>

using namespace ts::flow;
using ts::ui::MainWindow;
using ts::ui::StructurePane;
using namespace Qt::StringLiterals;

namespace {

void publish(FlowStore &store, FlowId id, std::string host, std::string path, int status = 200)
{
    Flow f;
    f.id = id;
    f.state = FlowState::Complete;
    f.startedWall = 1700000000000 + std::int64_t(id) * 10;
    f.scheme = "https";
    f.host = std::move(host);
    f.port = 443;
    f.method = "GET";
    f.path = std::move(path);
    f.status = status;
    f.timings.complete = 5000;
    store.publish(f);
}

QAction *viewMenuAction(const MainWindow &window, const QString &text)
{
    for (QAction *menu : window.menuBar()->actions()) {
        if (menu->text() != u"&View"_s)
            continue;
        for (QAction *a : menu->menu()->actions()) {
            if (a->text() == text)
                return a;
        }
    }
    return nullptr;
}

} // namespace

// The Structure and Timeline docks in the main window: closed at start, opened from the View
// menu; the structure's selection and the filter box narrow the table together, and closing
// the dock shows every flow again; the timeline's click selects a flow in the table.
class ViewDocksTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"ViewDocksTest"_s);
        QSettings().clear();
    }
    void cleanupTestCase() { QSettings().clear(); }

    void structureNarrowsTheTableWithTheFilter()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        const ts::ui::ViewDocks &docks = window.viewDocks();
        QAbstractItemModelTester tester(docks.structure->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!docks.structureDock->isVisible()); // closed until asked for
        QVERIFY(!docks.timelineDock->isVisible());
        QAction *toggle = viewMenuAction(window, u"Struct&ure"_s);
        QVERIFY(toggle);
        QVERIFY(viewMenuAction(window, u"Time&line"_s));

        publish(store, 1, "api.example", "/v1/users/1");
        publish(store, 2, "api.example", "/v1/users/2", 404);
        publish(store, 3, "api.example", "/v1/orders/9");
        publish(store, 4, "cdn.example", "/logo.png");
        store.flush();
        auto *table = window.findChild<QTableView *>(u"flowTable"_s);
        QCOMPARE(table->model()->rowCount(), 4);

        toggle->trigger();
        QTRY_VERIFY(docks.structureDock->isVisible());
        QVERIFY(docks.structure->selectScope({u"api.example"_s, u"v1"_s, u"users"_s}));
        QTRY_COMPARE(table->model()->rowCount(), 2);

        // The filter box applies on top; clearing it leaves the structure's scope.
        auto *filter = window.findChild<QLineEdit *>(u"filterEdit"_s);
        filter->setText(u"status:404"_s);
        QTest::keyClick(filter, Qt::Key_Return);
        QTRY_COMPARE(table->model()->rowCount(), 1);
        filter->clear();
        QTRY_COMPARE(table->model()->rowCount(), 2);

        // A new flow under the node shows up live; one elsewhere does not.
        publish(store, 5, "api.example", "/v1/users/3");
        publish(store, 6, "cdn.example", "/x");
        store.flush();
        QTRY_COMPARE(table->model()->rowCount(), 3);

        // "All flows" shows everything; so does closing the dock.
        QVERIFY(docks.structure->selectScope({}));
        QTRY_COMPARE(table->model()->rowCount(), 6);
        QVERIFY(docks.structure->selectScope({u"cdn.example"_s}));
        QTRY_COMPARE(table->model()->rowCount(), 2);
        toggle->trigger();
        QTRY_VERIFY(!docks.structureDock->isVisible());
        QTRY_COMPARE(table->model()->rowCount(), 6);
        toggle->trigger(); // open again: its selection applies again
        QTRY_COMPARE(table->model()->rowCount(), 2);
        docks.structure->clearScope();
        QTRY_COMPARE(table->model()->rowCount(), 6);
    }

    void timelineClickSelectsTheFlow()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        const ts::ui::ViewDocks &docks = window.viewDocks();
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (FlowId id = 1; id <= 4; ++id)
            publish(store, id, "api.example", "/" + std::to_string(id));
        store.flush();
        viewMenuAction(window, u"Time&line"_s)->trigger();
        QTRY_VERIFY(docks.timelineDock->isVisible());
        ts::ui::TimelineView *view = docks.timeline->view();
        view->refresh();
        QCOMPARE(view->flowCount(), 4);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->rowRect(2).center());
        auto *table = window.findChild<QTableView *>(u"flowTable"_s);
        QCOMPARE(table->currentIndex().row(), 2);
    }
};

QTEST_MAIN(ViewDocksTest)
#include "view_docks_test.moc"
