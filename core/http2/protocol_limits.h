#pragma once

#include "core/base/time.h"

#include <cstdint>
#include <string>

namespace ts::http2 {

// Every bound an HTTP/2 peer is held to, in one place (STYLE.md 7). Crossing a flood limit
// ends the connection with GOAWAY(ENHANCE_YOUR_CALM) and the reason is recorded.
struct ProtocolLimits
{
    std::uint32_t maxConcurrentStreams = 128;     // advertised; more are refused by nghttp2
    std::uint32_t maxHeaderListBytes = 64 * 1024; // advertised; a bigger list resets the stream
    std::uint32_t streamWindow = 1 << 20; // per-stream receive window: bytes one stream may buffer
    std::uint32_t connectionWindow = 64 << 20; // connection receive window
    std::uint32_t maxFrameSize = 16384;        // advertised SETTINGS_MAX_FRAME_SIZE
    MonoTime floodWindow = 10 * kSecond;       // the span the flood counters below cover
    std::uint32_t maxSettingsPerWindow = 100;  // SETTINGS frames (not ACKs) received
    std::uint32_t maxPingsPerWindow = 100;     // PING frames (not ACKs) received
    std::uint32_t maxResetsPerWindow = 400;    // RST_STREAM frames received (rapid reset)
    std::uint32_t maxEmptyFramesPerWindow
        = 200;                                 // DATA without payload and END_STREAM, empty HEADERS
    std::uint32_t maxPriorityPerWindow = 1000; // PRIORITY / PRIORITY_UPDATE received
    std::uint32_t maxContinuations = 8;        // CONTINUATION frames after one HEADERS
    // Decoded header bytes (name + value + 32 per field) received per floodWindow. HPACK lets
    // a peer define a 4 KiB field once and name it with one byte ever after, so a connection
    // of 135 KB on the wire decodes to 182 MB, which the proxy records: bound what it decodes.
    // 16 MiB per 10 s is 2,000 requests of 8 KiB of headers each, beyond any browser's.
    std::uint64_t maxDecodedHeaderBytesPerWindow = 16 << 20;
    // Bytes queued to send on one stream before its server is paused (back-pressure). A
    // stream stalled at a zero window holds this much (plus its recorded body, which the body
    // budget governs); a quarter of a MiB keeps a fast stream's frames coming meanwhile.
    std::uint64_t maxBufferedPerStream = 256 * 1024;
};

// Counts events in a fixed window of time; says when a bound is crossed.
class RateCounter
{
public:
    // True when this event (of `amount` units: one frame, or a number of bytes) crosses
    // `limit` within `window`.
    bool add(MonoTime now, MonoTime window, std::uint64_t limit, std::uint64_t amount = 1)
    {
        if (now - m_windowStart >= window) {
            m_windowStart = now;
            m_count = 0;
        }
        m_count += amount;
        return m_count > limit;
    }
    std::uint64_t count() const { return m_count; }

private:
    MonoTime m_windowStart = 0;
    std::uint64_t m_count = 0;
};

} // namespace ts::http2
