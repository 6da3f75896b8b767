#include "core/http/fields.h"
#include "core/base/ascii.h"

#include <algorithm>
#include <array>
#include <limits>

namespace ts::http {

namespace {

// Calls f(element) for each non-empty element of a comma-separated list value, with OWS and
// any ";parameters" stripped. Stops early when f returns true; returns whether it did.
template<typename F>
bool forEachListToken(std::string_view value, F &&f)
{
    while (true) {
        const std::size_t comma = value.find(',');
        std::string_view element = value.substr(0, comma);
        element = trimOws(element.substr(0, element.find(';')));
        if (!element.empty() && f(element))
            return true;
        if (comma == std::string_view::npos)
            return false;
        value.remove_prefix(comma + 1);
    }
}

} // namespace

std::string_view trimOws(std::string_view s)
{
    while (!s.empty() && isOws(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isOws(s.back()))
        s.remove_suffix(1);
    return s;
}

const char *parseContentLength(const Fields &fields, std::uint64_t &length)
{
    bool seen = false;
    for (const Field &f : fields) {
        if (!equalsIgnoreCase(f.name, "content-length"))
            continue;
        std::string_view value = f.value;
        while (true) {
            const std::size_t comma = value.find(',');
            const std::string_view element = trimOws(value.substr(0, comma));
            if (element.empty())
                return "invalid Content-Length";
            constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
            std::uint64_t v = 0;
            for (const char c : element) {
                const auto digit = static_cast<std::uint64_t>(c - '0');
                if (c < '0' || c > '9' || v > kMax / 10 || (v == kMax / 10 && digit > kMax % 10))
                    return "invalid Content-Length";
                v = v * 10 + digit;
            }
            if (seen && v != length)
                return "conflicting Content-Length values";
            length = v;
            seen = true;
            if (comma == std::string_view::npos)
                break;
            value.remove_prefix(comma + 1);
        }
    }
    return nullptr;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (asciiLower(a[i]) != asciiLower(b[i]))
            return false;
    }
    return true;
}

std::string lower(std::string_view s)
{
    return asciiLowered(s);
}

const std::string *findHeader(const Fields &fields, std::string_view name)
{
    for (const Field &f : fields) {
        if (equalsIgnoreCase(f.name, name))
            return &f.value;
    }
    return nullptr;
}

std::string joinedHeader(const Fields &fields, std::string_view name)
{
    std::string joined;
    bool first = true;
    for (const Field &f : fields) {
        if (!equalsIgnoreCase(f.name, name))
            continue;
        if (!first)
            joined.append(", ");
        joined.append(f.value);
        first = false;
    }
    return joined;
}

bool headerHasToken(const Fields &fields, std::string_view name, std::string_view token)
{
    for (const Field &f : fields) {
        if (equalsIgnoreCase(f.name, name) && forEachListToken(f.value, [&](std::string_view e) {
                return equalsIgnoreCase(e, token);
            }))
            return true;
    }
    return false;
}

void removeHeader(Fields &fields, std::string_view name)
{
    std::erase_if(fields, [&](const Field &f) { return equalsIgnoreCase(f.name, name); });
}

void setHeader(Fields &fields, std::string_view name, std::string value)
{
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const Field &f) { return equalsIgnoreCase(f.name, name); });
    if (it == fields.end()) {
        fields.push_back({std::string(name), std::move(value)});
        return;
    }
    it->value = std::move(value);
    const auto firstOther = std::next(it);
    fields.erase(std::remove_if(firstOther, fields.end(),
                                [&](const Field &f) { return equalsIgnoreCase(f.name, name); }),
                 fields.end());
}

void removeHopByHop(Fields &fields)
{
    static constexpr std::array<std::string_view, 9> kAlwaysHopByHop
        = {"Connection",        "Proxy-Connection",  "Keep-Alive", "TE",
           "Trailer",           "Transfer-Encoding", "Upgrade",    "Proxy-Authorization",
           "Proxy-Authenticate"};
    std::vector<std::string> named; // copies: erasing below moves the strings they come from
    for (const Field &f : fields) {
        if (equalsIgnoreCase(f.name, "Connection")) {
            forEachListToken(f.value, [&](std::string_view e) {
                named.emplace_back(e);
                return false;
            });
        }
    }
    std::erase_if(fields, [&](const Field &f) {
        auto matches = [&](std::string_view n) {
            return equalsIgnoreCase(f.name, n);
        };
        return std::any_of(kAlwaysHopByHop.begin(), kAlwaysHopByHop.end(), matches)
               || std::any_of(named.begin(), named.end(), matches);
    });
}

bool connectionSpecific(std::string_view lowerName, std::string_view value)
{
    if (lowerName == "te")
        return !equalsIgnoreCase(trimOws(value), "trailers");
    return lowerName == "connection" || lowerName == "keep-alive" || lowerName == "proxy-connection"
           || lowerName == "transfer-encoding" || lowerName == "upgrade";
}

std::string base64(std::string_view bytes)
{
    static constexpr char table[]
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
    const std::size_t length = bytes.size();
    std::string out;
    out.reserve((length + 2) / 3 * 4);
    for (std::size_t i = 0; i < length; i += 3) {
        const unsigned v = unsigned(data[i]) << 16
                           | (i + 1 < length ? unsigned(data[i + 1]) << 8 : 0)
                           | (i + 2 < length ? unsigned(data[i + 2]) : 0);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < length ? table[(v >> 6) & 63] : '=';
        out += i + 2 < length ? table[v & 63] : '=';
    }
    return out;
}

} // namespace ts::http
