#pragma once

#include "core/base/result.h"
#include "core/engine/engine_config.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>

#include <deque>
#include <map>
#include <memory>

namespace ts::flow {
class FlowStore;
}

namespace ts::engine {

class Engine;

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

// Sends composed requests as a client to a Tunnelscope engine's plain listener: HTTP/1.1 in
// absolute form, or HTTP/2 with prior knowledge (:scheme from the URL). The engine forwards
// them (through its upstream chain, TLS to https origins included) and records each as a flow.
// Every send() uses a connection of its own, so the flow's client address names the request.
class RequestSender final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestSender)

public:
    explicit RequestSender(QObject *parent = nullptr);
    ~RequestSender() override;

    // The engine listener to send to.
    void setProxy(const QString &host, quint16 port);
    // Time allowed for one request, from connecting to the last response byte.
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }

    // Starts one request; `finished` reports it with the returned id.
    int send(const ComposedRequest &request);
    // "Send N times": `count` copies, at most `concurrency` at once. Returns the first id; the
    // others follow it.
    int sendMany(const ComposedRequest &request, int count, int concurrency);
    // Requests started or queued and not finished.
    int pending() const { return int(m_active.size() + m_queue.size()); }
    // Drops every queued and running request without reporting them.
    void cancelAll();

Q_SIGNALS:
    void finished(int id, const ts::engine::ComposedResponse &response);
    // Nothing is running or queued any more.
    void idle();

private:
    class Exchange;
    struct Queued
    {
        int id;
        ComposedRequest request;
    };
    void start(int id, const ComposedRequest &request);
    void onExchangeDone(int id, const ComposedResponse &response);
    void startQueued();

    QString m_host = QStringLiteral("127.0.0.1");
    quint16 m_port = 0;
    int m_timeoutMs = 120'000;
    int m_nextId = 1;
    int m_concurrency = 1; // for the queue of a sendMany
    std::map<int, std::unique_ptr<Exchange>> m_active;
    std::deque<Queued> m_queue;
};

// The composer's own engine: a private Engine on 127.0.0.1:0 with the chain the composer
// chose, publishing to the same FlowStore as the main engine, so composed requests are flows
// like any other. Recreated whenever the chain or the verification setting changes.
class ComposerEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposerEngine)

public:
    explicit ComposerEngine(flow::FlowStore &store, QObject *parent = nullptr);
    ~ComposerEngine() override;

    // Which chain composed requests take.
    enum class ChainChoice {
        Direct,   // none
        ProxyOwn, // the main engine's rules, as they are
        Custom,   // the hops given
    };
    // The config for a choice: `base` (the main engine's) with a loopback listener on port 0,
    // no HTTPS or SOCKS5 listener, and the chosen upstream rules and verification.
    static EngineConfig configFor(const EngineConfig &base, ChainChoice choice,
                                  const upstream::ChainSpec &hops, bool verifyServers);

    // (Re)starts the private engine with `config` (its listener forced to 127.0.0.1:0).
    Result<void> start(EngineConfig config);
    void stop();
    bool running() const;
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    const EngineConfig &config() const { return m_config; }

private:
    flow::FlowStore &m_store;
    EngineConfig m_config;
    std::unique_ptr<Engine> m_engine;
    QString m_host;
    quint16 m_port = 0;
};

} // namespace ts::engine
