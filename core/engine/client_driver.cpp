#include "core/engine/client_driver.h"

#include "core/engine/engine.h"
#include "core/engine/server_pool.h"
#include "core/flow/flow_store.h"

#include <QHostInfo>

#include <cerrno>

namespace ts::engine {

using namespace ts::proxy;

namespace {

std::string text(const QString &s)
{
    return s.toStdString();
}

QString keyOf(const QString &host, quint16 port)
{
    return host + u':' + QString::number(port);
}

} // namespace

ClientDriver::ClientDriver(Worker &worker, qintptr fd, SessionContext context)
    : m_worker(worker), m_session(std::move(context), monotonicNow())
{
    m_client.adopt(fd);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { dispatch(Tick{}); });
    m_client.onData = [this](std::string_view data) {
        dispatch(ClientData{data});
    };
    m_client.onEof = [this] {
        dispatch(ClientEof{});
    };
    m_client.onError = [this](const QString &message) {
        dispatch(ClientGone{text(message)});
    };
    m_client.onDrained = [this] {
        startRelayWhenDrained();
        updateReading();
    };
    m_client.onClosed = [this] {
        finish();
    };
}

ClientDriver::~ClientDriver() = default;

void ClientDriver::start()
{
    std::vector<Command> commands;
    m_session.start(monotonicNow(), commands);
    execute(commands);
    armTimer();
}

void ClientDriver::dispatch(Event event)
{
    if (m_finished)
        return;
    if (m_dispatching) {
        // Only socket errors and connection results re-enter synchronously; data never does.
        Q_ASSERT(!std::holds_alternative<ClientData>(event)
                 && !std::holds_alternative<ServerData>(event));
        m_deferred.push_back(std::move(event));
        return;
    }
    m_dispatching = true;
    m_commands.clear();
    reportRelayProgress();
    m_session.handle(event, monotonicNow(), m_commands);
    execute(m_commands);
    while (!m_deferred.empty() && !m_finished) {
        Event next = std::move(m_deferred.front());
        m_deferred.pop_front();
        m_commands.clear();
        reportRelayProgress();
        m_session.handle(next, monotonicNow(), m_commands);
        execute(m_commands);
    }
    m_dispatching = false;
    if (m_finished)
        return;
    updateReading();
    armTimer();
}

void ClientDriver::execute(std::vector<Command> &commands)
{
    for (Command &command : commands) {
        if (m_finished)
            return;
        std::visit(
            [&](auto &c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, SendToClient>) {
                    m_client.write(std::move(c.data));
                } else if constexpr (std::is_same_v<T, ShutdownClient>) {
                    m_client.shutdownWrite();
                } else if constexpr (std::is_same_v<T, CloseClient>) {
                    stopRelay();
                    m_servers.clear();
                    if (c.abort || !m_client.isOpen()) {
                        m_client.close();
                        finish();
                    } else {
                        m_client.closeAfterWrite();
                    }
                } else if constexpr (std::is_same_v<T, PauseClient>) {
                    m_layerPaused = true;
                } else if constexpr (std::is_same_v<T, ResumeClient>) {
                    m_layerPaused = false;
                } else if constexpr (std::is_same_v<T, OpenServer>) {
                    openServer(c);
                } else if constexpr (std::is_same_v<T, SendToServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end() && it->second.socket)
                        it->second.socket->write(std::move(c.data));
                } else if constexpr (std::is_same_v<T, ShutdownServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end() && it->second.socket)
                        it->second.socket->shutdownWrite();
                } else if constexpr (std::is_same_v<T, CloseServer>) {
                    if (c.id == m_relayServer)
                        stopRelay();
                    m_servers.erase(c.id);
                } else if constexpr (std::is_same_v<T, ReleaseServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end()) {
                        if (it->second.socket && it->second.connected)
                            m_worker.pool().put(it->second.key, std::move(it->second.socket));
                        m_servers.erase(it);
                    }
                } else if constexpr (std::is_same_v<T, PublishFlow>) {
                    m_worker.store().publish(std::move(*c.flow));
                } else if constexpr (std::is_same_v<T, PublishConnection>) {
                    m_worker.store().publish(c.connection);
                } else if constexpr (std::is_same_v<T, RelayTunnel>) {
                    m_relayServer = c.id;
                    startRelayWhenDrained();
                } else if constexpr (std::is_same_v<T, PauseServer>
                                     || std::is_same_v<T, ResumeServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end())
                        it->second.layerPaused = std::is_same_v<T, PauseServer>;
                } else if constexpr (std::is_same_v<T, MultiplexClient>) {
                    m_multiplexed = true;
                } else {
                    // TunnelEstablished / TunnelRefused pass between layers only.
                    static_assert(std::is_same_v<T, TunnelEstablished>
                                  || std::is_same_v<T, TunnelRefused>);
                }
            },
            command);
    }
}

void ClientDriver::openServer(const OpenServer &command)
{
    const ServerId id = command.id;
    Server &server = m_servers[id];
    server.host = QString::fromStdString(command.host);
    server.port = command.port;
    server.key = keyOf(server.host, server.port);

    if (command.reusable) {
        if (TcpSocketPtr pooled = m_worker.pool().take(server.key)) {
            server.socket = std::move(pooled);
            server.connected = true;
            wireServer(id, *server.socket);
            m_deferred.push_back(ServerConnected{id, text(server.socket->peerText()), true});
            return;
        }
    }

    QHostAddress literal;
    if (literal.setAddress(server.host)) {
        server.addresses = {literal};
        connectNext(id);
        return;
    }
    QHostInfo::lookupHost(server.host, this, [this, id](const QHostInfo &info) {
        const auto it = m_servers.find(id);
        if (it == m_servers.end() || m_finished)
            return;
        Server &s = it->second;
        s.lookupDone = monotonicNow();
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            const std::string message = "could not resolve the host name '" + text(s.host)
                                        + "': " + text(info.errorString());
            const MonoTime lookupDone = s.lookupDone;
            m_servers.erase(it);
            dispatch(ServerConnectFailed{id, ConnectFailure::NameNotResolved, message, lookupDone});
            return;
        }
        s.addresses = info.addresses();
        connectNext(id);
    });
}

void ClientDriver::connectNext(ServerId id)
{
    Server &server = m_servers.at(id);
    const QHostAddress address = server.addresses.at(server.nextAddress++);
    if (m_worker.isOwnEndpoint(address, server.port)) {
        const std::string message
            = text(server.key) + " is Tunnelscope's own address: the request would loop";
        const MonoTime lookupDone = server.lookupDone;
        m_servers.erase(id);
        dispatch(ServerConnectFailed{id, ConnectFailure::LoopDetected, message, lookupDone});
        return;
    }
    server.socket = TcpSocketPtr(new TcpSocket);
    TcpSocket &socket = *server.socket;
    socket.onConnected = [this, id] {
        Server &s = m_servers.at(id);
        s.connected = true;
        ServerConnected event{id, text(s.socket->peerText()), false, s.lookupDone, monotonicNow()};
        dispatch(std::move(event));
    };
    socket.onConnectFailed = [this, id, address](int error, const QString &message) {
        const auto it = m_servers.find(id);
        if (it == m_servers.end())
            return;
        Server &s = it->second;
        if (s.nextAddress < s.addresses.size()) {
            // Try the host's next address; the socket is replaced after this callback returns.
            QTimer::singleShot(0, this, [this, id] {
                if (m_servers.count(id))
                    connectNext(id);
            });
            return;
        }
        ConnectFailure kind = ConnectFailure::Other;
        std::string what;
        const std::string where = text(formatEndpoint(address, s.port));
        if (error == ECONNREFUSED) {
            kind = ConnectFailure::Refused;
            what = "connection refused by " + where;
        } else if (error == ENETUNREACH || error == EHOSTUNREACH) {
            kind = ConnectFailure::Unreachable;
            what = where + " is unreachable (" + text(message) + ")";
        } else {
            what = "cannot connect to " + where + ": " + text(message);
        }
        const MonoTime lookupDone = s.lookupDone;
        m_servers.erase(it);
        dispatch(ServerConnectFailed{id, kind, what, lookupDone});
    };
    wireServer(id, socket);
    socket.connectTo(address, server.port);
}

void ClientDriver::wireServer(ServerId id, TcpSocket &socket)
{
    socket.onData = [this, id](std::string_view data) {
        dispatch(ServerData{id, data});
    };
    socket.onEof = [this, id] {
        dispatch(ServerEof{id});
    };
    socket.onError = [this, id](const QString &message) {
        const auto it = m_servers.find(id);
        if (it != m_servers.end())
            it->second.socket.reset();
        dispatch(ServerGone{id, text(message)});
    };
    socket.onDrained = [this] {
        startRelayWhenDrained();
        updateReading();
    };
}

void ClientDriver::startRelayWhenDrained()
{
    if (!m_relayServer || m_relay || m_finished)
        return;
    const auto it = m_servers.find(m_relayServer);
    if (it == m_servers.end() || !it->second.socket)
        return;
    TcpSocket &server = *it->second.socket;
    // Bytes queued before (the 200, the sniffed first bytes) must go out first, in order.
    if (m_client.pendingWrite() > 0 || server.pendingWrite() > 0)
        return;
    auto relay = std::make_unique<SpliceRelay>(m_client, server);
    // Relay events reach the layer from the event loop, never from inside the relay: the layer
    // may end the tunnel in answer, which deletes the relay.
    const auto later = [this](Event event) {
        QTimer::singleShot(0, this, [this, event = std::move(event)] { dispatch(event); });
    };
    relay->onClientEof = [later] {
        later(ClientEof{});
    };
    relay->onServerEof = [later, id = m_relayServer] {
        later(ServerEof{id});
    };
    relay->onError = [later, id = m_relayServer](bool clientSide, const QString &message) {
        if (clientSide)
            later(ClientGone{text(message)});
        else
            later(ServerGone{id, text(message)});
    };
    SpliceRelay *raw = relay.get();
    m_relay = std::move(relay);
    if (!raw->start()) {
        // No pipes (fd limit): stay with copying through the layer; it still works.
        m_relay.reset();
        m_relayServer = 0;
    }
}

void ClientDriver::stopRelay()
{
    // Never on the relay's own stack (its events are posted), and before its sockets go.
    m_relay.reset();
    m_relayServer = 0;
}

void ClientDriver::reportRelayProgress()
{
    if (!m_relay)
        return;
    const std::uint64_t up = m_relay->clientToServer();
    const std::uint64_t down = m_relay->serverToClient();
    if (up + down == m_relayReported)
        return;
    m_relayReported = up + down;
    m_session.handle(RelayProgress{up, down}, monotonicNow(), m_commands); // before the event
}

void ClientDriver::updateReading()
{
    if (m_finished || m_relay) // a relay applies its own back-pressure
        return;
    const std::size_t high = m_worker.config().proxy.socketHighWater;
    bool serversFull = false;
    std::vector<Event> reports;
    for (auto &[id, server] : m_servers) {
        if (!server.socket)
            continue;
        const std::size_t pending = server.socket->pendingWrite();
        if (!m_multiplexed) {
            serversFull = serversFull || pending >= high;
            continue;
        }
        // Many streams share the client connection: one slow server must not stop the
        // others, so the layer holds back that server's input itself.
        if (!server.reportedFull && pending >= high)
            reports.push_back(ServerBackpressure{id, server.reportedFull = true});
        else if (server.reportedFull && pending < high / 2)
            reports.push_back(ServerBackpressure{id, server.reportedFull = false});
    }
    m_client.setReading(!m_layerPaused && !serversFull);
    const bool clientFull = m_client.pendingWrite() >= high;
    for (auto &[id, server] : m_servers)
        if (server.socket && server.connected)
            server.socket->setReading(!clientFull && !server.layerPaused);
    for (Event &e : reports)
        dispatch(std::move(e));
}

void ClientDriver::armTimer()
{
    // Layers check their own deadlines on every Tick, so a timer that fires early costs one
    // empty Tick, while restarting the QTimer after every event (a tunnel moves its idle
    // deadline with each chunk) costs a timer re-registration per read. Re-arm only when the
    // deadline came closer, or when nothing is armed.
    const MonoTime deadline = m_session.deadline();
    if (deadline == kNoDeadline)
        return;
    if (m_timer.isActive() && m_armedDeadline <= deadline)
        return;
    m_armedDeadline = deadline;
    const MonoTime wait = deadline - monotonicNow();
    m_timer.start(int(std::clamp<MonoTime>((wait + 999) / 1000, 0, 24 * 3600 * 1000)));
}

void ClientDriver::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer.stop();
    m_servers.clear();
    deleteLater();
}

} // namespace ts::engine
