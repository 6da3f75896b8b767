#pragma once

#include "core/engine/composed.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>

#include <deque>
#include <set>

namespace ts::engine {

class Engine;

// Sends composed requests through a running Engine (Engine::send): each is a client
// connection of its own inside the engine, recorded as an ordinary flow, so the window never
// opens a socket. Keeps the queue of a "send N times" and numbers the requests.
class RequestSender final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestSender)

public:
    explicit RequestSender(QObject *parent = nullptr);
    ~RequestSender() override;

    // The engine that carries the requests (null: every send fails with "no engine").
    void setEngine(Engine *engine) { m_engine = engine; }
    // How: the chain, verification and the time allowed for one request.
    void setOptions(ComposeOptions options) { m_options = std::move(options); }
    const ComposeOptions &options() const { return m_options; }

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
    struct Queued
    {
        int id;
        ComposedRequest request;
    };
    void start(int id, const ComposedRequest &request);
    void onDone(int id, const ComposedResponse &response);
    void startQueued();

    Engine *m_engine = nullptr;
    ComposeOptions m_options;
    int m_nextId = 1;
    int m_concurrency = 1; // for the queue of a sendMany
    std::set<int> m_active;
    std::deque<Queued> m_queue;
};

} // namespace ts::engine
