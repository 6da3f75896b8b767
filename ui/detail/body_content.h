#pragma once

#include <QString>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ts::flow {
class Body;
}

namespace ts::ui {

// How a body is best shown.
enum class BodyKind : std::uint8_t { Empty, Text, Json, Html, Xml, JavaScript, Css, Image, Binary };

// A body read from its record (memory or spill file) and undone of its Content-Encoding, for
// the detail pane. Made on a worker thread: no widgets.
struct BodyContent
{
    std::string bytes;                // decoded (or raw, when not encoded or undecodable)
    std::uint64_t rawSize = 0;        // the body's recorded size
    std::uint64_t rawRead = 0;        // raw bytes read for this content
    std::vector<std::string> codings; // codings undone, in header order
    bool partial = false;             // only the start: more can be loaded
    QString decodeError;              // the coding could not be undone; bytes are raw
};

// Reads up to `maxRaw` recorded bytes of `body` and decodes them per `contentEncoding`
// (empty: none) with ts_codec, keeping at most `maxDecoded` bytes.
BodyContent loadBody(const flow::Body &body, const std::string &contentEncoding,
                     std::uint64_t maxRaw, std::uint64_t maxDecoded);

// The kind for a Content-Type (e.g. "application/json; charset=utf-8"); when the type says
// nothing useful, a look at the bytes (JSON, markup, an image signature, valid UTF-8).
BodyKind classifyBody(const QString &contentType, const std::string &bytes);

// "decoded from br, 1.2 KiB → 4.5 KiB", "12.0 KiB", "first 512.0 KiB of 3.0 MiB".
QString describeBody(const BodyContent &content);

} // namespace ts::ui
