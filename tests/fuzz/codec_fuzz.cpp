// Fuzz target for decodeContent (STYLE.md 8).
//
// Input: one byte choosing the Content-Encoding value, one byte choosing the output bound, then
// the body.
//
// Checks, any failure aborts:
//  - the output never exceeds the bound, and an error has one of the documented codes;
//  - the codings reported are the known ones of the header, identity left out;
//  - split-point independence: the body's start at a point derived from the input, decoded as
//    an incomplete input, gives a prefix of the whole body's output; it fails only where the
//    whole body fails too;
//  - a single coding that fails only because the body ended early decodes as an incomplete
//    input.

#include "core/codec/content_decoding.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace ts::codec;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "codec_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what, const std::string &detail = {})
{
    if (!ok)
        violation(what, detail);
}

constexpr std::array<std::string_view, 16> kEncodings{
    "identity",   "gzip",       "deflate",    "br",
    "zstd",       "gzip, br",   "br, zstd",   "deflate, gzip",
    "x-gzip",     "GZIP ,, br", "zstd, zstd", "",
    "gzip, gzip", "foo",        "compress",   "identity, deflate"};

constexpr std::array<std::size_t, 8> kLimits{0, 1, 7, 100, 4096, 65536, 65537, 1u << 20};

std::uint64_t hash(std::string_view data)
{
    std::uint64_t h = 1469598103934665603u;
    for (const char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    return h;
}

void checkResult(const ts::Result<Decoded> &r, std::string_view encoding, std::size_t limit)
{
    if (!r) {
        const std::string &code = r.error().code;
        check(code == "codec.corrupt" || code == "codec.truncated" || code == "codec.unknown-coding"
                  || code == "codec.memory",
              "undocumented error code", code);
        check(!r.error().message.empty(), "error without a message");
        return;
    }
    check(r->bytes.size() <= limit, "output over the bound");
    for (const std::string &c : r->codings)
        check(c == "gzip" || c == "deflate" || c == "br" || c == "zstd", "odd coding", c);
    (void)encoding;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::string_view encoding = kEncodings[data[0] % kEncodings.size()];
    const std::size_t limit = kLimits[data[1] % kLimits.size()];
    const std::string_view body(reinterpret_cast<const char *>(data) + 2, size - 2);

    const auto whole = decodeContent(body, encoding, {.maxOutput = limit});
    checkResult(whole, encoding, limit);

    const std::size_t k = static_cast<std::size_t>(hash(body) % (body.size() + 1));
    const auto start
        = decodeContent(body.substr(0, k), encoding, {.maxOutput = limit, .completeInput = false});
    checkResult(start, encoding, limit);
    if (!start) {
        check(!whole.ok(), "the start fails where the whole body decodes", start.error().message);
        return 0;
    }
    if (whole) {
        check(whole->bytes.compare(0, start->bytes.size(), start->bytes) == 0,
              "the start's output is not a prefix of the whole's");
        check(start->codings == whole->codings, "codings differ");
    } else if (whole.error().code == "codec.truncated"
               && encoding.find(',') == std::string_view::npos) {
        // A complete body that ends mid-stream: as an incomplete one, it decodes. (Not in a
        // chain: the next coding may find the partial output corrupt.)
        const auto again
            = decodeContent(body, encoding, {.maxOutput = limit, .completeInput = false});
        check(again.ok(), "an incomplete input fails where it only ended early");
    }
    return 0;
}
