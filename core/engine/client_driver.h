#pragma once

#include "core/engine/splice_relay.h"
#include "core/engine/tcp_socket.h"
#include "core/proxy/http_proxy_session.h"

#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace ts::flow {
class FlowStore;
}

namespace ts::engine {

class Worker;

// Carries out what one client connection's layers ask for: owns the client socket, the
// server-side sockets, name lookups and the layer's timer, and feeds every socket event back
// in as a layer event. Back-pressure lives here: a side whose peer has too much queued for
// writing is not read until that queue drains.
class ClientDriver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientDriver)

public:
    ClientDriver(Worker &worker, qintptr fd, proxy::SessionContext context);
    ~ClientDriver() override;

    void start();

private:
    struct Server
    {
        TcpSocketPtr socket;
        QString key; // "host:port" for the pool
        QString host;
        quint16 port = 0;
        QList<QHostAddress> addresses;
        int nextAddress = 0;
        MonoTime lookupDone = -1;
        bool connected = false;
        bool layerPaused = false;  // PauseServer: the layer cannot take its bytes yet
        bool reportedFull = false; // multiplexed: ServerBackpressure{full} was reported
    };

    void dispatch(proxy::Event event);
    void execute(std::vector<proxy::Command> &commands);
    void openServer(const proxy::OpenServer &command);
    void connectNext(proxy::ServerId id);
    void wireServer(proxy::ServerId id, TcpSocket &socket);
    void updateReading();
    void startRelayWhenDrained();
    void stopRelay();
    void reportRelayProgress();
    void armTimer();
    void finish();

    Worker &m_worker;
    proxy::HttpProxySession m_session;
    TcpSocket m_client;
    std::unordered_map<proxy::ServerId, Server> m_servers;
    QTimer m_timer;
    MonoTime m_armedDeadline = kNoDeadline; // what m_timer is set for, while it is active
    std::vector<proxy::Command> m_commands;
    std::deque<proxy::Event> m_deferred; // events raised while a dispatch is under way
    bool m_dispatching = false;
    bool m_layerPaused = false;
    bool m_multiplexed = false; // MultiplexClient: per-server back-pressure, see updateReading
    bool m_finished = false;
    // A raw tunnel the engine relays itself (RelayTunnel); waits for both write queues first.
    proxy::ServerId m_relayServer = 0;
    std::unique_ptr<SpliceRelay> m_relay;
    std::uint64_t m_relayReported = 0; // bytes both ways at the last RelayProgress
};

} // namespace ts::engine
