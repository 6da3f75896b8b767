#pragma once

#include <QHostAddress>
#include <QObject>
#include <QSocketNotifier>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ts::engine {

// "127.0.0.1:8080" or "[::1]:8080".
QString formatEndpoint(const QHostAddress &address, quint16 port);

class TcpSocket;
// Sockets are often let go from inside one of their own callbacks: close at once, delete from
// the event loop.
struct DeleteLater
{
    void operator()(TcpSocket *socket) const;
};
using TcpSocketPtr = std::unique_ptr<TcpSocket, DeleteLater>;

// A non-blocking TCP socket on a raw fd under QSocketNotifier. QTcpSocket cannot half-close
// (no shutdown(SHUT_WR)) and closes the whole socket on read EOF, which a tunnel must not do;
// this class gives exact control of reading (for back-pressure), writing and half-close.
// Callbacks run on the owning thread; a callback may delete the socket's owner only through
// deleteLater().
class TcpSocket final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpSocket)

public:
    explicit TcpSocket(QObject *parent = nullptr);
    ~TcpSocket() override;

    bool adopt(qintptr fd); // an accepted, connected socket
    void connectTo(const QHostAddress &address, quint16 port);

    void write(std::string data);
    std::size_t pendingWrite() const { return m_pending; }
    void shutdownWrite(); // once the queue is written
    void closeAfterWrite();
    void close();
    void setReading(bool on);
    bool isOpen() const { return m_fd >= 0; }
    int fd() const { return m_fd; }

    // Hands readiness to someone else (a splice relay): while set, the socket neither reads
    // nor writes by itself; readable/writable are called instead. setWantWrite() asks for
    // writable. Clear with nullptr callbacks; the socket must have nothing queued.
    void setExternalIo(std::function<void()> readable, std::function<void()> writable);
    void setWantWrite(bool on);
    // The peer's EOF was seen by whoever read the socket last (the relay).
    void markReadEof() { m_readEof = true; }

    QString peerText() const; // "127.0.0.1:53412", "[::1]:80"
    // The same, asked of the kernel once per connection (a pooled connection is asked again
    // for every request it serves).
    const std::string &peerAddress() const;
    QString localText() const;
    static QString peerTextOf(qintptr fd);

    std::function<void()> onConnected;
    std::function<void(int error, const QString &message)> onConnectFailed;
    std::function<void(std::string_view)> onData;
    std::function<void()> onEof;
    std::function<void(const QString &message)> onError;
    std::function<void()> onDrained; // the write queue is empty
    std::function<void()> onClosed;  // a closeAfterWrite() finished

    static std::size_t lowWater;

private:
    void setupNotifiers();
    void readReady();
    void writeReady();
    void flush();
    void fail(const QString &message);
    void finishClose();

    int m_fd = -1;
    mutable std::string m_peerAddress; // peerAddress(), once known
    inline static const std::string kUnknownPeer = "?";
    bool m_connecting = false;
    bool m_reading = true;
    bool m_readEof = false;
    bool m_shutdownPending = false;
    bool m_closePending = false;
    bool m_writeShut = false;
    bool m_lingering = false; // written and shut: discarding input until EOF or a short timeout
    QSocketNotifier *m_readNotifier = nullptr; // children; let go with deleteLater()
    QSocketNotifier *m_writeNotifier = nullptr;
    std::deque<std::string> m_queue;
    std::size_t m_queueOffset = 0; // bytes of m_queue.front() already written
    std::size_t m_pending = 0;
    std::function<void()> m_externalReadable;
    std::function<void()> m_externalWritable;
};

} // namespace ts::engine
