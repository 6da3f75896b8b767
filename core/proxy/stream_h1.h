#pragma once

#include "core/http/message.h"
#include "core/http1/parser.h"
#include "core/proxy/events.h"

namespace ts::proxy {

// Translations between version-free messages (core/http/message.h) and HTTP/1.1 heads: the
// HTTP/1.1 client and server sides of an exchange, made from fields, never from text.

// A request that arrived as stream events (an HTTP/2 stream) as the head a session starts its
// exchange from: absolute-form, Host from :authority, the body framed by content-length when
// the client gave one, else chunked unless `endStream` says there is none; an extended CONNECT
// for websocket (RFC 8441) as the Upgrade request it stands for.
http1::RequestHeadEvent streamRequestHead(const http::Request &request, bool endStream);

// The request as it goes to an HTTP/1.1 server: origin-form, Host first, `cookie` lines joined
// into one where the first was (RFC 9113 §8.2.3 for crumbs from HTTP/2), Transfer-Encoding
// when `chunked`. A request with a protocol is an Upgrade to it; for websocket from a client
// that sent no handshake of its own (an HTTP/2 client, RFC 8441) the proxy adds the
// Sec-WebSocket-Key and -Version an HTTP/1.1 origin needs (RFC 6455 §4.1): the flow records
// them among the fields added on the way.
http1::RequestHead http1Request(const http::Request &request, bool chunked);

// A head's fields as a flow records them, and back (trailers kept in a flow).
flow::HeaderList toList(const http1::Headers &headers);
flow::HeaderList toList(http1::Headers &&headers);
http1::Headers toHeaders(const flow::HeaderList &list);

// RFC 6455 §4.2.2: the Sec-WebSocket-Accept an origin answers to `key`.
std::string webSocketAccept(std::string_view key);

// A final or informational HTTP/1.x head as the version-free response a stream carries:
// the fields as they are (the carrier's translator drops what its version cannot carry).
http::Response streamResponse(const http1::ResponseHead &head);

} // namespace ts::proxy
