#pragma once

#include "core/base/result.h"

#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy {

// A list of host patterns: globs ("*.example.com", "api.?.test") or regular expressions
// written "re:..." (matched against the whole host name, case-insensitively). A fixed list is
// given at start; hosts can be added while running (auto pass-through), from any thread.
class HostPatterns
{
public:
    static Result<HostPatterns> parse(const std::vector<std::string> &patterns);

    bool matches(std::string_view host) const;
    void addHost(const std::string &host);
    bool empty() const;

    HostPatterns() = default;
    HostPatterns(const HostPatterns &other);
    HostPatterns &operator=(const HostPatterns &other);

private:
    std::vector<std::regex> m_patterns;
    std::vector<std::string> m_sources;
    mutable std::mutex m_mutex;
    std::set<std::string> m_added;
};

} // namespace ts::proxy
