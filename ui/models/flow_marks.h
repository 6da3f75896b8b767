#pragma once

#include "core/flow/flow.h"

#include <QColor>
#include <QIcon>
#include <QString>

namespace ts::ui {

// How the user's marks of a flow look (colour names, row tints, the pin), shared by the flows
// table and the row menu.

// "Red", "Orange"... translated; "None" for MarkColor::None.
QString markColorLabel(flow::MarkColor color);
// The swatch of a colour: strong enough to tell apart in a menu.
QColor markSwatch(flow::MarkColor color);
// The background of a marked row: the swatch, faint enough that the row's text (and the red
// of a failed flow) still reads, on a light palette and on a dark one. Invalid for None.
QColor markTint(flow::MarkColor color, bool darkPalette);
// A small push pin, drawn (no icon theme needed).
QIcon pinIcon();
// A menu icon: a filled square of the colour (an empty frame for None).
QIcon swatchIcon(flow::MarkColor color);

} // namespace ts::ui
