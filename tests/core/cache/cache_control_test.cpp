// Cache-Control (RFC 9111 §5.2) and CDN-Cache-Control (RFC 9213): directives, and a note for
// every odd input.
#include "core/cache/cache_control.h"

#include <QTest>

using namespace ts::cache;
using ts::http::Fields;

namespace {
bool noted(const CacheControl &cc, std::string_view text)
{
    for (const std::string &d : cc.diagnostics) {
        if (d.find(text) != std::string::npos)
            return true;
    }
    return false;
}
std::string all(const CacheControl &cc)
{
    std::string s;
    for (const auto &d : cc.diagnostics)
        s += d + " | ";
    return s;
}
} // namespace

class CacheControlTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void responseDirectives_5_2_2()
    {
        const auto cc = parseCacheControl(
            "public, max-age=60, s-maxage=120, must-revalidate, proxy-revalidate, no-transform, "
            "immutable, must-understand, no-store, stale-while-revalidate=30, stale-if-error=300",
            Role::Response);
        QVERIFY(cc.isPublic && cc.mustRevalidate && cc.proxyRevalidate && cc.noTransform);
        QVERIFY(cc.immutable && cc.mustUnderstand && cc.noStore);
        QCOMPARE(cc.maxAge.value, 60);
        QCOMPARE(cc.sMaxAge.value, 120);
        QCOMPARE(cc.staleWhileRevalidate.value, 30);
        QCOMPARE(cc.staleIfError.value, 300);
        QVERIFY2(cc.diagnostics.empty(), all(cc).c_str());
    }

    void requestDirectives_5_2_1()
    {
        const auto cc = parseCacheControl(
            "max-age=0, max-stale, min-fresh=10, no-cache, no-store, only-if-cached, "
            "stale-if-error=5",
            Role::Request);
        QVERIFY(cc.maxAge.usable() && cc.maxAge.value == 0);
        QVERIFY(cc.maxStale && !cc.maxStaleValue.present);
        QCOMPARE(cc.minFresh.value, 10);
        QVERIFY(cc.noCache && cc.noStore && cc.onlyIfCached);
        QCOMPARE(cc.staleIfError.value, 5);
        const auto bounded = parseCacheControl("max-stale=30", Role::Request);
        QVERIFY(bounded.maxStale && bounded.maxStaleValue.value == 30);
        // Response-only directives mean nothing in a request.
        const auto odd = parseCacheControl("s-maxage=5, private", Role::Request);
        QVERIFY(!odd.sMaxAge.present && !odd.isPrivate);
        QVERIFY(noted(odd, "unknown request directive s-maxage"));
    }

    void namesAreCaseInsensitiveAndEmptyElementsAllowed_5_2()
    {
        const auto cc = parseCacheControl(" ,MAX-AGE=5 ,, No-Store,", Role::Response);
        QCOMPARE(cc.maxAge.value, 5);
        QVERIFY(cc.noStore);
        QVERIFY2(cc.diagnostics.empty(), all(cc).c_str());
    }

    void quotedArgumentsAreAcceptedAndNoted_5_2()
    {
        const auto cc = parseCacheControl("max-age=\"60\"", Role::Response);
        QVERIFY(cc.maxAge.usable());
        QCOMPARE(cc.maxAge.value, 60);
        QVERIFY(noted(cc, "quoted value"));
        // A quoted string may hold commas and escapes.
        const auto q = parseCacheControl("private=\"Set-Cookie, X-A\", ext=\"a\\\"b,c\", max-age=1",
                                         Role::Response);
        QCOMPARE(q.privateFields, (std::vector<std::string>{"set-cookie", "x-a"}));
        QVERIFY(!q.isPrivate);
        QCOMPARE(q.maxAge.value, 1);
    }

    void duplicatesKeepTheFirst_4_2_1()
    {
        const auto cc = parseCacheControl("max-age=10, max-age=600", Role::Response);
        QCOMPARE(cc.maxAge.value, 10);
        QVERIFY(noted(cc, "duplicate: max-age"));
    }

    void invalidValuesAreInvalidAndNoted_4_2_1()
    {
        for (const char *v : {"max-age=abc", "max-age=-1", "max-age", "max-age=", "max-age=1.5"}) {
            const auto cc = parseCacheControl(v, Role::Response);
            QVERIFY2(cc.maxAge.present && !cc.maxAge.valid, v);
            QVERIFY2(!cc.diagnostics.empty(), v);
        }
    }

    void hugeDeltaSecondsIsTwoToThe31_1_2_2()
    {
        const auto cc = parseCacheControl("max-age=99999999999999999999999", Role::Response);
        QVERIFY(cc.maxAge.usable());
        QCOMPARE(cc.maxAge.value, kDeltaSecondsMax);
        QVERIFY(noted(cc, "2^31"));
    }

    void unknownExtensionsAreIgnoredAndNoted_5_2_3()
    {
        const auto cc = parseCacheControl("community=\"UCI\", max-age=5, x-foo", Role::Response);
        QCOMPARE(cc.maxAge.value, 5);
        QVERIFY(noted(cc, "unknown response directive community"));
        QVERIFY(noted(cc, "unknown response directive x-foo"));
    }

    void syntaxErrorsSkipToTheNextComma()
    {
        const auto cc
            = parseCacheControl("max-age=5 x, @bad, no-store, private=\"open", Role::Response);
        QVERIFY(!cc.maxAge.present); // "max-age=5 x" is not a directive
        QVERIFY(cc.noStore);
        QVERIFY(!cc.isPrivate);
        QVERIFY(noted(cc, "after max-age"));
        QVERIFY(noted(cc, "'@'"));
        QVERIFY(noted(cc, "unterminated"));
    }

    void argumentsWhereNoneBelongAreNoted()
    {
        const auto cc = parseCacheControl("no-store=1, must-revalidate=\"x\"", Role::Response);
        QVERIFY(cc.noStore && cc.mustRevalidate);
        QVERIFY(noted(cc, "argument of no-store"));
    }

    void qualifiedNoCacheCountsAsUnqualified_5_2_2_4()
    {
        const auto cc = parseCacheControl("no-cache=\"Set-Cookie\"", Role::Response);
        QVERIFY(cc.noCache);
        QCOMPARE(cc.noCacheFields, (std::vector<std::string>{"set-cookie"}));
        QVERIFY(noted(cc, "treated as unqualified"));
    }

    void multipleLinesAreOneList()
    {
        const Fields f{{"Cache-Control", "max-age=5"}, {"cache-control", "must-revalidate"}};
        const auto cc = responseCacheControl(f, {});
        QCOMPARE(cc.maxAge.value, 5);
        QVERIFY(cc.mustRevalidate);
        QCOMPARE(cc.source, std::string("Cache-Control"));
    }

    void pragmaNoCacheOnlyWithoutCacheControl_5_4()
    {
        QVERIFY(requestCacheControl({{"Pragma", "no-cache"}}).noCache);
        QVERIFY(
            !requestCacheControl({{"Pragma", "no-cache"}, {"Cache-Control", "max-age=5"}}).noCache);
    }

    void cdnCacheControlTakesPrecedenceForACdn_rfc9213_2_1()
    {
        const Fields f{{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}};
        const auto cdn = responseCacheControl(f, {"CDN-Cache-Control"});
        QCOMPARE(cdn.source, std::string("CDN-Cache-Control"));
        QVERIFY(!cdn.noStore);
        QCOMPARE(cdn.maxAge.value, 60);
        QVERIFY(noted(cdn, "Cache-Control ignored"));
        // A cache not in the CDN role ignores it.
        const auto plain = responseCacheControl(f, {});
        QVERIFY(plain.noStore && !plain.maxAge.present);
    }

    void cdnCacheControlIsAStructuredDictionary_rfc9213_2_1()
    {
        // Booleans, parameters and strings as Structured Fields have them.
        const Fields ok{{"CDN-Cache-Control", "max-age=60;x=1, no-store=?0, private=\"a\""}};
        const auto cc = responseCacheControl(ok, {"CDN-Cache-Control"});
        QCOMPARE(cc.maxAge.value, 60);
        QVERIFY(!cc.noStore);
        // Not a dictionary (uppercase key, trailing comma): ignored, Cache-Control applies.
        for (const char *bad : {"Max-Age=60", "max-age=60,", "max-age=60 foo", "max-age=\"6"}) {
            const Fields f{{"Cache-Control", "max-age=5"}, {"CDN-Cache-Control", bad}};
            const auto fallback = responseCacheControl(f, {"CDN-Cache-Control"});
            QCOMPARE(fallback.source, std::string("Cache-Control"));
            QCOMPARE(fallback.maxAge.value, 5);
            QVERIFY2(noted(fallback, "not a valid Dictionary"), bad);
        }
    }
};

QTEST_APPLESS_MAIN(CacheControlTest)
#include "cache_control_test.moc"
