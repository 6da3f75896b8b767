// Issue 17: pin, colour and comment flows from the row menu and keys; the table shows them
// (a pin on the #, a tinted row, the Comment column and tooltips) and the filter selects them.
#include "core/flow/flow_store.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"
#include "ui/widgets/flow_marks_actions.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QUndoStack>

using namespace ts::flow;
using ts::ui::FlowMarksActions;
using ts::ui::FlowTableModel;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

Flow exchange(FlowId id)
{
    Flow f;
    f.id = id;
    f.state = FlowState::Complete;
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = "GET";
    f.path = "/" + std::to_string(id);
    f.status = 200;
    return f;
}

QTableView *table(const MainWindow &window)
{
    return window.findChild<QTableView *>(u"flowTable"_s);
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

QVariant cell(const QTableView *view, int row, int column, int role = Qt::DisplayRole)
{
    return view->model()->index(row, column).data(role);
}

} // namespace

class MainWindowMarksTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowMarksTest"_s);
        QSettings().clear();
    }
    void cleanupTestCase() { QSettings().clear(); }

    void keysMarkTheSelection()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        QTableView *view = table(window);
        QAbstractItemModelTester tester(view->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (FlowId id = 1; id <= 4; ++id)
            store.publish(exchange(id));
        store.flush();
        view->setFocus();
        selectRows(view, {1, 2}); // flows 2 and 3

        // Ctrl+P pins both; again, unpins both.
        QTest::keyClick(view, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(store.find(2)->marks.pinned && store.find(3)->marks.pinned);
        QVERIFY(!store.find(1)->marks.pinned);
        QVERIFY(!cell(view, 1, FlowTableModel::NumberColumn, Qt::DecorationRole).isNull());
        QVERIFY(cell(view, 0, FlowTableModel::NumberColumn, Qt::DecorationRole).isNull());
        selectRows(view, {0, 1}); // one pinned, one not: pins the other
        QTest::keyClick(view, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(store.find(1)->marks.pinned && store.find(2)->marks.pinned);
        QTest::keyClick(view, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(!store.find(1)->marks.pinned && !store.find(2)->marks.pinned);
        QVERIFY(store.find(3)->marks.pinned);

        // Ctrl+1 is red, Ctrl+5 blue; Ctrl+0 takes the colour off. The row is tinted.
        selectRows(view, {3});
        QTest::keyClick(view, Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(store.find(4)->marks.color, MarkColor::Red);
        const QVariant tint = cell(view, 3, FlowTableModel::PathColumn, Qt::BackgroundRole);
        QVERIFY(tint.isValid());
        QVERIFY(qvariant_cast<QColor>(tint).red() > qvariant_cast<QColor>(tint).blue());
        QVERIFY(!cell(view, 2, FlowTableModel::PathColumn, Qt::BackgroundRole).isValid());
        QTest::keyClick(view, Qt::Key_5, Qt::ControlModifier);
        QCOMPARE(store.find(4)->marks.color, MarkColor::Blue);
        QTest::keyClick(view, Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(store.find(4)->marks.color, MarkColor::None);
        QVERIFY(!cell(view, 3, FlowTableModel::PathColumn, Qt::BackgroundRole).isValid());

        // Ctrl+M asks for a comment (here a stand-in for the dialog), given the current one.
        auto *marks = window.findChild<FlowMarksActions *>();
        QVERIFY(marks);
        QString offered = u"unset"_s;
        marks->setCommentEditor([&](const QString &current) -> std::optional<QString> {
            offered = current;
            return u"retry storm\nsee ticket 42\n"_s;
        });
        selectRows(view, {0, 3});
        QTest::keyClick(view, Qt::Key_M, Qt::ControlModifier);
        QCOMPARE(offered, QString());
        QCOMPARE(store.find(1)->marks.comment, std::string("retry storm\nsee ticket 42"));
        QCOMPARE(store.find(4)->marks.comment, std::string("retry storm\nsee ticket 42"));
        QCOMPARE(cell(view, 0, FlowTableModel::CommentColumn).toString(), u"retry storm"_s);
        QCOMPARE(cell(view, 0, FlowTableModel::CommentColumn, Qt::ToolTipRole).toString(),
                 u"retry storm\nsee ticket 42"_s);
        QCOMPARE(cell(view, 0, FlowTableModel::MethodColumn, Qt::ToolTipRole).toString(),
                 u"retry storm\nsee ticket 42"_s);
        // Cancelled: nothing changes.
        marks->setCommentEditor([&](const QString &current) -> std::optional<QString> {
            offered = current;
            return std::nullopt;
        });
        QTest::keyClick(view, Qt::Key_M, Qt::ControlModifier);
        QCOMPARE(offered, u"retry storm\nsee ticket 42"_s);
        QCOMPARE(store.find(4)->marks.comment, std::string("retry storm\nsee ticket 42"));

        // The keys belong to the table: in the filter box Ctrl+P does not pin.
        auto *edit = window.findChild<QLineEdit *>(u"filterEdit"_s);
        if (edit) {
            edit->setFocus();
            selectRows(view, {0});
            QTest::keyClick(edit, Qt::Key_P, Qt::ControlModifier);
            QVERIFY(!store.find(1)->marks.pinned);
        }
    }

    void rowMenuOffersPinColourAndComment()
    {
        FlowStore store;
        MainWindow window(store, {});
        store.publish(exchange(1));
        store.flush();
        QTableView *view = table(window);
        selectRows(view, {0});
        auto *marks = window.findChild<FlowMarksActions *>();
        QMenu menu;
        marks->addTo(menu);
        QVERIFY(menu.actions().contains(marks->pinAction()));
        QVERIFY(menu.actions().contains(marks->colorMenu()->menuAction()));
        QVERIFY(menu.actions().contains(marks->commentAction()));
        QCOMPARE(marks->colorMenu()->actions().size(), 9); // 7 colours, a separator, none
        QVERIFY(!marks->pinAction()->isChecked());
        marks->colorAction(MarkColor::Green)->trigger();
        marks->pinAction()->trigger();
        QCOMPARE(store.find(1)->marks.color, MarkColor::Green);
        QVERIFY(store.find(1)->marks.pinned);
        QMenu again;
        marks->addTo(again); // the checks follow the selection
        QVERIFY(marks->pinAction()->isChecked());
        QVERIFY(marks->colorAction(MarkColor::Green)->isChecked());
        QVERIFY(!marks->colorAction(MarkColor::Red)->isChecked());
        view->clearSelection();
        QMenu none;
        marks->addTo(none);
        QVERIFY(!marks->pinAction()->isEnabled());
    }

    // Marks survive the engine's later copies of a flow, and Delete then Undo.
    void marksSurviveUpdatesAndUndo()
    {
        FlowStore store;
        MainWindow window(store, {});
        QTableView *view = table(window);
        QAbstractItemModelTester tester(view->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        Flow open = exchange(1);
        open.state = FlowState::Open;
        open.status = 0;
        store.publish(open);
        store.publish(exchange(2));
        store.flush();
        selectRows(view, {0});
        window.findChild<FlowMarksActions *>()->setColor(MarkColor::Yellow);
        store.publish(exchange(1)); // the engine finishes it
        store.flush();
        QCOMPARE(store.find(1)->status, 200);
        QCOMPARE(store.find(1)->marks.color, MarkColor::Yellow);

        selectRows(view, {0});
        window.findChild<QAction *>(u"deleteAction"_s)->trigger();
        QCOMPARE(view->model()->rowCount(), 1);
        window.findChild<QAction *>(u"undoAction"_s)->trigger();
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(store.find(1)->marks.color, MarkColor::Yellow);
    }

    void filterSelectsMarks()
    {
#ifndef TS_HAVE_FILTER
        QSKIP("built without core/filter");
#else
        FlowStore store;
        MainWindow window(store, {});
        QTableView *view = table(window);
        QAbstractItemModelTester tester(view->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 5; ++id)
            store.publish(exchange(id));
        store.flush();
        store.changeMarks({2, 4}, [](Marks &m) { m.pinned = true; });
        store.changeMarks({4}, [](Marks &m) { m.color = MarkColor::Red; });
        store.changeMarks({5}, [](Marks &m) { m.comment = "Login broken"; });
        auto *edit = window.findChild<QLineEdit *>(u"filterEdit"_s);
        QVERIFY(edit);
        QTest::keyClicks(edit, u"pinned"_s);
        QTRY_COMPARE(view->model()->rowCount(), 2);
        edit->clear();
        QTest::keyClicks(edit, u"color:red or comment:login"_s);
        QTRY_COMPARE(view->model()->rowCount(), 2);
        QCOMPARE(cell(view, 0, FlowTableModel::NumberColumn).toString(), u"4"_s);
        // Unpinning a flow under "pinned" takes it out of the table.
        edit->clear();
        QTest::keyClicks(edit, u"pinned"_s);
        QTRY_COMPARE(view->model()->rowCount(), 2);
        store.changeMarks({2}, [](Marks &m) { m.pinned = false; });
        QTRY_COMPARE(view->model()->rowCount(), 1);
#endif
    }
};

QTEST_MAIN(MainWindowMarksTest)
#include "main_window_marks_test.moc"
