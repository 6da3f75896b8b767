#include "core/tls/client_hello.h"

#include <array>
#include <bitset>
#include <memory>

namespace ts::tls {

namespace {

using Status = ClientHelloResult::Status;

constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kHandshakeHeader = 4;
constexpr std::uint8_t kContentHandshake = 0x16;
constexpr std::uint8_t kHandshakeClientHello = 0x01;
constexpr std::uint8_t kNameTypeHostName = 0x00;

ClientHelloResult invalid(const std::string &what)
{
    ClientHelloResult r;
    r.status = Status::Invalid;
    r.error = "ClientHello: " + what;
    return r;
}

std::string hex16(std::uint16_t v)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "0x";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += digits[(v >> shift) & 0xf];
    return out;
}

// Reads big-endian integers and length-prefixed vectors off the front of a byte range; each
// read fails, consuming nothing, when the range is too short.
class Reader
{
public:
    explicit Reader(std::string_view data) : m_data(data) {}

    bool empty() const { return m_data.empty(); }
    std::string_view rest() const { return m_data; }

    bool u8(std::uint8_t &out)
    {
        if (m_data.empty())
            return false;
        out = static_cast<std::uint8_t>(m_data[0]);
        m_data.remove_prefix(1);
        return true;
    }

    bool u16(std::uint16_t &out)
    {
        if (m_data.size() < 2)
            return false;
        out = static_cast<std::uint16_t>(static_cast<std::uint8_t>(m_data[0]) << 8
                                         | static_cast<std::uint8_t>(m_data[1]));
        m_data.remove_prefix(2);
        return true;
    }

    bool bytes(std::size_t n, std::string_view &out)
    {
        if (m_data.size() < n)
            return false;
        out = m_data.substr(0, n);
        m_data.remove_prefix(n);
        return true;
    }

    // opaque x<0..2^8-1>
    bool vec8(std::string_view &out)
    {
        const std::string_view saved = m_data;
        std::uint8_t n = 0;
        if (u8(n) && bytes(n, out))
            return true;
        m_data = saved;
        return false;
    }

    // opaque x<0..2^16-1>
    bool vec16(std::string_view &out)
    {
        const std::string_view saved = m_data;
        std::uint16_t n = 0;
        if (u16(n) && bytes(n, out))
            return true;
        m_data = saved;
        return false;
    }

private:
    std::string_view m_data;
};

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHexDigit(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isAlnum(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Dotted-decimal, four parts of 0..255 without leading zeros.
bool isIpv4Literal(std::string_view s)
{
    int parts = 0;
    while (true) {
        std::size_t n = 0;
        int value = 0;
        while (n < s.size() && isDigit(s[n]) && n < 3) {
            value = value * 10 + (s[n] - '0');
            ++n;
        }
        if (n == 0 || value > 255 || (n > 1 && s[0] == '0'))
            return false;
        ++parts;
        s.remove_prefix(n);
        if (s.empty())
            return parts == 4;
        if (s[0] != '.' || parts == 4)
            return false;
        s.remove_prefix(1);
    }
}

// RFC 4291 2.2 text form: eight groups of 1-4 hex digits, one "::" standing for a run of zero
// groups, an IPv4 tail counting as two groups. No brackets, no zone.
bool isIpv6Literal(std::string_view s)
{
    if (s.find(':') == std::string_view::npos)
        return false;
    int groups = 0;
    bool elided = false;
    std::size_t i = 0;
    if (s.substr(0, 2) == "::") {
        elided = true;
        i = 2;
        if (i == s.size())
            return true;
    }
    while (true) {
        std::size_t j = i;
        while (j < s.size() && isHexDigit(s[j]))
            ++j;
        if (j < s.size() && s[j] == '.') {
            if (!isIpv4Literal(s.substr(i)))
                return false;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4)
            return false;
        ++groups;
        i = j;
        if (i == s.size())
            break;
        if (s[i] != ':')
            return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (elided)
                return false;
            elided = true;
            ++i;
            if (i == s.size())
                break;
        } else if (i == s.size()) {
            return false;
        }
    }
    return elided ? groups < 8 : groups == 8;
}

// Letters, digits, '-' and '_' in dot-separated labels of 1..63 bytes, 253 bytes at most.
// Looser than RFC 1123 about '_' and hyphen placement, because real names are.
bool looksLikeHostname(std::string_view s)
{
    if (s.empty() || s.size() > 253)
        return false;
    std::size_t label = 0;
    for (const char c : s) {
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isAlnum(c) || c == '-' || c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

// RFC 6066 3: a ServerNameList with at most one host_name.
std::string parseServerName(std::string_view data, ClientHello &hello)
{
    Reader r(data);
    std::string_view list;
    if (!r.vec16(list))
        return "SNI extension truncated";
    if (!r.empty())
        return "SNI extension has bytes after its list";
    if (list.empty())
        return "SNI list empty";
    Reader entries(list);
    bool seen = false;
    while (!entries.empty()) {
        std::uint8_t type = 0;
        std::string_view name;
        if (!entries.u8(type) || !entries.vec16(name))
            return "SNI entry truncated";
        if (type != kNameTypeHostName)
            return "SNI name type " + std::to_string(type) + " is not host_name";
        if (seen)
            return "SNI host_name repeated";
        seen = true;
        if (name.empty())
            return "SNI host_name empty";
        if (name.find('\0') != std::string_view::npos)
            return "SNI host_name contains NUL";
        if (name.size() > 1 && name.back() == '.')
            name.remove_suffix(1);
        hello.serverNameIsIpLiteral = isIpv4Literal(name) || isIpv6Literal(name);
        if (!hello.serverNameIsIpLiteral && !looksLikeHostname(name))
            return "SNI host_name is not a hostname";
        hello.serverName = std::string(name);
    }
    return {};
}

// RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>, each name<1..2^8-1>.
std::string parseAlpn(std::string_view data, ClientHello &hello)
{
    Reader r(data);
    std::string_view list;
    if (!r.vec16(list))
        return "ALPN extension truncated";
    if (!r.empty())
        return "ALPN extension has bytes after its list";
    if (list.empty())
        return "ALPN list empty";
    Reader names(list);
    while (!names.empty()) {
        std::string_view name;
        if (!names.vec8(name))
            return "ALPN protocol name truncated";
        if (name.empty())
            return "ALPN protocol name empty";
        hello.alpn.emplace_back(name);
    }
    return {};
}

// RFC 8446 4.2.1: ProtocolVersion versions<2..254>.
std::string parseSupportedVersions(std::string_view data, ClientHello &hello)
{
    Reader r(data);
    std::string_view list;
    if (!r.vec8(list))
        return "supported_versions truncated";
    if (!r.empty())
        return "supported_versions has bytes after its list";
    if (list.empty())
        return "supported_versions empty";
    if (list.size() % 2 != 0)
        return "supported_versions length odd";
    Reader versions(list);
    std::uint16_t v = 0;
    while (versions.u16(v))
        hello.supportedVersions.push_back(v);
    return {};
}

// RFC 8446 4.1.2, the message body after its 4-byte header.
ClientHelloResult parseBody(std::string_view body, std::size_t length)
{
    ClientHelloResult result;
    ClientHello &hello = result.hello;
    hello.length = length;
    Reader r(body);
    std::string_view random, sessionId, suites, compression, extensions;
    if (!r.u16(hello.legacyVersion) || !r.bytes(32, random))
        return invalid("too short for version and random");
    if (!r.vec8(sessionId))
        return invalid("session id truncated");
    if (sessionId.size() > 32)
        return invalid("session id longer than 32 bytes");
    if (!r.vec16(suites))
        return invalid("cipher suites truncated");
    if (suites.empty())
        return invalid("no cipher suites");
    if (suites.size() % 2 != 0)
        return invalid("cipher suites length odd");
    Reader suiteReader(suites);
    std::uint16_t suite = 0;
    while (suiteReader.u16(suite))
        hello.cipherSuites.push_back(suite);
    if (!r.vec8(compression))
        return invalid("compression methods truncated");
    if (compression.empty())
        return invalid("no compression methods");
    if (compression.find('\0') == std::string_view::npos)
        return invalid("compression methods lack null");

    // Extensions are optional before TLS 1.3; when present they fill the rest of the message.
    if (!r.empty()) {
        if (!r.vec16(extensions))
            return invalid("extensions block truncated");
        if (!r.empty())
            return invalid("bytes after the extensions block");
    }
    // Up to 16 Ki extensions fit in 64 KiB: a bitset keeps the duplicate check linear.
    const auto seen = std::make_unique<std::bitset<65536>>();
    Reader er(extensions);
    while (!er.empty()) {
        std::uint16_t type = 0;
        std::string_view data;
        if (!er.u16(type))
            return invalid("extension header truncated");
        if (!er.vec16(data)) {
            if (er.rest().size() < 2)
                return invalid("extension header truncated");
            return invalid("extension " + hex16(type) + " truncated");
        }
        if (seen->test(type))
            return invalid("extension " + hex16(type) + " repeated");
        seen->set(type);
        hello.extensions.push_back(type);

        std::string error;
        switch (type) {
        case kExtServerName:
            error = parseServerName(data, hello);
            break;
        case kExtAlpn:
            error = parseAlpn(data, hello);
            break;
        case kExtSupportedVersions:
            error = parseSupportedVersions(data, hello);
            break;
        case kExtEncryptedClientHello:
            // ECHClientHello starts with its type (outer or inner); the rest is opaque here.
            if (data.empty())
                error = "ECH extension empty";
            hello.hasEncryptedClientHello = true;
            break;
        default:
            break; // unknown and GREASE extensions are skipped
        }
        if (!error.empty())
            return invalid(error);
    }
    result.status = Status::Complete;
    return result;
}

} // namespace

Sniff sniffTls(std::string_view firstBytes)
{
    if (firstBytes.empty())
        return Sniff::NeedMore;
    if (static_cast<std::uint8_t>(firstBytes[0]) != kContentHandshake)
        return Sniff::NotTls;
    if (firstBytes.size() < 2)
        return Sniff::NeedMore;
    if (static_cast<std::uint8_t>(firstBytes[1]) != 0x03)
        return Sniff::NotTls;
    if (firstBytes.size() < 3)
        return Sniff::NeedMore;
    return static_cast<std::uint8_t>(firstBytes[2]) <= 0x04 ? Sniff::Tls : Sniff::NotTls;
}

// Walks the records in stream order, checking each header as it arrives, until they carry the
// whole handshake message; every check depends only on bytes before the point it looks at, so
// a prefix is either NeedMore or already has the final answer.
ClientHelloResult parseClientHello(std::string_view stream)
{
    const auto byteAt = [&](std::size_t i) {
        return static_cast<std::uint8_t>(stream[i]);
    };
    std::size_t pos = 0;      // start of the next record
    std::size_t declared = 0; // handshake bytes the records so far announce
    std::size_t need = 0;     // size of the handshake message; 0 until its header is read
    std::array<std::uint8_t, kHandshakeHeader> header{};
    std::size_t headerHave = 0;
    std::vector<std::string_view> fragments;

    while (need == 0 || declared < need) {
        if (stream.size() - pos < kRecordHeader)
            return {};
        const std::uint8_t type = byteAt(pos);
        const std::uint8_t major = byteAt(pos + 1);
        const std::uint8_t minor = byteAt(pos + 2);
        const std::size_t len = std::size_t(byteAt(pos + 3)) << 8 | byteAt(pos + 4);
        if (type != kContentHandshake)
            return invalid("record content type " + std::to_string(type) + " is not handshake");
        if (major != 3 || minor > 4)
            return invalid("record version " + hex16(std::uint16_t(major << 8 | minor))
                           + " is not TLS");
        if (len == 0)
            return invalid("empty handshake record");
        if (len > kMaxRecordFragment)
            return invalid("record longer than 16384 bytes");
        const std::size_t start = pos + kRecordHeader;
        const std::string_view fragment = stream.substr(start, len); // what has arrived of it
        pos = start + len;
        declared += len;
        fragments.push_back(fragment);

        if (need == 0) {
            for (std::size_t i = 0; i < fragment.size() && headerHave < kHandshakeHeader; ++i)
                header[headerHave++] = static_cast<std::uint8_t>(fragment[i]);
            if (headerHave == kHandshakeHeader) {
                if (header[0] != kHandshakeClientHello)
                    return invalid("handshake message type " + std::to_string(header[0])
                                   + " is not ClientHello");
                const std::size_t bodyLen
                    = std::size_t(header[1]) << 16 | std::size_t(header[2]) << 8 | header[3];
                if (bodyLen > kMaxClientHelloSize - kHandshakeHeader)
                    return invalid("larger than 64 KiB");
                need = kHandshakeHeader + bodyLen;
            }
        }
        // A ClientHello is alone in its flight: nothing may follow it in its last record.
        if (need != 0 && declared > need)
            return invalid("record holds bytes after the ClientHello");
        if (pos > stream.size())
            return {};
    }

    if (fragments.size() == 1)
        return parseBody(fragments[0].substr(kHandshakeHeader), pos);
    std::string message;
    message.reserve(need);
    for (const std::string_view f : fragments)
        message.append(f);
    return parseBody(std::string_view(message).substr(kHandshakeHeader), pos);
}

} // namespace ts::tls
