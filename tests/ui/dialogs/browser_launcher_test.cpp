#include "core/tls/certificate_authority.h"
#include "ui/dialogs/browser_launcher.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

using ts::ui::BrowserLauncher;
using Browser = BrowserLauncher::Browser;
using namespace Qt::StringLiterals;

// BrowserLauncher: which programs it picks, the exact command lines and environment, and what
// launch() writes, all without starting a browser.
class BrowserLauncherTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void findsTheFirstChromiumAndCertutil()
    {
        QStringList asked;
        const auto launcher = BrowserLauncher::find(Browser::Chromium, u"127.0.0.1:8080"_s,
                                                    [&](const QString &name) {
                                                        asked << name;
                                                        if (name == u"chromium-browser"_s)
                                                            return u"/usr/bin/chromium-browser"_s;
                                                        if (name == u"google-chrome"_s)
                                                            return u"/usr/bin/google-chrome"_s;
                                                        if (name == u"certutil"_s)
                                                            return u"/usr/bin/certutil"_s;
                                                        return QString();
                                                    });
        QVERIFY(launcher.available());
        QCOMPARE(launcher.program(), u"/usr/bin/chromium-browser"_s);
        QCOMPARE(launcher.certutil(), u"/usr/bin/certutil"_s);
        QCOMPARE(asked, (QStringList{u"chromium"_s, u"chromium-browser"_s, u"certutil"_s}));
    }

    void notAvailableWithoutEither()
    {
        const auto noCertutil
            = BrowserLauncher::find(Browser::Chromium, u"127.0.0.1:8080"_s, [](const QString &n) {
                  return n == u"chromium"_s ? u"/usr/bin/chromium"_s : QString();
              });
        QVERIFY(!noCertutil.available());
        const auto noBrowser
            = BrowserLauncher::find(Browser::Firefox, u"127.0.0.1:8080"_s, [](const QString &n) {
                  return n == u"certutil"_s ? u"/usr/bin/certutil"_s : QString();
              });
        QVERIFY(!noBrowser.available());
        QVERIFY(
            !noBrowser.launch("pem", [](const BrowserLauncher::Command &) { return QString(); }));
    }

    void proxyUrl_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QString>("url");
        QTest::newRow("loopback") << u"127.0.0.1:8080"_s << u"http://127.0.0.1:8080"_s;
        QTest::newRow("any IPv4") << u"0.0.0.0:8080"_s << u"http://127.0.0.1:8080"_s;
        QTest::newRow("IPv6 loopback") << u"[::1]:9000"_s << u"http://[::1]:9000"_s;
        QTest::newRow("any IPv6") << u"[::]:9000"_s << u"http://[::1]:9000"_s;
        QTest::newRow("LAN address") << u"192.168.1.20:8080"_s << u"http://192.168.1.20:8080"_s;
    }

    void proxyUrl()
    {
        QFETCH(QString, listen);
        QFETCH(QString, url);
        QCOMPARE(BrowserLauncher(Browser::Chromium, u"c"_s, u"u"_s, listen).proxyUrl(), url);
    }

    void commandLines()
    {
        const BrowserLauncher launcher(Browser::Chromium, u"/usr/bin/chromium"_s,
                                       u"/usr/bin/certutil"_s, u"127.0.0.1:8080"_s);
        const auto commands = launcher.commands(u"/tmp/profile"_s);
        QCOMPARE(commands.size(), std::size_t(3));

        QCOMPARE(commands[0].program, u"/usr/bin/certutil"_s);
        QCOMPARE(commands[0].arguments, (QStringList{u"-d"_s, u"sql:/tmp/profile/.pki/nssdb"_s,
                                                     u"-N"_s, u"--empty-password"_s}));
        QVERIFY(!commands[0].detached);
        QCOMPARE(commands[1].program, u"/usr/bin/certutil"_s);
        QCOMPARE(commands[1].arguments,
                 (QStringList{u"-d"_s, u"sql:/tmp/profile/.pki/nssdb"_s, u"-A"_s, u"-t"_s, u"C,,"_s,
                              u"-n"_s, u"tunnelscope"_s, u"-i"_s, u"/tmp/profile/ca.pem"_s}));

        const auto &browser = commands[2];
        QCOMPARE(browser.program, u"/usr/bin/chromium"_s);
        QVERIFY(browser.detached);
        // Issue 17, defect 6: localhost goes through the proxy too (Chromium bypasses it
        // unless told), and the browser's own background traffic stays out of the table.
        QStringList expected{u"--user-data-dir=/tmp/profile"_s,
                             u"--proxy-server=http://127.0.0.1:8080"_s,
                             u"--proxy-bypass-list=<-loopback>"_s,
                             u"--no-first-run"_s,
                             u"--no-default-browser-check"_s,
                             u"--disable-background-networking"_s,
                             u"--disable-component-update"_s,
                             u"--disable-sync"_s,
                             u"--disable-default-apps"_s,
                             u"--disable-domain-reliability"_s,
                             u"--disable-client-side-phishing-detection"_s,
                             u"--no-pings"_s};
        if (::geteuid() == 0)
            expected << u"--no-sandbox"_s;
        QCOMPARE(browser.arguments, expected);
        // Chromium finds its NSS database under HOME: the profile, never the user's home.
        QCOMPARE(browser.environment.value(u"HOME"_s), u"/tmp/profile"_s);
        QCOMPARE(browser.environment.value(u"XDG_CONFIG_HOME"_s), u"/tmp/profile/.config"_s);
        QCOMPARE(browser.environment.value(u"XDG_CACHE_HOME"_s), u"/tmp/profile/.cache"_s);
        QCOMPARE(commands[0].environment.value(u"HOME"_s), u"/tmp/profile"_s);
    }

    void launchPreparesAProfileAndRunsInOrder()
    {
        const BrowserLauncher launcher(Browser::Chromium, u"/usr/bin/chromium"_s,
                                       u"/usr/bin/certutil"_s, u"127.0.0.1:8080"_s);
        std::vector<BrowserLauncher::Command> ran;
        const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        const auto profile = launcher.launch(pem, [&](const BrowserLauncher::Command &c) {
            ran.push_back(c);
            return QString();
        });
        QVERIFY(profile);
        const QString dir = *profile;
        QVERIFY(dir.startsWith(QDir::tempPath() + u"/tunnelscope-chromium-"_s));
        QVERIFY(QDir(dir + u"/.pki/nssdb"_s).exists());
        QFile written(dir + u"/ca.pem"_s);
        QVERIFY(written.open(QIODevice::ReadOnly));
        QCOMPARE(written.readAll().toStdString(), pem);
        QCOMPARE(ran.size(), std::size_t(3));
        QCOMPARE(ran[2].arguments.first(), u"--user-data-dir="_s + dir);
        QDir(dir).removeRecursively();

        // A failing step stops the launch and says why.
        ran.clear();
        const auto failed = launcher.launch(pem, [&](const BrowserLauncher::Command &c) {
            ran.push_back(c);
            return c.arguments.contains(u"-A"_s) ? u"certutil failed (exit code 255)"_s : QString();
        });
        QVERIFY(!failed);
        QCOMPARE(ran.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(failed.error().message),
                 u"certutil failed (exit code 255)"_s);
    }

    // Issue 17, defect 6: profiles of browsers that have exited are removed at the next
    // launch; one whose browser still runs (its SingletonLock names a live process) stays.
    void staleProfilesAreRemoved()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QDir base(temp.path());
        const auto make = [&](const QString &name) {
            QVERIFY(base.mkpath(name + u"/.pki/nssdb"_s));
            QFile ca(base.filePath(name + u"/ca.pem"_s));
            QVERIFY(ca.open(QIODevice::WriteOnly));
        };
        make(u"tunnelscope-chromium-live"_s);
        make(u"tunnelscope-chromium-dead"_s);
        make(u"tunnelscope-chromium-nolock"_s);
        make(u"tunnelscope-chromium-fresh"_s); // being set up: no browser yet
        make(u"something-else"_s);
        // Made an hour ago.
        const timespec hourAgo[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
        QCOMPARE(::utimensat(
                     AT_FDCWD,
                     QFile::encodeName(base.filePath(u"tunnelscope-chromium-nolock"_s)).constData(),
                     hourAgo, 0),
                 0);
        const QString host = QSysInfo::machineHostName();
        QVERIFY(QFile::link(u"%1-%2"_s.arg(host).arg(QCoreApplication::applicationPid()),
                            base.filePath(u"tunnelscope-chromium-live/SingletonLock"_s)));
        // A pid that cannot be running: above the kernel's pid_max (at most 2^22).
        QVERIFY(QFile::link(u"%1-%2"_s.arg(host).arg(99999999),
                            base.filePath(u"tunnelscope-chromium-dead/SingletonLock"_s)));

        QCOMPARE(BrowserLauncher::removeStaleProfiles(temp.path()), 2);
        QVERIFY(base.exists(u"tunnelscope-chromium-live"_s));
        QVERIFY(!base.exists(u"tunnelscope-chromium-dead"_s));
        QVERIFY(!base.exists(u"tunnelscope-chromium-nolock"_s));
        QVERIFY(base.exists(u"tunnelscope-chromium-fresh"_s));
        QVERIFY(base.exists(u"something-else"_s));
    }

    void findsFirefoxOrFirefoxEsr()
    {
        const auto esr
            = BrowserLauncher::find(Browser::Firefox, u"127.0.0.1:8080"_s, [](const QString &name) {
                  if (name == u"firefox-esr"_s)
                      return u"/usr/bin/firefox-esr"_s;
                  if (name == u"certutil"_s)
                      return u"/usr/bin/certutil"_s;
                  return QString();
              });
        QVERIFY(esr.available());
        QCOMPARE(esr.program(), u"/usr/bin/firefox-esr"_s);
        QCOMPARE(esr.name(), u"Firefox"_s);
        const auto both = BrowserLauncher::find(
            Browser::Firefox, u"127.0.0.1:8080"_s,
            [](const QString &name) -> QString { return u"/usr/bin/"_s + name; });
        QCOMPARE(both.program(), u"/usr/bin/firefox"_s);
    }

    void firefoxCommandLines()
    {
        const BrowserLauncher launcher(Browser::Firefox, u"/usr/bin/firefox-esr"_s,
                                       u"/usr/bin/certutil"_s, u"0.0.0.0:8080"_s);
        const auto commands = launcher.commands(u"/tmp/profile"_s);
        QCOMPARE(commands.size(), std::size_t(3));
        // Firefox keeps its NSS database (cert9.db) in the profile directory itself.
        QCOMPARE(commands[0].arguments,
                 (QStringList{u"-d"_s, u"sql:/tmp/profile"_s, u"-N"_s, u"--empty-password"_s}));
        QCOMPARE(commands[1].arguments,
                 (QStringList{u"-d"_s, u"sql:/tmp/profile"_s, u"-A"_s, u"-t"_s, u"C,,"_s, u"-n"_s,
                              u"tunnelscope"_s, u"-i"_s, u"/tmp/profile/ca.pem"_s}));
        QVERIFY(!commands[1].detached);
        QCOMPARE(commands[2].program, u"/usr/bin/firefox-esr"_s);
        QCOMPARE(commands[2].arguments, (QStringList{u"--no-remote"_s, u"--new-instance"_s,
                                                     u"-profile"_s, u"/tmp/profile"_s}));
        QVERIFY(commands[2].detached);
        QCOMPARE(commands[2].environment.value(u"HOME"_s), u"/tmp/profile"_s);
        // Without it Firefox ignores the remote settings server in user.js, and calls home.
        QCOMPARE(commands[2].environment.value(u"MOZ_REMOTE_SETTINGS_DEVTOOLS"_s), u"1"_s);
    }

    void firefoxPreferences_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("port");
        QTest::newRow("loopback") << u"127.0.0.1:8080"_s << u"127.0.0.1"_s << u"8080"_s;
        QTest::newRow("any IPv4") << u"0.0.0.0:9090"_s << u"127.0.0.1"_s << u"9090"_s;
        QTest::newRow("any IPv6") << u"[::]:9000"_s << u"::1"_s << u"9000"_s;
    }

    void firefoxPreferences()
    {
        QFETCH(QString, listen);
        QFETCH(QString, host);
        QFETCH(QString, port);
        const BrowserLauncher launcher(Browser::Firefox, u"f"_s, u"c"_s, listen);
        const QString prefs = QString::fromUtf8(launcher.firefoxPreferences());
        const auto has = [&](const QString &name, const QString &value) {
            const QString line = u"user_pref(\"%1\", %2);\n"_s.arg(name, value);
            return prefs.contains(line);
        };
        QVERIFY2(has(u"network.proxy.type"_s, u"1"_s), qPrintable(prefs));
        QVERIFY(has(u"network.proxy.http"_s, u'"' + host + u'"'));
        QVERIFY(has(u"network.proxy.http_port"_s, port));
        QVERIFY(has(u"network.proxy.ssl"_s, u'"' + host + u'"'));
        QVERIFY(has(u"network.proxy.ssl_port"_s, port));
        // localhost through the proxy too, as with Chromium.
        QVERIFY(has(u"network.proxy.allow_hijacking_localhost"_s, u"true"_s));
        QVERIFY(has(u"network.proxy.no_proxies_on"_s, u"\"\""_s));
        QVERIFY(has(u"network.trr.mode"_s, u"5"_s));
        QVERIFY(has(u"browser.shell.checkDefaultBrowser"_s, u"false"_s));
        // Every line is one preference: nothing a JavaScript parser could trip over.
        const QStringList lines = prefs.split(u'\n', Qt::SkipEmptyParts);
        const QRegularExpression line(
            u"^(//.*|user_pref\\(\"[A-Za-z0-9._-]+\", (\"[^\"\\\\]*\"|true|false|-?[0-9]+)\\);)$"_s);
        for (const QString &l : lines)
            QVERIFY2(line.match(l).hasMatch(), qPrintable(l));
    }

    void firefoxLaunchWritesTheProfile()
    {
        const BrowserLauncher launcher(Browser::Firefox, u"/usr/bin/firefox"_s,
                                       u"/usr/bin/certutil"_s, u"127.0.0.1:8080"_s);
        std::vector<BrowserLauncher::Command> ran;
        const auto profile = launcher.launch("PEM", [&](const BrowserLauncher::Command &c) {
            ran.push_back(c);
            return QString();
        });
        QVERIFY(profile);
        QVERIFY(profile->startsWith(QDir::tempPath() + u"/tunnelscope-firefox-"_s));
        QFile prefs(*profile + u"/user.js"_s);
        QVERIFY(prefs.open(QIODevice::ReadOnly));
        QCOMPARE(prefs.readAll(), launcher.firefoxPreferences());
        QFile ca(*profile + u"/ca.pem"_s);
        QVERIFY(ca.open(QIODevice::ReadOnly));
        QCOMPARE(ca.readAll(), QByteArray("PEM"));
        QCOMPARE(ran.size(), std::size_t(3));
        QCOMPARE(ran[2].arguments.last(), *profile);
        QDir(*profile).removeRecursively();
    }

    void staleFirefoxProfilesAreRemoved()
    {
        // Firefox's lock is a symbolic link to "<address>:+<pid>" while it runs.
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QDir base(temp.path());
        for (const QString &name : {u"tunnelscope-firefox-live"_s, u"tunnelscope-firefox-dead"_s})
            QVERIFY(base.mkpath(name));
        QVERIFY(QFile::link(u"127.0.1.1:+%1"_s.arg(QCoreApplication::applicationPid()),
                            base.filePath(u"tunnelscope-firefox-live/lock"_s)));
        QVERIFY(QFile::link(u"127.0.1.1:+99999999"_s,
                            base.filePath(u"tunnelscope-firefox-dead/lock"_s)));
        QCOMPARE(BrowserLauncher::removeStaleProfiles(temp.path()), 1);
        QVERIFY(base.exists(u"tunnelscope-firefox-live"_s));
        QVERIFY(!base.exists(u"tunnelscope-firefox-dead"_s));
    }

    void certutilReallyTrustsTheCa_data()
    {
        QTest::addColumn<Browser>("browser");
        QTest::addColumn<QString>("database"); // under the profile
        QTest::newRow("Chromium") << Browser::Chromium << u"/.pki/nssdb"_s;
        QTest::newRow("Firefox") << Browser::Firefox << QString();
    }

    void certutilReallyTrustsTheCa()
    {
        // The NSS steps for real (the browser step is only recorded): the database in the
        // profile lists Tunnelscope's CA as trusted for TLS servers.
        QFETCH(Browser, browser);
        QFETCH(QString, database);
        const QString certutil = QStandardPaths::findExecutable(u"certutil"_s);
        if (certutil.isEmpty())
            QSKIP("certutil is not installed (libnss3-tools)");
        QTemporaryDir caDir;
        auto ca = ts::tls::CertificateAuthority::openOrCreate(caDir.path().toStdString());
        QVERIFY(ca);
        const BrowserLauncher launcher(browser, u"/usr/bin/browser"_s, certutil,
                                       u"127.0.0.1:8080"_s);
        bool browserAsked = false;
        const auto profile
            = launcher.launch((*ca)->certificatePem(), [&](const BrowserLauncher::Command &c) {
                  if (c.detached) {
                      browserAsked = true;
                      return QString();
                  }
                  return BrowserLauncher::run(c);
              });
        QVERIFY2(profile, profile ? "" : profile.error().message.c_str());
        QVERIFY(browserAsked);
        QProcess list;
        list.start(certutil, {u"-L"_s, u"-d"_s, u"sql:"_s + *profile + database});
        QVERIFY(list.waitForFinished(30000));
        const QString out = QString::fromLocal8Bit(list.readAllStandardOutput());
        QVERIFY2(out.contains(QRegularExpression(u"tunnelscope\\s+C,,"_s)), qPrintable(out));
        // Where Firefox opens it: cert9.db in the profile.
        if (browser == Browser::Firefox)
            QVERIFY(QFile::exists(*profile + u"/cert9.db"_s));
        QDir(*profile).removeRecursively();
    }
};

QTEST_MAIN(BrowserLauncherTest)
#include "browser_launcher_test.moc"
