// The system proxy helper: the exact gsettings and kwriteconfig command lines it runs to set
// the desktop's proxy, and that it puts back the values it read before, with a fake runner.
#include "ui/setup/system_proxy.h"

#include "fake_runner.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/wait.h>
#include <unistd.h>

using namespace ts::ui;
using namespace Qt::StringLiterals;

class SystemProxyTest final : public QObject
{
    Q_OBJECT

private slots:
    void findsTheDesktopsWhoseToolsAreThere()
    {
        FakeRunner runner;
        QVERIFY(SystemProxy(runner).available().isEmpty());
        runner.installed = {u"gsettings"_s, u"kwriteconfig5"_s, u"kreadconfig5"_s};
        QCOMPARE(
            SystemProxy(runner).available(),
            (QList<SystemProxy::Desktop>{SystemProxy::Desktop::Gnome, SystemProxy::Desktop::Kde}));
    }

    void gnomeIsSetAndPutBack()
    {
        FakeRunner runner;
        runner.installed = {u"gsettings"_s};
        const QString g = u"/usr/bin/gsettings "_s;
        runner.answers[g + u"get org.gnome.system.proxy mode"_s] = {true, 0, u"'auto'"_s, {}};
        runner.answers[g + u"get org.gnome.system.proxy.http host"_s]
            = {true, 0, u"'corp-proxy'"_s, {}};
        runner.answers[g + u"get org.gnome.system.proxy.http port"_s] = {true, 0, u"3128"_s, {}};
        SystemProxy proxy(runner);
        QVERIFY(proxy.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080));
        QVERIFY(proxy.isActive(SystemProxy::Desktop::Gnome));
        const QStringList sets = runner.ran.filter(u" set "_s);
        QCOMPARE(sets, (QStringList{
                           g + u"set org.gnome.system.proxy.http host '127.0.0.1'"_s,
                           g + u"set org.gnome.system.proxy.http port 8080"_s,
                           g + u"set org.gnome.system.proxy.https host '127.0.0.1'"_s,
                           g + u"set org.gnome.system.proxy.https port 8080"_s,
                           g
                               + u"set org.gnome.system.proxy ignore-hosts ['localhost', "_s
                                 u"'127.0.0.0/8', '::1']"_s,
                           g + u"set org.gnome.system.proxy mode 'manual'"_s,
                       }));
        // Every value was read before the first write.
        QVERIFY(runner.ran.indexOf(g + u"get org.gnome.system.proxy mode"_s)
                < runner.ran.indexOf(sets.first()));

        runner.ran.clear();
        QVERIFY(proxy.restoreAll());
        QVERIFY(!proxy.isActive());
        QCOMPARE(runner.ran, (QStringList{
                                 g + u"set org.gnome.system.proxy mode 'auto'"_s,
                                 g + u"set org.gnome.system.proxy ignore-hosts "_s,
                                 g + u"set org.gnome.system.proxy.https port "_s,
                                 g + u"set org.gnome.system.proxy.https host "_s,
                                 g + u"set org.gnome.system.proxy.http port 3128"_s,
                                 g + u"set org.gnome.system.proxy.http host 'corp-proxy'"_s,
                             }));
        runner.ran.clear();
        QVERIFY(proxy.restoreAll()); // nothing left to put back
        QVERIFY(runner.ran.isEmpty());
    }

    void aFailedWriteUndoesTheOnesBefore()
    {
        FakeRunner runner;
        runner.installed = {u"gsettings"_s};
        runner.answers[u"/usr/bin/gsettings get org.gnome.system.proxy.http port"_s]
            = {true, 0, u"0"_s, {}};
        runner.failOn = u"/usr/bin/gsettings set org.gnome.system.proxy.https host "_s
                        u"'127.0.0.1'"_s;
        SystemProxy proxy(runner);
        const auto r = proxy.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080);
        QVERIFY(!r);
        QVERIFY(QString::fromStdString(r.error().message).contains(u"refused"_s));
        QVERIFY(!proxy.isActive());
        QVERIFY(
            runner.ran.contains(u"/usr/bin/gsettings set org.gnome.system.proxy.http port 0"_s));
    }

    void kdeIsSetAndPutBack()
    {
        FakeRunner runner;
        runner.installed = {u"kwriteconfig5"_s, u"kreadconfig5"_s, u"dbus-send"_s};
        const QString read
            = u"/usr/bin/kreadconfig5 --file kioslaverc --group Proxy Settings --key "_s;
        runner.answers[read + u"ProxyType"_s] = {true, 0, u"0"_s, {}};
        SystemProxy proxy(runner);
        QVERIFY(proxy.enable(SystemProxy::Desktop::Kde, u"127.0.0.1"_s, 8080));
        const QString write
            = u"/usr/bin/kwriteconfig5 --file kioslaverc --group Proxy Settings --key "_s;
        QCOMPARE(runner.ran.filter(u"kwriteconfig5"_s),
                 (QStringList{write + u"httpProxy http://127.0.0.1 8080"_s,
                              write + u"httpsProxy http://127.0.0.1 8080"_s,
                              write + u"NoProxyFor localhost,127.0.0.1,::1"_s,
                              write + u"ProxyType 1"_s}));
        QVERIFY(runner.ran.last().startsWith(u"/usr/bin/dbus-send --type=signal"_s));

        runner.ran.clear();
        QVERIFY(proxy.restore(SystemProxy::Desktop::Kde));
        // Keys that were not set before are deleted, not written empty.
        QCOMPARE(runner.ran.filter(u"kwriteconfig5"_s),
                 (QStringList{write + u"ProxyType 0"_s, write + u"NoProxyFor --delete"_s,
                              write + u"httpsProxy --delete"_s, write + u"httpProxy --delete"_s}));
    }

    // Crash safety: what enable() read is also in the journal until it is put back.
    void theJournalKeepsWhatWasReadUntilItIsPutBack()
    {
        QTemporaryDir dir;
        const QString journal = dir.filePath(u"config/system-proxy.json"_s);
        FakeRunner runner;
        runner.installed = {u"gsettings"_s};
        runner.answers[u"/usr/bin/gsettings get org.gnome.system.proxy mode"_s]
            = {true, 0, u"'auto'"_s, {}};
        SystemProxy proxy(runner);
        proxy.setJournal(journal);
        QVERIFY(proxy.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080));
        QFile file(journal);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject written = QJsonDocument::fromJson(file.readAll()).object();
        file.close();
        QCOMPARE(written.value(u"pid"_s).toInteger(), QCoreApplication::applicationPid());
        const QJsonArray saved = written.value(u"saved"_s).toArray();
        QCOMPARE(saved.size(), 6);
        QCOMPARE(saved.last().toObject().value(u"value"_s).toString(), u"'auto'"_s);
        QVERIFY(proxy.restoreAll());
        QVERIFY(!QFile::exists(journal));
    }

    // The real case: a Tunnelscope sets the GNOME and KDE proxies and dies (a process of its
    // own that exits without restoring anything); the next start puts both back.
    void aTunnelscopeThatDiedIsPutBackAtTheNextStart()
    {
        QTemporaryDir dir;
        const QString journal = dir.filePath(u"system-proxy.json"_s);
        const QString g = u"/usr/bin/gsettings "_s;
        const QString read = u"/usr/bin/kreadconfig5 --file kioslaverc --group Proxy Settings "_s
                             u"--key "_s;
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            FakeRunner runner;
            runner.installed = {u"gsettings"_s, u"kwriteconfig5"_s, u"kreadconfig5"_s};
            runner.answers[g + u"get org.gnome.system.proxy mode"_s] = {true, 0, u"'auto'"_s, {}};
            runner.answers[g + u"get org.gnome.system.proxy.http host"_s]
                = {true, 0, u"'corp-proxy'"_s, {}};
            runner.answers[read + u"ProxyType"_s] = {true, 0, u"0"_s, {}};
            SystemProxy proxy(runner);
            proxy.setJournal(journal);
            const bool ok = proxy.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080).ok()
                            && proxy.enable(SystemProxy::Desktop::Kde, u"127.0.0.1"_s, 8080).ok();
            ::_exit(ok ? 0 : 1); // no restore, no destructors: as if it crashed
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        QVERIFY(QFile::exists(journal));

        FakeRunner runner;
        runner.installed = {u"gsettings"_s, u"kwriteconfig5"_s, u"kreadconfig5"_s};
        SystemProxy next(runner);
        next.setJournal(journal);
        const auto recovered = next.recover();
        QVERIFY(recovered);
        QCOMPARE(*recovered, (QList<SystemProxy::Desktop>{SystemProxy::Desktop::Gnome,
                                                          SystemProxy::Desktop::Kde}));
        const QString write
            = u"/usr/bin/kwriteconfig5 --file kioslaverc --group Proxy Settings --key "_s;
        QCOMPARE(runner.ran.filter(u" set "_s),
                 (QStringList{
                     g + u"set org.gnome.system.proxy mode 'auto'"_s,
                     g + u"set org.gnome.system.proxy ignore-hosts "_s,
                     g + u"set org.gnome.system.proxy.https port "_s,
                     g + u"set org.gnome.system.proxy.https host "_s,
                     g + u"set org.gnome.system.proxy.http port "_s,
                     g + u"set org.gnome.system.proxy.http host 'corp-proxy'"_s,
                 }));
        QCOMPARE(runner.ran.filter(u"kwriteconfig5"_s),
                 (QStringList{write + u"ProxyType 0"_s, write + u"NoProxyFor --delete"_s,
                              write + u"httpsProxy --delete"_s, write + u"httpProxy --delete"_s}));
        QVERIFY(!QFile::exists(journal));
        QVERIFY(!next.isActive());

        runner.ran.clear();
        const auto again = next.recover();
        QVERIFY(again && again->isEmpty());
        QVERIFY(runner.ran.isEmpty());
    }

    // A journal whose Tunnelscope still runs (this process here) is that one's to put back;
    // one naming this process id but from an earlier boot is not.
    void aRunningTunnelscopesJournalIsLeftAlone()
    {
        QTemporaryDir dir;
        const QString journal = dir.filePath(u"system-proxy.json"_s);
        FakeRunner first;
        first.installed = {u"gsettings"_s};
        SystemProxy running(first);
        running.setJournal(journal);
        QVERIFY(running.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080));

        FakeRunner second;
        second.installed = {u"gsettings"_s};
        SystemProxy other(second);
        other.setJournal(journal);
        const auto left = other.recover();
        QVERIFY(left && left->isEmpty());
        QVERIFY(second.ran.isEmpty());
        QVERIFY(QFile::exists(journal));

        QFile file(journal);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
        file.close();
        o.insert(u"boot"_s, u"an earlier boot"_s);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(QJsonDocument(o).toJson());
        file.close();
        const auto put = other.recover();
        QVERIFY(put);
        QCOMPARE(*put, QList<SystemProxy::Desktop>{SystemProxy::Desktop::Gnome});
        QCOMPARE(second.ran.filter(u" set "_s).size(), 6);
        QVERIFY(!QFile::exists(journal));
    }

    void anUnwritableJournalRefusesToEnable()
    {
        FakeRunner runner;
        runner.installed = {u"gsettings"_s};
        SystemProxy proxy(runner);
        proxy.setJournal(u"/proc/no-such-dir/system-proxy.json"_s);
        const auto r = proxy.enable(SystemProxy::Desktop::Gnome, u"127.0.0.1"_s, 8080);
        QVERIFY(!r);
        QVERIFY(runner.ran.filter(u"'manual'"_s).isEmpty()); // never switched on
        QVERIFY(!proxy.isActive());
    }
};

QTEST_GUILESS_MAIN(SystemProxyTest)
#include "system_proxy_test.moc"
