#pragma once

#include "core/base/result.h"

#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <functional>

class QSocketNotifier;

namespace ts::engine {

// A listening TCP socket on a raw fd. QTcpServer listens with a backlog of 50 and gives no say
// over what happens when accept() fails for want of descriptors; this one listens with the
// system's maximum backlog, accepts in batches, and stops accepting (retrying on a timer)
// while the process is out of descriptors, so it never spins on a readable listener it cannot
// serve. Lives on one thread; onAccepted gets each new connection's fd (non-blocking).
class Listener final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Listener)

public:
    explicit Listener(QObject *parent = nullptr);
    ~Listener() override;

    Result<void> listen(const QHostAddress &address, quint16 port);
    QHostAddress serverAddress() const { return m_address; }
    quint16 serverPort() const { return m_port; }

    // Descriptors kept free for what accepted connections still need (server sockets, pipes,
    // files): accepting pauses once a new connection's fd is within this of the soft limit.
    static int reservedDescriptors();
    // The backlog listen() asks for: the system's maximum (net.core.somaxconn).
    static int maximumBacklog();

    std::function<void(qintptr fd)> onAccepted;
    // Accepting paused for want of descriptors (true), or resumed (false); once per change.
    std::function<void(bool paused)> onPausedChanged;

private:
    void acceptReady();
    void pause();

    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry; // while paused: try again
    bool m_paused = false;
    QHostAddress m_address;
    quint16 m_port = 0;
};

} // namespace ts::engine
