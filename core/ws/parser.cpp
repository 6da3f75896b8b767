#include "core/ws/parser.h"

#include <algorithm>

namespace ts::ws {

namespace {

std::string name(Opcode op)
{
    return std::string(opcodeName(op));
}

WsError protocolError(std::string reason)
{
    return WsError{close_code::kProtocolError, std::move(reason)};
}

WsError tooBig(std::string reason)
{
    return WsError{close_code::kTooBig, std::move(reason)};
}

} // namespace

FrameParser::FrameParser(ParserOptions options) : m_options(options)
{}

void FrameParser::fail(WsError error, std::vector<Event> &out)
{
    m_state = State::Failed;
    out.emplace_back(ErrorEvent{std::move(error)});
}

std::size_t FrameParser::feed(std::string_view bytes, std::vector<Event> &out)
{
    std::size_t i = 0;
    while (i < bytes.size() && m_state != State::Failed) {
        if (m_state == State::Header) {
            const unsigned char b = static_cast<unsigned char>(bytes[i++]);
            ++m_offset;
            headerByte(b, out);
        } else {
            const std::uint64_t left = m_frame.payloadLength - m_payloadRead;
            const std::size_t n
                = static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes.size() - i));
            m_offset += n;
            payload(bytes.substr(i, n), out);
            i += n;
        }
    }
    return i;
}

void FrameParser::feedEof(std::vector<Event> &out)
{
    if (m_state == State::Failed)
        return;
    if (m_state == State::Payload || !m_head.empty())
        fail(WsError{close_code::kAbnormal,
                     "the connection closed in the middle of a " + name(m_frame.opcode) + " frame"},
             out);
    else if (m_inMessage)
        fail(WsError{close_code::kAbnormal, "the connection closed in the middle of a "
                                            "fragmented "
                                                + name(m_message.opcode) + " message"},
             out);
}

bool FrameParser::headerByte(unsigned char b, std::vector<Event> &out)
{
    if (m_head.empty())
        m_frameStart = m_offset - 1;
    m_head += static_cast<char>(b);

    if (m_head.size() == 1) {
        if (m_closed) {
            fail(protocolError("a frame after the Close frame"), out);
            return false;
        }
        const std::uint8_t op = b & 0x0f;
        if (!isKnownOpcode(op)) {
            fail(protocolError("reserved opcode 0x" + std::string(1, "0123456789abcdef"[op])), out);
            return false;
        }
        m_frame = FrameHeader{};
        m_frame.fin = (b & 0x80) != 0;
        m_frame.rsv1 = (b & 0x40) != 0;
        m_frame.rsv2 = (b & 0x20) != 0;
        m_frame.rsv3 = (b & 0x10) != 0;
        m_frame.opcode = static_cast<Opcode>(op);
        if (m_frame.rsv2 || m_frame.rsv3) {
            fail(protocolError(std::string(m_frame.rsv2 ? "RSV2" : "RSV3")
                               + " is set, but no extension that uses it was negotiated"),
                 out);
            return false;
        }
        if (isControl(m_frame.opcode)) {
            if (!m_frame.fin) {
                fail(protocolError("a " + name(m_frame.opcode) + " frame is fragmented (FIN is 0)"),
                     out);
                return false;
            }
            if (m_frame.rsv1) {
                fail(protocolError("RSV1 is set on a " + name(m_frame.opcode) + " frame"), out);
                return false;
            }
            return true;
        }
        if (m_frame.opcode == Opcode::Continuation && !m_inMessage) {
            fail(protocolError("a Continuation frame without a message to continue"), out);
            return false;
        }
        if (m_frame.opcode != Opcode::Continuation && m_inMessage) {
            fail(protocolError("a new " + name(m_frame.opcode) + " frame before the fragmented "
                               + name(m_message.opcode) + " message ended"),
                 out);
            return false;
        }
        if (m_frame.rsv1 && !m_options.deflate) {
            fail(protocolError("RSV1 is set, but permessage-deflate was not negotiated"), out);
            return false;
        }
        if (m_frame.rsv1 && m_frame.opcode == Opcode::Continuation) {
            fail(protocolError("RSV1 is set on a Continuation frame (only a message's first "
                               "frame says it is compressed)"),
                 out);
            return false;
        }
        return true;
    }

    if (m_head.size() == 2) {
        m_frame.masked = (b & 0x80) != 0;
        const std::uint8_t len7 = b & 0x7f;
        if (m_options.sender == Sender::Client && !m_frame.masked) {
            fail(protocolError("a frame from the client is not masked"), out);
            return false;
        }
        if (m_options.sender == Sender::Server && m_frame.masked) {
            fail(protocolError("a frame from the server is masked"), out);
            return false;
        }
        if (isControl(m_frame.opcode) && len7 > kMaxControlPayload) {
            fail(protocolError("a " + name(m_frame.opcode)
                               + " frame's payload is longer than 125 bytes"),
                 out);
            return false;
        }
        m_headSize = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (m_frame.masked ? 4 : 0);
        m_frame.payloadLength = len7;
    }

    if (m_head.size() < m_headSize)
        return true;

    // The whole header is here.
    const auto at = [&](std::size_t k) {
        return static_cast<unsigned char>(m_head[k]);
    };
    const std::uint8_t len7 = at(1) & 0x7f;
    std::size_t keyAt = 2;
    if (len7 == 126) {
        m_frame.payloadLength = (std::uint64_t(at(2)) << 8) | at(3);
        keyAt = 4;
        if (m_frame.payloadLength < 126) {
            fail(protocolError("a payload length of " + std::to_string(m_frame.payloadLength)
                               + " is sent in 16 bits (the shortest form is required)"),
                 out);
            return false;
        }
    } else if (len7 == 127) {
        std::uint64_t n = 0;
        for (std::size_t k = 2; k < 10; ++k)
            n = (n << 8) | at(k);
        keyAt = 10;
        if (n >> 63) {
            fail(protocolError("the 64-bit payload length has its most significant bit set"), out);
            return false;
        }
        m_frame.payloadLength = n;
        if (n <= 0xffff) {
            fail(protocolError("a payload length of " + std::to_string(n)
                               + " is sent in 64 bits (the shortest form is required)"),
                 out);
            return false;
        }
    }
    if (m_frame.masked) {
        for (std::size_t k = 0; k < 4; ++k)
            m_frame.maskingKey[k] = at(keyAt + k);
    }
    const WsLimits &limits = m_options.limits;
    if (m_frame.payloadLength > limits.maxFramePayload) {
        fail(tooBig("a frame's payload of " + std::to_string(m_frame.payloadLength)
                    + " bytes is over the limit of " + std::to_string(limits.maxFramePayload)),
             out);
        return false;
    }
    if (!isControl(m_frame.opcode)) {
        const std::uint64_t sofar = m_inMessage ? m_message.payloadBytes : 0;
        if (m_frame.payloadLength
            > limits.maxMessageBytes - std::min(sofar, limits.maxMessageBytes)) {
            fail(tooBig("a message of more than " + std::to_string(limits.maxMessageBytes)
                        + " bytes"),
                 out);
            return false;
        }
        if (!m_inMessage) {
            m_inMessage = true;
            m_message = MessageEvent{};
            m_message.opcode = m_frame.opcode;
            m_message.compressed = m_frame.rsv1;
            m_utf8.reset();
            if (m_message.compressed && !m_inflater)
                m_inflater.emplace(*m_options.deflate, limits.maxInflatedBytes);
        }
        ++m_message.frames;
        m_message.wireBytes += m_headSize + m_frame.payloadLength;
        m_message.payloadBytes += m_frame.payloadLength;
    }
    out.emplace_back(FrameEvent{m_frame, m_frameStart});
    m_payloadRead = 0;
    m_state = State::Payload;
    if (m_frame.payloadLength == 0)
        frameDone(out);
    return true;
}

void FrameParser::payload(std::string_view bytes, std::vector<Event> &out)
{
    std::string chunk(bytes);
    if (m_frame.masked)
        applyMask(chunk.data(), chunk.size(), m_frame.maskingKey, m_payloadRead);
    m_payloadRead += bytes.size();
    if (isControl(m_frame.opcode)) {
        m_control += chunk;
    } else if (m_message.compressed) {
        std::string inflated;
        const std::optional<WsError> e = m_inflater->inflate(chunk, inflated);
        // What came out before the error is shown first (and may hold an earlier error).
        if (!data(std::move(inflated), out))
            return;
        if (e) {
            fail(*e, out);
            return;
        }
    } else if (!data(std::move(chunk), out)) {
        return;
    }
    if (m_payloadRead == m_frame.payloadLength)
        frameDone(out);
}

bool FrameParser::data(std::string chunk, std::vector<Event> &out)
{
    if (chunk.empty())
        return true;
    const std::uint64_t before = m_message.size;
    if (m_message.opcode == Opcode::Text) {
        const std::size_t bad = m_utf8.feed(chunk);
        if (bad != std::string_view::npos) {
            chunk.resize(bad);
            m_message.size += bad;
            if (!chunk.empty())
                out.emplace_back(DataEvent{std::move(chunk)});
            fail(WsError{close_code::kInvalidPayload, "a Text message is not valid UTF-8 (byte "
                                                          + std::to_string(before + bad)
                                                          + " of the message)"},
                 out);
            return false;
        }
    }
    m_message.size += chunk.size();
    out.emplace_back(DataEvent{std::move(chunk)});
    return true;
}

void FrameParser::frameDone(std::vector<Event> &out)
{
    m_state = State::Header;
    m_head.clear();
    m_headSize = 2;
    if (isControl(m_frame.opcode)) {
        ControlEvent c;
        c.opcode = m_frame.opcode;
        c.payload = std::move(m_control);
        c.wireBytes = m_frame.wireSize() + m_frame.payloadLength;
        m_control.clear();
        if (c.opcode == Opcode::Close) {
            if (std::optional<WsError> e = parseClosePayload(c.payload, c.close)) {
                fail(*e, out);
                return;
            }
            m_closed = true;
        }
        out.emplace_back(std::move(c));
        return;
    }
    if (!m_frame.fin)
        return;
    if (m_message.compressed) {
        std::string inflated;
        const std::optional<WsError> e = m_inflater->finish(inflated);
        if (!data(std::move(inflated), out))
            return;
        if (e) {
            fail(*e, out);
            return;
        }
    }
    if (m_message.opcode == Opcode::Text && !m_utf8.complete()) {
        fail(WsError{close_code::kInvalidPayload,
                     "a Text message ends in the middle of a UTF-8 character"},
             out);
        return;
    }
    m_inMessage = false;
    out.emplace_back(m_message);
}

} // namespace ts::ws
