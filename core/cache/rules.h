#pragma once

#include "core/cache/cache_control.h"
#include "core/cache/http_date.h"
#include "core/http/message.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The rules of RFC 9111 the engine is built from, each a pure function: freshness and age,
// status classes, Vary, validators, header updates, byte ranges, keys and Cache-Status.
namespace ts::cache {

// ---- status codes

// RFC 9110 §15.1: 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501.
bool heuristicallyCacheable(int status);
// A final status whose semantics the cache knows (the ones RFC 9110 defines), for
// must-understand (RFC 9111 §5.2.2.3).
bool statusUnderstood(int status);
bool unsafeMethod(std::string_view method); // RFC 9110 §9.2.1: all but GET HEAD OPTIONS TRACE

// ---- freshness (§4.2)

struct HeuristicPolicy
{
    double fraction = 0.1;           // §4.2.2: "a typical setting of this fraction might be 10%"
    std::int64_t maxSeconds = 86400; // a cap, so a file unchanged for years is not fresh for months
};

struct Freshness
{
    std::int64_t lifetime = 0;
    bool heuristic = false;
    std::string source; // "s-maxage=600", "max-age=600", "Expires - Date = 600 s", "heuristic ..."
};

// freshness_lifetime of a shared cache (§4.2.1): s-maxage, max-age, Expires minus Date, then
// the heuristic for a heuristically cacheable status with Last-Modified. Invalid values make the
// response stale (lifetime 0). `responseTime` stands in for a missing Date. Notes go to `notes`.
Freshness freshnessLifetime(const http::Response &response, const CacheControl &cc,
                            Seconds responseTime, const HeuristicPolicy &policy,
                            std::vector<std::string> &notes);

// corrected_initial_age of §4.2.3 from the response's Age and Date fields and the times the
// request was sent and the response received; current_age is this plus (now - responseTime).
std::int64_t correctedInitialAge(const http::Fields &fields, Seconds requestTime,
                                 Seconds responseTime);
// Age's value (§5.1): the first member of a list; nullopt when absent or invalid (then ignored).
std::optional<std::int64_t> ageValue(const http::Fields &fields);

// ---- Vary (§4.1)

// The lowercase field names Vary lists; "*" when it lists "*".
std::vector<std::string> varyNames(const http::Fields &fields);
// A request field value normalised for comparison: all lines joined, list members trimmed,
// lowercased for fields whose values are case-insensitive (Accept-*). nullopt when absent.
std::optional<std::string> normalisedFieldValue(const http::Fields &fields, std::string_view name);
using VaryKey = std::vector<std::pair<std::string, std::optional<std::string>>>;
VaryKey varyKey(const std::vector<std::string> &names, const http::Fields &request);
bool varyMatches(const VaryKey &stored, const http::Fields &request);
std::string formatVaryKey(const VaryKey &key); // "accept-encoding=gzip; x-a=(absent)"

// ---- validators (RFC 9110 §8.8.3, §13.1)

bool weakETag(std::string_view etag);
bool strongCompare(std::string_view a, std::string_view b);
bool weakCompare(std::string_view a, std::string_view b);
// Whether If-None-Match `list` ("*" or a list of entity tags) matches `etag` (weak comparison).
bool noneMatchMatches(std::string_view list, const std::string *etag);

// ---- header update (§3.2)

// Updates stored fields from a 304 or HEAD response: each field of `fresh` replaces all
// stored lines of its name, except the ones never stored (§3.1) and Content-Length. Returns
// the names updated.
std::vector<std::string> mergeFields(http::Fields &stored, const http::Fields &fresh);
// What a cache must not store (§3.1): hop-by-hop fields, the fields Connection names,
// Transfer-Encoding, the Proxy-* fields.
void removeUnstorable(http::Fields &fields);

// ---- byte ranges (RFC 9110 §14)

struct RangeRequest
{
    enum Kind { Ignore, Single, Multiple, Unsatisfiable } kind = Ignore;
    std::uint64_t first = 0, last = 0; // Single: inclusive
    std::string note;                  // why it was ignored or declined
};
RangeRequest parseRange(std::string_view value, std::uint64_t length);

// ---- keys

// The target URI of a request in a normal form (scheme and host lowercase, default port
// dropped, "/" for an empty path), or "" when it has no absolute form (CONNECT, no authority).
std::string targetUri(const http::Request &request);
// The origin ("https://host:port") of an absolute URI, "" if it is none.
std::string originOf(std::string_view uri);
// Resolves a Location / Content-Location reference against `base` (RFC 3986 §5.2, without
// dot-segment removal); "" when it cannot.
std::string resolveReference(std::string_view base, std::string_view reference);
// The primary cache key (§2): method and target URI. HEAD looks up GET's.
std::string primaryKey(std::string_view method, std::string_view uri);

// ---- Cache-Status (RFC 9211)

struct CacheStatus
{
    std::string cache; // the cache's name
    bool hit = false;
    std::string fwd; // bypass, method, uri-miss, vary-miss, miss, request, stale, partial
    int fwdStatus = 0;
    bool stored = false;
    bool collapsed = false;
    std::optional<std::int64_t> ttl;
    std::string key;
    std::string detail;
    std::string member() const; // "Tunnelscope; hit; ttl=540"
};
// Appends a member to a response's Cache-Status (caches closer to the client go last).
void appendCacheStatus(http::Fields &fields, const std::string &member);

// "600 s", "3 min", "2 h 5 min", "4 d" for traces.
std::string formatDuration(std::int64_t seconds);

} // namespace ts::cache
