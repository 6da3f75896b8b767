#pragma once

#include "core/base/result.h"
#include "core/upstream/chain.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace ts::engine {

using ComposedHeaders = QList<QPair<QString, QString>>;

// A request made by hand in the composer (or taken from a captured flow to replay).
struct ComposedRequest
{
    QString method = QStringLiteral("GET");
    QString url; // "http://host[:port]/path?query" or https://...; the fragment is dropped
    ComposedHeaders headers;
    QByteArray body;
    bool http2 = false; // HTTP/2 with prior knowledge to the engine, else HTTP/1.1

    bool operator==(const ComposedRequest &) const = default;
};

// Microseconds since send() began; -1 for a phase that did not happen.
struct ComposedTimings
{
    qint64 connect = -1;     // connected to the engine's listener
    qint64 requestSent = -1; // the whole request written
    qint64 firstByte = -1;   // first response byte
    qint64 complete = -1;    // the response read whole (or the failure)
};

// What came back: a response, or an error when there was none (the engine cannot be reached,
// the connection broke, the response could not be parsed, the time ran out). A response the
// engine made itself (502 naming the hop that failed) is a response: fromProxy() tells.
struct ComposedResponse
{
    QString error; // empty: a response arrived
    int status = 0;
    QString reason;
    QString protocol; // "HTTP/1.1" or "HTTP/2", as spoken to the engine
    ComposedHeaders headers;
    QByteArray body;
    ComposedTimings timings;
    QString clientAddress; // our end of the connection, as the flow records it

    bool ok() const { return error.isEmpty(); }
    // The engine answered itself (it could not reach the origin): its answer carries
    // X-Tunnelscope-Error (proxy::kLocalErrorField), and its body says why.
    bool fromProxy() const;
    // The engine's reason for a response it made itself ("upstream hop 2 ... refused"), or
    // empty.
    QString proxyError() const;
};

// Splits "scheme://authority/path?query#fragment" without re-encoding anything, so a replayed
// request carries exactly the bytes it was captured with.
struct SplitUrl
{
    QString scheme;    // lower case: "http" or "https"
    QString host;      // without brackets
    quint16 port = 0;  // the default for the scheme when absent
    QString authority; // as written ("example.com:8080", "[::1]")
    QString path;      // origin-form path and query, "/" at least
};
Result<SplitUrl> splitUrl(const QString &url);

// How the engine carries a composed request: a client connection of its own, with these
// settings instead of the listener's.
struct ComposeOptions
{
    // The chain the request's server connection takes; none: the engine's own rules.
    std::optional<upstream::ChainRules> upstream;
    bool verifyServers = true; // the origin's certificate is checked (https)
    int timeoutMs = 120'000;   // from the start to the last response byte
};

} // namespace ts::engine
