#pragma once

#include "core/engine/tcp_socket.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <unordered_map>
#include <vector>

namespace ts::engine {

// Idle, reusable server-side connections of one worker thread, keyed by "host:port". A pooled
// connection that the server closes or that receives unasked bytes is dropped at once.
class ServerPool final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerPool)

public:
    ServerPool(int maxPerKey, int idleTimeoutMs, QObject *parent = nullptr);
    ~ServerPool() override;

    TcpSocketPtr take(const QString &key);
    void put(const QString &key, TcpSocketPtr socket);
    std::size_t size() const;

private:
    struct Idle
    {
        TcpSocketPtr socket;
        qint64 since = 0;
    };
    void drop(const QString &key, TcpSocket *socket);
    void sweep();

    int m_maxPerKey;
    int m_idleTimeoutMs;
    std::unordered_map<QString, std::vector<Idle>> m_idle;
    QTimer m_sweep;
};

} // namespace ts::engine
