#include "core/filter/filter.h"
#include "core/base/ascii.h"

#include "core/codec/content_decoding.h"
#include "core/flow/flow.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <regex>

namespace ts::filter {

namespace detail {

// A text value: plain text (matched case-insensitively) or a compiled /regex/.
struct Pattern
{
    std::string lowered; // plain text, ASCII lower case
    std::shared_ptr<const std::regex> regex;
};

struct Node
{
    enum class Op : std::uint8_t { And, Or, Not, Term };
    enum class Field : std::uint8_t {
        Url,
        Host,
        Path,
        Method,
        Scheme,
        Status,
        Proto,
        Header,
        ReqHeader,
        ResHeader,
        Body,
        ReqBody,
        ResBody,
        Size,
        ReqSize,
        ResSize,
        Duration,
        Error,
        Tls,
        Intercepted,
        Type,
        Pinned,
        Color,
        Comment,
    };
    enum class FlowType : std::uint8_t { Exchange, Tunnel, WebSocket };

    Op op = Op::Term;
    std::vector<Node> children; // And, Or: two or more; Not: one
    Field field = Field::Url;
    bool hasValue = false;              // header:name=value, error:text
    Pattern value;                      // text fields, header values, error text
    std::string headerName;             // lower case
    std::vector<std::string> protocols; // proto: plain values, canonical (see canonicalProtocol)
    std::int64_t lo = 0;                // numeric fields: inclusive range
    std::int64_t hi = 0;
    FlowType type = FlowType::Exchange;
    flow::MarkColor color = flow::MarkColor::None; // color:name (hasValue); none is a value too
};

} // namespace detail

namespace {

using detail::Node;
using detail::Pattern;
using Field = Node::Field;
using FlowType = Node::FlowType;

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

// How the text after "field:" reads.
enum class Kind : std::uint8_t {
    Text,       // substring, or /regex/
    Exact,      // whole value (method, scheme), or /regex/
    Proto,      // protocol names with aliases, or /regex/
    Header,     // name or name=value
    Status,     // numbers: code, class, range, comparison
    Bytes,      // sizes with k/m/g
    Micros,     // durations with us/ms/s/m/h
    Flag,       // no value
    FlagOrText, // error, error:text
    Type,       // exchange | tunnel | websocket
    Color,      // color (any), color:red, color:none
};

struct FieldInfo
{
    std::string_view name;
    Field field;
    Kind kind;
};

// In the order completions offer them.
constexpr std::array kFields{
    FieldInfo{"host", Field::Host, Kind::Text},
    FieldInfo{"path", Field::Path, Kind::Text},
    FieldInfo{"url", Field::Url, Kind::Text},
    FieldInfo{"method", Field::Method, Kind::Exact},
    FieldInfo{"status", Field::Status, Kind::Status},
    FieldInfo{"type", Field::Type, Kind::Type},
    FieldInfo{"proto", Field::Proto, Kind::Proto},
    FieldInfo{"protocol", Field::Proto, Kind::Proto},
    FieldInfo{"scheme", Field::Scheme, Kind::Exact},
    FieldInfo{"header", Field::Header, Kind::Header},
    FieldInfo{"reqheader", Field::ReqHeader, Kind::Header},
    FieldInfo{"resheader", Field::ResHeader, Kind::Header},
    FieldInfo{"body", Field::Body, Kind::Text},
    FieldInfo{"reqbody", Field::ReqBody, Kind::Text},
    FieldInfo{"resbody", Field::ResBody, Kind::Text},
    FieldInfo{"size", Field::Size, Kind::Bytes},
    FieldInfo{"reqsize", Field::ReqSize, Kind::Bytes},
    FieldInfo{"ressize", Field::ResSize, Kind::Bytes},
    FieldInfo{"duration", Field::Duration, Kind::Micros},
    FieldInfo{"error", Field::Error, Kind::FlagOrText},
    FieldInfo{"tls", Field::Tls, Kind::Flag},
    FieldInfo{"intercepted", Field::Intercepted, Kind::Flag},
    FieldInfo{"pinned", Field::Pinned, Kind::Flag},
    FieldInfo{"color", Field::Color, Kind::Color},
    FieldInfo{"comment", Field::Comment, Kind::FlagOrText},
};

// ---- characters and text ---------------------------------------------------------------------

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return asciiLower(x) == asciiLower(y);
           });
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// `needle` is already lower case.
bool containsIgnoreCase(std::string_view hay, std::string_view needle)
{
    if (needle.empty())
        return true;
    if (hay.size() < needle.size())
        return false;
    const char first = needle.front();
    const std::size_t last = hay.size() - needle.size();
    for (std::size_t i = 0; i <= last; ++i) {
        if (asciiLower(hay[i]) != first)
            continue;
        std::size_t k = 1;
        while (k < needle.size() && asciiLower(hay[i + k]) == needle[k])
            ++k;
        if (k == needle.size())
            return true;
    }
    return false;
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool isLetter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

std::string quoted(std::string_view s)
{
    return "'" + std::string(s) + "'";
}

const FieldInfo *findField(std::string_view name)
{
    for (const FieldInfo &f : kFields) {
        if (equalsIgnoreCase(f.name, name))
            return &f;
    }
    return nullptr;
}

std::size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                               diagonal + (asciiLower(a[i - 1]) == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

// "HTTP/2.0", "h2", "h2c" -> "http/2"; "h3-29" -> "http/3"; HTTP/1.x stays; others lower case.
std::string canonicalProtocol(std::string_view p)
{
    const std::string s = asciiLowered(p);
    if (s == "h2" || s == "h2c" || s == "http/2" || s == "http/2.0")
        return "http/2";
    if (s == "h3" || s.rfind("h3-", 0) == 0 || s == "http/3" || s == "http/3.0")
        return "http/3";
    return s;
}

// What a plain proto: value matches, as canonical names.
std::vector<std::string> protocolsFor(std::string_view value)
{
    const std::string s = asciiLowered(value);
    if (s == "h1" || s == "http/1" || s == "http/1.x" || s == "http1")
        return {"http/1.0", "http/1.1"};
    if (s == "h1.1" || s == "1.1")
        return {"http/1.1"};
    if (s == "h1.0" || s == "1.0")
        return {"http/1.0"};
    if (s == "2")
        return {"http/2"};
    if (s == "3")
        return {"http/3"};
    return {canonicalProtocol(s)};
}

// ---- regex guards ----------------------------------------------------------------------------

// Roughly the number of automaton states the pattern compiles to: each atom one, a group its
// contents, {n,m} multiplying what it repeats. libstdc++ copies a repeated subexpression per
// count and walks epsilon edges recursively, so this bounds both memory and stack.
std::size_t regexCost(std::string_view p)
{
    constexpr std::size_t cap = std::size_t(1) << 40;
    struct Group
    {
        std::size_t total = 0;
        std::size_t last = 0; // the atom a quantifier applies to
    };
    std::vector<Group> groups(1);
    auto atom = [&](std::size_t cost) {
        groups.back().total = std::min(cap, groups.back().total + cost);
        groups.back().last = cost;
    };
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            ++i;
            atom(1);
        } else if (c == '[') {
            ++i;
            if (i < p.size() && p[i] == '^')
                ++i;
            if (i < p.size() && p[i] == ']')
                ++i;
            while (i < p.size() && p[i] != ']')
                i += p[i] == '\\' ? 2 : 1;
            atom(2);
        } else if (c == '(') {
            groups.emplace_back();
        } else if (c == ')' && groups.size() > 1) {
            const std::size_t inner = groups.back().total + 2;
            groups.pop_back();
            atom(inner);
        } else if (c == '|') {
            groups.back().total = std::min(cap, groups.back().total + 1);
        } else if (c == '*' || c == '+' || c == '?') {
            atom(groups.back().last + 1);
        } else if (c == '{') {
            std::size_t j = i + 1;
            std::size_t most = 0;
            std::size_t number = 0;
            bool any = false;
            while (j < p.size() && (isDigit(p[j]) || p[j] == ',')) {
                if (p[j] == ',') {
                    most = std::max(most, number);
                    number = 0;
                } else {
                    number = std::min(cap, number * 10 + std::size_t(p[j] - '0'));
                    any = true;
                }
                ++j;
            }
            most = std::max(most, number);
            if (any && j < p.size() && p[j] == '}') {
                // {n,} repeats n times then once more with a loop.
                Group &g = groups.back();
                const std::size_t extra = std::min(cap, g.last * (most + 1));
                g.total = std::min(cap, g.total + extra);
                g.last = std::min(cap, g.last + extra);
                i = j;
            } else {
                atom(1);
            }
        } else {
            atom(1);
        }
    }
    std::size_t total = 0;
    for (const Group &g : groups)
        total = std::min(cap, total + g.total);
    return total;
}

// libstdc++ reads {n,m} counts and \N back-reference numbers into a long without an overflow
// check (undefined behaviour, even in a pattern it then rejects), so long ones are refused first.
bool hasHugeNumber(std::string_view p)
{
    for (std::size_t i = 0; i < p.size(); ++i) {
        const bool brace = p[i] == '{';
        if (p[i] == '\\' && !(i + 1 < p.size() && isDigit(p[i + 1]))) {
            ++i;
            continue;
        }
        if (!brace && p[i] != '\\')
            continue;
        std::size_t run = 0;
        for (std::size_t j = i + 1; j < p.size() && (isDigit(p[j]) || (brace && p[j] == ','));
             ++j) {
            run = isDigit(p[j]) ? run + 1 : 0;
            if (run > 6)
                return true;
        }
    }
    return false;
}

std::string regexProblem(const std::regex_error &e)
{
    switch (e.code()) {
    case std::regex_constants::error_collate:
        return "bad collating element";
    case std::regex_constants::error_ctype:
        return "bad character class";
    case std::regex_constants::error_escape:
        return "bad escape";
    case std::regex_constants::error_backref:
        return "bad back-reference";
    case std::regex_constants::error_brack:
        return "unbalanced [ ]";
    case std::regex_constants::error_paren:
        // libstdc++ reports a quantifier with nothing before it ("*a") this way too.
        return "unbalanced ( ) or nothing to repeat";
    case std::regex_constants::error_brace:
        return "unbalanced { }";
    case std::regex_constants::error_badbrace:
        return "bad {n,m} repeat";
    case std::regex_constants::error_range:
        return "bad character range";
    case std::regex_constants::error_space:
    case std::regex_constants::error_stack:
        return "too complex";
    case std::regex_constants::error_badrepeat:
        return "nothing to repeat";
    case std::regex_constants::error_complexity:
        return "back-references are not supported";
    default: // library extensions
        break;
    }
    return "invalid";
}

// `re` is the user's pattern wrapped as [\s\S]*(?:pattern)[\s\S]*, so one regex_match pass
// answers "is it anywhere": regex_search would rerun the matcher from every start position.
bool regexSearch(const std::regex &re, std::string_view text)
{
    text = text.substr(0, FilterLimits::maxRegexSubject);
    try {
        return std::regex_match(text.begin(), text.end(), re);
    } catch (const std::exception &) {
        return false; // out of memory or stack in the matcher: not a match, not a crash
    }
}

bool test(const Pattern &p, std::string_view text)
{
    return p.regex ? regexSearch(*p.regex, text) : containsIgnoreCase(text, p.lowered);
}

bool testExact(const Pattern &p, std::string_view text)
{
    return p.regex ? regexSearch(*p.regex, text) : equalsIgnoreCase(text, p.lowered);
}

// ---- numbers ---------------------------------------------------------------------------------

// "10", "1.5k", "200ms": a non-negative number and the unit the kind allows, in bytes,
// microseconds or (status) plain.
std::optional<std::int64_t> quantity(std::string_view s, Kind kind)
{
    std::size_t end = 0;
    while (end < s.size() && (isDigit(s[end]) || s[end] == '.'))
        ++end;
    if (end == 0 || !isDigit(s[0]))
        return std::nullopt;
    const std::string_view number = s.substr(0, end);
    const std::string unit = asciiLowered(s.substr(end));
    double value = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value,
                                           std::chars_format::fixed);
    if (ec != std::errc() || ptr != number.data() + number.size())
        return std::nullopt;
    double scale = 0;
    switch (kind) {
    case Kind::Status:
        if (unit.empty() && number.find('.') == std::string_view::npos)
            scale = 1;
        break;
    case Kind::Bytes:
        if (unit.empty() || unit == "b")
            scale = 1;
        else if (unit == "k" || unit == "kb" || unit == "kib")
            scale = 1024.0;
        else if (unit == "m" || unit == "mb" || unit == "mib")
            scale = 1024.0 * 1024;
        else if (unit == "g" || unit == "gb" || unit == "gib")
            scale = 1024.0 * 1024 * 1024;
        break;
    case Kind::Micros:
        if (unit == "us")
            scale = 1;
        else if (unit.empty() || unit == "ms")
            scale = 1e3;
        else if (unit == "s")
            scale = 1e6;
        else if (unit == "m" || unit == "min")
            scale = 60e6;
        else if (unit == "h")
            scale = 3600e6;
        break;
    default:
        break;
    }
    if (scale == 0)
        return std::nullopt;
    const double scaled = std::round(value * scale);
    if (!(scaled < 9e18))
        return std::nullopt;
    return static_cast<std::int64_t>(scaled);
}

struct Range
{
    std::int64_t lo;
    std::int64_t hi;
};

// 404 | 4xx | 40x | 400-499 | >=500 | >500 | <=399 | <400 | =200, with units for sizes and
// durations.
std::optional<Range> parseRange(std::string_view s, Kind kind)
{
    std::string_view op;
    for (const std::string_view o : {">=", "<=", "==", ">", "<", "="}) {
        if (s.substr(0, o.size()) == o) {
            op = o;
            break;
        }
    }
    if (!op.empty()) {
        const auto v = quantity(s.substr(op.size()), kind);
        if (!v)
            return std::nullopt;
        if (op == ">")
            return *v == kMaxInt ? std::nullopt : std::optional<Range>(Range{*v + 1, kMaxInt});
        if (op == ">=")
            return Range{*v, kMaxInt};
        if (op == "<")
            return *v == 0 ? std::nullopt : std::optional<Range>(Range{0, *v - 1});
        if (op == "<=")
            return Range{0, *v};
        return Range{*v, *v};
    }
    if (kind == Kind::Status && s.size() == 3 && isDigit(s[0])) {
        const auto x = [](char c) {
            return c == 'x' || c == 'X';
        };
        const std::int64_t d = s[0] - '0';
        if (x(s[1]) && x(s[2]))
            return Range{d * 100, d * 100 + 99};
        if (isDigit(s[1]) && x(s[2]))
            return Range{d * 100 + (s[1] - '0') * 10, d * 100 + (s[1] - '0') * 10 + 9};
    }
    if (const std::size_t dash = s.find('-'); dash != std::string_view::npos) {
        const auto a = quantity(s.substr(0, dash), kind);
        const auto b = quantity(s.substr(dash + 1), kind);
        if (!a || !b || *a > *b)
            return std::nullopt;
        return Range{*a, *b};
    }
    const auto v = quantity(s, kind);
    if (!v)
        return std::nullopt;
    return Range{*v, *v};
}

std::string numberHint(Kind kind)
{
    switch (kind) {
    case Kind::Status:
        return "a status like 404, 4xx, 40x, 400-499 or >=500";
    case Kind::Bytes:
        return "a size like 100, 10k, 1.5m, >10k or 1k-1m (k, m, g are 1024-based)";
    default:
        return "a duration like 200ms, 1.5s, >200ms or 100ms-1s (us, ms, s, m, h; a bare number "
               "is ms)";
    }
}

// ---- the parser ------------------------------------------------------------------------------

class Parser
{
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    Result<void> run(Node &root, bool &empty, bool &readsBodies)
    {
        skipSpaces();
        empty = atEnd();
        if (!empty && parseOr(root)) {
            skipSpaces();
            if (!atEnd())
                fail(m_pos, at(')') ? "unexpected ')'" : "expected the end of the filter");
        }
        readsBodies = m_readsBodies;
        if (!m_error.empty())
            return Error{"filter.syntax", m_error};
        return {};
    }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    bool at(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }
    bool at(std::string_view s) const { return m_text.substr(m_pos, s.size()) == s; }

    void skipSpaces()
    {
        while (!atEnd() && isSpace(m_text[m_pos]))
            ++m_pos;
    }

    // Where a word ends: the end, a space, a parenthesis, "&&" or "||".
    bool boundaryAt(std::size_t pos) const
    {
        if (pos >= m_text.size())
            return true;
        const char c = m_text[pos];
        if (isSpace(c) || c == '(' || c == ')')
            return true;
        const std::string_view two = m_text.substr(pos, 2);
        return two == "&&" || two == "||";
    }

    bool keywordAt(std::size_t pos, std::string_view word) const
    {
        return equalsIgnoreCase(m_text.substr(pos, word.size()), word)
               && boundaryAt(pos + word.size());
    }

    // The operator at the cursor ("and", "&&", ...), or empty.
    std::string_view andOperator() const
    {
        if (at("&&"))
            return "&&";
        return keywordAt(m_pos, "and") ? m_text.substr(m_pos, 3) : std::string_view();
    }
    std::string_view orOperator() const
    {
        if (at("||"))
            return "||";
        return keywordAt(m_pos, "or") ? m_text.substr(m_pos, 2) : std::string_view();
    }

    bool fail(std::size_t pos, const std::string &what)
    {
        if (m_error.empty())
            m_error = "at " + std::to_string(pos) + ": " + what;
        return false;
    }

    // An operand must follow an operator: say so at the end, before ')' or another operator.
    bool expectOperand(std::string_view after)
    {
        skipSpaces();
        if (atEnd() || at(')') || !andOperator().empty() || !orOperator().empty())
            return fail(m_pos, "expected an expression after " + quoted(after));
        return true;
    }

    bool parseOr(Node &out)
    {
        if (!parseAnd(out))
            return false;
        for (;;) {
            skipSpaces();
            const std::string_view op = orOperator();
            if (op.empty())
                return true;
            m_pos += op.size();
            Node next;
            if (!expectOperand(op) || !parseAnd(next))
                return false;
            join(out, Node::Op::Or, std::move(next));
        }
    }

    bool parseAnd(Node &out)
    {
        if (!parseUnary(out))
            return false;
        for (;;) {
            skipSpaces();
            if (atEnd() || at(')') || !orOperator().empty())
                return true;
            const std::string_view op = andOperator();
            if (!op.empty()) {
                m_pos += op.size();
                if (!expectOperand(op))
                    return false;
            }
            Node next;
            if (!parseUnary(next))
                return false;
            join(out, Node::Op::And, std::move(next));
        }
    }

    // a or b or c is one node with three children, so evaluation depth stays the nesting
    // depth however long the expression is.
    static void join(Node &out, Node::Op op, Node next)
    {
        if (out.op != op) {
            Node first = std::move(out);
            out = Node{};
            out.op = op;
            out.children.push_back(std::move(first));
        }
        out.children.push_back(std::move(next));
    }

    bool parseUnary(Node &out)
    {
        skipSpaces();
        const std::size_t start = m_pos;
        if (atEnd())
            return fail(m_pos, "expected an expression");
        if (const std::string_view op = !andOperator().empty() ? andOperator() : orOperator();
            !op.empty())
            return fail(m_pos, "expected an expression before " + quoted(op));
        if (at(')'))
            return fail(m_pos, "unexpected ')'");

        const bool bang = at('!');
        if (bang || keywordAt(m_pos, "not")) {
            const std::string_view op = m_text.substr(m_pos, bang ? 1 : 3);
            if (++m_depth > FilterLimits::maxDepth)
                return fail(start, "more than " + std::to_string(FilterLimits::maxDepth)
                                       + " nested parentheses and 'not's");
            m_pos += op.size();
            Node inner;
            if (!expectOperand(op) || !parseUnary(inner))
                return false;
            --m_depth;
            out = Node{};
            out.op = Node::Op::Not;
            out.children.push_back(std::move(inner));
            return true;
        }
        if (at('(')) {
            if (++m_depth > FilterLimits::maxDepth)
                return fail(start, "more than " + std::to_string(FilterLimits::maxDepth)
                                       + " nested parentheses and 'not's");
            ++m_pos;
            if (!expectOperand("(") || !parseOr(out))
                return false;
            skipSpaces();
            if (!at(')'))
                return fail(m_pos, "expected ')' to close the '(' at " + std::to_string(start));
            ++m_pos;
            --m_depth;
            return true;
        }
        return parseTerm(out);
    }

    // A term: "quoted", /regex/, field:value, field<op>number, a flag, or a bare word.
    bool parseTerm(Node &out)
    {
        const std::size_t start = m_pos;
        out = Node{};
        out.op = Node::Op::Term;
        out.field = Field::Url;

        std::size_t identEnd = m_pos;
        while (identEnd < m_text.size() && isLetter(m_text[identEnd]))
            ++identEnd;
        const std::string_view ident = m_text.substr(m_pos, identEnd - m_pos);
        const FieldInfo *info = ident.empty() ? nullptr : findField(ident);

        if (info && identEnd < m_text.size() && m_text[identEnd] == ':') {
            m_pos = identEnd + 1;
            out.field = info->field;
            return parseFieldValue(out, *info, ident);
        }
        if (info
            && (info->kind == Kind::Status || info->kind == Kind::Bytes
                || info->kind == Kind::Micros)) {
            std::size_t p = identEnd;
            while (p < m_text.size() && isSpace(m_text[p]))
                ++p;
            if (p < m_text.size() && (m_text[p] == '<' || m_text[p] == '>' || m_text[p] == '=')) {
                m_pos = p;
                out.field = info->field;
                return parseComparison(out, *info, ident);
            }
        }
        if (info
            && (info->kind == Kind::Flag || info->kind == Kind::FlagOrText
                || info->kind == Kind::Color)
            && boundaryAt(identEnd)) {
            m_pos = identEnd;
            out.field = info->field;
            return true;
        }
        // "hots:x" is a typo, but "localhost:8080" and "http://x" are words to find in URLs.
        if (!ident.empty() && !info && identEnd < m_text.size() && m_text[identEnd] == ':'
            && !(identEnd + 1 < m_text.size()
                 && (isDigit(m_text[identEnd + 1]) || m_text[identEnd + 1] == '/')))
            return unknownField(start, ident);

        // A bare word, matched in the URL.
        return parseValue(out.value, "");
    }

    bool unknownField(std::size_t pos, std::string_view ident)
    {
        std::string best;
        std::size_t bestDistance = 3;
        for (const FieldInfo &f : kFields) {
            if (f.kind == Kind::Flag)
                continue;
            const std::size_t d = editDistance(ident, f.name);
            if (d < bestDistance && d < ident.size()) {
                bestDistance = d;
                best = f.name;
            }
        }
        if (!best.empty())
            return fail(pos, "unknown field " + quoted(ident) + " (did you mean "
                                 + quoted(best + ":") + "?)");
        return fail(pos, "unknown field " + quoted(ident)
                             + " (to find text with a colon in URLs, put it in quotes)");
    }

    bool parseFieldValue(Node &out, const FieldInfo &info, std::string_view ident)
    {
        const std::string label = quoted(std::string(ident) + ":");
        if (info.kind == Kind::Flag)
            return fail(m_pos - 1, quoted(ident) + " takes no value");
        if (boundaryAt(m_pos))
            return fail(m_pos, "expected a value after " + label);
        switch (info.kind) {
        case Kind::Text:
        case Kind::Exact:
            if (info.field == Field::Body || info.field == Field::ReqBody
                || info.field == Field::ResBody)
                m_readsBodies = true;
            return parseValue(out.value, label);
        case Kind::FlagOrText:
            out.hasValue = true;
            return parseValue(out.value, label);
        case Kind::Proto:
            if (!parseValue(out.value, label))
                return false;
            if (!out.value.regex)
                out.protocols = protocolsFor(out.value.lowered);
            return true;
        case Kind::Header:
            return parseHeader(out, label);
        case Kind::Status:
        case Kind::Bytes:
        case Kind::Micros:
            return parseNumber(out, info.kind, m_pos, std::string_view(), label);
        case Kind::Type: {
            const std::size_t valueStart = m_pos;
            const std::string_view word = scanWord(false);
            if (equalsIgnoreCase(word, "exchange"))
                out.type = FlowType::Exchange;
            else if (equalsIgnoreCase(word, "tunnel"))
                out.type = FlowType::Tunnel;
            else if (equalsIgnoreCase(word, "websocket") || equalsIgnoreCase(word, "ws"))
                out.type = FlowType::WebSocket;
            else
                return fail(valueStart, "expected exchange, tunnel or websocket after " + label);
            return true;
        }
        case Kind::Color: {
            const std::size_t valueStart = m_pos;
            bool known = false;
            out.color = flow::markColorFromName(scanWord(false), &known);
            if (!known)
                return fail(valueStart, "expected red, orange, yellow, green, blue, purple, gray "
                                        "or none after "
                                            + label);
            out.hasValue = true;
            return true;
        }
        case Kind::Flag:
            break;
        }
        return false;
    }

    // "size>10k", "status >= 500": the operator is part of the number.
    bool parseComparison(Node &out, const FieldInfo &info, std::string_view ident)
    {
        const std::size_t opStart = m_pos;
        while (!atEnd() && (at('<') || at('>') || at('=')))
            ++m_pos;
        const std::string_view op = m_text.substr(opStart, m_pos - opStart);
        skipSpaces();
        const std::string label = quoted(std::string(ident) + std::string(op));
        if (boundaryAt(m_pos))
            return fail(m_pos, "expected a value after " + label);
        return parseNumber(out, info.kind, m_pos, op, label);
    }

    bool parseNumber(Node &out, Kind kind, std::size_t errorPos, std::string_view op,
                     const std::string &label)
    {
        const std::string_view word = scanWord(false);
        const std::string text = std::string(op) + std::string(word);
        const auto range = parseRange(text, kind);
        if (!range)
            return fail(errorPos, "expected " + numberHint(kind) + " after " + label + ", not "
                                      + quoted(word));
        out.lo = range->lo;
        out.hi = range->hi;
        return true;
    }

    // header:name, header:name=value, header:"name=value", header:name="value", header:name=/re/
    bool parseHeader(Node &out, const std::string &label)
    {
        const std::size_t nameStart = m_pos;
        std::string name;
        if (at('"')) {
            if (!parseQuoted(name, true))
                return false;
        } else {
            while (!boundaryAt(m_pos) && !at('='))
                name += m_text[m_pos++];
        }
        std::string value;
        bool quotedValue = false;
        if (const std::size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            quotedValue = true;
        }
        if (name.empty())
            return fail(nameStart, "expected a header name after " + label);
        out.headerName = asciiLowered(name);
        if (quotedValue) {
            if (at('='))
                return fail(m_pos, "expected a space or ')' after the closing quote");
            out.hasValue = true;
            out.value.lowered = asciiLowered(value);
            return true;
        }
        if (!at('='))
            return true;
        ++m_pos;
        if (boundaryAt(m_pos))
            return fail(m_pos, "expected a value after "
                                   + quoted(label.substr(1, label.size() - 2) + name + "="));
        out.hasValue = true;
        return parseValue(out.value, label);
    }

    // A value: "quoted", /regex/ (or /regex/i), or a word up to the next boundary. `label`
    // names the field for messages; empty for a bare word.
    bool parseValue(Pattern &out, const std::string &label)
    {
        if (at('"')) {
            std::string text;
            if (!parseQuoted(text, false))
                return false;
            out.lowered = asciiLowered(text);
            return true;
        }
        if (at('/')) {
            std::string pattern;
            bool icase = false;
            const std::size_t start = m_pos;
            if (scanRegex(pattern, icase))
                return compileRegex(out, pattern, icase, start);
        }
        const std::size_t start = m_pos;
        const std::string_view word = scanWord(false);
        if (word.empty())
            return fail(start, label.empty() ? "expected an expression"
                                             : "expected a value after " + label);
        out.lowered = asciiLowered(word);
        return true;
    }

    std::string_view scanWord(bool stopAtEquals)
    {
        const std::size_t start = m_pos;
        while (!boundaryAt(m_pos) && !(stopAtEquals && at('=')))
            ++m_pos;
        return m_text.substr(start, m_pos - start);
    }

    // "..." with \" \\ \n \r \t; any other backslash is kept as written. A boundary (or, in a
    // header name, '=') must follow the closing quote.
    bool parseQuoted(std::string &out, bool headerName)
    {
        const std::size_t start = m_pos++;
        for (;;) {
            if (atEnd())
                return fail(start, "unterminated quoted string");
            const char c = m_text[m_pos++];
            if (c == '"')
                break;
            if (c != '\\' || atEnd()) {
                out += c;
                continue;
            }
            const char e = m_text[m_pos++];
            switch (e) {
            case '"':
            case '\\':
                out += e;
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            default:
                out += '\\';
                out += e;
                break;
            }
        }
        if (!boundaryAt(m_pos) && !(headerName && at('=')))
            return fail(m_pos, "expected a space or ')' after the closing quote");
        return true;
    }

    // /pattern/ or /pattern/i followed by a boundary. Anything else (a path like /api/users,
    // /unclosed) is not a regex and leaves the position alone.
    bool scanRegex(std::string &pattern, bool &icase)
    {
        std::size_t p = m_pos + 1;
        bool inClass = false;
        for (; p < m_text.size(); ++p) {
            const char c = m_text[p];
            if (c == '\\') {
                ++p;
            } else if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            } else if (c == '/' && !inClass) {
                break;
            }
        }
        if (p >= m_text.size())
            return false;
        std::size_t end = p + 1;
        icase = false;
        if (end < m_text.size() && (m_text[end] == 'i' || m_text[end] == 'I')) {
            icase = true;
            ++end;
        }
        if (!boundaryAt(end))
            return false;
        pattern = std::string(m_text.substr(m_pos + 1, p - m_pos - 1));
        m_pos = end;
        return true;
    }

    bool compileRegex(Pattern &out, const std::string &pattern, bool icase, std::size_t pos)
    {
        if (pattern.size() > FilterLimits::maxRegexBytes)
            return fail(pos, "regex longer than " + std::to_string(FilterLimits::maxRegexBytes)
                                 + " bytes");
        if (hasHugeNumber(pattern))
            return fail(pos, "bad regex /" + pattern + "/: number too large");
        if (regexCost(pattern) > FilterLimits::maxRegexCost)
            return fail(pos, "regex too complex (large {n,m} repeats)");
        auto flags = std::regex::ECMAScript | std::regex::nosubs;
        if (icase)
            flags |= std::regex::icase;
#if defined(__GLIBCXX__)
        // libstdc++'s Thompson-NFA matcher: time linear in the text, stack bounded by the
        // pattern, where the default backtracking one recurses per character and can take
        // exponential time. It refuses back-references.
        flags |= std::regex_constants::__polynomial;
#endif
        try {
            // Compiled alone first, so that a pattern like "a)|(b" cannot break out of the
            // wrapper that regexSearch relies on.
            const std::regex alone(pattern, flags);
            out.regex = std::make_shared<const std::regex>("[\\s\\S]*(?:" + pattern + ")[\\s\\S]*",
                                                           flags);
        } catch (const std::regex_error &e) {
            return fail(pos, "bad regex /" + pattern + "/: " + regexProblem(e));
        } catch (const std::exception &) {
            return fail(pos, "bad regex /" + pattern + "/: too complex");
        }
        return true;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    int m_depth = 0;
    std::string m_error;
    bool m_readsBodies = false;
};

// ---- evaluation ------------------------------------------------------------------------------

bool hasToken(std::string_view list, std::string_view token)
{
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        if (comma == std::string_view::npos)
            comma = list.size();
        std::string_view item = list.substr(start, comma - start);
        while (!item.empty() && isSpace(item.front()))
            item.remove_prefix(1);
        while (!item.empty() && isSpace(item.back()))
            item.remove_suffix(1);
        if (equalsIgnoreCase(item, token))
            return true;
        start = comma + 1;
    }
    return false;
}

const std::string *findHeader(const flow::HeaderList &headers, std::string_view name)
{
    for (const auto &[n, v] : headers) {
        if (equalsIgnoreCase(n, name))
            return &v;
    }
    return nullptr;
}

// A WebSocket: an HTTP/1.1 upgrade the server accepted (101 naming websocket), or an extended
// CONNECT (RFC 8441, RFC 9220) for the websocket protocol that got a 2xx.
bool isWebSocket(const flow::Flow &f)
{
    if (f.kind != flow::FlowKind::Exchange)
        return false;
    if (f.status == 101) {
        for (const flow::HeaderList *list : {&f.responseHeaders, &f.requestHeaders}) {
            if (const std::string *up = findHeader(*list, "upgrade"))
                return hasToken(*up, "websocket");
        }
        return false;
    }
    if (f.status >= 200 && f.status < 300 && equalsIgnoreCase(f.method, "CONNECT")) {
        const std::string *p = findHeader(f.requestHeaders, ":protocol");
        return p && equalsIgnoreCase(*p, "websocket");
    }
    return false;
}

std::int64_t clampSize(std::uint64_t v)
{
    return v > std::uint64_t(kMaxInt) ? kMaxInt : std::int64_t(v);
}

std::uint64_t bodySize(const std::shared_ptr<flow::Body> &b)
{
    return b ? b->size() : 0;
}

// One flow's evaluation: the URL and decoded bodies are made at most once, when first needed.
class Evaluation
{
public:
    explicit Evaluation(const flow::Flow &f) : m_flow(f) {}

    bool eval(const Node &n)
    {
        switch (n.op) {
        case Node::Op::And:
            return std::all_of(n.children.begin(), n.children.end(),
                               [this](const Node &c) { return eval(c); });
        case Node::Op::Or:
            return std::any_of(n.children.begin(), n.children.end(),
                               [this](const Node &c) { return eval(c); });
        case Node::Op::Not:
            return !eval(n.children.front());
        case Node::Op::Term:
            return term(n);
        }
        return false;
    }

private:
    bool term(const Node &n)
    {
        const flow::Flow &f = m_flow;
        const bool tunnel = f.kind == flow::FlowKind::Tunnel;
        switch (n.field) {
        case Field::Url:
            return test(n.value, url());
        case Field::Host:
            // The host alone (so /^example\.com$/ works), or host:port as the table shows it.
            return test(n.value, f.host) || test(n.value, hostPort());
        case Field::Path:
            return test(n.value, f.path);
        case Field::Method:
            return testExact(n.value, f.method);
        case Field::Scheme:
            return testExact(n.value, f.scheme);
        case Field::Status:
            return inRange(n, f.status);
        case Field::Proto:
            return protocol(n, f.clientProtocol) || protocol(n, f.serverProtocol);
        case Field::Header:
            return header(n, false) || header(n, true);
        case Field::ReqHeader:
            return header(n, false);
        case Field::ResHeader:
            return header(n, true);
        case Field::Body:
            return test(n.value, body(false)) || test(n.value, body(true));
        case Field::ReqBody:
            return test(n.value, body(false));
        case Field::ResBody:
            return test(n.value, body(true));
        case Field::Size:
            // The flows table's Size column: response body, or a tunnel's bytes both ways.
            return inRange(n, tunnel ? clampSize(f.bytesClientToServer + f.bytesServerToClient)
                                     : clampSize(bodySize(f.responseBody)));
        case Field::ReqSize:
            return inRange(n, tunnel ? clampSize(f.bytesClientToServer)
                                     : clampSize(bodySize(f.requestBody)));
        case Field::ResSize:
            return inRange(n, tunnel ? clampSize(f.bytesServerToClient)
                                     : clampSize(bodySize(f.responseBody)));
        case Field::Duration: {
            const std::int64_t d = f.durationMicros();
            return d >= 0 && inRange(n, d);
        }
        case Field::Error:
            if (n.hasValue)
                return test(n.value, f.error);
            return !f.error.empty() || f.state == flow::FlowState::Failed;
        case Field::Tls:
            return (f.clientTls && f.clientTls->used) || (f.serverTls && f.serverTls->used)
                   || equalsIgnoreCase(f.scheme, "https");
        case Field::Intercepted:
            return f.intercepted;
        case Field::Type:
            switch (n.type) {
            case FlowType::Exchange:
                return f.kind == flow::FlowKind::Exchange;
            case FlowType::Tunnel:
                return tunnel;
            case FlowType::WebSocket:
                return isWebSocket(f);
            }
            return false;
        case Field::Pinned:
            return f.marks.pinned;
        case Field::Color:
            return n.hasValue ? f.marks.color == n.color : f.marks.color != flow::MarkColor::None;
        case Field::Comment:
            if (n.hasValue)
                return test(n.value, f.marks.comment);
            return !f.marks.comment.empty();
        }
        return false;
    }

    static bool inRange(const Node &n, std::int64_t v) { return v >= n.lo && v <= n.hi; }

    static bool protocol(const Node &n, const std::string &p)
    {
        if (p.empty())
            return false;
        if (n.value.regex)
            return regexSearch(*n.value.regex, p);
        return std::find(n.protocols.begin(), n.protocols.end(), canonicalProtocol(p))
               != n.protocols.end();
    }

    bool header(const Node &n, bool response) const
    {
        const flow::Flow &f = m_flow;
        for (const flow::HeaderList *list : {response ? &f.responseHeaders : &f.requestHeaders,
                                             response ? &f.responseTrailers : &f.requestTrailers}) {
            for (const auto &[name, value] : *list) {
                if (equalsIgnoreCase(name, n.headerName) && (!n.hasValue || test(n.value, value)))
                    return true;
            }
        }
        return false;
    }

    // "example.com:8080", "[::1]:443": the port always, IPv6 literals in brackets.
    std::string hostPort() const
    {
        const flow::Flow &f = m_flow;
        const bool v6 = f.host.find(':') != std::string::npos;
        return (v6 ? "[" + f.host + "]" : f.host) + ":" + std::to_string(f.port);
    }

    const std::string &url()
    {
        if (!m_url)
            m_url = m_flow.url();
        return *m_url;
    }

    // The body as text: decoded per its Content-Encoding when that works, else as recorded.
    const std::string &body(bool response)
    {
        std::optional<std::string> &cached = response ? m_responseBody : m_requestBody;
        if (cached)
            return *cached;
        cached.emplace();
        const std::shared_ptr<flow::Body> &b = response ? m_flow.responseBody : m_flow.requestBody;
        if (!b)
            return *cached;
        std::string raw = b->read(0, FilterLimits::maxBodyRead);
        std::string encoding;
        for (const auto &[name, value] :
             response ? m_flow.responseHeaders : m_flow.requestHeaders) {
            if (equalsIgnoreCase(name, "content-encoding"))
                encoding += (encoding.empty() ? "" : ", ") + value;
        }
        if (!encoding.empty()) {
            // Searching needs no more than what decodes: a body cut short (by the read cap,
            // the recording budget or a dropped connection) still gives its start.
            auto decoded = codec::decodeContent(
                raw, encoding, {.maxOutput = FilterLimits::maxBodyDecoded, .completeInput = false});
            if (decoded) {
                *cached = std::move(decoded->bytes);
                return *cached;
            }
        }
        if (raw.size() > FilterLimits::maxBodyDecoded)
            raw.resize(FilterLimits::maxBodyDecoded);
        *cached = std::move(raw);
        return *cached;
    }

    const flow::Flow &m_flow;
    std::optional<std::string> m_url;
    std::optional<std::string> m_requestBody;
    std::optional<std::string> m_responseBody;
};

// ---- completion ------------------------------------------------------------------------------

const std::vector<std::string_view> &valuesFor(Field field)
{
    static const std::vector<std::string_view> none;
    static const std::vector<std::string_view> types{"exchange", "tunnel", "websocket"};
    static const std::vector<std::string_view> protocols{"h1",       "h2",     "h3",    "HTTP/1.0",
                                                         "HTTP/1.1", "HTTP/2", "HTTP/3"};
    static const std::vector<std::string_view> methods{
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
    static const std::vector<std::string_view> statuses{"1xx", "2xx", "3xx", "4xx", "5xx"};
    static const std::vector<std::string_view> schemes{"http", "https"};
    static const std::vector<std::string_view> colors{"red",  "orange", "yellow", "green",
                                                      "blue", "purple", "gray",   "none"};
    static const std::vector<std::string_view> headers{"accept",
                                                       "accept-encoding",
                                                       "accept-language",
                                                       "authorization",
                                                       "cache-control",
                                                       "connection",
                                                       "content-encoding",
                                                       "content-length",
                                                       "content-type",
                                                       "cookie",
                                                       "etag",
                                                       "host",
                                                       "if-modified-since",
                                                       "if-none-match",
                                                       "last-modified",
                                                       "location",
                                                       "origin",
                                                       "referer",
                                                       "server",
                                                       "set-cookie",
                                                       "transfer-encoding",
                                                       "upgrade",
                                                       "user-agent",
                                                       "vary"};
    switch (field) {
    case Field::Type:
        return types;
    case Field::Proto:
        return protocols;
    case Field::Method:
        return methods;
    case Field::Status:
        return statuses;
    case Field::Scheme:
        return schemes;
    case Field::Color:
        return colors;
    case Field::Header:
    case Field::ReqHeader:
    case Field::ResHeader:
        return headers;
    default:
        return none;
    }
}

// Whether evaluating `n` looks at a flow's header lists (which the store may have to read back
// from its spill file first): header fields, bodies (their Content-Encoding) and WebSocket
// upgrades.
bool nodeReadsHeaders(const Node &n)
{
    if (n.op != Node::Op::Term)
        return std::any_of(n.children.begin(), n.children.end(),
                           [](const Node &c) { return nodeReadsHeaders(c); });
    switch (n.field) {
    case Field::Header:
    case Field::ReqHeader:
    case Field::ResHeader:
    case Field::Body:
    case Field::ReqBody:
    case Field::ResBody:
        return true;
    case Field::Type:
        return n.type == FlowType::WebSocket;
    default:
        return false;
    }
}

} // namespace

Filter::Filter() = default;

Result<Filter> Filter::parse(std::string_view text)
{
    if (text.size() > FilterLimits::maxExpressionBytes)
        return Error{"filter.syntax", "at " + std::to_string(FilterLimits::maxExpressionBytes)
                                          + ": the filter is longer than "
                                          + std::to_string(FilterLimits::maxExpressionBytes)
                                          + " bytes"};
    auto root = std::make_shared<Node>();
    bool empty = false;
    bool readsBodies = false;
    const Result<void> parsed = Parser(text).run(*root, empty, readsBodies);
    if (!parsed)
        return parsed.error();
    Filter filter;
    filter.m_text = std::string(text);
    filter.m_readsBodies = readsBodies;
    if (!empty) {
        filter.m_readsHeaders = nodeReadsHeaders(*root);
        filter.m_root = std::move(root);
    }
    return filter;
}

bool Filter::matches(const flow::Flow &flow) const
{
    return !m_root || Evaluation(flow).eval(*m_root);
}

std::size_t Filter::completionStart(std::string_view text, std::size_t cursor)
{
    cursor = std::min(cursor, text.size());
    std::size_t start = cursor;
    while (start > 0 && !isSpace(text[start - 1]) && text[start - 1] != '('
           && text[start - 1] != ')')
        --start;
    while (start < cursor && text[start] == '!')
        ++start;
    return start;
}

std::vector<std::string> Filter::completions(std::string_view text, std::size_t cursor)
{
    cursor = std::min(cursor, text.size());
    // Inside a quoted string there is nothing to complete.
    bool inQuote = false;
    for (std::size_t i = 0; i < cursor; ++i) {
        if (text[i] == '\\' && inQuote)
            ++i;
        else if (text[i] == '"')
            inQuote = !inQuote;
    }
    if (inQuote)
        return {};

    const std::size_t start = completionStart(text, cursor);
    const std::string_view word = text.substr(start, cursor - start);
    std::vector<std::string> out;
    if (const std::size_t colon = word.find(':'); colon != std::string_view::npos) {
        const FieldInfo *info = findField(word.substr(0, colon));
        if (!info)
            return {};
        const std::string_view typed = word.substr(colon + 1);
        if (typed.find('=') != std::string_view::npos)
            return {};
        for (const std::string_view v : valuesFor(info->field)) {
            if (startsWithIgnoreCase(v, typed))
                out.push_back(std::string(word.substr(0, colon + 1)) + std::string(v));
        }
        return out;
    }
    for (const FieldInfo &f : kFields) {
        if (f.kind == Kind::Flag || f.kind == Kind::FlagOrText || f.kind == Kind::Color) {
            if (startsWithIgnoreCase(f.name, word))
                out.emplace_back(f.name);
        }
        if (f.kind != Kind::Flag && startsWithIgnoreCase(f.name, word))
            out.push_back(std::string(f.name) + ":");
    }
    for (const std::string_view keyword : {"and", "or", "not"}) {
        if (startsWithIgnoreCase(keyword, word))
            out.emplace_back(keyword);
    }
    return out;
}

} // namespace ts::filter
