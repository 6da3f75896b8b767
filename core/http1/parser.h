#pragma once

#include "core/base/limits.h"
#include "core/http1/message.h"

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ts::http1 {

// How a message's body is delimited, decided from its head (RFC 9112 §6.3).
enum class BodyFraming { None, ContentLength, Chunked, UntilClose };

// --- Events a parser emits. Data views point into the input of the feed() call that produced
// them and are valid only until the next call.
struct RequestHeadEvent
{
    RequestHead head;
    BodyFraming framing = BodyFraming::None;
    std::uint64_t contentLength = 0; // when framing == ContentLength
    bool keepAlive = true;
    bool expectContinue = false; // "Expect: 100-continue"
    std::size_t wireSize = 0;    // bytes of the head on the wire
};
struct ResponseHeadEvent
{
    ResponseHead head;
    BodyFraming framing = BodyFraming::None;
    std::uint64_t contentLength = 0;
    bool keepAlive = true;
    bool informational = false; // 1xx other than 101: another head follows
    std::size_t wireSize = 0;
};
struct BodyData
{
    std::string_view data; // decoded body bytes (chunk framing removed)
};
struct TrailersEvent
{
    Headers trailers;
};
// The message is complete. For a request answered later by a 101 or a CONNECT 2xx the caller
// takes over the byte stream from here (see ResponseParser::upgraded()).
struct MessageEnd
{
    std::size_t wireSize = 0; // bytes of the whole message on the wire, head included
};
// The input cannot be parsed; the parser is dead from here on. For requests, `status` is the
// answer to send (400, 414, 431; 501 for an unknown transfer coding) and `reason` is a short
// sentence for the plain-text body.
struct ParseError
{
    int status = 400;
    std::string reason;
};

using RequestEvent
    = std::variant<RequestHeadEvent, BodyData, TrailersEvent, MessageEnd, ParseError>;
using ResponseEvent
    = std::variant<ResponseHeadEvent, BodyData, TrailersEvent, MessageEnd, ParseError>;

// Strict, incremental HTTP/1.1 request parser (RFC 9112), sans-IO. feed() consumes input and
// appends events; it stops right after a MessageEnd (so pipelined requests are handled one at
// a time) and returns how many bytes it consumed. The caller keeps the rest and feeds it again
// when it is ready for the next request. The events and consumed counts are the same however
// the input is split across calls.
class RequestParser
{
public:
    explicit RequestParser(Http1Limits limits = {});

    std::size_t feed(std::string_view input, std::vector<RequestEvent> &out);
    // The client closed its side. Mid-message this yields a ParseError (incomplete request);
    // between messages nothing.
    void feedEof(std::vector<RequestEvent> &out);

    bool failed() const;
    bool idle() const; // between messages, nothing partial buffered

private:
    friend struct ParserCore; // the state machine both parsers share (parser.cpp)
    Http1Limits m_limits;
    int m_state = 0;
    std::string m_line;             // partial line, never longer than the limit for that line
    std::uint64_t m_remaining = 0;  // body or chunk-data bytes still to come
    std::size_t m_wire = 0;         // bytes of the current message so far
    std::size_t m_sectionBytes = 0; // complete lines of the header or trailer section so far
    RequestHeadEvent m_head;
    Headers m_trailers;
};

// Strict, incremental HTTP/1.1 response parser. A response's framing depends on its request,
// so the caller announces each request method in order with expectResponseTo() (pipelining).
// Bodyless: responses to HEAD, 1xx, 204, 304, and 2xx to CONNECT. 1xx heads (other than 101)
// are reported with informational = true and parsing goes on with the next head. After a 101
// or a 2xx to CONNECT, upgraded() is true and feed() consumes nothing more: the rest of the
// stream is the tunnel's.
class ResponseParser
{
public:
    explicit ResponseParser(Http1Limits limits = {});

    void expectResponseTo(std::string_view method);
    std::size_t feed(std::string_view input, std::vector<ResponseEvent> &out);
    // The server closed. Completes a close-delimited body (MessageEnd); mid-message otherwise
    // a ParseError ("connection closed before the response was complete").
    void feedEof(std::vector<ResponseEvent> &out);

    bool failed() const;
    bool upgraded() const;
    bool idle() const;

private:
    friend struct ParserCore;
    Http1Limits m_limits;
    std::deque<std::string> m_methods; // requests still to be answered, oldest first
    int m_state = 0;
    std::string m_line;
    std::uint64_t m_remaining = 0;
    std::size_t m_wire = 0;
    std::size_t m_sectionBytes = 0;
    ResponseHeadEvent m_head;
    Headers m_trailers;
    bool m_upgraded = false;
    bool m_interim = false; // a 1xx head was seen; the final head is still to come
};

} // namespace ts::http1
