#pragma once

#include <cstdint>
#include <string>

namespace ts::http2 {

// Names for what HTTP/2 puts on the wire (RFC 9113 §6, §7, §11; RFC 8441; RFC 9218).
std::string frameTypeName(std::uint8_t type);                      // "DATA", "SETTINGS", "0x2a"
std::string frameFlagsText(std::uint8_t type, std::uint8_t flags); // "END_STREAM|PADDED"
std::string errorCodeName(std::uint32_t code);                     // "CANCEL", "0x1234"
std::string settingName(std::int32_t id); // "MAX_CONCURRENT_STREAMS", "0x33"

} // namespace ts::http2
