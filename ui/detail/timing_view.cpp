#include "ui/detail/timing_view.h"

#include <QPainter>

#include <algorithm>

namespace ts::ui {

QString TimingView::formatMicros(std::int64_t micros)
{
    if (micros < 1000)
        return TimingView::tr("%1 \u00b5s").arg(micros);
    if (micros < 10'000'000)
        return TimingView::tr("%1 ms").arg(double(micros) / 1000.0, 0, 'f', 1);
    return TimingView::tr("%1 s").arg(double(micros) / 1e6, 0, 'f', 2);
}

QColor TimingView::colourOf(PhaseKind kind)
{
    static const QColor colours[]
        = {QColor(0x2d, 0x9c, 0xdb), QColor(0xf2, 0x99, 0x4a), QColor(0x9b, 0x51, 0xe0),
           QColor(0x27, 0xae, 0x60), QColor(0xeb, 0x57, 0x57), QColor(0x56, 0xcc, 0xf2)};
    return colours[std::size_t(kind) % std::size(colours)];
}

TimingView::TimingView(QWidget *parent) : QWidget(parent)
{
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

TimingView::~TimingView() = default;

std::vector<TimingView::Phase> TimingView::phasesOf(const flow::Flow &f)
{
    std::vector<Phase> phases;
    const flow::Timings &t = f.timings;
    std::int64_t at = 0; // where the next phase starts
    const auto add = [&](const QString &name, std::int64_t end, PhaseKind kind) {
        if (end < 0)
            return;
        phases.push_back({name, at, std::max(at, end), kind});
        at = std::max(at, end);
    };
    add(tr("Name lookup"), t.lookup, PhaseKind::Lookup);
    add(tr("Connect"), t.connect, PhaseKind::Connect);
    // Only when this flow connected: an exchange inside an intercepted tunnel shares the
    // tunnel's handshake, made before the exchange began.
    if (f.serverTls && f.serverTls->handshakeMicros >= 0 && !f.serverReused && t.connect >= 0)
        add(tr("TLS handshake"), at + f.serverTls->handshakeMicros, PhaseKind::Tls);
    add(tr("Request sent"), t.requestSent, PhaseKind::RequestSent);
    add(tr("Waiting (first byte)"), t.firstByte, PhaseKind::Waiting);
    add(tr("Receiving"), t.complete, PhaseKind::Receiving);
    return phases;
}

void TimingView::showFlow(const flow::Flow &f)
{
    m_phases = phasesOf(f);
    m_note = f.serverReused ? tr("The server connection was reused: no lookup, connect or TLS.")
                            : QString();
    if (f.kind == flow::FlowKind::Tunnel)
        m_note = tr("Tunnels have no request timings; their exchanges do.");
    updateGeometry();
    update();
}

void TimingView::clear()
{
    m_phases.clear();
    m_note.clear();
    update();
}

QSize TimingView::sizeHint() const
{
    const int line = fontMetrics().height() + 8;
    return {480, line * int(m_phases.size() + 3)};
}

void TimingView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QFontMetrics metrics = fontMetrics();
    const int line = metrics.height() + 8;
    const int margin = 8;
    int labelWidth = 0;
    for (const Phase &p : m_phases)
        labelWidth = std::max(labelWidth, metrics.horizontalAdvance(p.name));
    const int valueWidth = metrics.horizontalAdvance(QStringLiteral("99999.9 ms")) + margin;
    const int barLeft = margin + labelWidth + margin;
    const int barWidth = std::max(40, width() - barLeft - valueWidth - margin);
    std::int64_t total = 1;
    for (const Phase &p : m_phases)
        total = std::max(total, p.end);

    painter.setPen(palette().color(QPalette::Text));
    if (m_phases.empty()) {
        painter.drawText(rect().adjusted(margin, margin, -margin, -margin),
                         Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                         m_note.isEmpty() ? tr("No timings recorded.") : m_note);
        return;
    }
    int y = margin;
    for (std::size_t i = 0; i < m_phases.size(); ++i) {
        const Phase &p = m_phases[i];
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QRect(margin, y, labelWidth, line), Qt::AlignLeft | Qt::AlignVCenter,
                         p.name);
        const int x0 = barLeft + int(double(p.start) / double(total) * barWidth);
        const int x1 = barLeft + int(double(p.end) / double(total) * barWidth);
        painter.fillRect(QRect(x0, y + 4, std::max(2, x1 - x0), line - 8), colourOf(p.kind));
        painter.drawText(QRect(barLeft + barWidth + margin, y, valueWidth, line),
                         Qt::AlignRight | Qt::AlignVCenter, formatMicros(p.end - p.start));
        y += line;
    }
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(QRect(margin, y, width() - 2 * margin, line), Qt::AlignLeft | Qt::AlignVCenter,
                     tr("Total %1").arg(formatMicros(total))
                         + (m_note.isEmpty() ? QString() : QStringLiteral(" \u00b7 ") + m_note));
}

} // namespace ts::ui
