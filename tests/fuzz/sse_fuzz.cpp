// Fuzz target for the text/event-stream parser (core/sse, STYLE.md 8).
//
// Input: a mode byte (bit 0: small limits, a 64-byte line and a 256-byte event), then the
// stream. Fed whole, split in two and three at derived points, and (when short) byte by byte:
// the items and the last event ID must be identical. Checked on the way: event data and
// types are valid UTF-8 (the parser decodes with replacement), no id holds a NUL, the limits
// hold, nothing follows an error.

#include "core/base/utf8.h"
#include "core/sse/event_stream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts::sse;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "sse_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what, const std::string &detail = {})
{
    if (!ok)
        violation(what, detail);
}

bool utf8(std::string_view s)
{
    ts::Utf8Validator v;
    return v.feed(s) == std::string_view::npos && v.complete();
}

std::string run(const ts::SseLimits &limits, const std::vector<std::string_view> &pieces)
{
    EventStreamParser p(limits);
    std::vector<Item> items;
    for (const std::string_view piece : pieces)
        p.feed(piece, items);
    p.feedEof(items);
    std::string out;
    bool errored = false;
    for (const Item &item : items) {
        check(!errored, "an item after the error");
        if (const auto *e = std::get_if<ServerEvent>(&item)) {
            check(utf8(e->data) && utf8(e->type) && utf8(e->lastEventId), "not UTF-8");
            check(e->lastEventId.find('\0') == std::string::npos, "an id with NUL");
            check(e->data.size() <= limits.maxEventBytes, "event limit not applied");
            check(!e->type.empty(), "an event without a type");
            out += "event " + e->type + "|" + e->lastEventId + "|" + e->data + "\n";
        } else if (const auto *r = std::get_if<Retry>(&item)) {
            out += "retry " + std::to_string(r->milliseconds) + "\n";
        } else if (const auto *c = std::get_if<Comment>(&item)) {
            check(utf8(c->text), "a comment that is not UTF-8");
            check(c->text.size() < limits.maxLineBytes, "line limit not applied");
            out += "comment " + c->text + "\n";
        } else if (const auto *s = std::get_if<StreamError>(&item)) {
            check(!s->error.message.empty(), "an error without a message");
            check(p.failed(), "an error but not failed()");
            out += "error " + s->error.code + "\n";
            errored = true;
        }
    }
    return out + "last " + p.lastEventId() + "\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    ts::SseLimits limits;
    if (data[0] & 1)
        limits = ts::SseLimits{64, 256};
    const std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);
    const std::string whole = run(limits, {input});
    std::uint64_t h = 1469598103934665603u;
    for (const char c : input)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    const std::size_t k = static_cast<std::size_t>(h % (input.size() + 1));
    const std::size_t j = k + static_cast<std::size_t>((h >> 32) % (input.size() - k + 1));
    const std::vector<std::vector<std::string_view>> splits = {
        {input.substr(0, k), input.substr(k)},
        {input.substr(0, k), input.substr(k, j - k), input.substr(j)},
    };
    for (const auto &pieces : splits) {
        const std::string t = run(limits, pieces);
        if (t != whole)
            violation("split input gave a different transcript",
                      "split at " + std::to_string(k) + "/" + std::to_string(j) + "\n--- whole:\n"
                          + whole + "--- split:\n" + t);
    }
    if (input.size() <= 2048) {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < input.size(); ++i)
            bytes.push_back(input.substr(i, 1));
        const std::string t = run(limits, bytes);
        if (t != whole)
            violation("byte-at-a-time input gave a different transcript",
                      "--- whole:\n" + whole + "--- bytes:\n" + t);
    }
    return 0;
}
