#pragma once

// Transcripts of core/ws/parser.h for the tests and the fuzz target: the events as text, with
// consecutive DataEvents joined (where the payload is cut depends on how the input arrived;
// nothing else may).

#include "core/ws/parser.h"

#include <string>
#include <string_view>
#include <vector>

namespace ts::ws::test {

inline std::string printable(std::string_view s)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7f && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 0xf];
        }
    }
    return out;
}

inline std::string render(const std::vector<Event> &events)
{
    std::string out;
    std::string data;
    const auto flush = [&] {
        if (!data.empty())
            out += "data '" + printable(data) + "'\n";
        data.clear();
    };
    for (const Event &event : events) {
        if (const auto *d = std::get_if<DataEvent>(&event)) {
            data += d->bytes;
            continue;
        }
        flush();
        if (const auto *f = std::get_if<FrameEvent>(&event)) {
            const FrameHeader &h = f->header;
            out += "frame " + std::string(opcodeName(h.opcode)) + " fin=" + std::to_string(h.fin)
                   + " rsv=" + std::to_string(h.rsv1) + std::to_string(h.rsv2)
                   + std::to_string(h.rsv3) + " mask=" + std::to_string(h.masked) + " len="
                   + std::to_string(h.payloadLength) + " @" + std::to_string(f->offset) + "\n";
        } else if (const auto *m = std::get_if<MessageEvent>(&event)) {
            out += "message " + std::string(opcodeName(m->opcode))
                   + (m->compressed ? " compressed" : "") + " frames=" + std::to_string(m->frames)
                   + " wire=" + std::to_string(m->wireBytes) + " payload="
                   + std::to_string(m->payloadBytes) + " size=" + std::to_string(m->size) + "\n";
        } else if (const auto *c = std::get_if<ControlEvent>(&event)) {
            out += "control " + std::string(opcodeName(c->opcode)) + " '" + printable(c->payload)
                   + "' wire=" + std::to_string(c->wireBytes);
            if (c->close.code)
                out += " code=" + std::to_string(*c->close.code) + " reason='"
                       + printable(c->close.reason) + "'";
            out += "\n";
        } else if (const auto *e = std::get_if<ErrorEvent>(&event)) {
            out += "error " + std::to_string(e->error.closeCode) + " " + e->error.reason + "\n";
        }
    }
    flush();
    return out;
}

// Feeds the pieces in order, then the end of the stream.
inline std::string run(const ParserOptions &options, const std::vector<std::string_view> &pieces,
                       bool eof = true)
{
    FrameParser parser(options);
    std::vector<Event> events;
    for (const std::string_view piece : pieces)
        parser.feed(piece, events);
    if (eof)
        parser.feedEof(events);
    std::string out = render(events);
    if (!parser.failed())
        out += "offset " + std::to_string(parser.offset()) + "\n";
    return out;
}

inline std::vector<std::string_view> bytewise(std::string_view s)
{
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size(); ++i)
        out.push_back(s.substr(i, 1));
    return out;
}

// The transcript of `input` fed whole, or the first split that gives another one (as
// "split at N: ..." with both transcripts). Splits at every point up to 4 KiB, at a stride
// beyond, and byte by byte.
inline std::string checkSplits(const ParserOptions &options, std::string_view input,
                               bool *same = nullptr, bool eof = true)
{
    const std::string whole = run(options, {input}, eof);
    const auto differs = [&](const std::string &what, const std::string &t) {
        if (same)
            *same = false;
        return what + " differs\n--- whole:\n" + whole + "--- " + what + ":\n" + t;
    };
    const std::size_t stride = input.size() <= 4096 ? 1 : input.size() / 997 + 1;
    for (std::size_t k = 1; k < input.size(); k += stride) {
        const std::string t = run(options, {input.substr(0, k), input.substr(k)}, eof);
        if (t != whole)
            return differs("split at " + std::to_string(k), t);
    }
    const std::string t = run(options, bytewise(input), eof);
    if (t != whole)
        return differs("byte by byte", t);
    if (same)
        *same = true;
    return whole;
}

} // namespace ts::ws::test
