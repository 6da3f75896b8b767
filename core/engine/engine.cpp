#include "core/engine/engine.h"

#include "core/engine/client_driver.h"
#include "core/engine/server_pool.h"
#include "core/engine/tcp_socket.h"
#include "core/flow/flow_store.h"

#include <QNetworkInterface>
#include <QTcpServer>

#include <algorithm>

namespace ts::engine {

// Accepts on the first worker's thread and hands each connection's descriptor to a worker.
class Listener final : public QTcpServer
{
public:
    explicit Listener(Engine &engine) : m_engine(engine) {}

protected:
    void incomingConnection(qintptr fd) override { m_engine.dispatch(fd); }

private:
    Engine &m_engine;
};

// ------------------------------------------------------------------------------------ Worker

Worker::Worker(const EngineConfig &config, flow::FlowStore &store, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_store(store)
{
}

Worker::~Worker() = default;

void Worker::setOwnEndpoint(const QHostAddress &address, quint16 port)
{
    m_listenAddress = address;
    m_listenPort = port;
    m_localAddresses = QNetworkInterface::allAddresses();
}

bool Worker::isOwnEndpoint(const QHostAddress &address, quint16 port) const
{
    if (port != m_listenPort)
        return false;
    if (address.isEqual(m_listenAddress, QHostAddress::TolerantConversion))
        return true;
    const bool listensEverywhere = m_listenAddress == QHostAddress::Any
                                   || m_listenAddress == QHostAddress::AnyIPv4
                                   || m_listenAddress == QHostAddress::AnyIPv6;
    if (address.isLoopback())
        return listensEverywhere || m_listenAddress.isLoopback();
    if (!listensEverywhere)
        return false;
    return std::any_of(m_localAddresses.begin(), m_localAddresses.end(), [&](const QHostAddress &a) {
        return a.isEqual(address, QHostAddress::TolerantConversion);
    });
}

void Worker::accept(qintptr fd, const proxy::SessionContext &context)
{
    if (!m_pool)
        m_pool = std::make_unique<ServerPool>(m_config.maxIdleServerConnectionsPerOrigin,
                                              m_config.serverIdleTimeoutMs);
    proxy::SessionContext c = context;
    c.clientAddress = TcpSocket::peerTextOf(fd).toStdString();
    auto *driver = new ClientDriver(*this, fd, std::move(c));
    driver->setParent(this);
    driver->start();
}

// ------------------------------------------------------------------------------------ Engine

Engine::Engine(EngineConfig config, flow::FlowStore &store, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_store(store)
    , m_nextFlowId(std::make_shared<std::atomic<std::uint64_t>>(0))
{
}

Engine::~Engine()
{
    stop();
}

Result<void> Engine::start()
{
    if (m_listener)
        return {};
    QHostAddress address;
    if (m_config.listenHost == u"localhost")
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(m_config.listenHost))
        return Error{"listen.address", "'" + m_config.listenHost.toStdString()
                                           + "' is not an IP address to listen on"};

    int count = m_config.workers > 0 ? m_config.workers
                                     : std::clamp(QThread::idealThreadCount(), 1, 4);
    for (int i = 0; i < count; ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(QStringLiteral("tunnelscope-worker-%1").arg(i));
        auto *worker = new Worker(m_config, m_store);
        worker->moveToThread(thread.get());
        connect(thread.get(), &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        m_workers.push_back(worker);
        m_threads.push_back(std::move(thread));
    }

    QString error;
    QMetaObject::invokeMethod(
        m_workers.front(),
        [&] {
            auto *listener = new Listener(*this);
            if (!listener->listen(address, m_config.listenPort)) {
                error = listener->errorString();
                delete listener;
                return;
            }
            m_listener = listener;
            m_boundAddress = listener->serverAddress();
            m_boundPort = listener->serverPort();
        },
        Qt::BlockingQueuedConnection);

    if (!m_listener) {
        stop();
        return Error{"listen.failed", "cannot listen on " + m_config.listenHost.toStdString() + ":"
                                          + std::to_string(m_config.listenPort) + ": "
                                          + error.toLower().toStdString()};
    }
    for (Worker *worker : m_workers) {
        const QHostAddress a = m_boundAddress;
        const quint16 p = m_boundPort;
        QMetaObject::invokeMethod(
            worker, [worker, a, p] { worker->setOwnEndpoint(a, p); }, Qt::BlockingQueuedConnection);
    }
    return {};
}

void Engine::stop()
{
    if (m_listener) {
        Listener *listener = m_listener;
        QMetaObject::invokeMethod(
            m_workers.front(), [listener] { delete listener; }, Qt::BlockingQueuedConnection);
        m_listener = nullptr;
    }
    for (auto &thread : m_threads) {
        thread->quit();
        thread->wait();
    }
    m_threads.clear();
    m_workers.clear();
}

QString Engine::listenAddress() const
{
    const QHostAddress a = m_boundAddress.isNull() ? QHostAddress(m_config.listenHost)
                                                   : m_boundAddress;
    const quint16 port = m_boundPort ? m_boundPort : m_config.listenPort;
    return formatEndpoint(a, port);
}

void Engine::dispatch(qintptr fd)
{
    proxy::SessionContext context;
    context.connectionId = ++m_nextConnection;
    context.listenAddress = listenAddress().toStdString();
    context.http1 = m_config.http1;
    context.proxy = m_config.proxy;
    context.timeouts = m_config.timeouts;
    context.bodies = m_store.budget();
    context.nextFlowId = m_nextFlowId;
    Worker *worker = m_workers[m_roundRobin++ % m_workers.size()];
    if (worker->thread() == QThread::currentThread())
        worker->accept(fd, context);
    else
        QMetaObject::invokeMethod(
            worker, [worker, fd, context] { worker->accept(fd, context); }, Qt::QueuedConnection);
}

} // namespace ts::engine
