#pragma once

#include "core/base/result.h"
#include "core/flow/flow.h"

#include <QString>

namespace ts::flow {

class FlowStore;

// HAR 1.2 export (http://www.softwareishard.com/blog/har-12-spec/); session::importHar reads it.
//
// Export writes one entry per exchange, in store order, entry by entry, so memory stays bounded
// by one entry plus a body chunk however many flows there are. Tunnels are not HTTP exchanges;
// they go to a custom top-level "_tunnels" array in the log, which HAR tools ignore and
// session::importHar reads back. Bodies are written as recorded (still content-coded when the
// message had a Content-Encoding; content then carries "_contentEncoded": true), as UTF-8 text when
// valid, else base64 with "encoding": "base64". Truncated bodies carry "_truncated": true.
//
// writeHar() must run on the store's thread (it reads the store's rows). The file is replaced
// atomically: a failed export leaves any previous file untouched. creatorVersion empty means
// this build's version.
Result<void> writeHar(const FlowStore &store, const QString &path,
                      const QString &creatorVersion = {});

} // namespace ts::flow
