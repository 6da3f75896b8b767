#pragma once

#include "core/base/result.h"
#include "ui/dialogs/browser_launcher.h"

#include <QDialog>

#include <memory>

class QLabel;
class QPushButton;

namespace ts::tls {
class CertificateAuthority;
}

namespace ts::ui {

// The interception CA: what it is (subject, validity, SHA-256 fingerprint), exporting its
// certificate for clients to trust, and a Chromium or Firefox started through the proxy that
// trusts it already. A browser's button only exists when it and certutil are installed.
class CaDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CaDialog)

public:
    enum class Format { Pem, Der };

    // `proxyAddress` is the HTTP listener ("127.0.0.1:8080") the browser is pointed at.
    CaDialog(std::shared_ptr<const tls::CertificateAuthority> ca, const QString &proxyAddress,
             QWidget *parent = nullptr);
    ~CaDialog() override;

    // What the export buttons do once the user has chosen a file.
    Result<void> exportCertificate(const QString &path, Format format) const;
    // Replaces the launcher found on PATH for launcher.browser() (tests).
    void setBrowserLauncher(BrowserLauncher launcher);
    const BrowserLauncher &browserLauncher(BrowserLauncher::Browser browser) const;
    QString statusText() const;

Q_SIGNALS:
    void browserLaunched(const QString &profileDirectory);

private:
    void askAndExport(Format format);
    void launchBrowser(BrowserLauncher::Browser browser);
    void setStatus(const QString &text, bool error);

    std::shared_ptr<const tls::CertificateAuthority> m_ca;
    BrowserLauncher m_chromium;
    BrowserLauncher m_firefox;
    QPushButton *m_launchChromium = nullptr;
    QPushButton *m_launchFirefox = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace ts::ui
