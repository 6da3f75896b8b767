#include "core/tls/certificate_authority.h"
#include "ui/dialogs/ca_dialog.h"

#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using ts::tls::CertificateAuthority;
using ts::ui::BrowserLauncher;
using ts::ui::CaDialog;
using namespace Qt::StringLiterals;

// Stands in for the file manager: records what QDesktopServices was asked to open.
class UrlCatcher final : public QObject
{
    Q_OBJECT

public:
    QList<QUrl> opened;

public Q_SLOTS:
    void open(const QUrl &url) { opened << url; }
};

// CaDialog: shows the CA's identity, exports exactly the certificate asked for, and offers the
// browser launch only when it can work.
class CaDialogTest final : public QObject
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

    void showsSubjectValidityAndFingerprint()
    {
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        const auto info = m_ca->info();
        auto text = [&](const char *name) {
            const auto *label = dialog.findChild<QLabel *>(QLatin1String(name));
            return label ? label->text() : u"<none>"_s;
        };
        QCOMPARE(text("subject"), QString::fromStdString(info.subject));
        QVERIFY(text("notBefore").endsWith(u" UTC"_s));
        QVERIFY(text("notAfter")
                    .startsWith(QString::number(
                        QDateTime::fromMSecsSinceEpoch(info.notAfter, Qt::UTC).date().year())));
        QCOMPARE(text("sha256").remove(u'\n'),
                 QString::fromStdString(info.sha256).remove(47, 1)); // a line break for ':'
        QCOMPARE(text("keyType"), u"EC P-256"_s);
    }

    // Issue 17, defect 15: the CA's folder opens in the file manager.
    void opensTheCaFolder()
    {
        UrlCatcher catcher;
        QDesktopServices::setUrlHandler(u"file"_s, &catcher, "open");
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        auto *button = dialog.findChild<QPushButton *>(u"openCaFolder"_s);
        QVERIFY(button);
        button->click();
        QDesktopServices::unsetUrlHandler(u"file"_s);
        QCOMPARE(catcher.opened,
                 (QList<QUrl>{QUrl::fromLocalFile(QString::fromStdString(m_ca->directory()))}));
    }

    void exportsPemAndDer()
    {
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        const QString pem = m_dir.filePath(u"out/ca.pem"_s);
        QVERIFY(!dialog.exportCertificate(pem, CaDialog::Format::Pem)); // no such directory
        QVERIFY(QDir(m_dir.path()).mkpath(u"out"_s));
        QVERIFY(dialog.exportCertificate(pem, CaDialog::Format::Pem));
        QFile p(pem);
        QVERIFY(p.open(QIODevice::ReadOnly));
        const QByteArray written = p.readAll();
        QCOMPARE(written.toStdString(), m_ca->certificatePem());
        QVERIFY(!written.contains("PRIVATE KEY")); // the certificate only, never the key

        // What the button says, whatever the file name.
        const QString der = m_dir.filePath(u"out/ca.pem.der-anyway.crt"_s);
        QVERIFY(dialog.exportCertificate(der, CaDialog::Format::Der));
        QFile d(der);
        QVERIFY(d.open(QIODevice::ReadOnly));
        QCOMPARE(d.readAll().toStdString(), m_ca->certificateDer());
    }

    void launchButtonOnlyWhenItCanWork_data()
    {
        QTest::addColumn<BrowserLauncher::Browser>("browser");
        QTest::addColumn<QString>("button");
        QTest::newRow("Chromium") << BrowserLauncher::Browser::Chromium << u"launchChromium"_s;
        QTest::newRow("Firefox") << BrowserLauncher::Browser::Firefox << u"launchFirefox"_s;
    }

    void launchButtonOnlyWhenItCanWork()
    {
        QFETCH(BrowserLauncher::Browser, browser);
        QFETCH(QString, button);
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        auto *launch = dialog.findChild<QPushButton *>(button);
        QVERIFY(launch);
        dialog.setBrowserLauncher(
            BrowserLauncher(browser, QString(), u"/usr/bin/certutil"_s, u"127.0.0.1:8080"_s));
        QVERIFY(launch->isHidden());
        dialog.setBrowserLauncher(
            BrowserLauncher(browser, u"/usr/bin/browser"_s, QString(), u"127.0.0.1:8080"_s));
        QVERIFY(launch->isHidden());
        dialog.setBrowserLauncher(BrowserLauncher(browser, u"/usr/bin/browser"_s,
                                                  u"/usr/bin/certutil"_s, u"127.0.0.1:8080"_s));
        QVERIFY(!launch->isHidden());
        QCOMPARE(dialog.browserLauncher(browser).program(), u"/usr/bin/browser"_s);
    }

    void launchFailureIsShown_data() { launchButtonOnlyWhenItCanWork_data(); }

    void launchFailureIsShown()
    {
        QFETCH(BrowserLauncher::Browser, browser);
        QFETCH(QString, button);
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        // A "certutil" that fails: the dialog reports it instead of starting anything.
        dialog.setBrowserLauncher(
            BrowserLauncher(browser, u"/bin/true"_s, u"/bin/false"_s, u"127.0.0.1:8080"_s));
        dialog.findChild<QPushButton *>(button)->click();
        const QString name = QString::fromLatin1(QTest::currentDataTag());
        QVERIFY2(dialog.statusText().startsWith(u"Could not launch "_s + name
                                                + u": /bin/false failed"_s),
                 qPrintable(dialog.statusText()));
    }

    void demo()
    {
        const int seconds = qEnvironmentVariableIntValue("TS_DEMO_SECONDS");
        if (seconds <= 0)
            QSKIP("set TS_DEMO_SECONDS to show the dialog");
        CaDialog dialog(m_ca, u"127.0.0.1:8080"_s);
        dialog.show();
        QTest::qWait(seconds * 1000);
    }

private:
    QTemporaryDir m_dir;
    std::shared_ptr<const CertificateAuthority> m_ca;
};

QTEST_MAIN(CaDialogTest)
#include "ca_dialog_test.moc"
