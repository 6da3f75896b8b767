#include "core/flow/flow.h"

namespace ts::flow {

std::string Flow::url() const
{
    const std::string authority = host.find(':') != std::string::npos
                                      ? "[" + host + "]:" + std::to_string(port) // IPv6 literal
                                      : host + ":" + std::to_string(port);
    if (kind == FlowKind::Tunnel)
        return authority;
    // ws and wss (an imported WebSocket entry) have the default ports of http and https.
    const bool defaultPort = ((scheme == "http" || scheme == "ws") && port == 80)
                             || ((scheme == "https" || scheme == "wss") && port == 443);
    std::string out = scheme + "://";
    out += defaultPort ? (host.find(':') != std::string::npos ? "[" + host + "]" : host)
                       : authority;
    out += path.empty() ? "/" : path;
    return out;
}

std::int64_t Flow::durationMicros() const
{
    return state == FlowState::Open ? -1 : timings.complete;
}

} // namespace ts::flow
