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
namespace ts::upstream {
class ChainConnector;
class ChainRules;
} // namespace ts::upstream

namespace ts::engine {

class Worker;

// Carries out what one client connection's layers ask for: owns the client socket, the
// server-side sockets, name lookups and the layer's timer, and feeds every socket event back
// in as a layer event. Back-pressure lives here: a side whose peer has too much queued for
// writing is not read until that queue drains. Upstream proxy chains live here too: a server
// connection whose destination has a chain (EngineConfig::upstream) is opened to hop 1 and
// walked by a ChainConnector; the layer sees ServerConnected only once the chain is through,
// and the destination's bytes as they are.
class ClientDriver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientDriver)

public:
    // `upstream`: the chains this connection's servers take instead of the worker's (a
    // composed request's own choice); null: the worker's, as they are at each open.
    ClientDriver(Worker &worker, qintptr fd, proxy::SessionContext context,
                 std::shared_ptr<const upstream::ChainRules> upstream = nullptr);
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

        // Through an upstream chain: the socket goes to hop 1 (dialHost:dialPort), `chain`
        // walks the hops and, while it has TLS layers (https hops), stays in the byte path
        // both ways. Dropped once the chain is through on a plain path: the socket is then
        // the destination's byte stream, and may be pooled and spliced like a direct one.
        QString dialHost;
        quint16 dialPort = 0;
        std::unique_ptr<upstream::ChainConnector> chain;
        std::string via;                      // "via http://…" (redacted); empty: direct
        MonoTime chainDeadline = kNoDeadline; // the layer's connect budget, covering every hop
        bool lookingUp = false;               // a socks5:// hop's name is being resolved
        bool eofReported = false;             // ServerEof was dispatched (TLS close_notify)
    };

    void dispatch(proxy::Event event);
    void execute(std::vector<proxy::Command> &commands);
    void openServer(const proxy::OpenServer &command);
    void connectNext(proxy::ServerId id);
    void wireServer(proxy::ServerId id, TcpSocket &socket);
    // Forgets the server and tells the layer (with `via` when through a chain).
    void serverConnectFailed(proxy::ServerId id, proxy::ConnectFailure kind, std::string message,
                             bool timedOut = false);
    // Upstream chains: after each event the connector took, carry out what it asks.
    void chainEvent(proxy::ServerId id);
    void chainData(proxy::ServerId id, std::string_view wire);
    void chainEof(proxy::ServerId id);
    void chainResolve(proxy::ServerId id);
    void tickChains();
    void sendServer(Server &server, std::string data);
    void updateReading();
    void startRelayWhenDrained();
    void stopRelay();
    void reportRelayProgress();
    void armTimer();
    void finish();

    Worker &m_worker;
    std::shared_ptr<const upstream::ChainRules> m_upstream;
    std::shared_ptr<const proxy::InterceptConfig> m_tls; // roots for https hops (may be null)
    proxy::HttpProxySession m_session;
    TcpSocket m_client;
    std::unordered_map<proxy::ServerId, Server> m_servers;
    QTimer m_timer;
    MonoTime m_armedDeadline = kNoDeadline; // what m_timer is set for, while it is active
    std::vector<proxy::Command> m_commands;
    std::deque<proxy::Event> m_deferred; // events raised while a dispatch is under way
    MonoTime m_now = 0; // the `now` of the event being handled (the layer's clock for it)
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
