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

using namespace Qt::StringLiterals;

namespace {

struct Endpoint
{
    QString host; // without brackets
    quint16 port = 0;
    QString text; // "127.0.0.1:8080", "[::1]:8080"
};

// "0.0.0.0:8080" -> 127.0.0.1:8080, "[::]:8080" -> [::1]:8080, others as they are.
Endpoint proxyEndpoint(const QString &address)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return {address, 0, address};
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
    const QString shown
        = host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return {host, quint16(port.toUInt()), shown + QLatin1Char(':') + port};
}

// A profile without a browser's lock is left alone this long after it was made.
constexpr qint64 kProfileSetupSeconds = 10 * 60;

QString profilePrefix(BrowserLauncher::Browser browser)
{
    return browser == BrowserLauncher::Browser::Firefox ? u"tunnelscope-firefox-"_s
                                                        : u"tunnelscope-chromium-"_s;
}

// The pid a profile's lock names, 0 when there is no lock, -1 when the lock is not ours to
// judge (another host's, or unreadable). Chromium's SingletonLock links to "<host>-<pid>",
// Firefox's lock to "<address>:+<pid>"; both are removed when the browser exits cleanly.
long lockOwner(const QString &profile)
{
    const QString chromium = QFileInfo(profile + u"/SingletonLock"_s).symLinkTarget();
    if (!chromium.isEmpty()) {
        const QString target = QFileInfo(chromium).fileName();
        const qsizetype dash = target.lastIndexOf(QLatin1Char('-'));
        bool ok = false;
        const long pid = target.mid(dash + 1).toLong(&ok);
        if (dash <= 0 || !ok || pid <= 0 || target.left(dash) != QSysInfo::machineHostName())
            return -1;
        return pid;
    }
    // Firefox's target is not a path: read the link itself.
    QByteArray target(256, '\0');
    const QByteArray lock = QFile::encodeName(profile + u"/lock"_s);
    const ssize_t n = ::readlink(lock.constData(), target.data(), size_t(target.size()));
    if (n <= 0)
        return 0;
    target.truncate(n);
    const qsizetype plus = target.lastIndexOf(":+");
    bool ok = false;
    const long pid = plus < 0 ? 0 : target.mid(plus + 2).toLong(&ok);
    return ok && pid > 0 ? pid : -1;
}

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

// A JavaScript string literal for user.js.
QByteArray jsString(const QString &text)
{
    QByteArray out = text.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"");
    return '"' + out + '"';
}

} // namespace

BrowserLauncher BrowserLauncher::find(Browser browser, const QString &proxyAddress,
                                      const Finder &finder)
{
    const Finder look = finder ? finder : [](const QString &name) {
        return QStandardPaths::findExecutable(name);
    };
    const QStringList names
        = browser == Browser::Firefox
              ? QStringList{u"firefox"_s, u"firefox-esr"_s}
              : QStringList{u"chromium"_s, u"chromium-browser"_s, u"google-chrome"_s};
    QString program;
    for (const QString &name : names) {
        program = look(name);
        if (!program.isEmpty())
            break;
    }
    return BrowserLauncher(browser, program, look(QStringLiteral("certutil")), proxyAddress);
}

BrowserLauncher::BrowserLauncher(Browser browser, QString program, QString certutil,
                                 const QString &proxyAddress)
    : m_browser(browser), m_program(std::move(program)), m_certutil(std::move(certutil))
{
    const Endpoint endpoint = proxyEndpoint(proxyAddress);
    m_proxyHost = endpoint.host;
    m_proxyPort = endpoint.port;
    m_proxyUrl = QStringLiteral("http://") + endpoint.text;
}

QString BrowserLauncher::name() const
{
    return m_browser == Browser::Firefox ? u"Firefox"_s : u"Chromium"_s;
}

QString BrowserLauncher::nssDatabase(const QString &profileDir) const
{
    // Firefox keeps cert9.db in the profile itself; Chromium reads $HOME/.pki/nssdb.
    return u"sql:"_s + profileDir + (m_browser == Browser::Firefox ? QString() : u"/.pki/nssdb"_s);
}

std::vector<BrowserLauncher::Command> BrowserLauncher::commands(const QString &profileDir) const
{
    const QString db = nssDatabase(profileDir);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // An X server finds its cookie in $HOME/.Xauthority unless told otherwise: keep the
    // user's, since HOME changes below.
    const QString xauthority = QDir::homePath() + u"/.Xauthority"_s;
    if (!env.contains(u"XAUTHORITY"_s) && QFileInfo::exists(xauthority))
        env.insert(u"XAUTHORITY"_s, xauthority);
    // The browser's config and cache go with HOME, so nothing of the user's own browser is
    // read or written (Chromium also reads $HOME/.pki/nssdb).
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
    if (m_browser == Browser::Firefox) {
        // Firefox honours services.settings.server (user.js) only with this set.
        env.insert(u"MOZ_REMOTE_SETTINGS_DEVTOOLS"_s, u"1"_s);
        for (Command &c : out)
            c.environment = env;
        // Its own instance even when the user's Firefox runs: no remote to hand the profile to.
        out.push_back({m_program,
                       {u"--no-remote"_s, u"--new-instance"_s, u"-profile"_s, profileDir},
                       env,
                       true});
        return out;
    }
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
    out.push_back({m_program, browser, env, true});
    return out;
}

QByteArray BrowserLauncher::firefoxPreferences() const
{
    QByteArray out = "// Written by Tunnelscope for a throw-away profile.\n";
    const auto pref = [&out](const char *name, const QByteArray &value) {
        out += "user_pref(\"" + QByteArray(name) + "\", " + value + ");\n";
    };
    const QByteArray host = jsString(m_proxyHost);
    const QByteArray port = QByteArray::number(m_proxyPort);
    // The proxy, manual, for http and https; the rest of the schemes share it.
    pref("network.proxy.type", "1");
    pref("network.proxy.http", host);
    pref("network.proxy.http_port", port);
    pref("network.proxy.ssl", host);
    pref("network.proxy.ssl_port", port);
    pref("network.proxy.share_proxy_settings", "true");
    // Firefox sends localhost past any proxy unless told otherwise; a local app is what
    // people debug most.
    pref("network.proxy.no_proxies_on", "\"\"");
    pref("network.proxy.allow_hijacking_localhost", "true");
    // DNS over HTTPS would resolve past the proxy.
    pref("network.trr.mode", "5");
    // First run: no welcome pages, no default browser question.
    pref("browser.shell.checkDefaultBrowser", "false");
    pref("browser.aboutwelcome.enabled", "false");
    // A blank first page: Firefox's home page fetches its search engine icons.
    pref("browser.startup.homepage", "\"about:blank\"");
    pref("browser.startup.homepage_override.mstone", "\"ignore\"");
    pref("startup.homepage_welcome_url", "\"\"");
    pref("startup.homepage_welcome_url.additional", "\"\"");
    pref("datareporting.policy.firstRunURL", "\"\"");
    // The browser's own traffic would fill the table before the user's first page.
    pref("datareporting.policy.dataSubmissionEnabled", "false");
    pref("datareporting.healthreport.uploadEnabled", "false");
    pref("toolkit.telemetry.enabled", "false");
    pref("toolkit.telemetry.unified", "false");
    pref("app.update.auto", "false");
    pref("app.normandy.enabled", "false");
    pref("app.shield.optoutstudies.enabled", "false");
    pref("extensions.update.enabled", "false");
    pref("extensions.getAddons.cache.enabled", "false");
    pref("extensions.systemAddon.update.enabled", "false");
    pref("browser.safebrowsing.malware.enabled", "false");
    pref("browser.safebrowsing.phishing.enabled", "false");
    pref("browser.safebrowsing.downloads.enabled", "false");
    pref("browser.safebrowsing.blockedURIs.enabled", "false");
    pref("network.captive-portal-service.enabled", "false");
    pref("network.connectivity-service.enabled", "false");
    pref("browser.newtabpage.enabled", "false");
    pref("browser.topsites.contile.enabled", "false");
    pref("browser.region.update.enabled", "false");
    pref("browser.region.network.url", "\"\"");
    pref("browser.discovery.enabled", "false");
    pref("media.gmp-gmpopenh264.enabled", "false");
    // Found by running it through the proxy: remote settings, web push, Glean telemetry and
    // the media plug-in updates still call home with everything above off.
    pref("services.settings.server", "\"data:,#remote-settings-dummy/v1\"");
    pref("dom.push.connection.enabled", "false");
    pref("toolkit.telemetry.server", "\"data:,\"");
    pref("telemetry.fog.test.localhost_port", "-1");
    pref("media.gmp-manager.updateEnabled", "false");
    pref("media.gmp-manager.url", "\"data:,\"");
    pref("media.gmp-widevinecdm.enabled", "false");
    // Typing in the address bar fetches search suggestions and engine icons.
    pref("browser.search.suggest.enabled", "false");
    pref("browser.urlbar.suggest.searches", "false");
    pref("browser.urlbar.suggest.engines", "false");
    pref("browser.urlbar.suggest.trending", "false");
    pref("browser.urlbar.quicksuggest.enabled", "false");
    pref("network.prefetch-next", "false");
    pref("network.dns.disablePrefetch", "true");
    pref("network.http.speculative-parallel-limit", "0");
    pref("browser.places.speculativeConnect.enabled", "false");
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

QString BrowserLauncher::describe(const Result<QString> &launched) const
{
    if (!launched)
        return tr("Could not launch %1: %2")
            .arg(name(), QString::fromStdString(launched.error().message));
    return tr("%1 started with the profile %2, through %3")
        .arg(name(), QDir::toNativeSeparators(*launched), m_proxyUrl);
}

int BrowserLauncher::removeStaleProfiles(const QString &tempDir)
{
    int removed = 0;
    const QDir base(tempDir);
    const QStringList names = base.entryList(
        {profilePrefix(Browser::Chromium) + u'*', profilePrefix(Browser::Firefox) + u'*'},
        QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : names) {
        const QString profile = base.filePath(name);
        const long pid = lockOwner(profile);
        bool running = false;
        if (pid == 0) {
            // No browser yet: a launch (of another instance, perhaps) may be preparing it.
            running = QFileInfo(profile).lastModified().secsTo(QDateTime::currentDateTime())
                      < kProfileSetupSeconds;
        } else if (pid < 0) {
            running = true;
        } else {
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
        return Error{"browser.missing",
                     tr("%1 or certutil is not installed").arg(name()).toStdString()};
    removeStaleProfiles(QDir::tempPath());
    QTemporaryDir dir(QDir::tempPath() + u'/' + profilePrefix(m_browser) + u"XXXXXX"_s);
    if (!dir.isValid())
        return Error{
            "browser.profile",
            tr("cannot create a profile directory: %1").arg(dir.errorString()).toStdString()};
    dir.setAutoRemove(false); // the browser outlives this call
    const QString profile = dir.path();
    const auto fail = [&profile](const QString &message) {
        QDir(profile).removeRecursively(); // nothing runs in it yet
        return Error{"browser.profile", message.toStdString()};
    };
    if (m_browser == Browser::Chromium && !QDir(profile).mkpath(QStringLiteral(".pki/nssdb")))
        return fail(tr("cannot create %1/.pki/nssdb").arg(profile));
    const auto write = [](const QString &path, const QByteArray &bytes) {
        QFile file(path);
        return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
    };
    if (!write(profile + QStringLiteral("/ca.pem"), QByteArray::fromStdString(caPem)))
        return fail(tr("cannot write %1").arg(profile + QStringLiteral("/ca.pem")));
    if (m_browser == Browser::Firefox
        && !write(profile + QStringLiteral("/user.js"), firefoxPreferences()))
        return fail(tr("cannot write %1").arg(profile + QStringLiteral("/user.js")));
    for (const Command &command : commands(profile)) {
        if (const QString error = runner(command); !error.isEmpty()) {
            QDir(profile).removeRecursively();
            return Error{"browser.launch", error.toStdString()};
        }
    }
    return profile;
}

} // namespace ts::ui
