#pragma once

#include "core/base/result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ts::ws {

// RFC 6455 frames: wire values, the frame header, the encoder and close-frame payloads.
// No I/O, no Qt. The parser is in parser.h, permessage-deflate in deflate.h.

enum class Opcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xa,
};

// Who wrote the frames: a client masks every frame, a server never does (RFC 6455 §5.1).
enum class Sender { Client, Server };

// Close codes (RFC 6455 §7.4.1) the codec uses or names.
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kNoStatus = 1005;       // never on the wire
inline constexpr std::uint16_t kAbnormal = 1006;       // never on the wire
inline constexpr std::uint16_t kInvalidPayload = 1007; // e.g. a text message that is not UTF-8
inline constexpr std::uint16_t kPolicyViolation = 1008;
inline constexpr std::uint16_t kTooBig = 1009;
inline constexpr std::uint16_t kMandatoryExtension = 1010;
inline constexpr std::uint16_t kInternalError = 1011;
} // namespace close_code

inline constexpr std::size_t kMaxControlPayload = 125;

// A failure of the peer, with the close code the proxy should send it and one English line
// for people ("a Ping frame is fragmented (FIN is 0)").
struct WsError
{
    std::uint16_t closeCode = close_code::kProtocolError;
    std::string reason;
};

bool isControl(Opcode op);
bool isKnownOpcode(std::uint8_t op);
std::string_view opcodeName(Opcode op); // "Text", "Ping", ...

struct FrameHeader
{
    bool fin = true;
    bool rsv1 = false; // "Per-Message Compressed" under permessage-deflate (RFC 7692 §6)
    bool rsv2 = false;
    bool rsv3 = false;
    Opcode opcode = Opcode::Text;
    bool masked = false;
    std::array<std::uint8_t, 4> maskingKey{};
    std::uint64_t payloadLength = 0;

    // 2 to 14 bytes: the minimal length encoding RFC 6455 §5.2 requires, plus the key.
    std::size_t wireSize() const;
    bool operator==(const FrameHeader &) const = default;
};

// XORs `data` with the key, `offset` being the position of data[0] in the frame's payload.
void applyMask(char *data, std::size_t size, const std::array<std::uint8_t, 4> &key,
               std::uint64_t offset = 0);

// The header bytes for `header` (length in its minimal form).
std::string encodeFrameHeader(const FrameHeader &header);

// A whole frame: header.payloadLength is taken from `payload`, which is masked with
// header.maskingKey when header.masked. Refuses what no peer may send: a control frame that is
// fragmented or longer than 125 bytes, or one with RSV1 set ("ws.bad-frame").
Result<std::string> encodeFrame(FrameHeader header, std::string_view payload);

// Close codes a peer may put in a Close frame: 1000-1003, 1007-1014 (1012-1014 are registered
// with IANA after RFC 6455) and 3000-4999 (RFC 6455 §7.4.2). Not 1004-1006, 1015, 0-999 or
// 1016-2999.
bool validCloseCode(std::uint16_t code);

struct ClosePayload
{
    std::optional<std::uint16_t> code; // none when the payload is empty
    std::string reason;                // UTF-8
};

// Reads a Close frame's payload into `out`: empty, or a valid code and a UTF-8 reason
// (RFC 6455 §5.5.1). A 1-byte payload or a bad code is 1002, a reason that is not UTF-8 is 1007.
std::optional<WsError> parseClosePayload(std::string_view payload, ClosePayload &out);

// The payload for a Close frame: code, then the reason cut to fit 125 bytes at a character
// boundary. `code` must be valid.
std::string closePayload(std::uint16_t code, std::string_view reason = {});

} // namespace ts::ws
