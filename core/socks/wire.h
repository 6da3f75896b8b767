#pragma once

#include "core/socks/socks5.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Private to core/socks: the byte-level pieces the server and client codecs share. A request
// (VER CMD RSV ATYP DST.ADDR DST.PORT) and a reply (VER REP RSV ATYP BND.ADDR BND.PORT) have
// the same shape, so one set of helpers reads both.
namespace ts::socks::wire {

inline std::uint8_t byteAt(std::string_view s, std::size_t i)
{
    return static_cast<std::uint8_t>(s[i]);
}

// Offset of ATYP in a request or reply.
inline constexpr std::size_t kAtypOffset = 3;

// Whether the ATYP byte names an address type RFC 1928 defines.
bool knownAddressType(std::uint8_t atyp);

// Length of a whole request or reply with this known ATYP, given the domain length byte for a
// domain name (ignored otherwise).
std::size_t messageLength(AddressType type, std::uint8_t domainLength);

// The host text of the address starting at `kAtypOffset + 1` of a complete message (dotted
// IPv4, RFC 5952 IPv6, or the domain bytes as sent), and its port.
std::string hostOf(std::string_view message, AddressType type);
std::uint16_t portOf(std::string_view message);

// The text with anything but printable ASCII (and the quote and backslash) as \xNN, for
// quoting peer-supplied names in messages.
std::string printable(std::string_view text);

} // namespace ts::socks::wire
