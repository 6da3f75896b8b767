#include "core/cache/cache.h"

#include <algorithm>

namespace ts::cache {

namespace {

// RFC 5861 §4: the errors stale-if-error covers.
bool staleIfErrorStatus(int status)
{
    return status == 500 || status == 502 || status == 503 || status == 504;
}

// The most recent of the entries (§4.1: by Date; by arrival when the Dates tie).
Entry mostRecent(const std::vector<Entry> &entries)
{
    Entry best;
    Seconds bestDate = 0;
    for (const Entry &e : entries) {
        Seconds date = e->responseTime;
        if (const std::string *d = http::findHeader(e->response.fields, "Date"))
            date = parseHttpDate(*d, e->responseTime).value_or(e->responseTime);
        if (!best || date > bestDate
            || (date == bestDate && e->responseTime > best->responseTime)) {
            best = e;
            bestDate = date;
        }
    }
    return best;
}

std::string joinNames(const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

// The fields a 304 keeps of the stored response (RFC 9110 §15.4.5).
void keepNotModifiedFields(http::Fields &fields)
{
    static constexpr std::string_view kKeep[]
        = {"Cache-Control", "Content-Location", "Date",         "ETag", "Expires", "Vary",
           "Age",           "Cache-Status",     "Last-Modified"};
    std::erase_if(fields, [](const http::Field &f) {
        return std::none_of(std::begin(kKeep), std::end(kKeep),
                            [&](std::string_view k) { return http::equalsIgnoreCase(f.name, k); });
    });
}

} // namespace

Cache::Cache(Config config, Store &store) : m_config(std::move(config)), m_store(store)
{}

CacheStatus Cache::statusFor(const std::string &key) const
{
    CacheStatus cs;
    cs.cache = m_config.name;
    if (m_config.keyInCacheStatus)
        cs.key = key;
    return cs;
}

CacheControl Cache::responseCc(const http::Fields &fields) const
{
    return responseCacheControl(fields, m_config.targetedFields);
}

// Directives that forbid serving the entry stale (§4.2.4), with their name in `why`.
bool Cache::staleAllowed(const Entry &entry, std::string &why) const
{
    const CacheControl cc = responseCc(entry->response.fields);
    if (cc.noCache)
        why = "no-cache";
    else if (cc.mustRevalidate)
        why = "must-revalidate";
    else if (cc.proxyRevalidate)
        why = "proxy-revalidate";
    else if (cc.sMaxAge.present)
        why = "s-maxage (proxy-revalidate for a shared cache, §5.2.2.10)";
    else
        return true;
    return false;
}

Served Cache::generated(int status, Seconds now, const CacheStatus &cs) const
{
    Served s;
    s.response.status = status;
    s.response.reason = std::string(http::reasonPhrase(status));
    s.response.fields = {{"Date", formatHttpDate(now)}, {"Content-Length", "0"}};
    appendCacheStatus(s.response.fields, cs.member());
    return s;
}

Served Cache::serve(const Lookup &l, const Entry &e, Seconds now, CacheStatus cs, bool mayDecline,
                    bool &declined) const
{
    declined = false;
    Served s;
    http::Response &r = s.response;
    r = e->response;
    const std::int64_t age = std::max<std::int64_t>(0, e->currentAge(now));
    http::setHeader(r.fields, "Age", std::to_string(age));
    cs.ttl = e->freshness.lifetime - age;
    appendCacheStatus(r.fields, cs.member());
    const std::uint64_t length = e->body ? e->body->size() : 0;
    const http::Fields &req = l.request.fields;

    // The client's own conditions (RFC 9110 §13.2.2), on a successful stored response.
    if (r.status >= 200 && r.status < 300) {
        bool notModified = false;
        if (http::findHeader(req, "If-None-Match")) {
            notModified = noneMatchMatches(http::joinedHeader(req, "If-None-Match"), e->etag());
        } else if (const std::string *ims = http::findHeader(req, "If-Modified-Since")) {
            const std::string *lm = e->lastModified();
            if (!lm)
                lm = http::findHeader(e->response.fields, "Date");
            const auto since = parseHttpDate(*ims, now);
            const auto modified = lm ? parseHttpDate(*lm, now) : std::nullopt;
            notModified = since && modified && *modified <= *since;
        }
        if (notModified) {
            r.status = 304;
            r.reason = "Not Modified";
            keepNotModifiedFields(r.fields);
            return s;
        }
    }
    if (l.request.method == "HEAD") {
        if (!http::findHeader(r.fields, "Content-Length"))
            http::setHeader(r.fields, "Content-Length", std::to_string(length));
        return s;
    }
    s.body = e->body;
    s.length = length;
    http::setHeader(r.fields, "Content-Length", std::to_string(length));
    const std::string *range = http::findHeader(req, "Range");
    if (!range || r.status != 200)
        return s;
    // If-Range (RFC 9110 §13.1.5): an entity tag compared strongly, or the exact Last-Modified.
    if (const std::string *ifRange = http::findHeader(req, "If-Range")) {
        bool same = false;
        if (ifRange->find('"') != std::string::npos)
            same = e->etag() && strongCompare(*ifRange, *e->etag());
        else if (const std::string *lm = e->lastModified())
            same = parseHttpDate(*ifRange, now)
                   && parseHttpDate(*ifRange, now) == parseHttpDate(*lm, now);
        if (!same)
            return s; // the whole representation (§13.1.5)
    }
    const RangeRequest rr = parseRange(http::joinedHeader(req, "Range"), length);
    switch (rr.kind) {
    case RangeRequest::Ignore:
        return s;
    case RangeRequest::Multiple:
        declined = mayDecline;
        return s;
    case RangeRequest::Unsatisfiable:
        r.status = 416;
        r.reason = std::string(http::reasonPhrase(416));
        http::removeHeader(r.fields, "Content-Type");
        http::setHeader(r.fields, "Content-Range", "bytes */" + std::to_string(length));
        http::setHeader(r.fields, "Content-Length", "0");
        s.body = nullptr;
        s.length = 0;
        return s;
    case RangeRequest::Single:
        r.status = 206;
        r.reason = std::string(http::reasonPhrase(206));
        http::setHeader(r.fields, "Content-Range",
                        "bytes " + std::to_string(rr.first) + "-" + std::to_string(rr.last) + "/"
                            + std::to_string(length));
        s.offset = rr.first;
        s.length = rr.last - rr.first + 1;
        http::setHeader(r.fields, "Content-Length", std::to_string(s.length));
        return s;
    }
    return s;
}

Lookup Cache::miss(Lookup l, const char *fwd, std::string trace, Seconds now) const
{
    CacheStatus cs = statusFor(l.key);
    if (l.requestCc.onlyIfCached) {
        cs.detail = "only-if-cached";
        l.action = Lookup::Action::Serve;
        l.served = generated(504, now, cs);
        l.cacheStatus = cs.member();
        l.trace = "504: only-if-cached and " + trace + " (§5.2.1.7)";
        return l;
    }
    l.action = Lookup::Action::Forward;
    l.fwd = fwd;
    l.trace = std::move(trace);
    return l;
}

Lookup Cache::lookup(const http::Request &request, Seconds now)
{
    Lookup l;
    l.request = request;
    l.serverRequest = request;
    l.requestCc = requestCacheControl(request.fields);
    l.diagnostics = l.requestCc.diagnostics;
    l.uri = targetUri(request);
    const std::string &method = request.method;
    if (l.uri.empty()) {
        l.fwd = "bypass";
        l.trace = "bypassed: no absolute target URI";
        return l;
    }
    if (method != "GET" && method != "HEAD") {
        l.fwd = "method";
        l.trace = "forwarded: " + method + " is not answered from the cache";
        if (unsafeMethod(method))
            l.trace += "; a success invalidates " + l.uri + " (§4.4)";
        return l;
    }
    l.key = primaryKey(method, l.uri);
    const std::vector<Entry> variants = m_store.variants(l.key);
    if (variants.empty())
        return miss(std::move(l), "uri-miss", "miss: nothing stored for " + l.uri, now);
    std::vector<Entry> matching;
    for (const Entry &e : variants) {
        if (varyMatches(e->vary, request.fields))
            matching.push_back(e);
    }
    if (matching.empty()) {
        std::string names;
        for (const auto &[name, value] : variants.front()->vary)
            names += (names.empty() ? "" : ", ") + name;
        const std::string why
            = names == "*" ? "the stored response has Vary: *, which never matches (§4.1)"
                           : std::to_string(variants.size())
                                 + " stored variant(s) differ in Vary: " + names + " (§4.1)";
        return miss(std::move(l), "vary-miss", "miss: " + why, now);
    }
    const Entry e = mostRecent(matching);
    l.entry = e;
    const CacheControl cc = responseCc(e->response.fields);
    const CacheControl &rc = l.requestCc;
    const std::int64_t age = e->currentAge(now);
    const std::int64_t lifetime = e->freshness.lifetime;
    const bool fresh = lifetime > age;
    const std::int64_t staleness = age - lifetime;
    const std::string ageText = "age " + formatDuration(age) + " of " + e->freshness.source;

    CacheStatus cs = statusFor(l.key);
    std::string hit;         // set: serve
    std::string validateWhy; // set: validate
    bool requestCaused = false;
    std::string noStale;
    const bool mayServeStale = staleAllowed(e, noStale);
    if (cc.noCache) {
        validateWhy = "response no-cache: validated on every use (§5.2.2.4)";
    } else if (fresh && cc.immutable && rc.maxAge.present && !rc.noCache) {
        // A reload (max-age=0) need not revalidate an immutable response; a forced reload
        // (no-cache) is the user overriding that, and is honoured (RFC 8246 §2.1).
        hit = "hit: fresh and immutable, a reload needs no validation (RFC 8246), " + ageText;
    } else if (rc.noCache) {
        validateWhy = std::string("request ") + (rc.source == "Pragma" ? "Pragma: " : "")
                      + "no-cache (§5.2.1.4)";
        requestCaused = true;
    } else if (rc.maxAge.present && (!rc.maxAge.valid || age > rc.maxAge.value)) {
        validateWhy = "request max-age=" + (rc.maxAge.valid ? std::to_string(rc.maxAge.value) : "?")
                      + " but " + ageText + " (§5.2.1.1)";
        requestCaused = fresh;
    } else if (fresh) {
        if (rc.minFresh.present && (!rc.minFresh.valid || lifetime - age < rc.minFresh.value)) {
            validateWhy = "request min-fresh="
                          + (rc.minFresh.valid ? std::to_string(rc.minFresh.value) : "?")
                          + " but only " + formatDuration(lifetime - age)
                          + " fresh left (§5.2.1.3)";
            requestCaused = true;
        } else {
            hit = "hit: fresh, " + ageText;
        }
    } else if (!mayServeStale) {
        validateWhy
            = "stale (" + ageText + ") and " + noStale + " forbids serving it stale (§4.2.4)";
    } else if (rc.maxStale
               && (!rc.maxStaleValue.present
                   || (rc.maxStaleValue.valid && staleness <= rc.maxStaleValue.value))) {
        hit = "served stale: request max-stale"
              + (rc.maxStaleValue.present ? "=" + std::to_string(rc.maxStaleValue.value) : "")
              + " allows " + formatDuration(staleness) + " stale (§5.2.1.2)";
    } else if (cc.staleWhileRevalidate.usable() && staleness <= cc.staleWhileRevalidate.value) {
        hit = "served stale: stale-while-revalidate "
              + formatDuration(cc.staleWhileRevalidate.value) + " window, "
              + formatDuration(staleness) + " stale; revalidating in the background (RFC 5861 §3)";
        l.revalidate = true;
        cs.detail = "stale-while-revalidate";
    } else {
        validateWhy = "stale: " + ageText;
    }

    // The conditional request (§4.3.1): the entity tags of every stored response for the URI,
    // and Last-Modified when a single response is being validated.
    auto conditional = [&] {
        http::Request c = request;
        for (const char *name : {"If-None-Match", "If-Modified-Since", "Range", "If-Range"})
            http::removeHeader(c.fields, name);
        std::vector<std::string> etags;
        for (const Entry &v : variants) {
            if (v->etag() && std::find(etags.begin(), etags.end(), *v->etag()) == etags.end())
                etags.push_back(*v->etag());
        }
        if (!etags.empty())
            http::setHeader(c.fields, "If-None-Match", joinNames(etags));
        if (variants.size() == 1 && e->lastModified())
            http::setHeader(c.fields, "If-Modified-Since", *e->lastModified());
        return c;
    };

    if (!hit.empty()) {
        cs.hit = true;
        bool declined = false;
        l.served = serve(l, e, now, cs, true, declined);
        if (declined && !rc.onlyIfCached) {
            l.served = {};
            l.fwd = "request";
            l.action = Lookup::Action::Forward;
            l.revalidate = false;
            l.trace = "forwarded: multiple ranges are not served from the cache";
            return l;
        }
        if (declined) // only-if-cached: the whole representation rather than a 504
            l.served = serve(l, e, now, cs, false, declined);
        l.action = Lookup::Action::Serve;
        l.cacheStatus = http::joinedHeader(l.served.response.fields, "Cache-Status");
        l.trace = hit;
        if (l.served.response.status == 304)
            l.trace += "; 304 to the client's own conditional request";
        else if (l.served.response.status == 206)
            l.trace += "; range " + http::joinedHeader(l.served.response.fields, "Content-Range");
        else if (l.served.response.status == 416)
            l.trace += "; 416, range not satisfiable";
        if (l.revalidate)
            l.serverRequest = conditional();
        l.validating = l.revalidate;
        m_store.touch(e, now);
        return l;
    }
    l.fwd = requestCaused ? "request" : "stale";
    if (rc.onlyIfCached) {
        l.action = Lookup::Action::Serve;
        cs.detail = "only-if-cached";
        l.served = generated(504, now, cs);
        l.cacheStatus = cs.member();
        l.trace = "504: only-if-cached, but " + validateWhy + " (§5.2.1.7)";
        return l;
    }
    l.serverRequest = conditional();
    const bool validators = http::findHeader(l.serverRequest.fields, "If-None-Match")
                            || http::findHeader(l.serverRequest.fields, "If-Modified-Since");
    if (!validators) {
        l.action = Lookup::Action::Forward;
        l.serverRequest = request;
        l.trace = "forwarded: " + validateWhy + "; no validator to revalidate with";
        return l;
    }
    l.action = Lookup::Action::Validate;
    l.validating = true;
    l.trace = "validating: " + validateWhy;
    if (const std::string *inm = http::findHeader(l.serverRequest.fields, "If-None-Match"))
        l.trace += "; If-None-Match: " + *inm;
    if (const std::string *ims = http::findHeader(l.serverRequest.fields, "If-Modified-Since"))
        l.trace += "; If-Modified-Since: " + *ims;
    return l;
}

bool Cache::staleIfError(const Lookup &l, Seconds now, std::string &window) const
{
    if (!l.entry)
        return false;
    std::string noStale;
    if (!staleAllowed(l.entry, noStale))
        return false;
    const CacheControl cc = responseCc(l.entry->response.fields);
    std::int64_t allowed = -1;
    if (cc.staleIfError.usable()) {
        allowed = cc.staleIfError.value;
        window = "stale-if-error " + formatDuration(allowed) + " window";
    }
    if (l.requestCc.staleIfError.usable() && l.requestCc.staleIfError.value > allowed) {
        allowed = l.requestCc.staleIfError.value;
        window = "request stale-if-error " + formatDuration(allowed) + " window";
    }
    const std::int64_t staleness = l.entry->currentAge(now) - l.entry->freshness.lifetime;
    return allowed >= 0 && staleness <= allowed;
}

ResponsePlan Cache::onServerError(const Lookup &l, std::string_view why, Seconds now)
{
    ResponsePlan p;
    std::string window;
    if (!staleIfError(l, now, window)) {
        p.trace = "no stored response may stand in: " + std::string(why);
        return p;
    }
    CacheStatus cs = statusFor(l.key);
    cs.fwd = l.fwd;
    cs.detail = "stale-if-error";
    bool declined = false;
    p.action = ResponsePlan::Action::Serve;
    p.served = serve(l, l.entry, now, cs, false, declined);
    p.trace
        = "served stale: " + window + ", the server failed: " + std::string(why) + " (RFC 5861 §4)";
    m_store.touch(l.entry, now);
    return p;
}

std::shared_ptr<StoredResponse> Cache::prepare(const Lookup &l, const http::Response &response,
                                               Seconds requestTime, Seconds responseTime,
                                               std::string &trace,
                                               std::vector<std::string> &diagnostics) const
{
    const CacheControl cc = responseCc(response.fields);
    diagnostics.insert(diagnostics.end(), cc.diagnostics.begin(), cc.diagnostics.end());
    const int status = response.status;
    auto refuse = [&](std::string why) {
        trace = "not stored: " + why;
        return nullptr;
    };
    if (l.request.method != "GET")
        return refuse("only responses to GET are stored (HEAD is served from them)");
    if (l.requestCc.noStore)
        return refuse("request no-store (§5.2.1.5)");
    if (status == 206)
        return refuse("206 partial content; only complete responses are stored");
    if (status == 304)
        return refuse("304 with nothing stored to update");
    const bool understood = statusUnderstood(status);
    if (cc.mustUnderstand && !understood)
        return refuse("must-understand and status " + std::to_string(status)
                      + " is not one the cache understands (§5.2.2.3)");
    if (cc.noStore && !(cc.mustUnderstand && understood))
        return refuse(cc.source == "Cache-Control" ? "no-store (§5.2.2.5)"
                                                   : "no-store in " + cc.source);
    if (cc.isPrivate) {
        if (http::findHeader(response.fields, "Set-Cookie"))
            return refuse("Set-Cookie with private (§5.2.2.7)");
        return refuse("private, and this is a shared cache (§5.2.2.7)");
    }
    if (http::findHeader(l.request.fields, "Authorization") && !cc.mustRevalidate && !cc.isPublic
        && !cc.sMaxAge.present)
        return refuse("the request has Authorization and the response lacks public, s-maxage "
                      "and must-revalidate (§3.5)");
    const std::vector<std::string> vary = varyNames(response.fields);
    if (vary.size() == 1 && vary.front() == "*")
        return refuse("Vary: * never matches a later request (§4.1)");
    const bool explicitFreshness
        = cc.maxAge.present || cc.sMaxAge.present || http::findHeader(response.fields, "Expires");
    if (!explicitFreshness && !cc.isPublic && !heuristicallyCacheable(status))
        return refuse("status " + std::to_string(status)
                      + " is not heuristically cacheable and has no explicit freshness (§3)");
    std::uint64_t contentLength = 0;
    if (http::findHeader(response.fields, "Content-Length")
        && !http::parseContentLength(response.fields, contentLength)
        && contentLength > m_config.maxEntryBytes)
        return refuse("Content-Length " + std::to_string(contentLength)
                      + " is over the per-entry limit of "
                      + std::to_string(m_config.maxEntryBytes));

    auto e = std::make_shared<StoredResponse>();
    e->key = l.key;
    e->uri = l.uri;
    e->vary = varyKey(vary, l.request.fields);
    e->response = response;
    http::Fields &fields = e->response.fields;
    removeUnstorable(fields);
    for (const std::string &name : cc.privateFields)
        http::removeHeader(fields, name);
    if (!http::findHeader(fields, "Date")) // RFC 9110 §6.6.1
        fields.push_back({"Date", formatHttpDate(responseTime)});
    e->requestTime = requestTime;
    e->responseTime = responseTime;
    e->initialAge = correctedInitialAge(response.fields, requestTime, responseTime);
    e->freshness = freshnessLifetime(response, cc, responseTime, m_config.heuristic, diagnostics);
    const bool validator = e->etag() || e->lastModified();
    const bool staleExtensions = cc.staleIfError.usable() || cc.staleWhileRevalidate.usable();
    if (e->freshness.lifetime <= e->initialAge && !validator && !staleExtensions)
        return refuse("stale on arrival (" + e->freshness.source
                      + ") and no validator to revalidate it with");
    trace = "stored: " + e->freshness.source + ", shared cache";
    if (cc.source != "Cache-Control" && !cc.source.empty())
        trace += ", directives from " + cc.source;
    if (!vary.empty())
        trace += ", Vary: " + joinNames(vary);
    if (!cc.privateFields.empty())
        trace += ", without the private fields " + joinNames(cc.privateFields);
    if (cc.mustUnderstand && cc.noStore)
        trace += ", must-understand overrides no-store";
    if (e->freshness.lifetime <= e->initialAge)
        trace += ", stale on arrival";
    return e;
}

// A stored response updated by a 304 or a HEAD (§4.3.4, §4.3.5): the fresh fields merged in
// (`merged` names them), its age and freshness from this exchange.
Entry Cache::freshened(const StoredResponse &old, const http::Response &response,
                       Seconds requestTime, Seconds responseTime, std::vector<std::string> &merged,
                       std::vector<std::string> &diagnostics) const
{
    auto updated = std::make_shared<StoredResponse>(old);
    merged = mergeFields(updated->response.fields, response.fields);
    updated->requestTime = requestTime;
    updated->responseTime = responseTime;
    updated->initialAge = correctedInitialAge(updated->response.fields, requestTime, responseTime);
    updated->freshness = freshnessLifetime(updated->response, responseCc(updated->response.fields),
                                           responseTime, m_config.heuristic, diagnostics);
    return updated;
}

ResponsePlan Cache::onResponse(const Lookup &l, const http::Response &response, Seconds requestTime,
                               Seconds responseTime)
{
    ResponsePlan p;
    p.response = response;
    CacheStatus cs = statusFor(l.key);
    cs.fwd = l.fwd;
    cs.fwdStatus = response.status;
    const std::string &method = l.request.method;
    const int status = response.status;

    if (l.uri.empty()) {
        p.trace = l.trace;
        appendCacheStatus(p.response.fields, cs.member());
        return p;
    }
    if (method != "GET" && method != "HEAD") {
        p.trace = l.trace;
        if (unsafeMethod(method) && status >= 200 && status < 400) {
            // §4.4: the target URI, and Location / Content-Location of the same origin.
            std::vector<std::string> uris{l.uri};
            for (const char *name : {"Location", "Content-Location"}) {
                if (const std::string *v = http::findHeader(response.fields, name)) {
                    const std::string u = resolveReference(l.uri, *v);
                    if (!u.empty() && originOf(u) == originOf(l.uri)
                        && std::find(uris.begin(), uris.end(), u) == uris.end())
                        uris.push_back(u);
                }
            }
            std::size_t removed = 0;
            for (const std::string &u : uris)
                removed += m_store.erase(primaryKey("GET", u));
            p.trace = "invalidated: " + method + " answered " + std::to_string(status) + "; "
                      + std::to_string(removed) + " stored response(s) removed for "
                      + joinNames(uris) + " (§4.4)";
        }
        appendCacheStatus(p.response.fields, cs.member());
        return p;
    }

    if (l.validating && status == 304) {
        // §4.3.4: which stored responses this 304 is about.
        const std::vector<Entry> variants = m_store.variants(l.key);
        std::vector<Entry> selected;
        const std::string *etag = http::findHeader(response.fields, "ETag");
        const std::string *lm = http::findHeader(response.fields, "Last-Modified");
        std::string by;
        if (etag && !weakETag(*etag)) {
            by = "strong validator " + *etag;
            for (const Entry &v : variants) {
                if (v->etag() && strongCompare(*v->etag(), *etag))
                    selected.push_back(v);
            }
        } else if (etag || lm) {
            by = etag ? "weak validator " + *etag : "Last-Modified " + *lm;
            std::vector<Entry> candidates;
            for (const Entry &v : variants) {
                if (etag ? (v->etag() && weakCompare(*v->etag(), *etag))
                         : (v->lastModified() && parseHttpDate(*v->lastModified(), responseTime)
                            && parseHttpDate(*v->lastModified(), responseTime)
                                   == parseHttpDate(*lm, responseTime)))
                    candidates.push_back(v);
            }
            if (Entry best = mostRecent(candidates))
                selected.push_back(best);
        } else if (variants.size() == 1 && !variants.front()->etag()
                   && !variants.front()->lastModified()) {
            by = "the only stored response, both without validators";
            selected.push_back(variants.front());
        }
        if (selected.empty()) {
            p.action = ResponsePlan::Action::Retry;
            p.serverRequest = l.request;
            for (const char *name : {"If-None-Match", "If-Modified-Since"}) {
                if (!http::findHeader(l.request.fields, name))
                    http::removeHeader(p.serverRequest.fields, name);
            }
            p.trace = "304 matches no stored response (§4.3.4); asking again without validators";
            return p;
        }
        Entry chosen;
        std::vector<std::string> merged;
        for (const Entry &old : selected) {
            Entry u = freshened(*old, response, requestTime, responseTime, merged, p.diagnostics);
            m_store.replace(old, u);
            if (!chosen || old == l.entry)
                chosen = u;
        }
        const std::string what
            = "304, headers merged (" + joinNames(merged) + "), selected by " + by + " (§4.3.4)";
        if (l.revalidate) {
            p.trace = "revalidated in the background: " + what;
            return p;
        }
        cs.fwdStatus = 304;
        bool declined = false;
        p.action = ResponsePlan::Action::Serve;
        p.served = serve(l, chosen, responseTime, cs, false, declined);
        p.trace = "revalidated: " + what;
        if (selected.size() > 1)
            p.trace += "; " + std::to_string(selected.size()) + " stored responses updated";
        m_store.touch(chosen, responseTime);
        return p;
    }

    if (l.entry && !l.revalidate && staleIfErrorStatus(status)) {
        std::string window;
        if (staleIfError(l, responseTime, window)) {
            cs.detail = "stale-if-error";
            bool declined = false;
            p.action = ResponsePlan::Action::Serve;
            p.served = serve(l, l.entry, responseTime, cs, false, declined);
            p.trace = "served stale: " + window + ", the server answered " + std::to_string(status)
                      + " (RFC 5861 §4)";
            m_store.touch(l.entry, responseTime);
            return p;
        }
    }

    if (method == "HEAD" && l.validating && status == 200 && l.entry) {
        // §4.3.5: a HEAD response freshens the stored GET response if it describes the same one.
        bool differs = false;
        for (const char *name : {"ETag", "Last-Modified", "Content-Length"}) {
            const std::string *now = http::findHeader(response.fields, name);
            const std::string *was = http::findHeader(l.entry->response.fields, name);
            if (now && (!was || *now != *was))
                differs = true;
        }
        if (differs) {
            m_store.erase(l.entry);
            p.trace = "invalidated: the HEAD response describes another representation (§4.3.5)";
        } else {
            std::vector<std::string> merged;
            const Entry updated
                = freshened(*l.entry, response, requestTime, responseTime, merged, p.diagnostics);
            m_store.replace(l.entry, updated);
            p.trace = "freshened by HEAD: headers merged (" + joinNames(merged) + ") (§4.3.5)";
        }
        appendCacheStatus(p.response.fields, cs.member());
        return p;
    }

    std::string trace;
    p.pending = prepare(l, response, requestTime, responseTime, trace, p.diagnostics);
    p.store = p.pending != nullptr;
    p.trace = (l.validating && !l.revalidate
                   ? "revalidated: " + std::to_string(status) + ", a new response; "
                   : std::string())
              + trace;
    if (l.revalidate)
        p.trace = "revalidated in the background: " + trace;
    if (p.store) {
        cs.stored = true;
        cs.ttl = p.pending->freshness.lifetime - p.pending->initialAge;
    }
    appendCacheStatus(p.response.fields, cs.member());
    return p;
}

std::string Cache::complete(ResponsePlan &plan, std::string body, bool complete, Seconds now)
{
    if (!plan.store || !plan.pending)
        return plan.trace;
    plan.store = false;
    std::shared_ptr<StoredResponse> e = std::move(plan.pending);
    std::uint64_t contentLength = 0;
    const bool hasLength = http::findHeader(e->response.fields, "Content-Length")
                           && !http::parseContentLength(e->response.fields, contentLength);
    if (!complete)
        plan.trace = "not stored: the response broke off before its end";
    else if (hasLength && contentLength != body.size())
        plan.trace = "not stored: incomplete, " + std::to_string(body.size()) + " of "
                     + std::to_string(contentLength) + " bytes";
    else if (body.size() > m_config.maxEntryBytes)
        plan.trace = "not stored: " + std::to_string(body.size())
                     + " bytes is over the per-entry limit of "
                     + std::to_string(m_config.maxEntryBytes);
    else {
        if (!hasLength)
            e->response.fields.push_back({"Content-Length", std::to_string(body.size())});
        e->body = m_config.bodyStore ? m_config.bodyStore(*e, std::move(body))
                                     : std::make_shared<MemoryBody>(std::move(body));
        e->storedAt = now;
        if (!m_store.insert(e))
            plan.trace = "not stored: larger than the store's budget for one key";
    }
    return plan.trace;
}

} // namespace ts::cache
