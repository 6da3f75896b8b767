#pragma once

#include <cstdint>
#include <string>

namespace ts::http2 {

// One frame as it crossed the connection, as the codec saw it. The widths fit HTTP/3 too:
// its frame types, stream ids and lengths are varints of up to 62 bits (RFC 9000 §16).
struct FrameRecord
{
    std::int64_t micros = 0; // since the connection opened
    bool inbound = false;    // received from the peer; false: sent
    std::uint64_t type = 0;  // the protocol's frame type code (h2: RFC 9113 §6)
    std::uint8_t flags = 0;  // h2's; HTTP/3 frames have none
    std::uint64_t stream = 0;
    std::uint64_t length = 0; // payload length
    std::string summary;      // decoded: "SETTINGS MAX_CONCURRENT_STREAMS=100 ...", header list
};

// One change of one stream, as the codec saw it.
struct StreamEvent
{
    enum class Kind : std::uint8_t {
        State,   // the stream's new state: "open", "half-closed (remote)", "reset: CANCEL" ...
        DataIn,  // `bytes` of DATA payload received from the peer
        DataOut, // `bytes` of DATA payload sent to the peer
        Windows, // its flow-control windows now (-1: unknown)
        Closed,  // both directions done; `code` is the reset's error code, 0 when not reset
    };
    Kind kind = Kind::State;
    std::int64_t micros = 0; // since the connection opened
    std::uint64_t stream = 0;
    std::string state;              // State
    std::uint64_t bytes = 0;        // DataIn, DataOut
    std::int64_t localWindow = -1;  // Windows: what the peer may still send us
    std::int64_t remoteWindow = -1; // Windows: what we may still send the peer
    std::uint32_t code = 0;         // Closed
};

// Where a codec hands its records as they happen, on the connection's thread. What becomes
// of them (a frames view, a session file) is the owner's business: codecs know no flows.
class RecordSink
{
public:
    virtual ~RecordSink() = default;
    virtual void frame(FrameRecord frame) = 0;
    virtual void stream(StreamEvent event) = 0;
};

} // namespace ts::http2
