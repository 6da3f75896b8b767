#include "core/codec/content_decoding.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace ts::codec {

namespace {

enum class Coding { Identity, Gzip, Deflate, Brotli, Zstd };

constexpr std::size_t kChunk = 64 * 1024;
// Zstd frames may ask for any window up to 2 GiB; the decoder allocates it. RFC 9659 lets
// HTTP decoders refuse windows over 8 MiB, as browsers do.
constexpr int kZstdWindowLogMax = 23;

struct Stage
{
    std::string bytes;
    bool truncated = false;
};

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Collects decoder output up to the bound; false once the bound cut something off.
class Sink
{
public:
    explicit Sink(std::size_t max) : m_max(max) {}
    bool take(const char *data, std::size_t n)
    {
        const std::size_t room = m_max - m_out.bytes.size();
        m_out.bytes.append(data, std::min(n, room));
        if (n > room)
            m_out.truncated = true;
        return !m_out.truncated;
    }
    Stage finish(bool truncated)
    {
        m_out.truncated = m_out.truncated || truncated;
        return std::move(m_out);
    }

private:
    std::size_t m_max;
    Stage m_out;
};

// Where an error happened, for messages: "corrupt gzip data at byte 17 of the br-decoded data".
struct Place
{
    const char *coding; // the coding being undone
    std::string after;  // the coding undone just before, if any
    std::string at(std::size_t offset) const
    {
        std::string s = "at byte " + std::to_string(offset);
        if (!after.empty())
            s += " of the " + after + "-decoded data";
        return s;
    }
};

Error corrupt(const Place &place, std::size_t offset, std::string_view why)
{
    std::string message = std::string("corrupt ") + place.coding + " data " + place.at(offset);
    if (!why.empty())
        message += ": " + std::string(why);
    return Error{"codec.corrupt", message};
}

Error cutShort(const Place &place, std::size_t offset)
{
    return Error{"codec.truncated", std::string(place.coding) + " data ends " + place.at(offset)
                                        + " before the end of its stream"};
}

// zlib's deflate header: CM 8, a window of at most 32 KiB, and the check bits.
bool looksZlibWrapped(std::string_view in)
{
    if (in.size() < 2)
        return false;
    const unsigned cmf = static_cast<unsigned char>(in[0]);
    const unsigned flg = static_cast<unsigned char>(in[1]);
    return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

struct ZStream
{
    z_stream s{};
    bool ready = false;
    ~ZStream()
    {
        if (ready)
            inflateEnd(&s);
    }
};

Result<Stage> inflateBody(std::string_view in, Coding coding, const Place &place,
                          bool completeInput, std::size_t maxOutput)
{
    const bool gzip = coding == Coding::Gzip;
    const int windowBits = gzip ? 16 + MAX_WBITS : looksZlibWrapped(in) ? MAX_WBITS : -MAX_WBITS;
    ZStream z;
    if (inflateInit2(&z.s, windowBits) != Z_OK)
        return Error{"codec.memory", "cannot start the zlib decoder"};
    z.ready = true;

    Sink sink(maxOutput);
    std::unique_ptr<char[]> buffer(new char[kChunk]);
    std::size_t fed = 0; // input bytes handed to zlib so far
    z.s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    z.s.avail_in = 0;
    for (;;) {
        if (z.s.avail_in == 0 && fed < in.size()) {
            const std::size_t n = std::min<std::size_t>(in.size() - fed, UINT_MAX);
            z.s.avail_in = static_cast<uInt>(n);
            fed += n;
        }
        const std::size_t consumedBefore = fed - z.s.avail_in;
        z.s.next_out = reinterpret_cast<Bytef *>(buffer.get());
        z.s.avail_out = kChunk;
        const int rc = inflate(&z.s, Z_NO_FLUSH);
        const std::size_t consumed = fed - z.s.avail_in;
        if (!sink.take(buffer.get(), kChunk - z.s.avail_out))
            return sink.finish(true);
        switch (rc) {
        case Z_OK:
            break;
        case Z_STREAM_END:
            // Another gzip member may follow (what `cat a.gz b.gz` makes); anything else
            // after the stream is ignored, as browsers do.
            if (gzip && consumed + 2 <= in.size() && in[consumed] == '\x1f'
                && in[consumed + 1] == '\x8b') {
                inflateReset(&z.s);
                break;
            }
            // Half a gzip magic at the end of a body's start: a member may follow.
            if (gzip && !completeInput && consumed + 1 == in.size() && in[consumed] == '\x1f')
                return sink.finish(true);
            return sink.finish(false);
        case Z_NEED_DICT:
            return corrupt(place, consumed, "the stream needs a preset dictionary");
        case Z_DATA_ERROR:
            return corrupt(place, consumed, z.s.msg ? z.s.msg : "");
        case Z_MEM_ERROR:
            return Error{"codec.memory", "out of memory in the zlib decoder"};
        case Z_BUF_ERROR:
            // No progress: all input is used and the stream has not ended.
            if (consumed == in.size() && consumed == consumedBefore) {
                if (completeInput)
                    return cutShort(place, consumed);
                return sink.finish(true);
            }
            break;
        default:
            return corrupt(place, consumed, z.s.msg ? z.s.msg : "");
        }
    }
}

// "_ERROR_FORMAT_PADDING_1" -> "format padding 1".
std::string brotliReason(BrotliDecoderErrorCode code)
{
    std::string_view name = BrotliDecoderErrorString(code);
    if (name.substr(0, 7) == "_ERROR_")
        name.remove_prefix(7);
    std::string out;
    for (const char c : name)
        out += c == '_' ? ' ' : lower(c);
    return out;
}

Result<Stage> unbrotliBody(std::string_view in, const Place &place, bool completeInput,
                           std::size_t maxOutput)
{
    std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> state(
        BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), &BrotliDecoderDestroyInstance);
    if (!state)
        return Error{"codec.memory", "cannot start the brotli decoder"};
    Sink sink(maxOutput);
    std::unique_ptr<char[]> buffer(new char[kChunk]);
    std::size_t availIn = in.size();
    const auto *nextIn = reinterpret_cast<const std::uint8_t *>(in.data());
    for (;;) {
        std::size_t availOut = kChunk;
        auto *nextOut = reinterpret_cast<std::uint8_t *>(buffer.get());
        const BrotliDecoderResult rc = BrotliDecoderDecompressStream(state.get(), &availIn, &nextIn,
                                                                     &availOut, &nextOut, nullptr);
        const std::size_t consumed = in.size() - availIn;
        if (!sink.take(buffer.get(), kChunk - availOut))
            return sink.finish(true);
        switch (rc) {
        case BROTLI_DECODER_RESULT_SUCCESS:
            return sink.finish(false);
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
            break;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
            if (completeInput)
                return cutShort(place, consumed);
            return sink.finish(true);
        case BROTLI_DECODER_RESULT_ERROR:
            return corrupt(place, consumed, brotliReason(BrotliDecoderGetErrorCode(state.get())));
        }
    }
}

Result<Stage> unzstdBody(std::string_view in, const Place &place, bool completeInput,
                         std::size_t maxOutput)
{
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    if (!dctx)
        return Error{"codec.memory", "cannot start the zstd decoder"};
    ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax);
    Sink sink(maxOutput);
    std::unique_ptr<char[]> buffer(new char[kChunk]);
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    for (;;) {
        ZSTD_outBuffer output{buffer.get(), kChunk, 0};
        const std::size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
        if (ZSTD_isError(rc)) {
            if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
                return corrupt(place, input.pos, "the frame needs a window over 8 MiB");
            return corrupt(place, input.pos, ZSTD_getErrorName(rc));
        }
        if (!sink.take(buffer.get(), output.pos))
            return sink.finish(true);
        const bool inputUsed = input.pos == input.size;
        if (rc == 0 && inputUsed)
            return sink.finish(false); // every frame complete; 0 -> next frame otherwise
        if (inputUsed && output.pos < output.size) {
            // The decoder has flushed all it can and wants more input.
            if (completeInput)
                return cutShort(place, input.pos);
            return sink.finish(true);
        }
    }
}

} // namespace

Result<Decoded> decodeContent(std::string_view body, std::string_view contentEncoding,
                              const DecodeOptions &options)
{
    struct Step
    {
        Coding coding;
        std::string name;
    };
    std::vector<Step> steps;
    std::size_t start = 0;
    while (start <= contentEncoding.size()) {
        std::size_t comma = contentEncoding.find(',', start);
        if (comma == std::string_view::npos)
            comma = contentEncoding.size();
        const std::string_view item = trim(contentEncoding.substr(start, comma - start));
        start = comma + 1;
        if (item.empty())
            continue; // list syntax allows empty elements (RFC 9110 §5.6.1)
        std::string name;
        for (const char c : item)
            name += lower(c);
        if (name == "gzip" || name == "x-gzip")
            steps.push_back({Coding::Gzip, "gzip"});
        else if (name == "deflate")
            steps.push_back({Coding::Deflate, "deflate"});
        else if (name == "br")
            steps.push_back({Coding::Brotli, "br"});
        else if (name == "zstd")
            steps.push_back({Coding::Zstd, "zstd"});
        else if (name == "identity")
            continue;
        else if (name == "compress" || name == "x-compress")
            return Error{"codec.unknown-coding",
                         "unsupported content-coding '" + std::string(item) + "' (Unix LZW)"};
        else
            return Error{"codec.unknown-coding",
                         "unknown content-coding '" + std::string(item) + "'"};
    }

    Decoded result;
    for (const Step &s : steps)
        result.codings.push_back(s.name);
    if (steps.empty()) {
        result.bytes.assign(body.substr(0, options.maxOutput));
        result.truncated = body.size() > options.maxOutput;
        return result;
    }

    // Undo the last coding applied first; each stage's output feeds the one before it.
    std::string current;
    std::string_view input = body;
    bool inputComplete = options.completeInput;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        Place place{it->name.c_str(), it == steps.rbegin() ? std::string() : std::prev(it)->name};
        Result<Stage> stage = Error{};
        if (input.empty()) {
            // An empty body (HEAD, 204, 304) decodes to nothing; an empty start of a body
            // leaves the whole stream to come.
            stage = Stage{std::string(), !inputComplete};
        } else {
            switch (it->coding) {
            case Coding::Gzip:
            case Coding::Deflate:
                stage = inflateBody(input, it->coding, place, inputComplete, options.maxOutput);
                break;
            case Coding::Brotli:
                stage = unbrotliBody(input, place, inputComplete, options.maxOutput);
                break;
            case Coding::Zstd:
                stage = unzstdBody(input, place, inputComplete, options.maxOutput);
                break;
            case Coding::Identity:
                stage = Stage{std::string(input), false};
                break;
            }
        }
        if (!stage)
            return stage.error();
        current = std::move(stage->bytes);
        input = current;
        inputComplete = !stage->truncated;
    }
    result.bytes = std::move(current);
    result.truncated = !inputComplete;
    return result;
}

} // namespace ts::codec
