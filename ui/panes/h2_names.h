#pragma once

#include <QString>

#include <cstdint>

// Names of HTTP/2 wire values (RFC 9113 and its extensions), for the frames and streams panes.
namespace ts::ui::h2 {

// "DATA", "HEADERS", ..., "ALTSVC", "ORIGIN", "PRIORITY_UPDATE"; unknown types as "0x2a".
QString frameTypeName(std::uint64_t type);
// The flags the type defines, "END_STREAM | END_HEADERS"; bits it does not define as "0x40".
// Empty when no flag is set.
QString frameFlagNames(std::uint64_t type, std::uint8_t flags);
// "NO_ERROR", "CANCEL", ...; unknown codes as "0x1f".
QString errorCodeName(std::uint32_t code);

// The frame types the filter offers, in wire order.
inline constexpr std::uint8_t kKnownFrameTypes[]
    = {0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xc, 0x10};

} // namespace ts::ui::h2
