#pragma once

#include "core/base/limits.h"
#include "core/base/result.h"
#include "core/base/utf8.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ts::sse {

// An incremental text/event-stream parser (HTML Living Standard §9.2.6, "Interpreting an
// event stream"), sans-IO, no Qt. The proxy feeds it a response body's bytes as they pass
// (after any Content-Encoding is undone) and records what comes out; the bytes relayed are
// not touched. Results do not depend on how the input is split.
//
// Decoding as the standard says: UTF-8 with each invalid sequence shown as U+FFFD, one
// leading BOM dropped, lines ending in CRLF, LF or CR (a CR at the end of one chunk and an LF
// at the start of the next are one line end).

// A dispatched event: "data" lines joined with \n, the type from "event" ("message" when
// none), and the last event ID as it stood when the event was dispatched.
struct ServerEvent
{
    std::string type = "message";
    std::string data;
    std::string lastEventId;
    bool operator==(const ServerEvent &) const = default;
};

// A "retry" field of ASCII digits: the reconnection time the server asks for.
struct Retry
{
    std::uint64_t milliseconds = 0;
    bool operator==(const Retry &) const = default;
};

// A line starting with ':' (servers send them as keep-alives); the text after the colon.
struct Comment
{
    std::string text;
    bool operator==(const Comment &) const = default;
};

// A limit in SseLimits was passed ("sse.line-too-long", "sse.event-too-big"); nothing
// follows.
struct StreamError
{
    Error error;
};

using Item = std::variant<ServerEvent, Retry, Comment, StreamError>;

class EventStreamParser
{
public:
    explicit EventStreamParser(SseLimits limits = {});

    void feed(std::string_view bytes, std::vector<Item> &out);
    // The stream ended: an event without its closing blank line is dropped, as the standard
    // says, and so is an unfinished line.
    void feedEof(std::vector<Item> &out);

    // The last event ID string (what a reconnecting client sends as Last-Event-ID).
    const std::string &lastEventId() const { return m_lastEventId; }
    bool failed() const { return m_failed; }

private:
    void byte(unsigned char b, std::vector<Item> &out);
    void character(std::string_view utf8, std::vector<Item> &out);
    void line(std::vector<Item> &out);
    void fail(std::string code, std::string message, std::vector<Item> &out);

    SseLimits m_limits;
    Utf8Validator m_utf8;
    std::string m_pending; // bytes of a character still being decoded
    bool m_atStart = true; // no character decoded yet (for the BOM)
    bool m_afterCr = false;
    bool m_failed = false;
    std::string m_line;
    std::string m_data;
    std::string m_type;
    std::string m_idBuffer;
    std::string m_lastEventId;
};

} // namespace ts::sse
