#include "ui/views/timeline_view.h"

#include "core/flow/flow.h"
#include "ui/detail/timing_view.h"
#include "ui/models/flow_table_model.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace ts::ui {

using flow::Flow;
using flow::FlowKind;
using flow::FlowState;

namespace {

// Redraws after model changes at most this often.
constexpr int kThrottleMillis = 250;
// Axis ticks about this many pixels apart.
constexpr double kTickSpacing = 110;

// 1, 2 or 5 times a power of ten, at least `raw`.
std::int64_t niceStep(double raw)
{
    double power = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
    for (;;) {
        for (const double m : {1.0, 2.0, 5.0}) {
            if (m * power >= raw)
                return std::max<std::int64_t>(1, std::int64_t(m * power));
        }
        power *= 10.0;
    }
}

QString flowLabel(const Flow &f)
{
    if (f.kind == FlowKind::Tunnel)
        return QStringLiteral("#%1 CONNECT %2").arg(f.id).arg(QString::fromStdString(f.url()));
    return QStringLiteral("#%1 %2 %3")
        .arg(f.id)
        .arg(QString::fromStdString(f.method), QString::fromStdString(f.url()));
}

} // namespace

TimelineView::TimelineView(const FlowTableModel &model, QItemSelectionModel &selection,
                           QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_model(model)
    , m_selection(selection)
    , m_throttle(new QTimer(this))
{
    setObjectName(QStringLiteral("timelineView"));
    viewport()->setBackgroundRole(QPalette::Base);
    viewport()->setAutoFillBackground(true);
    viewport()->setMouseTracking(true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    connect(horizontalScrollBar(), &QScrollBar::valueChanged, viewport(),
            qOverload<>(&QWidget::update));
    m_throttle->setSingleShot(true);
    m_throttle->setInterval(kThrottleMillis);
    connect(m_throttle, &QTimer::timeout, this, &TimelineView::refresh);
    for (const auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(&m_model, signal, this, &TimelineView::scheduleRefresh);
    // A new filter or scope: the set follows what is selected now (a set kept after a click
    // here, or one whose rows the filter took out, would draw what the table does not show).
    connect(&m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_clicking = false;
        onSelectionChanged();
    });
    connect(&m_model, &QAbstractItemModel::layoutChanged, this, &TimelineView::scheduleRefresh);
    connect(&m_model, &QAbstractItemModel::dataChanged, this, &TimelineView::scheduleRefresh);
    connect(&m_selection, &QItemSelectionModel::selectionChanged, this,
            &TimelineView::onSelectionChanged);
    connect(&m_selection, &QItemSelectionModel::currentChanged, this, &TimelineView::showCurrent);
    refresh();
}

TimelineView::~TimelineView() = default;

std::int64_t TimelineView::startOf(const Flow &f)
{
    return f.startedWall * 1000;
}

std::int64_t TimelineView::endOf(const Flow &f, std::int64_t now)
{
    const std::int64_t start = startOf(f);
    if (f.timings.complete >= 0)
        return start + f.timings.complete;
    if (f.kind == FlowKind::Tunnel && f.closedWall > 0)
        return std::max(start, f.closedWall * 1000);
    if (f.state == FlowState::Open)
        return std::max(start, now);
    const flow::Timings &t = f.timings;
    return start + std::max({std::int64_t(0), t.lookup, t.connect, t.requestSent, t.firstByte});
}

int TimelineView::flowCount() const
{
    return m_setIds.empty() ? m_model.rowCount() : int(m_setRows.size());
}

const Flow *TimelineView::flowAtRow(int row) const
{
    if (row < 0 || row >= flowCount())
        return nullptr;
    return m_model.flowAt(m_setIds.empty() ? row : m_setRows[std::size_t(row)]);
}

void TimelineView::showCurrent()
{
    // The table's current flow, scrolled into view when it is drawn here.
    viewport()->update();
    const QModelIndex current = m_selection.currentIndex();
    if (!current.isValid() || !isVisible())
        return;
    int row = current.row();
    if (!m_setIds.empty()) {
        const auto it = std::find(m_setRows.begin(), m_setRows.end(), row);
        if (it == m_setRows.end())
            return;
        row = int(it - m_setRows.begin());
    }
    const QRect r = rowRect(row);
    if (r.top() < headerHeight())
        verticalScrollBar()->setValue(verticalScrollBar()->value() - (headerHeight() - r.top()));
    else if (r.bottom() > viewport()->height())
        verticalScrollBar()->setValue(verticalScrollBar()->value() + r.bottom()
                                      - viewport()->height() + 1);
}

void TimelineView::scheduleRefresh()
{
    if (!m_throttle->isActive())
        m_throttle->start();
}

void TimelineView::onSelectionChanged()
{
    if (m_clicking)
        return; // a click here selected one flow of the set: the set stays
    std::vector<int> rows;
    for (const QModelIndex &index : m_selection.selectedRows())
        rows.push_back(index.row());
    std::sort(rows.begin(), rows.end());
    std::vector<flow::FlowId> ids;
    if (rows.size() >= 2) {
        for (const int row : rows) {
            if (const Flow *f = m_model.flowAt(row))
                ids.push_back(f->id);
        }
    }
    if (ids != m_setIds) { // another set, another axis: start from the whole span
        m_setIds = std::move(ids);
        m_zoom = 1.0;
        horizontalScrollBar()->setValue(0);
    }
    refresh();
}

void TimelineView::refresh()
{
    m_throttle->stop();
    if (!isVisible())
        return; // showEvent() catches up
    m_now = QDateTime::currentMSecsSinceEpoch() * 1000;
    m_setRows.clear();
    for (const flow::FlowId id : m_setIds) {
        if (const int row = m_model.rowOfFlow(id); row >= 0)
            m_setRows.push_back(row);
    }
    std::sort(m_setRows.begin(), m_setRows.end());
    std::int64_t first = INT64_MAX;
    std::int64_t last = INT64_MIN;
    const int count = flowCount();
    for (int row = 0; row < count; ++row) {
        const Flow *f = flowAtRow(row);
        if (!f || f->startedWall <= 0)
            continue;
        first = std::min(first, startOf(*f));
        last = std::max(last, endOf(*f, m_now));
    }
    if (first > last)
        first = last = 0;
    m_first = first;
    m_last = last;
    updateScrollBars();
    viewport()->update();
    Q_EMIT summaryChanged(count, m_last - m_first, !m_setIds.empty());
}

// ---- geometry ----

int TimelineView::rowHeight() const
{
    return fontMetrics().height() + 6;
}

int TimelineView::headerHeight() const
{
    return fontMetrics().height() + 10;
}

int TimelineView::labelWidth() const
{
    // A third of the width for "#12 GET https://…", within reason.
    return std::clamp(viewport()->width() / 3, 120, 420);
}

QRect TimelineView::barArea() const
{
    const int left = labelWidth() + 8;
    const int right = viewport()->width() - 12;
    return QRect(left, headerHeight(), std::max(20, right - left),
                 std::max(0, viewport()->height() - headerHeight()));
}

int TimelineView::xOf(std::int64_t micros) const
{
    const QRect area = barArea();
    const double span = double(std::max<std::int64_t>(1000, m_last - m_first));
    const double x
        = double(micros - m_first) / span * area.width() * m_zoom - horizontalScrollBar()->value();
    return area.left() + int(std::clamp(x, -1e6, 1e6));
}

std::int64_t TimelineView::timeAt(int x) const
{
    const QRect area = barArea();
    const double span = double(std::max<std::int64_t>(1000, m_last - m_first));
    return m_first
           + std::int64_t(double(x - area.left() + horizontalScrollBar()->value())
                          / (area.width() * m_zoom) * span);
}

void TimelineView::setZoom(double zoom, int anchorX)
{
    // The time under anchorX stays under it.
    const std::int64_t anchored = timeAt(anchorX);
    m_zoom = std::clamp(zoom, 1.0, kMaxZoom);
    updateScrollBars();
    const QRect area = barArea();
    const double span = double(std::max<std::int64_t>(1000, m_last - m_first));
    horizontalScrollBar()->setValue(
        int(double(anchored - m_first) / span * area.width() * m_zoom - (anchorX - area.left())));
    viewport()->update();
}

void TimelineView::wheelEvent(QWheelEvent *event)
{
    if (!(event->modifiers() & Qt::ControlModifier)) {
        QAbstractScrollArea::wheelEvent(event);
        return;
    }
    const int steps = event->angleDelta().y() / 120;
    if (steps != 0)
        setZoom(m_zoom * std::pow(1.5, steps), event->position().toPoint().x());
    event->accept();
}

QRect TimelineView::rowRect(int row) const
{
    return QRect(0, headerHeight() + row * rowHeight() - verticalScrollBar()->value(),
                 viewport()->width(), rowHeight());
}

int TimelineView::rowAt(int y) const
{
    if (y < headerHeight())
        return -1;
    const int row = (y - headerHeight() + verticalScrollBar()->value()) / rowHeight();
    return row < flowCount() ? row : -1;
}

void TimelineView::updateScrollBars()
{
    const int visible = std::max(0, viewport()->height() - headerHeight());
    verticalScrollBar()->setPageStep(visible);
    verticalScrollBar()->setSingleStep(rowHeight());
    verticalScrollBar()->setRange(0, std::max(0, flowCount() * rowHeight() - visible));
    const int width = barArea().width();
    horizontalScrollBar()->setPageStep(width);
    horizontalScrollBar()->setSingleStep(std::max(1, width / 20));
    horizontalScrollBar()->setRange(0, int(double(width) * (m_zoom - 1.0)));
}

// ---- events ----

void TimelineView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void TimelineView::showEvent(QShowEvent *event)
{
    QAbstractScrollArea::showEvent(event);
    refresh();
}

void TimelineView::mousePressEvent(QMouseEvent *event)
{
    const Flow *f = flowAtRow(rowAt(event->position().toPoint().y()));
    if (!f || event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    m_clicking = true;
    Q_EMIT flowClicked(f->id);
    m_clicking = false;
    viewport()->update();
}

bool TimelineView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const QString text = toolTipForRow(rowAt(help->pos().y()));
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, viewport());
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

QString TimelineView::toolTipForRow(int row) const
{
    const Flow *f = flowAtRow(row);
    if (!f)
        return {};
    QStringList lines{flowLabel(*f)};
    if (f->startedWall > 0 && m_first > 0)
        lines << tr("Starts at +%1").arg(TimingView::formatMicros(startOf(*f) - m_first));
    for (const TimingView::Phase &p : TimingView::phasesOf(*f))
        lines << tr("%1: %2").arg(p.name, TimingView::formatMicros(p.end - p.start));
    if (f->state == FlowState::Open)
        lines << tr("Still open");
    else if (f->startedWall > 0)
        lines << tr("Total: %1").arg(TimingView::formatMicros(endOf(*f, m_now) - startOf(*f)));
    if (!f->error.empty())
        lines << QString::fromStdString(f->error);
    return lines.join(u'\n');
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    const QPalette pal = palette();
    const QFontMetrics metrics = fontMetrics();
    const QRect area = barArea();
    const int rh = rowHeight();
    const int count = flowCount();

    if (count == 0) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(viewport()->rect().adjusted(12, 12, -12, -12),
                         Qt::AlignCenter | Qt::TextWordWrap,
                         tr("No flows to show. The timeline draws the flows the table shows, "
                            "or the rows selected in it when there are two or more."));
        return;
    }

    // The ticks in view: a round step about kTickSpacing pixels apart at this zoom.
    const std::int64_t span = std::max<std::int64_t>(1000, m_last - m_first);
    const double pixelsPerMicro = double(area.width()) * m_zoom / double(span);
    const std::int64_t step = niceStep(kTickSpacing / pixelsPerMicro);
    const std::int64_t visibleFrom = std::max<std::int64_t>(0, timeAt(area.left()) - m_first);
    const std::int64_t visibleTo = timeAt(area.right()) - m_first;
    std::vector<std::int64_t> ticks;
    for (std::int64_t t = visibleFrom / step * step; t <= visibleTo; t += step)
        ticks.push_back(t);

    // Rows in view: stripes, grid, then each flow's label and bar.
    const int firstRow = std::max(0, verticalScrollBar()->value() / rh);
    const int lastRow
        = std::min(count - 1, (verticalScrollBar()->value() + viewport()->height()) / rh);
    const QModelIndex current = m_selection.currentIndex();
    const flow::FlowId currentId
        = current.isValid() ? current.data(FlowTableModel::FlowIdRole).toULongLong() : 0;
    const QColor failed = pal.color(QPalette::Base).lightness() < 128 ? QColor(0xff, 0x7b, 0x72)
                                                                      : QColor(0xc6, 0x28, 0x28);
    const QRect rowsArea(0, headerHeight(), viewport()->width(), area.height());
    const QRect barsArea(area.left(), headerHeight(), viewport()->width() - area.left(),
                         area.height());
    painter.setClipRect(rowsArea);
    for (int row = firstRow; row <= lastRow; ++row) {
        const Flow *f = flowAtRow(row);
        if (f && f->id == currentId)
            painter.fillRect(rowRect(row), pal.color(QPalette::Highlight));
        else if (row % 2)
            painter.fillRect(rowRect(row), pal.color(QPalette::AlternateBase));
    }
    painter.setPen(pal.color(QPalette::Midlight));
    painter.setClipRect(barsArea);
    for (const std::int64_t t : ticks)
        painter.drawLine(xOf(m_first + t), headerHeight(), xOf(m_first + t), viewport()->height());
    for (int row = firstRow; row <= lastRow; ++row) {
        const Flow *f = flowAtRow(row);
        if (!f)
            continue;
        const QRect r = rowRect(row);
        const bool isCurrent = f->id == currentId;
        const bool bad = !f->error.empty() || f->state == FlowState::Failed || f->status >= 400;
        painter.setClipRect(rowsArea);
        painter.setPen(isCurrent ? pal.color(QPalette::HighlightedText)
                       : bad     ? failed
                                 : pal.color(QPalette::Text));
        painter.drawText(QRect(6, r.top(), labelWidth() - 6, rh), Qt::AlignLeft | Qt::AlignVCenter,
                         metrics.elidedText(flowLabel(*f), Qt::ElideMiddle, labelWidth() - 6));
        if (f->startedWall <= 0)
            continue;
        painter.setClipRect(barsArea);
        const std::int64_t start = startOf(*f);
        const std::int64_t end = endOf(*f, m_now);
        const QRect bar(0, r.top() + 3, 0, rh - 6);
        // The whole flow, thin and grey: tunnels, open flows, and time the phases do not cover.
        const int x0 = xOf(start);
        const int x1 = std::max(x0 + 2, xOf(end));
        painter.fillRect(QRect(x0, bar.top() + bar.height() / 3, x1 - x0, bar.height() / 3 + 1),
                         pal.color(QPalette::Mid));
        // Phases within the flow's span (a reused tunnel's TLS estimate may reach past it).
        for (const TimingView::Phase &p : TimingView::phasesOf(*f)) {
            const std::int64_t from = std::min(start + p.start, end);
            const int a = xOf(from);
            const int b = std::max(a + 1, xOf(std::min(start + p.end, end)));
            painter.fillRect(QRect(a, bar.top(), b - a, bar.height()),
                             TimingView::colourOf(p.kind));
        }
        if (bad)
            painter.fillRect(QRect(x1, bar.top(), 3, bar.height()), failed);
    }
    painter.setClipping(false);

    // The axis: ticks from the first start, labelled with the time since it.
    painter.fillRect(QRect(0, 0, viewport()->width(), headerHeight()), pal.color(QPalette::Window));
    painter.setClipRect(QRect(area.left(), 0, viewport()->width() - area.left(), headerHeight()));
    painter.setPen(pal.color(QPalette::WindowText));
    for (const std::int64_t t : ticks) {
        const int x = xOf(m_first + t);
        painter.drawLine(x, headerHeight() - 4, x, headerHeight());
        const QString label = t == 0 ? QStringLiteral("0") : TimingView::formatMicros(t);
        const int w = metrics.horizontalAdvance(label);
        painter.drawText(
            QRect(std::min(x + 3, viewport()->width() - w - 2), 0, w + 2, headerHeight() - 2),
            Qt::AlignLeft | Qt::AlignVCenter, label);
    }
    painter.setClipping(false);
    painter.setPen(pal.color(QPalette::Mid));
    painter.drawLine(0, headerHeight(), viewport()->width(), headerHeight());
    painter.setPen(pal.color(QPalette::WindowText));
    painter.drawText(QRect(6, 0, labelWidth() - 6, headerHeight() - 2),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     m_zoom > 1.0 ? tr("Flow (zoom %1\u00d7)").arg(m_zoom, 0, 'f', 1) : tr("Flow"));
}

} // namespace ts::ui
