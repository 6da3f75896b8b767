#include "core/upstream/chain.h"
#include "core/base/ascii.h"

#include <arpa/inet.h>

#include <charconv>

namespace ts::upstream {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHostNameChar(char c)
{
    return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_';
}

// RFC 3986 unreserved: what display() leaves as it is in a user name.
bool isUnreserved(char c)
{
    return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hexValue(char c)
{
    if (isDigit(c))
        return c - '0';
    c = asciiLower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool percentDecode(std::string_view in, std::string &out)
{
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size())
            return false;
        const int hi = hexValue(in[i + 1]);
        const int lo = hexValue(in[i + 2]);
        if (hi < 0 || lo < 0)
            return false;
        out += char(hi * 16 + lo);
        i += 2;
    }
    return true;
}

std::string percentEncode(std::string_view in)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : in) {
        if (isUnreserved(c)) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 15];
        }
    }
    return out;
}

// The length of "scheme://" at the start of s, or 0.
std::size_t schemePrefixLength(std::string_view s)
{
    if (s.empty() || !isAlpha(s.front()))
        return 0;
    std::size_t i = 1;
    while (i < s.size()
           && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        ++i;
    return s.substr(i, 3) == "://" ? i + 3 : 0;
}

// Splits a chain at the commas that are followed (after spaces) by "scheme://".
std::vector<std::string_view> splitHops(std::string_view text)
{
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ',')
            continue;
        std::size_t j = i + 1;
        while (j < text.size() && isSpace(text[j]))
            ++j;
        if (schemePrefixLength(text.substr(j)) == 0)
            continue;
        pieces.push_back(text.substr(start, i - start));
        start = i + 1;
    }
    pieces.push_back(text.substr(start));
    return pieces;
}

// One URL (or a "pattern=URL" entry) with its password replaced by "***".
std::string redactOne(std::string_view piece)
{
    const std::size_t at = piece.rfind('@');
    if (at == std::string_view::npos)
        return std::string(piece);
    const std::size_t sep = piece.find("://");
    if (sep == std::string_view::npos || sep > at)
        return "***" + std::string(piece.substr(at)); // no telling what came before the '@'
    const std::string_view userinfo = piece.substr(sep + 3, at - sep - 3);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos)
        return std::string(piece);
    return std::string(piece.substr(0, sep + 3 + colon + 1)) + "***"
           + std::string(piece.substr(at));
}

Error bad(std::string code, std::string message)
{
    return Error{"upstream." + std::move(code), std::move(message)};
}

Result<std::uint16_t> parsePort(std::string_view digits, std::string_view url)
{
    if (digits.empty())
        return bad("bad-port", "empty port in " + redactUrl(url));
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535)
        return bad("bad-port", "bad port '" + std::string(digits) + "' in " + redactUrl(url));
    return std::uint16_t(value);
}

} // namespace

std::string_view schemeName(HopScheme scheme)
{
    switch (scheme) {
    case HopScheme::Http:
        return "http";
    case HopScheme::Https:
        return "https";
    case HopScheme::Socks5:
        return "socks5";
    case HopScheme::Socks5h:
        return "socks5h";
    }
    return "?";
}

std::uint16_t defaultPort(HopScheme scheme)
{
    switch (scheme) {
    case HopScheme::Http:
        return 8080;
    case HopScheme::Https:
        return 443;
    case HopScheme::Socks5:
    case HopScheme::Socks5h:
        return 1080;
    }
    return 0;
}

bool isIpLiteral(std::string_view host)
{
    const std::string h(host);
    unsigned char buf[16];
    return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::string authorityOf(std::string_view host, std::uint16_t port)
{
    std::string out;
    if (host.find(':') != std::string_view::npos)
        out.append("[").append(host).append("]");
    else
        out.append(host);
    return out + ":" + std::to_string(port);
}

std::string redactUrl(std::string_view text)
{
    std::string out;
    bool first = true;
    for (std::string_view piece : splitHops(text)) {
        if (!first)
            out += ',';
        first = false;
        out += redactOne(piece);
    }
    return out;
}

// ------------------------------------------------------------------------------------- Hop

Result<Hop> Hop::parse(std::string_view url)
{
    url = trim(url);
    const std::size_t prefix = schemePrefixLength(url);
    if (prefix == 0)
        return bad("bad-url",
                   "not a proxy URL (scheme://host:port expected): '" + redactUrl(url) + "'");
    Hop hop;
    const std::string scheme = asciiLowered(url.substr(0, prefix - 3));
    if (scheme == "http")
        hop.scheme = HopScheme::Http;
    else if (scheme == "https")
        hop.scheme = HopScheme::Https;
    else if (scheme == "socks5")
        hop.scheme = HopScheme::Socks5;
    else if (scheme == "socks5h")
        hop.scheme = HopScheme::Socks5h;
    else
        return bad("bad-scheme", "unsupported proxy scheme '" + scheme + "' in " + redactUrl(url)
                                     + " (http, https, socks5 and socks5h are)");

    std::string_view rest = url.substr(prefix);
    if (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);

    // The last '@' ends the userinfo, so an unencoded '@' or '/' in a password still parses.
    const std::size_t at = rest.rfind('@');
    std::string_view hostPort = rest;
    if (at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        hostPort = rest.substr(at + 1);
        // Spaces and control characters must be percent-encoded; refusing them also keeps a
        // list like "http://h:1, junk@h:2" from parsing as credentials.
        for (char ch : userinfo)
            if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
                return bad("bad-credentials",
                           "spaces and control characters in credentials must be "
                           "percent-encoded: "
                               + redactUrl(url));
        const std::size_t colon = userinfo.find(':');
        const std::string_view user = userinfo.substr(0, colon);
        const std::string_view pass
            = colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
        if (!percentDecode(user, hop.username) || !percentDecode(pass, hop.password))
            return bad("bad-credentials",
                       "bad percent-encoding in the credentials of " + redactUrl(url));
        hop.hasCredentials = true;
        if (hop.isHttp() && hop.username.find(':') != std::string::npos)
            return bad("bad-credentials", "a user name for Basic authentication cannot hold ':' ("
                                              + redactUrl(url) + ")");
        if (!hop.isHttp()) {
            if (hop.username.empty())
                return bad("bad-credentials",
                           "SOCKS5 authentication needs a user name (" + redactUrl(url) + ")");
            if (hop.username.size() > kMaxCredentialBytes
                || hop.password.size() > kMaxCredentialBytes)
                return bad("bad-credentials",
                           "SOCKS5 user names and passwords are at most 255 bytes ("
                               + redactUrl(url) + ")");
        }
    }

    if (hostPort.find_first_of("/?#") != std::string_view::npos)
        return bad("bad-url", "a proxy URL has no path, query or fragment: " + redactUrl(url));

    std::string_view host;
    std::string_view portText;
    bool hasPort = false;
    if (!hostPort.empty() && hostPort.front() == '[') {
        const std::size_t close = hostPort.find(']');
        if (close == std::string_view::npos)
            return bad("bad-host", "unterminated IPv6 address in " + redactUrl(url));
        host = hostPort.substr(1, close - 1);
        const std::string_view after = hostPort.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            return bad("bad-host", "unexpected text after the IPv6 address in " + redactUrl(url));
        if (!after.empty()) {
            hasPort = true;
            portText = after.substr(1);
        }
        unsigned char buf[16];
        if (inet_pton(AF_INET6, std::string(host).c_str(), buf) != 1)
            return bad("bad-host",
                       "invalid IPv6 address '" + std::string(host) + "' in " + redactUrl(url));
    } else {
        const std::size_t colon = hostPort.find(':');
        host = hostPort.substr(0, colon);
        if (colon != std::string_view::npos) {
            hasPort = true;
            portText = hostPort.substr(colon + 1);
            if (portText.find(':') != std::string_view::npos)
                return bad("bad-host",
                           "IPv6 addresses in a proxy URL need brackets: " + redactUrl(url));
        }
        if (host.empty())
            return bad("bad-host", "no host in " + redactUrl(url));
        for (char c : host)
            if (!isHostNameChar(c))
                return bad("bad-host", "invalid character in the host of " + redactUrl(url));
    }
    if (host.empty())
        return bad("bad-host", "no host in " + redactUrl(url));
    hop.host = asciiLowered(host);
    if (hasPort) {
        auto port = parsePort(portText, url);
        if (!port.ok())
            return port.error();
        hop.port = *port;
    } else {
        hop.port = defaultPort(hop.scheme);
    }
    return hop;
}

std::string Hop::display() const
{
    std::string out(schemeName(scheme));
    out += "://";
    if (hasCredentials) {
        out += percentEncode(username);
        if (!password.empty())
            out += ":***";
        out += '@';
    }
    return out + authority();
}

std::string Hop::authority() const
{
    return authorityOf(host, port);
}

// ------------------------------------------------------------------------------- ChainSpec

Result<ChainSpec> ChainSpec::parse(std::string_view text)
{
    text = trim(text);
    ChainSpec spec;
    if (text.empty())
        return bad("bad-chain", "empty proxy chain (write 'direct' for none)");
    if (asciiLowered(text) == "direct")
        return spec;
    const std::vector<std::string_view> pieces = splitHops(text);
    if (pieces.size() > kMaxHops)
        return bad("bad-chain", "a proxy chain has at most " + std::to_string(kMaxHops)
                                    + " hops, this one " + std::to_string(pieces.size()));
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        auto hop = Hop::parse(pieces[i]);
        if (!hop.ok()) {
            Error e = hop.error();
            if (pieces.size() > 1)
                e.message = "hop " + std::to_string(i + 1) + ": " + e.message;
            return e;
        }
        spec.hops.push_back(std::move(*hop));
    }
    return spec;
}

std::string ChainSpec::display() const
{
    if (hops.empty())
        return "direct";
    std::string out;
    for (const Hop &hop : hops) {
        if (!out.empty())
            out += " \u2192 ";
        out += hop.display();
    }
    return out;
}

// ------------------------------------------------------------------------------ ChainRules

bool hostGlobMatches(std::string_view glob, std::string_view host)
{
    std::size_t g = 0;
    std::size_t h = 0;
    std::size_t starG = std::string_view::npos; // the last '*' seen, for backtracking
    std::size_t starH = 0;
    while (h < host.size()) {
        if (g < glob.size() && glob[g] == '*') {
            starG = g++;
            starH = h;
        } else if (g < glob.size()
                   && (glob[g] == '?' || asciiLower(glob[g]) == asciiLower(host[h]))) {
            ++g;
            ++h;
        } else if (starG != std::string_view::npos) {
            g = starG + 1;
            h = ++starH;
        } else {
            return false;
        }
    }
    while (g < glob.size() && glob[g] == '*')
        ++g;
    return g == glob.size();
}

namespace {

std::string normalizeHost(std::string_view host)
{
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.size() > 1 && host.back() == '.')
        host.remove_suffix(1);
    return asciiLowered(host);
}

} // namespace

Result<ChainRules> ChainRules::parse(const std::vector<std::string> &entries)
{
    ChainRules rules;
    std::size_t defaultEntry = 0; // 1-based entry number of the default, 0 when none yet
    for (std::size_t n = 0; n < entries.size(); ++n) {
        const std::string_view entry = trim(entries[n]);
        if (entry.empty() || entry.front() == '#')
            continue;
        const std::string where = "rule " + std::to_string(n + 1) + ": ";
        const std::size_t eq = entry.find('=');
        const std::size_t scheme = entry.find("://");
        // An '=' after the first "scheme://" belongs to a password, not to a rule.
        const bool hasPattern = eq != std::string_view::npos && eq < scheme;
        const std::string_view chainText = hasPattern ? entry.substr(eq + 1) : entry;
        auto chain = ChainSpec::parse(chainText);
        if (!chain.ok())
            return Error{chain.error().code, where + chain.error().message};
        if (!hasPattern) {
            if (defaultEntry != 0)
                return bad("bad-rule", where + "a second default chain (the first is rule "
                                           + std::to_string(defaultEntry) + ")");
            defaultEntry = n + 1;
            rules.m_default = std::move(*chain);
            continue;
        }
        Rule rule;
        std::string_view patterns = entry.substr(0, eq);
        while (true) {
            const std::size_t comma = patterns.find(',');
            const std::string_view one = trim(patterns.substr(0, comma));
            if (one.empty())
                return bad("bad-rule", where + "empty host pattern");
            for (char c : one)
                if (!isHostNameChar(c) && c != '*' && c != '?' && c != ':' && c != '[' && c != ']')
                    return bad("bad-rule", where + "invalid character '" + std::string(1, c)
                                               + "' in host pattern '" + std::string(one) + "'");
            rule.patterns.push_back(normalizeHost(one));
            if (comma == std::string_view::npos)
                break;
            patterns.remove_prefix(comma + 1);
        }
        rule.chain = std::move(*chain);
        rules.m_rules.push_back(std::move(rule));
    }
    return rules;
}

Result<ChainRules> ChainRules::parseText(std::string_view text)
{
    std::vector<std::string> lines;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        lines.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
    return parse(lines);
}

const ChainSpec &ChainRules::chainFor(std::string_view host) const
{
    const std::string h = normalizeHost(host);
    for (const Rule &rule : m_rules)
        for (const std::string &pattern : rule.patterns)
            if (hostGlobMatches(pattern, h))
                return rule.chain;
    return m_default;
}

} // namespace ts::upstream
