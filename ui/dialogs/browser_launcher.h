#pragma once

#include "core/base/result.h"

#include <QCoreApplication>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace ts::ui {

// Starts Chromium through the proxy with a fresh profile that trusts Tunnelscope's CA: a new
// temporary directory serves as user data directory and as HOME, whose .pki/nssdb (made with
// NSS's certutil) is where Chromium on Linux looks for trusted roots. The user's own profile
// and certificate store are never touched. commands() says exactly what launch() runs, so
// tests check the command lines without starting anything.
class BrowserLauncher
{
    Q_DECLARE_TR_FUNCTIONS(BrowserLauncher)

public:
    struct Command
    {
        QString program;
        QStringList arguments;
        QProcessEnvironment environment;
        bool detached = false; // the browser: started and left running
    };
    // Finds an executable by name on PATH ("" when none); a parameter for tests.
    using Finder = std::function<QString(const QString &name)>;

    // The first of chromium, chromium-browser, google-chrome; and certutil.
    static BrowserLauncher find(const QString &proxyAddress, const Finder &finder = {});

    BrowserLauncher(QString chromium, QString certutil, const QString &proxyAddress);

    // Both programs are there: only then may a button offer the launch.
    bool available() const { return !m_chromium.isEmpty() && !m_certutil.isEmpty(); }
    QString chromium() const { return m_chromium; }
    QString certutil() const { return m_certutil; }
    // "http://127.0.0.1:8080"; a wildcard listen address becomes the loopback one.
    QString proxyUrl() const { return m_proxyUrl; }

    // In order: create the NSS database, add the CA, start the browser.
    std::vector<Command> commands(const QString &profileDir) const;
    // Creates a profile directory under the system's temporary directory, writes caPem to
    // <profile>/ca.pem, runs commands(); returns the profile directory. The profile is left for
    // the browser, which keeps running after Tunnelscope; the next launch removes it once the
    // browser has exited (removeStaleProfiles()).
    Result<QString> launch(const std::string &caPem) const;

    // Removes the tunnelscope-chromium-* profiles under `tempDir` whose browser is gone: a
    // SingletonLock naming a process of this host that no longer runs, or no lock in a profile
    // made more than ten minutes ago. Returns how many were removed.
    static int removeStaleProfiles(const QString &tempDir);

    // Runs one command as launch() does: waits for certutil, leaves the browser running.
    // Returns what went wrong, or "".
    static QString run(const Command &command);
    // launch() with another way to run the commands (tests).
    using Runner = std::function<QString(const Command &)>;
    Result<QString> launch(const std::string &caPem, const Runner &runner) const;

private:
    QString m_chromium;
    QString m_certutil;
    QString m_proxyUrl;
};

} // namespace ts::ui
