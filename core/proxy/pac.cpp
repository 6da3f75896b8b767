#include "core/proxy/pac.h"

#include <algorithm>
#include <cctype>

namespace ts::proxy {

namespace {

bool globCharacter(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'
           || c == '*' || c == '?' || c == ':' || c == '[' || c == ']';
}

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

std::string trimmed(std::string_view text)
{
    const auto space = [](unsigned char c) {
        return std::isspace(c) != 0;
    };
    while (!text.empty() && space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && space(text.back()))
        text.remove_suffix(1);
    return std::string(text);
}

// A JavaScript string literal. Everything written into the file is validated before, so this
// is a second line of defence: quotes, backslashes and control characters never pass raw.
std::string jsString(std::string_view text)
{
    std::string out = "\"";
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u >= 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out + '"';
}

} // namespace

Result<PacRules> PacRules::parse(const std::vector<std::string> &entries)
{
    PacRules rules;
    for (const std::string &entry : entries) {
        std::string_view rest = entry;
        while (true) {
            const std::size_t comma = rest.find(',');
            std::string rule = trimmed(rest.substr(0, comma));
            bool proxied = true;
            if (!rule.empty() && rule.front() == '!') {
                proxied = false;
                rule = trimmed(std::string_view(rule).substr(1));
            }
            if (rule.empty())
                return Error{"pac.empty", "--pac-rules: an empty host pattern in '" + entry + "'"};
            if (!std::all_of(rule.begin(), rule.end(), globCharacter))
                return Error{"pac.pattern",
                             "--pac-rules: '" + rule
                                 + "' is not a host pattern (letters, digits, . - _ : [ ] and "
                                   "the wildcards * and ?)"};
            rules.m_rules.push_back({lower(rule), proxied});
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return rules;
}

bool PacRules::proxiedByDefault() const
{
    return std::none_of(m_rules.begin(), m_rules.end(), [](const Rule &r) { return r.proxied; });
}

bool isPacProxyAddress(std::string_view address)
{
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return false;
    const std::string_view host = address.substr(0, colon);
    const std::string_view port = address.substr(colon + 1);
    if (port.empty() || port.size() > 5
        || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    if (std::stoul(std::string(port)) > 65535)
        return false;
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']')
            return false;
        const std::string_view inner = host.substr(1, host.size() - 2);
        return std::all_of(inner.begin(), inner.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        });
    }
    return host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
           });
}

std::string pacFile(const PacRules &rules, std::string_view proxyAddress, bool tlsProxy)
{
    if (!isPacProxyAddress(proxyAddress))
        return {};
    const std::string through = (tlsProxy ? "HTTPS " : "PROXY ") + std::string(proxyAddress);
    std::string js = "// Proxy auto-config from Tunnelscope: which hosts go through the proxy at "
                     + std::string(proxyAddress) + ".\n"
                     + "function FindProxyForURL(url, host) {\n"
                       "    var proxy = "
                     + jsString(through)
                     + ";\n"
                       "    var rules = [\n";
    for (const PacRules::Rule &rule : rules.rules())
        js += "        [" + jsString(rule.glob) + ", " + (rule.proxied ? "proxy" : "\"DIRECT\"")
              + "],\n";
    // Loopback stays on this machine unless a rule above says otherwise.
    for (const char *loopback : {"localhost", "127.*", "::1", "[::1]"})
        js += "        [" + jsString(loopback) + ", \"DIRECT\"],\n";
    js += "    ];\n"
          "    host = host.toLowerCase();\n"
          "    for (var i = 0; i < rules.length; i++) {\n"
          "        if (shExpMatch(host, rules[i][0]))\n"
          "            return rules[i][1];\n"
          "    }\n"
          "    return "
          + std::string(rules.proxiedByDefault() ? "proxy" : "\"DIRECT\"")
          + ";\n"
            "}\n";
    return js;
}

} // namespace ts::proxy
