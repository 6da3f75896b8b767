#pragma once

#include "core/base/result.h"
#include "core/flow/flow.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <string>
#include <vector>

class QIODevice;

namespace ts::flow {
class FlowStore;
}

namespace ts::session {

// Everything a session file holds: what was recorded, as it was, plus the composer's history.
struct SessionData
{
    std::vector<flow::Flow> flows; // in store order; ids, parent links and bodies as saved
    std::vector<flow::Connection> connections; // with their frame and stream logs
    QByteArray composerHistory;                // opaque to this module; empty when none was saved
    std::string creator;                       // "Tunnelscope 0.1.0": the build that saved it
    WallMillis savedWall = 0;
};

// Session files (format in core/session/README.md): a versioned header, then length-prefixed
// records each with a CRC-32, bodies streamed in chunks, an end record that counts the rest.
//
// saveSession() replaces `path` atomically and durably: it writes a temporary file in the same
// directory, fsyncs it, renames it over `path` and fsyncs the directory, so a crash or kill at
// any moment leaves either the previous file or the new one, never a mix. It reads the store's
// rows, so it runs on the store's thread; bodies are read chunk by chunk through Body::read, so
// memory stays bounded however large the recorded bodies are.
Result<void> saveSession(const QString &path, const flow::FlowStore &store,
                         const QByteArray &composerHistory = {});
Result<void> saveSession(const QString &path, const SessionData &data);

// Reads a session file. Bodies are created with `budget` (pass the FlowStore's budget when the
// data is to go into that store) and so spill to its disk file past its memory limits. A file
// that is not a session, is damaged or truncated, or was written by a newer format gives an
// Error whose message says which, and where ("damaged at byte N").
Result<SessionData> openSession(const QString &path, std::shared_ptr<flow::BodyBudget> budget);

// The same to and from any device (tests, the fuzz target). writeSession() gives no
// durability: that is saveSession()'s job.
Result<void> writeSession(QIODevice &out, const flow::FlowStore &store,
                          const QByteArray &composerHistory = {});
Result<void> writeSession(QIODevice &out, const SessionData &data);
Result<SessionData> readSession(QIODevice &in, std::shared_ptr<flow::BodyBudget> budget);

// Replaces what `store` holds with the session: clears it, publishes every connection and
// flow and applies them at once (one flowsAdded). `data` should have been opened with
// store.budget(). Returns the composer history, which the caller hands to the composer.
QByteArray loadSession(SessionData data, flow::FlowStore &store);

} // namespace ts::session
