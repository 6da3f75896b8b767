#include "ui/views/view_docks.h"

#include "ui/models/flow_table_model.h"
#include "ui/views/structure_model.h"
#include "ui/views/structure_pane.h"
#include "ui/views/timeline_pane.h"

#include <QAction>
#include <QCoreApplication>
#include <QDockWidget>
#include <QMainWindow>
#include <QTableView>

#include <memory>

namespace ts::ui {

ViewDocks createViewDocks(flow::FlowStore &store, FlowTableModel &model, QTableView &table,
                          QMainWindow &window, std::function<void(flow::FlowId)> selectFlow)
{
    ViewDocks docks;
    docks.structure = new StructurePane(store);
    docks.structureDock
        = new QDockWidget(QCoreApplication::translate("ts::ui::ViewDocks", "Structure"), &window);
    docks.structureDock->setObjectName(QStringLiteral("structureDock"));
    docks.structureDock->setWidget(docks.structure);
    window.addDockWidget(Qt::LeftDockWidgetArea, docks.structureDock);
    docks.structureDock->toggleViewAction()->setText(
        QCoreApplication::translate("ts::ui::ViewDocks", "Struct&ure"));
    docks.structureDock->hide();

    docks.timeline = new TimelinePane(model, *table.selectionModel());
    docks.timelineDock
        = new QDockWidget(QCoreApplication::translate("ts::ui::ViewDocks", "Timeline"), &window);
    docks.timelineDock->setObjectName(QStringLiteral("timelineDock"));
    docks.timelineDock->setWidget(docks.timeline);
    window.addDockWidget(Qt::BottomDockWidgetArea, docks.timelineDock);
    docks.timelineDock->toggleViewAction()->setText(
        QCoreApplication::translate("ts::ui::ViewDocks", "Time&line"));
    docks.timelineDock->hide();

    // The table's scope: the selected node while the dock is open, else everything. Set only
    // when it changes (each change re-filters the table).
    auto applied = std::make_shared<QStringList>();
    StructurePane *pane = docks.structure;
    QDockWidget *dock = docks.structureDock;
    const auto apply = [&model, pane, dock, applied] {
        const QStringList wanted
            = dock->toggleViewAction()->isChecked() ? pane->scope() : QStringList();
        if (wanted == *applied)
            return;
        *applied = wanted;
        model.setScope(StructureModel::scopeOf(wanted), false); // host and path only
    };
    QObject::connect(pane, &StructurePane::scopeChanged, &model, apply);
    QObject::connect(dock->toggleViewAction(), &QAction::toggled, &model, apply);

    QObject::connect(docks.timeline, &TimelinePane::flowRequested, &window,
                     [selectFlow = std::move(selectFlow)](flow::FlowId id) { selectFlow(id); });
    return docks;
}

} // namespace ts::ui
