// Fuzz target for the cache's parsers and its decision engine (STYLE.md 8).
//
// Input: a mode byte, then the text for it.
//   "C<value>"  a Cache-Control value, parsed as a request's and a response's, and as a
//               CDN-Cache-Control value by a CDN-role cache
//   "D<date>"   an HTTP-date
//   "E<script>" an exchange script for the engine, one line each:
//                 "status N"        the origin's status (default 200)
//                 "q-Name: value"   a request field
//                 "Name: value"     a response field of the origin
//                 "+N"              time passes (seconds, up to 10^6) and the request is made again
//               The first request primes the cache; each later one is answered by the origin
//               (a 304 when validating, the same response otherwise, every third time a 503).
//   anything else: all three
//
// Checks, any failure aborts:
//  - parsing is deterministic, and every delta-seconds is within 0..2^31;
//  - a date that parses formats as IMF-fixdate and parses back to the same instant;
//  - the engine's decisions are deterministic; every decision has a trace; a served body range
//    lies inside the body and Content-Length says its length; Age is a non-negative number;
//    Cache-Status starts with the cache's name; the store stays within its budget and its byte
//    count is the sum of its entries.

#include "core/cache/cache.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts::cache;
using ts::http::Fields;

constexpr Seconds kT0 = 1700000000;

[[noreturn]] void violation(const char *what, std::string_view detail = {})
{
    std::fprintf(stderr, "cache_control_fuzz: %s\n%.*s\n", what, int(detail.size()), detail.data());
    std::abort();
}

void check(bool ok, const char *what, std::string_view detail = {})
{
    if (!ok)
        violation(what, detail);
}

void checkDelta(const Delta &d, std::string_view input)
{
    if (d.usable())
        check(d.value >= 0 && d.value <= kDeltaSecondsMax, "delta-seconds out of range", input);
}

std::string summary(const CacheControl &cc)
{
    std::string s = cc.source;
    for (const Delta *d : {&cc.maxAge, &cc.sMaxAge, &cc.staleWhileRevalidate, &cc.staleIfError,
                           &cc.maxStaleValue, &cc.minFresh})
        s += "|" + std::to_string(d->present) + std::to_string(d->valid) + std::to_string(d->value);
    for (bool b :
         {cc.noStore, cc.noCache, cc.isPrivate, cc.isPublic, cc.mustRevalidate, cc.proxyRevalidate,
          cc.mustUnderstand, cc.noTransform, cc.immutable, cc.maxStale, cc.onlyIfCached})
        s += b ? '1' : '0';
    for (const std::string &d : cc.diagnostics)
        s += "|" + d;
    return s;
}

void cacheControl(std::string_view value)
{
    for (const Role role : {Role::Request, Role::Response}) {
        const CacheControl a = parseCacheControl(value, role);
        const CacheControl b = parseCacheControl(value, role);
        check(summary(a) == summary(b), "Cache-Control parsing is not deterministic", value);
        for (const Delta *d : {&a.maxAge, &a.sMaxAge, &a.staleWhileRevalidate, &a.staleIfError,
                               &a.maxStaleValue, &a.minFresh})
            checkDelta(*d, value);
    }
    const Fields f{{"Cache-Control", "max-age=1"}, {"CDN-Cache-Control", std::string(value)}};
    const CacheControl cdn = responseCacheControl(f, {"CDN-Cache-Control"});
    check(cdn.source == "CDN-Cache-Control" || cdn.source == "Cache-Control",
          "targeted field: an unknown source", value);
    if (cdn.source == "Cache-Control")
        check(cdn.maxAge.usable() && cdn.maxAge.value == 1, "fallback lost Cache-Control", value);
    checkDelta(cdn.maxAge, value);
}

void date(std::string_view text)
{
    std::string why;
    const auto t = parseHttpDate(text, kT0, &why);
    if (!t) {
        check(!why.empty(), "a date refused without a reason", text);
        return;
    }
    const std::string formatted = formatHttpDate(*t);
    check(formatted.size() == 29, "IMF-fixdate of the wrong length", formatted);
    const auto again = parseHttpDate(formatted, kT0);
    check(again && *again == *t, "a formatted date does not parse back", formatted);
}

std::string line(const ts::http::Response &r)
{
    std::string s = std::to_string(r.status);
    for (const auto &f : r.fields)
        s += "|" + f.name + ":" + f.value;
    return s;
}

void checkServed(const Served &s, const Config &config, std::string_view input)
{
    const Fields &f = s.response.fields;
    if (s.body) {
        check(s.offset <= s.body->size() && s.length <= s.body->size() - s.offset,
              "served range outside the body", input);
        const std::string *cl = ts::http::findHeader(f, "Content-Length");
        check(cl && *cl == std::to_string(s.length), "Content-Length is not the served length",
              input);
    }
    if (const std::string *age = ts::http::findHeader(f, "Age"))
        check(!age->empty() && age->find_first_not_of("0123456789") == std::string::npos,
              "Age is not a non-negative number", *age);
    const std::string status = ts::http::joinedHeader(f, "Cache-Status");
    check(status.find(config.name) != std::string::npos, "Cache-Status without the cache", status);
}

// Runs the script; returns the transcript for the determinism check.
std::string engine(std::string_view script)
{
    int status = 200;
    Fields request, response;
    std::vector<Seconds> steps;
    std::size_t start = 0;
    while (start < script.size()) {
        std::size_t end = script.find('\n', start);
        if (end == std::string_view::npos)
            end = script.size();
        const std::string_view l = script.substr(start, end - start);
        start = end + 1;
        if (l.rfind("status ", 0) == 0) {
            status = std::atoi(std::string(l.substr(7, 3)).c_str());
            if (status < 200 || status > 599)
                status = 200;
        } else if (!l.empty() && l[0] == '+') {
            steps.push_back(
                std::min<long>(std::atol(std::string(l.substr(1, 7)).c_str()), 1000000));
        } else if (const auto colon = l.find(':'); colon != std::string_view::npos && colon > 0) {
            const std::string name(l.substr(0, colon));
            const std::string value(ts::http::trimOws(l.substr(colon + 1)));
            if (name.rfind("q-", 0) == 0 && name.size() > 2)
                request.push_back({name.substr(2), value});
            else
                response.push_back({name, value});
        }
        if (steps.size() > 32)
            break;
    }
    Config config;
    if (ts::http::findHeader(response, "CDN-Cache-Control"))
        config.targetedFields = {"CDN-Cache-Control"};
    Store store(64 << 10, 4);
    Cache cache(config, store);
    Seconds now = kT0;
    std::string transcript;
    const std::string body = "0123456789abcdef";
    ts::http::Request req{"GET", "http", "example.com", "/r", "", request};
    auto originAnswer = [&](int s) {
        Fields f = response;
        f.insert(f.begin(), {"Date", formatHttpDate(now)});
        return ts::http::Response{s, "", f};
    };
    auto exchange = [&](std::size_t round) {
        Lookup l = cache.lookup(req, now);
        check(!l.trace.empty(), "a lookup without a trace", script);
        transcript += l.trace + "\n";
        if (l.action == Lookup::Action::Serve) {
            checkServed(l.served, config, script);
            transcript += line(l.served.response) + "\n";
            if (!l.revalidate)
                return;
        }
        int s = status;
        if (l.validating)
            s = 304;
        if (round % 3 == 2)
            s = 503;
        ResponsePlan p = cache.onResponse(l, originAnswer(s), now, now);
        transcript += p.trace + "\n";
        if (p.action == ResponsePlan::Action::Serve)
            checkServed(p.served, config, script);
        if (p.action == ResponsePlan::Action::Retry) {
            p = cache.onResponse(l, originAnswer(status), now, now);
            transcript += p.trace + "\n";
        }
        const std::string t = cache.complete(p, body, true, now);
        check(!t.empty(), "a response without a trace", script);
        transcript += t + "\n";
        if (round % 5 == 4) {
            const ResponsePlan e = cache.onServerError(l, "refused", now);
            if (e.action == ResponsePlan::Action::Serve)
                checkServed(e.served, config, script);
        }
    };
    exchange(0);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        now += steps[i];
        exchange(i + 1);
        check(store.bytes() <= store.budget(), "store over its budget", script);
        std::uint64_t sum = 0;
        for (const EntryInfo &info : store.entries(now))
            sum += info.entry->bytes();
        check(sum == store.bytes(), "store byte count drifted", script);
    }
    return transcript;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size > 4096)
        return 0;
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const char mode = input.empty() ? '\0' : input[0];
    const std::string_view rest = input.empty() ? input : input.substr(1);
    if (mode == 'C') {
        cacheControl(rest);
    } else if (mode == 'D') {
        date(rest);
    } else if (mode == 'E') {
        check(engine(rest) == engine(rest), "engine decisions are not deterministic", rest);
    } else {
        cacheControl(input);
        date(input);
        check(engine(input) == engine(input), "engine decisions are not deterministic", input);
    }
    return 0;
}
