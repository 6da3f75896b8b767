#pragma once

#include "core/base/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace ts::proxy {

// Where a request goes, from its request-target (RFC 9112 §3.2).
struct Target
{
    std::string scheme; // "http", "https"; empty for authority-form
    std::string host;   // without brackets for IPv6 literals
    std::uint16_t port = 0;
    std::string path; // origin-form path and query, "/" at least; empty for authority-form

    // "host:port", "[::1]:port"; the port left out when it is the scheme's default.
    std::string authority(bool omitDefaultPort = false) const;
};

// "http://host[:port][/path]" -> Target. Userinfo, fragments, bad ports and bad host characters
// are errors.
Result<Target> parseAbsoluteForm(std::string_view target);
// "host:port" (CONNECT) -> Target; the port is required.
Result<Target> parseAuthorityForm(std::string_view target);

} // namespace ts::proxy
