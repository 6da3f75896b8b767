#pragma once

#include "core/base/result.h"
#include "core/flow/flow.h"

#include <QByteArray>

#include <memory>
#include <vector>

namespace ts::session {

// Reads a HAR 1.2 log (http://www.softwareishard.com/blog/har-12-spec/) into flows: Chrome's and
// Firefox's DevTools exports, and our own (core/flow/har.h), whose "_tls", "_tunnels",
// "_trailers", "_error", "_truncated", "_fromProxy", "_contentEncoded", "_clientAddress",
// "_serverReused", "_serverConnection" and "_upstream" extensions are read back.
//
// Flows get ids 1..N in start order (tunnels from "_tunnels" interleaved by time); an intercepted
// exchange gets as parent the intercepted tunnel of its client connection started before it.
// Flows that carried the same TLS handshake share one TlsSide. HTTP versions are written as our
// flows write them: "h2", "HTTP/2.0" ... become "HTTP/2", "h3" "HTTP/3". HTTP/2 pseudo-headers
// are dropped (method and URL carry them). Browsers store decoded response text while their
// headers still name the Content-Encoding; that header is dropped unless the content says it is
// still encoded ("_contentEncoded", ours), so the headers describe the bytes kept.
//
// Bodies are decoded in chunks into Body objects made with `budget` (a fresh default budget when
// null), so they spill to disk and stop at perBodyRecorded like recorded bodies (the rest is
// counted: truncated()). Beyond the input, memory holds the parsed JSON tree and one chunk.
//
// Broken JSON gives an Error naming line and column; a JSON document that is not a HAR log, or
// an entry without a usable request URL, gives one naming the entry.
Result<std::vector<flow::Flow>> importHar(const QByteArray &json,
                                          std::shared_ptr<flow::BodyBudget> budget);

} // namespace ts::session
