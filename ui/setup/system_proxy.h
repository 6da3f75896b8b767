#pragma once

#include "core/base/result.h"
#include "ui/setup/command_runner.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

namespace ts::ui {

// The desktop's proxy setting, which GNOME and KDE applications (and browsers that follow the
// system, Chromium among them) read: set to the proxy while Tunnelscope asks for it, and put
// back as it was. GNOME keeps it in GSettings (org.gnome.system.proxy, written with
// gsettings), KDE in ~/.config/kioslaverc (written with kwriteconfig5/6). enable() reads the
// values it is about to change first; restore() writes exactly those back.
class SystemProxy
{
    Q_DECLARE_TR_FUNCTIONS(SystemProxy)

public:
    enum class Desktop { Gnome, Kde };

    explicit SystemProxy(CommandRunner &runner) : m_runner(runner) {}
    ~SystemProxy() = default;
    Q_DISABLE_COPY_MOVE(SystemProxy)

    // The desktops whose tools are installed.
    QList<Desktop> available() const;
    // Points `desktop` at host:port for HTTP and HTTPS; loopback stays direct.
    Result<void> enable(Desktop desktop, const QString &host, quint16 port);
    // Puts back what enable() changed on `desktop`; nothing when it changed nothing there.
    Result<void> restore(Desktop desktop);
    // The same on every desktop (the window does it on quit).
    Result<void> restoreAll();
    bool isActive(Desktop desktop) const;
    bool isActive() const { return !m_saved.isEmpty(); }

private:
    struct Saved
    {
        Desktop desktop;
        QStringList location; // gsettings: schema, key; kwriteconfig: file, group, key
        QString value;        // as read; for KDE "" means the key was not set
        bool present = true;
    };
    Result<void> enableGnome(const QString &host, quint16 port);
    Result<void> enableKde(const QString &host, quint16 port);
    Result<void> run(const QString &program, const QStringList &arguments);
    QString kdeTool(const QString &kind) const; // "kwriteconfig" -> kwriteconfig6 or 5
    void notifyKde();

    CommandRunner &m_runner;
    QList<Saved> m_saved;
};

} // namespace ts::ui
