#pragma once

#include <cstddef>
#include <cstdint>

namespace ts {

// Abuse limits live together (STYLE.md 7). Each bound is configurable from the command line
// or settings; these are the defaults.
struct Http1Limits
{
    std::size_t maxStartLine = 8 * 1024;      // request line / status line bytes -> 414 (requests)
    std::size_t maxHeaderBytes = 64 * 1024;   // whole header section incl. start line -> 431
    std::size_t maxHeaderCount = 100;         // header fields -> 431
    std::size_t maxChunkLineBytes = 4 * 1024; // a chunk-size line with its extensions -> 400
    std::size_t maxTrailerBytes = 16 * 1024;  // trailer section -> 431
};

struct ProxyLimits
{
    // Bytes of client input the proxy holds while it cannot pass them on (pipelined requests
    // behind a slow response, a body before the origin is connected). Past this, reading from
    // the client pauses.
    std::size_t maxBufferedClientInput = 256 * 1024;
    // Bytes queued for a socket before the engine stops reading from its peer socket.
    std::size_t socketHighWater = 512 * 1024;
    std::size_t socketLowWater = 128 * 1024;
};

// WebSocket frames and messages (core/ws). Exceeding any of these fails the connection with
// close code 1009. The parser never holds a data message whole (it streams the payload), so
// these bound what a consumer that records messages may have to hold, and what inflation may
// produce from a few bytes.
struct WsLimits
{
    std::uint64_t maxFramePayload = std::uint64_t(16) << 20;  // one frame's payload length
    std::uint64_t maxMessageBytes = std::uint64_t(64) << 20;  // a data message's payload on the
                                                              // wire, summed over its fragments
    std::uint64_t maxInflatedBytes = std::uint64_t(64) << 20; // a compressed message once
                                                              // inflated (decompression bombs)
};

// What the proxy keeps of one WebSocket's messages (core/proxy/websocket_recorder.h), so a
// long-lived socket cannot grow a flow without bound. Past the count or the bytes, further
// messages are only counted (Flow::webSocketDropped).
struct WsRecordLimits
{
    std::size_t maxMessages = 10'000;                 // messages kept per flow
    std::uint64_t maxBytes = std::uint64_t(16) << 20; // payload bytes kept per flow (inflated)
    std::uint64_t maxMessageBytes = 1 << 20;          // one message's payload kept; the rest is cut
                                                      // (Flow::webSocketTruncated counts them)
};

// Server-sent events (core/sse). Past either bound the parser stops with an error.
struct SseLimits
{
    std::size_t maxLineBytes = 1 << 20;   // one line (field name and value), decoded
    std::size_t maxEventBytes = 16 << 20; // one event's data buffer
};

} // namespace ts
