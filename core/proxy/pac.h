#pragma once

#include "core/base/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy {

// Which hosts a proxy auto-config file (/proxy.pac) sends through the proxy (--pac-rules).
// Rules are host globs as PAC's shExpMatch reads them ("*.example.com", "api.?.test"); a rule
// written "!GLOB" sends matching hosts DIRECT. The first matching rule decides. A host no rule
// matches goes through the proxy when there is no rule or only "!" ones, else DIRECT.
// Loopback (localhost, 127.*, ::1) goes DIRECT unless a rule says otherwise.
class PacRules
{
public:
    struct Rule
    {
        std::string glob; // lower case
        bool proxied = true;
    };

    // Each entry holds one rule or several separated by commas.
    static Result<PacRules> parse(const std::vector<std::string> &entries);

    const std::vector<Rule> &rules() const { return m_rules; }
    // What a host matching no rule gets.
    bool proxiedByDefault() const;

private:
    std::vector<Rule> m_rules;
};

// The PAC file (JavaScript) sending hosts to `proxyAddress` ("127.0.0.1:8080") by `rules`: as
// "PROXY host:port", or "HTTPS host:port" when the client speaks TLS to the proxy. The address
// must be a host (name, IPv4, or [IPv6]) and a port; an invalid one gives an empty string.
std::string pacFile(const PacRules &rules, std::string_view proxyAddress, bool tlsProxy);

// Whether `address` is "host:port" with a host of letters, digits, '.', '-' or a bracketed IPv6
// address: safe to write into a PAC file, and what a Host header naming the proxy looks like.
bool isPacProxyAddress(std::string_view address);

} // namespace ts::proxy
