// Transcript tests of the cache engine: requests and server responses go in, the decisions,
// traces, Cache-Status members and served responses that come out are checked exactly. Each
// test names the RFC section it holds the cache to (RFC 9111 unless another is named).
#include "core/cache/cache.h"

#include <QTest>

#include <atomic>
#include <thread>

namespace QTest {
template<>
char *toString(const std::string &s)
{
    return qstrdup(s.c_str());
}
} // namespace QTest

using namespace ts::cache;
using ts::http::Fields;
using ts::http::Request;
using ts::http::Response;

namespace {

constexpr Seconds kT0 = 1700000000;
using Action = Lookup::Action;
using Plan = ResponsePlan::Action;

Request get(const std::string &path, Fields fields = {}, const std::string &method = "GET")
{
    return Request{method, "http", "example.com", path, "", std::move(fields)};
}

std::string header(const Fields &f, std::string_view name)
{
    return ts::http::joinedHeader(f, name);
}

std::string text(const Served &s)
{
    return s.body ? s.body->read(s.offset, s.length) : std::string();
}

// A cache and a clock, with the server's answers given per exchange.
struct Harness
{
    explicit Harness(Config config = {}) : store(1 << 20, 4), cache(std::move(config), store) {}

    Response origin(int status, Fields fields) const
    {
        fields.insert(fields.begin(), {"Date", formatHttpDate(now)});
        return Response{status, "", std::move(fields)};
    }
    // The lookup only.
    Lookup ask(const Request &r) { return cache.lookup(r, now); }
    // The server's response to what the lookup sent, `delay` seconds later; the body stored when
    // the plan says so. Returns the final trace.
    std::string answer(const Lookup &l, const Response &r, const std::string &body = "",
                       Seconds delay = 0)
    {
        const Seconds sent = now;
        now += delay;
        plan = cache.onResponse(l, r, sent, now);
        return cache.complete(plan, body, true, now);
    }
    // A GET that misses and stores.
    std::string prime(const std::string &path, Fields fields, const std::string &body = "hello",
                      Fields request = {})
    {
        const Lookup l = ask(get(path, std::move(request)));
        return answer(l, origin(200, std::move(fields)), body);
    }

    Seconds now = kT0;
    Store store;
    Cache cache;
    ResponsePlan plan;
};

} // namespace

class CacheTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- storing and serving fresh (§3, §4.2)

    void missStoresThenHitServesWithAge_4_2()
    {
        Harness h;
        Lookup l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Forward));
        QCOMPARE(l.trace, std::string("miss: nothing stored for http://example.com/a"));
        QCOMPARE(h.answer(l, h.origin(200, {{"Cache-Control", "max-age=600"}}), "hello"),
                 std::string("stored: max-age=600, shared cache"));
        QCOMPARE(header(h.plan.response.fields, "Cache-Status"),
                 std::string("Tunnelscope; fwd=uri-miss; fwd-status=200; stored; ttl=600; "
                             "key=\"GET http://example.com/a\""));
        h.now += 100;
        l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.trace, std::string("hit: fresh, age 100 s of max-age=600"));
        QCOMPARE(l.served.response.status, 200);
        QCOMPARE(header(l.served.response.fields, "Age"), std::string("100"));
        QCOMPARE(header(l.served.response.fields, "Content-Length"), std::string("5"));
        QCOMPARE(l.cacheStatus,
                 std::string("Tunnelscope; hit; ttl=500; key=\"GET http://example.com/a\""));
        QCOMPARE(text(l.served), std::string("hello"));
        const auto rows = h.store.entries(h.now);
        QCOMPARE(rows.size(), 1u);
        QCOMPARE(rows[0].hits, 1u);
        QCOMPARE(rows[0].lastHit, h.now);
        // At the end of its lifetime it is stale: validation (it has a Date but no validator,
        // so it is fetched anew).
        h.now += 500;
        l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Forward));
        QCOMPARE(l.fwd, std::string("stale"));
        QCOMPARE(l.trace,
                 std::string("forwarded: stale: age 10 min of max-age=600; no validator to "
                             "revalidate with"));
    }

    void sMaxAgeOverMaxAgeForASharedCache_5_2_2_10()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=10, s-maxage=60"}}),
                 std::string("stored: s-maxage=60, shared cache"));
        h.now += 30;
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Serve));
    }

    void expiresMinusDate_5_3()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Expires", formatHttpDate(kT0 + 120)}}),
                 std::string("stored: Expires - Date = 2 min, shared cache"));
        h.now += 119;
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Serve));
        h.now += 1;
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Forward));
    }

    void invalidExpiresIsInThePast_5_3()
    {
        Harness h;
        QCOMPARE(
            h.prime("/a", {{"Expires", "0"}, {"ETag", "\"1\""}}),
            std::string("stored: invalid Expires: stale (§5.3), shared cache, stale on arrival"));
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Validate));
        QVERIFY(h.plan.diagnostics.back().find("invalid: Expires \"0\"") == 0);
    }

    void heuristicFreshnessOnlyForHeuristicallyCacheableStatuses_4_2_2()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Last-Modified", formatHttpDate(kT0 - 10 * 86400)}}),
                 std::string("stored: heuristic 24 h: 10% of 10 d since Last-Modified, capped "
                             "(§4.2.2), shared cache"));
        h.now += 86399;
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Serve));
        // A 302 is not heuristically cacheable: without explicit freshness it is not stored.
        Lookup l = h.ask(get("/r"));
        QCOMPARE(h.answer(l, h.origin(302, {{"Location", "/a"},
                                            {"Last-Modified", formatHttpDate(kT0)}})),
                 std::string("not stored: status 302 is not heuristically cacheable and has no "
                             "explicit freshness (§3)"));
        // With max-age it is.
        l = h.ask(get("/r"));
        QCOMPARE(h.answer(l, h.origin(302, {{"Location", "/a"}, {"Cache-Control", "max-age=5"}})),
                 std::string("stored: max-age=5, shared cache"));
    }

    void ageFromDateAgeAndDelay_4_2_3()
    {
        Harness h;
        // The origin's Date is 50 s behind and the response spent 20 s in caches before us;
        // the exchange took 4 s. corrected_initial_age = max(50, 20 + 4) = 50.
        Lookup l = h.ask(get("/a"));
        Response r{
            200,
            "",
            {{"Date", formatHttpDate(kT0 - 46)}, {"Age", "20"}, {"Cache-Control", "max-age=100"}}};
        QCOMPARE(h.answer(l, r, "x", 4), std::string("stored: max-age=100, shared cache"));
        QCOMPARE(header(h.plan.response.fields, "Cache-Status").find("ttl=50;")
                     != std::string::npos,
                 true);
        // Resident for 10 s: current_age = 50 + 10.
        h.now += 10;
        l = h.ask(get("/a"));
        QCOMPARE(header(l.served.response.fields, "Age"), std::string("60"));
        QCOMPARE(l.trace, std::string("hit: fresh, age 60 s of max-age=100"));
        // Age larger than the clock skew: max(0, 30 + 2) = 32.
        l = h.ask(get("/b"));
        Response r2{
            200,
            "",
            {{"Date", formatHttpDate(h.now)}, {"Age", "30"}, {"Cache-Control", "max-age=100"}}};
        h.answer(l, r2, "y", 2);
        QCOMPARE(header(h.ask(get("/b")).served.response.fields, "Age"), std::string("32"));
    }

    void dateAddedWhenMissing_rfc9110_6_6_1()
    {
        Harness h;
        Lookup l = h.ask(get("/a"));
        h.answer(l, Response{200, "", {{"Cache-Control", "max-age=60"}}}, "x");
        QCOMPARE(header(h.ask(get("/a")).served.response.fields, "Date"), formatHttpDate(kT0));
    }

    // ---- what is not stored (§3)

    void noStoreAndRequestNoStore_5_2_2_5_and_5_2_1_5()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Cache-Control", "no-store, max-age=60"}}),
                 std::string("not stored: no-store (§5.2.2.5)"));
        QCOMPARE(
            header(h.plan.response.fields, "Cache-Status"),
            std::string(
                "Tunnelscope; fwd=uri-miss; fwd-status=200; key=\"GET http://example.com/a\""));
        QCOMPARE(
            h.prime("/a", {{"Cache-Control", "max-age=60"}}, "x", {{"Cache-Control", "no-store"}}),
            std::string("not stored: request no-store (§5.2.1.5)"));
        QVERIFY(h.store.entries(h.now).empty());
    }

    void privateInASharedCache_5_2_2_7()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Cache-Control", "private, max-age=60"}}),
                 std::string("not stored: private, and this is a shared cache (§5.2.2.7)"));
        QCOMPARE(h.prime("/a", {{"Cache-Control", "private, max-age=60"}, {"Set-Cookie", "s=1"}}),
                 std::string("not stored: Set-Cookie with private (§5.2.2.7)"));
        // Qualified: stored without the named fields.
        QCOMPARE(
            h.prime("/a", {{"Cache-Control", "private=\"Set-Cookie\", max-age=60"},
                           {"Set-Cookie", "s=1"}}),
            std::string("stored: max-age=60, shared cache, without the private fields set-cookie"));
        const Lookup l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Serve));
        QVERIFY(!ts::http::findHeader(l.served.response.fields, "Set-Cookie"));
    }

    void authorizationNeedsExplicitPermission_3_5()
    {
        Harness h;
        const Fields auth{{"Authorization", "Basic YTpi"}};
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=60"}}, "x", auth),
                 std::string("not stored: the request has Authorization and the response lacks "
                             "public, s-maxage and must-revalidate (§3.5)"));
        for (const char *cc : {"public, max-age=60", "s-maxage=60", "must-revalidate, max-age=60"})
            QVERIFY2(h.prime("/a", {{"Cache-Control", cc}}, "x", auth).rfind("stored:", 0) == 0,
                     cc);
    }

    void mustUnderstand_5_2_2_3()
    {
        Harness h;
        QCOMPARE(
            h.prime("/a", {{"Cache-Control", "must-understand, no-store, max-age=60"}}),
            std::string("stored: max-age=60, shared cache, must-understand overrides no-store"));
        Lookup l = h.ask(get("/b"));
        QCOMPARE(h.answer(l, h.origin(299, {{"Cache-Control",
                                             "must-understand, no-store, max-age=60"}})),
                 std::string("not stored: must-understand and status 299 is not one the cache "
                             "understands (§5.2.2.3)"));
        // Without must-understand, an unknown status with explicit freshness may be stored (§3).
        l = h.ask(get("/c"));
        QCOMPARE(h.answer(l, h.origin(299, {{"Cache-Control", "max-age=60"}})),
                 std::string("stored: max-age=60, shared cache"));
    }

    void hopByHopAndTransferEncodingNotStored_3_1()
    {
        Harness h;
        h.prime("/a",
                {{"Cache-Control", "max-age=60"},
                 {"Connection", "X-Conn"},
                 {"X-Conn", "1"},
                 {"Keep-Alive", "timeout=5"},
                 {"Transfer-Encoding", "chunked"},
                 {"Proxy-Authenticate", "Basic"},
                 {"X-Kept", "1"}},
                "hello");
        const Fields f = h.ask(get("/a")).served.response.fields;
        for (const char *gone :
             {"Connection", "X-Conn", "Keep-Alive", "Transfer-Encoding", "Proxy-Authenticate"})
            QVERIFY2(!ts::http::findHeader(f, gone), gone);
        QCOMPARE(header(f, "X-Kept"), std::string("1"));
        QCOMPARE(header(f, "Content-Length"), std::string("5")); // framing of the stored body
    }

    void onlyCompleteResponsesAreStored_3_3()
    {
        Harness h;
        Lookup l = h.ask(get("/p", {{"Range", "bytes=0-1"}}));
        QCOMPARE(
            h.answer(
                l,
                h.origin(206, {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/5"}}),
                "he"),
            std::string("not stored: 206 partial content; only complete responses are stored"));
        l = h.ask(get("/a"));
        h.plan = h.cache.onResponse(
            l, h.origin(200, {{"Cache-Control", "max-age=60"}, {"Content-Length", "10"}}), h.now,
            h.now);
        QVERIFY(h.plan.store);
        QCOMPARE(h.cache.complete(h.plan, "12345", true, h.now),
                 std::string("not stored: incomplete, 5 of 10 bytes"));
        l = h.ask(get("/a"));
        h.plan
            = h.cache.onResponse(l, h.origin(200, {{"Cache-Control", "max-age=60"}}), h.now, h.now);
        QCOMPARE(h.cache.complete(h.plan, "123", false, h.now),
                 std::string("not stored: the response broke off before its end"));
        QVERIFY(h.store.entries(h.now).empty());
    }

    void entryLimit()
    {
        Config c;
        c.maxEntryBytes = 4;
        Harness h(c);
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=60"}}, "hello"),
                 std::string("not stored: 5 bytes is over the per-entry limit of 4"));
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=60"}, {"Content-Length", "5"}}, "hello"),
                 std::string("not stored: Content-Length 5 is over the per-entry limit of 4"));
    }

    void staleOnArrivalWithoutValidatorIsNotStored()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=0"}}),
                 std::string("not stored: stale on arrival (max-age=0) and no validator to "
                             "revalidate it with"));
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=0"}, {"ETag", "\"1\""}}),
                 std::string("stored: max-age=0, shared cache, stale on arrival"));
    }

    // ---- ranges and HEAD (§3.3, §4; RFC 9110 §14, §9.3.2)

    void rangesServedFromCompleteEntries_rfc9110_14()
    {
        Harness h;
        h.prime(
            "/a",
            {{"Cache-Control", "max-age=60"}, {"Content-Type", "text/plain"}, {"ETag", "\"v1\""}},
            "0123456789");
        Lookup l = h.ask(get("/a", {{"Range", "bytes=2-5"}}));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.served.response.status, 206);
        QCOMPARE(header(l.served.response.fields, "Content-Range"), std::string("bytes 2-5/10"));
        QCOMPARE(header(l.served.response.fields, "Content-Length"), std::string("4"));
        QCOMPARE(text(l.served), std::string("2345"));
        QCOMPARE(l.trace, std::string("hit: fresh, age 0 s of max-age=60; range bytes 2-5/10"));
        l = h.ask(get("/a", {{"Range", "bytes=-3"}}));
        QCOMPARE(text(l.served), std::string("789"));
        // Unsatisfiable: 416 with the length.
        l = h.ask(get("/a", {{"Range", "bytes=10-"}}));
        QCOMPARE(l.served.response.status, 416);
        QCOMPARE(header(l.served.response.fields, "Content-Range"), std::string("bytes */10"));
        QVERIFY(!l.served.body);
        // Several ranges: declined, the server answers.
        l = h.ask(get("/a", {{"Range", "bytes=0-1, 4-5"}}));
        QCOMPARE(int(l.action), int(Action::Forward));
        QCOMPARE(l.fwd, std::string("request"));
        QCOMPARE(l.trace, std::string("forwarded: multiple ranges are not served from the cache"));
        // A bad Range or another unit is ignored: the whole body.
        l = h.ask(get("/a", {{"Range", "lines=1-2"}}));
        QCOMPARE(l.served.response.status, 200);
        QCOMPARE(text(l.served), std::string("0123456789"));
        // If-Range with another validator: the whole body (RFC 9110 §13.1.5).
        l = h.ask(get("/a", {{"Range", "bytes=0-1"}, {"If-Range", "\"v0\""}}));
        QCOMPARE(l.served.response.status, 200);
        l = h.ask(get("/a", {{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}}));
        QCOMPARE(l.served.response.status, 206);
    }

    void headServedFromGet_4()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=60"}}, "hello");
        const Lookup l = h.ask(get("/a", {}, "HEAD"));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.served.response.status, 200);
        QVERIFY(!l.served.body);
        QCOMPARE(header(l.served.response.fields, "Content-Length"), std::string("5"));
        // A HEAD response itself is not stored.
        Lookup m = h.ask(get("/b", {}, "HEAD"));
        QCOMPARE(
            h.answer(m, h.origin(200, {{"Cache-Control", "max-age=60"}})),
            std::string("not stored: only responses to GET are stored (HEAD is served from them)"));
    }

    void otherMethodsAreForwarded_4()
    {
        Harness h;
        const Lookup l = h.ask(get("/a", {}, "OPTIONS"));
        QCOMPARE(int(l.action), int(Action::Forward));
        QCOMPARE(l.fwd, std::string("method"));
        QCOMPARE(l.trace, std::string("forwarded: OPTIONS is not answered from the cache"));
        Request connect{"CONNECT", "", "example.com:443", "", "", {}};
        QCOMPARE(h.ask(connect).fwd, std::string("bypass"));
    }

    // ---- Vary (§4.1)

    void varySecondaryKeys_4_1()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}}, "gz",
                {{"Accept-Encoding", "gzip, br"}});
        QCOMPARE(
            h.prime("/a", {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}}, "plain"),
            std::string("stored: max-age=60, shared cache, Vary: accept-encoding"));
        QCOMPARE(h.store.size(), 2u);
        // Normalised: the same list spelt otherwise selects the gzip variant.
        Lookup l = h.ask(get("/a", {{"accept-encoding", "GZIP"}, {"Accept-Encoding", "br"}}));
        QCOMPARE(text(l.served), std::string("gz"));
        l = h.ask(get("/a"));
        QCOMPARE(text(l.served), std::string("plain"));
        l = h.ask(get("/a", {{"Accept-Encoding", "identity"}}));
        QCOMPARE(int(l.action), int(Action::Forward));
        QCOMPARE(l.fwd, std::string("vary-miss"));
        QCOMPARE(l.trace,
                 std::string("miss: 2 stored variant(s) differ in Vary: accept-encoding (§4.1)"));
        const auto rows = h.store.entries(h.now);
        QCOMPARE(rows[0].varyKey, std::string("accept-encoding=(absent)"));
        QCOMPARE(rows[1].varyKey, std::string("accept-encoding=gzip, br"));
    }

    void varyStarNeverMatches_4_1()
    {
        Harness h;
        QCOMPARE(h.prime("/a", {{"Cache-Control", "max-age=60"}, {"Vary", "*"}}),
                 std::string("not stored: Vary: * never matches a later request (§4.1)"));
    }

    // ---- request directives (§5.2.1)

    void requestMaxAge_5_2_1_1()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=600"}, {"ETag", "\"1\""}});
        h.now += 30;
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "max-age=60"}})).action),
                 int(Action::Serve));
        const Lookup l = h.ask(get("/a", {{"Cache-Control", "max-age=10"}}));
        QCOMPARE(int(l.action), int(Action::Validate));
        QCOMPARE(l.fwd, std::string("request"));
        QCOMPARE(l.trace, std::string("validating: request max-age=10 but age 30 s of max-age=600 "
                                      "(§5.2.1.1); If-None-Match: \"1\""));
    }

    void requestMinFresh_5_2_1_3()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=100"}, {"ETag", "\"1\""}});
        h.now += 50;
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "min-fresh=50"}})).action),
                 int(Action::Serve));
        const Lookup l = h.ask(get("/a", {{"Cache-Control", "min-fresh=51"}}));
        QCOMPARE(int(l.action), int(Action::Validate));
        QVERIFY(l.trace.find("min-fresh=51 but only 50 s fresh left (§5.2.1.3)")
                != std::string::npos);
    }

    void requestMaxStale_5_2_1_2()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=10"}, {"ETag", "\"1\""}});
        h.now += 40; // 30 s stale
        Lookup l = h.ask(get("/a", {{"Cache-Control", "max-stale=30"}}));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.trace,
                 std::string("served stale: request max-stale=30 allows 30 s stale (§5.2.1.2)"));
        QCOMPARE(l.cacheStatus.find("Tunnelscope; hit; ttl=-30"), 0u);
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "max-stale=29"}})).action),
                 int(Action::Validate));
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "max-stale"}})).action),
                 int(Action::Serve));
    }

    void onlyIfCached_5_2_1_7()
    {
        Harness h;
        const Fields oic{{"Cache-Control", "only-if-cached"}};
        Lookup l = h.ask(get("/a", oic));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.served.response.status, 504);
        QCOMPARE(l.trace, std::string("504: only-if-cached and miss: nothing stored for "
                                      "http://example.com/a (§5.2.1.7)"));
        QCOMPARE(l.cacheStatus, std::string("Tunnelscope; key=\"GET http://example.com/a\"; "
                                            "detail=\"only-if-cached\""));
        h.prime("/a", {{"Cache-Control", "max-age=10"}, {"ETag", "\"1\""}});
        QCOMPARE(h.ask(get("/a", oic)).served.response.status, 200);
        h.now += 20;
        l = h.ask(get("/a", oic));
        QCOMPARE(l.served.response.status, 504);
        QCOMPARE(l.trace,
                 std::string("504: only-if-cached, but stale: age 20 s of max-age=10 (§5.2.1.7)"));
    }

    void requestNoCacheAndPragma_5_2_1_4_and_5_4()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=600"}, {"ETag", "\"1\""}});
        Lookup l = h.ask(get("/a", {{"Cache-Control", "no-cache"}}));
        QCOMPARE(int(l.action), int(Action::Validate));
        QCOMPARE(l.trace.substr(0, 42), std::string("validating: request no-cache (§5.2.1.4); "));
        l = h.ask(get("/a", {{"Pragma", "no-cache"}}));
        QCOMPARE(int(l.action), int(Action::Validate));
        QVERIFY(l.trace.find("request Pragma: no-cache") != std::string::npos);
    }

    // ---- response directives (§5.2.2, RFC 8246)

    void responseNoCacheValidatesEveryTime_5_2_2_4()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "no-cache, max-age=600"}, {"ETag", "\"1\""}});
        const Lookup l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Validate));
        QCOMPARE(l.fwd, std::string("stale"));
        QVERIFY(l.trace.rfind("validating: response no-cache: validated on every use (§5.2.2.4)", 0)
                == 0);
    }

    void mustRevalidateAndProxyRevalidateForbidStale_5_2_2_2_and_5_2_2_8()
    {
        for (const char *cc :
             {"max-age=10, must-revalidate", "max-age=10, proxy-revalidate", "s-maxage=10"}) {
            Harness h;
            h.prime("/a", {{"Cache-Control", cc}, {"ETag", "\"1\""}});
            h.now += 20;
            const Lookup l = h.ask(get("/a", {{"Cache-Control", "max-stale"}}));
            QVERIFY2(l.action == Action::Validate, cc);
            QVERIFY2(l.trace.find("forbids serving it stale (§4.2.4)") != std::string::npos,
                     l.trace.c_str());
        }
    }

    void immutableSkipsReloadValidation_rfc8246()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=600, immutable"}, {"ETag", "\"1\""}});
        h.now += 10;
        const Lookup l = h.ask(get("/a", {{"Cache-Control", "max-age=0"}}));
        QCOMPARE(int(l.action), int(Action::Serve));
        QCOMPARE(l.trace, std::string("hit: fresh and immutable, a reload needs no validation "
                                      "(RFC 8246), age 10 s of max-age=600"));
        // A forced reload is the user overriding immutable (RFC 8246 §2.1).
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "no-cache"}})).action),
                 int(Action::Validate));
        h.now += 600; // stale: immutable no longer counts
        QCOMPARE(int(h.ask(get("/a", {{"Cache-Control", "max-age=0"}})).action),
                 int(Action::Validate));
    }

    // ---- validation (§4.3)

    void conditionalRequestAnd304Merge_4_3_1_and_4_3_4()
    {
        Harness h;
        h.prime("/a",
                {{"Cache-Control", "max-age=10"},
                 {"ETag", "\"v1\""},
                 {"Last-Modified", formatHttpDate(kT0 - 3600)},
                 {"X-Old", "1"},
                 {"Content-Type", "text/plain"}},
                "hello");
        h.now += 20;
        Lookup l = h.ask(get("/a", {{"If-None-Match", "\"client\""}, {"Range", "bytes=0-0"}}));
        QCOMPARE(int(l.action), int(Action::Validate));
        QCOMPARE(header(l.serverRequest.fields, "If-None-Match"), std::string("\"v1\""));
        QCOMPARE(header(l.serverRequest.fields, "If-Modified-Since"), formatHttpDate(kT0 - 3600));
        QVERIFY(!ts::http::findHeader(l.serverRequest.fields, "Range"));
        QCOMPARE(l.trace, "validating: stale: age 20 s of max-age=10; If-None-Match: \"v1\"; "
                          "If-Modified-Since: "
                              + formatHttpDate(kT0 - 3600));
        // The 304 refreshes the stored fields (not Content-Length) and the freshness.
        QCOMPARE(h.answer(l,
                          h.origin(304, {{"ETag", "\"v1\""},
                                         {"Cache-Control", "max-age=300"},
                                         {"X-Old", "2"},
                                         {"Content-Length", "0"},
                                         {"Connection", "close"}}),
                          "", 1),
                 std::string("revalidated: 304, headers merged (date, etag, cache-control, x-old), "
                             "selected by strong validator \"v1\" (§4.3.4)"));
        QCOMPARE(int(h.plan.action), int(Plan::Serve));
        const Served &s = h.plan.served;
        QCOMPARE(s.response.status, 206); // the client's range, from the refreshed entry
        QCOMPARE(text(s), std::string("h"));
        QCOMPARE(header(s.response.fields, "Cache-Status"),
                 // The 304 took 1 s: corrected_initial_age = 1 (§4.2.3), so 299 s are left.
                 std::string("Tunnelscope; fwd=stale; fwd-status=304; ttl=299; key=\"GET "
                             "http://example.com/a\""));
        const Fields f = h.store.entries(h.now)[0].entry->response.fields;
        QCOMPARE(header(f, "X-Old"), std::string("2"));
        QCOMPARE(header(f, "Content-Length"), std::string("5"));
        QCOMPARE(header(f, "Content-Type"), std::string("text/plain"));
        QVERIFY(!ts::http::findHeader(f, "Connection"));
        h.now += 100;
        l = h.ask(get("/a"));
        QCOMPARE(l.trace, std::string("hit: fresh, age 101 s of max-age=300"));
    }

    void clientConditionalAnsweredFromTheCache_4_3_2()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=60"},
                       {"ETag", "W/\"v1\""},
                       {"Last-Modified", formatHttpDate(kT0 - 100)},
                       {"Content-Type", "text/plain"}});
        Lookup l = h.ask(get("/a", {{"If-None-Match", "\"x\", \"v1\""}}));
        QCOMPARE(l.served.response.status, 304);
        QVERIFY(!l.served.body);
        QVERIFY(!ts::http::findHeader(l.served.response.fields, "Content-Type"));
        QCOMPARE(header(l.served.response.fields, "ETag"), std::string("W/\"v1\""));
        QCOMPARE(
            l.trace,
            std::string(
                "hit: fresh, age 0 s of max-age=60; 304 to the client's own conditional request"));
        QCOMPARE(h.ask(get("/a", {{"If-None-Match", "\"x\""}})).served.response.status, 200);
        QCOMPARE(h.ask(get("/a", {{"If-Modified-Since", formatHttpDate(kT0 - 50)}}))
                     .served.response.status,
                 304);
        QCOMPARE(h.ask(get("/a", {{"If-Modified-Since", formatHttpDate(kT0 - 500)}}))
                     .served.response.status,
                 200);
    }

    void notModifiedSelection_4_3_4()
    {
        // Weak validator: the most recent of the matches.
        {
            Harness h;
            h.prime("/a", {{"Cache-Control", "max-age=1"}, {"Vary", "X-V"}, {"ETag", "W/\"w\""}},
                    "one", {{"X-V", "1"}});
            h.now += 5;
            h.prime("/a", {{"Cache-Control", "max-age=1"}, {"Vary", "X-V"}, {"ETag", "W/\"w\""}},
                    "two", {{"X-V", "2"}});
            h.now += 5;
            Lookup l = h.ask(get("/a", {{"X-V", "1"}}));
            QCOMPARE(header(l.serverRequest.fields, "If-None-Match"), std::string("W/\"w\""));
            QVERIFY(!ts::http::findHeader(l.serverRequest.fields,
                                          "If-Modified-Since")); // two responses
            h.answer(l, h.origin(304, {{"ETag", "W/\"w\""}, {"Cache-Control", "max-age=60"}}));
            QVERIFY(h.plan.trace.find("selected by weak validator W/\"w\"") != std::string::npos);
            // §4.3.4 selects the most recent with the validator ("two"); the 304 says that
            // representation is the one for this request too, so that is what is served, and
            // "one" stays stale.
            QCOMPARE(text(h.plan.served), std::string("two"));
            const auto rows = h.store.entries(h.now);
            QCOMPARE(rows.size(), 2u);
            QCOMPARE(int(rows[0].fresh) + int(rows[1].fresh), 1);
        }
        // Last-Modified only.
        {
            Harness h;
            const std::string lm = formatHttpDate(kT0 - 1000);
            h.prime("/a", {{"Cache-Control", "max-age=1"}, {"Last-Modified", lm}});
            h.now += 5;
            Lookup l = h.ask(get("/a"));
            QCOMPARE(header(l.serverRequest.fields, "If-Modified-Since"), lm);
            h.answer(l, h.origin(304, {{"Last-Modified", lm}, {"Cache-Control", "max-age=60"}}));
            QCOMPARE(int(h.plan.action), int(Plan::Serve));
            QVERIFY(h.plan.trace.find("selected by Last-Modified") != std::string::npos);
        }
        // A 304 for something else: nothing selected, ask again without validators.
        {
            Harness h;
            h.prime("/a", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}});
            h.now += 5;
            Lookup l = h.ask(get("/a"));
            h.answer(l, h.origin(304, {{"ETag", "\"v2\""}}));
            QCOMPARE(int(h.plan.action), int(Plan::Retry));
            QCOMPARE(
                h.plan.trace,
                std::string(
                    "304 matches no stored response (§4.3.4); asking again without validators"));
            QVERIFY(!ts::http::findHeader(h.plan.serverRequest.fields, "If-None-Match"));
        }
    }

    void fullResponseToValidationReplaces_4_3_3()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}}, "old");
        h.now += 5;
        const Lookup l = h.ask(get("/a"));
        QCOMPARE(h.answer(l, h.origin(200, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v2\""}}),
                          "new"),
                 std::string("revalidated: 200, a new response; stored: max-age=60, shared cache"));
        QCOMPARE(h.store.size(), 1u);
        QCOMPARE(text(h.ask(get("/a")).served), std::string("new"));
    }

    void headFreshensOrInvalidates_4_3_5()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}}, "body");
        h.now += 5;
        Lookup l = h.ask(get("/a", {}, "HEAD"));
        QCOMPARE(int(l.action), int(Action::Validate));
        QCOMPARE(l.serverRequest.method, std::string("HEAD"));
        h.answer(l, h.origin(200, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}));
        QCOMPARE(
            h.plan.trace,
            std::string("freshened by HEAD: headers merged (date, cache-control, etag) (§4.3.5)"));
        QCOMPARE(text(h.ask(get("/a")).served), std::string("body"));
        h.now += 100;
        l = h.ask(get("/a", {}, "HEAD"));
        h.answer(l, h.origin(200, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v2\""}}));
        QCOMPARE(h.plan.trace,
                 std::string(
                     "invalidated: the HEAD response describes another representation (§4.3.5)"));
        QCOMPARE(h.store.size(), 0u);
    }

    // ---- RFC 5861

    void staleWhileRevalidate_rfc5861_3()
    {
        Harness h;
        h.prime("/a",
                {{"Cache-Control", "max-age=10, stale-while-revalidate=30"}, {"ETag", "\"v1\""}},
                "old");
        h.now += 25; // 15 s stale, inside the window
        Lookup l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Serve));
        QVERIFY(l.revalidate);
        QCOMPARE(l.trace,
                 std::string("served stale: stale-while-revalidate 30 s window, 15 s stale; "
                             "revalidating in the background (RFC 5861 §3)"));
        QCOMPARE(text(l.served), std::string("old"));
        QCOMPARE(header(l.serverRequest.fields, "If-None-Match"), std::string("\"v1\""));
        QCOMPARE(l.cacheStatus,
                 std::string("Tunnelscope; hit; ttl=-15; key=\"GET http://example.com/a\"; "
                             "detail=\"stale-while-revalidate\""));
        h.answer(l, h.origin(304, {{"ETag", "\"v1\""},
                                   {"Cache-Control", "max-age=10, stale-while-revalidate=30"}}));
        QCOMPARE(int(h.plan.action), int(Plan::Pass));
        QVERIFY(h.plan.trace.rfind("revalidated in the background: 304, headers merged", 0) == 0);
        QCOMPARE(h.ask(get("/a")).trace, std::string("hit: fresh, age 0 s of max-age=10"));
        // Past the window: validated in the foreground.
        h.now += 50;
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Validate));
    }

    void staleIfError_rfc5861_4()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=10, stale-if-error=60"}, {"ETag", "\"v1\""}},
                "old");
        h.now += 30;
        Lookup l = h.ask(get("/a"));
        QCOMPARE(int(l.action), int(Action::Validate));
        h.answer(l, h.origin(503, {}));
        QCOMPARE(int(h.plan.action), int(Plan::Serve));
        QCOMPARE(h.plan.trace, std::string("served stale: stale-if-error 60 s window, the server "
                                           "answered 503 (RFC 5861 §4)"));
        QCOMPARE(text(h.plan.served), std::string("old"));
        QCOMPARE(header(h.plan.served.response.fields, "Cache-Status"),
                 std::string("Tunnelscope; fwd=stale; fwd-status=503; ttl=-20; key=\"GET "
                             "http://example.com/a\"; "
                             "detail=\"stale-if-error\""));
        // No answer at all.
        const ResponsePlan p = h.cache.onServerError(l, "connection refused", h.now);
        QCOMPARE(int(p.action), int(Plan::Serve));
        QCOMPARE(p.trace,
                 std::string("served stale: stale-if-error 60 s window, the server failed: "
                             "connection refused (RFC 5861 §4)"));
        // A 404 is no error in this sense; past the window nothing stands in.
        h.answer(h.ask(get("/a")), h.origin(404, {}));
        QCOMPARE(int(h.plan.action), int(Plan::Pass));
        h.prime("/b", {{"Cache-Control", "max-age=10, stale-if-error=60"}, {"ETag", "\"v1\""}});
        h.now += 100;
        const ResponsePlan late = h.cache.onServerError(h.ask(get("/b")), "timeout", h.now);
        QCOMPARE(int(late.action), int(Plan::Pass));
        QCOMPARE(late.trace, std::string("no stored response may stand in: timeout"));
    }

    void staleIfErrorFromTheRequestAndNotOverMustRevalidate_rfc5861_4()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}});
        h.now += 30;
        Lookup l = h.ask(get("/a", {{"Cache-Control", "stale-if-error=100"}}));
        QCOMPARE(int(h.cache.onServerError(l, "refused", h.now).action), int(Plan::Serve));
        h.prime("/m", {{"Cache-Control", "max-age=10, must-revalidate, stale-if-error=100"},
                       {"ETag", "\"v1\""}});
        h.now += 30;
        l = h.ask(get("/m"));
        QCOMPARE(int(h.cache.onServerError(l, "refused", h.now).action), int(Plan::Pass));
    }

    // ---- invalidation (§4.4)

    void unsafeMethodsInvalidate_4_4()
    {
        Harness h;
        for (const char *p : {"/a", "/new", "/c", "/x"})
            h.prime(p, {{"Cache-Control", "max-age=600"}});
        Lookup l = h.ask(get("/a", {}, "POST"));
        QCOMPARE(l.trace, std::string("forwarded: POST is not answered from the cache; a success "
                                      "invalidates http://example.com/a (§4.4)"));
        QCOMPARE(h.answer(l, h.origin(201, {{"Location", "/new"},
                                            {"Content-Location", "http://other.org/c"}})),
                 std::string("invalidated: POST answered 201; 2 stored response(s) removed for "
                             "http://example.com/a, http://example.com/new (§4.4)"));
        QCOMPARE(header(h.plan.response.fields, "Cache-Status"),
                 std::string("Tunnelscope; fwd=method; fwd-status=201"));
        QCOMPARE(h.store.size(), 2u);
        // An error does not invalidate.
        l = h.ask(get("/c", {}, "DELETE"));
        QCOMPARE(h.answer(l, h.origin(500, {})), l.trace);
        QCOMPARE(h.store.size(), 2u);
        // Unknown methods count as unsafe.
        l = h.ask(get("/x", {}, "PURGEME"));
        h.answer(l, h.origin(200, {}));
        QCOMPARE(h.store.size(), 1u);
    }

    // ---- CDN-Cache-Control (RFC 9213)

    void cdnCacheControlForACdnRole_rfc9213()
    {
        Config cdn;
        cdn.targetedFields = {"CDN-Cache-Control"};
        Harness h(cdn);
        QCOMPARE(
            h.prime("/a", {{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}}),
            std::string("stored: max-age=60, shared cache, directives from CDN-Cache-Control"));
        QCOMPARE(
            h.prime("/b", {{"Cache-Control", "max-age=60"}, {"CDN-Cache-Control", "no-store"}}),
            std::string("not stored: no-store in CDN-Cache-Control"));
        Harness plain;
        QCOMPARE(
            plain.prime("/a", {{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}}),
            std::string("not stored: no-store (§5.2.2.5)"));
    }

    void bodiesGoWhereTheConfigSays()
    {
        // A body kept elsewhere (on disk, later) costs the memory budget only what it says.
        struct Elsewhere final : StoredBody
        {
            explicit Elsewhere(std::string d) : data(std::move(d)) {}
            std::uint64_t size() const override { return data.size(); }
            std::string read(std::uint64_t offset, std::uint64_t length) const override
            {
                return data.substr(offset, length);
            }
            std::uint64_t memoryBytes() const override { return 0; }
            std::string data;
        };
        Config c;
        int made = 0;
        c.bodyStore = [&made](const StoredResponse &, std::string body) {
            ++made;
            return std::make_shared<Elsewhere>(std::move(body));
        };
        Harness h(c);
        h.prime("/a", {{"Cache-Control", "max-age=60"}}, std::string(1000, 'x'));
        QCOMPARE(made, 1);
        QVERIFY(h.store.bytes() < 1000);
        const Lookup l = h.ask(get("/a", {{"Range", "bytes=998-"}}));
        QCOMPARE(text(l.served), std::string("xx"));
    }

    void oneCacheSharedByWorkerThreads()
    {
        // The engine keeps no state of its own; the store's shards take the locks. Four threads
        // miss, store, hit, validate and invalidate on overlapping URIs at once.
        Store store(256 << 10, 16);
        Cache cache({}, store);
        std::atomic<int> hits{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 1500; ++i) {
                    const Seconds now = kT0 + i / 10;
                    const std::string path = "/" + std::to_string((i * 13 + t) % 50);
                    const Request r = get(path, {}, i % 97 == 0 ? "PUT" : "GET");
                    const Lookup l = cache.lookup(r, now);
                    if (l.action == Lookup::Action::Serve && !l.revalidate) {
                        ++hits;
                        continue;
                    }
                    const int status = l.validating ? 304 : 200;
                    Response resp{status,
                                  "",
                                  {{"Date", formatHttpDate(now)},
                                   {"Cache-Control", "max-age=5"},
                                   {"ETag", "\"" + path + "\""}}};
                    ResponsePlan p = cache.onResponse(l, resp, now, now);
                    cache.complete(p, std::string(static_cast<std::size_t>(i % 300), 'x'), true,
                                   now);
                }
            });
        }
        for (auto &th : threads)
            th.join();
        QVERIFY(hits > 0);
        QVERIFY(store.bytes() <= store.budget());
        std::uint64_t sum = 0;
        for (const EntryInfo &i : store.entries(kT0))
            sum += i.entry->bytes();
        QCOMPARE(sum, store.bytes());
    }

    // ---- purges through the store

    void purgesAndThePane()
    {
        Harness h;
        h.prime("/a", {{"Cache-Control", "max-age=60"}, {"ETag", "\"1\""}});
        h.prime("/b",
                {{"Cache-Control", "max-age=60"}, {"Last-Modified", formatHttpDate(kT0 - 10)}});
        h.now += 70;
        auto rows = h.store.entries(h.now);
        QCOMPARE(rows.size(), 2u);
        QCOMPARE(rows[0].etag, std::string("\"1\""));
        QCOMPARE(rows[1].lastModified, formatHttpDate(kT0 - 10));
        QVERIFY(!rows[0].fresh);
        QCOMPARE(rows[0].age, 70);
        QCOMPARE(h.store.eraseIf([](const EntryInfo &i) { return !i.fresh; }, h.now), 2u);
        QCOMPARE(int(h.ask(get("/a")).action), int(Action::Forward));
    }
};

QTEST_APPLESS_MAIN(CacheTest)
#include "cache_test.moc"
