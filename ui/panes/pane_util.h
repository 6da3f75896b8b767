#pragma once

#include <QString>

#include <vector>

class QBoxLayout;
class QTableView;

namespace ts::ui {

// The look every inspector table shares: whole-row single selection, compact fixed-height
// rows, no grid, last column stretched.
void setUpInspectorTable(QTableView &view);

// Sets each column's width to fit `samples[column]` (typical content) and its header title,
// whichever is wider; an empty sample fits the title alone.
void fitColumns(QTableView &view, const std::vector<QString> &samples);

// The margins of a bar of labels and filters above a table in a dock.
void setBarMargins(QBoxLayout &bar);

} // namespace ts::ui
