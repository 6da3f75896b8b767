#pragma once

#include "core/base/result.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// SOCKS5 (RFC 1928) with username/password authentication (RFC 1929): the wire values both
// codecs share, and IP literal text <-> bytes without any socket API (README.md beside this file).
namespace ts::socks {

inline constexpr std::uint8_t kSocksVersion = 0x05;
inline constexpr std::uint8_t kAuthVersion = 0x01; // RFC 1929 sub-negotiation version

// Longest field a length byte can announce: a domain name, a username, a password.
inline constexpr std::size_t kMaxFieldLength = 255;

enum class AuthMethod : std::uint8_t {
    NoAuthentication = 0x00,
    Gssapi = 0x01,
    UsernamePassword = 0x02,
    NoAcceptableMethods = 0xff,
};

enum class Command : std::uint8_t { Connect = 0x01, Bind = 0x02, UdpAssociate = 0x03 };

enum class AddressType : std::uint8_t { IPv4 = 0x01, Domain = 0x03, IPv6 = 0x04 };

// The REP field of a reply (RFC 1928 section 6). Values 0x09-0xff are unassigned; a ReplyCode
// read off the wire may hold one of them.
enum class ReplyCode : std::uint8_t {
    Succeeded = 0x00,
    GeneralFailure = 0x01,
    NotAllowedByRuleset = 0x02,
    NetworkUnreachable = 0x03,
    HostUnreachable = 0x04,
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
};

// "connection refused", "general SOCKS server failure", ...; "unassigned reply code" for others.
std::string_view replyText(ReplyCode code);
std::string_view commandText(Command command);      // "CONNECT", "BIND", "UDP ASSOCIATE"
std::string_view authMethodText(AuthMethod method); // "username/password", ...
std::string_view addressTypeText(AddressType type); // "IPv4", "domain name", "IPv6"

// RFC 1929 credentials. Each field goes on the wire behind a length byte, so at most 255 bytes.
struct Credentials
{
    std::string username;
    std::string password;

    bool operator==(const Credentials &) const = default;
};

// --- IP literals, strictly: IPv4 as four decimal octets without leading zeros; IPv6 as in
// RFC 4291 section 2.2 (with "::" and a trailing dotted quad), no zone, no brackets.
std::optional<std::array<std::uint8_t, 4>> parseIpv4(std::string_view text);
std::optional<std::array<std::uint8_t, 16>> parseIpv6(std::string_view text);
std::string formatIpv4(const std::array<std::uint8_t, 4> &bytes);
// RFC 5952: lower case, longest run of two or more zero groups as "::", IPv4-mapped addresses
// as ::ffff:192.0.2.1.
std::string formatIpv6(const std::array<std::uint8_t, 16> &bytes);

// IPv4 or IPv6 when `host` is such a literal (an IPv6 one may be in brackets), else nothing.
std::optional<AddressType> ipLiteralType(std::string_view host);

// ATYP, address and port as they appear in a request or a reply. IP literals (IPv6 with or
// without brackets) become IPv4/IPv6; anything else is a domain name when `allowDomain`, which
// must be 1-255 bytes. Fails with code "socks.invalid-address" otherwise.
Result<std::string> encodeAddress(std::string_view host, std::uint16_t port, bool allowDomain);

} // namespace ts::socks
