#pragma once

#include "ui/dialogs/browser_launcher.h"
#include "ui/setup/command_runner.h"
#include "ui/setup/system_proxy.h"
#include "ui/setup/terminal_setup.h"

#include <QDialog>

#include <memory>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace ts::tls {
class CertificateAuthority;
}

namespace ts::ui {

// Help > Set up a client: a terminal with the proxy and the CA in its environment (a snippet
// to copy, or a new terminal with it set), the desktop's system proxy on and off (put back on
// quit by the window), the proxy auto-config URL, the commands that add the CA to the
// system store and remove it again, a phone on the network (how to let it reach the
// proxy, its proxy settings and the CA, a QR code of the info page), and Firefox or Chromium
// with a throw-away profile that trusts the CA.
class ClientSetupDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientSetupDialog)

public:
    // `proxyAddress` is the HTTP listener ("127.0.0.1:8080"); `ca` may be null (interception
    // off: nothing to trust). `runner` and `systemProxy` outlive the dialog.
    ClientSetupDialog(const QString &proxyAddress,
                      std::shared_ptr<const tls::CertificateAuthority> ca, CommandRunner &runner,
                      SystemProxy &systemProxy, QWidget *parent = nullptr);
    ~ClientSetupDialog() override;

    QString terminalSnippet() const;
    QString statusText() const;

private:
    QWidget *terminalPage();
    QWidget *systemProxyPage();
    QWidget *systemCaPage();
    QWidget *phonePage(const QString &listenHost);
    QWidget *browserPage(const QString &proxyAddress);
    void launchBrowser(const BrowserLauncher &launcher);
    void writeBundle();
    void openTerminal();
    void setSystemProxy(SystemProxy::Desktop desktop, bool on);
    void setStatus(const QString &text, bool error);

    QString m_host;
    quint16 m_port = 0;
    QString m_proxyUrl;
    std::shared_ptr<const tls::CertificateAuthority> m_ca;
    CommandRunner &m_runner;
    SystemProxy &m_systemProxy;
    QString m_caFile;
    QString m_bundleFile;
    TerminalSetup::Variables m_variables;
    QLabel *m_status = nullptr;
};

} // namespace ts::ui
