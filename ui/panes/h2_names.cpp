#include "ui/panes/h2_names.h"

#include "core/http2/frame_text.h"

// The names come from core/http2, the same ones the engine's frame summaries use.
namespace ts::ui::h2 {

QString frameTypeName(std::uint64_t type)
{
    return QString::fromStdString(http2::frameTypeName(type));
}

QString frameFlagNames(std::uint64_t type, std::uint8_t flags)
{
    return QString::fromStdString(http2::frameFlagsText(type, flags))
        .replace(QChar(u'|'), QStringLiteral(" | "));
}

QString errorCodeName(std::uint32_t code)
{
    return QString::fromStdString(http2::errorCodeName(code));
}

} // namespace ts::ui::h2
