// Fuzz target for the HTTP/1.1 request and response parsers (STYLE.md 8).
//
// Input: a mode line, then the bytes to parse.
//   "Q\n<bytes>"                 request parser, default limits ("q": small limits)
//   "R GET HEAD CONNECT\n<bytes>" response parser answering those requests ("r": small limits)
//   anything else                the whole input is a request, default limits
//
// The bytes are parsed whole, split in two at a point derived from the input, and (when short)
// one byte at a time; the transcripts (events, consumed offsets, error statuses, final state)
// must be identical. Contract invariants are checked on the way, and every head must survive
// serialize -> parse unchanged. Any difference aborts.

#include "core/http1/parser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using namespace ts;
using namespace ts::http1;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "http1_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok)
        violation(what);
}

struct Config
{
    bool response = false;
    Http1Limits limits;
    std::vector<std::string> methods;
    std::string_view data;
};

Config parseConfig(std::string_view input)
{
    Config c;
    c.data = input;
    if (input.empty() || std::string_view("QqRr").find(input[0]) == std::string_view::npos)
        return c;
    const std::size_t nl = input.find('\n');
    const std::string_view mode = input.substr(0, nl);
    c.data = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    c.response = mode[0] == 'R' || mode[0] == 'r';
    if (mode[0] == 'q' || mode[0] == 'r') {
        c.limits.maxStartLine = 40;
        c.limits.maxHeaderBytes = 128;
        c.limits.maxHeaderCount = 4;
        c.limits.maxChunkLineBytes = 12;
        c.limits.maxTrailerBytes = 32;
    }
    std::string_view rest = mode.substr(1);
    while (!rest.empty() && c.methods.size() < 16) {
        const std::size_t sp = rest.find(' ');
        if (sp != 0)
            c.methods.emplace_back(rest.substr(0, sp));
        if (sp == std::string_view::npos)
            break;
        rest.remove_prefix(sp + 1);
    }
    return c;
}

std::string headersText(const Headers &headers)
{
    std::string out = "{";
    for (const Header &h : headers)
        out += h.name + ": " + h.value + " | ";
    return out + "}";
}

std::string describe(const RequestHeadEvent &e)
{
    return "head " + e.head.method + ' ' + e.head.target + ' '
           + std::string(versionText(e.head.version)) + " framing=" + std::to_string(int(e.framing))
           + " cl=" + std::to_string(e.contentLength) + " ka=" + std::to_string(e.keepAlive)
           + " ec=" + std::to_string(e.expectContinue) + " wire=" + std::to_string(e.wireSize) + ' '
           + headersText(e.head.headers);
}

std::string describe(const ResponseHeadEvent &e)
{
    return "head " + std::string(versionText(e.head.version)) + ' ' + std::to_string(e.head.status)
           + " '" + e.head.reason + "' framing=" + std::to_string(int(e.framing))
           + " cl=" + std::to_string(e.contentLength) + " ka=" + std::to_string(e.keepAlive)
           + " info=" + std::to_string(e.informational) + " wire=" + std::to_string(e.wireSize)
           + ' ' + headersText(e.head.headers);
}

// Re-parses a serialized head with roomy limits: it must come back unchanged.
void checkRoundTrip(const RequestHeadEvent &e)
{
    const std::string wire = serialize(e.head);
    Http1Limits roomy{1 << 20, 1 << 20, 1 << 16, 1 << 20, 1 << 20};
    RequestParser parser(roomy);
    std::vector<RequestEvent> events;
    parser.feed(wire, events);
    const auto *again = events.empty() ? nullptr : std::get_if<RequestHeadEvent>(&events[0]);
    if (!again || !(again->head == e.head) || again->framing != e.framing
        || again->contentLength != e.contentLength || again->keepAlive != e.keepAlive
        || again->expectContinue != e.expectContinue)
        violation("request head changed in a serialize -> parse round trip", wire);
}

void checkRoundTrip(const ResponseHeadEvent &e)
{
    const std::string wire = serialize(e.head);
    Http1Limits roomy{1 << 20, 1 << 20, 1 << 16, 1 << 20, 1 << 20};
    ResponseParser parser(roomy);
    // As a HEAD response: the framing fields of the original may have been ignored (HEAD,
    // 1xx, 204, 304, CONNECT 2xx), so only the head itself is compared.
    parser.expectResponseTo("HEAD");
    std::vector<ResponseEvent> events;
    parser.feed(wire, events);
    const auto *again = events.empty() ? nullptr : std::get_if<ResponseHeadEvent>(&events[0]);
    if (!again || !(again->head == e.head))
        violation("response head changed in a serialize -> parse round trip", wire);
}

// Feeds `pieces` the way a connection does (re-feeding after each MessageEnd, keeping what the
// parser leaves in front of the next piece) and returns the normalised transcript.
template<typename Parser, typename Event>
std::string run(const Config &config, const std::vector<std::string_view> &pieces, bool roundTrip)
{
    Parser parser(config.limits);
    if constexpr (std::is_same_v<Parser, ResponseParser>) {
        for (const std::string &m : config.methods)
            parser.expectResponseTo(m);
    }
    std::string out;
    std::string body;
    std::size_t offset = 0;
    bool errored = false;
    // Per message, for the framing invariants.
    std::size_t headWire = 0;
    std::uint64_t bodyBytes = 0;
    bool fixedLength = false;
    std::uint64_t contentLength = 0;

    auto flushBody = [&] {
        if (!body.empty())
            out += "body " + std::to_string(body.size()) + ':' + body + '\n';
        body.clear();
    };
    auto take = [&](const std::vector<Event> &events, std::string_view input) {
        for (std::size_t i = 0; i < events.size(); ++i) {
            check(!errored, "event after ParseError");
            const bool last = i + 1 == events.size();
            std::visit(
                [&](const auto &e) {
                    using T = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<T, BodyData>) {
                        check(!e.data.empty(), "empty BodyData");
                        check(e.data.data() >= input.data()
                                  && e.data.data() + e.data.size() <= input.data() + input.size(),
                              "BodyData does not point into the input");
                        body.append(e.data);
                        bodyBytes += e.data.size();
                        return;
                    } else {
                        flushBody();
                    }
                    if constexpr (std::is_same_v<
                                      T,
                                      RequestHeadEvent> || std::is_same_v<T, ResponseHeadEvent>) {
                        out += describe(e) + '\n';
                        headWire = e.wireSize;
                        bodyBytes = 0;
                        fixedLength = e.framing == BodyFraming::ContentLength;
                        contentLength = e.contentLength;
                        check(e.framing == BodyFraming::ContentLength || e.contentLength == 0,
                              "content length without Content-Length framing");
                        if (roundTrip)
                            checkRoundTrip(e);
                    } else if constexpr (std::is_same_v<T, TrailersEvent>) {
                        check(!e.trailers.empty(), "empty TrailersEvent");
                        out += "trailers " + headersText(e.trailers) + '\n';
                    } else if constexpr (std::is_same_v<T, MessageEnd>) {
                        check(last, "feed went on after MessageEnd");
                        check(e.wireSize >= headWire + bodyBytes, "MessageEnd wire too small");
                        if (fixedLength) {
                            check(bodyBytes == contentLength, "body length != Content-Length");
                            check(e.wireSize == headWire + bodyBytes, "fixed-length wire size");
                        }
                        out += "end " + std::to_string(e.wireSize) + " @" + std::to_string(offset)
                               + '\n';
                    } else if constexpr (std::is_same_v<T, ParseError>) {
                        check(last, "feed went on after ParseError");
                        check(parser.failed(), "ParseError but not failed()");
                        check(!e.reason.empty(), "ParseError without a reason");
                        out += "error " + std::to_string(e.status) + ' ' + e.reason + " @"
                               + std::to_string(offset) + '\n';
                        errored = true;
                    }
                },
                events[i]);
        }
    };

    std::string leftover;
    for (const std::string_view piece : pieces) {
        std::string_view input = piece;
        if (!leftover.empty()) {
            leftover.append(piece);
            input = leftover;
        }
        while (!input.empty()) {
            std::vector<Event> events;
            const std::size_t n = parser.feed(input, events);
            check(n <= input.size(), "consumed more than given");
            offset += n;
            take(events, input);
            if (n < input.size()) {
                bool stopped = parser.failed();
                if constexpr (std::is_same_v<Parser, ResponseParser>)
                    stopped = stopped || parser.upgraded();
                stopped = stopped
                          || (!events.empty() && std::holds_alternative<MessageEnd>(events.back()));
                check(stopped, "feed stopped early without MessageEnd, error or upgrade");
            }
            input.remove_prefix(n);
            if (n == 0)
                break;
        }
        leftover = std::string(input);
    }
    std::vector<Event> events;
    parser.feedEof(events);
    take(events, {});
    flushBody();
    out += "done " + std::to_string(offset) + " failed=" + std::to_string(parser.failed())
           + " idle=" + std::to_string(parser.idle());
    if constexpr (std::is_same_v<Parser, ResponseParser>)
        out += " upgraded=" + std::to_string(parser.upgraded());
    return out;
}

template<typename Parser, typename Event>
void fuzz(const Config &config)
{
    const std::string_view data = config.data;
    const std::string whole = run<Parser, Event>(config, {data}, true);

    std::uint64_t h = 1469598103934665603u;
    for (const char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    const std::size_t k = data.empty() ? 0 : static_cast<std::size_t>(h % (data.size() + 1));
    const std::string split
        = run<Parser, Event>(config, {data.substr(0, k), data.substr(k)}, false);
    if (split != whole)
        violation("split input parsed differently", "split at " + std::to_string(k)
                                                        + "\n--- whole:\n" + whole
                                                        + "\n--- split:\n" + split);

    if (data.size() <= 2048) {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < data.size(); ++i)
            bytes.push_back(data.substr(i, 1));
        const std::string byByte = run<Parser, Event>(config, bytes, false);
        if (byByte != whole)
            violation("byte-at-a-time input parsed differently",
                      "--- whole:\n" + whole + "\n--- bytes:\n" + byByte);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const Config config = parseConfig(std::string_view(reinterpret_cast<const char *>(data), size));
    if (config.response)
        fuzz<ResponseParser, ResponseEvent>(config);
    else
        fuzz<RequestParser, RequestEvent>(config);
    return 0;
}
