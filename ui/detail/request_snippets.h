#pragma once

#include <QString>

namespace ts::flow {
struct Flow;
}

namespace ts::ui {

struct CodeSnippet
{
    QString text;
    QString note; // what the snippet leaves out (a body that is not text), or empty
};

// An exchange's request as code to paste elsewhere (Copy as ...): method, URL, the headers the
// client sent minus those the library computes (Content-Length, Transfer-Encoding, Connection,
// Proxy-*, Host when the URL says the same, HTTP/2 pseudo-headers), and the body when it is
// text recorded in full. Strings are quoted as JSON strings, which JavaScript and Python both
// read as the same text.
CodeSnippet fetchSnippet(const flow::Flow &flow);          // JavaScript fetch()
CodeSnippet pythonRequestsSnippet(const flow::Flow &flow); // Python requests
CodeSnippet httpieCommand(const flow::Flow &flow);         // HTTPie (http), POSIX shell

} // namespace ts::ui
