#include "core/proxy/target.h"

#include "core/http1/message.h"

#include <charconv>

namespace ts::proxy {

namespace {

bool isHostChar(char c)
{
    // reg-name (unreserved / sub-delims / pct-encoded) and IPv4 characters.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
           || c == '.' || c == '_' || c == '~' || c == '%' || c == '!' || c == '$' || c == '&'
           || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';'
           || c == '=';
}

bool isIpv6Char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'
           || c == '.';
}

Error bad(std::string message)
{
    return Error{"target.invalid", std::move(message)};
}

// Parses "host[:port]" into t; defaultPort 0 means the port is required.
Result<void> parseHostPort(std::string_view authority, std::uint16_t defaultPort, Target &t)
{
    if (authority.empty())
        return bad("the target has no host");
    if (authority.find('@') != std::string_view::npos)
        return bad("user information in the target is not allowed");
    std::string_view host;
    std::string_view rest;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return bad("unterminated IPv6 address in the target");
        host = authority.substr(1, close - 1);
        if (host.empty())
            return bad("empty IPv6 address in the target");
        for (char c : host)
            if (!isIpv6Char(c))
                return bad("invalid character in the IPv6 address of the target");
        rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return bad("unexpected characters after the IPv6 address in the target");
    } else {
        const auto colon = authority.rfind(':');
        host = authority.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
        if (host.empty())
            return bad("the target has no host");
        for (char c : host)
            if (!isHostChar(c))
                return bad("invalid character in the target's host name");
    }
    if (rest.empty()) {
        if (defaultPort == 0)
            return bad("the target has no port");
        t.port = defaultPort;
    } else {
        const std::string_view digits = rest.substr(1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()
            || value == 0 || value > 65535)
            return bad("invalid port in the target");
        t.port = std::uint16_t(value);
    }
    t.host.assign(host);
    for (char &c : t.host)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return {};
}

} // namespace

std::string Target::authority(bool omitDefaultPort) const
{
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    const bool isDefault = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if (!(omitDefaultPort && isDefault))
        out += ":" + std::to_string(port);
    return out;
}

Result<Target> parseAbsoluteForm(std::string_view target)
{
    Target t;
    const auto sep = target.find("://");
    if (sep == std::string_view::npos)
        return bad("the target is not an absolute URL");
    t.scheme.assign(target.substr(0, sep));
    for (char &c : t.scheme)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    std::uint16_t defaultPort = 0;
    if (t.scheme == "http")
        defaultPort = 80;
    else if (t.scheme == "https")
        defaultPort = 443;
    else
        return Error{"target.scheme", "the scheme '" + t.scheme + "' is not supported"};

    const std::string_view rest = target.substr(sep + 3);
    const auto pathStart = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, pathStart);
    if (auto r = parseHostPort(authority, defaultPort, t); !r)
        return r.error();
    if (pathStart == std::string_view::npos) {
        t.path = "/";
    } else {
        std::string_view path = rest.substr(pathStart);
        if (path.find('#') != std::string_view::npos)
            return bad("a fragment is not allowed in the target");
        t.path = path.front() == '?' ? "/" + std::string(path) : std::string(path);
    }
    return t;
}

Result<Target> parseAuthorityForm(std::string_view target)
{
    Target t;
    if (target.find('/') != std::string_view::npos)
        return bad("CONNECT needs a host:port target");
    if (auto r = parseHostPort(target, 0, t); !r)
        return r.error();
    return t;
}

} // namespace ts::proxy
