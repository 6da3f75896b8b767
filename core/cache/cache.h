#pragma once

#include "core/cache/cache_control.h"
#include "core/cache/http_date.h"
#include "core/cache/rules.h"
#include "core/cache/store.h"
#include "core/http/message.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// The RFC 9111 shared cache's decisions, sans-IO: a request comes in, the cache says serve,
// forward or validate; the server's response comes in, the cache says pass it on (storing it
// or not), serve the stored one (a 304 merged, stale-if-error) or ask again. Every decision
// carries a trace for people and a Cache-Status member (RFC 9211). See README.md.
namespace ts::cache {

struct Config
{
    std::string name = "Tunnelscope"; // the Cache-Status member's cache name
    // Targeted cache-control fields this cache obeys over Cache-Control, most specific first;
    // {"CDN-Cache-Control"} for a cache in the CDN role (RFC 9213), empty otherwise.
    std::vector<std::string> targetedFields;
    HeuristicPolicy heuristic;
    std::uint64_t maxEntryBytes = 8u << 20; // bodies larger than this are not stored
    bool keyInCacheStatus = true;           // key="GET https://..." in Cache-Status
    // Where a stored body goes; unset: a MemoryBody. A body on disk plugs in here.
    std::function<std::shared_ptr<const StoredBody>(const StoredResponse &, std::string body)>
        bodyStore;
};

// A response the cache answers with itself.
struct Served
{
    http::Response response;
    std::shared_ptr<const StoredBody> body; // null when it has none (HEAD, 304, 416, 504)
    std::uint64_t offset = 0;               // the part of `body` to send
    std::uint64_t length = 0;
};

// The answer to a request.
struct Lookup
{
    enum class Action {
        Serve,    // answer with `served`; nothing goes to the server (unless `revalidate`)
        Forward,  // send `serverRequest`; its response goes to Cache::onResponse
        Validate, // send `serverRequest`, a conditional request; its response to onResponse
    };
    Action action = Action::Forward;
    Served served;
    http::Request serverRequest;
    // Serve under stale-while-revalidate: also send `serverRequest` in the background and give
    // its response to onResponse, whose plan then only updates the cache.
    bool revalidate = false;
    std::string trace;                    // "hit: fresh, age 40 s of max-age=600"
    std::vector<std::string> diagnostics; // odd inputs met on the way
    std::string cacheStatus;              // Serve: the Cache-Status member added

    // What onResponse needs to know of the lookup.
    http::Request request;
    CacheControl requestCc;
    std::string uri;
    std::string key;
    Entry entry; // the stored response selected, if any
    std::string fwd;
    bool validating = false;
};

// What to do with the server's response.
struct ResponsePlan
{
    enum class Action {
        Pass,  // send `response` (the server's, Cache-Status added) and its body on
        Serve, // send `served` instead (the stored response after a 304, or stale-if-error)
        Retry, // a 304 that matched nothing stored: send `serverRequest` and start over
    };
    Action action = Action::Pass;
    http::Response response;
    Served served;
    http::Request serverRequest;
    // Collect the body and hand it to Cache::complete() at its end.
    bool store = false;
    std::shared_ptr<StoredResponse> pending;
    std::string trace;
    std::vector<std::string> diagnostics;
};

class Cache
{
public:
    Cache(Config config, Store &store);

    // A request, complete. `now` is the wall clock in seconds.
    Lookup lookup(const http::Request &request, Seconds now);
    // The server's final response head. `requestTime` is when the request went out and
    // `responseTime` when this head arrived (§4.2.3); both wall clock.
    ResponsePlan onResponse(const Lookup &lookup, const http::Response &response,
                            Seconds requestTime, Seconds responseTime);
    // The body of a response the plan said to store; `complete` is false when it broke off.
    // Returns the final trace ("stored: ..." or why not after all).
    std::string complete(ResponsePlan &plan, std::string body, bool complete, Seconds now);
    // No response at all (the server unreachable, timed out): a stale response when
    // stale-if-error allows (RFC 5861 §4), else Pass (the stream answers its 502 / 504).
    ResponsePlan onServerError(const Lookup &lookup, std::string_view why, Seconds now);

    const Config &config() const { return m_config; }
    Store &store() { return m_store; }

private:
    Served serve(const Lookup &lookup, const Entry &entry, Seconds now, CacheStatus status,
                 bool mayDecline, bool &declined) const;
    Served generated(int status, Seconds now, const CacheStatus &status_) const;
    Lookup miss(Lookup l, const char *fwd, std::string trace, Seconds now) const;
    bool staleAllowed(const Entry &entry, std::string &why) const;
    bool staleIfError(const Lookup &lookup, Seconds now, std::string &window) const;
    CacheControl responseCc(const http::Fields &fields) const;
    Entry freshened(const StoredResponse &old, const http::Response &response, Seconds requestTime,
                    Seconds responseTime, std::vector<std::string> &merged,
                    std::vector<std::string> &diagnostics) const;
    CacheStatus statusFor(const std::string &key) const;
    std::shared_ptr<StoredResponse> prepare(const Lookup &lookup, const http::Response &response,
                                            Seconds requestTime, Seconds responseTime,
                                            std::string &trace,
                                            std::vector<std::string> &diagnostics) const;

    Config m_config;
    Store &m_store;
};

} // namespace ts::cache
