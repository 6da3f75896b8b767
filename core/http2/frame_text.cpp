#include "core/http2/frame_text.h"

#include <cstdio>

namespace ts::http2 {

namespace {

std::string hex(std::uint64_t v)
{
    // Two digits at least: "0x04", "0x2a", "0x1234".
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%02llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace

std::string frameTypeName(std::uint64_t type)
{
    static const char *const names[]
        = {"DATA", "HEADERS", "PRIORITY",      "RST_STREAM",   "SETTINGS", "PUSH_PROMISE",
           "PING", "GOAWAY",  "WINDOW_UPDATE", "CONTINUATION", "ALTSVC"};
    if (type < sizeof names / sizeof *names)
        return names[type];
    if (type == 0x0c)
        return "ORIGIN";
    if (type == 0x10)
        return "PRIORITY_UPDATE";
    return hex(type);
}

std::string frameFlagsText(std::uint64_t type, std::uint8_t flags)
{
    std::string out;
    auto add = [&](std::uint8_t bit, const char *name) {
        if (flags & bit) {
            if (!out.empty())
                out += '|';
            out += name;
            flags = std::uint8_t(flags & ~bit);
        }
    };
    switch (type) {
    case 0x0: // DATA
        add(0x1, "END_STREAM");
        add(0x8, "PADDED");
        break;
    case 0x1: // HEADERS
        add(0x1, "END_STREAM");
        add(0x4, "END_HEADERS");
        add(0x8, "PADDED");
        add(0x20, "PRIORITY");
        break;
    case 0x4: // SETTINGS
    case 0x6: // PING
        add(0x1, "ACK");
        break;
    case 0x5: // PUSH_PROMISE
        add(0x4, "END_HEADERS");
        add(0x8, "PADDED");
        break;
    case 0x9: // CONTINUATION
        add(0x4, "END_HEADERS");
        break;
    default:
        break;
    }
    if (flags) {
        if (!out.empty())
            out += '|';
        out += hex(flags);
    }
    return out;
}

std::string errorCodeName(std::uint32_t code)
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
    if (code < sizeof names / sizeof *names)
        return names[code];
    return hex(code);
}

std::string settingName(std::int32_t id)
{
    switch (id) {
    case 1:
        return "HEADER_TABLE_SIZE";
    case 2:
        return "ENABLE_PUSH";
    case 3:
        return "MAX_CONCURRENT_STREAMS";
    case 4:
        return "INITIAL_WINDOW_SIZE";
    case 5:
        return "MAX_FRAME_SIZE";
    case 6:
        return "MAX_HEADER_LIST_SIZE";
    case 8:
        return "ENABLE_CONNECT_PROTOCOL";
    case 9:
        return "NO_RFC7540_PRIORITIES";
    default:
        return hex(std::uint32_t(id));
    }
}

} // namespace ts::http2
