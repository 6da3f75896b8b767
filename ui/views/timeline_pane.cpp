#include "ui/views/timeline_pane.h"

#include "ui/detail/timing_view.h"
#include "ui/views/timeline_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace ts::ui {

TimelinePane::TimelinePane(const FlowTableModel &model, QItemSelectionModel &selection,
                           QWidget *parent)
    : QWidget(parent), m_view(new TimelineView(model, selection, this)), m_summary(new QLabel(this))
{
    m_summary->setObjectName(QStringLiteral("timelineSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setMinimumWidth(0);
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    // The legend: a swatch and a name per phase, plus the grey of a flow's whole span.
    // Clipped when the dock is narrow: it never sets the dock's minimum width.
    auto *legendBox = new QWidget(this);
    legendBox->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *legend = new QHBoxLayout(legendBox);
    legend->setSizeConstraint(QLayout::SetNoConstraint);
    legend->setContentsMargins(0, 0, 0, 0);
    legend->setSpacing(10);
    const auto swatch = [legendBox, legend](const QColor &colour, const QString &name) {
        auto *box = new QLabel(legendBox);
        box->setFixedSize(10, 10);
        box->setAutoFillBackground(true);
        QPalette p = box->palette();
        p.setColor(QPalette::Window, colour);
        box->setPalette(p);
        auto *text = new QLabel(name, legendBox);
        auto *pair = new QHBoxLayout;
        pair->setSpacing(4);
        pair->addWidget(box);
        pair->addWidget(text);
        legend->addLayout(pair);
    };
    using K = TimingView::PhaseKind;
    swatch(TimingView::colourOf(K::Lookup), tr("Lookup"));
    swatch(TimingView::colourOf(K::Connect), tr("Connect"));
    swatch(TimingView::colourOf(K::Tls), tr("TLS"));
    swatch(TimingView::colourOf(K::RequestSent), tr("Request sent"));
    swatch(TimingView::colourOf(K::Waiting), tr("Waiting"));
    swatch(TimingView::colourOf(K::Receiving), tr("Receiving"));
    swatch(legendBox->palette().color(QPalette::Mid), tr("Open or no timings"));
    legend->addStretch(1);
    auto *hint = new QLabel(tr("Ctrl+wheel zooms"), legendBox);
    hint->setForegroundRole(QPalette::PlaceholderText);
    legend->addWidget(hint);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    layout->addWidget(m_summary);
    layout->addWidget(legendBox);
    layout->addWidget(m_view, 1);

    connect(m_view, &TimelineView::summaryChanged, this, &TimelinePane::showSummary);
    connect(m_view, &TimelineView::flowClicked, this, &TimelinePane::flowRequested);
    showSummary(m_view->flowCount(), 0, false);
}

TimelinePane::~TimelinePane() = default;

QString TimelinePane::summary() const
{
    return m_summary->text();
}

void TimelinePane::showSummary(int flows, std::int64_t spanMicros, bool selection)
{
    const QString count = QLocale().toString(flows);
    const QString span = TimingView::formatMicros(spanMicros);
    m_summary->setText(selection ? tr("%1 selected flows over %2").arg(count, span)
                                 : tr("%1 flows shown in the table, over %2; select two or more "
                                      "rows to draw only those")
                                       .arg(count, span));
}

} // namespace ts::ui
