#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"
#include "ui/views/timeline_pane.h"
#include "ui/views/timeline_view.h"

#include <QAbstractItemModelTester>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace ts::flow;
using ts::ui::FlowTableModel;
using ts::ui::TimelinePane;
using ts::ui::TimelineView;
using namespace Qt::StringLiterals;

namespace {

constexpr ts::WallMillis kT0 = 1700000000000;

// A finished exchange starting `startMillis` after kT0, with every phase 10 ms long.
Flow exchange(FlowId id, std::int64_t startMillis, std::string host = "example.com")
{
    Flow f;
    f.id = id;
    f.state = FlowState::Complete;
    f.startedWall = kT0 + startMillis;
    f.scheme = "https";
    f.host = std::move(host);
    f.port = 443;
    f.method = "GET";
    f.path = "/" + std::to_string(id);
    f.status = 200;
    f.timings = {10000, 20000, 30000, 40000, 50000};
    return f;
}

struct Rig
{
    FlowStore store;
    FlowTableModel model{store};
    QTableView table;
    QAbstractItemModelTester tester{&model, QAbstractItemModelTester::FailureReportingMode::QtTest};
    Rig() { table.setModel(&model); }
};

} // namespace

// TimelineView and its pane: the table's flows (or the selected ones) on one axis, phases from
// the timings, tooltips, clicks that select a flow without losing the set.
class TimelineViewTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void drawsTheTablesFlowsOnOneAxis()
    {
        Rig rig;
        TimelinePane pane(rig.model, *rig.table.selectionModel());
        TimelineView &view = *pane.view();
        pane.resize(900, 400);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        rig.store.publish(exchange(1, 0));
        rig.store.publish(exchange(2, 100));
        Flow open = exchange(3, 200, "other.example");
        open.state = FlowState::Open;
        open.timings = {-1, -1, -1, -1, -1};
        rig.store.publish(open);
        rig.store.flush();
        view.refresh();
        QCOMPARE(view.flowCount(), 3);
        QVERIFY(!view.showsSelection());
        QCOMPARE(view.axisStart(), kT0 * 1000);
        QVERIFY(view.axisEnd() >= (kT0 + 200) * 1000); // the open flow runs until now
        QVERIFY(pane.summary().startsWith(u"3 flows shown in the table"_s));

        // Phases and times in the tooltip.
        const QString tip = view.toolTipForRow(1);
        QVERIFY2(tip.startsWith(u"#2 GET https://example.com/2"_s), qPrintable(tip));
        QVERIFY2(tip.contains(u"Starts at +100.0 ms"_s), qPrintable(tip));
        QVERIFY2(tip.contains(u"Name lookup: 10.0 ms"_s), qPrintable(tip));
        QVERIFY2(tip.contains(u"Receiving: 10.0 ms"_s), qPrintable(tip));
        QVERIFY2(tip.contains(u"Total: 50.0 ms"_s), qPrintable(tip));
        QVERIFY(view.toolTipForRow(2).contains(u"Still open"_s));
        QVERIFY(view.toolTipForRow(7).isEmpty());

        // The filter applies: the timeline follows the table.
        rig.model.setFilter([](const Flow &f) { return f.host == "example.com"; });
        QTRY_COMPARE(view.flowCount(), 2);
        view.refresh();
        QCOMPARE(view.axisEnd(), (kT0 + 100) * 1000 + 50000);
        QCOMPARE(view.rowAt(view.rowRect(1).center().y()), 1);
        QCOMPARE(view.rowAt(0), -1); // the axis
        // Zooming keeps the time under the mouse where it was; the scroll bar pans.
        const int x = view.viewport()->width() * 2 / 3;
        const std::int64_t before = view.timeAt(x);
        view.setZoom(4.0, x);
        QCOMPARE(view.zoom(), 4.0);
        QVERIFY(qAbs(view.timeAt(x) - before) < 1000);
        QVERIFY(view.horizontalScrollBar()->maximum() > 0);
        view.setZoom(0.5, x); // never narrower than the whole span
        QCOMPARE(view.zoom(), 1.0);
        QCOMPARE(view.horizontalScrollBar()->maximum(), 0);
        QTest::qWait(10);
        const QImage image = view.viewport()->grab().toImage();
        QVERIFY(!image.isNull());
    }

    void drawsTheSelectionAndKeepsItWhenClicked()
    {
        Rig rig;
        for (FlowId id = 1; id <= 5; ++id)
            rig.store.publish(exchange(id, std::int64_t(id) * 100));
        rig.store.flush();
        TimelinePane pane(rig.model, *rig.table.selectionModel());
        TimelineView &view = *pane.view();
        pane.resize(900, 400);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QCOMPARE(view.flowCount(), 5);

        auto *selection = rig.table.selectionModel();
        selection->select(QItemSelection(rig.model.index(1, 0), rig.model.index(3, 0)),
                          QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QVERIFY(view.showsSelection());
        QCOMPARE(view.flowCount(), 3);
        QCOMPARE(view.flowAtRow(0)->id, FlowId(2));
        QCOMPARE(view.axisStart(), (kT0 + 200) * 1000);
        QVERIFY(pane.summary().startsWith(u"3 selected flows"_s));

        // A click selects that flow in the table (here, as the main window does) and the
        // timeline keeps drawing the set.
        QSignalSpy clicked(&pane, &TimelinePane::flowRequested);
        connect(&pane, &TimelinePane::flowRequested, this, [&](FlowId id) {
            const QModelIndex index = rig.model.index(rig.model.rowOfFlow(id), 0);
            selection->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                  | QItemSelectionModel::Rows);
        });
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, view.rowRect(2).center());
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toULongLong(), 4u);
        QCOMPARE(rig.table.currentIndex().row(), 3);
        QCOMPARE(view.flowCount(), 3);

        // A new filter takes the set from the selection again: here none is left.
        rig.model.setFilter([](const Flow &f) { return f.id != 4; });
        QVERIFY(!view.showsSelection());
        QCOMPARE(view.flowCount(), 4);
        selection->select(QItemSelection(rig.model.index(0, 0), rig.model.index(1, 0)),
                          QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QCOMPARE(view.flowCount(), 2);

        // Selecting one row in the table itself goes back to every flow.
        selection->setCurrentIndex(rig.model.index(0, 0),
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QVERIFY(!view.showsSelection());
        QCOMPARE(view.flowCount(), 4);
    }

    void endsWhereTheFlowEnds()
    {
        Flow f = exchange(1, 0);
        QCOMPARE(TimelineView::endOf(f, 0), kT0 * 1000 + 50000);
        f.timings.complete = -1;
        f.state = FlowState::Failed;
        QCOMPARE(TimelineView::endOf(f, 0), kT0 * 1000 + 40000);
        Flow tunnel = exchange(2, 0);
        tunnel.kind = FlowKind::Tunnel;
        tunnel.timings = {};
        tunnel.closedWall = kT0 + 3000;
        QCOMPARE(TimelineView::endOf(tunnel, 0), (kT0 + 3000) * 1000);
    }
};

QTEST_MAIN(TimelineViewTest)
#include "timeline_view_test.moc"
