#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ts::http1 {

struct Header
{
    std::string name; // as received (case kept); compare case-insensitively
    std::string value;
    bool operator==(const Header &) const = default;
};
using Headers = std::vector<Header>;

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

// Case-insensitive ASCII comparison of field names and tokens.
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// First value of a field, or nullptr.
const std::string *findHeader(const Headers &headers, std::string_view name);
// All values of a field joined with ", " (for list-valued fields); empty when absent.
std::string joinedHeader(const Headers &headers, std::string_view name);
// True when the comma-separated list field `name` holds `token` (case-insensitive).
bool headerHasToken(const Headers &headers, std::string_view name, std::string_view token);
void removeHeader(Headers &headers, std::string_view name);
void setHeader(Headers &headers, std::string_view name, std::string value);

// Keep-alive per RFC 9112 §9.3: HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 only
// with "Connection: keep-alive".
bool wantsKeepAlive(Version version, const Headers &headers);

// Removes the hop-by-hop fields a proxy must not forward: those named in Connection, plus
// Connection, Proxy-Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authorization, Proxy-Authenticate. (Transfer-Encoding is re-applied by the serializer.)
void removeHopByHop(Headers &headers);

// Serialisation. Heads end with the blank line.
std::string serialize(const RequestHead &head);
std::string serialize(const ResponseHead &head);
// One chunk of a chunked body (empty data gives nothing: use lastChunk to end).
std::string chunk(std::string_view data);
std::string lastChunk(const Headers &trailers = {});

} // namespace ts::http1
