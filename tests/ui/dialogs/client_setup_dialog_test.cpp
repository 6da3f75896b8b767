// Help > Set up a client: the snippet shown and copied, the bundle written next to the CA, the
// terminal started with the variables, the system proxy switched on and off, the CA store
// commands; with a fake command runner, so nothing on the real desktop changes.
#include "core/tls/certificate_authority.h"
#include "ui/dialogs/client_setup_dialog.h"

#include "../setup/fake_runner.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using ts::tls::CertificateAuthority;
using namespace ts::ui;
using namespace Qt::StringLiterals;

class ClientSetupDialogTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto ca = CertificateAuthority::openOrCreate(
            QDir(m_dir.path()).filePath(u"ca"_s).toStdString());
        QVERIFY2(ca, ca ? "" : ca.error().message.c_str());
        m_ca = std::shared_ptr<const CertificateAuthority>(std::move(*ca));
    }

    void terminalSnippetNamesTheProxyAndTheCaFiles()
    {
        FakeRunner runner;
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"0.0.0.0:8080"_s, m_ca, runner, proxy);
        const QString caDir = QString::fromStdString(m_ca->directory());
        const QString snippet = dialog.terminalSnippet();
        QVERIFY2(snippet.contains(u"export https_proxy='http://127.0.0.1:8080'\n"_s),
                 qPrintable(snippet));
        QVERIFY(snippet.contains(u"export NODE_EXTRA_CA_CERTS='"_s + caDir + u"/ca.pem'\n"_s));
        QVERIFY(snippet.contains(u"export SSL_CERT_FILE='"_s + caDir + u"/ca-bundle.pem'\n"_s));
        auto *box = dialog.findChild<QPlainTextEdit *>(u"terminalSnippet"_s);
        QVERIFY(box);
        QCOMPARE(box->toPlainText(), snippet);

        // The bundle ends with the CA certificate.
        QFile bundle(caDir + u"/ca-bundle.pem"_s);
        QVERIFY(bundle.open(QIODevice::ReadOnly));
        QVERIFY(bundle.readAll().endsWith(QByteArray::fromStdString(m_ca->certificatePem())));

        dialog.findChild<QPushButton *>(u"copyTerminalSnippet"_s)->click();
        QCOMPARE(QApplication::clipboard()->text(), snippet);
    }

    void opensATerminalWhenThereIsOne()
    {
        FakeRunner runner;
        SystemProxy proxy(runner);
        {
            ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
            QVERIFY(!dialog.findChild<QPushButton *>(u"openTerminal"_s)->isEnabled());
        }
        runner.installed = {u"x-terminal-emulator"_s};
        ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
        auto *open = dialog.findChild<QPushButton *>(u"openTerminal"_s);
        QVERIFY(open->isEnabled());
        open->click();
        QCOMPARE(runner.started, QStringList{u"/usr/bin/x-terminal-emulator"_s});
        QCOMPARE(runner.lastEnvironment.value(u"http_proxy"_s), u"http://127.0.0.1:8080"_s);
        QVERIFY(dialog.statusText().contains(u"x-terminal-emulator"_s));
    }

    // Issue 18: a phone on the LAN. On loopback (the default) the page says how to opt in;
    // on a LAN address it gives the proxy settings, the PAC URL and a QR code of the info page.
    void phonePageOnLoopbackSaysHowToOptIn()
    {
        FakeRunner runner;
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
        auto *page = dialog.findChild<QWidget *>(u"phonePage"_s);
        QVERIFY(page);
        QVERIFY(!page->findChild<QLabel *>(u"phoneQrCode"_s));
        QString text;
        for (const QLabel *l : page->findChildren<QLabel *>())
            text += l->text() + u'\n';
        QVERIFY2(text.contains(u"listens on 127.0.0.1 only"_s), qPrintable(text));
        QVERIFY(text.contains(u"--listen ADDRESS:8080"_s));
    }

    void phonePageOnALanAddress()
    {
        FakeRunner runner;
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"192.168.1.20:8080"_s, m_ca, runner, proxy);
        auto *page = dialog.findChild<QWidget *>(u"phonePage"_s);
        QVERIFY(page);
        auto *qr = page->findChild<QLabel *>(u"phoneQrCode"_s);
        QVERIFY(qr);
        QCOMPARE(qr->accessibleName(), u"http://192.168.1.20:8080/"_s);
        QVERIFY(qr->pixmap().width() > 100);
        auto *pac = page->findChild<QPlainTextEdit *>(u"phonePacUrl"_s);
        QVERIFY(pac);
        QCOMPARE(pac->toPlainText(), u"http://192.168.1.20:8080/proxy.pac"_s);
        QString text;
        for (const QLabel *l : page->findChildren<QLabel *>())
            text += l->text() + u'\n';
        QVERIFY2(text.contains(u"server 192.168.1.20 and port 8080"_s), qPrintable(text));
        QVERIFY(text.contains(u"http://192.168.1.20:8080/wpad.dat"_s));
    }

    // Issue 18: the browsers from the same dialog, their command lines through the runner.
    void browserPageLaunchesFirefoxThroughTheRunner()
    {
        FakeRunner runner;
        runner.installed = {u"firefox-esr"_s, u"certutil"_s};
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
        auto *page = dialog.findChild<QWidget *>(u"browserPage"_s);
        QVERIFY(page);
        QVERIFY(!page->findChild<QPushButton *>(u"setupLaunchChromium"_s));
        auto *firefox = page->findChild<QPushButton *>(u"setupLaunchFirefox"_s);
        QVERIFY(firefox);
        firefox->click();
        QCOMPARE(runner.started.size(), 1);
        const QString started = runner.started.first();
        QVERIFY2(started.startsWith(u"/usr/bin/firefox-esr --no-remote --new-instance -profile "_s),
                 qPrintable(started));
        const QString profile = started.section(u' ', -1);
        QVERIFY(profile.contains(u"tunnelscope-firefox-"_s));
        QCOMPARE(runner.ran.size(), 2);
        QVERIFY(runner.ran.at(0).startsWith(u"/usr/bin/certutil -d sql:"_s + profile + u" -N"_s));
        QVERIFY(runner.ran.at(1).endsWith(u"-i "_s + profile + u"/ca.pem"_s));
        QCOMPARE(runner.lastEnvironment.value(u"HOME"_s), profile);
        QFile prefs(profile + u"/user.js"_s);
        QVERIFY(prefs.open(QIODevice::ReadOnly));
        QVERIFY(prefs.readAll().contains("user_pref(\"network.proxy.http_port\", 8080);"));
        QVERIFY2(dialog.statusText().startsWith(u"Firefox started with the profile"_s),
                 qPrintable(dialog.statusText()));
        QDir(profile).removeRecursively();

        // Without certutil there is nothing to click, and the page says what is missing.
        FakeRunner bare;
        bare.installed = {u"firefox-esr"_s, u"chromium"_s};
        ClientSetupDialog without(u"127.0.0.1:8080"_s, m_ca, bare, proxy);
        auto *empty = without.findChild<QWidget *>(u"browserPage"_s);
        QVERIFY(empty->findChildren<QPushButton *>().isEmpty());
    }

    void systemProxyIsSwitchedOnAndOff()
    {
        FakeRunner runner;
        runner.installed = {u"gsettings"_s};
        runner.answers[u"/usr/bin/gsettings get org.gnome.system.proxy mode"_s]
            = {true, 0, u"'none'"_s, {}};
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
        QVERIFY(!dialog.findChild<QCheckBox *>(u"kdeProxy"_s)); // not installed: not offered
        auto *gnome = dialog.findChild<QCheckBox *>(u"gnomeProxy"_s);
        QVERIFY(gnome);
        gnome->setChecked(true);
        QVERIFY(proxy.isActive(SystemProxy::Desktop::Gnome));
        QVERIFY(
            runner.ran.contains(u"/usr/bin/gsettings set org.gnome.system.proxy mode 'manual'"_s));
        gnome->setChecked(false);
        QVERIFY(!proxy.isActive());
        QCOMPARE(runner.ran.last(), u"/usr/bin/gsettings set org.gnome.system.proxy.http host "_s);
        QVERIFY(
            runner.ran.contains(u"/usr/bin/gsettings set org.gnome.system.proxy mode 'none'"_s));
    }

    void caStoreCommandsAndPacUrl()
    {
        FakeRunner runner;
        SystemProxy proxy(runner);
        ClientSetupDialog dialog(u"127.0.0.1:8080"_s, m_ca, runner, proxy);
        const auto text = [&](const char *name) {
            auto *box = dialog.findChild<QPlainTextEdit *>(QLatin1String(name));
            return box ? box->toPlainText() : u"<none>"_s;
        };
        QVERIFY(text("caInstallCommands").contains(u"update-ca-certificates"_s));
        QVERIFY(text("caInstallCommands")
                    .contains(QString::fromStdString(m_ca->directory()) + u"/ca.pem"_s));
        QVERIFY(text("caRemoveCommands").contains(u"--fresh"_s));
        QCOMPARE(text("pacUrl"), u"http://127.0.0.1:8080/proxy.pac"_s);

        // Without interception there is no CA to trust: no such tab, no CA variables.
        QCOMPARE(dialog.findChild<QTabWidget *>(u"setupTabs"_s)->count(), 5);
        ClientSetupDialog plain(u"127.0.0.1:8080"_s, nullptr, runner, proxy);
        QCOMPARE(plain.findChild<QTabWidget *>(u"setupTabs"_s)->count(), 3);
        QVERIFY(!plain.terminalSnippet().contains(u"CERT"_s));
    }

private:
    QTemporaryDir m_dir;
    std::shared_ptr<const CertificateAuthority> m_ca;
};

QTEST_MAIN(ClientSetupDialogTest)
#include "client_setup_dialog_test.moc"
