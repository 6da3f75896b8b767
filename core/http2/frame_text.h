#pragma once

#include <cstdint>
#include <string>

namespace ts::http2 {

// Names for what HTTP/2 puts on the wire (RFC 9113 §6, §7, §11; RFC 8441; RFC 9218).
// Types are as wide as records keep them (HTTP/3's are 62-bit); h2's own are 8-bit.
std::string frameTypeName(std::uint64_t type);                      // "DATA", "SETTINGS", "0x2a"
std::string frameFlagsText(std::uint64_t type, std::uint8_t flags); // "END_STREAM|PADDED"
std::string errorCodeName(std::uint32_t code);                      // "CANCEL", "0x1234"
std::string settingName(std::int32_t id); // "MAX_CONCURRENT_STREAMS", "0x33"

} // namespace ts::http2
