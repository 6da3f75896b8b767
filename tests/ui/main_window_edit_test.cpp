#include "core/flow/flow_store.h"
#include "ui/detail/flow_detail_pane.h"
#include "ui/dialogs/compare_dialog.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QClipboard>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace ts::flow;
using ts::ui::FlowTableModel;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

Flow exchange(FlowId id, FlowState state = FlowState::Complete)
{
    Flow f;
    f.id = id;
    f.state = state;
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = "GET";
    f.path = "/" + std::to_string(id);
    f.status = 200;
    return f;
}

void publishFlows(FlowStore &store, FlowId first, FlowId last)
{
    for (FlowId id = first; id <= last; ++id)
        store.publish(exchange(id));
    store.flush();
}

QTableView *table(const MainWindow &window)
{
    return window.findChild<QTableView *>(u"flowTable"_s);
}

QAction *action(const MainWindow &window, const QString &name)
{
    return window.findChild<QAction *>(name);
}

// The flow ids the table shows, top to bottom.
QList<FlowId> shownIds(const MainWindow &window)
{
    const auto *model = qobject_cast<const FlowTableModel *>(table(window)->model());
    QList<FlowId> ids;
    for (int row = 0; row < model->rowCount(); ++row)
        ids << model->flowAt(row)->id;
    return ids;
}

void selectRows(QTableView *view, const QList<int> &rows)
{
    view->clearSelection();
    for (const int row : rows)
        view->selectionModel()->select(view->model()->index(row, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
    view->selectionModel()->setCurrentIndex(view->model()->index(rows.front(), 0),
                                            QItemSelectionModel::NoUpdate);
}

} // namespace

// Issue 17, defect 14: Delete with undo (and undo for Clear), copy and save a body, export the
// selection as HAR.
class MainWindowEditTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowEditTest"_s);
        QSettings().clear();
    }
    void cleanupTestCase() { QSettings().clear(); }

    void deleteKeyRemovesTheSelectionAndUndoBringsItBack()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        QAbstractItemModelTester tester(table(window)->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        publishFlows(store, 1, 6);
        QTableView *view = table(window);
        view->setFocus();
        selectRows(view, {1, 3}); // flows 2 and 4
        QTest::keyClick(view, Qt::Key_Delete);
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 3, 5, 6}));
        QCOMPARE(store.size(), std::size_t(4));
        // The next flow takes the deleted one's place, in the table and the details.
        QCOMPARE(view->currentIndex().row(), 1);
        QCOMPARE(window.findChild<ts::ui::FlowDetailPane *>()->flowId(), 3u);
        QCOMPARE(window.findChild<QLabel *>(u"flowCountLabel"_s)->text(), u"4 flows"_s);

        publishFlows(store, 7, 7); // still recording
        QAction *undo = action(window, u"undoAction"_s);
        QVERIFY(undo->isEnabled());
        QCOMPARE(undo->text(), u"U&ndo Delete 2 Flows"_s);
        undo->trigger();
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 2, 3, 4, 5, 6, 7}));
        action(window, u"redoAction"_s)->trigger();
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 3, 5, 6, 7}));
    }

    void deleteKeepsTheOrderAndTheFilter()
    {
        FlowStore store;
        MainWindow window(store, {});
        QAbstractItemModelTester tester(table(window)->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        publishFlows(store, 1, 5);
        QTableView *view = table(window);
        view->sortByColumn(FlowTableModel::PathColumn, Qt::DescendingOrder);
        QTRY_COMPARE(shownIds(window), (QList<FlowId>{5, 4, 3, 2, 1}));
        selectRows(view, {0, 4}); // flows 5 and 1
        window.deleteSelected();
        QCOMPARE(shownIds(window), (QList<FlowId>{4, 3, 2}));
        window.undoStack()->undo();
        QCOMPARE(shownIds(window), (QList<FlowId>{5, 4, 3, 2, 1}));
    }

    void deleteWhilePausedKeepsWhatIsHeldBack()
    {
        FlowStore store;
        MainWindow window(store, {});
        publishFlows(store, 1, 3);
        action(window, u"pauseAction"_s)->trigger();
        publishFlows(store, 4, 6);
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 2, 3}));
        selectRows(table(window), {0});
        window.deleteSelected();
        QCOMPARE(shownIds(window), (QList<FlowId>{2, 3}));
        QCOMPARE(window.findChild<QLabel *>(u"pausedLabel"_s)->text(),
                 u"Paused: 3 new flows not shown"_s);
        window.undoStack()->undo();
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 2, 3}));
        action(window, u"pauseAction"_s)->trigger();
        QTRY_COMPARE(shownIds(window), (QList<FlowId>{1, 2, 3, 4, 5, 6}));
    }

    void clearCanBeUndone()
    {
        FlowStore store;
        MainWindow window(store, {});
        publishFlows(store, 1, 3);
        Flow tunnel = exchange(4);
        tunnel.kind = FlowKind::Tunnel;
        store.publish(tunnel);
        store.flush();
        action(window, u"clearAction"_s)->trigger();
        QCOMPARE(store.size(), std::size_t(0));
        QCOMPARE(window.findChild<QLabel *>(u"tunnelCountLabel"_s)->text(), u"0 tunnels"_s);
        QCOMPARE(action(window, u"undoAction"_s)->text(), u"U&ndo Clear"_s);
        action(window, u"undoAction"_s)->trigger();
        QCOMPARE(shownIds(window), (QList<FlowId>{1, 2, 3, 4}));
        QCOMPARE(window.findChild<QLabel *>(u"tunnelCountLabel"_s)->text(), u"1 tunnel"_s);
    }

    void anOpenFlowDeletedStaysDeleted()
    {
        FlowStore store;
        MainWindow window(store, {});
        store.publish(exchange(1, FlowState::Open));
        store.flush();
        selectRows(table(window), {0});
        window.deleteSelected();
        store.publish(exchange(1)); // the engine finishes it
        store.flush();
        QVERIFY(shownIds(window).isEmpty());
        window.undoStack()->undo();
        QCOMPARE(shownIds(window), (QList<FlowId>{1}));
        QCOMPARE(store.at(0).state, FlowState::Complete);
    }

    void copiesAndSavesBodies()
    {
        FlowStore store;
        MainWindow window(store, {});
        Flow f = exchange(1);
        f.method = "POST";
        f.requestBody = std::make_shared<Body>(store.budget());
        f.requestBody->append("name=value");
        f.responseBody = std::make_shared<Body>(store.budget());
#ifdef TS_HAVE_CODEC
        // Saved and copied as the user reads it: undone of its Content-Encoding.
        const QByteArray text = "{\"hello\": \"world\"}"_ba;
        const QByteArray deflated = qCompress(text).mid(4); // zlib stream: HTTP "deflate"
        f.responseHeaders = {{ "Content-Encoding", "deflate" }};
        f.responseBody->append(deflated.toStdString());
#else
        const QByteArray text = "{\"hello\": \"world\"}"_ba;
        f.responseBody->append(text.toStdString());
#endif
        Flow binary = exchange(2);
        binary.responseBody = std::make_shared<Body>(store.budget());
        binary.responseBody->append(std::string("\x89PNG\r\n\x1a\n\0\0", 10));
        store.publish(f);
        store.publish(binary);
        store.publish(exchange(3));
        store.flush();
        QTableView *view = table(window);

        selectRows(view, {0});
        QVERIFY(action(window, u"saveResponseBodyAction"_s)->isEnabled());
        QGuiApplication::clipboard()->clear();
        action(window, u"copyResponseBodyAction"_s)->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), QString::fromUtf8(text));
        action(window, u"copyRequestBodyAction"_s)->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), u"name=value"_s);

        QTemporaryDir dir;
        const QString path = dir.filePath(u"body.json"_s);
        QVERIFY(window.saveSelectedBodyTo(true, path));
        QFile saved(path);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(saved.readAll(), text);

        selectRows(view, {1}); // not text: saved, not copied
        QGuiApplication::clipboard()->setText(u"before"_s);
        QVERIFY(!window.copySelectedBody(true));
        QCOMPARE(QGuiApplication::clipboard()->text(), u"before"_s);
        QVERIFY(window.saveSelectedBodyTo(true, dir.filePath(u"logo.png"_s)));
        QCOMPARE(QFileInfo(dir.filePath(u"logo.png"_s)).size(), 10);

        selectRows(view, {2}); // no body: nothing to copy or save
        QVERIFY(!action(window, u"copyResponseBodyAction"_s)->isEnabled());
        QVERIFY(!action(window, u"saveRequestBodyAction"_s)->isEnabled());
        QVERIFY(!window.saveSelectedBodyTo(true, dir.filePath(u"none"_s)));
        QVERIFY(!QFile::exists(dir.filePath(u"none"_s)));
    }

    // Issue 17, everyday tools: two flows side by side, what differs highlighted.
    void comparesTwoFlows()
    {
        FlowStore store;
        MainWindow window(store, {});
        Flow a = exchange(1);
        a.requestHeaders = {{"Host", "example.com"}, {"Accept", "text/html"}};
        Flow b = exchange(2);
        b.requestHeaders = {{"Host", "example.com"}, {"Accept", "application/json"}};
        b.status = 404;
        b.reason = "Not Found";
        store.publish(a);
        store.publish(b);
        store.publish(exchange(3));
        store.flush();
        QAction *compare = action(window, u"compareAction"_s);
        selectRows(table(window), {0});
        QVERIFY(!compare->isEnabled()); // one flow: nothing to compare
        selectRows(table(window), {1, 0});
        QVERIFY(compare->isEnabled());
        compare->trigger();
        auto *dialog = window.findChild<ts::ui::CompareDialog *>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QVERIFY(dialog->leftView()->toPlainText().startsWith(u"GET http://example.com/1"_s));
        QVERIFY(dialog->rightView()->toPlainText().startsWith(u"GET http://example.com/2"_s));
        // The request lines, Accept and the status lines differ; Host does not.
        QCOMPARE(dialog->differingLines(), 6);
        QCOMPARE(dialog->leftView()->extraSelections().size(), 3);
        dialog->close();
    }

    void exportsTheSelectionAsHar()
    {
        FlowStore store;
        MainWindow window(store, {});
        publishFlows(store, 1, 5);
        QTableView *view = table(window);
        view->sortByColumn(FlowTableModel::PathColumn, Qt::DescendingOrder);
        QTRY_COMPARE(shownIds(window).front(), FlowId(5));
        selectRows(view, {0, 3}); // flows 5 and 2
        QTemporaryDir dir;
        const QString path = dir.filePath(u"selection.har"_s);
        QVERIFY(window.exportSelectionHar(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonArray entries
            = QJsonDocument::fromJson(file.readAll())["log"_L1]["entries"_L1].toArray();
        QCOMPARE(entries.size(), 2);
        // In arrival order, as a whole export is.
        QCOMPARE(entries[0]["request"_L1]["url"_L1].toString(), u"http://example.com/2"_s);
        QCOMPARE(entries[1]["request"_L1]["url"_L1].toString(), u"http://example.com/5"_s);
    }
};

QTEST_MAIN(MainWindowEditTest)
#include "main_window_edit_test.moc"
