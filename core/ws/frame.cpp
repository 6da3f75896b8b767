#include "core/ws/frame.h"

#include "core/base/utf8.h"

#include <cstring>

namespace ts::ws {

bool isControl(Opcode op)
{
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

bool isKnownOpcode(std::uint8_t op)
{
    return op <= 0x2 || (op >= 0x8 && op <= 0xa);
}

std::string_view opcodeName(Opcode op)
{
    switch (op) {
    case Opcode::Continuation:
        return "Continuation";
    case Opcode::Text:
        return "Text";
    case Opcode::Binary:
        return "Binary";
    case Opcode::Close:
        return "Close";
    case Opcode::Ping:
        return "Ping";
    case Opcode::Pong:
        return "Pong";
    }
    return "reserved";
}

std::size_t FrameHeader::wireSize() const
{
    const std::size_t length = payloadLength < 126 ? 0 : payloadLength <= 0xffff ? 2 : 8;
    return 2 + length + (masked ? 4 : 0);
}

void applyMask(char *data, std::size_t size, const std::array<std::uint8_t, 4> &key,
               std::uint64_t offset)
{
    // Eight bytes at a time: the key repeated, rotated to where data[0] falls in it.
    unsigned char rotated[8];
    for (std::size_t k = 0; k < 8; ++k)
        rotated[k] = key[(offset + k) & 3];
    std::uint64_t word;
    std::memcpy(&word, rotated, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t chunk;
        std::memcpy(&chunk, data + i, 8);
        chunk ^= word;
        std::memcpy(data + i, &chunk, 8);
    }
    for (; i < size; ++i)
        data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ rotated[i & 7]);
}

std::string encodeFrameHeader(const FrameHeader &header)
{
    std::string out;
    out.reserve(header.wireSize());
    out += static_cast<char>((header.fin ? 0x80 : 0) | (header.rsv1 ? 0x40 : 0)
                             | (header.rsv2 ? 0x20 : 0) | (header.rsv3 ? 0x10 : 0)
                             | static_cast<std::uint8_t>(header.opcode));
    const char mask = header.masked ? char(0x80) : char(0);
    const std::uint64_t n = header.payloadLength;
    if (n < 126) {
        out += static_cast<char>(mask | static_cast<char>(n));
    } else if (n <= 0xffff) {
        out += static_cast<char>(mask | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xff);
    } else {
        out += static_cast<char>(mask | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((n >> shift) & 0xff);
    }
    if (header.masked) {
        for (const std::uint8_t b : header.maskingKey)
            out += static_cast<char>(b);
    }
    return out;
}

Result<std::string> encodeFrame(FrameHeader header, std::string_view payload)
{
    if (!isKnownOpcode(static_cast<std::uint8_t>(header.opcode)))
        return Error{"ws.bad-frame", "reserved opcode"};
    if (isControl(header.opcode)) {
        if (!header.fin)
            return Error{"ws.bad-frame", std::string("a ") + std::string(opcodeName(header.opcode))
                                             + " frame cannot be fragmented"};
        if (payload.size() > kMaxControlPayload)
            return Error{"ws.bad-frame", std::string("a ") + std::string(opcodeName(header.opcode))
                                             + " frame's payload is at most 125 bytes, not "
                                             + std::to_string(payload.size())};
        if (header.rsv1)
            return Error{"ws.bad-frame", "control frames cannot be compressed (RSV1)"};
    }
    header.payloadLength = payload.size();
    std::string out = encodeFrameHeader(header);
    const std::size_t start = out.size();
    out.append(payload);
    if (header.masked)
        applyMask(out.data() + start, payload.size(), header.maskingKey);
    return out;
}

bool validCloseCode(std::uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}

std::optional<WsError> parseClosePayload(std::string_view payload, ClosePayload &out)
{
    out = {};
    if (payload.empty())
        return std::nullopt;
    if (payload.size() == 1)
        return WsError{close_code::kProtocolError,
                       "a Close frame's payload of 1 byte cannot hold a close code"};
    const std::uint16_t code = static_cast<std::uint16_t>(
        (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
    if (!validCloseCode(code))
        return WsError{close_code::kProtocolError,
                       "close code " + std::to_string(code) + " is not allowed on the wire"};
    const std::string_view reason = payload.substr(2);
    Utf8Validator utf8;
    const std::size_t bad = utf8.feed(reason);
    if (bad != std::string_view::npos || !utf8.complete())
        return WsError{close_code::kInvalidPayload,
                       "the close reason is not valid UTF-8 (at byte "
                           + std::to_string(bad == std::string_view::npos ? reason.size() : bad)
                           + ")"};
    out.code = code;
    out.reason = std::string(reason);
    return std::nullopt;
}

std::string closePayload(std::uint16_t code, std::string_view reason)
{
    std::string out;
    out += static_cast<char>(code >> 8);
    out += static_cast<char>(code & 0xff);
    if (reason.size() > kMaxControlPayload - 2) {
        // Cut at a character boundary: drop continuation bytes at the cut.
        std::size_t n = kMaxControlPayload - 2;
        while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xc0) == 0x80)
            --n;
        reason = reason.substr(0, n);
    }
    out.append(reason);
    return out;
}

} // namespace ts::ws
