// Fuzz target for Filter::parse, Filter::matches and Filter::completions (STYLE.md 8).
//
// Input: a filter expression as typed.
//
// Checks, any failure aborts:
//  - an error is "filter.syntax" and reads "at N: ..." with N no further than the end;
//  - parsing is deterministic: the same text gives the same error, or the same matches;
//  - an accepted filter keeps its text and runs against sample flows of every kind (bodies
//    plain, gzip-encoded and corrupt);
//  - "!(text)" parses too, unless that passes the depth or length limit, and matches exactly
//    the flows the filter does not; "(text)" matches the same ones;
//  - completions at a few cursors do not crash, and each candidate starts with the word at the
//    cursor (ignoring case).

#include "core/filter/filter.h"
#include "core/flow/flow.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts;
using ts::filter::Filter;
using ts::filter::FilterLimits;

[[noreturn]] void violation(const char *what, std::string_view detail = {})
{
    std::fprintf(stderr, "filter_fuzz: %s\n%.*s\n", what, int(detail.size()), detail.data());
    std::abort();
}

void check(bool ok, const char *what, std::string_view detail = {})
{
    if (!ok)
        violation(what, detail);
}

std::shared_ptr<flow::Body> body(std::string_view bytes)
{
    static const auto budget = std::make_shared<flow::BodyBudget>();
    auto b = std::make_shared<flow::Body>(budget);
    b->append(bytes);
    return b;
}

// {"token":"abc","user":"Ann"}, gzip-compressed.
constexpr std::string_view kGzippedJson(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xab\x56\x2a\xc9\xcf\x4e\xcd\x53\xb2\x52\x4a\x4c"
    "\x4a\x56\xd2\x51\x2a\x2d\x4e\x2d\x02\x72\x1c\xf3\xf2\x94\x6a\x01\x22\xf9\x1d\x56\x1c\x00"
    "\x00\x00",
    46);

const std::vector<flow::Flow> &samples()
{
    static const std::vector<flow::Flow> all = [] {
        std::vector<flow::Flow> s;
        flow::Flow html;
        html.state = flow::FlowState::Complete;
        html.scheme = "http";
        html.host = "example.com";
        html.port = 80;
        html.method = "GET";
        html.path = "/index.html?q=1";
        html.serverProtocol = "HTTP/1.1";
        html.status = 200;
        html.requestHeaders = {{"User-Agent", "Mozilla/5.0"}};
        html.responseHeaders = {{"Content-Type", "text/html"}};
        html.responseBody = body("<html>Hello</html>");
        html.timings.complete = 150'000;
        s.push_back(html);

        flow::Flow api = html;
        api.scheme = "https";
        api.host = "api.example.com";
        api.port = 443;
        api.method = "POST";
        api.path = "/v1/users";
        api.clientProtocol = "HTTP/2";
        api.status = 201;
        api.requestBody = body(R"({"name":"Ann"})");
        api.responseHeaders = {{"Content-Encoding", "gzip"}, {"Content-Type", "application/json"}};
        api.responseTrailers = {{"x-checksum", "abc"}};
        api.responseBody = body(kGzippedJson);
        api.intercepted = true;
        auto tls = std::make_shared<flow::TlsSide>();
        tls->used = true;
        api.clientTls = tls;
        s.push_back(api);

        flow::Flow broken = html;
        broken.state = flow::FlowState::Failed;
        broken.host = "down.test";
        broken.port = 8080;
        broken.status = 502;
        broken.error = "connect: connection refused";
        broken.responseHeaders = {{"Content-Encoding", "br, gzip"}};
        broken.responseBody = body("not compressed at all");
        s.push_back(broken);

        flow::Flow ws = html;
        ws.status = 101;
        ws.requestHeaders = {{"Upgrade", "websocket"}};
        ws.responseHeaders = {{"Upgrade", "websocket"}};
        ws.responseBody = nullptr;
        s.push_back(ws);

        flow::Flow tunnel;
        tunnel.kind = flow::FlowKind::Tunnel;
        tunnel.state = flow::FlowState::Complete;
        tunnel.host = "::1";
        tunnel.port = 443;
        tunnel.bytesClientToServer = 5000;
        tunnel.bytesServerToClient = 1u << 20;
        tunnel.timings.complete = 10'000'000;
        s.push_back(tunnel);

        flow::Flow open = html;
        open.state = flow::FlowState::Open;
        open.status = 0;
        open.timings.complete = -1;
        s.push_back(open);
        return s;
    }();
    return all;
}

std::vector<bool> run(const Filter &f)
{
    std::vector<bool> out;
    for (const flow::Flow &flow : samples())
        out.push_back(f.matches(flow));
    return out;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
        };
        if (lower(s[i]) != lower(prefix[i]))
            return false;
    }
    return true;
}

void checkError(const Error &e, std::string_view text)
{
    check(e.code == "filter.syntax", "error code", e.code);
    check(e.message.rfind("at ", 0) == 0, "error without a position", e.message);
    std::size_t pos = 0;
    std::size_t i = 3;
    while (i < e.message.size() && e.message[i] >= '0' && e.message[i] <= '9')
        pos = pos * 10 + std::size_t(e.message[i++] - '0');
    check(i > 3 && e.message.compare(i, 2, ": ") == 0, "error position unreadable", e.message);
    check(pos <= text.size(), "error past the end", e.message);
}

void checkCompletions(std::string_view text)
{
    for (const std::size_t cursor :
         {std::size_t(0), text.size() / 3, text.size() / 2, text.size(), text.size() + 5}) {
        const std::size_t start = Filter::completionStart(text, cursor);
        const std::size_t end = std::min(cursor, text.size());
        check(start <= end, "completion start after the cursor");
        const std::string_view word = text.substr(start, end - start);
        for (const std::string &c : Filter::completions(text, cursor))
            check(startsWithIgnoreCase(c, word), "candidate does not extend the word", c);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    checkCompletions(text.substr(0, 4096));

    const auto parsed = Filter::parse(text);
    const auto again = Filter::parse(text);
    check(parsed.ok() == again.ok(), "parsing is not deterministic");
    if (!parsed) {
        checkError(parsed.error(), text);
        check(parsed.error().message == again.error().message, "error is not deterministic");
        return 0;
    }
    check(parsed->text() == text, "text not kept");
    const std::vector<bool> matches = run(*parsed);
    check(matches == run(*again), "matches are not deterministic");
    if (parsed->isEmpty()) {
        check(matches == std::vector<bool>(matches.size(), true), "empty filter rejects a flow");
        return 0;
    }

    const std::string body(text);
    const auto grouped = Filter::parse("(" + body + ")");
    const auto negated = Filter::parse("!(" + body + ")");
    if (!negated) {
        checkError(negated.error(), "!(" + body + ")");
        // Only the limits may refuse the wrapped text.
        check(negated.error().message.find("nested") != std::string::npos
                  || body.size() + 3 > FilterLimits::maxExpressionBytes,
              "!(text) refused though text parses", negated.error().message);
        return 0;
    }
    check(grouped.ok(), "(text) refused though !(text) parses");
    check(run(*grouped) == matches, "(text) matches differently");
    std::vector<bool> inverse = run(*negated);
    for (std::size_t i = 0; i < inverse.size(); ++i)
        check(inverse[i] != matches[i], "!(text) is not the complement", body);
    return 0;
}
