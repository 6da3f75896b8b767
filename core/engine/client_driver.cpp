#include "core/engine/client_driver.h"

#include "core/engine/engine.h"
#include "core/engine/server_pool.h"
#include "core/flow/flow_store.h"
#include "core/upstream/chain_connector.h"

#include <QHostInfo>

#include <cerrno>
#include <functional>

namespace ts::engine {

namespace {

// Commands that pass between layers only (tunnel answers, requests to a carrier's h2 stream):
// a layer handing one to the engine is a bug the compiler catches.
template<typename T>
constexpr bool betweenLayers
    = std::is_same_v<
          T,
          proxy::
              TunnelEstablished> || std::is_same_v<T, proxy::TunnelRefused> || std::is_same_v<T, proxy::SendRequestPart>;

} // namespace

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

// The pool key part of a chain: every hop, with a hash standing for its credentials (two
// rules naming one proxy with different accounts must not share its connections). Never shown.
QString chainKey(const upstream::ChainSpec &chain)
{
    std::string key;
    for (const upstream::Hop &hop : chain.hops) {
        key += std::string(upstream::schemeName(hop.scheme)) + "://";
        if (hop.hasCredentials)
            key += std::to_string(std::hash<std::string>{}(hop.username + '\0' + hop.password))
                   + '@';
        key += hop.authority() + ',';
    }
    return QString::fromStdString(key);
}

std::string secondsText(MonoTime micros)
{
    if (micros % kSecond == 0)
        return std::to_string(micros / kSecond) + " s";
    return std::to_string(micros / kMillisecond) + " ms";
}

std::string hopName(const upstream::ChainSpec &chain, std::size_t hop)
{
    return "hop " + std::to_string(hop + 1) + " (" + chain.hops[hop].display() + ")";
}

// The connection ends at the chain's last hop, an http(s) proxy: the layer sends absolute-form
// requests to it, with the hop's credentials in the bytes it sends only.
void setForwarding(ServerConnected &event, const upstream::ChainSpec &chain)
{
    event.forwarding = true;
    event.proxyAuthorization = upstream::ChainConnector::basicAuthorization(chain.hops.back());
    event.forwardHop = hopName(chain, chain.hops.size() - 1);
}

} // namespace

ClientDriver::ClientDriver(Worker &worker, qintptr fd, SessionContext context,
                           std::shared_ptr<const upstream::ChainRules> upstream)
    : m_worker(worker)
    , m_upstream(std::move(upstream))
    , m_tls(context.intercept)
    , m_session(std::move(context), monotonicNow())
{
    m_client.adopt(fd);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        tickChains(); // first: a chain that ran out of time names its hop before the layer's 504
        dispatch(Tick{});
    });
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
    m_now = monotonicNow();
    m_session.start(m_now, commands);
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
    m_now = monotonicNow();
    m_session.handle(event, m_now, m_commands);
    execute(m_commands);
    while (!m_deferred.empty() && !m_finished) {
        Event next = std::move(m_deferred.front());
        m_deferred.pop_front();
        m_commands.clear();
        reportRelayProgress();
        m_now = monotonicNow();
        m_session.handle(next, m_now, m_commands);
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
                        sendServer(it->second, std::move(c.data));
                } else if constexpr (std::is_same_v<T, ShutdownServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end() && it->second.socket) {
                        if (upstream::ChainConnector *chain = it->second.chain.get()) {
                            chain->shutdown(); // close_notify to the https hops
                            it->second.socket->write(chain->takeWire());
                        }
                        it->second.socket->shutdownWrite();
                    }
                } else if constexpr (std::is_same_v<T, CloseServer>) {
                    if (c.id == m_relayServer)
                        stopRelay();
                    m_servers.erase(c.id);
                } else if constexpr (std::is_same_v<T, ReleaseServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end()) {
                        // A chain still in the byte path (TLS to an https hop) lives in this
                        // driver, not in the socket: such connections are not pooled.
                        // put() publishes the record closed when it cannot keep the socket.
                        const bool poolable
                            = it->second.socket && it->second.connected && !it->second.chain;
                        m_worker.pool().put(it->second.key,
                                            poolable ? std::move(it->second.socket) : nullptr,
                                            std::move(c.record));
                        m_servers.erase(it);
                    }
                } else if constexpr (std::is_same_v<T, PublishFlow>) {
                    m_worker.store().publish(std::move(*c.flow));
                } else if constexpr (std::is_same_v<T, PublishConnection>) {
                    m_worker.store().publish(c.connection);
                } else if constexpr (std::is_same_v<T, RelayTunnel>) {
                    // Only a plain byte path can be spliced: through TLS to an https hop the
                    // bytes keep going through the connector and the layer.
                    const auto it = m_servers.find(c.id);
                    if (it == m_servers.end() || !it->second.chain) {
                        m_relayServer = c.id;
                        startRelayWhenDrained();
                    }
                } else if constexpr (std::is_same_v<
                                         T, PauseServer> || std::is_same_v<T, ResumeServer>) {
                    const auto it = m_servers.find(c.id);
                    if (it != m_servers.end())
                        it->second.layerPaused = std::is_same_v<T, PauseServer>;
                } else if constexpr (std::is_same_v<T, MultiplexClient>) {
                    m_multiplexed = true;
                } else {
                    // Tunnel answers and stream-keyed responses pass between layers only.
                    static_assert(betweenLayers<T>);
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
    server.dialHost = server.host;
    server.dialPort = server.port;
    const EngineConfig &config = m_worker.config();
    const std::shared_ptr<const upstream::ChainRules> rules
        = m_upstream ? m_upstream : m_worker.upstream();
    const upstream::ChainSpec &chain = rules->chainFor(command.host);
    // Plain http through a chain ending in an http(s) proxy: forward to that proxy in
    // absolute-form rather than tunnel through it. Such a connection ends at the last hop and
    // serves any destination, so its pool key is the chain alone ("forward " keeps it apart
    // from the tunnels through the same chain and from direct connections).
    const bool forward = command.plainHttp && !chain.direct() && chain.hops.back().isHttp();
    if (!chain.direct()) {
        server.via = "via " + chain.display();
        server.key
            = forward ? QStringLiteral("forward ") + chainKey(chain) : chainKey(chain) + server.key;
        server.dialHost = QString::fromStdString(chain.hops.front().host);
        server.dialPort = chain.hops.front().port;
    }

    if (command.reusable) {
        std::shared_ptr<flow::Connection> record;
        if (TcpSocketPtr pooled = m_worker.pool().take(server.key, &record)) {
            server.socket = std::move(pooled);
            server.connected = true;
            wireServer(id, *server.socket);
            ServerConnected event{id, server.socket->peerAddress(), true, -1, -1, server.via};
            if (forward)
                setForwarding(event, chain);
            event.record = std::move(record);
            m_deferred.push_back(std::move(event));
            return;
        }
    }

    QHostAddress literal;
    const bool isLiteral = literal.setAddress(server.host);
    if (!chain.direct()) {
        // The last hop would connect back to us, and we would open the chain again.
        if (isLiteral && m_worker.isOwnEndpoint(literal, server.port)) {
            serverConnectFailed(id, ConnectFailure::LoopDetected,
                                text(server.key.section(u',', -1))
                                    + " is Tunnelscope's own address: the request would loop");
            return;
        }
        upstream::ChainConnector::Options o;
        o.chain = chain;
        o.host = command.host;
        o.port = command.port;
        o.mode = forward ? upstream::ChainConnector::Mode::Forward
                         : upstream::ChainConnector::Mode::Tunnel;
        o.limits = config.http1;
        // The layer's connect budget covers the whole walk (tickChains), so no per-hop one.
        o.hopTimeout = kNoDeadline;
        if (m_tls) {
            o.tlsContext = m_tls->toServers;
            bool allInsecure = true;
            for (const upstream::Hop &hop : chain.hops)
                if (hop.scheme == upstream::HopScheme::Https)
                    allInsecure
                        = allInsecure && m_tls->insecure && m_tls->insecure->matches(hop.host);
            o.insecure = !m_tls->verifyServers || allInsecure;
        }
        server.chain = std::make_unique<upstream::ChainConnector>(std::move(o));
        server.chainDeadline = m_now + config.timeouts.connect; // the layer's, to the microsecond
    }

    if (literal.setAddress(server.dialHost)) {
        server.addresses = {literal};
        connectNext(id);
        return;
    }
    QHostInfo::lookupHost(server.dialHost, this, [this, id](const QHostInfo &info) {
        const auto it = m_servers.find(id);
        if (it == m_servers.end() || m_finished)
            return;
        Server &s = it->second;
        s.lookupDone = monotonicNow();
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            const std::string message = "could not resolve the host name '" + text(s.dialHost)
                                        + "': " + text(info.errorString());
            if (s.chain) {
                s.chain->connectFailed(message, s.lookupDone); // names hop 1
                chainEvent(id);
                return;
            }
            serverConnectFailed(id, ConnectFailure::NameNotResolved, message);
            return;
        }
        s.addresses = info.addresses();
        connectNext(id);
    });
}

void ClientDriver::serverConnectFailed(ServerId id, ConnectFailure kind, std::string message,
                                       bool timedOut)
{
    const auto it = m_servers.find(id);
    if (it == m_servers.end())
        return;
    const MonoTime lookupDone = it->second.lookupDone;
    std::string via = std::move(it->second.via);
    m_servers.erase(it);
    dispatch(
        ServerConnectFailed{id, kind, std::move(message), lookupDone, std::move(via), timedOut});
}

void ClientDriver::sendServer(Server &server, std::string data)
{
    if (server.chain) {
        server.chain->sendApp(data);
        server.socket->write(server.chain->takeWire());
        return;
    }
    server.socket->write(std::move(data));
}

void ClientDriver::connectNext(ServerId id)
{
    Server &server = m_servers.at(id);
    const QHostAddress address = server.addresses.at(server.nextAddress++);
    if (m_worker.isOwnEndpoint(address, server.dialPort)) {
        std::string message = text(formatEndpoint(address, server.dialPort))
                              + " is Tunnelscope's own address: the request would loop";
        if (server.chain)
            message = hopName(server.chain->chain(), 0) + ": " + message;
        serverConnectFailed(id, ConnectFailure::LoopDetected, std::move(message));
        return;
    }
    server.socket = TcpSocketPtr(new TcpSocket);
    TcpSocket &socket = *server.socket;
    socket.onConnected = [this, id] {
        Server &s = m_servers.at(id);
        s.connected = true;
        if (s.chain) {
            s.chain->start(monotonicNow()); // TCP to hop 1 is up: walk the chain
            chainEvent(id);
            return;
        }
        ServerConnected event{id, s.socket->peerAddress(), false, s.lookupDone, monotonicNow()};
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
        const std::string where = text(formatEndpoint(address, s.dialPort));
        if (error == ECONNREFUSED) {
            kind = ConnectFailure::Refused;
            what = "connection refused by " + where;
        } else if (error == ENETUNREACH || error == EHOSTUNREACH) {
            kind = ConnectFailure::Unreachable;
            what = where + " is unreachable (" + text(message) + ")";
        } else {
            what = "cannot connect to " + where + ": " + text(message);
        }
        if (s.chain) {
            s.chain->connectFailed(what, monotonicNow()); // "hop 1 (...) could not be reached"
            chainEvent(id);
            return;
        }
        serverConnectFailed(id, kind, std::move(what));
    };
    wireServer(id, socket);
    socket.connectTo(address, server.dialPort);
}

void ClientDriver::wireServer(ServerId id, TcpSocket &socket)
{
    socket.onData = [this, id](std::string_view data) {
        const auto it = m_servers.find(id);
        if (it != m_servers.end() && it->second.chain) {
            chainData(id, data);
            return;
        }
        dispatch(ServerData{id, data});
    };
    socket.onEof = [this, id] {
        const auto it = m_servers.find(id);
        if (it != m_servers.end() && it->second.chain) {
            chainEof(id);
            return;
        }
        dispatch(ServerEof{id});
    };
    socket.onError = [this, id](const QString &message) {
        const auto it = m_servers.find(id);
        if (it != m_servers.end()) {
            upstream::ChainConnector *chain = it->second.chain.get();
            if (chain && !chain->established() && !chain->failed()) {
                chain->receiveEof(monotonicNow()); // names the hop being negotiated
                serverConnectFailed(id, ConnectFailure::Other,
                                    chain->failure().message + " (" + text(message) + ")");
                return;
            }
            it->second.socket.reset();
        }
        dispatch(ServerGone{id, text(message)});
    };
    socket.onDrained = [this] {
        startRelayWhenDrained();
        updateReading();
    };
}

// ---------------------------------------------------------------------- upstream chains

void ClientDriver::chainEvent(ServerId id)
{
    const auto it = m_servers.find(id);
    if (it == m_servers.end() || !it->second.chain || m_finished)
        return;
    Server &s = it->second;
    upstream::ChainConnector &chain = *s.chain;
    if (chain.hasWire() && s.socket)
        s.socket->write(chain.takeWire());
    if (chain.failed()) {
        const upstream::HopFailure &failure = chain.failure();
        // Never the hop's own answer (a 407 page, say): its message, naming it, is the 502.
        serverConnectFailed(id, ConnectFailure::Other, failure.message,
                            failure.kind == upstream::HopFailure::Kind::Timeout);
        return;
    }
    if (chain.state() == upstream::ChainConnector::State::NeedAddress) {
        chainResolve(id);
        return;
    }
    if (!chain.established())
        return;

    // Through: from here the layer sees the destination, as if it had connected directly.
    std::string early = chain.takeApp(); // the destination's bytes that came with the last answer
    ServerConnected event{id, s.socket->peerAddress(), false, s.lookupDone, monotonicNow()};
    event.via = s.via;
    if (chain.forwarding())
        setForwarding(event, chain.chain());
    if (chain.plainPath() && early.empty())
        s.chain.reset(); // a plain socket now: poolable, and the relay may splice it
    dispatch(std::move(event));
    if (!early.empty() && m_servers.count(id))
        dispatch(ServerData{id, early});
}

void ClientDriver::chainData(ServerId id, std::string_view wire)
{
    Server &s = m_servers.at(id);
    upstream::ChainConnector &chain = *s.chain;
    if (!chain.established()) {
        chain.receive(wire, monotonicNow());
        chainEvent(id);
        return;
    }
    chain.receive(wire, monotonicNow());
    if (chain.hasWire())
        s.socket->write(chain.takeWire()); // TLS records the https hops' sessions answer with
    std::string app = chain.takeApp();
    const bool closed = chain.peerClosed() && !s.eofReported;
    s.eofReported = s.eofReported || closed;
    if (!app.empty())
        dispatch(ServerData{id, app});
    if (closed && m_servers.count(id))
        dispatch(ServerEof{id}); // close_notify from an https hop: the tunnel is over
}

void ClientDriver::chainEof(ServerId id)
{
    Server &s = m_servers.at(id);
    upstream::ChainConnector &chain = *s.chain;
    if (!chain.established()) {
        chain.receiveEof(monotonicNow());
        chainEvent(id);
        return;
    }
    if (s.eofReported)
        return;
    s.eofReported = true;
    dispatch(ServerEof{id});
}

void ClientDriver::chainResolve(ServerId id)
{
    // A socks5:// hop (not socks5h://) sends addresses, so the name after it is looked up here.
    Server &server = m_servers.at(id);
    if (server.lookingUp)
        return;
    server.lookingUp = true;
    const QString name = QString::fromStdString(server.chain->addressNeeded());
    QHostInfo::lookupHost(name, this, [this, id](const QHostInfo &info) {
        const auto it = m_servers.find(id);
        if (it == m_servers.end() || !it->second.chain || m_finished)
            return;
        Server &s = it->second;
        s.lookingUp = false;
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            s.chain->addressFailed(text(info.errorString()), monotonicNow());
        } else {
            QHostAddress address = info.addresses().constFirst();
            address.setScopeId(QString());
            s.chain->provideAddress(text(address.toString()), monotonicNow());
        }
        chainEvent(id);
    });
}

void ClientDriver::tickChains()
{
    const MonoTime now = monotonicNow();
    std::vector<ServerId> due;
    for (const auto &[id, s] : m_servers)
        if (s.chain && !s.chain->established() && !s.chain->failed() && now >= s.chainDeadline)
            due.push_back(id);
    const std::string budget = secondsText(m_worker.config().timeouts.connect);
    for (const ServerId id : due) {
        const auto it = m_servers.find(id);
        if (it == m_servers.end() || !it->second.chain)
            continue;
        const upstream::ChainConnector &chain = *it->second.chain;
        const upstream::ChainSpec &spec = chain.chain();
        std::string message;
        if (chain.state() == upstream::ChainConnector::State::Idle) {
            message = hopName(spec, 0) + " could not be reached within " + budget;
        } else {
            // The hop being negotiated: the first that has not answered success.
            std::size_t hop = 0;
            while (hop + 1 < spec.hops.size() && chain.timings()[hop].through >= 0)
                ++hop;
            if (chain.state() == upstream::ChainConnector::State::NeedAddress)
                message = hopName(spec, hop) + ": the address of " + chain.addressNeeded()
                          + " was not found within " + budget;
            else
                message = hopName(spec, hop) + " did not answer within " + budget;
        }
        serverConnectFailed(id, ConnectFailure::Other,
                            message + " (the connect timeout, for the whole chain)", true);
    }
}

// ---------------------------------------------------------------------------- relay

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
    MonoTime deadline = m_session.deadline();
    for (const auto &[id, s] : m_servers)
        if (s.chain && !s.chain->established())
            deadline = std::min(deadline, s.chainDeadline);
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
    m_worker.connectionClosed();
    deleteLater();
}

} // namespace ts::engine
