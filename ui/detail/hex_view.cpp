#include "ui/detail/hex_view.h"

#include <QEvent>
#include <QFontDatabase>
#include <QPainter>
#include <QScrollBar>

namespace ts::ui {

namespace {
constexpr int kBytesPerLine = 16;
constexpr char kHexDigits[] = "0123456789abcdef";
} // namespace

HexView::HexView(QWidget *parent) : QAbstractScrollArea(parent)
{
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    viewport()->setBackgroundRole(QPalette::Base);
    viewport()->setAutoFillBackground(true);
}

HexView::~HexView() = default;

void HexView::setData(QByteArray data)
{
    m_data = std::move(data);
    verticalScrollBar()->setValue(0);
    updateScrollBars();
    viewport()->update();
}

qsizetype HexView::lineCount() const
{
    return (m_data.size() + kBytesPerLine - 1) / kBytesPerLine;
}

QString HexView::lineText(qsizetype line) const
{
    const qsizetype start = line * kBytesPerLine;
    if (line < 0 || start >= m_data.size())
        return {};
    QString text = QStringLiteral("%1  ").arg(start, 8, 16, QLatin1Char('0'));
    QString ascii;
    for (int i = 0; i < kBytesPerLine; ++i) {
        if (start + i < m_data.size()) {
            const auto byte = static_cast<unsigned char>(m_data[start + i]);
            text += QLatin1Char(kHexDigits[byte >> 4]);
            text += QLatin1Char(kHexDigits[byte & 15]);
            text += QLatin1Char(' ');
            ascii += byte >= 0x20 && byte < 0x7f ? QLatin1Char(char(byte)) : QLatin1Char('.');
        } else {
            text += QStringLiteral("   ");
        }
        if (i == 7)
            text += QLatin1Char(' ');
    }
    return text + QLatin1Char(' ') + ascii;
}

void HexView::updateScrollBars()
{
    const int lineHeight = fontMetrics().height();
    const int visible = lineHeight > 0 ? viewport()->height() / lineHeight : 0;
    const qsizetype lines = lineCount();
    // A scroll bar counts in ints: 2^31 lines is 32 GiB, beyond any recorded body.
    verticalScrollBar()->setRange(0, int(std::max<qsizetype>(0, lines - visible)));
    verticalScrollBar()->setPageStep(std::max(1, visible));
    const int width
        = fontMetrics().horizontalAdvance(QLatin1Char('0')) * (10 + 3 * 16 + 2 + 16) + 8;
    horizontalScrollBar()->setRange(0, std::max(0, width - viewport()->width()));
    horizontalScrollBar()->setPageStep(viewport()->width());
}

void HexView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    painter.setFont(font());
    painter.setPen(palette().color(QPalette::Text));
    const int lineHeight = fontMetrics().height();
    const int ascent = fontMetrics().ascent();
    const qsizetype first = verticalScrollBar()->value();
    const int rows = viewport()->height() / std::max(1, lineHeight) + 1;
    const int x = 4 - horizontalScrollBar()->value();
    const QColor offsetColour = palette().color(QPalette::PlaceholderText);
    for (int r = 0; r < rows; ++r) {
        const qsizetype line = first + r;
        if (line >= lineCount())
            break;
        const QString text = lineText(line);
        const int y = r * lineHeight + ascent;
        painter.setPen(offsetColour);
        painter.drawText(x, y, text.left(10));
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(x + fontMetrics().horizontalAdvance(text.left(10)), y, text.mid(10));
    }
}

void HexView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void HexView::changeEvent(QEvent *event)
{
    QAbstractScrollArea::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        updateScrollBars();
}

} // namespace ts::ui
