#pragma once

#include <cstddef>
#include <cstdint>

namespace ts::session {

// CRC-32 as zlib and PNG compute it (reflected polynomial 0xEDB88320), continued from `crc`
// (0 to start). Session records carry one so that a damaged file is reported, not misread.
std::uint32_t crc32(std::uint32_t crc, const void *data, std::size_t size);

} // namespace ts::session
