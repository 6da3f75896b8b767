#pragma once

#include "core/http/message.h"
#include "core/http1/parser.h"
#include "core/proxy/events.h"

namespace ts::proxy {

// The one translation a session still makes for a request that arrived as stream events
// (an HTTP/2 stream): the HTTP/1.1 head it forwards from, made from the fields, never from
// text. Host comes from :authority; `cookie` crumbs are joined into one line (RFC 9113
// §8.2.3); the body is framed by content-length when the client gave one, else chunked
// unless `endStream` says there is none. An extended CONNECT for websocket (RFC 8441) becomes
// the Upgrade request an HTTP/1.1 origin expects (RFC 6455 §4.1): GET, with a
// Sec-WebSocket-Key of the proxy's own, since the client sent none; the flow records it among
// the fields added on the way to the server.
http1::RequestHeadEvent streamRequestHead(const http::Request &request, bool endStream);

// A final or informational HTTP/1.x head as the version-free response a stream carries:
// the fields as they are (the carrier's translator drops what its version cannot carry).
http::Response streamResponse(const http1::ResponseHead &head);

} // namespace ts::proxy
