#pragma once

#include "core/http/fields.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

// An HTTP exchange's messages whatever version carries them on either side. Translators turn
// wire bytes into these and back; HTTP/1.1 text is a wire format, never the internal one.
namespace ts::http {

// A stream of a multiplexed connection as the version numbers it (HTTP/3's are 62 bits), or
// the ordinal of an exchange on an HTTP/1.x connection.
using StreamId = std::uint64_t;

struct Request
{
    std::string method;
    std::string scheme;    // "http", "https"; empty for CONNECT
    std::string authority; // host[:port], as the client gave it
    std::string path;      // origin-form path and query; empty for CONNECT
    std::string protocol;  // extended CONNECT (RFC 8441, RFC 9220): "websocket", "connect-udp"
    Fields fields;         // without pseudo-header fields
    bool operator==(const Request &) const = default;
};

struct Response
{
    int status = 0;
    std::string reason; // HTTP/1.x only; h2 and h3 carry none
    Fields fields;      // without pseudo-header fields
    bool operator==(const Response &) const = default;
};

// One step of a message across a hop that carries messages rather than bytes (an HTTP/2 or
// HTTP/3 stream): the head, body bytes, and the end with any trailers. A part with endStream
// set is the whole message.
struct RequestStart
{
    Request request;
    bool endStream = false;
};
struct ResponseStart
{
    Response response; // 1xx: informational, the final head follows
    bool endStream = false;
};
struct Body
{
    std::string data;
};
struct End
{
    Fields trailers;
};
using RequestPart = std::variant<RequestStart, Body, End>;
using ResponsePart = std::variant<ResponseStart, Body, End>;

// The reason phrase RFC 9110 §15 gives a status ("Not Found"), or "" for one it does not name.
std::string_view reasonPhrase(int status);

} // namespace ts::http
