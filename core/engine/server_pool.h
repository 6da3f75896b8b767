#pragma once

#include "core/engine/tcp_socket.h"
#include "core/flow/flow.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <unordered_map>
#include <vector>

namespace ts::flow {
class FlowStore;
}

namespace ts::engine {

// Idle, reusable server-side connections of one worker thread, keyed by "host:port". A pooled
// connection that the server closes or that receives unasked bytes is dropped at once. Each
// keeps its Connection record: handed to the next user, or published closed when dropped.
class ServerPool final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerPool)

public:
    // `store` (may be null) gets the records of the connections the pool closes.
    ServerPool(int maxPerKey, int idleTimeoutMs, flow::FlowStore *store = nullptr,
               QObject *parent = nullptr);
    ~ServerPool() override;

    // `record` (may be null) gets the connection's record, null when it has none.
    TcpSocketPtr take(const QString &key, std::shared_ptr<flow::Connection> *record = nullptr);
    // Not kept (closed, data still queued, the key's list full): the record is published closed.
    void put(const QString &key, TcpSocketPtr socket,
             std::shared_ptr<flow::Connection> record = nullptr);
    std::size_t size() const;

private:
    struct Idle
    {
        TcpSocketPtr socket;
        qint64 since = 0;
        std::shared_ptr<flow::Connection> record;
    };
    void drop(const QString &key, TcpSocket *socket, const char *why);
    void closed(std::shared_ptr<flow::Connection> record, std::string reason);
    void sweep();

    int m_maxPerKey;
    int m_idleTimeoutMs;
    flow::FlowStore *m_store;
    std::unordered_map<QString, std::vector<Idle>> m_idle;
    QTimer m_sweep;
};

} // namespace ts::engine
