#include "core/http1/parser.h"
#include "core/http1/syntax.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

// Both parsers run the same state machine (ParserCore below); the request and response sides
// differ only in their start line, in how the head decides the framing, in line-ending leniency
// and in the status they report. README.md beside this file has the state and rule tables.

namespace ts::http1 {

namespace {

enum State : int {
    StartLine = 0,  // request/status line; empty lines before it are skipped
    HeaderLines,    // field lines up to the blank line
    FixedBody,      // m_remaining bytes of a Content-Length body
    ChunkSizeLine,  // chunk-size [chunk-ext] CRLF
    ChunkData,      // m_remaining bytes of chunk data
    ChunkDataCr,    // the CRLF after chunk data
    ChunkDataLf,    //
    TrailerLines,   // trailer field lines up to the blank line
    CloseDelimited, // response body up to EOF
    Failed,         // after a ParseError: consumes nothing
    Upgraded,       // after a 101 or a CONNECT 2xx: the stream is not HTTP any more
};

enum class Step { Continue, Stop };

// Character classes (RFC 9110 §5.6.2 tchar, §5.5 field-vchar, RFC 9112 §3.2 target bytes).
enum CharClass : std::uint8_t { Tchar = 1, FieldChar = 2, TargetChar = 4, HexDigit = 8 };

constexpr std::array<std::uint8_t, 256> kCharClass = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        std::uint8_t bits = 0;
        const bool alnum
            = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum
            || (c != 0
                && std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos))
            bits |= Tchar;
        if (c == '\t' || (c >= 0x20 && c != 0x7f))
            bits |= FieldChar; // HTAB, SP, VCHAR, obs-text
        if (c > 0x20 && c != 0x7f)
            bits |= TargetChar; // no whitespace, no CTL; obs-text passes (real clients send it)
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            bits |= HexDigit;
        t[static_cast<std::size_t>(c)] = bits;
    }
    return t;
}();

bool is(char c, CharClass cls)
{
    return (kCharClass[static_cast<unsigned char>(c)] & cls) != 0;
}

bool allOf(std::string_view s, CharClass cls)
{
    for (const char c : s) {
        if (!is(c, cls))
            return false;
    }
    return true;
}

bool isToken(std::string_view s)
{
    return !s.empty() && allOf(s, Tchar);
}

using syntax::isOws;
using syntax::trimOws;

bool parseVersion(std::string_view text, Version &version)
{
    if (text == "HTTP/1.1")
        version = Version::Http11;
    else if (text == "HTTP/1.0")
        version = Version::Http10;
    else
        return false;
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

// Calls f(element) for each element of the comma-separated values of every field `name`;
// empty elements are skipped (RFC 9110 §5.6.1.2). Stops when f returns false.
template<typename F>
bool forEachListElement(const Headers &headers, std::string_view name, F &&f)
{
    for (const Header &h : headers) {
        if (!equalsIgnoreCase(h.name, name))
            continue;
        std::string_view value = h.value;
        while (true) {
            const std::size_t comma = value.find(',');
            const std::string_view element = trimOws(value.substr(0, comma));
            if (!f(element))
                return false;
            if (comma == std::string_view::npos)
                break;
            value.remove_prefix(comma + 1);
        }
    }
    return true;
}

bool hasField(const Headers &headers, std::string_view name)
{
    return findHeader(headers, name) != nullptr;
}

// Transfer-Encoding, all field lines taken as one list.
struct TransferCodings
{
    bool valid = true;
    bool chunkedLast = false;
    int chunkedCount = 0;
    bool otherCodings = false;
};

TransferCodings analyseTransferEncoding(const Headers &headers)
{
    TransferCodings tc;
    int count = 0;
    forEachListElement(headers, "Transfer-Encoding", [&](std::string_view element) {
        if (element.empty())
            return true;
        const std::size_t semicolon = element.find(';');
        const std::string_view name = trimOws(element.substr(0, semicolon));
        const bool chunked = equalsIgnoreCase(name, "chunked");
        if (!isToken(name) || (chunked && semicolon != std::string_view::npos))
            tc.valid = false; // chunked takes no parameters
        tc.chunkedCount += chunked ? 1 : 0;
        tc.otherCodings |= !chunked;
        tc.chunkedLast = chunked;
        ++count;
        return tc.valid;
    });
    if (count == 0)
        tc.valid = false;
    return tc;
}

// chunk-size [ chunk-ext ] per RFC 9112 §7.1.1, strictly: no whitespace except the BWS
// around ";" and "=", extension values are tokens or quoted strings.
bool parseChunkSizeLine(std::string_view line, std::uint64_t &size)
{
    std::size_t i = 0;
    size = 0;
    while (i < line.size() && is(line[i], HexDigit)) {
        if (size > (std::numeric_limits<std::uint64_t>::max() >> 4))
            return false;
        size = (size << 4) | static_cast<std::uint64_t>(hexValue(line[i]));
        ++i;
    }
    if (i == 0)
        return false;
    auto skipBws = [&] {
        while (i < line.size() && isOws(line[i]))
            ++i;
    };
    auto token = [&] {
        const std::size_t start = i;
        while (i < line.size() && is(line[i], Tchar))
            ++i;
        return i > start;
    };
    auto quotedString = [&] {
        ++i; // DQUOTE
        while (i < line.size()) {
            const char c = line[i++];
            if (c == '"')
                return true;
            if (c == '\\') {
                if (i == line.size() || !is(line[i], FieldChar))
                    return false;
                ++i;
            } else if (!is(c, FieldChar)) {
                return false;
            }
        }
        return false;
    };
    while (i < line.size()) {
        skipBws();
        if (i == line.size() || line[i] != ';')
            return false;
        ++i;
        skipBws();
        if (!token())
            return false;
        const std::size_t afterName = i;
        skipBws();
        if (i < line.size() && line[i] == '=') {
            ++i;
            skipBws();
            if ((i < line.size() && line[i] == '"') ? !quotedString() : !token())
                return false;
        } else {
            i = afterName; // whitespace only belongs before a ";" or "="
            if (i < line.size() && line[i] != ';' && !isOws(line[i]))
                return false;
        }
    }
    return true;
}

} // namespace

// The shared incremental machine. Bytes flow through feed(); complete lines go to onLine(),
// which dispatches on the state; the side-specific parts are the overloads taking a
// RequestParser or a ResponseParser.
struct ParserCore
{
    // ---- side-specific hooks ------------------------------------------------------------

    static bool acceptsBareLf(const RequestParser &) { return false; }
    static bool acceptsBareLf(const ResponseParser &) { return true; }
    // Responses: RFC 9112 §5.2 lets a user agent replace obs-fold with SP; we do.
    static bool acceptsObsFold(const RequestParser &) { return false; }
    static bool acceptsObsFold(const ResponseParser &) { return true; }
    // Requests report the status to answer with; for responses a bad upstream is a 502.
    static int errorStatus(const RequestParser &, int status) { return status; }
    static int errorStatus(const ResponseParser &, int) { return 502; }
    static const char *startLineTooLong(const RequestParser &) { return "request line too long"; }
    static const char *startLineTooLong(const ResponseParser &) { return "status line too long"; }
    static bool midMessage(const RequestParser &p)
    {
        return !(p.m_state == StartLine && p.m_line.empty());
    }
    static bool midMessage(const ResponseParser &p)
    {
        return !(p.m_state == StartLine && p.m_line.empty() && !p.m_interim);
    }

    template<typename P, typename Out>
    static Step fail(P &p, Out &out, int status, const char *reason)
    {
        out.emplace_back(ParseError{errorStatus(p, status), reason});
        p.m_state = Failed;
        p.m_line = std::string();
        p.m_head = {};
        p.m_trailers = Headers();
        return Step::Stop;
    }

    template<typename P, typename Out>
    static Step endMessage(P &p, Out &out)
    {
        out.emplace_back(MessageEnd{p.m_wire});
        p.m_state = StartLine;
        p.m_wire = 0;
        p.m_sectionBytes = 0;
        p.m_remaining = 0;
        return Step::Stop;
    }

    // Emits the head and moves to the state its framing asks for.
    template<typename P, typename Out>
    static Step startBody(P &p, Out &out)
    {
        const BodyFraming framing = p.m_head.framing;
        const std::uint64_t length = p.m_head.contentLength;
        p.m_head.wireSize = p.m_wire;
        out.emplace_back(std::move(p.m_head));
        p.m_head = {};
        p.m_sectionBytes = 0;
        switch (framing) {
        case BodyFraming::None:
            return endMessage(p, out);
        case BodyFraming::ContentLength:
            if (length == 0)
                return endMessage(p, out);
            p.m_remaining = length;
            p.m_state = FixedBody;
            break;
        case BodyFraming::Chunked:
            p.m_state = ChunkSizeLine;
            break;
        case BodyFraming::UntilClose:
            p.m_state = CloseDelimited;
            break;
        }
        return Step::Continue;
    }

    // ---- request side ----------------------------------------------------------------------

    // request-line = method SP request-target SP HTTP-version, single spaces only.
    template<typename Out>
    static bool parseStartLine(RequestParser &p, std::string_view line, Out &out)
    {
        const std::size_t sp1 = line.find(' ');
        const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos
            || sp1 == 0) {
            fail(p, out, 400, "malformed request line");
            return false;
        }
        const std::string_view method = line.substr(0, sp1);
        const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string_view version = line.substr(sp2 + 1);
        if (!isToken(method)) {
            fail(p, out, 400, "invalid method");
            return false;
        }
        if (target.empty()) {
            fail(p, out, 400, "empty request target");
            return false;
        }
        if (!allOf(target, TargetChar)) {
            fail(p, out, 400, "invalid character in request target");
            return false;
        }
        RequestHead &head = p.m_head.head;
        if (!parseVersion(version, head.version)) {
            fail(p, out, 400, "unsupported HTTP version");
            return false;
        }
        head.method.assign(method);
        head.target.assign(target);
        head.headers.reserve(16);
        return true;
    }

    template<typename Out>
    static Step headComplete(RequestParser &p, Out &out)
    {
        RequestHeadEvent &ev = p.m_head;
        const Headers &headers = ev.head.headers;
        const bool http11 = ev.head.version == Version::Http11;
        int hosts = 0;
        for (const Header &h : headers)
            hosts += equalsIgnoreCase(h.name, "Host") ? 1 : 0;
        if (hosts > 1)
            return fail(p, out, 400, "repeated Host header");
        if (hosts == 0 && http11)
            return fail(p, out, 400, "missing Host header");

        const bool hasTe = hasField(headers, "Transfer-Encoding");
        const bool hasCl = hasField(headers, "Content-Length");
        if (hasTe) {
            if (!http11)
                return fail(p, out, 400, "Transfer-Encoding in an HTTP/1.0 request");
            if (hasCl)
                return fail(p, out, 400, "both Content-Length and Transfer-Encoding");
            const TransferCodings tc = analyseTransferEncoding(headers);
            if (!tc.valid)
                return fail(p, out, 400, "invalid Transfer-Encoding");
            if (!tc.chunkedLast)
                return fail(p, out, 400, "Transfer-Encoding does not end in chunked");
            if (tc.chunkedCount > 1)
                return fail(p, out, 400, "chunked applied more than once");
            if (tc.otherCodings)
                return fail(p, out, 501, "unsupported transfer coding");
            ev.framing = BodyFraming::Chunked;
        } else if (hasCl) {
            if (const char *error = http::parseContentLength(headers, ev.contentLength))
                return fail(p, out, 400, error);
            ev.framing = BodyFraming::ContentLength;
        } else {
            ev.framing = BodyFraming::None;
        }
        ev.keepAlive = wantsKeepAlive(ev.head.version, headers);
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        ev.expectContinue = http11 && headerHasToken(headers, "Expect", "100-continue");
        return startBody(p, out);
    }

    // ---- response side ---------------------------------------------------------------------

    // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]; the second SP may be missing.
    template<typename Out>
    static bool parseStartLine(ResponseParser &p, std::string_view line, Out &out)
    {
        ResponseHead &head = p.m_head.head;
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos) {
            fail(p, out, 502, "malformed status line");
            return false;
        }
        if (!parseVersion(line.substr(0, sp), head.version)) {
            fail(p, out, 502,
                 line.starts_with("HTTP/") ? "unsupported HTTP version" : "malformed status line");
            return false;
        }
        const std::string_view rest = line.substr(sp + 1);
        if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')
            || !std::all_of(rest.begin(), rest.begin() + 3,
                            [](char c) { return c >= '0' && c <= '9'; })) {
            fail(p, out, 502, "invalid status code");
            return false;
        }
        head.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
        if (head.status < 100 || head.status > 599) {
            fail(p, out, 502, "invalid status code");
            return false;
        }
        const std::string_view reason = rest.size() > 3 ? rest.substr(4) : std::string_view();
        if (!allOf(reason, FieldChar)) {
            fail(p, out, 502, "invalid character in reason phrase");
            return false;
        }
        if (p.m_methods.empty()) {
            fail(p, out, 502, "response without a request");
            return false;
        }
        head.reason.assign(reason);
        head.headers.reserve(16);
        return true;
    }

    template<typename Out>
    static Step headComplete(ResponseParser &p, Out &out)
    {
        ResponseHeadEvent &ev = p.m_head;
        const Headers &headers = ev.head.headers;
        const int status = ev.head.status;
        ev.keepAlive = wantsKeepAlive(ev.head.version, headers);
        ev.framing = BodyFraming::None;

        if (status == 101) {
            p.m_methods.pop_front();
            p.m_interim = false;
            p.m_upgraded = true;
            startBody(p, out);
            p.m_state = Upgraded;
            return Step::Stop;
        }
        if (status < 200) {
            // Interim response: report it and read the next head for the same request.
            ev.informational = true;
            ev.wireSize = p.m_wire;
            out.emplace_back(std::move(ev));
            p.m_head = {};
            p.m_interim = true;
            p.m_state = StartLine;
            p.m_wire = 0;
            p.m_sectionBytes = 0;
            return Step::Continue;
        }

        const std::string method = std::move(p.m_methods.front());
        p.m_methods.pop_front();
        p.m_interim = false;
        const bool connected = method == "CONNECT" && status < 300;
        // RFC 9112 §6.3 rules 1 and 2: no body whatever the header fields say (and RFC 9110
        // §9.3.6 tells a client to ignore CL/TE in a CONNECT 2xx).
        if (method == "HEAD" || status == 204 || status == 304 || connected) {
            if (connected) {
                p.m_upgraded = true;
                startBody(p, out);
                p.m_state = Upgraded;
                return Step::Stop;
            }
            return startBody(p, out);
        }

        const bool hasTe = hasField(headers, "Transfer-Encoding");
        const bool hasCl = hasField(headers, "Content-Length");
        if (hasTe) {
            if (hasCl)
                return fail(p, out, 502, "both Content-Length and Transfer-Encoding");
            const TransferCodings tc = analyseTransferEncoding(headers);
            if (!tc.valid)
                return fail(p, out, 502, "invalid Transfer-Encoding");
            if (tc.chunkedCount > 1)
                return fail(p, out, 502, "chunked applied more than once");
            // Rule 4: chunked last means chunked; otherwise the body runs until close.
            ev.framing = tc.chunkedLast ? BodyFraming::Chunked : BodyFraming::UntilClose;
            // RFC 9112 §6.1: TE in an HTTP/1.0 message means the framing cannot be trusted.
            if (ev.head.version == Version::Http10)
                ev.keepAlive = false;
        } else if (hasCl) {
            if (const char *error = http::parseContentLength(headers, ev.contentLength))
                return fail(p, out, 502, error);
            ev.framing = BodyFraming::ContentLength;
        } else {
            ev.framing = BodyFraming::UntilClose;
        }
        if (ev.framing == BodyFraming::UntilClose)
            ev.keepAlive = false;
        return startBody(p, out);
    }

    // ---- shared ------------------------------------------------------------------------------

    // A header or trailer field line (content without its line ending).
    template<typename P, typename Out>
    static bool addField(P &p, Headers &fields, std::string_view line, Out &out,
                         const char *tooMany)
    {
        if (isOws(line.front())) {
            if (fields.empty()) {
                fail(p, out, 400, "whitespace before the first header field");
                return false;
            }
            if (!acceptsObsFold(p)) {
                fail(p, out, 400, "obsolete line folding");
                return false;
            }
            const std::string_view more = trimOws(line);
            if (!allOf(more, FieldChar)) {
                fail(p, out, 400, "invalid character in header field value");
                return false;
            }
            std::string &value = fields.back().value;
            if (!more.empty()) {
                if (!value.empty())
                    value.push_back(' ');
                value.append(more);
            }
            return true;
        }
        if (fields.size() >= p.m_limits.maxHeaderCount) {
            fail(p, out, 431, tooMany);
            return false;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            fail(p, out, 400, "missing colon in header field");
            return false;
        }
        const std::string_view name = line.substr(0, colon);
        if (!name.empty() && isOws(name.back())) {
            fail(p, out, 400, "whitespace before colon");
            return false;
        }
        if (!isToken(name)) {
            fail(p, out, 400, "invalid header field name");
            return false;
        }
        const std::string_view value = trimOws(line.substr(colon + 1));
        if (!allOf(value, FieldChar)) {
            fail(p, out, 400, "invalid character in header field value");
            return false;
        }
        fields.push_back(Header{std::string(name), std::string(value)});
        return true;
    }

    // A complete line, terminator included.
    template<typename P, typename Out>
    static Step onLine(P &p, std::string_view raw, Out &out)
    {
        std::string_view line = raw.substr(0, raw.size() - 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        else if (!acceptsBareLf(p))
            return fail(p, out, 400, "line ending without CR");
        if (line.find('\r') != std::string_view::npos)
            return fail(p, out, 400, "bare CR");

        switch (p.m_state) {
        case StartLine:
            if (line.empty()) { // RFC 9112 §2.2: ignore empty lines before a start line
                p.m_wire = 0;
                p.m_sectionBytes = 0;
                return Step::Continue;
            }
            if (!parseStartLine(p, line, out))
                return Step::Stop;
            p.m_state = HeaderLines;
            return Step::Continue;
        case HeaderLines:
            if (line.empty())
                return headComplete(p, out);
            return addField(p, p.m_head.head.headers, line, out, "too many header fields")
                       ? Step::Continue
                       : Step::Stop;
        case ChunkSizeLine: {
            std::uint64_t size = 0;
            if (!parseChunkSizeLine(line, size))
                return fail(p, out, 400, "invalid chunk size line");
            if (size == 0) {
                p.m_state = TrailerLines;
                p.m_sectionBytes = 0;
            } else {
                p.m_remaining = size;
                p.m_state = ChunkData;
            }
            return Step::Continue;
        }
        case TrailerLines:
            if (line.empty()) {
                if (!p.m_trailers.empty())
                    out.emplace_back(TrailersEvent{std::move(p.m_trailers)});
                p.m_trailers = Headers();
                return endMessage(p, out);
            }
            return addField(p, p.m_trailers, line, out, "too many trailer fields") ? Step::Continue
                                                                                   : Step::Stop;
        default:
            return Step::Stop; // unreachable: only line states read lines
        }
    }

    struct LineLimit
    {
        std::size_t bytes; // the line may have this many bytes, terminator included
        int status;
        const char *reason;
    };

    template<typename P>
    static LineLimit lineLimit(const P &p)
    {
        const Http1Limits &l = p.m_limits;
        switch (p.m_state) {
        case StartLine: {
            const std::size_t section = l.maxHeaderBytes - p.m_sectionBytes;
            if (l.maxStartLine < section)
                return {l.maxStartLine, 414, startLineTooLong(p)};
            return {section, 431, "header section too long"};
        }
        case HeaderLines:
            return {l.maxHeaderBytes - p.m_sectionBytes, 431, "header section too long"};
        case ChunkSizeLine:
            return {l.maxChunkLineBytes, 400, "chunk size line too long"};
        default:
            return {l.maxTrailerBytes - p.m_sectionBytes, 431, "trailer section too long"};
        }
    }

    template<typename P, typename Out>
    static std::size_t feed(P &p, std::string_view in, Out &out)
    {
        std::size_t pos = 0;
        while (pos < in.size()) {
            switch (p.m_state) {
            case Failed:
            case Upgraded:
                return pos;
            case FixedBody:
            case ChunkData:
            case CloseDelimited: {
                const std::size_t avail = in.size() - pos;
                const std::size_t n = p.m_state == CloseDelimited || p.m_remaining >= avail
                                          ? avail
                                          : static_cast<std::size_t>(p.m_remaining);
                out.emplace_back(BodyData{in.substr(pos, n)});
                pos += n;
                p.m_wire += n;
                if (p.m_state == CloseDelimited)
                    break;
                p.m_remaining -= n;
                if (p.m_remaining == 0) {
                    if (p.m_state == FixedBody) {
                        endMessage(p, out);
                        return pos;
                    }
                    p.m_state = ChunkDataCr;
                }
                break;
            }
            case ChunkDataCr:
            case ChunkDataLf: {
                const char c = in[pos++];
                ++p.m_wire;
                if (p.m_state == ChunkDataCr && c == '\r') {
                    p.m_state = ChunkDataLf;
                } else if (c == '\n' && (p.m_state == ChunkDataLf || acceptsBareLf(p))) {
                    p.m_state = ChunkSizeLine;
                } else {
                    fail(p, out, 400, "missing CRLF after chunk data");
                    return pos;
                }
                break;
            }
            default: {
                // A line state. Scan only as far as the line may reach: bytes past the limit
                // are never buffered, so memory stays bounded without a line ending.
                const LineLimit limit = lineLimit(p);
                const std::size_t buffered = p.m_line.size(); // <= limit.bytes
                const std::size_t room = limit.bytes - buffered;
                const std::size_t avail = in.size() - pos;
                const std::size_t scan = std::min(avail, room);
                const char *start = in.data() + pos;
                const char *lf
                    = scan ? static_cast<const char *>(std::memchr(start, '\n', scan)) : nullptr;
                if (!lf) {
                    if (avail > room) {
                        fail(p, out, limit.status, limit.reason);
                        return pos + room + 1; // through the first byte over the limit
                    }
                    p.m_line.append(start, avail);
                    p.m_wire += avail;
                    return in.size();
                }
                const std::size_t n = static_cast<std::size_t>(lf - start) + 1;
                pos += n;
                p.m_wire += n;
                std::string_view raw(start, n);
                if (buffered != 0) {
                    p.m_line.append(start, n);
                    raw = p.m_line;
                }
                p.m_sectionBytes += raw.size();
                const Step step = onLine(p, raw, out);
                if (p.m_line.capacity() > 4096)
                    p.m_line = std::string(); // a rare long split line: don't keep its buffer
                else
                    p.m_line.clear();
                if (step == Step::Stop)
                    return pos;
                break;
            }
            }
        }
        return pos;
    }
};

// ---- RequestParser ------------------------------------------------------------------------

RequestParser::RequestParser(Http1Limits limits) : m_limits(limits)
{}

std::size_t RequestParser::feed(std::string_view input, std::vector<RequestEvent> &out)
{
    return ParserCore::feed(*this, input, out);
}

void RequestParser::feedEof(std::vector<RequestEvent> &out)
{
    if (m_state != Failed && ParserCore::midMessage(*this))
        ParserCore::fail(*this, out, 400, "connection closed before the request was complete");
}

bool RequestParser::failed() const
{
    return m_state == Failed;
}

bool RequestParser::idle() const
{
    return !ParserCore::midMessage(*this);
}

// ---- ResponseParser -----------------------------------------------------------------------

ResponseParser::ResponseParser(Http1Limits limits) : m_limits(limits)
{}

void ResponseParser::expectResponseTo(std::string_view method)
{
    m_methods.emplace_back(method);
}

std::size_t ResponseParser::feed(std::string_view input, std::vector<ResponseEvent> &out)
{
    return ParserCore::feed(*this, input, out);
}

void ResponseParser::feedEof(std::vector<ResponseEvent> &out)
{
    if (m_state == Failed || m_state == Upgraded)
        return;
    if (m_state == CloseDelimited)
        ParserCore::endMessage(*this, out);
    else if (ParserCore::midMessage(*this))
        ParserCore::fail(*this, out, 502, "connection closed before the response was complete");
}

bool ResponseParser::failed() const
{
    return m_state == Failed;
}

bool ResponseParser::upgraded() const
{
    return m_upgraded;
}

bool ResponseParser::idle() const
{
    return !m_upgraded && !ParserCore::midMessage(*this);
}

} // namespace ts::http1
