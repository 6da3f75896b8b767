#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ts {

// Incremental UTF-8 validation (RFC 3629 §4: no overlongs, no surrogates, nothing above
// U+10FFFF), fed any split of the input. WebSocket text messages are checked with it
// (core/ws) and event streams are decoded with it (core/sse).
class Utf8Validator
{
public:
    // Takes one byte. False, with the state left as it was, when the byte cannot come next.
    bool step(unsigned char b)
    {
        if (m_need == 0) {
            if (b < 0x80)
                return true;
            if (b >= 0xc2 && b <= 0xdf)
                return expect(1, 0x80, 0xbf);
            if (b == 0xe0)
                return expect(2, 0xa0, 0xbf); // no overlong 3-byte forms
            if (b == 0xed)
                return expect(2, 0x80, 0x9f); // no surrogates
            if (b >= 0xe1 && b <= 0xef)
                return expect(2, 0x80, 0xbf);
            if (b == 0xf0)
                return expect(3, 0x90, 0xbf); // no overlong 4-byte forms
            if (b >= 0xf1 && b <= 0xf3)
                return expect(3, 0x80, 0xbf);
            if (b == 0xf4)
                return expect(3, 0x80, 0x8f); // nothing above U+10FFFF
            return false;                     // 80-C1, F5-FF never start a character
        }
        if (b < m_lo || b > m_hi)
            return false;
        --m_need;
        m_lo = 0x80;
        m_hi = 0xbf;
        return true;
    }

    // The index of the first byte that makes the input invalid, or npos when every byte was
    // taken (a character may still be open: see complete()).
    std::size_t feed(std::string_view bytes)
    {
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (!step(static_cast<unsigned char>(bytes[i])))
                return i;
        }
        return std::string_view::npos;
    }

    // No character is cut off after the bytes taken so far.
    bool complete() const { return m_need == 0; }
    void reset() { *this = Utf8Validator(); }

private:
    bool expect(std::uint8_t need, std::uint8_t lo, std::uint8_t hi)
    {
        m_need = need;
        m_lo = lo;
        m_hi = hi;
        return true;
    }

    std::uint8_t m_need = 0;  // continuation bytes still to come
    std::uint8_t m_lo = 0x80; // the range the next continuation byte must be in
    std::uint8_t m_hi = 0xbf;
};

} // namespace ts
