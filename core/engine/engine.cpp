#include "core/engine/engine.h"

#include "core/engine/client_driver.h"
#include "core/engine/composed_client.h"
#include "core/engine/config_folder.h"
#include "core/engine/listener.h"
#include "core/engine/server_pool.h"
#include "core/engine/tcp_socket.h"
#include "core/flow/flow_store.h"

#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"

#include <QCoreApplication>
#include <QDir>
#include <QHostInfo>
#include <QNetworkInterface>
#include <QPointer>
#include <QStandardPaths>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ts::engine {

// ------------------------------------------------------------------------------------ Worker

Worker::Worker(const EngineConfig &config, const UpstreamRules &upstream, flow::FlowStore &store,
               QObject *parent)
    : QObject(parent), m_config(config), m_upstream(upstream), m_store(store)
{}

Worker::~Worker() = default;

void Worker::addOwnEndpoint(const QHostAddress &address, quint16 port)
{
    m_endpoints.append({address, port});
}

bool Worker::isOwnEndpoint(const QHostAddress &address, quint16 port) const
{
    bool ownPort = false;
    for (const auto &[listen, listenPort] : m_endpoints) {
        if (port != listenPort)
            continue;
        ownPort = true;
        if (address.isEqual(listen, QHostAddress::TolerantConversion))
            return true;
    }
    if (!ownPort)
        return false;
    // Every spelling of this machine reaches a listener on the port, or finds nothing there:
    // loopback, the unspecified address (connect() to 0.0.0.0 or :: goes to this host), and
    // each address of its interfaces. A service of someone else's on such an address and one
    // of our ports is rare; a request that loops through the proxy without end is not.
    if (address.isLoopback())
        return true;
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // IPv4-mapped IPv6 too
    if (isV4 ? v4 == 0 : address.isEqual(QHostAddress::AnyIPv6, QHostAddress::StrictConversion))
        return true;
    // Interfaces come and go (a VPN, DHCP): look again when the list is older than this.
    constexpr MonoTime kAddressesTtl = 5 * kSecond;
    const MonoTime now = monotonicNow();
    if (m_localAddressesAt == 0 || now - m_localAddressesAt > kAddressesTtl) {
        m_localAddresses = QNetworkInterface::allAddresses();
        m_localAddressesAt = now;
    }
    return std::any_of(m_localAddresses.begin(), m_localAddresses.end(),
                       [&](const QHostAddress &a) {
                           return a.isEqual(address, QHostAddress::TolerantConversion);
                       });
}

void Worker::connectionClosed()
{
    // glibc keeps freed memory in each thread's arena: after a burst of connections (an HPACK
    // amplification, 20 stalled streams of 1 MiB each) the process stayed hundreds of MB large
    // long after they closed. Give the free pages back, at most every two seconds per worker
    // (a trim walks the arena), and only after something closed.
    if (!m_trimTimer) {
        m_trimTimer = new QTimer(this);
        m_trimTimer->setSingleShot(true);
        m_trimTimer->setInterval(2000);
        connect(m_trimTimer, &QTimer::timeout, this, [] { ::malloc_trim(0); });
    }
    if (!m_trimTimer->isActive())
        m_trimTimer->start();
}

void Worker::shutDown()
{
    // On this worker's thread, before it stops: the drivers and pooled connections go now, and
    // the sockets they hand to deleteLater() are deleted while this thread can still do so.
    qDeleteAll(findChildren<ComposedClient *>(Qt::FindDirectChildrenOnly));
    qDeleteAll(findChildren<ClientDriver *>(Qt::FindDirectChildrenOnly));
    m_pool.reset();
    for (int round = 0; round < 3; ++round)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

void Worker::accept(qintptr fd, const proxy::SessionContext &context,
                    std::shared_ptr<const upstream::ChainRules> upstream)
{
    if (!m_pool)
        m_pool = std::make_unique<ServerPool>(m_config.maxIdleServerConnectionsPerOrigin,
                                              m_config.serverIdleTimeoutMs, &store());
    proxy::SessionContext c = context;
    if (c.clientAddress.empty())
        c.clientAddress = TcpSocket::peerTextOf(fd).toStdString();
    auto *driver = new ClientDriver(*this, fd, std::move(c), std::move(upstream));
    driver->setParent(this);
    driver->start();
}

void Worker::compose(ComposedRequest request, const proxy::SessionContext &context,
                     std::shared_ptr<const upstream::ChainRules> upstream, int timeoutMs,
                     std::function<void(const ComposedResponse &)> done)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        ComposedResponse none;
        none.error = QStringLiteral("cannot open the composer's connection: ")
                     + QString::fromLocal8Bit(std::strerror(errno));
        done(none);
        return;
    }
    accept(fds[0], context, std::move(upstream));
    auto *client = new ComposedClient(fds[1], std::move(request),
                                      QString::fromStdString(context.clientAddress), timeoutMs,
                                      std::move(done), this);
    client->start();
}

// ------------------------------------------------------------------------------------ Engine

Engine::Engine(EngineConfig config, flow::FlowStore &store, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_store(store)
    , m_upstream(std::make_shared<const upstream::ChainRules>(m_config.upstream))
    , m_pac(std::make_shared<const proxy::PacRules>(m_config.pacRules))
{}

Engine::~Engine()
{
    stop();
}

Result<void> Engine::start()
{
    if (m_listener)
        return {};
    // A write to a socket the peer has closed must be an EPIPE error, not a signal that kills
    // the process: splice() has no MSG_NOSIGNAL.
    ::signal(SIGPIPE, SIG_IGN);
    raiseFileLimit();
    if (auto tls = setUpTls(); !tls)
        return tls;

    int count
        = m_config.workers > 0 ? m_config.workers : std::clamp(QThread::idealThreadCount(), 1, 4);
    for (int i = 0; i < count; ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(QStringLiteral("tunnelscope-worker-%1").arg(i));
        auto *worker = new Worker(m_config, m_upstream, m_store);
        worker->moveToThread(thread.get());
        connect(thread.get(), &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        m_workers.push_back(worker);
        m_threads.push_back(std::move(thread));
    }

    auto plain = listenOn(m_config.listenHost, m_config.listenPort, ListenerKind::Http);
    if (!plain) {
        stop();
        return plain.error();
    }
    m_listener = *plain;
    m_boundAddress = m_listener->serverAddress();
    m_boundPort = m_listener->serverPort();
    if (!m_config.httpsListenHost.isEmpty()) {
        auto https
            = listenOn(m_config.httpsListenHost, m_config.httpsListenPort, ListenerKind::Https);
        if (!https) {
            stop();
            return https.error();
        }
        m_httpsListener = *https;
        m_httpsAddress = m_httpsListener->serverAddress();
        m_httpsPort = m_httpsListener->serverPort();
    }
    if (!m_config.socksListenHost.isEmpty()) {
        auto socks
            = listenOn(m_config.socksListenHost, m_config.socksListenPort, ListenerKind::Socks);
        if (!socks) {
            stop();
            return socks.error();
        }
        m_socksListener = *socks;
        m_socksAddress = m_socksListener->serverAddress();
        m_socksPort = m_socksListener->serverPort();
    }
    for (Worker *worker : m_workers) {
        QList<QPair<QHostAddress, quint16>> endpoints{{m_boundAddress, m_boundPort}};
        if (m_httpsListener)
            endpoints.append({m_httpsAddress, m_httpsPort});
        if (m_socksListener)
            endpoints.append({m_socksAddress, m_socksPort});
        QMetaObject::invokeMethod(
            worker,
            [worker, endpoints] {
                for (const auto &[a, p] : endpoints)
                    worker->addOwnEndpoint(a, p);
            },
            Qt::BlockingQueuedConnection);
    }
    // Clients can connect now. The system trust store (tens of milliseconds) is read off the
    // workers' threads: the first connection to a TLS server finds it ready, or waits only for
    // the rest of it.
    if (const auto ic = m_intercept.load(); ic && ic->toServers)
        m_rootsLoader = std::thread([context = ic->toServers] {
            // At the lowest priority (this thread only, which then ends), so that the first
            // clients' requests, plain HTTP included, never wait for a core behind it; one to
            // a TLS server waits for it in any case.
            ::setpriority(PRIO_PROCESS, id_t(::gettid()), 19);
            context->loadSystemRoots();
        });
    return {};
}

Result<Listener *> Engine::listenOn(const QString &host, quint16 port, ListenerKind kind)
{
    QHostAddress address;
    if (host == u"localhost")
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(host))
        return Error{"listen.address",
                     "'" + host.toStdString() + "' is not an IP address to listen on"};
    std::string error;
    Listener *listener = nullptr;
    QMetaObject::invokeMethod(
        m_workers.front(),
        [&] {
            auto *l = new Listener;
            if (auto listening = l->listen(address, port); !listening) {
                error = listening.error().message;
                delete l;
                return;
            }
            l->onAccepted = [this, kind](qintptr fd) {
                dispatch(fd, kind);
            };
            l->onPausedChanged = [this](bool paused) {
                noteAcceptPaused(paused);
            };
            listener = l;
        },
        Qt::BlockingQueuedConnection);
    if (!listener)
        return Error{"listen.failed", "cannot listen on " + host.toStdString() + ":"
                                          + std::to_string(port) + ": " + error};
    return listener;
}

void Engine::raiseFileLimit()
{
    // Desktops start programs with a soft limit of 1024 and a hard one far above: a proxy with
    // a few hundred tunnels needs more than the soft one, and may take what the hard one allows.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void Engine::noteAcceptPaused(bool paused)
{
    m_pausedListeners.fetch_add(paused ? 1 : -1, std::memory_order_relaxed);
    if (!paused || m_acceptPauseLogged.exchange(true))
        return;
    // Once per run: the condition may come and go with every connection near the limit, and
    // the window's status bar shows whether it holds now.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    std::fprintf(stderr,
                 "tunnelscope: out of file descriptors (limit %llu): new connections wait "
                 "until some close\n",
                 static_cast<unsigned long long>(limit.rlim_cur));
}

bool Engine::acceptPaused() const
{
    return m_pausedListeners.load(std::memory_order_relaxed) > 0;
}

QString Engine::caDirectory(const EngineConfig &config)
{
    QString dir = config.caDirectory;
    if (dir.isEmpty())
        dir = migratedPath(QStringLiteral("ca"));
    return QDir::cleanPath(dir);
}

Result<void> Engine::setUpTls()
{
    auto ic = std::make_shared<proxy::InterceptConfig>();
    auto ca = tls::CertificateAuthority::openOrCreate(caDirectory(m_config).toStdString());
    if (!ca)
        return Error{"ca", "certificate authority: " + ca.error().message};
    m_ca = std::move(*ca);
    ic->ca = m_ca;

    std::shared_ptr<tls::KeyLog> keyLog;
    QString keyLogFile = m_config.keyLogFile;
    if (keyLogFile.isEmpty())
        keyLogFile = qEnvironmentVariable("SSLKEYLOGFILE");
    if (!keyLogFile.isEmpty())
        keyLog = std::make_shared<tls::KeyLog>(keyLogFile.toStdString());

    tls::TlsContext::ClientOptions client;
    for (const QString &f : m_config.extraRoots)
        client.extraRootFiles.push_back(f.toStdString());
    client.keyLog = keyLog;
    auto toServers = tls::TlsContext::client(client);
    if (!toServers)
        return toServers.error();
    auto toClients = tls::TlsContext::server({keyLog});
    if (!toClients)
        return toClients.error();
    ic->toServers = *toServers;
    ic->toClients = *toClients;

    auto patterns = [](const QStringList &list) {
        std::vector<std::string> out;
        for (const QString &p : list)
            out.push_back(p.toStdString());
        return proxy::HostPatterns::parse(out);
    };
    auto passthrough = patterns(m_config.passthrough);
    if (!passthrough)
        return passthrough.error();
    auto insecure = patterns(m_config.insecureHosts);
    if (!insecure)
        return insecure.error();
    ic->passthrough = std::make_shared<proxy::HostPatterns>(std::move(*passthrough));
    ic->insecure = std::make_shared<proxy::HostPatterns>(std::move(*insecure));
    ic->enabled = m_config.intercept;
    ic->verifyServers = m_config.verifyServers;
    ic->passthroughRejecting = m_config.passthroughRejecting;
    // The HTTPS listener's certificate names: what clients may call the proxy.
    ic->proxyNames = {"localhost", "127.0.0.1", "::1", QHostInfo::localHostName().toStdString()};
    if (!m_config.httpsListenHost.isEmpty()) {
        const std::string h = m_config.httpsListenHost.toStdString();
        if (h != "0.0.0.0" && h != "::")
            ic->proxyNames.insert(ic->proxyNames.begin(), h);
    }
    m_intercept = std::move(ic);
    return {};
}

void Engine::changeIntercept(const std::function<void(proxy::InterceptConfig &)> &change)
{
    // One writer (the GUI thread): copy, change, publish. Shared parts (CA, TLS contexts, the
    // insecure list, hosts learned by auto pass-through) stay shared with the old copy.
    const std::shared_ptr<const proxy::InterceptConfig> current = m_intercept.load();
    auto next = std::make_shared<proxy::InterceptConfig>(*current);
    change(*next);
    m_intercept.store(std::move(next));
}

void Engine::setInterceptEnabled(bool on)
{
    if (!m_intercept.load()) {
        m_config.intercept = on;
        return;
    }
    changeIntercept([on](proxy::InterceptConfig &c) { c.enabled = on; });
}

Result<void> Engine::setPassthrough(const QStringList &patterns)
{
    std::vector<std::string> list;
    for (const QString &p : patterns)
        list.push_back(p.toStdString());
    auto parsed = proxy::HostPatterns::parse(list);
    if (!parsed)
        return parsed.error();
    if (!m_intercept.load()) {
        m_config.passthrough = patterns;
        return {};
    }
    // A new list forgets the hosts --passthrough-rejecting learned: each costs one more
    // rejected handshake before it is learned again.
    auto shared = std::make_shared<proxy::HostPatterns>(std::move(*parsed));
    changeIntercept([&shared](proxy::InterceptConfig &c) { c.passthrough = shared; });
    return {};
}

void Engine::setVerifyServers(bool verify)
{
    if (!m_intercept.load()) {
        m_config.verifyServers = verify;
        return;
    }
    changeIntercept([verify](proxy::InterceptConfig &c) { c.verifyServers = verify; });
}

void Engine::setUpstream(upstream::ChainRules rules)
{
    m_upstream.store(std::make_shared<const upstream::ChainRules>(std::move(rules)));
}

void Engine::setFrameLogCapacity(std::size_t frames)
{
    m_frameLogCapacity.store(frames, std::memory_order_relaxed);
}

void Engine::stop()
{
    if (m_rootsLoader.joinable())
        m_rootsLoader.join();
    for (Listener **l : {&m_listener, &m_httpsListener, &m_socksListener}) {
        if (!*l)
            continue;
        Listener *listener = *l;
        QMetaObject::invokeMethod(
            m_workers.front(), [listener] { delete listener; }, Qt::BlockingQueuedConnection);
        *l = nullptr;
    }
    for (Worker *worker : m_workers)
        QMetaObject::invokeMethod(
            worker, [worker] { worker->shutDown(); }, Qt::BlockingQueuedConnection);
    for (auto &thread : m_threads) {
        thread->quit();
        thread->wait();
    }
    m_threads.clear();
    m_workers.clear();
}

QString Engine::listenAddress() const
{
    const QHostAddress a
        = m_boundAddress.isNull() ? QHostAddress(m_config.listenHost) : m_boundAddress;
    const quint16 port = m_boundPort ? m_boundPort : m_config.listenPort;
    return formatEndpoint(a, port);
}

QString Engine::httpsListenAddress() const
{
    return m_httpsListener ? formatEndpoint(m_httpsAddress, m_httpsPort) : QString();
}

QString Engine::socksListenAddress() const
{
    return m_socksListener ? formatEndpoint(m_socksAddress, m_socksPort) : QString();
}

proxy::SessionContext Engine::sessionContext(ListenerKind kind) const
{
    proxy::SessionContext context;
    context.intercept = m_intercept.load();
    context.frameLogCapacity = m_frameLogCapacity.load(std::memory_order_relaxed);
    context.tlsListener = kind == ListenerKind::Https;
    context.socks.enabled = kind == ListenerKind::Socks;
    if (context.socks.enabled)
        context.socks.credentials = m_config.socksCredentials;
    context.ids = m_store.ids();
    context.connectionId = context.newConnectionId();
    context.listenAddress = (kind == ListenerKind::Https   ? httpsListenAddress()
                             : kind == ListenerKind::Socks ? socksListenAddress()
                                                           : listenAddress())
                                .toStdString();
    context.pac = m_pac;
    context.http1 = m_config.http1;
    context.proxy = m_config.proxy;
    context.timeouts = m_config.timeouts;
    context.http2 = m_config.http2;
    context.frameLogCapacity = m_config.frameLogCapacity;
    context.bodies = m_store.budget();
    return context;
}

void Engine::dispatch(qintptr fd, ListenerKind kind)
{
    const proxy::SessionContext context = sessionContext(kind);
    Worker *worker = m_workers[m_roundRobin++ % m_workers.size()];
    if (worker->thread() == QThread::currentThread())
        worker->accept(fd, context);
    else
        QMetaObject::invokeMethod(
            worker, [worker, fd, context] { worker->accept(fd, context); }, Qt::QueuedConnection);
}

void Engine::send(ComposedRequest request, const ComposeOptions &options, QObject *receiver,
                  std::function<void(const ComposedResponse &)> done)
{
    // Called on a worker thread: the answer goes back to this (the engine's) thread, and to
    // `receiver` only if it is still there. The engine outlives its workers' clients.
    QPointer<QObject> guard(receiver);
    auto report = [this, guard, done = std::move(done)](const ComposedResponse &response) {
        QMetaObject::invokeMethod(
            this,
            [guard, done, response] {
                if (guard)
                    done(response);
            },
            Qt::QueuedConnection);
    };
    if (m_workers.empty()) {
        ComposedResponse none;
        none.error = QStringLiteral("the engine is not running");
        report(none);
        return;
    }
    proxy::SessionContext context = sessionContext(ListenerKind::Http);
    context.clientAddress = "composer #" + std::to_string(context.connectionId);
    if (context.intercept && context.intercept->verifyServers != options.verifyServers) {
        auto copy = std::make_shared<proxy::InterceptConfig>(*context.intercept);
        copy->verifyServers = options.verifyServers;
        context.intercept = std::move(copy);
    }
    std::shared_ptr<const upstream::ChainRules> rules;
    if (options.upstream)
        rules = std::make_shared<const upstream::ChainRules>(*options.upstream);
    Worker *worker = m_workers[m_roundRobin++ % m_workers.size()];
    QMetaObject::invokeMethod(
        worker,
        [worker, context, rules, request = std::move(request), timeout = options.timeoutMs,
         report = std::move(report)]() mutable {
            worker->compose(std::move(request), context, rules, timeout, std::move(report));
        },
        Qt::QueuedConnection);
}

} // namespace ts::engine
