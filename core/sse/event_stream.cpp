#include "core/sse/event_stream.h"

namespace ts::sse {

namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd"; // U+FFFD
constexpr std::string_view kBom = "\xef\xbb\xbf";         // U+FEFF

} // namespace

EventStreamParser::EventStreamParser(SseLimits limits) : m_limits(limits)
{}

void EventStreamParser::fail(std::string code, std::string message, std::vector<Item> &out)
{
    m_failed = true;
    out.emplace_back(StreamError{Error{std::move(code), std::move(message)}});
}

void EventStreamParser::feed(std::string_view bytes, std::vector<Item> &out)
{
    for (const char c : bytes) {
        if (m_failed)
            return;
        byte(static_cast<unsigned char>(c), out);
    }
}

void EventStreamParser::feedEof(std::vector<Item> &out)
{
    (void)out;
    m_pending.clear();
    m_utf8.reset();
    m_line.clear();
    m_data.clear();
    m_type.clear();
}

// UTF-8 decoding with replacement, the WHATWG way: a sequence that breaks off gives one
// U+FFFD and the byte that broke it is read again as the start of a character.
void EventStreamParser::byte(unsigned char b, std::vector<Item> &out)
{
    if (!m_pending.empty() && !m_utf8.step(b)) {
        m_pending.clear();
        m_utf8.reset();
        character(kReplacement, out);
        if (m_failed)
            return;
    } else if (!m_pending.empty()) {
        m_pending += static_cast<char>(b);
        if (m_utf8.complete()) {
            const std::string c = std::move(m_pending);
            m_pending.clear();
            character(c, out);
        }
        return;
    }
    if (b < 0x80) {
        const char c = static_cast<char>(b);
        character(std::string_view(&c, 1), out);
    } else if (m_utf8.step(b)) {
        m_pending += static_cast<char>(b);
    } else {
        character(kReplacement, out);
    }
}

void EventStreamParser::character(std::string_view c, std::vector<Item> &out)
{
    if (m_atStart) {
        m_atStart = false;
        if (c == kBom)
            return;
    }
    if (c == "\n") {
        if (m_afterCr) {
            m_afterCr = false;
            return;
        }
        line(out);
        return;
    }
    m_afterCr = false;
    if (c == "\r") {
        m_afterCr = true;
        line(out);
        return;
    }
    if (m_line.size() + c.size() > m_limits.maxLineBytes) {
        fail("sse.line-too-long",
             "an event stream line is longer than " + std::to_string(m_limits.maxLineBytes)
                 + " bytes",
             out);
        return;
    }
    m_line.append(c);
}

void EventStreamParser::line(std::vector<Item> &out)
{
    std::string text;
    text.swap(m_line);
    if (text.empty()) {
        // Dispatch (§9.2.6): the last event ID is taken even when no event goes out.
        m_lastEventId = m_idBuffer;
        if (m_data.empty()) {
            m_type.clear();
            return;
        }
        ServerEvent e;
        m_data.pop_back(); // the \n after the last data line
        e.data = std::move(m_data);
        if (!m_type.empty())
            e.type = std::move(m_type);
        e.lastEventId = m_lastEventId;
        m_data.clear();
        m_type.clear();
        out.emplace_back(std::move(e));
        return;
    }
    if (text.front() == ':') {
        out.emplace_back(Comment{text.substr(1)});
        return;
    }
    const std::size_t colon = text.find(':');
    const std::string_view field = std::string_view(text).substr(0, colon);
    std::string_view value;
    if (colon != std::string::npos) {
        value = std::string_view(text).substr(colon + 1);
        if (!value.empty() && value[0] == ' ')
            value.remove_prefix(1);
    }
    if (field == "event") {
        m_type = std::string(value);
    } else if (field == "data") {
        if (m_data.size() + value.size() + 1 > m_limits.maxEventBytes) {
            fail("sse.event-too-big",
                 "an event's data is larger than " + std::to_string(m_limits.maxEventBytes)
                     + " bytes",
                 out);
            return;
        }
        m_data.append(value);
        m_data += '\n';
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos)
            m_idBuffer = std::string(value);
    } else if (field == "retry") {
        if (value.empty())
            return;
        std::uint64_t ms = 0;
        for (const char c : value) {
            if (c < '0' || c > '9' || ms > (UINT64_MAX - 9) / 10)
                return; // not only digits (or too many): ignored
            ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
        }
        out.emplace_back(Retry{ms});
    }
    // Any other field is ignored.
}

} // namespace ts::sse
