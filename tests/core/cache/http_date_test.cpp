// HTTP-date in its three forms (RFC 9110 §5.6.7), as the cache reads Date, Expires,
// Last-Modified and If-Modified-Since.
#include "core/cache/http_date.h"

#include <QTest>

using namespace ts::cache;

namespace {
constexpr Seconds k1994 = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
constexpr Seconds kNow = 1700000000; // Tue, 14 Nov 2023 22:13:20 GMT
} // namespace

class HttpDateTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void threeFormsOfTheSameInstant_rfc9110_5_6_7()
    {
        QCOMPARE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", kNow), std::optional(k1994));
        QCOMPARE(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", kNow), std::optional(k1994));
        QCOMPARE(parseHttpDate("Sun Nov  6 08:49:37 1994", kNow), std::optional(k1994));
        QCOMPARE(parseHttpDate("Sun Nov 16 08:49:37 1994", kNow),
                 std::optional(k1994 + 10 * 86400));
        // Names are matched without regard to case; surrounding whitespace is trimmed.
        QCOMPARE(parseHttpDate(" sun, 06 NOV 1994 08:49:37 GMT ", kNow), std::optional(k1994));
    }

    void formatsImfFixdate()
    {
        QCOMPARE(formatHttpDate(k1994), std::string("Sun, 06 Nov 1994 08:49:37 GMT"));
        QCOMPARE(formatHttpDate(kNow), std::string("Tue, 14 Nov 2023 22:13:20 GMT"));
        QCOMPARE(formatHttpDate(0), std::string("Thu, 01 Jan 1970 00:00:00 GMT"));
        for (Seconds t : {Seconds(951782400), Seconds(4107542399), kNow, k1994})
            QCOMPARE(parseHttpDate(formatHttpDate(t), kNow), std::optional(t));
    }

    void twoDigitYearsNoMoreThanFiftyYearsAhead_rfc9110_5_6_7()
    {
        // From 2023: "73" would be 2073, exactly 50 years on, so it stays; "74" is 1974.
        const auto y73 = parseHttpDate("Monday, 06-Nov-73 00:00:00 GMT", kNow);
        QVERIFY(y73);
        QCOMPARE(formatHttpDate(*y73).substr(12, 4), std::string("2073"));
        const auto y74 = parseHttpDate("Tuesday, 06-Nov-74 00:00:00 GMT", kNow);
        QVERIFY(y74);
        QCOMPARE(formatHttpDate(*y74).substr(12, 4), std::string("1974"));
    }

    void invalidDatesSayWhy()
    {
        std::string why;
        for (const char *bad : {"0", "", "-1", "Sun, 6 Nov 1994 08:49:37 GMT",
                                "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                                "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Xyz 1994 08:49:37 GMT",
                                "Sun Nov 6 08:49:37 1994", "Sunday, 06-Nov-1994 08:49:37 GMT",
                                "Sun, 06 Nov 1994 08:49:37 GMT trailing", "1994-11-06T08:49:37Z"}) {
            why.clear();
            QVERIFY2(!parseHttpDate(bad, kNow, &why), bad);
            QVERIFY2(!why.empty(), bad);
        }
        QCOMPARE(parseHttpDate("Thu, 29 Feb 2024 00:00:00 GMT", kNow).has_value(), true);
        QCOMPARE(parseHttpDate("Thu, 29 Feb 2023 00:00:00 GMT", kNow).has_value(), false);
        QCOMPARE(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT", kNow).has_value(), true); // leap s
    }
};

QTEST_APPLESS_MAIN(HttpDateTest)
#include "http_date_test.moc"
