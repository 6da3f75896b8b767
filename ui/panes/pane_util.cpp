#include "ui/panes/pane_util.h"

#include "core/flow/flow_store.h"

#include <QBoxLayout>
#include <QFontMetrics>
#include <QHeaderView>
#include <QStyle>
#include <QTableView>

#include <algorithm>

namespace ts::ui {

flow::FlowId flowOfStream(const flow::FlowStore &store, flow::ConnectionId connection,
                          std::uint64_t stream, flow::FlowId recorded)
{
    if (recorded != 0 || stream == 0 || connection == 0)
        return recorded;
    // Newest first: a stream is usually looked up soon after it crossed. Stream ids are never
    // reused on a connection, so the first match is the one.
    for (std::size_t row = store.size(); row-- > 0;) {
        const flow::Flow &f = store.at(row);
        if ((f.clientConnection == connection && f.clientStream == stream)
            || (f.serverConnection == connection && f.serverStream == stream))
            return f.id;
    }
    return 0;
}

void setUpInspectorTable(QTableView &view)
{
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.setSelectionMode(QAbstractItemView::SingleSelection);
    view.setShowGrid(false);
    view.setAlternatingRowColors(true);
    view.setWordWrap(false);
    view.setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    view.verticalHeader()->setVisible(false);
    // Fixed row heights: the view never measures rows, which keeps 100k rows fluid.
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 6);
    view.horizontalHeader()->setStretchLastSection(true);
    view.horizontalHeader()->setHighlightSections(false);
    view.horizontalHeader()->setSectionsMovable(true);
}

void fitColumns(QTableView &view, const std::vector<QString> &samples)
{
    const QFontMetrics cells = view.fontMetrics();
    const QFontMetrics titles = view.horizontalHeader()->fontMetrics();
    // Room for the cell margins, and in titles for the sort arrow.
    const int padding
        = 2 * view.style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, &view) + 12;
    const int arrow = view.isSortingEnabled() ? 16 : 0;
    const int columns = view.model() ? view.model()->columnCount() : 0;
    for (int c = 0; c < columns && std::size_t(c) < samples.size(); ++c) {
        const QString title = view.model()->headerData(c, Qt::Horizontal).toString();
        const int width = std::max(cells.horizontalAdvance(samples[std::size_t(c)]),
                                   titles.horizontalAdvance(title) + arrow);
        view.setColumnWidth(c, width + padding);
    }
}

void setBarMargins(QBoxLayout &bar)
{
    bar.setContentsMargins(6, 4, 6, 2);
}

} // namespace ts::ui
