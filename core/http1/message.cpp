#include "core/http1/message.h"

#include <charconv>

namespace ts::http1 {

namespace {

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

bool wantsKeepAlive(Version version, const Headers &headers)
{
    if (headerHasToken(headers, "Connection", "close"))
        return false;
    return version == Version::Http11 || headerHasToken(headers, "Connection", "keep-alive");
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
