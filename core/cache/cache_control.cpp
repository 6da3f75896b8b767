#include "core/cache/cache_control.h"

#include <algorithm>
#include <cctype>

namespace ts::cache {

namespace {

bool isTchar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0
           || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

struct RawDirective
{
    std::string name; // lowercase
    bool hasArgument = false;
    bool quoted = false;
    std::string argument;
};

// Splits a Cache-Control value into directives, noting syntax errors and skipping to the next
// comma after one.
std::vector<RawDirective> tokenize(std::string_view s, std::vector<std::string> &diagnostics)
{
    std::vector<RawDirective> out;
    std::size_t i = 0;
    auto skipOws = [&] {
        while (i < s.size() && http::isOws(s[i]))
            ++i;
    };
    auto skipToComma = [&] {
        bool inQuote = false;
        while (i < s.size() && (inQuote || s[i] != ',')) {
            if (s[i] == '\\' && inQuote)
                ++i;
            else if (s[i] == '"')
                inQuote = !inQuote;
            ++i;
        }
    };
    while (i < s.size()) {
        skipOws();
        if (i < s.size() && s[i] == ',') { // empty list element (RFC 9110 §5.6.1)
            ++i;
            continue;
        }
        if (i >= s.size())
            break;
        const std::size_t start = i;
        while (i < s.size() && isTchar(s[i]))
            ++i;
        if (i == start) {
            diagnostics.push_back("syntax: unexpected '" + std::string(1, s[i])
                                  + "' where a directive name belongs; skipped to the next comma");
            skipToComma();
            continue;
        }
        RawDirective d;
        d.name = http::lower(s.substr(start, i - start));
        skipOws(); // BWS around "=" is not in the grammar, but common and harmless
        bool bad = false;
        if (i < s.size() && s[i] == '=') {
            ++i;
            skipOws();
            d.hasArgument = true;
            if (i < s.size() && s[i] == '"') {
                d.quoted = true;
                ++i;
                bool closed = false;
                while (i < s.size()) {
                    if (s[i] == '\\' && i + 1 < s.size()) {
                        d.argument += s[i + 1];
                        i += 2;
                    } else if (s[i] == '"') {
                        ++i;
                        closed = true;
                        break;
                    } else {
                        d.argument += s[i++];
                    }
                }
                if (!closed) {
                    diagnostics.push_back("syntax: unterminated quoted string in " + d.name
                                          + "; directive ignored");
                    bad = true;
                }
            } else {
                const std::size_t a = i;
                while (i < s.size() && isTchar(s[i]))
                    ++i;
                d.argument = std::string(s.substr(a, i - a));
                if (d.argument.empty()) {
                    diagnostics.push_back("syntax: " + d.name + "= without a value");
                }
            }
        }
        skipOws();
        if (i < s.size() && s[i] != ',') {
            diagnostics.push_back("syntax: unexpected '" + std::string(1, s[i]) + "' after "
                                  + d.name + "; directive ignored");
            skipToComma();
            bad = true;
        }
        if (!bad)
            out.push_back(std::move(d));
    }
    return out;
}

std::vector<std::string> fieldNameList(std::string_view v)
{
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= v.size()) {
        std::size_t comma = v.find(',', start);
        if (comma == std::string_view::npos)
            comma = v.size();
        const std::string_view name = http::trimOws(v.substr(start, comma - start));
        if (!name.empty())
            names.push_back(http::lower(name));
        start = comma + 1;
    }
    return names;
}

Delta parseDelta(const RawDirective &d, std::vector<std::string> &diagnostics)
{
    Delta delta;
    delta.present = true;
    if (!d.hasArgument || d.argument.empty()) {
        diagnostics.push_back("invalid: " + d.name + " without a value");
        return delta;
    }
    if (d.quoted)
        diagnostics.push_back("lenient: " + d.name
                              + " with a quoted value (senders use the token form, §5.2)");
    std::int64_t v = 0;
    for (const char c : d.argument) {
        if (c < '0' || c > '9') {
            diagnostics.push_back("invalid: " + d.name + "=" + d.argument
                                  + " is not a delta-seconds (1*DIGIT)");
            return delta;
        }
        if (v < kDeltaSecondsMax)
            v = v * 10 + (c - '0');
    }
    if (v > kDeltaSecondsMax) {
        diagnostics.push_back("clamped: " + d.name + "=" + d.argument + " to 2^31 (§1.2.2)");
        v = kDeltaSecondsMax;
    }
    delta.valid = true;
    delta.value = v;
    return delta;
}

void noteUnexpectedArgument(const RawDirective &d, std::vector<std::string> &diagnostics)
{
    if (d.hasArgument)
        diagnostics.push_back("ignored: the argument of " + d.name + " (it takes none)");
}

CacheControl interpret(const std::vector<RawDirective> &directives, Role role,
                       std::vector<std::string> diagnostics)
{
    CacheControl cc;
    std::vector<std::string> seen;
    for (const RawDirective &d : directives) {
        if (std::find(seen.begin(), seen.end(), d.name) != seen.end()) {
            diagnostics.push_back("duplicate: " + d.name + " (the first is used, §4.2.1)");
            continue;
        }
        seen.push_back(d.name);
        const std::string &n = d.name;
        const bool response = role == Role::Response;
        auto flag = [&](bool &b) {
            noteUnexpectedArgument(d, diagnostics);
            b = true;
        };
        if (n == "max-age") {
            cc.maxAge = parseDelta(d, diagnostics);
        } else if (n == "no-store") {
            flag(cc.noStore);
        } else if (n == "no-cache") {
            cc.noCache = true;
            if (response && d.hasArgument) {
                cc.noCacheFields = fieldNameList(d.argument);
                diagnostics.push_back("qualified: no-cache=\"" + d.argument
                                      + "\" treated as unqualified no-cache (§5.2.2.4)");
            } else {
                noteUnexpectedArgument(d, diagnostics);
            }
        } else if (n == "stale-if-error") {
            cc.staleIfError = parseDelta(d, diagnostics);
        } else if (n == "no-transform") {
            flag(cc.noTransform);
        } else if (response && n == "s-maxage") {
            cc.sMaxAge = parseDelta(d, diagnostics);
        } else if (response && n == "stale-while-revalidate") {
            cc.staleWhileRevalidate = parseDelta(d, diagnostics);
        } else if (response && n == "private") {
            if (d.hasArgument) {
                cc.privateFields = fieldNameList(d.argument);
                if (cc.privateFields.empty())
                    cc.isPrivate = true;
            } else {
                cc.isPrivate = true;
            }
        } else if (response && n == "public") {
            flag(cc.isPublic);
        } else if (response && n == "must-revalidate") {
            flag(cc.mustRevalidate);
        } else if (response && n == "proxy-revalidate") {
            flag(cc.proxyRevalidate);
        } else if (response && n == "must-understand") {
            flag(cc.mustUnderstand);
        } else if (response && n == "immutable") {
            flag(cc.immutable);
        } else if (!response && n == "max-stale") {
            cc.maxStale = true;
            if (d.hasArgument)
                cc.maxStaleValue = parseDelta(d, diagnostics);
        } else if (!response && n == "min-fresh") {
            cc.minFresh = parseDelta(d, diagnostics);
        } else if (!response && n == "only-if-cached") {
            flag(cc.onlyIfCached);
        } else {
            diagnostics.push_back("ignored: unknown "
                                  + std::string(response ? "response" : "request") + " directive "
                                  + n + " (§5.2.3)");
        }
    }
    cc.diagnostics = std::move(diagnostics);
    return cc;
}

// RFC 8941 §3.2 dictionary keys: lcalpha / "*" then lcalpha / DIGIT / "_" / "-" / "." / "*".
bool sfKey(std::string_view k)
{
    if (k.empty() || !((k[0] >= 'a' && k[0] <= 'z') || k[0] == '*'))
        return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'
               || c == '*';
    });
}

// A targeted field is a Structured Fields Dictionary (RFC 9213 §2.1). This checks the subset
// its directives use: keys, and values that are integers, tokens, strings or booleans (?1/?0),
// with parameters ignored. nullopt (with the reason) when it does not parse: the field is then
// ignored as a whole.
std::optional<std::vector<RawDirective>> parseTargeted(std::string_view s, std::string &why)
{
    std::vector<RawDirective> out;
    std::size_t i = 0;
    auto sp = [&] {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
    };
    sp();
    while (i < s.size()) {
        const std::size_t k = i;
        while (i < s.size() && s[i] != '=' && s[i] != ',' && s[i] != ';' && !http::isOws(s[i]))
            ++i;
        RawDirective d;
        d.name = std::string(s.substr(k, i - k));
        if (!sfKey(d.name)) {
            why = "key \"" + d.name + "\" is not a Structured Fields key";
            return std::nullopt;
        }
        if (i < s.size() && s[i] == '=') {
            ++i;
            if (i < s.size() && s[i] == '"') {
                ++i;
                bool closed = false;
                while (i < s.size()) {
                    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
                        d.argument += s[i + 1];
                        i += 2;
                    } else if (s[i] == '"') {
                        ++i;
                        closed = true;
                        break;
                    } else {
                        d.argument += s[i++];
                    }
                }
                if (!closed) {
                    why = "unterminated string in " + d.name;
                    return std::nullopt;
                }
                d.hasArgument = true;
                d.quoted = true;
            } else if (i + 1 < s.size() && s[i] == '?' && (s[i + 1] == '0' || s[i + 1] == '1')) {
                const bool truth = s[i + 1] == '1';
                i += 2;
                if (!truth) {
                    // A false boolean means the directive is off: skip it.
                    d.name.clear();
                }
            } else {
                const std::size_t a = i;
                while (i < s.size() && s[i] != ',' && s[i] != ';' && !http::isOws(s[i]))
                    ++i;
                d.argument = std::string(s.substr(a, i - a));
                d.hasArgument = true;
                const bool integer
                    = !d.argument.empty()
                      && std::all_of(d.argument.begin() + (d.argument[0] == '-' ? 1 : 0),
                                     d.argument.end(), [](char c) { return c >= '0' && c <= '9'; })
                      && d.argument != "-" && d.argument.size() <= 16;
                const bool token = !d.argument.empty()
                                   && (std::isalpha(static_cast<unsigned char>(d.argument[0]))
                                       || d.argument[0] == '*');
                if (!integer && !token) {
                    why = "value of " + d.name + " is not an Item";
                    return std::nullopt;
                }
            }
        }
        while (i < s.size() && s[i] == ';') { // parameters: skipped
            ++i;
            while (i < s.size() && s[i] != ';' && s[i] != ',')
                ++i;
        }
        sp();
        if (!d.name.empty())
            out.push_back(std::move(d));
        if (i < s.size()) {
            if (s[i] != ',') {
                why = std::string("unexpected '") + s[i] + "'";
                return std::nullopt;
            }
            ++i;
            sp();
            if (i >= s.size()) {
                why = "trailing comma";
                return std::nullopt;
            }
        }
    }
    return out;
}

} // namespace

CacheControl parseCacheControl(std::string_view value, Role role)
{
    std::vector<std::string> diagnostics;
    const auto directives = tokenize(value, diagnostics);
    CacheControl cc = interpret(directives, role, std::move(diagnostics));
    cc.source = "Cache-Control";
    return cc;
}

CacheControl responseCacheControl(const http::Fields &fields,
                                  const std::vector<std::string> &targeted)
{
    std::vector<std::string> notes;
    for (const std::string &name : targeted) {
        if (!http::findHeader(fields, name))
            continue;
        const std::string value = http::joinedHeader(fields, name);
        std::string why;
        auto directives = parseTargeted(value, why);
        if (!directives) {
            notes.push_back("ignored: " + name + " is not a valid Dictionary (" + why
                            + "), RFC 9213 §2.1");
            continue;
        }
        CacheControl cc = interpret(*directives, Role::Response, {});
        cc.source = name;
        cc.diagnostics.insert(cc.diagnostics.begin(), notes.begin(), notes.end());
        cc.diagnostics.push_back("using " + name + "; Cache-Control ignored (RFC 9213 §2.1)");
        return cc;
    }
    CacheControl cc
        = parseCacheControl(http::joinedHeader(fields, "Cache-Control"), Role::Response);
    if (!http::findHeader(fields, "Cache-Control"))
        cc.source.clear();
    cc.diagnostics.insert(cc.diagnostics.begin(), notes.begin(), notes.end());
    return cc;
}

CacheControl requestCacheControl(const http::Fields &fields)
{
    if (!http::findHeader(fields, "Cache-Control")) {
        CacheControl cc;
        if (http::headerHasToken(fields, "Pragma", "no-cache")) {
            cc.noCache = true;
            cc.source = "Pragma";
            cc.diagnostics.push_back("Pragma: no-cache taken as Cache-Control: no-cache (§5.4)");
        }
        return cc;
    }
    return parseCacheControl(http::joinedHeader(fields, "Cache-Control"), Role::Request);
}

} // namespace ts::cache
