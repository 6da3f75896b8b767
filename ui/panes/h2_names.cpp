#include "ui/panes/h2_names.h"

#include <QStringList>

#include <span>

namespace ts::ui::h2 {

namespace {

QString hex(std::uint32_t value)
{
    return QStringLiteral("0x%1").arg(value, value > 0xff ? 0 : 2, 16, QLatin1Char('0'));
}

struct Flag
{
    std::uint8_t bit;
    const char *name;
};

constexpr Flag kEndStream{0x1, "END_STREAM"};
constexpr Flag kAck{0x1, "ACK"};
constexpr Flag kEndHeaders{0x4, "END_HEADERS"};
constexpr Flag kPadded{0x8, "PADDED"};
constexpr Flag kPriority{0x20, "PRIORITY"};

} // namespace

QString frameTypeName(std::uint8_t type)
{
    switch (type) {
    case 0x0:
        return QStringLiteral("DATA");
    case 0x1:
        return QStringLiteral("HEADERS");
    case 0x2:
        return QStringLiteral("PRIORITY");
    case 0x3:
        return QStringLiteral("RST_STREAM");
    case 0x4:
        return QStringLiteral("SETTINGS");
    case 0x5:
        return QStringLiteral("PUSH_PROMISE");
    case 0x6:
        return QStringLiteral("PING");
    case 0x7:
        return QStringLiteral("GOAWAY");
    case 0x8:
        return QStringLiteral("WINDOW_UPDATE");
    case 0x9:
        return QStringLiteral("CONTINUATION");
    case 0xa:
        return QStringLiteral("ALTSVC"); // RFC 7838
    case 0xc:
        return QStringLiteral("ORIGIN"); // RFC 8336
    case 0x10:
        return QStringLiteral("PRIORITY_UPDATE"); // RFC 9218
    default:
        return hex(type);
    }
}

QString frameFlagNames(std::uint8_t type, std::uint8_t flags)
{
    // RFC 9113 §6: each type defines its own flags; the same bit means different things.
    static constexpr Flag data[] = {kEndStream, kPadded};
    static constexpr Flag headers[] = {kEndStream, kEndHeaders, kPadded, kPriority};
    static constexpr Flag ack[] = {kAck};
    static constexpr Flag pushPromise[] = {kEndHeaders, kPadded};
    static constexpr Flag continuation[] = {kEndHeaders};
    std::span<const Flag> defined;
    switch (type) {
    case 0x0:
        defined = data;
        break;
    case 0x1:
        defined = headers;
        break;
    case 0x4: // SETTINGS
    case 0x6: // PING
        defined = ack;
        break;
    case 0x5:
        defined = pushPromise;
        break;
    case 0x9:
        defined = continuation;
        break;
    default:
        break;
    }
    QStringList names;
    std::uint8_t rest = flags;
    for (const Flag &f : defined) {
        if (flags & f.bit) {
            names.append(QLatin1String(f.name));
            rest = std::uint8_t(rest & ~f.bit);
        }
    }
    if (rest)
        names.append(hex(rest));
    return names.join(QStringLiteral(" | "));
}

QString errorCodeName(std::uint32_t code)
{
    static const char *const names[] = {"NO_ERROR",
                                        "PROTOCOL_ERROR",
                                        "INTERNAL_ERROR",
                                        "FLOW_CONTROL_ERROR",
                                        "SETTINGS_TIMEOUT",
                                        "STREAM_CLOSED",
                                        "FRAME_SIZE_ERROR",
                                        "REFUSED_STREAM",
                                        "CANCEL",
                                        "COMPRESSION_ERROR",
                                        "CONNECT_ERROR",
                                        "ENHANCE_YOUR_CALM",
                                        "INADEQUATE_SECURITY",
                                        "HTTP_1_1_REQUIRED"};
    if (code < std::size(names))
        return QLatin1String(names[code]);
    return hex(code);
}

} // namespace ts::ui::h2
