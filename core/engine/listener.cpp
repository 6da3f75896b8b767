#include "core/engine/listener.h"

#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ts::engine {

namespace {
// Connections accepted per wakeup: a burst of thousands is taken in a few wakeups, while the
// thread's other sockets still get their turn between batches.
constexpr int kAcceptBatch = 256;
// While out of descriptors, how often to look again: rare enough to cost nothing, soon enough
// that a client waiting in the backlog is served shortly after descriptors come free.
constexpr int kRetryMs = 100;

int softFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 1 << 20;
    return int(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
}
} // namespace

int Listener::maximumBacklog()
{
    // listen() silently truncates to somaxconn; asking for it exactly keeps the number honest.
    int value = 0;
    std::ifstream in("/proc/sys/net/core/somaxconn");
    if (in >> value && value > 0)
        return value;
    return SOMAXCONN;
}

int Listener::reservedDescriptors()
{
    // A thirty-second of the limit (32 of the desktop's 1024), at least 16: enough for the
    // server sides of the connections accepted last, name lookups, and the HAR at exit.
    return std::max(16, softFileLimit() / 32);
}

Listener::Listener(QObject *parent) : QObject(parent)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        // Still near the limit? The lowest free descriptor says so without taking a client
        // (which would eat into the reserve one connection per retry).
        const int probe = ::fcntl(m_fd, F_DUPFD_CLOEXEC, 0);
        if (probe >= 0)
            ::close(probe);
        if (probe < 0 || probe >= softFileLimit() - reservedDescriptors()) {
            m_retry.start(kRetryMs);
            return;
        }
        if (m_notifier)
            m_notifier->setEnabled(true);
        acceptReady();
    });
}

Listener::~Listener()
{
    delete m_notifier;
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<void> Listener::listen(const QHostAddress &address, quint16 port)
{
    const auto fail = [this](int error) -> Result<void> {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        std::string text = std::strerror(error);
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        return Error{"listen.failed", text};
    };
    sockaddr_storage ss{};
    socklen_t length = 0;
    int family = AF_INET;
    // QHostAddress::Any is both families (a dual-stack IPv6 socket); "::" is IPv6 only.
    const bool dualStack = address == QHostAddress::Any;
    if (dualStack || address.protocol() == QAbstractSocket::IPv6Protocol) {
        family = AF_INET6;
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip = dualStack ? QHostAddress(QHostAddress::AnyIPv6).toIPv6Address()
                                        : address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &ip, 16);
        a->sin6_scope_id = address.scopeId().toUInt();
        length = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    m_fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0 && dualStack) {
        // No IPv6 on this machine: "any" is IPv4's.
        family = AF_INET;
        ss = {};
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        length = sizeof(sockaddr_in);
        m_fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (m_fd < 0)
        return fail(errno);
    const int one = 1;
    // A restarted proxy must get its port back while old connections sit in TIME_WAIT.
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        const int v6only = dualStack ? 0 : 1;
        ::setsockopt(m_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (::bind(m_fd, reinterpret_cast<sockaddr *>(&ss), length) != 0)
        return fail(errno);
    if (::listen(m_fd, maximumBacklog()) != 0)
        return fail(errno);

    sockaddr_storage bound{};
    socklen_t boundLength = sizeof bound;
    ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&bound), &boundLength);
    QHostAddress boundAddress(reinterpret_cast<sockaddr *>(&bound));
    if (dualStack)
        boundAddress = QHostAddress::Any; // what QTcpServer reports, and what was asked
    m_address = boundAddress;
    m_port = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);

    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] { acceptReady(); });
    return {};
}

void Listener::acceptReady()
{
    const int ceiling = softFileLimit() - reservedDescriptors();
    for (int i = 0; i < kAcceptBatch; ++i) {
        const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            switch (errno) {
            case EINTR:
            case ECONNABORTED: // the client gave up while queued; the next one may be fine
            case EPROTO:
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                pause();
                return;
            default: // EAGAIN: the queue is empty
                break;
            }
            break;
        }
        if (onAccepted)
            onAccepted(fd);
        // The kernel hands out the lowest free descriptor: one this high means the process is
        // near its limit. Serve this client, then wait before taking more, leaving the reserve
        // to the connections already accepted.
        if (fd >= ceiling) {
            pause();
            return;
        }
        if (m_paused) {
            m_paused = false;
            if (onPausedChanged)
                onPausedChanged(false);
        }
    }
}

void Listener::pause()
{
    // Level-triggered: a readable listener that is not accepted from wakes the loop at once,
    // forever. Stop listening for readiness and look again on a timer; clients wait in the
    // backlog meanwhile.
    if (m_notifier)
        m_notifier->setEnabled(false);
    m_retry.start(kRetryMs);
    if (!m_paused) {
        m_paused = true;
        if (onPausedChanged)
            onPausedChanged(true);
    }
}

} // namespace ts::engine
