#include "core/flow/flow.h"

#include <algorithm>
#include <iterator>

namespace ts::flow {

std::string Flow::url() const
{
    // Built in one string: the table, the filter and every log line ask for it.
    const bool literal6 = host.find(':') != std::string::npos; // an IPv6 literal
    // ws and wss (an imported WebSocket entry) have the default ports of http and https.
    const bool defaultPort = kind != FlowKind::Tunnel
                             && (((scheme == "http" || scheme == "ws") && port == 80)
                                 || ((scheme == "https" || scheme == "wss") && port == 443));
    std::string out;
    out.reserve(scheme.size() + host.size() + path.size() + 16);
    if (kind != FlowKind::Tunnel)
        out.append(scheme).append("://");
    if (literal6)
        out.append("[").append(host).append("]");
    else
        out.append(host);
    if (!defaultPort)
        out.append(":").append(std::to_string(port));
    if (kind == FlowKind::Tunnel)
        return out;
    out.append(path.empty() ? std::string_view("/") : std::string_view(path));
    return out;
}

std::int64_t Flow::durationMicros() const
{
    return state == FlowState::Open ? -1 : timings.complete;
}

namespace {
constexpr std::string_view kColorNames[kMarkColorCount]
    = {"", "red", "orange", "yellow", "green", "blue", "purple", "gray"};
}

std::string_view markColorName(MarkColor color)
{
    const auto i = std::size_t(color);
    return i < std::size(kColorNames) ? kColorNames[i] : std::string_view();
}

MarkColor markColorFromName(std::string_view name, bool *known)
{
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
    };
    const auto same = [&](std::string_view a, std::string_view b) {
        return a.size() == b.size()
               && std::equal(a.begin(), a.end(), b.begin(),
                             [&](char x, char y) { return lower(x) == lower(y); });
    };
    if (known)
        *known = true;
    for (std::size_t i = 1; i < std::size(kColorNames); ++i) {
        if (same(name, kColorNames[i]))
            return MarkColor(i);
    }
    if (same(name, "grey"))
        return MarkColor::Gray;
    if (known && !name.empty() && !same(name, "none"))
        *known = false;
    return MarkColor::None;
}

} // namespace ts::flow
