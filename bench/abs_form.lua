-- wrk script for bench/run.sh.
--
--   wrk ... -s bench/abs_form.lua http://PROXY:PORT/ -- http://ORIGIN:PORT/1k
--       sends absolute-form requests ("GET http://ORIGIN:PORT/1k HTTP/1.1") to the proxy
--   wrk ... -s bench/abs_form.lua http://ORIGIN:PORT/1k
--       plain origin-form requests straight to the origin, for comparison
--
-- Either way it ends with one machine-readable line:
--   TS_RESULT requests=N rps=R p50_ms=X p99_ms=Y errors=E non2xx=S

function init(args)
    local url = args[1]
    if url then
        wrk.path = url
        wrk.headers["Host"] = url:match("^%a+://([^/]+)")
    end
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        "TS_RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
        summary.requests, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.timeout, e.status))
end
