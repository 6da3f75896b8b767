#include "ui/models/flow_marks.h"

#include <QCoreApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace ts::ui {

using flow::MarkColor;

QString markColorLabel(MarkColor color)
{
    switch (color) {
    case MarkColor::None:
        return QCoreApplication::translate("ts::ui::FlowMarks", "None");
    case MarkColor::Red:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Red");
    case MarkColor::Orange:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Orange");
    case MarkColor::Yellow:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Yellow");
    case MarkColor::Green:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Green");
    case MarkColor::Blue:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Blue");
    case MarkColor::Purple:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Purple");
    case MarkColor::Gray:
        return QCoreApplication::translate("ts::ui::FlowMarks", "Gray");
    }
    return QString();
}

QColor markSwatch(MarkColor color)
{
    switch (color) {
    case MarkColor::None:
        return {};
    case MarkColor::Red:
        return {0xe5, 0x39, 0x35};
    case MarkColor::Orange:
        return {0xfb, 0x8c, 0x00};
    case MarkColor::Yellow:
        return {0xfd, 0xd8, 0x35};
    case MarkColor::Green:
        return {0x43, 0xa0, 0x47};
    case MarkColor::Blue:
        return {0x1e, 0x88, 0xe5};
    case MarkColor::Purple:
        return {0x8e, 0x24, 0xaa};
    case MarkColor::Gray:
        return {0x75, 0x75, 0x75};
    }
    return {};
}

QColor markTint(MarkColor color, bool darkPalette)
{
    QColor c = markSwatch(color);
    if (!c.isValid())
        return c;
    // Mixed with the base: a quarter of the colour on white, a third on a dark base.
    const QColor base = darkPalette ? QColor(0x1e, 0x1e, 0x1e) : QColor(Qt::white);
    const double share = darkPalette ? 0.35 : 0.25;
    return QColor::fromRgbF(float(base.redF() + (c.redF() - base.redF()) * share),
                            float(base.greenF() + (c.greenF() - base.greenF()) * share),
                            float(base.blueF() + (c.blueF() - base.blueF()) * share));
}

QIcon pinIcon()
{
    static const QIcon icon = [] {
        QIcon out;
        for (const int size : {16, 32}) {
            QPixmap pixmap(size, size);
            pixmap.fill(Qt::transparent);
            QPainter p(&pixmap);
            p.setRenderHint(QPainter::Antialiasing);
            p.scale(size / 16.0, size / 16.0);
            // Needle, then the head: a map pin leaning right.
            p.setPen(QPen(QColor(0x55, 0x55, 0x55), 1.6, Qt::SolidLine, Qt::RoundCap));
            p.drawLine(QPointF(3.0, 14.0), QPointF(7.5, 8.5));
            p.setPen(QPen(QColor(0x8e, 0x1b, 0x1b), 1.0));
            p.setBrush(QColor(0xd3, 0x2f, 0x2f));
            p.drawEllipse(QPointF(10.0, 6.0), 4.5, 4.5);
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(255, 255, 255, 150));
            p.drawEllipse(QPointF(8.7, 4.7), 1.4, 1.4);
            p.end();
            out.addPixmap(pixmap);
        }
        return out;
    }();
    return icon;
}

QIcon swatchIcon(MarkColor color)
{
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor c = markSwatch(color);
    p.setPen(QPen(c.isValid() ? c.darker(130) : QColor(0x80, 0x80, 0x80), 1.0));
    p.setBrush(c.isValid() ? QBrush(c) : QBrush(Qt::NoBrush));
    p.drawRoundedRect(QRectF(2.5, 2.5, 11, 11), 2, 2);
    p.end();
    return QIcon(pixmap);
}

} // namespace ts::ui
