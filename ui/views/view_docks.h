#pragma once

#include "core/flow/id_source.h"

#include <functional>

class QDockWidget;
class QMainWindow;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class FlowTableModel;
class StructurePane;
class TimelinePane;

// The structure and timeline docks, as createViewDocks made them. The window owns them.
struct ViewDocks
{
    StructurePane *structure = nullptr;
    TimelinePane *timeline = nullptr;
    QDockWidget *structureDock = nullptr; // objectName "structureDock"
    QDockWidget *timelineDock = nullptr;  // "timelineDock"
};

// Adds the Structure dock (left) and the Timeline dock (bottom) to `window`, both closed, for
// the View menu to open. The structure's selection narrows `model` (its scope, on top of the
// filter) while its dock is open; closing the dock shows every flow again. The timeline
// draws what `table` shows or has selected; a click on a flow calls `selectFlow`.
ViewDocks createViewDocks(flow::FlowStore &store, FlowTableModel &model, QTableView &table,
                          QMainWindow &window, std::function<void(flow::FlowId)> selectFlow);

} // namespace ts::ui
