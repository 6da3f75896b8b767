#pragma once

#include "core/flow/flow.h"

#include <QString>

#include <vector>

class QBoxLayout;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

// The flow that stream `stream` of connection `connection` carried: the one its record names,
// else the flow that says it crossed that stream (a server-side connection's records name no
// flow: the flows name their server stream). 0 when none does.
flow::FlowId flowOfStream(const flow::FlowStore &store, flow::ConnectionId connection,
                          std::uint64_t stream, flow::FlowId recorded);

// The look every inspector table shares: whole-row single selection, compact fixed-height
// rows, no grid, last column stretched.
void setUpInspectorTable(QTableView &view);

// Sets each column's width to fit `samples[column]` (typical content) and its header title,
// whichever is wider; an empty sample fits the title alone.
void fitColumns(QTableView &view, const std::vector<QString> &samples);

// The margins of a bar of labels and filters above a table in a dock.
void setBarMargins(QBoxLayout &bar);

} // namespace ts::ui
