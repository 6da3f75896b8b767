// Transcript tests of the filter language: expression -> parse result (ok or the exact error),
// expression x a fixed set of sample flows -> the names of the flows it matches, and the
// completions offered for a word.

#include "core/filter/filter.h"
#include "core/flow/flow.h"

#include <QElapsedTimer>
#include <QFile>
#include <QObject>
#include <QTest>

#include <string>
#include <vector>

using namespace ts;
using namespace ts::filter;

namespace {

struct Sample
{
    const char *name;
    flow::Flow flow;
};

std::shared_ptr<flow::Body> body(const std::shared_ptr<flow::BodyBudget> &budget,
                                 std::string_view bytes)
{
    auto b = std::make_shared<flow::Body>(budget);
    b->append(bytes);
    return b;
}

std::shared_ptr<const flow::TlsSide> tls(std::string alpn)
{
    auto side = std::make_shared<flow::TlsSide>();
    side->used = true;
    side->alpn = std::move(alpn);
    return side;
}

flow::Flow exchange(std::string scheme, std::string host, std::uint16_t port, std::string method,
                    std::string path, int status, std::int64_t durationMicros)
{
    flow::Flow f;
    f.kind = flow::FlowKind::Exchange;
    f.state = durationMicros < 0 ? flow::FlowState::Open : flow::FlowState::Complete;
    f.scheme = std::move(scheme);
    f.host = std::move(host);
    f.port = port;
    f.method = std::move(method);
    f.path = std::move(path);
    f.serverProtocol = status ? "HTTP/1.1" : "";
    f.status = status;
    f.timings.complete = durationMicros;
    return f;
}

// {"token":"abc","user":"Ann"}, gzip-compressed.
constexpr std::string_view kGzippedJson(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xab\x56\x2a\xc9\xcf\x4e\xcd\x53\xb2\x52\x4a\x4c"
    "\x4a\x56\xd2\x51\x2a\x2d\x4e\x2d\x02\x72\x1c\xf3\xf2\x94\x6a\x01\x22\xf9\x1d\x56\x1c\x00"
    "\x00\x00",
    46);

// The flows every match row runs against, in this order.
const std::vector<Sample> &samples()
{
    static const std::vector<Sample> all = [] {
        auto budget = std::make_shared<flow::BodyBudget>();
        std::vector<Sample> s;

        flow::Flow html = exchange("http", "example.com", 80, "GET", "/index.html", 200, 150'000);
        html.requestHeaders
            = {{"Host", "example.com"}, {"User-Agent", "Mozilla/5.0"}, {"Accept-Encoding", "gzip"}};
        html.responseHeaders = {{"Content-Type", "text/html; charset=utf-8"}, {"Server", "nginx"}};
        html.responseBody = body(budget, "<html><body>Hello World</body></html>");
        html.marks = {true, flow::MarkColor::Red, "TODO: check the cache headers"};
        s.push_back({"html", html});

        flow::Flow api
            = exchange("https", "api.example.com", 443, "POST", "/v1/users?id=7", 201, 1'500'000);
        api.clientProtocol = "HTTP/2";
        api.requestHeaders = {{"content-type", "application/json"}, {"user-agent", "curl/8.4.0"}};
        api.requestBody = body(budget, R"({"name":"Ann"})");
        api.responseHeaders = {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}};
        api.responseTrailers = {{"x-checksum", "abc123"}};
        api.responseBody = body(budget, kGzippedJson);
        api.intercepted = true;
        api.clientTls = tls("h2");
        api.serverTls = tls("http/1.1");
        api.marks.color = flow::MarkColor::Blue;
        s.push_back({"api", api});

        flow::Flow missing = exchange("http", "example.org", 80, "GET", "/missing", 404, 80'000);
        missing.clientProtocol = "HTTP/1.0";
        missing.responseBody = body(budget, std::string(2048, 'x'));
        s.push_back({"missing", missing});

        flow::Flow failed = exchange("http", "down.test", 8080, "GET", "/", 502, 3'000'000);
        failed.state = flow::FlowState::Failed;
        failed.serverProtocol.clear();
        failed.error = "connect: connection refused";
        failed.responseFromProxy = true;
        s.push_back({"failed", failed});

        flow::Flow tunnel;
        tunnel.kind = flow::FlowKind::Tunnel;
        tunnel.state = flow::FlowState::Complete;
        tunnel.host = "secure.example.net";
        tunnel.port = 443;
        tunnel.method = "CONNECT";
        tunnel.status = 200;
        tunnel.bytesClientToServer = 5000;
        tunnel.bytesServerToClient = 200000;
        tunnel.timings.complete = 10'000'000;
        tunnel.marks.pinned = true;
        tunnel.marks.comment = "the login";
        s.push_back({"tunnel", tunnel});

        flow::Flow ws = exchange("http", "chat.example.com", 80, "GET", "/socket", 101, 60'000'000);
        ws.requestHeaders = {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
        ws.responseHeaders = {{"Connection", "Upgrade"}, {"Upgrade", "WebSocket"}};
        s.push_back({"ws", ws});

        flow::Flow open = exchange("http", "slow.example.com", 80, "GET", "/stream", 0, -1);
        s.push_back({"open", open});

        flow::Flow h3
            = exchange("https", "video.example.com", 443, "GET", "/seg1.m4s", 206, 200'000);
        h3.serverProtocol = "HTTP/3";
        h3.intercepted = true;
        h3.clientTls = tls("http/1.1");
        h3.serverTls = tls("h3");
        h3.responseBody = body(budget, std::string(150000, 'v'));
        s.push_back({"h3", h3});
        return s;
    }();
    return all;
}

QByteArray matching(const Filter &f)
{
    std::string out;
    for (const Sample &s : samples()) {
        if (f.matches(s.flow))
            out += std::string(out.empty() ? "" : " ") + s.name;
    }
    return QByteArray::fromStdString(out);
}

QByteArray parseResult(std::string_view text)
{
    const auto r = Filter::parse(text);
    return r ? QByteArray("ok") : QByteArray::fromStdString(r.error().message);
}

QByteArray joined(const std::vector<std::string> &words)
{
    std::string out;
    for (const std::string &w : words)
        out += (out.empty() ? "" : " ") + w;
    return QByteArray::fromStdString(out);
}

} // namespace

class FilterTest final : public QObject
{
    Q_OBJECT

private slots:
    void parses_data();
    void parses();
    void matches_data();
    void matches();
    void emptyFilterMatchesEverything();
    void depthLimit();
    void lengthLimit();
    void regexCostIsBounded_data();
    void regexCostIsBounded();
    void bodyIsReadWithACap();
    void extendedConnectWebSocket();
    void readsBodies();
    void readsHeaders();
    void completions_data();
    void completions();
    void completionStart();
    void helpTextIsTheReadmeBlock();
};

void FilterTest::parses_data()
{
    QTest::addColumn<QByteArray>("expression");
    QTest::addColumn<QByteArray>("result");
    const auto row = [](const char *expression, const char *result) {
        QTest::newRow(expression) << QByteArray(expression) << QByteArray(result);
    };
    // Accepted.
    row("", "ok");
    row("   ", "ok");
    row("example.com", "ok");
    row("STATUS:4XX Host:X", "ok");
    row("status:>=500 status>=500 status >= 500 status:=200 status==200", "ok");
    row("size>10k reqsize<1m ressize>=100 size:1.5m size:1k-2k size>10KiB", "ok");
    row("duration>200ms duration<1s duration:100us-2.5s duration>1 duration<=2h", "ok");
    row("header:\"user-agent=Mozilla 5\" header:x=\"a b\" header:\"x\"=/a/i", "ok");
    row("/api/users /api/ /a b/i", "ok");
    row("\"quoted \\\"and\\\" escaped\\\\\"", "ok");
    row("error error:refused tls intercepted !tls not intercepted", "ok");
    row("type:exchange type:TUNNEL type:websocket type:ws", "ok");
    row("pinned color comment color:red color:NONE color:grey comment:x comment:/a/i", "ok");
    row("color:pink", "at 6: expected red, orange, yellow, green, blue, purple, gray or none "
                      "after 'color:'");
    row("pinned:yes", "at 6: 'pinned' takes no value");
    row("comment:", "at 8: expected a value after 'comment:'");
    row("a and b && c or d || e", "ok");
    row("localhost:8080 http://example.com", "ok");
    row("hostname status404 error-page", "ok"); // words that start like fields
    row("(((a)))", "ok");
    // Rejected, with where and what.
    row("status:", "at 7: expected a value after 'status:'");
    row("method:get status:", "at 18: expected a value after 'status:'");
    row("status: 404", "at 7: expected a value after 'status:'");
    row("(status:)", "at 8: expected a value after 'status:'");
    row("status:abc", "at 7: expected a status like 404, 4xx, 40x, 400-499 or >=500 after "
                      "'status:', not 'abc'");
    row("status:500-400", "at 7: expected a status like 404, 4xx, 40x, 400-499 or >=500 after "
                          "'status:', not '500-400'");
    row("status:4x4", "at 7: expected a status like 404, 4xx, 40x, 400-499 or >=500 after "
                      "'status:', not '4x4'");
    row("status>=", "at 8: expected a value after 'status>='");
    row("status=>5", "at 8: expected a status like 404, 4xx, 40x, 400-499 or >=500 after "
                     "'status=>', not '5'");
    row("size>10q", "at 5: expected a size like 100, 10k, 1.5m, >10k or 1k-1m (k, m, g are "
                    "1024-based) after 'size>', not '10q'");
    row("duration<5x", "at 9: expected a duration like 200ms, 1.5s, >200ms or 100ms-1s (us, ms, "
                       "s, m, h; a bare number is ms) after 'duration<', not '5x'");
    row("size<0", "at 5: expected a size like 100, 10k, 1.5m, >10k or 1k-1m (k, m, g are "
                  "1024-based) after 'size<', not '0'");
    row("(", "at 1: expected an expression after '('");
    row("()", "at 1: expected an expression after '('");
    row("(error", "at 6: expected ')' to close the '(' at 0");
    row("a (b (c)", "at 8: expected ')' to close the '(' at 2");
    row("error)", "at 5: unexpected ')'");
    row(")", "at 0: unexpected ')'");
    row("and", "at 0: expected an expression before 'and'");
    row("&& error", "at 0: expected an expression before '&&'");
    row("error and", "at 9: expected an expression after 'and'");
    row("error or", "at 8: expected an expression after 'or'");
    row("error ||", "at 8: expected an expression after '||'");
    row("error or or tls", "at 9: expected an expression after 'or'");
    row("error and or tls", "at 10: expected an expression after 'and'");
    row("(error or)", "at 9: expected an expression after 'or'");
    row("!", "at 1: expected an expression after '!'");
    row("not", "at 3: expected an expression after 'not'");
    row("NOT ", "at 4: expected an expression after 'NOT'");
    row("\"abc", "at 0: unterminated quoted string");
    row("\"abc\\\"", "at 0: unterminated quoted string");
    row("\"abc\"def", "at 5: expected a space or ')' after the closing quote");
    row("hots:example.com", "at 0: unknown field 'hots' (did you mean 'host:'?)");
    row("Stauts:abc", "at 0: unknown field 'Stauts' (did you mean 'status:'?)");
    row("Stauts:404", "ok"); // a digit after the colon: a host:port word
    row("foo:bar", "at 0: unknown field 'foo' (to find text with a colon in URLs, put it in "
                   "quotes)");
    row("foo:", "at 0: unknown field 'foo' (to find text with a colon in URLs, put it in quotes)");
    row("tls:yes", "at 3: 'tls' takes no value");
    row("type:foo", "at 5: expected exchange, tunnel or websocket after 'type:'");
    row("error:", "at 6: expected a value after 'error:'");
    row("header:", "at 7: expected a value after 'header:'");
    row("header:=x", "at 7: expected a header name after 'header:'");
    row("header:x=", "at 9: expected a value after 'header:x='");
    row("header:\"a=b\"=c", "at 12: expected a space or ')' after the closing quote");
    row("path:/(/", "at 5: bad regex /(/: unbalanced ( ) or nothing to repeat");
    row("/a[/", "ok"); // no closing slash outside the class: a word
    row("/a[/]/", "ok");
    row("/[b-a]/", "at 0: bad regex /[b-a]/: bad character range");
    row("/*/", "at 0: bad regex /*/: unbalanced ( ) or nothing to repeat");
    row("/a{2,1}/", "at 0: bad regex /a{2,1}/: bad {n,m} repeat");
    row("/(a)\\1/", "at 0: bad regex /(a)\\1/: back-references are not supported");
    row("/a{1000}{1000}/", "at 0: regex too complex (large {n,m} repeats)");
    row("/a{99999999999999999999/", "at 0: bad regex /a{99999999999999999999/: number too large");
    row("/a{1,99999999999999999999}/",
        "at 0: bad regex /a{1,99999999999999999999}/: number too large");
    row("/(a)\\99999999999999999999/",
        "at 0: bad regex /(a)\\99999999999999999999/: number too large");
    row("/1234567890123/", "ok"); // long numbers elsewhere are plain text
    row("/a{123456}/", "at 0: regex too complex (large {n,m} repeats)");
    row("/(a?){98}/", "ok");
    row("/(a?){99}/", "at 0: regex too complex (large {n,m} repeats)");
    row("/((a{50}){50}){50}/", "at 0: regex too complex (large {n,m} repeats)");
}

void FilterTest::parses()
{
    QFETCH(QByteArray, expression);
    QFETCH(QByteArray, result);
    QCOMPARE(parseResult(expression.toStdString()), result);
    const auto r = Filter::parse(expression.toStdString());
    if (!r)
        QCOMPARE(r.error().code, std::string("filter.syntax"));
    else
        QCOMPARE(r->text(), expression.toStdString());
}

void FilterTest::matches_data()
{
    QTest::addColumn<QByteArray>("expression");
    QTest::addColumn<QByteArray>("flows");
    const auto row = [](const char *expression, const char *flows) {
        QTest::newRow(expression) << QByteArray(expression) << QByteArray(flows);
    };
    // Samples: html api missing failed tunnel ws open h3.
    row("", "html api missing failed tunnel ws open h3");
    // Bare words and quoted text: the URL.
    row("example.com", "html api ws open h3");
    row("EXAMPLE.COM", "html api ws open h3");
    row("example", "html api missing tunnel ws open h3");
    row("\"/index.html\"", "html");
    row("\"api.example.com/v1\"", "api");
    row("down.test:8080", "failed");
    row("secure.example.net:443", "tunnel");
    row("http://example.com", "html");
    row("localhost:8080", "");
    row("url:socket", "ws");
    // Text fields.
    row("host:example.org", "missing");
    row("host:EXAMPLE.org", "missing");
    // Issue 17, defect 11: host: matches host:port as the table shows it.
    row("host:down.test:8080", "failed");
    row("host:secure.example.net:443", "tunnel");
    row("host:/^example\\.org$/", "missing");
    row("path:users", "api");
    row("path:/v1/", "api");
    row("path:/index.html", "html");
    row("method:get", "html missing failed ws open h3");
    row("method:ge", "");
    row("method:connect", "tunnel");
    row("method:/^(post|put)$/i", "api");
    row("scheme:https", "api h3");
    // Status.
    row("status:200", "html tunnel");
    row("status:2xx", "html api tunnel h3");
    row("status:20x", "html api tunnel h3");
    row("status:4xx", "missing");
    row("status:400-599", "missing failed");
    row("status>=500", "failed");
    row("status:>=500", "failed");
    row("status < 200", "ws open");
    row("status:10x", "ws");
    row("status=206", "h3");
    // Protocols, either side.
    row("proto:h2", "api");
    row("protocol:HTTP/2.0", "api");
    row("proto:h1", "html api missing failed tunnel ws open h3");
    row("proto:HTTP/1.0", "missing");
    row("proto:1.0", "missing");
    row("proto:h3", "h3");
    row("proto:/^HTTP\\/3$/", "h3");
    row("!proto:HTTP/1.1", "");
    // Headers (and trailers).
    row("header:content-type", "html api");
    row("header:CONTENT-TYPE=JSON", "api");
    row("reqheader:content-type=json", "api");
    row("resheader:content-type=html", "html");
    row("reqheader:server", "");
    row("resheader:server", "html");
    row("header:x-checksum", "api");
    row("header:upgrade=websocket", "ws");
    row("header:\"user-agent=curl/8\"", "api");
    row("header:user-agent=\"Mozilla/5.0\"", "html");
    row("header:user-agent=/^curl\\//", "api");
    row("header:user-agent=/^CURL/", "");
    row("header:user-agent=/^CURL/i", "api");
    // Bodies, decoded.
    row("body:hello", "html");
    row("body:token", "api");
    row("body:\"\\\"user\\\":\\\"ann\\\"\"", "api");
    row("reqbody:ann", "api");
    row("resbody:ann", "api");
    row("reqbody:token", "");
    row("body:/tok.n/", "api");
    row("body:vvvv", "h3");
    // Sizes: the Size column (response body; a tunnel's bytes both ways).
    row("size>10k", "tunnel h3");
    row("size > 10k", "tunnel h3");
    row("size:2k", "missing");
    row("size:1k-3k", "missing");
    row("ressize>=2048", "missing tunnel h3");
    row("reqsize>0", "api tunnel");
    row("reqsize<1", "html missing failed ws open h3");
    row("size>1.5m", "");
    row("size:0", "failed ws open");
    // Durations: open flows have none.
    row("duration>200ms", "api failed tunnel ws");
    row("duration>=200ms", "api failed tunnel ws h3");
    row("duration<100ms", "missing");
    row("duration:100ms-1s", "html h3");
    row("duration>1m", "");
    row("duration>=1m", "ws");
    row("duration>=60000", "ws");
    row("duration<=80000us", "missing");
    row("!duration>=0", "open");
    // Flags and types.
    row("error", "failed");
    row("error:REFUSED", "failed");
    row("!error", "html api missing tunnel ws open h3");
    row("tls", "api h3");
    row("intercepted", "api h3");
    row("tls !intercepted", "");
    row("type:tunnel", "tunnel");
    row("type:exchange", "html api missing failed ws open h3");
    row("type:websocket", "ws");
    row("type:WS", "ws");
    row("type:exchange !type:websocket", "html api missing failed open h3");
    // The user's marks.
    row("pinned", "html tunnel");
    row("!pinned", "api missing failed ws open h3");
    row("color", "html api");
    row("color:red", "html");
    row("COLOR:Blue", "api");
    row("color:none", "missing failed tunnel ws open h3");
    row("color:green", "");
    row("color:grey", "");
    row("comment", "html tunnel");
    row("comment:login", "tunnel");
    row("comment:/^todo/i", "html");
    row("comment:\"cache headers\"", "html");
    row("pinned color:red", "html");
    row("pinned !comment:todo or color:blue", "api tunnel");
    row("login", ""); // a bare word is looked for in the URL, not in comments
    // Operators and precedence: not > and > or.
    row("not example.com", "missing failed tunnel");
    row("example.com and status:200", "html");
    row("example.com && status:200", "html");
    row("example.com status:200", "html");
    row("host:example.org or error", "missing failed");
    row("host:example.org || error", "missing failed");
    row("host:example.org or status:200 and method:get", "html missing");
    row("(host:example.org or status:200) and method:get", "html missing");
    row("(host:example.org or status:200) and method:connect", "tunnel");
    row("(method:post or method:put) !resheader:content-type", "");
    row("(method:post or method:put) resheader:content-type", "api");
    row("!(status:2xx or status:3xx)", "missing failed ws open");
    row("not not error", "failed");
    row("!!error", "failed");
    row("! error", "html api missing tunnel ws open h3");
    // Regexes over the URL.
    row("/exa.ple\\.com/", "html api ws open h3");
    row("/EXAMPLE/", "");
    row("/EXAMPLE/i", "html api missing tunnel ws open h3");
    row("/^https:/", "api h3");
    row("/(a|b) c/", "");
}

void FilterTest::matches()
{
    QFETCH(QByteArray, expression);
    QFETCH(QByteArray, flows);
    const auto r = Filter::parse(expression.toStdString());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(matching(*r), flows);
}

void FilterTest::emptyFilterMatchesEverything()
{
    const Filter none;
    QVERIFY(none.isEmpty());
    QCOMPARE(matching(none), QByteArray("html api missing failed tunnel ws open h3"));
    QVERIFY(Filter::parse("  ")->isEmpty());
    QVERIFY(!Filter::parse("a")->isEmpty());
}

void FilterTest::depthLimit()
{
    const auto nested = [](int depth, std::string_view open, std::string_view close) {
        std::string s;
        for (int i = 0; i < depth; ++i)
            s += open;
        s += "error";
        for (int i = 0; i < depth; ++i)
            s += close;
        return s;
    };
    const std::string tooDeep = "at 64: more than 64 nested parentheses and 'not's";
    QCOMPARE(parseResult(nested(64, "(", ")")), QByteArray("ok"));
    QCOMPARE(parseResult(nested(65, "(", ")")).toStdString(), tooDeep);
    QCOMPARE(parseResult(nested(64, "!", "")), QByteArray("ok"));
    QCOMPARE(parseResult(nested(65, "!", "")).toStdString(), tooDeep);
    QCOMPARE(parseResult(nested(32, "!(", ")")), QByteArray("ok"));
    QCOMPARE(parseResult(nested(33, "!(", ")")), QByteArray("at 64: more than 64 nested "
                                                            "parentheses and 'not's"));
    QCOMPARE(parseResult(nested(8000, "(", ")")).toStdString(), tooDeep);
    QCOMPARE(parseResult(nested(4000, "not ", "")).toStdString(),
             "at 256: more than 64 nested parentheses and 'not's");
    // 64 levels evaluate: an even number of nots is the flag itself.
    QCOMPARE(matching(*Filter::parse(nested(64, "!", ""))), QByteArray("failed"));
    // Long flat expressions are not deep.
    std::string flat = "error";
    for (int i = 0; i < 1500; ++i)
        flat += " or error";
    QCOMPARE(matching(*Filter::parse(flat)), QByteArray("failed"));
}

void FilterTest::lengthLimit()
{
    const std::string longest(FilterLimits::maxExpressionBytes, 'a');
    QCOMPARE(parseResult(longest), QByteArray("ok"));
    QCOMPARE(parseResult(longest + "a"),
             QByteArray("at 16384: the filter is longer than 16384 bytes"));
}

void FilterTest::regexCostIsBounded_data()
{
    QTest::addColumn<QByteArray>("expression");
    // Exponential for a backtracking matcher on a long run of 'a's.
    QTest::newRow("nested star") << QByteArray("path:/(a*)*b/");
    QTest::newRow("alternation") << QByteArray("path:/(a|aa)+$/");
    QTest::newRow("a?^n a^n") << QByteArray("path:/(a?){60}a{60}/");
    QTest::newRow("x+x+") << QByteArray("path:/(a+a+)+y/i");
    QTest::newRow("dot star") << QByteArray("path:/.*.*.*=/");
    QTest::newRow("at the cost limit") << QByteArray("path:/(a?){98}/");
}

// The matcher is linear in the text and sees at most maxRegexSubject bytes of it, so a
// pathological pattern over a 1 MB path finishes (exponential ones would not), and its stack
// stays small.
void FilterTest::regexCostIsBounded()
{
    QFETCH(QByteArray, expression);
    const auto r = Filter::parse(expression.toStdString());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    flow::Flow f
        = exchange("http", "example.com", 80, "GET", "/" + std::string(1 << 20, 'a'), 200, 1);
    QElapsedTimer timer;
    timer.start();
    r->matches(f);
    QVERIFY2(timer.elapsed() < 60000, std::to_string(timer.elapsed()).c_str());
}

void FilterTest::bodyIsReadWithACap()
{
    auto budget = std::make_shared<flow::BodyBudget>();
    flow::Flow f = exchange("http", "example.com", 80, "GET", "/", 200, 1);
    std::string bytes(FilterLimits::maxBodyRead, 'x');
    bytes += "needle";
    f.responseBody = body(budget, bytes);
    QVERIFY(!Filter::parse("body:needle")->matches(f));
    QVERIFY(Filter::parse("body:xxx")->matches(f));
    // A body that does not decode is searched as recorded.
    f.responseHeaders = {{"Content-Encoding", "gzip"}};
    f.responseBody = body(budget, "not gzip, just a needle");
    QVERIFY(Filter::parse("body:needle")->matches(f));
    // A compressed body cut short decodes as far as it goes.
    f.responseHeaders = {{"content-encoding", "identity"}, {"Content-Encoding", "gzip"}};
    f.responseBody = body(budget, kGzippedJson.substr(0, 30));
    QVERIFY(Filter::parse("body:token")->matches(f));
}

void FilterTest::extendedConnectWebSocket()
{
    flow::Flow f = exchange("https", "chat.example.com", 443, "CONNECT", "/socket", 200, 1);
    f.clientProtocol = "HTTP/2";
    f.requestHeaders = {{":protocol", "websocket"}};
    QVERIFY(Filter::parse("type:websocket")->matches(f));
    f.status = 400;
    QVERIFY(!Filter::parse("type:websocket")->matches(f));
    // A 101 to something else (h2c) is not a WebSocket.
    flow::Flow h2c = exchange("http", "example.com", 80, "GET", "/", 101, 1);
    h2c.responseHeaders = {{"Upgrade", "h2c"}};
    QVERIFY(!Filter::parse("type:websocket")->matches(h2c));
}

void FilterTest::readsBodies()
{
    QVERIFY(!Filter::parse("host:x header:y=z size>1")->readsBodies());
    QVERIFY(Filter::parse("host:x or !resbody:y")->readsBodies());
    QVERIFY(Filter().readsBodies() == false);
}

void FilterTest::readsHeaders()
{
    QVERIFY(!Filter::parse("host:x status:404 size>1 type:tunnel example")->readsHeaders());
    QVERIFY(Filter::parse("host:x or !reqheader:y")->readsHeaders());
    QVERIFY(Filter::parse("not (status:200 and header:x=1)")->readsHeaders());
    QVERIFY(Filter::parse("body:x")->readsHeaders()); // its Content-Encoding
    QVERIFY(Filter::parse("type:websocket")->readsHeaders());
    QVERIFY(!Filter().readsHeaders());
}

void FilterTest::completions_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("cursor"); // -1: the end
    QTest::addColumn<QByteArray>("candidates");
    const auto row = [](const char *name, const char *text, int cursor, const char *candidates) {
        QTest::newRow(name) << QByteArray(text) << cursor << QByteArray(candidates);
    };
    row("ho", "ho", -1, "host:");
    row("HO", "HO", -1, "host:");
    row("st", "st", -1, "status:");
    row("e", "e", -1, "error error:");
    row("re", "re", -1, "reqheader: resheader: reqbody: resbody: reqsize: ressize:");
    row("t", "t", -1, "type: tls");
    row("n", "n", -1, "not");
    row("a", "a", -1, "and");
    row("o", "o", -1, "or");
    row("i", "i", -1, "intercepted");
    row("empty", "", -1,
        "host: path: url: method: status: type: proto: protocol: scheme: header: reqheader: "
        "resheader: body: reqbody: resbody: size: reqsize: ressize: duration: error error: tls "
        "intercepted pinned color color: comment comment: and or not");
    row("c", "c", -1, "color color: comment comment:");
    row("color:", "color:", -1,
        "color:red color:orange color:yellow color:green color:blue color:purple color:gray "
        "color:none");
    row("color:g", "color:g", -1, "color:green color:gray");
    row("type:", "type:", -1, "type:exchange type:tunnel type:websocket");
    row("type:w", "type:w", -1, "type:websocket");
    row("TYPE:T", "TYPE:T", -1, "TYPE:tunnel");
    row("after a term", "host:example.com st", -1, "status:");
    row("after (!", "(!ty", -1, "type:");
    row("proto:h", "proto:h", -1,
        "proto:h1 proto:h2 proto:h3 proto:HTTP/1.0 proto:HTTP/1.1 proto:HTTP/2 proto:HTTP/3");
    row("method:p", "method:p", -1, "method:POST method:PUT method:PATCH");
    row("status:", "status:", -1, "status:1xx status:2xx status:3xx status:4xx status:5xx");
    row("header name", "header:content-t", -1, "header:content-type");
    row("header value", "header:x=", -1, "");
    row("host value", "host:", -1, "");
    row("in quotes", "\"ho", -1, "");
    row("after quotes", "\"a b\" ho", -1, "host:");
    row("unknown field", "foo:", -1, "");
    row("mid-text", "hos example", 3, "host:");
    row("past the end", "ho", 99, "host:");
}

void FilterTest::completions()
{
    QFETCH(QByteArray, text);
    QFETCH(int, cursor);
    QFETCH(QByteArray, candidates);
    const std::string t = text.toStdString();
    const std::size_t at = cursor < 0 ? t.size() : std::size_t(cursor);
    QCOMPARE(joined(Filter::completions(t, at)), candidates);
}

void FilterTest::completionStart()
{
    QCOMPARE(Filter::completionStart("a (!ho", 6), std::size_t(4));
    QCOMPARE(Filter::completionStart("a (!ho", 4), std::size_t(4));
    QCOMPARE(Filter::completionStart("host:x", 6), std::size_t(0));
    QCOMPARE(Filter::completionStart("a b", 2), std::size_t(2));
    QCOMPARE(Filter::completionStart("", 5), std::size_t(0));
}

void FilterTest::helpTextIsTheReadmeBlock()
{
    const std::string help = Filter::helpText();
    QVERIFY(help.find("FILTER QUICK REFERENCE") == 0);
    QVERIFY(help.find("status:400-499") != std::string::npos);
    std::size_t start = 0;
    while (start < help.size()) {
        std::size_t end = help.find('\n', start);
        if (end == std::string::npos)
            end = help.size();
        QVERIFY2(end - start <= 78, help.substr(start, end - start).c_str());
        start = end + 1;
    }
    QFile readme(qEnvironmentVariable("TS_SOURCE_DIR") + QStringLiteral("/core/filter/README.md"));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const std::string text = readme.readAll().toStdString();
    QVERIFY(text.find("```text\n" + help + "```\n<!-- help end -->") != std::string::npos);
    // Every example in the help parses.
    const std::size_t examples = help.find("Examples:\n");
    QVERIFY(examples != std::string::npos);
    start = help.find('\n', examples) + 1;
    while (start < help.size()) {
        const std::size_t end = help.find('\n', start);
        const std::string line = help.substr(start, end - start);
        QVERIFY2(Filter::parse(line).ok(), line.c_str());
        start = end + 1;
    }
}

QTEST_APPLESS_MAIN(FilterTest)

#include "filter_test.moc"
