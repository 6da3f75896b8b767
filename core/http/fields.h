#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Field lines of any HTTP version, and the rules on them that every version shares.
namespace ts::http {

// One field line as it came: the name keeps its spelling (HTTP/1.x) or is lowercase (h2, h3);
// compare names case-insensitively.
struct Field
{
    std::string name;
    std::string value;
    bool operator==(const Field &) const = default;
};
// In order, one entry per field line: a repeated name stays repeated (two `cookie` lines in
// h2 are two entries), so what is recorded is what crossed the wire.
using Fields = std::vector<Field>;

// Optional whitespace (RFC 9110 §5.6.3): SP and HTAB, and a value with it trimmed both ends.
inline bool isOws(char c)
{
    return c == ' ' || c == '\t';
}
std::string_view trimOws(std::string_view s);

// Content-Length, all its field lines taken as one list (RFC 9110 §8.6): every element must be
// 1*DIGIT within 64 bits and all must be equal ("5, 5" is 5). Returns nullptr with `length`
// set, or the reason it is bad. Only meaningful when the field is present.
const char *parseContentLength(const Fields &fields, std::uint64_t &length);

// Case-insensitive ASCII comparison of field names and tokens.
bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string lower(std::string_view s);
// First value of a field, or nullptr.
const std::string *findHeader(const Fields &fields, std::string_view name);
// All values of a field joined with ", " (for list-valued fields); empty when absent.
std::string joinedHeader(const Fields &fields, std::string_view name);
// True when the comma-separated list field `name` holds `token` (case-insensitive).
bool headerHasToken(const Fields &fields, std::string_view name, std::string_view token);
void removeHeader(Fields &fields, std::string_view name);
void setHeader(Fields &fields, std::string_view name, std::string value);

// Removes what a proxy must not forward (RFC 9110 §7.6.1): the fields named in Connection,
// plus Connection, Proxy-Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authorization, Proxy-Authenticate. (Framing is applied again by the next hop's codec.)
void removeHopByHop(Fields &fields);

// A field HTTP/2 and HTTP/3 must not carry (RFC 9113 §8.2.2, RFC 9114 §4.2): the
// connection-specific ones, and TE with any value but "trailers". `lowerName` is lowercase.
bool connectionSpecific(std::string_view lowerName, std::string_view value = "trailers");

// RFC 4648 base64 with padding.
std::string base64(std::string_view bytes);

} // namespace ts::http
