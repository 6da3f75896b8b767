#pragma once

#include "core/base/result.h"
#include "core/flow/flow.h"

#include <QString>

#include <vector>

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
// An imported entry's WebSocket messages go back out as Chrome's "_webSocketMessages". The
// user's marks follow the wire data: HAR's own "comment", and "_pinned" and "_color" (a colour
// name), on entries and tunnels.
//
// writeHar() must run on the store's thread (it reads the store's rows). The file is replaced
// atomically: a failed export leaves any previous file untouched. creatorVersion empty means
// this build's version.
Result<void> writeHar(const FlowStore &store, const QString &path,
                      const QString &creatorVersion = {});
// Only the store rows `rows`, in that order (File > Export Selection as HAR).
Result<void> writeHar(const FlowStore &store, const std::vector<std::size_t> &rows,
                      const QString &path, const QString &creatorVersion = {});

// Whether a file can be written at `path` the way writeHar() and session saves write (a new
// file in its directory, renamed over it): the one-line reason when not. Checked before hours
// of capture are meant to end up there.
Result<void> checkWritable(const QString &path);
// A new, empty file in the system's temporary directory ("tunnelscope-XXXXXX" + suffix), kept:
// where a capture goes when its own path fails at the end. Empty when even that fails.
QString fallbackPath(const QString &suffix);

} // namespace ts::flow
