#include "ui/detail/json_format.h"

namespace ts::ui {

namespace {

constexpr int kMaxDepth = 512;

// A recursive-descent checker that writes the indented text as it goes (RFC 8259 grammar).
class Formatter
{
public:
    Formatter(std::string_view in, int indent) : m_in(in), m_indent(indent)
    {
        m_out.reserve(in.size() + in.size() / 2);
    }

    std::optional<std::string> run()
    {
        skipSpace();
        if (!value(0))
            return std::nullopt;
        skipSpace();
        if (m_pos != m_in.size())
            return std::nullopt;
        m_out += '\n';
        return std::move(m_out);
    }

    // Where the value starting at `from` ends (after it), or nothing when none starts there.
    std::optional<std::size_t> valueEnd(std::size_t from)
    {
        m_pos = from;
        m_out.clear();
        if (!value(0))
            return std::nullopt;
        return m_pos;
    }
    // The first position at or after `from` that is not JSON white space.
    std::size_t spaceEnd(std::size_t from)
    {
        m_pos = from;
        skipSpace();
        return m_pos;
    }

private:
    bool atEnd() const { return m_pos >= m_in.size(); }
    char peek() const { return m_in[m_pos]; }

    void skipSpace()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++m_pos;
    }

    void newline(int depth)
    {
        m_out += '\n';
        m_out.append(std::size_t(depth) * std::size_t(m_indent), ' ');
    }

    bool value(int depth)
    {
        if (atEnd())
            return false;
        switch (peek()) {
        case '{':
            return container(depth, '}', true);
        case '[':
            return container(depth, ']', false);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    bool container(int depth, char close, bool object)
    {
        if (depth >= kMaxDepth)
            return false;
        m_out += m_in[m_pos++];
        skipSpace();
        if (!atEnd() && peek() == close) {
            m_out += m_in[m_pos++];
            return true;
        }
        for (;;) {
            newline(depth + 1);
            skipSpace();
            if (object) {
                if (atEnd() || peek() != '"' || !string())
                    return false;
                skipSpace();
                if (atEnd() || peek() != ':')
                    return false;
                ++m_pos;
                m_out += ": ";
                skipSpace();
            }
            if (!value(depth + 1))
                return false;
            skipSpace();
            if (atEnd())
                return false;
            if (peek() == ',') {
                ++m_pos;
                m_out += ',';
                skipSpace();
                continue;
            }
            if (peek() != close)
                return false;
            ++m_pos;
            newline(depth);
            m_out += close;
            return true;
        }
    }

    bool string()
    {
        const std::size_t start = m_pos++;
        while (!atEnd()) {
            const auto c = static_cast<unsigned char>(m_in[m_pos]);
            if (c == '"') {
                ++m_pos;
                m_out.append(m_in.substr(start, m_pos - start));
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                ++m_pos;
                if (atEnd())
                    return false;
                const char e = peek();
                if (e == 'u') {
                    for (int i = 1; i <= 4; ++i) {
                        if (m_pos + std::size_t(i) >= m_in.size()
                            || !isHex(m_in[m_pos + std::size_t(i)]))
                            return false;
                    }
                    m_pos += 4;
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
            ++m_pos;
        }
        return false;
    }

    static bool isHex(char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }

    bool digits()
    {
        const std::size_t start = m_pos;
        while (!atEnd() && isDigit(peek()))
            ++m_pos;
        return m_pos > start;
    }

    bool number()
    {
        const std::size_t start = m_pos;
        if (!atEnd() && peek() == '-')
            ++m_pos;
        if (atEnd())
            return false;
        if (peek() == '0') {
            ++m_pos;
        } else if (!digits()) {
            return false;
        }
        if (!atEnd() && peek() == '.') {
            ++m_pos;
            if (!digits())
                return false;
        }
        if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
            ++m_pos;
            if (!atEnd() && (peek() == '+' || peek() == '-'))
                ++m_pos;
            if (!digits())
                return false;
        }
        // "01": a number is followed by a separator, never by another digit.
        if (!atEnd() && isDigit(peek()))
            return false;
        m_out.append(m_in.substr(start, m_pos - start));
        return true;
    }

    bool literal(std::string_view word)
    {
        if (m_in.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        m_out.append(word);
        return true;
    }

    std::string_view m_in;
    std::size_t m_pos = 0;
    int m_indent;
    std::string m_out;
};

} // namespace

std::optional<std::string> prettyJson(std::string_view json, int indent)
{
    // A UTF-8 byte order mark is not JSON but is common enough in the wild to skip.
    if (json.substr(0, 3) == "\xEF\xBB\xBF")
        json.remove_prefix(3);
    return Formatter(json, indent).run();
}

namespace {

// The parts of one JSON container (`open` ... `close`), each as `each(name, value)` (name empty
// in arrays); false when `json` is not exactly one such container.
template<typename Each>
bool forEachPart(std::string_view json, char open, char close, Each each)
{
    if (json.substr(0, 3) == "\xEF\xBB\xBF")
        json.remove_prefix(3);
    const bool object = open == '{';
    Formatter scan(json, 0);
    std::size_t pos = scan.spaceEnd(0);
    if (pos >= json.size() || json[pos] != open)
        return false;
    pos = scan.spaceEnd(pos + 1);
    if (pos < json.size() && json[pos] == close)
        return scan.spaceEnd(pos + 1) == json.size();
    for (;;) {
        std::string_view name;
        if (object) {
            if (pos >= json.size() || json[pos] != '"')
                return false;
            const auto nameEnd = scan.valueEnd(pos);
            if (!nameEnd)
                return false;
            name = json.substr(pos, *nameEnd - pos);
            pos = scan.spaceEnd(*nameEnd);
            if (pos >= json.size() || json[pos] != ':')
                return false;
            pos = scan.spaceEnd(pos + 1);
        }
        const auto end = scan.valueEnd(pos);
        if (!end)
            return false;
        each(name, json.substr(pos, *end - pos));
        pos = scan.spaceEnd(*end);
        if (pos >= json.size())
            return false;
        if (json[pos] == close)
            return scan.spaceEnd(pos + 1) == json.size();
        if (json[pos] != ',')
            return false;
        pos = scan.spaceEnd(pos + 1);
    }
}

} // namespace

std::optional<std::vector<JsonMember>> jsonObjectMembers(std::string_view json)
{
    std::vector<JsonMember> members;
    if (!forEachPart(json, '{', '}', [&members](std::string_view name, std::string_view value) {
            members.push_back({name, value});
        }))
        return std::nullopt;
    return members;
}

std::optional<std::vector<std::string_view>> jsonArrayElements(std::string_view json)
{
    std::vector<std::string_view> elements;
    if (!forEachPart(json, '[', ']', [&elements](std::string_view, std::string_view value) {
            elements.push_back(value);
        }))
        return std::nullopt;
    return elements;
}

} // namespace ts::ui
