#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// The first flight of a TLS client, read before deciding what to do with a connection: is it
// TLS at all, which host does it want (SNI), which protocols does it offer (ALPN). Sans-IO and
// without OpenSSL: bytes in, a value out (README.md beside this file).
namespace ts::tls {

enum class Sniff { NeedMore, Tls, NotTls };

// Whether a stream starts with a TLS handshake record: 0x16, then record version 0x03 0x00..0x04.
// Decides on the first byte that rules TLS out, and says Tls after three bytes. SSL 2.0-style
// hellos (0x80 ...) are NotTls.
Sniff sniffTls(std::string_view firstBytes);

// Largest ClientHello handshake message accepted (its 4-byte header included). Real ones are
// below 2 KiB, those with post-quantum key shares below 4 KiB; past this the stream is Invalid
// rather than buffered further.
inline constexpr std::size_t kMaxClientHelloSize = 64 * 1024;

// Largest TLSPlaintext fragment (RFC 8446 5.1).
inline constexpr std::size_t kMaxRecordFragment = 16 * 1024;

// Extension types this parser looks into.
inline constexpr std::uint16_t kExtServerName = 0x0000;
inline constexpr std::uint16_t kExtAlpn = 0x0010;
inline constexpr std::uint16_t kExtSupportedVersions = 0x002b;
inline constexpr std::uint16_t kExtEncryptedClientHello = 0xfe0d;

// RFC 8701 GREASE value (0x0a0a, 0x1a1a, ... 0xfafa): a client's placeholder that means nothing.
constexpr bool isGrease(std::uint16_t value)
{
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

// What a ClientHello says, as sent: GREASE values are kept where they appear.
struct ClientHello
{
    std::uint16_t legacyVersion = 0;
    std::vector<std::uint16_t> supportedVersions; // from the supported_versions extension
    std::vector<std::uint16_t> cipherSuites;
    std::string serverName; // SNI host_name, empty when absent; one trailing dot removed
    bool serverNameIsIpLiteral = false;    // SNI holds an IPv4/IPv6 literal (RFC 6066 forbids it)
    std::vector<std::string> alpn;         // offered protocols, in order
    std::vector<std::uint16_t> extensions; // extension types in order
    bool hasEncryptedClientHello = false;  // extension 0xfe0d
    std::size_t length = 0; // bytes of the records holding the ClientHello, record headers included

    bool operator==(const ClientHello &) const = default;
};

struct ClientHelloResult
{
    enum class Status { NeedMore, Complete, Invalid } status = Status::NeedMore;
    ClientHello hello; // when Complete
    std::string
        error; // when Invalid: short, for a flow record ("ClientHello: SNI extension truncated")

    bool operator==(const ClientHelloResult &) const = default;
};

// Parses the ClientHello at the start of a TLS stream, given everything buffered so far. The
// hello may be fragmented over several handshake records. NeedMore while incomplete; once a
// prefix is Complete or Invalid, every longer stream gives the same result (bytes after
// `hello.length` are not looked at). Invalid for any structural error, for a handshake message
// other than ClientHello, for one larger than kMaxClientHelloSize, and for a record that holds
// anything after the ClientHello.
ClientHelloResult parseClientHello(std::string_view stream);

} // namespace ts::tls
