#pragma once

#include "core/engine/engine_config.h"

#include <QDialog>
#include <QHostAddress>

class QLabel;
class QSpinBox;

namespace ts::ui {

// Who listens on TCP `port` (any local address): "name (PID n)" from /proc for a process of
// this user, "" when it cannot be told (another user's process, no /proc).
QString portHolder(quint16 port);
// The first port from `from` on (wrapping below 65536 to 1024) that `address` can listen on;
// 0 when none is found within a few hundred tries.
quint16 findFreePort(const QHostAddress &address, quint16 from);

// The engine did not start (`error`): when one of `config`'s listen ports is taken,
// PortInUseDialog offers another and `config` gets it (true: try again); otherwise the error
// in a message box, so a start from the desktop, with no terminal, does not end in silence
// (false: give up).
bool offerAnotherPort(engine::EngineConfig &config, const QString &error);

// At start, when the proxy's listen port is taken: says so and by whom, and offers another
// port (a free one, editable) instead of leaving the user with no window and a line on a
// terminal they never saw. Accepted: port() is the one to try.
class PortInUseDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PortInUseDialog)

public:
    // `what`: the listener ("the proxy", "the HTTPS proxy"); `error`: the system's words.
    PortInUseDialog(const QString &what, const QHostAddress &address, quint16 busyPort,
                    const QString &error, QWidget *parent = nullptr);
    ~PortInUseDialog() override;

    quint16 port() const;
    QString messageText() const;

private:
    QLabel *m_message = nullptr;
    QSpinBox *m_port = nullptr;
};

} // namespace ts::ui
