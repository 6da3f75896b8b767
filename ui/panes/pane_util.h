#pragma once

class QTableView;

namespace ts::ui {

// The look every inspector table shares: whole-row single selection, compact rows, no grid,
// last column stretched, sorting off (models keep arrival order unless a pane sorts).
void setUpInspectorTable(QTableView &view);

} // namespace ts::ui
