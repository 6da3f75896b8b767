#include "core/cache/http_date.h"

#include "core/http/fields.h"

#include <array>
#include <cstdio>

namespace ts::cache {

namespace {

constexpr std::array<std::string_view, 12> kMonths
    = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays
    = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, std::int64_t &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

bool leap(std::int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned daysInMonth(std::int64_t y, unsigned m)
{
    static constexpr unsigned kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDaysIn[m - 1];
}

// A cursor over the text; each step either consumes what it expects or fails.
class Cursor
{
public:
    explicit Cursor(std::string_view s) : m_s(s) {}
    bool literal(std::string_view lit)
    {
        if (m_s.substr(m_pos, lit.size()) != lit)
            return false;
        m_pos += lit.size();
        return true;
    }
    // Exactly `n` digits (or 1..n when `upTo`).
    bool digits(std::size_t n, unsigned &out, bool upTo = false)
    {
        std::size_t i = 0;
        out = 0;
        while (i < n && m_pos + i < m_s.size() && m_s[m_pos + i] >= '0' && m_s[m_pos + i] <= '9') {
            out = out * 10 + static_cast<unsigned>(m_s[m_pos + i] - '0');
            ++i;
        }
        if (i == 0 || (!upTo && i != n))
            return false;
        m_pos += i;
        return true;
    }
    template<std::size_t N>
    bool name(const std::array<std::string_view, N> &names, unsigned &index)
    {
        for (std::size_t i = 0; i < N; ++i) {
            const std::string_view n = names[i];
            if (http::equalsIgnoreCase(m_s.substr(m_pos, n.size()), n)) {
                m_pos += n.size();
                index = static_cast<unsigned>(i);
                return true;
            }
        }
        return false;
    }
    bool atEnd() const { return m_pos == m_s.size(); }
    char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }

private:
    std::string_view m_s;
    std::size_t m_pos = 0;
};

bool timeOfDay(Cursor &c, unsigned &h, unsigned &mi, unsigned &s)
{
    return c.digits(2, h) && c.literal(":") && c.digits(2, mi) && c.literal(":") && c.digits(2, s);
}

std::optional<Seconds> fail(std::string *why, const char *reason)
{
    if (why)
        *why = reason;
    return std::nullopt;
}

} // namespace

std::optional<Seconds> parseHttpDate(std::string_view text, Seconds now, std::string *why)
{
    text = http::trimOws(text);
    unsigned wday = 0, day = 0, month = 0, hour = 0, minute = 0, second = 0, y = 0;
    std::int64_t year = 0;
    Cursor c(text);
    if (text.size() > 3 && text[3] == ',') { // IMF-fixdate
        if (!(c.name(kDays, wday) && c.literal(", ") && c.digits(2, day) && c.literal(" ")
              && c.name(kMonths, month) && c.literal(" ") && c.digits(4, y) && c.literal(" ")
              && timeOfDay(c, hour, minute, second) && c.literal(" GMT") && c.atEnd()))
            return fail(why, "not an IMF-fixdate (\"Sun, 06 Nov 1994 08:49:37 GMT\")");
        year = y;
    } else if (text.find(',') != std::string_view::npos) { // RFC 850
        if (!(c.name(kLongDays, wday) && c.literal(", ") && c.digits(2, day) && c.literal("-")
              && c.name(kMonths, month) && c.literal("-") && c.digits(2, y) && c.literal(" ")
              && timeOfDay(c, hour, minute, second) && c.literal(" GMT") && c.atEnd()))
            return fail(why, "not an RFC 850 date (\"Sunday, 06-Nov-94 08:49:37 GMT\")");
        // RFC 9110 §5.6.7: no more than 50 years in the future.
        std::int64_t nowYear = 0;
        unsigned nm = 0, nd = 0;
        civilFromDays(now / 86400 - (now % 86400 < 0 ? 1 : 0), nowYear, nm, nd);
        const std::int64_t century = nowYear - nowYear % 100;
        year = century + y;
        if (year > nowYear + 50)
            year -= 100;
    } else { // asctime: day is 2DIGIT or SP 1DIGIT
        if (!(c.name(kDays, wday) && c.literal(" ") && c.name(kMonths, month) && c.literal(" ")))
            return fail(why, "not an HTTP-date (IMF-fixdate, RFC 850 or asctime)");
        if (c.peek() == ' ') {
            if (!(c.literal(" ") && c.digits(1, day)))
                return fail(why, "not an asctime date (\"Sun Nov  6 08:49:37 1994\")");
        } else if (!c.digits(2, day)) {
            return fail(why, "not an asctime date (\"Sun Nov  6 08:49:37 1994\")");
        }
        if (!(c.literal(" ") && timeOfDay(c, hour, minute, second) && c.literal(" ")
              && c.digits(4, y) && c.atEnd()))
            return fail(why, "not an asctime date (\"Sun Nov  6 08:49:37 1994\")");
        year = y;
    }
    ++month;
    if (day < 1 || day > daysInMonth(year, month))
        return fail(why, "day out of range for its month");
    if (hour > 23 || minute > 59 || second > 60)
        return fail(why, "time of day out of range");
    return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

std::string formatHttpDate(Seconds t)
{
    std::int64_t days = t / 86400;
    std::int64_t rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    civilFromDays(days, y, m, d);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    const auto wday = static_cast<std::size_t>(((days % 7) + 7 + 3) % 7);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT",
                  std::string(kDays[wday]).c_str(), d, std::string(kMonths[m - 1]).c_str(),
                  static_cast<long long>(y), static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
    return buf;
}

} // namespace ts::cache
