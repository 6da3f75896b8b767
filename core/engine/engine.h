#pragma once

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/engine/composed.h"
#include "core/engine/engine_config.h"

#include <QHostAddress>
#include <QObject>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace ts::flow {
class FlowStore;
struct BodyBudget;
} // namespace ts::flow

namespace ts::tls {
class CertificateAuthority;
}
namespace ts::proxy {
struct InterceptConfig;
}

namespace ts::engine {

class Listener;
class ServerPool;

// One worker thread's home: its client drivers and its pool of idle server connections live
// here, and every socket of a connection stays on this thread for the connection's life.
class Worker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Worker)

public:
    using UpstreamRules = std::atomic<std::shared_ptr<const upstream::ChainRules>>;
    Worker(const EngineConfig &config, const UpstreamRules &upstream, flow::FlowStore &store,
           QObject *parent = nullptr);
    ~Worker() override;

    const EngineConfig &config() const { return m_config; }
    // The upstream chains in effect now (Engine::setUpstream may replace them at any time).
    std::shared_ptr<const upstream::ChainRules> upstream() const { return m_upstream.load(); }
    flow::FlowStore &store() { return m_store; }
    ServerPool &pool() { return *m_pool; }
    // True when address:port is one of the proxy's own listening endpoints.
    bool isOwnEndpoint(const QHostAddress &address, quint16 port) const;
    void addOwnEndpoint(const QHostAddress &address, quint16 port);

    // A connected client socket; `upstream` as in ClientDriver.
    void accept(qintptr fd, const proxy::SessionContext &context,
                std::shared_ptr<const upstream::ChainRules> upstream = nullptr);
    // A composed request (Engine::send): a socket pair, one end served like an accepted client,
    // the other a ComposedClient that speaks the request and calls `done` here, on this thread.
    void compose(ComposedRequest request, const proxy::SessionContext &context,
                 std::shared_ptr<const upstream::ChainRules> upstream, int timeoutMs,
                 std::function<void(const ComposedResponse &)> done);
    // A client connection of this worker ended: what it held goes back to the system soon.
    void connectionClosed();
    // Ends every connection of this worker; called on its thread before the thread stops.
    void shutDown();

private:
    const EngineConfig &m_config;
    const UpstreamRules &m_upstream;
    flow::FlowStore &m_store;
    std::unique_ptr<ServerPool> m_pool;
    QList<QPair<QHostAddress, quint16>> m_endpoints;
    QTimer *m_trimTimer = nullptr; // single shot: malloc_trim after connections closed
    mutable QList<QHostAddress> m_localAddresses; // this machine's, read when needed
    mutable MonoTime m_localAddressesAt = 0;
};

// The proxy engine: a listener and worker threads. The only part of Tunnelscope that owns
// sockets and threads; everything it learns goes to the FlowStore.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    Engine(EngineConfig config, flow::FlowStore &store, QObject *parent = nullptr);
    ~Engine() override;

    // The CA directory the config names, or the default, ~/.config/Tunnelscope/ca (a CA left
    // in the folder of earlier versions is moved there first: config_folder.h).
    static QString caDirectory(const EngineConfig &config);

    // Binds the listener; the error says why not ("address already in use").
    Result<void> start();
    void stop();
    bool running() const { return m_listener != nullptr; }
    QString listenAddress() const;      // "127.0.0.1:8080", with the real port
    QString httpsListenAddress() const; // empty without an HTTPS listener
    QString socksListenAddress() const; // empty without a SOCKS5 listener
    std::shared_ptr<tls::CertificateAuthority> certificateAuthority() const { return m_ca; }
    const EngineConfig &config() const { return m_config; }

    // Live changes (the settings dialog; GUI thread). Interception settings are swapped as a
    // whole new InterceptConfig that sessions accepted from then on copy; running sessions
    // keep the one they started with. Before start() they change the config start() uses.
    void setInterceptEnabled(bool on);
    Result<void> setPassthrough(const QStringList &patterns); // refused: nothing changes
    void setVerifyServers(bool verify);
    void setFrameLogCapacity(std::size_t frames); // per connection, for new connections
    // Server-side connections opened from then on go through these chains; connections that
    // are open (and pooled ones, keyed by chain) keep theirs. config().upstream stays as
    // started: upstream() is what is in effect.
    void setUpstream(upstream::ChainRules rules);
    std::shared_ptr<const upstream::ChainRules> upstream() const { return m_upstream.load(); }

    // Sends a composed request (the composer, `tunnelscope send`) as a client connection of
    // the engine's own, with no listener and no socket the caller sees: it takes the engine's
    // layers and is recorded as a flow like any other, its client "composer #N". `done`
    // runs once on the engine's thread, unless `receiver` (on that thread too) is gone by then.
    void send(ComposedRequest request, const ComposeOptions &options, QObject *receiver,
              std::function<void(const ComposedResponse &)> done);

    // True while a listener waits for file descriptors before accepting more clients. Any
    // thread.
    bool acceptPaused() const;
    // Sets the soft RLIMIT_NOFILE to the hard one (start() does it).
    static void raiseFileLimit();

    // What a listener's clients speak to the proxy.
    enum class ListenerKind { Http, Https, Socks };

private:
    void dispatch(qintptr fd, ListenerKind kind);
    proxy::SessionContext sessionContext(ListenerKind kind) const;
    Result<void> setUpTls();
    Result<Listener *> listenOn(const QString &host, quint16 port, ListenerKind kind);

    EngineConfig m_config;
    flow::FlowStore &m_store;
    std::vector<std::unique_ptr<QThread>> m_threads;
    std::vector<Worker *> m_workers;
    Listener *m_listener = nullptr; // lives on the first worker's thread
    Listener *m_httpsListener = nullptr;
    Listener *m_socksListener = nullptr;
    QHostAddress m_boundAddress;
    quint16 m_boundPort = 0;
    QHostAddress m_httpsAddress;
    quint16 m_httpsPort = 0;
    QHostAddress m_socksAddress;
    quint16 m_socksPort = 0;
    std::shared_ptr<tls::CertificateAuthority> m_ca;
    std::thread m_rootsLoader; // reads the system trust store after start(); joined by stop()
    void changeIntercept(const std::function<void(proxy::InterceptConfig &)> &change);
    // Read by dispatch() on the listener's thread, replaced from the GUI thread.
    std::atomic<std::shared_ptr<const proxy::InterceptConfig>> m_intercept;
    std::atomic<std::size_t> m_frameLogCapacity{10000};
    // Read by the workers on their threads when they open a server connection.
    Worker::UpstreamRules m_upstream;
    std::shared_ptr<const proxy::PacRules> m_pac; // fixed for the engine's life
    std::size_t m_roundRobin = 0;
    // Listeners waiting for descriptors (written on their thread); read by the window.
    std::atomic<int> m_pausedListeners{0};
    std::atomic<bool> m_acceptPauseLogged{false};
    void noteAcceptPaused(bool paused);
};

} // namespace ts::engine
