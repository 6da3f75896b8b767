#include "core/http1/message.h"
#include "core/http1/syntax.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace ts::http1 {

namespace {

char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

using syntax::isOws;
using syntax::trimOws;

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

// The serializer never lets a value end a line early: CR, LF and NUL become SP, so a head
// edited by a user (or built from hostile input elsewhere) cannot split into two messages.
bool breaksLine(char c)
{
    return c == '\r' || c == '\n' || c == '\0';
}

void appendWireSafe(std::string &out, std::string_view text)
{
    // A plain loop: string_view::find_first_of calls memchr once per character.
    const std::size_t start = out.size();
    out.append(text);
    for (std::size_t i = start; i < out.size(); ++i)
        if (breaksLine(out[i]))
            out[i] = ' ';
}

void appendFields(std::string &out, const Headers &headers)
{
    for (const Header &h : headers) {
        appendWireSafe(out, h.name);
        out.append(": ");
        appendWireSafe(out, h.value);
        out.append("\r\n");
    }
}

std::size_t fieldsSize(const Headers &headers)
{
    std::size_t n = 2;
    for (const Header &h : headers)
        n += h.name.size() + h.value.size() + 4;
    return n;
}

} // namespace

std::string_view versionText(Version v)
{
    return v == Version::Http10 ? "HTTP/1.0" : "HTTP/1.1";
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

const std::string *findHeader(const Headers &headers, std::string_view name)
{
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return &h.value;
    }
    return nullptr;
}

std::string joinedHeader(const Headers &headers, std::string_view name)
{
    std::string joined;
    bool first = true;
    for (const Header &h : headers) {
        if (!equalsIgnoreCase(h.name, name))
            continue;
        if (!first)
            joined.append(", ");
        joined.append(h.value);
        first = false;
    }
    return joined;
}

bool headerHasToken(const Headers &headers, std::string_view name, std::string_view token)
{
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name) && forEachListToken(h.value, [&](std::string_view e) {
                return equalsIgnoreCase(e, token);
            }))
            return true;
    }
    return false;
}

void removeHeader(Headers &headers, std::string_view name)
{
    std::erase_if(headers, [&](const Header &h) { return equalsIgnoreCase(h.name, name); });
}

void setHeader(Headers &headers, std::string_view name, std::string value)
{
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const Header &h) { return equalsIgnoreCase(h.name, name); });
    if (it == headers.end()) {
        headers.push_back({std::string(name), std::move(value)});
        return;
    }
    it->value = std::move(value);
    const auto firstOther = std::next(it);
    headers.erase(std::remove_if(firstOther, headers.end(),
                                 [&](const Header &h) { return equalsIgnoreCase(h.name, name); }),
                  headers.end());
}

bool wantsKeepAlive(Version version, const Headers &headers)
{
    if (headerHasToken(headers, "Connection", "close"))
        return false;
    return version == Version::Http11 || headerHasToken(headers, "Connection", "keep-alive");
}

void removeHopByHop(Headers &headers)
{
    static constexpr std::array<std::string_view, 9> kAlwaysHopByHop
        = {"Connection",        "Proxy-Connection",  "Keep-Alive", "TE",
           "Trailer",           "Transfer-Encoding", "Upgrade",    "Proxy-Authorization",
           "Proxy-Authenticate"};
    std::vector<std::string> named; // copies: erasing below moves the strings they come from
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, "Connection")) {
            forEachListToken(h.value, [&](std::string_view e) {
                named.emplace_back(e);
                return false;
            });
        }
    }
    std::erase_if(headers, [&](const Header &h) {
        auto matches = [&](std::string_view n) {
            return equalsIgnoreCase(h.name, n);
        };
        return std::any_of(kAlwaysHopByHop.begin(), kAlwaysHopByHop.end(), matches)
               || std::any_of(named.begin(), named.end(), matches);
    });
}

std::string serialize(const RequestHead &head)
{
    std::string out;
    out.reserve(head.method.size() + head.target.size() + 12 + fieldsSize(head.headers));
    appendWireSafe(out, head.method);
    out.push_back(' ');
    appendWireSafe(out, head.target);
    out.push_back(' ');
    out.append(versionText(head.version));
    out.append("\r\n");
    appendFields(out, head.headers);
    out.append("\r\n");
    return out;
}

std::string serialize(const ResponseHead &head)
{
    std::string out;
    out.reserve(head.reason.size() + 24 + fieldsSize(head.headers));
    out.append(versionText(head.version));
    out.push_back(' ');
    char digits[16];
    const auto res = std::to_chars(digits, digits + sizeof digits, head.status);
    out.append(digits, res.ptr);
    out.push_back(' ');
    appendWireSafe(out, head.reason);
    out.append("\r\n");
    appendFields(out, head.headers);
    out.append("\r\n");
    return out;
}

std::string chunk(std::string_view data)
{
    if (data.empty())
        return {};
    char hex[20];
    const auto res = std::to_chars(hex, hex + sizeof hex, data.size(), 16);
    std::string out;
    out.reserve(static_cast<std::size_t>(res.ptr - hex) + data.size() + 4);
    out.append(hex, res.ptr);
    out.append("\r\n");
    out.append(data);
    out.append("\r\n");
    return out;
}

std::string lastChunk(const Headers &trailers)
{
    std::string out;
    out.reserve(3 + fieldsSize(trailers));
    out.append("0\r\n");
    appendFields(out, trailers);
    out.append("\r\n");
    return out;
}

} // namespace ts::http1
