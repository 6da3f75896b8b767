// Fuzz target for the WebSocket frame parser with permessage-deflate (core/ws, STYLE.md 8).
//
// Input: a mode byte, then the bytes one side sends.
//   bit 0   the sender: 0 client (frames must be masked), 1 server
//   bit 1   permessage-deflate agreed
//   bit 2   ... without context takeover
//   bit 3   small limits (frame 300, message 1000, inflated 2000 bytes); otherwise frame and
//           message 1 MiB, inflated 4 MiB
//   bits 4-6 window bits 8 + n (for the deflater round trip)
//
// The bytes are fed whole, split in two and in three at points derived from the input, and
// (when short) byte by byte; the transcripts (tests/core/ws/transcript.h: frames, data joined,
// messages, controls, the error) must be identical. Checked on the way: a frame header
// re-encoded is the bytes it was read from (the parser accepts only the shortest length
// form), frame offsets follow each other, nothing comes after an error, a message's size is
// the data it produced and stays within the limits (bounded memory: no DataEvent or message
// exceeds the inflated bound), text messages are valid UTF-8, control payloads are at most
// 125 bytes, errors carry one of the close codes the codec uses and a reason. Every message
// the parser inflated is compressed again by a Deflater and inflated by a fresh Inflater
// with the same history: it must come back unchanged.

#include "core/base/utf8.h"
#include "core/ws/deflate.h"
#include "core/ws/parser.h"
#include "tests/core/ws/transcript.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts::ws;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "ws_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what, const std::string &detail = {})
{
    if (!ok)
        violation(what, detail);
}

std::uint64_t hash(std::string_view data)
{
    std::uint64_t h = 1469598103934665603u;
    for (const char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    return h;
}

struct Config
{
    ParserOptions options;
    int windowBits = 15;
};

Config config(std::uint8_t mode)
{
    Config c;
    c.options.sender = (mode & 1) ? Sender::Server : Sender::Client;
    if (mode & 2)
        c.options.deflate = DeflateParams{(mode & 4) != 0, 15};
    if (mode & 8) {
        c.options.limits = {300, 1000, 2000};
    } else {
        c.options.limits = {1 << 20, 1 << 20, 4 << 20};
    }
    c.windowBits = 8 + ((mode >> 4) & 7);
    return c;
}

// The invariants on one whole-input run.
void checkEvents(const Config &c, std::string_view input, const std::vector<Event> &events,
                 const FrameParser &parser)
{
    const ts::WsLimits &limits = c.options.limits;
    std::uint64_t nextOffset = 0;
    bool errored = false;
    std::string message;
    std::vector<std::string> inflatedMessages;
    for (const Event &event : events) {
        check(!errored, "an event after the error");
        if (const auto *f = std::get_if<FrameEvent>(&event)) {
            check(f->offset >= nextOffset, "frames overlap");
            const FrameHeader &h = f->header;
            check(f->offset + h.wireSize() <= input.size(), "a frame header past the input");
            check(encodeFrameHeader(h) == input.substr(f->offset, h.wireSize()),
                  "a frame header re-encodes differently");
            check(h.masked == (c.options.sender == Sender::Client), "masking rule not applied");
            check(h.payloadLength <= limits.maxFramePayload, "frame limit not applied");
            check(!isControl(h.opcode) || h.payloadLength <= kMaxControlPayload,
                  "a long control frame");
            nextOffset = f->offset + h.wireSize() + h.payloadLength;
        } else if (const auto *d = std::get_if<DataEvent>(&event)) {
            check(!d->bytes.empty(), "an empty DataEvent");
            message += d->bytes;
            check(message.size() <= limits.maxInflatedBytes, "a message past the inflated bound");
        } else if (const auto *m = std::get_if<MessageEvent>(&event)) {
            check(m->opcode == Opcode::Text || m->opcode == Opcode::Binary, "message opcode");
            check(m->size == message.size(), "message size is not its data");
            check(m->payloadBytes <= limits.maxMessageBytes, "message limit not applied");
            check(m->compressed || m->size == m->payloadBytes, "uncompressed size differs");
            check(!m->compressed || c.options.deflate, "compressed without deflate");
            if (m->opcode == Opcode::Text) {
                ts::Utf8Validator v;
                check(v.feed(message) == std::string_view::npos && v.complete(),
                      "a text message that is not UTF-8");
            }
            if (m->compressed)
                inflatedMessages.push_back(message);
            message.clear();
        } else if (const auto *ctl = std::get_if<ControlEvent>(&event)) {
            check(isControl(ctl->opcode), "control opcode");
            check(ctl->payload.size() <= kMaxControlPayload, "control payload too long");
            if (ctl->opcode == Opcode::Close && ctl->close.code)
                check(validCloseCode(*ctl->close.code), "an invalid close code passed");
        } else if (const auto *e = std::get_if<ErrorEvent>(&event)) {
            const std::uint16_t code = e->error.closeCode;
            check(code == 1002 || code == 1006 || code == 1007 || code == 1009 || code == 1011,
                  "an unexpected close code", std::to_string(code));
            check(!e->error.reason.empty(), "an error without a reason");
            check(parser.failed(), "an error but not failed()");
            errored = true;
        }
    }
    check(parser.offset() <= input.size(), "offset past the input");

    // Compress what was inflated again, with the same history, and inflate it back.
    if (c.options.deflate && !inflatedMessages.empty()) {
        const DeflateParams p{c.options.deflate->noContextTakeover, c.windowBits};
        Deflater deflater(p);
        Inflater inflater(p, limits.maxInflatedBytes);
        for (const std::string &m : inflatedMessages) {
            ts::Result<std::string> z = deflater.compress(m);
            check(z.ok(), "the deflater failed");
            ts::Result<std::string> back = inflater.inflateMessage(*z);
            check(back.ok() && *back == m, "a message changed in a deflate round trip");
        }
    }
}

std::string transcript(const Config &c, const std::vector<std::string_view> &pieces)
{
    return ts::ws::test::run(c.options, pieces);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const Config c = config(data[0]);
    const std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);

    FrameParser parser(c.options);
    std::vector<Event> events;
    const std::size_t taken = parser.feed(input, events);
    check(taken <= input.size(), "took more than given");
    check(taken == input.size() || parser.failed(), "stopped early without an error");
    parser.feedEof(events);
    checkEvents(c, input, events, parser);

    const std::string whole = transcript(c, {input});
    const std::uint64_t h = hash(input);
    const std::size_t k = static_cast<std::size_t>(h % (input.size() + 1));
    const std::size_t j = k + static_cast<std::size_t>((h >> 32) % (input.size() - k + 1));
    const std::vector<std::vector<std::string_view>> splits = {
        {input.substr(0, k), input.substr(k)},
        {input.substr(0, k), input.substr(k, j - k), input.substr(j)},
    };
    for (const auto &pieces : splits) {
        const std::string t = transcript(c, pieces);
        if (t != whole)
            violation("split input gave a different transcript",
                      "split at " + std::to_string(k) + "/" + std::to_string(j) + "\n--- whole:\n"
                          + whole + "--- split:\n" + t);
    }
    if (input.size() <= 2048) {
        const std::string t = transcript(c, ts::ws::test::bytewise(input));
        if (t != whole)
            violation("byte-at-a-time input gave a different transcript",
                      "--- whole:\n" + whole + "--- bytes:\n" + t);
    }
    return 0;
}
