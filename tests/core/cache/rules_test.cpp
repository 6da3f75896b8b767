// The rules the cache engine is built from: freshness (RFC 9111 §4.2), age (§4.2.3), Vary
// (§4.1), validators, header updates (§3.2), ranges (RFC 9110 §14), keys and Cache-Status.
#include "core/cache/rules.h"

#include <QTest>

using namespace ts::cache;
using ts::http::Fields;
using ts::http::Request;
using ts::http::Response;

namespace {
constexpr Seconds kNow = 1700000000;
Response response(int status, Fields fields)
{
    return Response{status, "", std::move(fields)};
}
Freshness lifetime(const Response &r, std::vector<std::string> *notesOut = nullptr)
{
    std::vector<std::string> notes;
    const auto f = freshnessLifetime(r, responseCacheControl(r.fields, {}), kNow, {}, notes);
    if (notesOut)
        *notesOut = notes;
    return f;
}
} // namespace

class RulesTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sMaxAgeThenMaxAgeThenExpires_4_2_1()
    {
        const std::string date = formatHttpDate(kNow);
        const std::string expires = formatHttpDate(kNow + 300);
        auto f = lifetime(response(
            200,
            {{"Cache-Control", "max-age=60, s-maxage=120"}, {"Date", date}, {"Expires", expires}}));
        QCOMPARE(f.lifetime, 120);
        QCOMPARE(f.source, std::string("s-maxage=120"));
        f = lifetime(
            response(200, {{"Cache-Control", "max-age=60"}, {"Date", date}, {"Expires", expires}}));
        QCOMPARE(f.source, std::string("max-age=60"));
        f = lifetime(response(200, {{"Date", date}, {"Expires", expires}}));
        QCOMPARE(f.lifetime, 300);
        QCOMPARE(f.source, std::string("Expires - Date = 5 min"));
        // Without Date, the time the response arrived stands in (RFC 9110 §6.6.1).
        QCOMPARE(lifetime(response(200, {{"Expires", expires}})).lifetime, 300);
        // An Expires before Date is no freshness at all.
        QCOMPARE(lifetime(response(200, {{"Date", date}, {"Expires", formatHttpDate(kNow - 5)}}))
                     .lifetime,
                 0);
    }

    void invalidFreshnessIsStale_4_2_1_and_5_3()
    {
        std::vector<std::string> notes;
        auto f = lifetime(response(
            200, {{"Cache-Control", "max-age=abc"}, {"Expires", formatHttpDate(kNow + 60)}}));
        QCOMPARE(f.lifetime, 0);
        QCOMPARE(f.source, std::string("invalid max-age: stale (§4.2.1)"));
        f = lifetime(response(200, {{"Expires", "0"}}), &notes);
        QCOMPARE(f.lifetime, 0);
        QCOMPARE(notes.size(), std::size_t(1));
        QVERIFY(notes[0].find("invalid: Expires \"0\"") == 0);
        f = lifetime(response(200, {{"Expires", formatHttpDate(kNow + 60)},
                                    {"Expires", formatHttpDate(kNow + 600)}}),
                     &notes);
        QCOMPARE(f.lifetime, 60);
        QVERIFY(notes[0].find("duplicate: Expires") == 0);
    }

    void heuristicTenPercentOfLastModifiedCapped_4_2_2()
    {
        const std::string date = formatHttpDate(kNow);
        auto f = lifetime(
            response(200, {{"Date", date}, {"Last-Modified", formatHttpDate(kNow - 5 * 86400)}}));
        QVERIFY(f.heuristic);
        QCOMPARE(f.lifetime, 43200);
        QCOMPARE(f.source, std::string("heuristic 12 h: 10% of 5 d since Last-Modified (§4.2.2)"));
        f = lifetime(
            response(200, {{"Date", date}, {"Last-Modified", formatHttpDate(kNow - 100 * 86400)}}));
        QCOMPARE(f.lifetime, 86400);
        QVERIFY(f.source.find("capped") != std::string::npos);
        // Only for heuristically cacheable statuses, and never over explicit freshness.
        QCOMPARE(lifetime(response(404, {{"Date", date},
                                         {"Last-Modified", formatHttpDate(kNow - 86400)}}))
                     .lifetime,
                 8640);
        f = lifetime(
            response(302, {{"Date", date}, {"Last-Modified", formatHttpDate(kNow - 86400)}}));
        QCOMPARE(f.lifetime, 0);
        QVERIFY(!f.heuristic);
        QCOMPARE(lifetime(response(200, {{"Cache-Control", "max-age=1"},
                                         {"Last-Modified", formatHttpDate(kNow - 86400)}}))
                     .lifetime,
                 1);
        // A Last-Modified after Date gives nothing.
        QCOMPARE(
            lifetime(response(200, {{"Date", date}, {"Last-Modified", formatHttpDate(kNow + 50)}}))
                .lifetime,
            0);
    }

    void heuristicallyCacheableStatuses_rfc9110_15_1()
    {
        for (int s : {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
            QVERIFY(heuristicallyCacheable(s));
        for (int s : {201, 302, 303, 307, 400, 403, 500, 502, 503})
            QVERIFY(!heuristicallyCacheable(s));
        QVERIFY(statusUnderstood(200) && statusUnderstood(451) && !statusUnderstood(299));
        QVERIFY(!statusUnderstood(100));
    }

    void ageCalculation_4_2_3()
    {
        // apparent_age = max(0, response_time - date_value) = 50
        // corrected_age_value = age_value + response_delay = 10 + 4 = 14
        // corrected_initial_age = max(50, 14) = 50
        const Fields f{{"Date", formatHttpDate(kNow - 50)}, {"Age", "10"}};
        QCOMPARE(correctedInitialAge(f, kNow - 4, kNow), 50);
        // Age wins when the clock skew is smaller: max(5, 100 + 4) = 104.
        const Fields g{{"Date", formatHttpDate(kNow - 5)}, {"Age", "100"}};
        QCOMPARE(correctedInitialAge(g, kNow - 4, kNow), 104);
        // A Date in the future gives no negative apparent age.
        const Fields h{{"Date", formatHttpDate(kNow + 500)}};
        QCOMPARE(correctedInitialAge(h, kNow - 2, kNow), 2);
    }

    void ageFieldFirstMemberInvalidIgnored_5_1()
    {
        QCOMPARE(ageValue({{"Age", "30, 40"}}), std::optional<std::int64_t>(30));
        QCOMPARE(ageValue({{"Age", "-3"}}), std::nullopt);
        QCOMPARE(ageValue({{"Age", "abc"}}), std::nullopt);
        QCOMPARE(ageValue({{"Age", "99999999999999999999"}}),
                 std::optional<std::int64_t>(kDeltaSecondsMax));
        QCOMPARE(ageValue({}), std::nullopt);
    }

    void varyNormalisesValues_4_1()
    {
        const auto names = varyNames(
            {{"Vary", "Accept-Encoding, accept-language"}, {"Vary", "ACCEPT-ENCODING"}});
        QCOMPARE(names, (std::vector<std::string>{"accept-encoding", "accept-language"}));
        QCOMPARE(varyNames({{"Vary", "a, *"}}), (std::vector<std::string>{"*"}));
        const VaryKey key = varyKey(names, {{"Accept-Encoding", "gzip,BR"}});
        QCOMPARE(formatVaryKey(key),
                 std::string("accept-encoding=gzip, br; accept-language=(absent)"));
        // Same semantics, other spelling: lines split or joined, whitespace, case of codings.
        QVERIFY(varyMatches(key, {{"accept-encoding", "gzip"}, {"Accept-Encoding", " br "}}));
        QVERIFY(!varyMatches(key, {{"Accept-Encoding", "br, gzip"}})); // order can matter
        QVERIFY(!varyMatches(key, {{"Accept-Encoding", "gzip, br"}, {"Accept-Language", "de"}}));
        // Absent only matches absent; empty is present.
        const VaryKey absent = varyKey({"x-a"}, {});
        QVERIFY(varyMatches(absent, {}));
        QVERIFY(!varyMatches(absent, {{"X-A", ""}}));
        QVERIFY(!varyMatches(varyKey({"*"}, {}), {}));
        QCOMPARE(normalisedFieldValue({{"Accept", "text/html ;q=0.9"}}, "accept"),
                 std::optional<std::string>("text/html;q=0.9"));
    }

    void entityTagComparison_rfc9110_8_8_3_2()
    {
        QVERIFY(strongCompare("\"1\"", "\"1\""));
        QVERIFY(!strongCompare("W/\"1\"", "\"1\""));
        QVERIFY(weakCompare("W/\"1\"", "\"1\""));
        QVERIFY(!weakCompare("\"1\"", "\"2\""));
        const std::string etag = "\"b\"";
        QVERIFY(noneMatchMatches("\"a\", W/\"b\"", &etag));
        QVERIFY(noneMatchMatches("*", &etag));
        QVERIFY(!noneMatchMatches("*", nullptr));
        QVERIFY(!noneMatchMatches("\"c\"", &etag));
    }

    void headerUpdateSkipsUnstorableAndContentLength_3_2()
    {
        Fields stored{{"Content-Length", "10"},
                      {"ETag", "\"1\""},
                      {"Cache-Control", "max-age=1"},
                      {"X-Old", "a"},
                      {"X-Old", "b"}};
        const auto names = mergeFields(stored, {{"Cache-Control", "max-age=60"},
                                                {"Content-Length", "0"},
                                                {"Connection", "close, X-Hop"},
                                                {"X-Hop", "1"},
                                                {"X-Old", "c"},
                                                {"Keep-Alive", "timeout=5"}});
        QCOMPARE(names, (std::vector<std::string>{"cache-control", "x-old"}));
        QCOMPARE(stored, (Fields{{"Content-Length", "10"},
                                 {"ETag", "\"1\""},
                                 {"Cache-Control", "max-age=60"},
                                 {"X-Old", "c"}}));
    }

    void unstorableFields_3_1()
    {
        Fields f{{"Connection", "X-Named"},
                 {"X-Named", "1"},
                 {"Keep-Alive", "5"},
                 {"Transfer-Encoding", "chunked"},
                 {"Proxy-Authenticate", "Basic"},
                 {"Proxy-Authentication-Info", "x"},
                 {"TE", "trailers"},
                 {"Upgrade", "h2c"},
                 {"Content-Type", "text/plain"}};
        removeUnstorable(f);
        QCOMPARE(f, (Fields{{"Content-Type", "text/plain"}}));
    }

    void byteRanges_rfc9110_14()
    {
        auto r = parseRange("bytes=0-3", 10);
        QCOMPARE(int(r.kind), int(RangeRequest::Single));
        QCOMPARE(r.first, 0u);
        QCOMPARE(r.last, 3u);
        r = parseRange("bytes=5-", 10);
        QCOMPARE(r.first, 5u);
        QCOMPARE(r.last, 9u);
        r = parseRange("bytes=-4", 10);
        QCOMPARE(r.first, 6u);
        QCOMPARE(r.last, 9u);
        r = parseRange("bytes=-40", 10);
        QCOMPARE(r.first, 0u);
        r = parseRange("bytes=8-100", 10);
        QCOMPARE(r.last, 9u);
        QCOMPARE(int(parseRange("bytes=10-", 10).kind), int(RangeRequest::Unsatisfiable));
        QCOMPARE(int(parseRange("bytes=-0", 10).kind), int(RangeRequest::Unsatisfiable));
        QCOMPARE(int(parseRange("bytes=0-1, 4-5", 10).kind), int(RangeRequest::Multiple));
        for (const char *bad :
             {"items=0-1", "bytes=", "bytes=a-b", "bytes=5-1", "bytes=-", "bytes 0-1"})
            QCOMPARE(int(parseRange(bad, 10).kind), int(RangeRequest::Ignore));
    }

    void targetUrisAndKeys_2()
    {
        Request r{"GET", "HTTPS", "Example.COM:443", "/a?b", "", {}};
        QCOMPARE(targetUri(r), std::string("https://example.com/a?b"));
        r = Request{"GET", "http", "example.com:8080", "", "", {}};
        QCOMPARE(targetUri(r), std::string("http://example.com:8080/"));
        QCOMPARE(targetUri(Request{"CONNECT", "", "example.com:443", "", "", {}}), std::string());
        QCOMPARE(primaryKey("HEAD", "http://a/"), std::string("GET http://a/"));
        QCOMPARE(primaryKey("GET", "http://a/"), std::string("GET http://a/"));
    }

    void locationReferences_rfc3986_5_2()
    {
        const std::string base = "https://example.com/dir/page?q=1";
        QCOMPARE(resolveReference(base, "/x"), std::string("https://example.com/x"));
        QCOMPARE(resolveReference(base, "y"), std::string("https://example.com/dir/y"));
        QCOMPARE(resolveReference(base, "?z"), std::string("https://example.com/dir/page?z"));
        QCOMPARE(resolveReference(base, "//other.org/p"), std::string("https://other.org/p"));
        QCOMPARE(resolveReference(base, "HTTPS://EXAMPLE.com:443/k#frag"),
                 std::string("https://example.com/k"));
        QCOMPARE(originOf("https://example.com/k"), std::string("https://example.com"));
        QCOMPARE(resolveReference(base, ""), std::string());
    }

    void cacheStatusMembers_rfc9211_2()
    {
        CacheStatus s;
        s.cache = "Tunnelscope";
        s.hit = true;
        s.ttl = -5;
        s.key = "GET http://a/\"q\"";
        QCOMPARE(s.member(),
                 std::string("Tunnelscope; hit; ttl=-5; key=\"GET http://a/\\\"q\\\"\""));
        CacheStatus f;
        f.cache = "Tunnelscope";
        f.fwd = "uri-miss";
        f.fwdStatus = 200;
        f.stored = true;
        f.ttl = 600;
        f.detail = "x";
        QCOMPARE(f.member(),
                 std::string(
                     "Tunnelscope; fwd=uri-miss; fwd-status=200; stored; ttl=600; detail=\"x\""));
        Fields fields{{"Cache-Status", "Origin; hit"}};
        appendCacheStatus(fields, "Tunnelscope; hit");
        QCOMPARE(fields, (Fields{{"Cache-Status", "Origin; hit, Tunnelscope; hit"}}));
    }

    void durationsForPeople()
    {
        QCOMPARE(formatDuration(30), std::string("30 s"));
        QCOMPARE(formatDuration(600), std::string("10 min"));
        QCOMPARE(formatDuration(650), std::string("10 min 50 s"));
        QCOMPARE(formatDuration(7500), std::string("2 h 5 min"));
        QCOMPARE(formatDuration(5 * 86400), std::string("5 d"));
        QCOMPARE(formatDuration(-30), std::string("-30 s"));
    }
};

QTEST_APPLESS_MAIN(RulesTest)
#include "rules_test.moc"
