#pragma once

#include "core/base/result.h"
#include "core/flow/flow.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <vector>

namespace ts::flow {

class FlowStore;

// HAR 1.2 export and import (http://www.softwareishard.com/blog/har-12-spec/).
//
// Export writes one entry per exchange, in store order, entry by entry, so memory stays bounded
// by one entry plus a body chunk however many flows there are. Tunnels are not HTTP exchanges;
// they go to a custom top-level "_tunnels" array in the log, which HAR tools ignore and
// readHar() reads back. Bodies are written as recorded (still content-coded when the message
// had a Content-Encoding; content then carries "_contentEncoded": true), as UTF-8 text when
// valid, else base64 with "encoding": "base64". Truncated bodies carry "_truncated": true.
//
// writeHar() must run on the store's thread (it reads the store's rows). The file is replaced
// atomically: a failed export leaves any previous file untouched. creatorVersion empty means
// this build's version.
Result<void> writeHar(const FlowStore &store, const QString &path,
                      const QString &creatorVersion = {});

// Reads a HAR file (ours, Chrome/Firefox DevTools' and most others) into Flow records with ids
// 1..N in file order; bodies are created with `budget` (a fresh default budget when null).
// Missing optional fields are tolerated; broken JSON or a missing request URL is an error that
// says where. Decoded response text from browsers (their headers still name the original
// Content-Encoding) is stored with that Content-Encoding header removed, so the headers
// describe the bytes we keep. HTTP/2 pseudo-headers (":authority" ...) are dropped: method and
// URL carry them.
Result<std::vector<Flow>> readHar(const QString &path, std::shared_ptr<BodyBudget> budget);
// The same from bytes already in memory (the fuzz target and tests use this).
Result<std::vector<Flow>> readHarData(const QByteArray &json, std::shared_ptr<BodyBudget> budget);

} // namespace ts::flow
