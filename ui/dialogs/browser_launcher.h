#pragma once

#include "core/base/result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace ts::ui {

// Starts a browser through the proxy with a fresh, throw-away profile that trusts Tunnelscope's
// CA; the user's own profile and certificate store are never touched. A new temporary
// directory serves as profile and as HOME:
// - Chromium: --user-data-dir and --proxy-server; it trusts the roots in $HOME/.pki/nssdb,
//   made with NSS's certutil.
// - Firefox: -profile; the proxy is in the profile's user.js, and the CA in the profile's own
//   NSS database (cert9.db), again made with certutil before Firefox first opens it.
// commands() and firefoxPreferences() say exactly what launch() runs and writes, so tests check
// them without starting anything.
class BrowserLauncher
{
    Q_DECLARE_TR_FUNCTIONS(BrowserLauncher)

public:
    enum class Browser { Chromium, Firefox };

    struct Command
    {
        QString program;
        QStringList arguments;
        QProcessEnvironment environment;
        bool detached = false; // the browser: started and left running
    };
    // Finds an executable by name on PATH ("" when none); a parameter for tests.
    using Finder = std::function<QString(const QString &name)>;

    // Chromium: the first of chromium, chromium-browser, google-chrome. Firefox: firefox or
    // firefox-esr. And certutil.
    static BrowserLauncher find(Browser browser, const QString &proxyAddress,
                                const Finder &finder = {});

    BrowserLauncher(Browser browser, QString program, QString certutil,
                    const QString &proxyAddress);

    // Both programs are there: only then may a button offer the launch.
    bool available() const { return !m_program.isEmpty() && !m_certutil.isEmpty(); }
    Browser browser() const { return m_browser; }
    // "Chromium", "Firefox": the browser's name as a button shows it.
    QString name() const;
    QString program() const { return m_program; }
    QString certutil() const { return m_certutil; }
    // "http://127.0.0.1:8080"; a wildcard listen address becomes the loopback one.
    QString proxyUrl() const { return m_proxyUrl; }

    // In order: create the NSS database, add the CA, start the browser.
    std::vector<Command> commands(const QString &profileDir) const;
    // Firefox's user.js: the proxy for every scheme, loopback included, and the browser's own
    // background traffic (updates, telemetry, safe browsing, captive portal checks) off.
    QByteArray firefoxPreferences() const;
    // Creates a profile directory under the system's temporary directory, writes caPem to
    // <profile>/ca.pem (and, for Firefox, user.js), runs commands(); returns the profile
    // directory. The profile is left for the browser, which keeps running after Tunnelscope;
    // the next launch removes it once the browser has exited (removeStaleProfiles()).
    Result<QString> launch(const std::string &caPem) const;
    // What a window says after launch(): where the browser runs, or why it does not.
    QString describe(const Result<QString> &launched) const;

    // Removes the tunnelscope-chromium-* and tunnelscope-firefox-* profiles under `tempDir`
    // whose browser is gone: a lock (Chromium's SingletonLock, Firefox's lock) naming a process
    // that no longer runs, or no lock in a profile made more than ten minutes ago. Returns how
    // many were removed.
    static int removeStaleProfiles(const QString &tempDir);

    // Runs one command as launch() does: waits for certutil, leaves the browser running.
    // Returns what went wrong, or "".
    static QString run(const Command &command);
    // launch() with another way to run the commands (tests).
    using Runner = std::function<QString(const Command &)>;
    Result<QString> launch(const std::string &caPem, const Runner &runner) const;

private:
    QString nssDatabase(const QString &profileDir) const;

    Browser m_browser;
    QString m_program;
    QString m_certutil;
    QString m_proxyHost; // without brackets
    quint16 m_proxyPort = 0;
    QString m_proxyUrl;
};

} // namespace ts::ui
