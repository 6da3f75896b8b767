#include "core/socks/socks5.h"
#include "core/socks/wire.h"

#include <algorithm>
#include <cstdio>

namespace ts::socks {

std::string_view replyText(ReplyCode code)
{
    switch (code) {
    case ReplyCode::Succeeded:
        return "succeeded";
    case ReplyCode::GeneralFailure:
        return "general SOCKS server failure";
    case ReplyCode::NotAllowedByRuleset:
        return "connection not allowed by ruleset";
    case ReplyCode::NetworkUnreachable:
        return "network unreachable";
    case ReplyCode::HostUnreachable:
        return "host unreachable";
    case ReplyCode::ConnectionRefused:
        return "connection refused";
    case ReplyCode::TtlExpired:
        return "TTL expired";
    case ReplyCode::CommandNotSupported:
        return "command not supported";
    case ReplyCode::AddressTypeNotSupported:
        return "address type not supported";
    }
    return "unassigned reply code";
}

std::string_view commandText(Command command)
{
    switch (command) {
    case Command::Connect:
        return "CONNECT";
    case Command::Bind:
        return "BIND";
    case Command::UdpAssociate:
        return "UDP ASSOCIATE";
    }
    return "unknown command";
}

std::string_view authMethodText(AuthMethod method)
{
    switch (method) {
    case AuthMethod::NoAuthentication:
        return "no authentication";
    case AuthMethod::Gssapi:
        return "GSSAPI";
    case AuthMethod::UsernamePassword:
        return "username/password";
    case AuthMethod::NoAcceptableMethods:
        return "no acceptable methods";
    }
    return "unknown method";
}

std::string_view addressTypeText(AddressType type)
{
    switch (type) {
    case AddressType::IPv4:
        return "IPv4";
    case AddressType::Domain:
        return "domain name";
    case AddressType::IPv6:
        return "IPv6";
    }
    return "unknown address type";
}

std::optional<std::array<std::uint8_t, 4>> parseIpv4(std::string_view text)
{
    std::array<std::uint8_t, 4> out{};
    std::size_t i = 0;
    for (std::size_t part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.')
                return std::nullopt;
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
            ++i;
        }
        const std::size_t digits = i - start;
        if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0'))
            return std::nullopt; // a leading zero could mean octal to someone else
        out[part] = static_cast<std::uint8_t>(value);
    }
    if (i != text.size())
        return std::nullopt;
    return out;
}

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<std::array<std::uint8_t, 16>> parseIpv6(std::string_view text)
{
    std::array<std::uint16_t, 8> groups{};
    std::size_t count = 0;
    std::ptrdiff_t gap = -1; // index in `groups` where "::" stands
    std::size_t i = 0;
    if (text.starts_with("::")) {
        gap = 0;
        i = 2;
    } else if (text.starts_with(":")) {
        return std::nullopt;
    }
    while (i < text.size()) {
        const std::size_t end = std::min(text.find(':', i), text.size());
        const std::string_view part = text.substr(i, end - i);
        if (part.find('.') != std::string_view::npos) {
            // A dotted quad is the last 32 bits and ends the address.
            const auto v4 = parseIpv4(part);
            if (!v4 || end != text.size() || count > 6)
                return std::nullopt;
            groups[count++] = static_cast<std::uint16_t>((*v4)[0] << 8 | (*v4)[1]);
            groups[count++] = static_cast<std::uint16_t>((*v4)[2] << 8 | (*v4)[3]);
            i = end;
            break;
        }
        if (part.empty() || part.size() > 4 || count == 8)
            return std::nullopt;
        unsigned value = 0;
        for (const char c : part) {
            const int h = hexValue(c);
            if (h < 0)
                return std::nullopt;
            value = value << 4 | static_cast<unsigned>(h);
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        if (end == text.size())
            break;
        i = end + 1;
        if (i < text.size() && text[i] == ':') {
            if (gap >= 0)
                return std::nullopt; // "::" twice
            gap = static_cast<std::ptrdiff_t>(count);
            ++i;
        } else if (i == text.size()) {
            return std::nullopt; // a single trailing ':'
        }
    }
    if ((gap < 0 && count != 8) || (gap >= 0 && count > 7))
        return std::nullopt; // "::" stands for at least one group
    std::array<std::uint16_t, 8> full{};
    if (gap < 0) {
        full = groups;
    } else {
        const auto g = static_cast<std::size_t>(gap);
        const std::size_t tail = count - g;
        for (std::size_t k = 0; k < g; ++k)
            full[k] = groups[k];
        for (std::size_t k = 0; k < tail; ++k)
            full[8 - tail + k] = groups[g + k];
    }
    std::array<std::uint8_t, 16> out{};
    for (std::size_t k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
    return out;
}

std::string formatIpv4(const std::array<std::uint8_t, 4> &bytes)
{
    std::string out;
    for (std::size_t k = 0; k < 4; ++k) {
        if (k > 0)
            out += '.';
        out += std::to_string(bytes[k]);
    }
    return out;
}

std::string formatIpv6(const std::array<std::uint8_t, 16> &bytes)
{
    std::array<unsigned, 8> groups{};
    for (std::size_t k = 0; k < 8; ++k)
        groups[k] = static_cast<unsigned>(bytes[2 * k] << 8 | bytes[2 * k + 1]);

    bool mapped = groups[5] == 0xffff;
    for (std::size_t k = 0; k < 5; ++k)
        mapped = mapped && groups[k] == 0;
    if (mapped)
        return "::ffff:" + formatIpv4({bytes[12], bytes[13], bytes[14], bytes[15]});

    // The longest run of zero groups, the first of equal ones, if it is at least two long.
    std::size_t bestStart = 8, bestLength = 0;
    for (std::size_t k = 0; k < 8;) {
        if (groups[k] != 0) {
            ++k;
            continue;
        }
        std::size_t end = k;
        while (end < 8 && groups[end] == 0)
            ++end;
        if (end - k > bestLength) {
            bestStart = k;
            bestLength = end - k;
        }
        k = end;
    }
    if (bestLength < 2)
        bestStart = 8;

    std::string out;
    char buffer[8];
    for (std::size_t k = 0; k < 8; ++k) {
        if (k == bestStart) {
            out += "::";
            k += bestLength - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':')
            out += ':';
        std::snprintf(buffer, sizeof buffer, "%x", groups[k]);
        out += buffer;
    }
    return out;
}

std::optional<AddressType> ipLiteralType(std::string_view host)
{
    if (parseIpv4(host))
        return AddressType::IPv4;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (parseIpv6(host))
        return AddressType::IPv6;
    return std::nullopt;
}

Result<std::string> encodeAddress(std::string_view host, std::uint16_t port, bool allowDomain)
{
    std::string out;
    std::string_view bare = host;
    if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']')
        bare = bare.substr(1, bare.size() - 2);
    if (const auto v4 = parseIpv4(host)) {
        out += static_cast<char>(AddressType::IPv4);
        out.append(v4->begin(), v4->end());
    } else if (const auto v6 = parseIpv6(bare)) {
        out += static_cast<char>(AddressType::IPv6);
        out.append(v6->begin(), v6->end());
    } else if (!allowDomain) {
        return Error{"socks.invalid-address",
                     "'" + wire::printable(host) + "' is not an IP address"};
    } else if (host.empty() || host.size() > kMaxFieldLength) {
        return Error{"socks.invalid-address",
                     "a SOCKS5 domain name must be 1 to 255 bytes long, not "
                         + std::to_string(host.size())};
    } else {
        out += static_cast<char>(AddressType::Domain);
        out += static_cast<char>(host.size());
        out.append(host);
    }
    out += static_cast<char>(port >> 8);
    out += static_cast<char>(port & 0xff);
    return out;
}

namespace wire {

bool knownAddressType(std::uint8_t atyp)
{
    return atyp == static_cast<std::uint8_t>(AddressType::IPv4)
           || atyp == static_cast<std::uint8_t>(AddressType::Domain)
           || atyp == static_cast<std::uint8_t>(AddressType::IPv6);
}

std::size_t messageLength(AddressType type, std::uint8_t domainLength)
{
    switch (type) {
    case AddressType::IPv4:
        return kAtypOffset + 1 + 4 + 2;
    case AddressType::Domain:
        return kAtypOffset + 2 + domainLength + 2;
    case AddressType::IPv6:
        return kAtypOffset + 1 + 16 + 2;
    }
    return 0;
}

std::string hostOf(std::string_view message, AddressType type)
{
    const std::string_view address = message.substr(kAtypOffset + 1);
    switch (type) {
    case AddressType::IPv4: {
        std::array<std::uint8_t, 4> bytes{};
        for (std::size_t k = 0; k < bytes.size(); ++k)
            bytes[k] = byteAt(address, k);
        return formatIpv4(bytes);
    }
    case AddressType::IPv6: {
        std::array<std::uint8_t, 16> bytes{};
        for (std::size_t k = 0; k < bytes.size(); ++k)
            bytes[k] = byteAt(address, k);
        return formatIpv6(bytes);
    }
    case AddressType::Domain:
        return std::string(address.substr(1, byteAt(address, 0)));
    }
    return {};
}

std::uint16_t portOf(std::string_view message)
{
    const std::size_t at = message.size() - 2;
    return static_cast<std::uint16_t>(byteAt(message, at) << 8 | byteAt(message, at + 1));
}

std::string printable(std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\'' && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        }
    }
    return out;
}

} // namespace wire

} // namespace ts::socks
