#include "core/engine/tcp_socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ts::engine {

std::size_t TcpSocket::lowWater = 128 * 1024;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 8; // fairness between sockets of one thread

QString endpointText(const sockaddr_storage &ss)
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto *a = reinterpret_cast<const sockaddr_in *>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        return QString::fromLatin1(buf) + u':' + QString::number(ntohs(a->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto *a = reinterpret_cast<const sockaddr_in6 *>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        return u'[' + QString::fromLatin1(buf) + u"]:" + QString::number(ntohs(a->sin6_port));
    }
    return QStringLiteral("?");
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// Calls a copy: the callback may replace or drop the socket's own handler (the pool re-wires a
// socket released from inside its data callback), which must not destroy the running one.
template<typename F, typename... Args>
void invoke(const F &callback, Args &&...args)
{
    if (callback) {
        F copy = callback;
        copy(std::forward<Args>(args)...);
    }
}

} // namespace

QString formatEndpoint(const QHostAddress &address, quint16 port)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return u'[' + address.toString() + u"]:" + QString::number(port);
    return address.toString() + u':' + QString::number(port);
}

void DeleteLater::operator()(TcpSocket *socket) const
{
    socket->close(); // a closed socket raises no more callbacks
    socket->deleteLater();
}

TcpSocket::TcpSocket(QObject *parent) : QObject(parent)
{}

TcpSocket::~TcpSocket()
{
    close();
}

bool TcpSocket::adopt(qintptr fd)
{
    m_fd = int(fd);
    m_peerAddress.clear();
    const int flags = ::fcntl(m_fd, F_GETFL);
    ::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setupNotifiers();
    return true;
}

void TcpSocket::connectTo(const QHostAddress &address, quint16 port)
{
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &ip, 16);
        len = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        len = sizeof(sockaddr_in);
    }
    m_fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    m_peerAddress.clear();
    if (m_fd < 0) {
        const int e = errno;
        invoke(onConnectFailed, e, errnoText(e));
        return;
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    m_connecting = true;
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&ss), len) != 0 && errno != EINPROGRESS) {
        const int e = errno;
        ::close(m_fd);
        m_fd = -1;
        m_connecting = false;
        invoke(onConnectFailed, e, errnoText(e));
        return;
    }
    setupNotifiers();
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(true);
}

void TcpSocket::setupNotifiers()
{
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &TcpSocket::readReady);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &TcpSocket::writeReady);
}

void TcpSocket::write(std::string data)
{
    if (m_fd < 0 || m_writeShut || data.empty())
        return;
    m_pending += data.size();
    m_queue.push_back(std::move(data));
    if (!m_connecting && m_queue.size() == 1)
        flush();
}

void TcpSocket::shutdownWrite()
{
    if (m_fd < 0 || m_writeShut)
        return;
    m_shutdownPending = true;
    if (!m_connecting && m_queue.empty())
        flush();
}

void TcpSocket::closeAfterWrite()
{
    if (m_fd < 0 || m_closePending)
        return;
    m_closePending = true;
    m_reading = false;
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (!m_connecting && m_queue.empty())
        flush();
}

void TcpSocket::finishClose()
{
    close();
    invoke(onClosed);
}

void TcpSocket::close()
{
    // The notifiers may be mid-emission (close() from a callback): disable now, delete later.
    for (QSocketNotifier *n : {m_readNotifier, m_writeNotifier}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
    m_readNotifier = nullptr;
    m_writeNotifier = nullptr;
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_queue.clear();
    m_pending = 0;
}

void TcpSocket::setReading(bool on)
{
    m_reading = on;
    if (m_readNotifier && !m_connecting && !m_readEof && !m_closePending)
        m_readNotifier->setEnabled(on);
}

QString TcpSocket::peerText() const
{
    return peerTextOf(m_fd);
}

const std::string &TcpSocket::peerAddress() const
{
    if (m_peerAddress.empty() && m_fd >= 0) {
        std::string text = peerTextOf(m_fd).toStdString();
        if (text != "?") // not connected (yet): ask again next time
            m_peerAddress = std::move(text);
        else
            return kUnknownPeer;
    }
    return m_peerAddress;
}

QString TcpSocket::peerTextOf(qintptr fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (fd < 0 || ::getpeername(int(fd), reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return QStringLiteral("?");
    return endpointText(ss);
}

QString TcpSocket::localText() const
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (m_fd < 0 || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return QStringLiteral("?");
    return endpointText(ss);
}

void TcpSocket::setExternalIo(std::function<void()> readable, std::function<void()> writable)
{
    m_externalReadable = std::move(readable);
    m_externalWritable = std::move(writable);
    if (m_writeNotifier && !m_externalWritable)
        m_writeNotifier->setEnabled(!m_queue.empty());
}

void TcpSocket::setWantWrite(bool on)
{
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(on);
}

void TcpSocket::readReady()
{
    if (m_externalReadable && !m_lingering) {
        invoke(m_externalReadable);
        return;
    }
    // On the stack, not a member: a 64 KiB buffer per socket was most of what an idle
    // keep-alive connection cost (89 KB each, 2,000 idle clients took 150 MB). Readers copy
    // what they keep; the view never outlives this call.
    char buffer[kReadChunk];
    if (m_lingering) {
        // Closing: the peer may still be sending (say, the rest of an oversized request). Read
        // and drop it so our answer is not destroyed by a reset, and close at its EOF.
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            finishClose();
        return;
    }
    for (int i = 0; i < kReadsPerWakeup && m_fd >= 0 && m_reading && !m_readEof; ++i) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            invoke(onData, std::string_view(buffer, std::size_t(n)));
            if (std::size_t(n) < sizeof buffer)
                break;
            continue;
        }
        if (n == 0) {
            m_readEof = true;
            if (m_readNotifier)
                m_readNotifier->setEnabled(false);
            invoke(onEof);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            break;
        fail(errnoText(errno));
        return;
    }
}

void TcpSocket::writeReady()
{
    if (m_externalWritable && !m_connecting) {
        invoke(m_externalWritable);
        return;
    }
    if (m_connecting) {
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &len);
        m_connecting = false;
        if (error != 0) {
            close();
            invoke(onConnectFailed, error, errnoText(error));
            return;
        }
        m_writeNotifier->setEnabled(false);
        m_readNotifier->setEnabled(m_reading && !m_closePending);
        invoke(onConnected);
        if (m_fd >= 0 && (!m_queue.empty() || m_shutdownPending || m_closePending))
            flush();
        return;
    }
    flush();
}

void TcpSocket::flush()
{
    while (m_fd >= 0 && !m_queue.empty()) {
        iovec iov[16];
        int count = 0;
        std::size_t offset = m_queueOffset;
        for (auto it = m_queue.begin(); it != m_queue.end() && count < 16; ++it) {
            iov[count].iov_base = it->data() + offset;
            iov[count].iov_len = it->size() - offset;
            offset = 0;
            ++count;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = std::size_t(count);
        const ssize_t n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                m_writeNotifier->setEnabled(true);
                return;
            }
            fail(errnoText(errno));
            return;
        }
        std::size_t written = std::size_t(n);
        m_pending -= written;
        while (written > 0) {
            const std::size_t left = m_queue.front().size() - m_queueOffset;
            if (written >= left) {
                written -= left;
                m_queue.pop_front();
                m_queueOffset = 0;
            } else {
                m_queueOffset += written;
                written = 0;
            }
        }
    }
    if (m_fd < 0)
        return;
    m_writeNotifier->setEnabled(false);
    if (m_closePending) {
        if (m_readEof) {
            finishClose();
            return;
        }
        ::shutdown(m_fd, SHUT_WR);
        m_writeShut = true;
        m_lingering = true;
        m_readNotifier->setEnabled(true);
        QTimer::singleShot(2000, this, [this] {
            if (m_lingering && m_fd >= 0)
                finishClose();
        });
        return;
    }
    if (m_shutdownPending && !m_writeShut) {
        ::shutdown(m_fd, SHUT_WR);
        m_writeShut = true;
        m_shutdownPending = false;
    }
    invoke(onDrained);
}

void TcpSocket::fail(const QString &message)
{
    if (m_closePending) {
        finishClose(); // the owner only waits for the close now
        return;
    }
    close();
    invoke(onError, message);
}

} // namespace ts::engine
