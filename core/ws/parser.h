#pragma once

#include "core/base/limits.h"
#include "core/base/utf8.h"
#include "core/ws/deflate.h"
#include "core/ws/frame.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ts::ws {

// A strict, incremental RFC 6455 reader for the frames one side of a WebSocket sends. Bytes
// in, events out; no I/O, no Qt, no clock.
//
// How the proxy uses it (issue 14): after a 101, an RFC 8441 or an RFC 9220 exchange, the
// WebSocket layer makes two parsers, one per direction (FrameParser({Sender::Client, ...}) for
// what the client sends, Sender::Server for the other), with the deflate parameters negotiate()
// read from the handshake. It hands each parser the bytes as they arrive and relays the same
// bytes unchanged; the events only describe them: FrameEvent rows for the frames pane,
// DataEvent + MessageEvent (inflated, for display) and ControlEvent for the messages record.
// An ErrorEvent means the peer broke the protocol: the proxy records it and closes both sides
// with closeCode (a Close frame encoded by encodeFrame(closePayload(...))). Once a
// negotiate() reports an unknown extension, the bytes can only be relayed as they are.
//
// Rules checked: masking by direction (§5.1), RSV bits (RSV1 only as permessage-deflate's
// "compressed" bit on a message's first frame), reserved opcodes, the minimal length encoding
// and a clear top bit (§5.2), control frames of at most 125 bytes and never fragmented (§5.5),
// fragmentation order with control frames between fragments (§5.4), Close payloads (§5.5.1,
// §7.4), nothing after a Close frame, UTF-8 in text messages checked as the bytes arrive
// (§8.1, after inflation), and the limits in WsLimits. The events and the error are the same
// however the input is split (the order of rules on a byte is fixed, and an error is decided
// on the byte that decides it).

struct ParserOptions
{
    Sender sender = Sender::Client;
    // permessage-deflate was agreed: the sender's parameters (agreement.client for the
    // client's frames). Without it RSV1 is an error.
    std::optional<DeflateParams> deflate;
    WsLimits limits;
};

// A frame header was read and accepted. `offset` is where the frame starts in the stream.
struct FrameEvent
{
    FrameHeader header;
    std::uint64_t offset = 0;
};

// The next bytes of the current data message, unmasked and (when compressed) inflated. Never
// empty. Where the payload is cut into DataEvents depends on how the input arrived.
struct DataEvent
{
    std::string bytes;
};

// The current data message ended (its FIN frame was read, and it was valid).
struct MessageEvent
{
    Opcode opcode = Opcode::Text; // Text or Binary
    bool compressed = false;      // RSV1 on its first frame
    std::uint64_t frames = 0;
    std::uint64_t wireBytes = 0;    // frame headers and payloads, as relayed
    std::uint64_t payloadBytes = 0; // payloads as sent (compressed, if it was)
    std::uint64_t size = 0;         // the message, inflated
};

// A whole Ping, Pong or Close frame.
struct ControlEvent
{
    Opcode opcode = Opcode::Ping;
    std::string payload; // unmasked
    ClosePayload close;  // for Close: code and reason
    std::uint64_t wireBytes = 0;
};

// The peer broke a rule; the parser takes nothing more.
struct ErrorEvent
{
    WsError error;
};

using Event = std::variant<FrameEvent, DataEvent, MessageEvent, ControlEvent, ErrorEvent>;

class FrameParser
{
public:
    explicit FrameParser(ParserOptions options);

    // Reads `bytes` and appends what they make to `out`. Returns how many bytes were taken:
    // all of them, unless an error stopped the parser (then fewer: up to the header byte, or
    // through the piece of payload, that decided it; nothing once failed). The caller relays
    // all of `bytes` either way: parsing never holds the relay back.
    std::size_t feed(std::string_view bytes, std::vector<Event> &out);
    // The connection ended: an ErrorEvent (1006) when a frame or a message was cut off.
    void feedEof(std::vector<Event> &out);

    bool failed() const { return m_state == State::Failed; }
    bool closed() const { return m_closed; }       // a Close frame was read
    bool inMessage() const { return m_inMessage; } // a fragmented message is open
    // The bytes taken so far end a frame: a frame of the proxy's own may be written here
    // (a control frame any time, a data frame only when !inMessage()).
    bool betweenFrames() const { return m_state == State::Header && m_head.empty(); }
    std::uint64_t offset() const { return m_offset; } // bytes taken so far

private:
    enum class State { Header, Payload, Failed };

    bool headerByte(unsigned char b, std::vector<Event> &out);
    void payload(std::string_view bytes, std::vector<Event> &out);
    void frameDone(std::vector<Event> &out);
    bool data(std::string chunk, std::vector<Event> &out);
    void fail(WsError error, std::vector<Event> &out);

    ParserOptions m_options;
    State m_state = State::Header;
    std::uint64_t m_offset = 0;
    bool m_closed = false;

    // The frame being read.
    std::string m_head; // header bytes so far (at most 14)
    std::size_t m_headSize = 2;
    FrameHeader m_frame;
    std::uint64_t m_frameStart = 0;
    std::uint64_t m_payloadRead = 0;
    std::string m_control; // a control frame's payload (at most 125 bytes)

    // The data message being read.
    bool m_inMessage = false;
    MessageEvent m_message;
    Utf8Validator m_utf8;
    std::optional<Inflater> m_inflater;
};

} // namespace ts::ws
