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
// values it is about to change first; restore() writes exactly those back. With a journal, what
// enable() read is also kept in a file until restore() has put it back, so that the next start
// after a crash can put it back (recover()).
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

    // Keeps the values enable() read in `path` as well, with this process's id, until
    // restore() has put them back; "" keeps none. enable() fails when it cannot write it.
    void setJournal(const QString &path) { m_journal = path; }
    // Puts back what a journal left by a Tunnelscope that no longer runs says (it died with
    // the proxy on), then removes the journal. A journal whose process still runs is left
    // alone. Returns the desktops put back.
    Result<QList<Desktop>> recover();

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
    Result<void> writeJournal() const;

    CommandRunner &m_runner;
    QList<Saved> m_saved;
    QString m_journal;
};

} // namespace ts::ui
