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
        const auto launcher = BrowserLauncher::find(u"127.0.0.1:8080"_s, [&](const QString &name) {
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
        QCOMPARE(launcher.chromium(), u"/usr/bin/chromium-browser"_s);
        QCOMPARE(launcher.certutil(), u"/usr/bin/certutil"_s);
        QCOMPARE(asked, (QStringList{u"chromium"_s, u"chromium-browser"_s, u"certutil"_s}));
    }

    void notAvailableWithoutEither()
    {
        const auto noCertutil = BrowserLauncher::find(u"127.0.0.1:8080"_s, [](const QString &n) {
            return n == u"chromium"_s ? u"/usr/bin/chromium"_s : QString();
        });
        QVERIFY(!noCertutil.available());
        const auto noBrowser = BrowserLauncher::find(u"127.0.0.1:8080"_s, [](const QString &n) {
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
        QCOMPARE(BrowserLauncher(u"c"_s, u"u"_s, listen).proxyUrl(), url);
    }

    void commandLines()
    {
        const BrowserLauncher launcher(u"/usr/bin/chromium"_s, u"/usr/bin/certutil"_s,
                                       u"127.0.0.1:8080"_s);
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
        const BrowserLauncher launcher(u"/usr/bin/chromium"_s, u"/usr/bin/certutil"_s,
                                       u"127.0.0.1:8080"_s);
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

    void certutilReallyTrustsTheCa()
    {
        // The NSS steps for real (the browser step is only recorded): the database in the
        // profile lists Tunnelscope's CA as trusted for TLS servers.
        const QString certutil = QStandardPaths::findExecutable(u"certutil"_s);
        if (certutil.isEmpty())
            QSKIP("certutil is not installed (libnss3-tools)");
        QTemporaryDir caDir;
        auto ca = ts::tls::CertificateAuthority::openOrCreate(caDir.path().toStdString());
        QVERIFY(ca);
        const BrowserLauncher launcher(u"/usr/bin/chromium"_s, certutil, u"127.0.0.1:8080"_s);
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
        list.start(certutil, {u"-L"_s, u"-d"_s, u"sql:"_s + *profile + u"/.pki/nssdb"_s});
        QVERIFY(list.waitForFinished(30000));
        const QString out = QString::fromLocal8Bit(list.readAllStandardOutput());
        QVERIFY2(out.contains(QRegularExpression(u"tunnelscope\\s+C,,"_s)), qPrintable(out));
        QDir(*profile).removeRecursively();
    }
};

QTEST_MAIN(BrowserLauncherTest)
#include "browser_launcher_test.moc"
