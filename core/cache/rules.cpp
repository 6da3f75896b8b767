#include "core/cache/rules.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace ts::cache {

namespace {

std::vector<std::string_view> listMembers(std::string_view v)
{
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= v.size()) {
        std::size_t comma = v.find(',', start);
        if (comma == std::string_view::npos)
            comma = v.size();
        const std::string_view m = http::trimOws(v.substr(start, comma - start));
        if (!m.empty())
            out.push_back(m);
        start = comma + 1;
    }
    return out;
}

bool allDigits(std::string_view s)
{
    return !s.empty()
           && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 1*DIGIT, clamped at 2^31 (§1.2.2).
std::int64_t clampedNumber(std::string_view s)
{
    std::int64_t v = 0;
    for (const char c : s) {
        v = v * 10 + (c - '0');
        if (v >= kDeltaSecondsMax)
            return kDeltaSecondsMax;
    }
    return v;
}

std::string opaque(std::string_view etag)
{
    etag = http::trimOws(etag);
    if (etag.substr(0, 2) == "W/")
        etag.remove_prefix(2);
    return std::string(etag);
}

} // namespace

bool heuristicallyCacheable(int status)
{
    static constexpr std::array kStatuses
        = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501};
    return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

bool statusUnderstood(int status)
{
    return status >= 200 && status <= 599 && !http::reasonPhrase(status).empty();
}

bool unsafeMethod(std::string_view method)
{
    return method != "GET" && method != "HEAD" && method != "OPTIONS" && method != "TRACE";
}

Freshness freshnessLifetime(const http::Response &response, const CacheControl &cc,
                            Seconds responseTime, const HeuristicPolicy &policy,
                            std::vector<std::string> &notes)
{
    Freshness f;
    if (cc.sMaxAge.present) {
        f.lifetime = cc.sMaxAge.valid ? cc.sMaxAge.value : 0;
        f.source = cc.sMaxAge.valid ? "s-maxage=" + std::to_string(cc.sMaxAge.value)
                                    : "invalid s-maxage: stale (§4.2.1)";
        return f;
    }
    if (cc.maxAge.present) {
        f.lifetime = cc.maxAge.valid ? cc.maxAge.value : 0;
        f.source = cc.maxAge.valid ? "max-age=" + std::to_string(cc.maxAge.value)
                                   : "invalid max-age: stale (§4.2.1)";
        return f;
    }
    const http::Fields &fields = response.fields;
    Seconds date = responseTime;
    if (const std::string *d = http::findHeader(fields, "Date")) {
        std::string why;
        if (auto parsed = parseHttpDate(*d, responseTime, &why))
            date = *parsed;
        else
            notes.push_back("ignored: Date \"" + *d + "\": " + why);
    }
    if (const std::string *e = http::findHeader(fields, "Expires")) {
        if (std::count_if(
                fields.begin(), fields.end(),
                [](const http::Field &x) { return http::equalsIgnoreCase(x.name, "Expires"); })
            > 1)
            notes.push_back("duplicate: Expires (the first is used, §4.2.1)");
        std::string why;
        const auto expires = parseHttpDate(*e, responseTime, &why);
        if (!expires) {
            // §5.3: an invalid date, "0" especially, is a time in the past.
            notes.push_back("invalid: Expires \"" + *e + "\" (" + why + "): stale (§5.3)");
            f.source = "invalid Expires: stale (§5.3)";
            return f;
        }
        f.lifetime = std::max<std::int64_t>(0, *expires - date);
        f.source = "Expires - Date = " + formatDuration(f.lifetime);
        return f;
    }
    const std::string *lm = http::findHeader(fields, "Last-Modified");
    if (!heuristicallyCacheable(response.status)) {
        f.source = "no explicit freshness; status " + std::to_string(response.status)
                   + " is not heuristically cacheable";
        return f;
    }
    if (!lm) {
        f.source = "no explicit freshness and no Last-Modified for a heuristic";
        return f;
    }
    const auto modified = parseHttpDate(*lm, responseTime);
    if (!modified) {
        f.source = "no explicit freshness; Last-Modified unparseable";
        return f;
    }
    const std::int64_t since = std::max<std::int64_t>(0, date - *modified);
    f.heuristic = true;
    f.lifetime = std::min(policy.maxSeconds,
                          static_cast<std::int64_t>(static_cast<double>(since) * policy.fraction));
    char pct[16];
    std::snprintf(pct, sizeof pct, "%g%%", policy.fraction * 100);
    f.source = "heuristic " + formatDuration(f.lifetime) + ": " + pct + " of "
               + formatDuration(since) + " since Last-Modified";
    if (f.lifetime == policy.maxSeconds)
        f.source += ", capped";
    f.source += " (§4.2.2)";
    return f;
}

std::optional<std::int64_t> ageValue(const http::Fields &fields)
{
    const std::string *a = http::findHeader(fields, "Age");
    if (!a)
        return std::nullopt;
    std::string_view v = *a;
    if (const auto comma = v.find(','); comma != std::string_view::npos)
        v = v.substr(0, comma);
    v = http::trimOws(v);
    if (!allDigits(v))
        return std::nullopt;
    return clampedNumber(v);
}

std::int64_t correctedInitialAge(const http::Fields &fields, Seconds requestTime,
                                 Seconds responseTime)
{
    Seconds dateValue = responseTime;
    if (const std::string *d = http::findHeader(fields, "Date")) {
        if (auto parsed = parseHttpDate(*d, responseTime))
            dateValue = *parsed;
    }
    const std::int64_t apparentAge = std::max<std::int64_t>(0, responseTime - dateValue);
    const std::int64_t responseDelay = std::max<std::int64_t>(0, responseTime - requestTime);
    const std::int64_t correctedAgeValue = ageValue(fields).value_or(0) + responseDelay;
    return std::max(apparentAge, correctedAgeValue);
}

std::vector<std::string> varyNames(const http::Fields &fields)
{
    std::vector<std::string> names;
    const std::string joined = http::joinedHeader(fields, "Vary");
    for (const std::string_view m : listMembers(joined)) {
        if (m == "*")
            return {"*"};
        std::string n = http::lower(m);
        if (std::find(names.begin(), names.end(), n) == names.end())
            names.push_back(std::move(n));
    }
    return names;
}

std::optional<std::string> normalisedFieldValue(const http::Fields &fields, std::string_view name)
{
    if (!http::findHeader(fields, name))
        return std::nullopt;
    const std::string joined = http::joinedHeader(fields, name);
    const bool caseless = http::lower(name).rfind("accept", 0) == 0;
    std::string out;
    for (const std::string_view m : listMembers(joined)) {
        if (!out.empty())
            out += ", ";
        // Whitespace around ";" in parameters carries no meaning either.
        std::string member;
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (http::isOws(m[i])
                && ((i + 1 < m.size() && m[i + 1] == ';')
                    || (!member.empty() && member.back() == ';')))
                continue;
            member += m[i];
        }
        out += caseless ? http::lower(member) : member;
    }
    return out;
}

VaryKey varyKey(const std::vector<std::string> &names, const http::Fields &request)
{
    VaryKey key;
    for (const std::string &n : names)
        key.emplace_back(n, normalisedFieldValue(request, n));
    return key;
}

bool varyMatches(const VaryKey &stored, const http::Fields &request)
{
    for (const auto &[name, value] : stored) {
        if (name == "*")
            return false;
        if (normalisedFieldValue(request, name) != value)
            return false;
    }
    return true;
}

std::string formatVaryKey(const VaryKey &key)
{
    std::string out;
    for (const auto &[name, value] : key) {
        if (!out.empty())
            out += "; ";
        out += name + "=" + (value ? *value : std::string("(absent)"));
    }
    return out;
}

bool weakETag(std::string_view etag)
{
    return http::trimOws(etag).substr(0, 2) == "W/";
}

bool strongCompare(std::string_view a, std::string_view b)
{
    return !weakETag(a) && !weakETag(b) && http::trimOws(a) == http::trimOws(b);
}

bool weakCompare(std::string_view a, std::string_view b)
{
    return opaque(a) == opaque(b);
}

bool noneMatchMatches(std::string_view list, const std::string *etag)
{
    if (http::trimOws(list) == "*")
        return etag != nullptr;
    if (!etag)
        return false;
    const auto members = listMembers(list);
    return std::any_of(members.begin(), members.end(),
                       [&](std::string_view m) { return weakCompare(m, *etag); });
}

void removeUnstorable(http::Fields &fields)
{
    http::removeHopByHop(fields);
    http::removeHeader(fields, "Proxy-Authentication-Info");
}

std::vector<std::string> mergeFields(http::Fields &stored, const http::Fields &fresh)
{
    http::Fields incoming = fresh;
    removeUnstorable(incoming);
    std::vector<std::string> names;
    for (const http::Field &f : incoming) {
        if (http::equalsIgnoreCase(f.name, "Content-Length"))
            continue;
        const std::string n = http::lower(f.name);
        if (std::find(names.begin(), names.end(), n) == names.end())
            names.push_back(n);
    }
    for (const std::string &n : names)
        http::removeHeader(stored, n);
    for (const http::Field &f : incoming) {
        if (!http::equalsIgnoreCase(f.name, "Content-Length"))
            stored.push_back(f);
    }
    return names;
}

RangeRequest parseRange(std::string_view value, std::uint64_t length)
{
    RangeRequest r;
    value = http::trimOws(value);
    if (value.size() < 6 || !http::equalsIgnoreCase(value.substr(0, 6), "bytes=")) {
        r.note = "Range unit other than bytes: ignored";
        return r;
    }
    const auto members = listMembers(value.substr(6));
    if (members.empty()) {
        r.note = "empty Range: ignored";
        return r;
    }
    bool satisfiable = false;
    std::uint64_t first = 0, last = 0;
    for (const std::string_view m : members) {
        const auto dash = m.find('-');
        if (dash == std::string_view::npos) {
            r.note = "malformed Range: ignored";
            return r;
        }
        const std::string_view a = m.substr(0, dash), b = m.substr(dash + 1);
        if ((!a.empty() && !allDigits(a)) || (!b.empty() && !allDigits(b))
            || (a.empty() && b.empty()) || a.size() > 18 || b.size() > 18) {
            r.note = "malformed Range: ignored";
            return r;
        }
        std::uint64_t f = 0, l = 0;
        if (a.empty()) { // suffix: the last N bytes
            const std::uint64_t n = std::stoull(std::string(b));
            if (n == 0 || length == 0)
                continue;
            f = n >= length ? 0 : length - n;
            l = length - 1;
        } else {
            f = std::stoull(std::string(a));
            if (!b.empty()) {
                l = std::stoull(std::string(b));
                if (l < f) {
                    r.note = "malformed Range (last < first): ignored";
                    return r;
                }
            } else {
                l = length ? length - 1 : 0;
            }
            if (f >= length)
                continue;
            l = std::min(l, length - 1);
        }
        if (!satisfiable) {
            first = f;
            last = l;
        }
        satisfiable = true;
    }
    if (members.size() > 1) {
        r.kind = RangeRequest::Multiple;
        r.note = "multiple ranges";
        return r;
    }
    if (!satisfiable) {
        r.kind = RangeRequest::Unsatisfiable;
        r.note = "range not satisfiable";
        return r;
    }
    r.kind = RangeRequest::Single;
    r.first = first;
    r.last = last;
    return r;
}

std::string targetUri(const http::Request &request)
{
    if (request.scheme.empty() || request.authority.empty())
        return {};
    const std::string scheme = http::lower(request.scheme);
    std::string authority = http::lower(request.authority);
    if (const auto at = authority.rfind('@'); at != std::string::npos)
        authority.erase(0, at + 1);
    const std::string defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
    if (!defaultPort.empty() && authority.size() > defaultPort.size()
        && authority.compare(authority.size() - defaultPort.size(), defaultPort.size(), defaultPort)
               == 0)
        authority.resize(authority.size() - defaultPort.size());
    if (!authority.empty() && authority.back() == ':')
        authority.pop_back();
    const std::string path = request.path.empty() ? "/" : request.path;
    return scheme + "://" + authority + path;
}

std::string originOf(std::string_view uri)
{
    const auto sep = uri.find("://");
    if (sep == std::string_view::npos)
        return {};
    const auto end = uri.find_first_of("/?#", sep + 3);
    return std::string(uri.substr(0, end == std::string_view::npos ? uri.size() : end));
}

std::string resolveReference(std::string_view base, std::string_view reference)
{
    reference = http::trimOws(reference);
    if (reference.empty())
        return {};
    const std::string origin = originOf(base);
    if (origin.empty())
        return {};
    const auto colon = reference.find(':');
    const auto slash = reference.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
        // An absolute URI: normalise it as a target.
        const auto sep = reference.find("://");
        if (sep == std::string_view::npos)
            return {};
        http::Request r;
        r.scheme = std::string(reference.substr(0, sep));
        const auto pathStart = reference.find_first_of("/?", sep + 3);
        r.authority = std::string(reference.substr(sep + 3, pathStart == std::string_view::npos
                                                                ? std::string_view::npos
                                                                : pathStart - sep - 3));
        if (pathStart != std::string_view::npos)
            r.path = std::string(reference.substr(pathStart));
        if (const auto hash = r.path.find('#'); hash != std::string::npos)
            r.path.resize(hash);
        return targetUri(r);
    }
    std::string ref(reference.substr(0, reference.find('#')));
    const std::string scheme = origin.substr(0, origin.find(':'));
    if (ref.rfind("//", 0) == 0)
        return resolveReference(base, scheme + ":" + ref);
    if (ref.rfind('/', 0) == 0)
        return origin + ref;
    std::string path(base.substr(origin.size()));
    path = path.substr(0, path.find('?'));
    if (ref[0] == '?')
        return origin + path + ref;
    const auto lastSlash = path.rfind('/');
    return origin + (lastSlash == std::string::npos ? "/" : path.substr(0, lastSlash + 1)) + ref;
}

std::string primaryKey(std::string_view method, std::string_view uri)
{
    return std::string(method == "HEAD" ? "GET" : method) + " " + std::string(uri);
}

std::string CacheStatus::member() const
{
    auto sfString = [](std::string_view s) {
        std::string out = "\"";
        for (const char c : s) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
                       ? '?'
                       : c;
        }
        return out + '"';
    };
    std::string m = cache;
    if (hit)
        m += "; hit";
    if (!fwd.empty())
        m += "; fwd=" + fwd;
    if (fwdStatus)
        m += "; fwd-status=" + std::to_string(fwdStatus);
    if (stored)
        m += "; stored";
    if (collapsed)
        m += "; collapsed";
    if (ttl)
        m += "; ttl=" + std::to_string(*ttl);
    if (!key.empty())
        m += "; key=" + sfString(key);
    if (!detail.empty())
        m += "; detail=" + sfString(detail);
    return m;
}

void appendCacheStatus(http::Fields &fields, const std::string &member)
{
    const std::string existing = http::joinedHeader(fields, "Cache-Status");
    http::setHeader(fields, "Cache-Status", existing.empty() ? member : existing + ", " + member);
}

std::string formatDuration(std::int64_t s)
{
    const bool negative = s < 0;
    std::uint64_t v = negative ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
    std::string out;
    if (v < 120)
        out = std::to_string(v) + " s";
    else if (v < 7200)
        out = std::to_string(v / 60) + " min" + (v % 60 ? " " + std::to_string(v % 60) + " s" : "");
    else if (v < 2 * 86400)
        out = std::to_string(v / 3600) + " h"
              + (v % 3600 / 60 ? " " + std::to_string(v % 3600 / 60) + " min" : "");
    else
        out = std::to_string(v / 86400) + " d"
              + (v % 86400 / 3600 ? " " + std::to_string(v % 86400 / 3600) + " h" : "");
    return negative ? "-" + out : out;
}

} // namespace ts::cache
