#pragma once

#include "core/base/result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ts::codec {

// Undoing Content-Encoding (RFC 9110 §8.4) for the inspector and the filter: gzip, deflate, br,
// zstd and identity, alone or chained. Whole bodies in, bounded bytes out; no I/O, no Qt.

inline constexpr std::size_t kDefaultMaxDecodedBytes = std::size_t(64) << 20;

struct DecodeOptions
{
    // Output bound, for the final body and for each stage of a chain. Reaching it stops
    // decoding and sets Decoded::truncated, so a decompression bomb costs at most this much.
    std::size_t maxOutput = kDefaultMaxDecodedBytes;
    // False when `body` is only the start of the body (a capped read, a recording cut short):
    // a stream that stops midway then gives what it decoded so far, with truncated set,
    // instead of an error.
    bool completeInput = true;
};

struct Decoded
{
    std::string bytes;
    // The codings undone, lower case, in header order (the order the sender applied them;
    // they were undone last to first). "x-gzip" is reported as "gzip"; identity is left out.
    std::vector<std::string> codings;
    // `bytes` is only the start of the decoded body: maxOutput was reached, or an incomplete
    // input ended mid-stream.
    bool truncated = false;
};

// Decodes `body` per the Content-Encoding field value `contentEncoding` (several fields joined
// with ", "). An empty body decodes to an empty body under any known coding. Deflate is
// accepted zlib-wrapped (RFC 9110) and raw, as browsers do; gzip may hold several members;
// bytes after the end of a gzip, deflate or br stream are ignored, as browsers do (zstd
// decodes them as further frames). With identity alone, `truncated` only says maxOutput cut
// the body: an incomplete input cannot be told from a whole one.
// Errors: "codec.unknown-coding" ("unknown content-coding 'foo'"), "codec.corrupt" ("corrupt
// gzip data at byte 17: invalid block type"), "codec.truncated" (a complete input ends
// mid-stream). Byte offsets count in that stage's input, the raw body for the last coding.
Result<Decoded> decodeContent(std::string_view body, std::string_view contentEncoding,
                              const DecodeOptions &options = {});

} // namespace ts::codec
