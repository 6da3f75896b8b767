#include "core/engine/server_pool.h"

#include "core/flow/flow_store.h"

#include <QDateTime>

#include <algorithm>

namespace ts::engine {

ServerPool::ServerPool(int maxPerKey, int idleTimeoutMs, flow::FlowStore *store, QObject *parent)
    : QObject(parent), m_maxPerKey(maxPerKey), m_idleTimeoutMs(idleTimeoutMs), m_store(store)
{
    m_sweep.setInterval(std::max(1000, idleTimeoutMs / 4));
    connect(&m_sweep, &QTimer::timeout, this, &ServerPool::sweep);
}

ServerPool::~ServerPool() = default;

TcpSocketPtr ServerPool::take(const QString &key, std::shared_ptr<flow::Connection> *record)
{
    const auto it = m_idle.find(key);
    if (it == m_idle.end() || it->second.empty())
        return nullptr;
    TcpSocketPtr socket = std::move(it->second.back().socket);
    if (record)
        *record = std::move(it->second.back().record);
    it->second.pop_back();
    if (it->second.empty())
        m_idle.erase(it);
    socket->onData = nullptr;
    socket->onEof = nullptr;
    socket->onError = nullptr;
    return socket;
}

void ServerPool::put(const QString &key, TcpSocketPtr socket,
                     std::shared_ptr<flow::Connection> record)
{
    if (!socket || !socket->isOpen() || socket->pendingWrite() > 0) {
        closed(std::move(record), "closed by the proxy: not reusable");
        return;
    }
    std::vector<Idle> &list = m_idle[key];
    if (int(list.size()) >= m_maxPerKey) {
        closed(std::move(record), "closed by the proxy: " + std::to_string(m_maxPerKey)
                                      + " idle connections to the same server are kept at most");
        return; // the socket closes as it goes out of scope
    }
    TcpSocket *raw = socket.get();
    raw->onConnected = nullptr;
    raw->onConnectFailed = nullptr;
    raw->onDrained = nullptr;
    raw->onData = [this, key, raw](std::string_view) {
        drop(key, raw, "closed by the proxy: the server sent bytes while idle");
    };
    raw->onEof = [this, key, raw] {
        drop(key, raw, "closed by the server while idle");
    };
    raw->onError = [this, key, raw](const QString &) {
        drop(key, raw, "failed while idle");
    };
    raw->setReading(true);
    list.push_back({std::move(socket), QDateTime::currentMSecsSinceEpoch(), std::move(record)});
    if (!m_sweep.isActive())
        m_sweep.start();
}

std::size_t ServerPool::size() const
{
    std::size_t n = 0;
    for (const auto &[key, list] : m_idle)
        n += list.size();
    return n;
}

void ServerPool::closed(std::shared_ptr<flow::Connection> record, std::string reason)
{
    if (!record || !m_store)
        return;
    record->closedWall = wallNow();
    record->closeReason = std::move(reason);
    if (record->feed)
        record->feed->closed();
    m_store->publish(*record);
}

void ServerPool::drop(const QString &key, TcpSocket *socket, const char *why)
{
    const auto it = m_idle.find(key);
    if (it == m_idle.end())
        return;
    auto &list = it->second;
    const auto pos = std::find_if(list.begin(), list.end(),
                                  [socket](const Idle &i) { return i.socket.get() == socket; });
    if (pos == list.end())
        return;
    closed(std::move(pos->record), why);
    list.erase(pos); // closes now, deletes from the event loop: we are in its callback

    if (list.empty())
        m_idle.erase(it);
}

void ServerPool::sweep()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (auto it = m_idle.begin(); it != m_idle.end();) {
        auto &list = it->second;
        const auto expired = std::stable_partition(list.begin(), list.end(), [&](const Idle &i) {
            return now - i.since < m_idleTimeoutMs;
        });
        for (auto i = expired; i != list.end(); ++i)
            closed(std::move(i->record), "closed by the proxy: idle for "
                                             + std::to_string(m_idleTimeoutMs / 1000) + " s");
        list.erase(expired, list.end());
        it = list.empty() ? m_idle.erase(it) : std::next(it);
    }
    if (m_idle.empty())
        m_sweep.stop();
}

} // namespace ts::engine
