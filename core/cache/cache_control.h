#pragma once

#include "core/http/fields.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Cache-Control (RFC 9111 §5.2) and targeted cache-control fields such as CDN-Cache-Control
// (RFC 9213), parsed into the directives the cache acts on, with a note for every odd input.
namespace ts::cache {

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
constexpr std::int64_t kDeltaSecondsMax = 2147483648;

// A delta-seconds directive: absent, a value, or present but invalid (RFC 9111 §4.2.1: a
// response with invalid freshness information is treated as stale).
struct Delta
{
    bool present = false;
    bool valid = false;
    std::int64_t value = 0;
    bool usable() const { return present && valid; }
};

struct CacheControl
{
    // Response directives (§5.2.2).
    Delta maxAge;               // also the request directive (§5.2.1.1)
    Delta sMaxAge;              // §5.2.2.10
    Delta staleWhileRevalidate; // RFC 5861 §3
    Delta staleIfError;         // RFC 5861 §4, response and request
    bool noStore = false;       // §5.2.2.5, §5.2.1.5
    bool noCache = false;       // §5.2.2.4 (qualified forms count as unqualified), §5.2.1.4
    std::vector<std::string> noCacheFields;
    bool isPrivate = false;                 // §5.2.2.7, unqualified
    std::vector<std::string> privateFields; // private="a, b": only these fields are private
    bool isPublic = false;                  // §5.2.2.9
    bool mustRevalidate = false;            // §5.2.2.2
    bool proxyRevalidate = false;           // §5.2.2.8
    bool mustUnderstand = false;            // §5.2.2.3
    bool noTransform = false;               // §5.2.2.6
    bool immutable = false;                 // RFC 8246
    // Request directives (§5.2.1).
    bool maxStale = false; // §5.2.1.2; maxStaleValue absent: any staleness
    Delta maxStaleValue;
    Delta minFresh;            // §5.2.1.3
    bool onlyIfCached = false; // §5.2.1.7

    // Which field these came from ("Cache-Control", "CDN-Cache-Control"), "" when none.
    std::string source;
    // One line per odd input: duplicates, unknown extensions, invalid values, syntax errors.
    std::vector<std::string> diagnostics;
};

enum class Role { Request, Response };

// Parses one Cache-Control field value (all its lines joined) as RFC 9111 §5.2 defines it:
// `#( token [ "=" ( token / quoted-string ) ] )`. Names are case-insensitive; a duplicate
// directive keeps its first value (§4.2.1) and is noted; unknown extensions are ignored and
// noted; a delta-seconds that is not 1*DIGIT is invalid; a quoted delta-seconds is accepted
// (§5.2: recipients accept both forms) and noted; an oversized one is 2^31 (§1.2.2).
CacheControl parseCacheControl(std::string_view value, Role role);

// The directives that govern a response for a cache in its configured role. `targeted` lists the
// targeted fields this cache obeys, most specific first (RFC 9213 §2: a CDN uses
// {"CDN-Cache-Control"}). The first one present that parses as a Structured Fields Dictionary
// is used and Cache-Control is ignored; when none is usable, Cache-Control is (RFC 9213 §2.1).
CacheControl responseCacheControl(const http::Fields &fields,
                                  const std::vector<std::string> &targeted);
// A request's directives; `Pragma: no-cache` counts as no-cache when the request has no
// Cache-Control (RFC 9111 §5.4).
CacheControl requestCacheControl(const http::Fields &fields);

} // namespace ts::cache
