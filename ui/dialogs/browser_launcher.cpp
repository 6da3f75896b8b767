#include "ui/dialogs/browser_launcher.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>

#include <cerrno>
#include <csignal>

#include <unistd.h>

namespace ts::ui {

namespace {

// "0.0.0.0:8080" -> "127.0.0.1:8080", "[::]:8080" -> "[::1]:8080", others as they are.
QString proxyEndpoint(const QString &address)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return address;
    QString host = address.left(colon);
    const QString port = address.mid(colon + 1);
    const bool bracketed = host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']'));
    if (bracketed)
        host = host.mid(1, host.size() - 2);
    const QHostAddress a(host);
    if (a == QHostAddress(QHostAddress::AnyIPv4))
        host = QStringLiteral("127.0.0.1");
    else if (a == QHostAddress(QHostAddress::AnyIPv6))
        host = QStringLiteral("::1");
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    return host + QLatin1Char(':') + port;
}

// A profile without a browser's lock is left alone this long after it was made.
constexpr qint64 kProfileSetupSeconds = 10 * 60;

QString runAndWait(const BrowserLauncher::Command &command)
{
    QProcess p;
    p.setProgram(command.program);
    p.setArguments(command.arguments);
    p.setProcessEnvironment(command.environment);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start();
    if (!p.waitForStarted(10000))
        return p.errorString();
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished(1000);
        return BrowserLauncher::tr("%1 did not finish").arg(command.program);
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
        return BrowserLauncher::tr("%1 failed (exit code %2): %3")
            .arg(command.program)
            .arg(p.exitCode())
            .arg(err);
    }
    return {};
}

} // namespace

BrowserLauncher BrowserLauncher::find(const QString &proxyAddress, const Finder &finder)
{
    const Finder look = finder ? finder : [](const QString &name) {
        return QStandardPaths::findExecutable(name);
    };
    QString chromium;
    for (const char *name : {"chromium", "chromium-browser", "google-chrome"}) {
        chromium = look(QLatin1String(name));
        if (!chromium.isEmpty())
            break;
    }
    return BrowserLauncher(chromium, look(QStringLiteral("certutil")), proxyAddress);
}

BrowserLauncher::BrowserLauncher(QString chromium, QString certutil, const QString &proxyAddress)
    : m_chromium(std::move(chromium))
    , m_certutil(std::move(certutil))
    , m_proxyUrl(QStringLiteral("http://") + proxyEndpoint(proxyAddress))
{}

std::vector<BrowserLauncher::Command> BrowserLauncher::commands(const QString &profileDir) const
{
    const QString db = QStringLiteral("sql:") + profileDir + QStringLiteral("/.pki/nssdb");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Chromium reads $HOME/.pki/nssdb; its config and cache go with HOME as well, so nothing of
    // the user's own browser is read or written.
    env.insert(QStringLiteral("HOME"), profileDir);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), profileDir + QStringLiteral("/.config"));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), profileDir + QStringLiteral("/.cache"));

    std::vector<Command> out;
    out.push_back(
        {m_certutil,
         {QStringLiteral("-d"), db, QStringLiteral("-N"), QStringLiteral("--empty-password")},
         env,
         false});
    out.push_back({m_certutil,
                   {QStringLiteral("-d"), db, QStringLiteral("-A"), QStringLiteral("-t"),
                    QStringLiteral("C,,"), QStringLiteral("-n"), QStringLiteral("tunnelscope"),
                    QStringLiteral("-i"), profileDir + QStringLiteral("/ca.pem")},
                   env,
                   false});
    QStringList browser{
        QStringLiteral("--user-data-dir=") + profileDir,
        QStringLiteral("--proxy-server=") + m_proxyUrl,
        // Chromium sends localhost past any proxy unless told otherwise; a
        // local app is what people debug most.
        QStringLiteral("--proxy-bypass-list=<-loopback>"), QStringLiteral("--no-first-run"),
        QStringLiteral("--no-default-browser-check"),
        // The browser's own traffic (updates, sync, safe browsing, metrics)
        // would fill the table before the user's first page.
        QStringLiteral("--disable-background-networking"),
        QStringLiteral("--disable-component-update"), QStringLiteral("--disable-sync"),
        QStringLiteral("--disable-default-apps"), QStringLiteral("--disable-domain-reliability"),
        QStringLiteral("--disable-client-side-phishing-detection"), QStringLiteral("--no-pings")};
    // Chromium refuses to start as root with its sandbox on.
    if (::geteuid() == 0)
        browser << QStringLiteral("--no-sandbox");
    out.push_back({m_chromium, browser, env, true});
    return out;
}

QString BrowserLauncher::run(const Command &command)
{
    if (!command.detached)
        return runAndWait(command);
    QProcess p;
    p.setProgram(command.program);
    p.setArguments(command.arguments);
    p.setProcessEnvironment(command.environment);
    p.setStandardInputFile(QProcess::nullDevice());
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setStandardErrorFile(QProcess::nullDevice());
    if (!p.startDetached())
        return tr("could not start %1: %2").arg(command.program, p.errorString());
    return {};
}

Result<QString> BrowserLauncher::launch(const std::string &caPem) const
{
    return launch(caPem, &BrowserLauncher::run);
}

int BrowserLauncher::removeStaleProfiles(const QString &tempDir)
{
    const QString host = QSysInfo::machineHostName();
    int removed = 0;
    const QDir base(tempDir);
    const QStringList names = base.entryList({QStringLiteral("tunnelscope-chromium-*")},
                                             QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : names) {
        const QString profile = base.filePath(name);
        // Chromium keeps "<host>-<pid>" as the target of this symbolic link while it runs.
        const QString lock = QFileInfo(profile + QStringLiteral("/SingletonLock")).symLinkTarget();
        bool running = false;
        if (lock.isEmpty()) {
            // No browser yet: a launch (of another instance, perhaps) may be preparing it.
            running = QFileInfo(profile).lastModified().secsTo(QDateTime::currentDateTime())
                      < kProfileSetupSeconds;
        } else {
            const QString target = QFileInfo(lock).fileName();
            const qsizetype dash = target.lastIndexOf(QLatin1Char('-'));
            bool ok = false;
            const long pid = target.mid(dash + 1).toLong(&ok);
            if (dash <= 0 || !ok || pid <= 0 || target.left(dash) != host)
                running = true; // another host's, or unreadable: not ours to judge
            else
                running = ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
        }
        if (!running && QDir(profile).removeRecursively())
            ++removed;
    }
    return removed;
}

Result<QString> BrowserLauncher::launch(const std::string &caPem, const Runner &runner) const
{
    if (!available())
        return Error{"browser.missing", tr("Chromium or certutil is not installed").toStdString()};
    removeStaleProfiles(QDir::tempPath());
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tunnelscope-chromium-XXXXXX"));
    if (!dir.isValid())
        return Error{
            "browser.profile",
            tr("cannot create a profile directory: %1").arg(dir.errorString()).toStdString()};
    dir.setAutoRemove(false); // the browser outlives this call
    const QString profile = dir.path();
    if (!QDir(profile).mkpath(QStringLiteral(".pki/nssdb")))
        return Error{"browser.profile",
                     tr("cannot create %1/.pki/nssdb").arg(profile).toStdString()};
    QFile pem(profile + QStringLiteral("/ca.pem"));
    if (!pem.open(QIODevice::WriteOnly)
        || pem.write(caPem.data(), qint64(caPem.size())) != qint64(caPem.size()))
        return Error{"browser.profile", tr("cannot write %1").arg(pem.fileName()).toStdString()};
    pem.close();
    for (const Command &command : commands(profile)) {
        if (const QString error = runner(command); !error.isEmpty()) {
            QDir(profile).removeRecursively(); // nothing runs in it yet
            return Error{"browser.launch", error.toStdString()};
        }
    }
    return profile;
}

} // namespace ts::ui
