#include "core/ws/deflate.h"
#include "core/base/ascii.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace ts::ws {

namespace {

constexpr std::size_t kChunk = 16 * 1024;
constexpr char kTail[] = {'\x00', '\x00', '\xff', '\xff'};

bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Error badExtensions(std::string message)
{
    return Error{"ws.bad-extensions", std::move(message)};
}

class ExtensionReader
{
public:
    explicit ExtensionReader(std::string_view s) : m_s(s) {}

    Result<std::vector<Extension>> read()
    {
        std::vector<Extension> out;
        for (;;) {
            skipSpace();
            if (atEnd())
                break;
            if (peek() == ',') { // empty list elements are allowed (RFC 9110 §5.6.1)
                ++m_i;
                continue;
            }
            Extension e;
            if (!token(e.name))
                return badExtensions(expected("an extension name"));
            e.name = asciiLowered(e.name);
            for (;;) {
                skipSpace();
                if (atEnd() || peek() == ',')
                    break;
                if (peek() != ';')
                    return badExtensions(expected("';' or ','"));
                ++m_i;
                skipSpace();
                ExtensionParam p;
                if (!token(p.name))
                    return badExtensions(expected("a parameter name"));
                p.name = asciiLowered(p.name);
                skipSpace();
                if (!atEnd() && peek() == '=') {
                    ++m_i;
                    skipSpace();
                    std::string v;
                    if (!atEnd() && peek() == '"') {
                        if (!quoted(v))
                            return badExtensions(expected("a closing '\"'"));
                        if (v.empty() || !std::all_of(v.begin(), v.end(), isTchar))
                            return badExtensions("the quoted value of parameter '" + p.name
                                                 + "' is not a token");
                    } else if (!token(v)) {
                        return badExtensions(expected("a parameter value"));
                    }
                    p.value = std::move(v);
                }
                e.params.push_back(std::move(p));
            }
            out.push_back(std::move(e));
        }
        if (out.empty())
            return badExtensions("no extension in Sec-WebSocket-Extensions");
        return out;
    }

private:
    bool atEnd() const { return m_i >= m_s.size(); }
    char peek() const { return m_s[m_i]; }
    void skipSpace()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t'))
            ++m_i;
    }
    bool token(std::string &out)
    {
        const std::size_t start = m_i;
        while (!atEnd() && isTchar(peek()))
            ++m_i;
        out = std::string(m_s.substr(start, m_i - start));
        return m_i > start;
    }
    bool quoted(std::string &out)
    {
        ++m_i; // the opening quote
        while (!atEnd()) {
            const char c = m_s[m_i++];
            if (c == '"')
                return true;
            if (c == '\\') {
                if (atEnd())
                    return false;
                out += m_s[m_i++];
            } else {
                out += c;
            }
        }
        return false;
    }
    std::string expected(std::string_view what) const
    {
        std::string where = atEnd() ? std::string("the end")
                                    : "byte " + std::to_string(m_i) + " ('" + m_s[m_i] + "')";
        return "Sec-WebSocket-Extensions: expected " + std::string(what) + " at " + where;
    }

    std::string_view m_s;
    std::size_t m_i = 0;
};

// "8".."15" without leading zeros (RFC 7692 §7.1.2).
std::optional<int> windowBits(const std::optional<std::string> &v)
{
    if (!v || v->empty() || v->size() > 2 || (*v)[0] == '0')
        return std::nullopt;
    int n = 0;
    for (const char c : *v) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n < 8 || n > 15)
        return std::nullopt;
    return n;
}

constexpr std::string_view kName = "permessage-deflate";

// Reads a permessage-deflate element's parameters; the problem, or empty.
std::string readOffer(const Extension &e, DeflateOffer &o)
{
    std::vector<std::string> seen;
    for (const ExtensionParam &p : e.params) {
        if (std::find(seen.begin(), seen.end(), p.name) != seen.end())
            return "parameter '" + p.name + "' appears twice";
        seen.push_back(p.name);
        if (p.name == "server_no_context_takeover" || p.name == "client_no_context_takeover") {
            if (p.value)
                return "parameter '" + p.name + "' takes no value";
            (p.name[0] == 's' ? o.serverNoContextTakeover : o.clientNoContextTakeover) = true;
        } else if (p.name == "server_max_window_bits") {
            o.serverMaxWindowBits = windowBits(p.value);
            if (!o.serverMaxWindowBits)
                return "server_max_window_bits must be 8 to 15";
        } else if (p.name == "client_max_window_bits") {
            o.clientMaxWindowBits = true;
            if (p.value) {
                o.clientMaxWindowBitsValue = windowBits(p.value);
                if (!o.clientMaxWindowBitsValue)
                    return "client_max_window_bits must be 8 to 15";
            }
        } else {
            return "unknown parameter '" + p.name + "'";
        }
    }
    return {};
}

} // namespace

Result<std::vector<Extension>> parseExtensions(std::string_view value)
{
    return ExtensionReader(value).read();
}

Result<std::vector<DeflateOffer>> parseDeflateOffers(std::string_view offerHeader)
{
    Result<std::vector<Extension>> all = parseExtensions(offerHeader);
    if (!all)
        return all.error();
    std::vector<DeflateOffer> out;
    for (const Extension &e : *all) {
        if (e.name != kName)
            continue;
        DeflateOffer o;
        o.problem = readOffer(e, o);
        out.push_back(std::move(o));
    }
    return out;
}

Result<Negotiated> negotiate(std::string_view offerHeader, std::string_view responseHeader)
{
    Negotiated out;
    if (responseHeader.find_first_not_of(" \t") == std::string_view::npos)
        return out;
    Result<std::vector<Extension>> response = parseExtensions(responseHeader);
    if (!response)
        return response.error();
    std::vector<DeflateOffer> offers;
    if (offerHeader.find_first_not_of(" \t") != std::string_view::npos) {
        Result<std::vector<DeflateOffer>> parsed = parseDeflateOffers(offerHeader);
        if (!parsed)
            return badExtensions("the client's offer: " + parsed.error().message);
        offers = std::move(*parsed);
    }
    for (const Extension &e : *response) {
        if (e.name != kName) {
            out.unknown.push_back(e.name);
            continue;
        }
        if (out.deflate)
            return badExtensions("the server accepted permessage-deflate twice");
        DeflateOffer answer;
        // A server's answer may not carry a bare client_max_window_bits (RFC 7692 §7.1.2.2).
        const std::string problem = readOffer(e, answer);
        if (!problem.empty())
            return badExtensions("the server's permessage-deflate answer: " + problem);
        if (answer.clientMaxWindowBits && !answer.clientMaxWindowBitsValue)
            return badExtensions(
                "the server's permessage-deflate answer: client_max_window_bits needs a value");
        // The answer has to fit one valid element of the offer (RFC 7692 §7.1).
        const bool fits = std::any_of(offers.begin(), offers.end(), [&](const DeflateOffer &o) {
            if (!o.problem.empty())
                return false;
            if (o.serverNoContextTakeover && !answer.serverNoContextTakeover)
                return false;
            if (o.serverMaxWindowBits
                && (!answer.serverMaxWindowBits
                    || *answer.serverMaxWindowBits > *o.serverMaxWindowBits))
                return false;
            return !answer.clientMaxWindowBits || o.clientMaxWindowBits;
        });
        if (!fits)
            return badExtensions(offers.empty() ? std::string("the server accepted "
                                                              "permessage-deflate, which the "
                                                              "client did not offer")
                                                : std::string("the server's permessage-deflate "
                                                              "answer fits none of the client's "
                                                              "offers"));
        DeflateAgreement a;
        a.client.noContextTakeover = answer.clientNoContextTakeover;
        a.client.maxWindowBits = answer.clientMaxWindowBitsValue.value_or(15);
        a.server.noContextTakeover = answer.serverNoContextTakeover;
        a.server.maxWindowBits = answer.serverMaxWindowBits.value_or(15);
        out.deflate = a;
    }
    return out;
}

std::string responseHeader(const DeflateAgreement &a)
{
    std::string out(kName);
    if (a.server.noContextTakeover)
        out += "; server_no_context_takeover";
    if (a.client.noContextTakeover)
        out += "; client_no_context_takeover";
    if (a.server.maxWindowBits != 15)
        out += "; server_max_window_bits=" + std::to_string(a.server.maxWindowBits);
    if (a.client.maxWindowBits != 15)
        out += "; client_max_window_bits=" + std::to_string(a.client.maxWindowBits);
    return out;
}

// --- Inflater

struct Inflater::State
{
    z_stream z{};
    bool ready = false;
    bool ended = false; // the sender ended the deflate stream (BFINAL) within this message
    DeflateParams params;
    std::uint64_t maxOutput = 0;
    std::uint64_t produced = 0;
    std::string buffer = std::string(kChunk, '\0');

    ~State()
    {
        if (ready)
            inflateEnd(&z);
    }

    std::optional<WsError> start()
    {
        if (ready)
            return std::nullopt;
        // Raw deflate, largest window: whatever window the sender used fits.
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
            return WsError{close_code::kInternalError, "cannot start the zlib inflater"};
        ready = true;
        return std::nullopt;
    }

    std::optional<WsError> run(std::string_view in, std::string &out)
    {
        if (std::optional<WsError> e = start())
            return e;
        if (ended)
            return std::nullopt; // bytes after the end of the stream are ignored
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
        std::size_t left = in.size();
        for (;;) {
            const uInt feed = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
            z.avail_in = feed;
            z.next_out = reinterpret_cast<Bytef *>(buffer.data());
            z.avail_out = static_cast<uInt>(buffer.size());
            const int rc = ::inflate(&z, Z_SYNC_FLUSH);
            left -= feed - z.avail_in;
            const std::size_t n = buffer.size() - z.avail_out;
            const std::uint64_t room = maxOutput - produced;
            out.append(buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(n, room)));
            produced += std::min<std::uint64_t>(n, room);
            if (n > room)
                return WsError{close_code::kTooBig, "a compressed message inflates to more than "
                                                        + std::to_string(maxOutput) + " bytes"};
            if (rc == Z_STREAM_END) {
                ended = true;
                return std::nullopt;
            }
            if (rc == Z_DATA_ERROR)
                return WsError{close_code::kInvalidPayload,
                               std::string("corrupt compressed data: ")
                                   + (z.msg ? z.msg : "invalid deflate stream")};
            if (rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
                return WsError{close_code::kInvalidPayload, "corrupt compressed data"};
            if (rc == Z_MEM_ERROR)
                return WsError{close_code::kInternalError, "out of memory in the zlib inflater"};
            // Z_OK or Z_BUF_ERROR: go on while output space was filled or input is left.
            if (z.avail_out != 0 && left == 0)
                return std::nullopt;
        }
    }

    // Ready for the next message: keep the window under context takeover, even across a
    // stream the sender ended (inflateReset would drop it).
    std::optional<WsError> next()
    {
        produced = 0;
        if (params.noContextTakeover) {
            inflateReset(&z);
        } else if (ended) {
            std::string window(std::size_t(1) << MAX_WBITS, '\0');
            uInt size = 0;
            inflateGetDictionary(&z, reinterpret_cast<Bytef *>(window.data()), &size);
            inflateReset(&z);
            if (size > 0
                && inflateSetDictionary(&z, reinterpret_cast<const Bytef *>(window.data()), size)
                       != Z_OK)
                return WsError{close_code::kInternalError, "cannot keep the inflater's window"};
        }
        ended = false;
        return std::nullopt;
    }
};

Inflater::Inflater(DeflateParams params, std::uint64_t maxOutput) : m_state(new State)
{
    m_state->params = params;
    m_state->maxOutput = maxOutput;
}

Inflater::~Inflater() = default;
Inflater::Inflater(Inflater &&) noexcept = default;
Inflater &Inflater::operator=(Inflater &&) noexcept = default;

std::optional<WsError> Inflater::inflate(std::string_view compressed, std::string &out)
{
    return m_state->run(compressed, out);
}

std::optional<WsError> Inflater::finish(std::string &out)
{
    if (std::optional<WsError> e = m_state->run(std::string_view(kTail, 4), out))
        return e;
    return m_state->next();
}

Result<std::string> Inflater::inflateMessage(std::string_view payload)
{
    std::string out;
    std::optional<WsError> e = inflate(payload, out);
    if (!e)
        e = finish(out);
    if (e)
        return Error{e->closeCode == close_code::kTooBig ? "ws.too-big" : "ws.inflate", e->reason};
    return out;
}

std::uint64_t Inflater::messageBytes() const
{
    return m_state->produced;
}

// --- Deflater

struct Deflater::State
{
    z_stream z{};
    bool ready = false;
    DeflateParams params;
    std::string history; // the receiver's window: the last 2^maxWindowBits inflated bytes

    ~State()
    {
        if (ready)
            deflateEnd(&z);
    }

    std::size_t windowSize() const { return std::size_t(1) << params.maxWindowBits; }

    void remember(std::string_view message)
    {
        if (params.noContextTakeover)
            return;
        const std::size_t w = windowSize();
        if (message.size() >= w) {
            history.assign(message.substr(message.size() - w));
        } else {
            history.append(message);
            if (history.size() > w)
                history.erase(0, history.size() - w);
        }
    }
};

Deflater::Deflater(DeflateParams params) : m_state(new State)
{
    m_state->params = params;
    m_state->params.maxWindowBits = std::clamp(params.maxWindowBits, 8, 15);
}

Deflater::~Deflater() = default;
Deflater::Deflater(Deflater &&) noexcept = default;
Deflater &Deflater::operator=(Deflater &&) noexcept = default;

void Deflater::observe(std::string_view inflatedMessage)
{
    m_state->remember(inflatedMessage);
}

Result<std::string> Deflater::compress(std::string_view message)
{
    State &s = *m_state;
    if (!s.ready) {
        // zlib has no 256-byte window for raw deflate. A receiver that agreed to 8 bits gets
        // stored blocks, which refer to nothing, from a 9-bit stream.
        const int bits = std::max(s.params.maxWindowBits, 9);
        const int level = s.params.maxWindowBits == 8 ? 0 : Z_DEFAULT_COMPRESSION;
        if (deflateInit2(&s.z, level, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return Error{"ws.deflate", "cannot start the zlib deflater"};
        s.ready = true;
    } else {
        deflateReset(&s.z);
    }
    // The receiver's window, as a preset dictionary: references into earlier messages.
    if (!s.history.empty()
        && deflateSetDictionary(&s.z, reinterpret_cast<const Bytef *>(s.history.data()),
                                static_cast<uInt>(s.history.size()))
               != Z_OK)
        return Error{"ws.deflate", "cannot set the deflater's window"};
    std::string out;
    std::string buffer(kChunk, '\0');
    s.z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(message.data()));
    std::size_t left = message.size();
    for (;;) {
        const uInt feed = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
        s.z.avail_in = feed;
        s.z.next_out = reinterpret_cast<Bytef *>(buffer.data());
        s.z.avail_out = static_cast<uInt>(buffer.size());
        const int rc = ::deflate(&s.z, Z_SYNC_FLUSH);
        left -= feed - s.z.avail_in;
        out.append(buffer.data(), buffer.size() - s.z.avail_out);
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return Error{"ws.deflate", "zlib's deflater failed"};
        if (s.z.avail_out != 0 && left == 0)
            break;
    }
    // A sync flush ends with an empty stored block, 00 00 ff ff, which RFC 7692 §7.2.1 drops.
    if (out.size() >= 4
        && std::string_view(out).substr(out.size() - 4) == std::string_view(kTail, 4))
        out.resize(out.size() - 4);
    s.remember(message);
    return out;
}

} // namespace ts::ws
