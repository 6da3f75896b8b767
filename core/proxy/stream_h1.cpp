#include "core/proxy/stream_h1.h"

#include <openssl/sha.h>

#include <random>

namespace ts::proxy {

namespace {

std::string webSocketKey()
{
    static thread_local std::mt19937_64 random{std::random_device{}()};
    unsigned char bytes[16];
    for (unsigned char &b : bytes)
        b = static_cast<unsigned char>(random());
    return http::base64({reinterpret_cast<const char *>(bytes), sizeof bytes});
}

} // namespace

http1::RequestHeadEvent streamRequestHead(const http::Request &request, bool endStream)
{
    http1::RequestHeadEvent event;
    http1::RequestHead &head = event.head;
    const bool webSocket = request.protocol == "websocket";
    head.version = http1::Version::Http11;
    if (request.method == "CONNECT" && request.protocol.empty()) {
        head.method = "CONNECT";
        head.target = request.authority;
    } else {
        head.method = webSocket ? "GET" : request.method;
        head.target = request.scheme + "://" + request.authority + request.path;
    }
    head.headers.push_back({"Host", request.authority});
    // HTTP/2 holds DATA to content-length itself (RFC 9113 §8.1.1); one that is not a number
    // never reaches an HTTP/1.1 origin beside a chunked body.
    std::uint64_t length = 0;
    const bool hasLength = http::findHeader(request.fields, "content-length")
                           && !http::parseContentLength(request.fields, length);
    std::string cookies;
    for (const http::Field &f : request.fields) {
        if (http::equalsIgnoreCase(f.name, "host"))
            continue;
        if (http::equalsIgnoreCase(f.name, "cookie")) {
            cookies += (cookies.empty() ? "" : "; ") + f.value;
            continue;
        }
        if (http::equalsIgnoreCase(f.name, "content-length") && !hasLength)
            continue;
        head.headers.push_back(f);
    }
    if (!cookies.empty())
        head.headers.push_back({"cookie", std::move(cookies)});
    if (webSocket) {
        head.headers.push_back({"Connection", "Upgrade"});
        head.headers.push_back({"Upgrade", "websocket"});
        event.framing = http1::BodyFraming::None;
        return event;
    }
    if (hasLength) {
        event.framing = http1::BodyFraming::ContentLength;
        event.contentLength = length;
        return event;
    }
    event.framing = endStream ? http1::BodyFraming::None : http1::BodyFraming::Chunked;
    return event;
}

http1::RequestHead http1Request(const http::Request &request, bool chunked)
{
    http1::RequestHead head;
    const bool upgrade = !request.protocol.empty();
    const bool webSocket = http::equalsIgnoreCase(request.protocol, "websocket");
    head.method = upgrade ? "GET" : request.method;
    head.target = request.path;
    head.version = http1::Version::Http11;
    head.headers.reserve(request.fields.size() + 4);
    head.headers.push_back({"Host", request.authority});
    std::size_t cookie = std::string::npos;
    for (const http::Field &f : request.fields) {
        if (http::equalsIgnoreCase(f.name, "host"))
            continue;
        if (http::equalsIgnoreCase(f.name, "cookie")) {
            if (cookie != std::string::npos) {
                head.headers[cookie].value += "; " + f.value;
                continue;
            }
            cookie = head.headers.size();
        }
        head.headers.push_back(f);
    }
    if (chunked)
        head.headers.push_back({"Transfer-Encoding", "chunked"});
    if (upgrade) {
        head.headers.push_back({"Connection", "Upgrade"});
        head.headers.push_back({"Upgrade", request.protocol});
    }
    if (webSocket && !http::findHeader(request.fields, "sec-websocket-key")) {
        head.headers.push_back({"Sec-WebSocket-Key", webSocketKey()});
        if (!http::findHeader(request.fields, "sec-websocket-version"))
            head.headers.push_back({"Sec-WebSocket-Version", "13"});
    }
    return head;
}

std::string webSocketAccept(std::string_view key)
{
    const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest);
    return http::base64({reinterpret_cast<const char *>(digest), sizeof digest});
}

http::Response streamResponse(const http1::ResponseHead &head)
{
    return http::Response{head.status, head.reason, head.headers};
}

flow::HeaderList toList(const http1::Headers &headers)
{
    flow::HeaderList out;
    out.reserve(headers.size());
    for (const http1::Header &h : headers)
        out.emplace_back(h.name, h.value);
    return out;
}

flow::HeaderList toList(http1::Headers &&headers)
{
    flow::HeaderList out;
    out.reserve(headers.size());
    for (http1::Header &h : headers)
        out.emplace_back(std::move(h.name), std::move(h.value));
    return out;
}

http1::Headers toHeaders(const flow::HeaderList &list)
{
    http1::Headers out;
    out.reserve(list.size());
    for (const auto &[name, value] : list)
        out.push_back({name, value});
    return out;
}

} // namespace ts::proxy
