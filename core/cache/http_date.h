#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// HTTP-date (RFC 9110 §5.6.7) and the cache's clock unit.
namespace ts::cache {

// Wall-clock seconds since the Unix epoch. HTTP dates have a resolution of one second and every
// freshness rule of RFC 9111 counts seconds, so the cache counts them too. The cache never reads
// a clock: every call that needs the time takes `now` (STYLE.md 3).
using Seconds = std::int64_t;

// Parses the three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
// "Sun Nov  6 08:49:37 1994". Day and month names are matched case-insensitively; fields are
// range-checked (day within its month, 23:59:60 for a leap second). A two-digit RFC 850 year
// that would be more than 50 years after `now` is taken as the most recent past year with those
// digits. nullopt for anything else, and `why` (when given) says what was wrong.
std::optional<Seconds> parseHttpDate(std::string_view text, Seconds now,
                                     std::string *why = nullptr);

// IMF-fixdate, the form to generate.
std::string formatHttpDate(Seconds t);

} // namespace ts::cache
