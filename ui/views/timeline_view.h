#pragma once

#include "core/flow/id_source.h"

#include <QAbstractScrollArea>

#include <cstdint>
#include <vector>

class QItemSelectionModel;
class QTimer;

namespace ts::flow {
struct Flow;
}

namespace ts::ui {

class FlowTableModel;

// A waterfall of the flows the table shows, or of the rows selected in it when there are two
// or more: a row per flow, its bar from start to complete split into the phases the flow's
// timings know (lookup, connect, TLS, request sent, waiting, receiving), on one time axis
// fitted to the width (Ctrl+wheel zooms in). Hovering a bar shows its phases; a click selects its
// flow in the table (flowClicked). It follows the table's model, redrawing at most a few times a
// second and only while shown, and paints only the rows in view, so 100k flows stay cheap.
class TimelineView final : public QAbstractScrollArea
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineView)

public:
    TimelineView(const FlowTableModel &model, QItemSelectionModel &selection,
                 QWidget *parent = nullptr);
    ~TimelineView() override;

    // The flows drawn, as table rows in table order.
    int flowCount() const;
    const flow::Flow *flowAtRow(int row) const;
    bool showsSelection() const { return !m_setIds.empty(); }
    // Microseconds since the epoch at the left and right of the axis.
    std::int64_t axisStart() const { return m_first; }
    std::int64_t axisEnd() const { return m_last; }
    // Where a flow's row is drawn (viewport coordinates), and which row is at `y`.
    QRect rowRect(int row) const;
    int rowAt(int y) const;
    QString toolTipForRow(int row) const;
    // Recomputes the axis and rows now (a redraw otherwise waits for the throttle).
    void refresh();
    // Horizontal zoom (1: the whole span fits the width), keeping the time at viewport x
    // `anchorX` in place. Ctrl+wheel zooms; the horizontal scroll bar pans.
    void setZoom(double zoom, int anchorX);
    double zoom() const { return m_zoom; }
    static constexpr double kMaxZoom = 10000.0;
    // The time (microseconds since the epoch) at viewport x.
    std::int64_t timeAt(int x) const;

    // A flow's start on the axis, in microseconds since the epoch, and its end (now, while
    // it is open).
    static std::int64_t startOf(const flow::Flow &flow);
    static std::int64_t endOf(const flow::Flow &flow, std::int64_t now);

Q_SIGNALS:
    void flowClicked(flow::FlowId id);
    // The set drawn or its axis changed: how many flows, over how many microseconds.
    void summaryChanged(int flows, std::int64_t spanMicros, bool selection);

protected:
    bool viewportEvent(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void scheduleRefresh();
    void showCurrent();
    void onSelectionChanged();
    void updateScrollBars();
    int rowHeight() const;
    int headerHeight() const;
    int labelWidth() const;
    QRect barArea() const;
    int xOf(std::int64_t micros) const;

    const FlowTableModel &m_model;
    QItemSelectionModel &m_selection;
    // The flows selected when two or more were (kept while a click here selects one of them),
    // and the table rows showing them now, in table order. Empty: every row of the table.
    std::vector<flow::FlowId> m_setIds;
    std::vector<int> m_setRows;
    std::int64_t m_first = 0;
    std::int64_t m_last = 0;
    std::int64_t m_now = 0;
    double m_zoom = 1.0;
    QTimer *m_throttle = nullptr;
    bool m_clicking = false; // our own click changes the table's selection: keep the set
};

} // namespace ts::ui
