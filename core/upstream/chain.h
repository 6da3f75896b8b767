#pragma once

#include "core/base/result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ts::upstream {

enum class HopScheme {
    Http,    // CONNECT over plain TCP
    Https,   // TLS to the proxy, then CONNECT inside it
    Socks5,  // SOCKS5; names are resolved by us and sent as addresses
    Socks5h, // SOCKS5; names are sent to the proxy, which resolves them
};

std::string_view schemeName(HopScheme scheme); // "http", "https", "socks5", "socks5h"
// The port a hop URL without one gets: http 8080, https 443, socks5/socks5h 1080.
std::uint16_t defaultPort(HopScheme scheme);

// One upstream proxy a server-side connection goes through. Parsed from a URL
// "scheme://[user[:password]@]host[:port][/]"; credentials are percent-decoded.
struct Hop
{
    static constexpr std::size_t kMaxCredentialBytes = 255; // per field; RFC 1929's bound

    HopScheme scheme = HopScheme::Http;
    std::string host; // lower case; IPv6 literals without brackets
    std::uint16_t port = 0;
    bool hasCredentials = false; // a userinfo part was given (the password may be empty)
    std::string username;        // decoded
    std::string password;        // decoded; never shown, never logged

    // Errors name the input with its password replaced by "***".
    static Result<Hop> parse(std::string_view url);

    // "http://alice:***@127.0.0.1:3128", "socks5h://[::1]:1080": the URL for people, with the
    // password redacted. The only way a hop is ever shown.
    std::string display() const;
    // "host:port", "[::1]:port": what a CONNECT or a Host field names.
    std::string authority() const;
    bool isHttp() const { return scheme == HopScheme::Http || scheme == HopScheme::Https; }

    bool operator==(const Hop &) const = default;
};

// "host:port" with brackets around IPv6 literals.
std::string authorityOf(std::string_view host, std::uint16_t port);
// True for IPv4 and IPv6 literals (the latter without brackets).
bool isIpLiteral(std::string_view host);
// An input text with the password of any "scheme://user:password@" in it replaced by "***",
// for error messages about text that failed to parse.
std::string redactUrl(std::string_view text);

// An ordered chain of hops; empty means direct.
struct ChainSpec
{
    static constexpr std::size_t kMaxHops = 16;

    std::vector<Hop> hops;

    // "direct", or hop URLs separated by commas: "http://a:3128, socks5h://b:1080". A comma
    // only separates hops when a "scheme://" follows it, so one inside a password survives
    // (percent-encoding it as %2C is the safe spelling).
    static Result<ChainSpec> parse(std::string_view text);

    bool direct() const { return hops.empty(); }
    // "http://a:3128 → socks5h://b:1080" (passwords redacted), or "direct".
    std::string display() const;

    bool operator==(const ChainSpec &) const = default;
};

// Which chain a destination host takes: ordered rules, first match wins, else the default.
//
// Syntax, one entry per rule:
//   PATTERNS=CHAIN    PATTERNS is one or more host globs separated by commas ("*.example.com",
//                     "api.?.test", "10.*", "[::1]"); CHAIN is as ChainSpec::parse takes it,
//                     "direct" included
//   CHAIN             the default chain (at most one such entry; direct when there is none)
// Globs match the whole host name, case-insensitively; '*' matches any run of characters,
// dots included, '?' one character. "*.example.com" does not match "example.com" itself: list
// both. Blank entries and entries starting with '#' are ignored.
class ChainRules
{
public:
    struct Rule
    {
        std::vector<std::string> patterns; // lower case, IPv6 without brackets
        ChainSpec chain;
    };

    static Result<ChainRules> parse(const std::vector<std::string> &entries);
    // One entry per line.
    static Result<ChainRules> parseText(std::string_view text);

    // The chain for a destination host (IPv6 literals with or without brackets).
    const ChainSpec &chainFor(std::string_view host) const;

    const std::vector<Rule> &rules() const { return m_rules; }
    const ChainSpec &defaultChain() const { return m_default; }
    void addRule(Rule rule) { m_rules.push_back(std::move(rule)); }
    void setDefaultChain(ChainSpec chain) { m_default = std::move(chain); }

private:
    std::vector<Rule> m_rules;
    ChainSpec m_default;
};

// Case-insensitive glob match of a whole host name ('*' any run, '?' one character).
bool hostGlobMatches(std::string_view glob, std::string_view host);

} // namespace ts::upstream
