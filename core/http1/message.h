#pragma once

#include "core/http/fields.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ts::http1 {

// Field lines are version-free (core/http): HTTP/1.1 keeps each name's spelling.
using Header = http::Field;
using Headers = http::Fields;

enum class Version { Http10, Http11 };
std::string_view versionText(Version v); // "HTTP/1.0" / "HTTP/1.1"

struct RequestHead
{
    std::string method;
    std::string target; // exactly as on the wire: origin-, absolute-, authority- or asterisk-form
    Version version = Version::Http11;
    Headers headers;
    bool operator==(const RequestHead &) const = default;
};

struct ResponseHead
{
    Version version = Version::Http11;
    int status = 0;
    std::string reason;
    Headers headers;
    bool operator==(const ResponseHead &) const = default;
};

using http::equalsIgnoreCase;
using http::findHeader;
using http::headerHasToken;
using http::joinedHeader;
using http::removeHeader;
using http::removeHopByHop;
using http::setHeader;

// Keep-alive per RFC 9112 §9.3: HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 only
// with "Connection: keep-alive".
bool wantsKeepAlive(Version version, const Headers &headers);

// Serialisation. Heads end with the blank line.
std::string serialize(const RequestHead &head);
std::string serialize(const ResponseHead &head);
// One chunk of a chunked body (empty data gives nothing: use lastChunk to end).
std::string chunk(std::string_view data);
std::string lastChunk(const Headers &trailers = {});

} // namespace ts::http1
