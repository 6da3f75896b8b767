#pragma once

#include <QString>

#include <cstdint>
#include <string>

namespace ts::flow {
struct Flow;
}

namespace ts::ui {

struct CurlCommand
{
    QString text; // a POSIX shell (bash, zsh) command line
    QString note; // what the command cannot carry (a binary or cut-short body), or empty
};

// A curl command line that repeats an exchange's request: method, URL, headers as the client
// sent them (minus the ones curl computes itself: Content-Length, Transfer-Encoding,
// Connection, Proxy-Connection, Host when the URL says the same) and the body. Every argument
// is quoted for the shell: '...' for plain text, $'...' with escapes for a body with control
// characters. A body a command line cannot hold (a NUL byte, more than `maxInlineBody` bytes)
// becomes --data-binary @body.bin, and the note says to save the body there.
CurlCommand curlCommand(const flow::Flow &flow, std::uint64_t maxInlineBody = 64 * 1024);

// Whether a replay of `flow`'s request repeats this field as the client sent it: not the
// pseudo-header fields, the framing and hop-by-hop ones the client's tool computes itself,
// the client's proxy credentials, nor Host when the URL says the same.
bool repeatedInReplay(const flow::Flow &flow, const std::string &name, const std::string &value);

// 'text' for a POSIX shell: single quotes, with ' written as '\''.
QString shellQuote(const QString &text);

} // namespace ts::ui
