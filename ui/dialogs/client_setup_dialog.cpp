#include "ui/dialogs/client_setup_dialog.h"

#include "core/tls/certificate_authority.h"
#include "ui/setup/lan_setup.h"
#include "ui/setup/qr_code.h"
#include "ui/setup/system_ca.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

QPlainTextEdit *codeBox(const QString &text, const char *name, QWidget *parent)
{
    auto *box = new QPlainTextEdit(text, parent);
    box->setObjectName(QLatin1String(name));
    box->setReadOnly(true);
    box->setLineWrapMode(QPlainTextEdit::NoWrap);
    box->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // Every line visible, with room for the horizontal scroll bar that long paths bring.
    const int lines = int(text.count(u'\n')) + 1;
    box->setFixedHeight(box->fontMetrics().lineSpacing() * lines
                        + box->horizontalScrollBar()->sizeHint().height() + 16);
    return box;
}

QLabel *note(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QPushButton *copyButton(QPlainTextEdit *box, const char *name, QWidget *parent)
{
    auto *button = new QPushButton(ClientSetupDialog::tr("Copy"), parent);
    button->setObjectName(QLatin1String(name));
    QObject::connect(button, &QPushButton::clicked, box,
                     [box] { QApplication::clipboard()->setText(box->toPlainText()); });
    return button;
}

} // namespace

ClientSetupDialog::ClientSetupDialog(const QString &proxyAddress,
                                     std::shared_ptr<const tls::CertificateAuthority> ca,
                                     CommandRunner &runner, SystemProxy &systemProxy,
                                     QWidget *parent)
    : QDialog(parent), m_ca(std::move(ca)), m_runner(runner), m_systemProxy(systemProxy)
{
    setWindowTitle(tr("Set up a client"));
    setObjectName(u"clientSetupDialog"_s);

    // "127.0.0.1:8080", "[::1]:8080"; a wildcard address is reached on loopback.
    const qsizetype colon = proxyAddress.lastIndexOf(u':');
    m_host = proxyAddress.left(colon);
    const QString listenHost = m_host;
    m_port = quint16(proxyAddress.mid(colon + 1).toUInt());
    if (m_host == u"0.0.0.0")
        m_host = u"127.0.0.1"_s;
    else if (m_host == u"[::]")
        m_host = u"[::1]"_s;
    m_proxyUrl = u"http://"_s + m_host + u':' + QString::number(m_port);
    if (m_ca) {
        const QString directory = QString::fromStdString(m_ca->directory());
        m_caFile = directory + u"/ca.pem"_s;
        m_bundleFile = directory + u"/ca-bundle.pem"_s;
        writeBundle();
    }
    m_variables = TerminalSetup::variables(m_proxyUrl, m_caFile, m_bundleFile);

    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(u"setupTabs"_s);
    tabs->addTab(terminalPage(), tr("&Terminal"));
    tabs->addTab(systemProxyPage(), tr("S&ystem proxy"));
    if (m_ca)
        tabs->addTab(systemCaPage(), tr("System &CA store"));
    tabs->addTab(phonePage(listenHost), tr("&Phone or other device"));
    if (m_ca)
        tabs->addTab(browserPage(proxyAddress), tr("&Browser"));

    m_status = new QLabel(this);
    m_status->setObjectName(u"setupStatus"_s);
    m_status->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(860, 460);
}

ClientSetupDialog::~ClientSetupDialog() = default;

QString ClientSetupDialog::terminalSnippet() const
{
    return TerminalSetup::snippet(m_variables);
}

QString ClientSetupDialog::statusText() const
{
    return m_status->text();
}

void ClientSetupDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? u"color: #b00020;"_s : QString());
}

void ClientSetupDialog::writeBundle()
{
    // The system's roots and the CA: tools that read SSL_CERT_FILE and the like use that file
    // instead of the system's, and must still trust the hosts that are passed through.
    QFile system(u"/etc/ssl/certs/ca-certificates.crt"_s);
    QByteArray roots;
    if (system.open(QIODevice::ReadOnly))
        roots = system.readAll();
    const QByteArray bundle
        = TerminalSetup::bundle(roots, QByteArray::fromStdString(m_ca->certificatePem()));
    QFile current(m_bundleFile);
    if (current.open(QIODevice::ReadOnly) && current.readAll() == bundle)
        return;
    QSaveFile out(m_bundleFile);
    if (!out.open(QIODevice::WriteOnly) || out.write(bundle) != bundle.size() || !out.commit())
        m_bundleFile.clear(); // the snippet then leaves those variables out
}

QWidget *ClientSetupDialog::terminalPage()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(
        note(m_ca ? tr("Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node "
                       "then go through the proxy and trust its CA. The bundle is the system's "
                       "roots plus the CA, so hosts that are passed through still verify.")
                  : tr("Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node "
                       "then go through the proxy."),
             page));
    auto *box = codeBox(terminalSnippet(), "terminalSnippet", page);
    layout->addWidget(box);
    auto *row = new QHBoxLayout;
    row->addWidget(copyButton(box, "copyTerminalSnippet", page));
    auto *open = new QPushButton(tr("Open a &new terminal with these set"), page);
    open->setObjectName(u"openTerminal"_s);
    const auto terminals = TerminalSetup::terminals();
    const bool any = std::any_of(terminals.cbegin(), terminals.cend(),
                                 [this](const QString &t) { return !m_runner.find(t).isEmpty(); });
    open->setEnabled(any);
    if (!any)
        open->setToolTip(tr("No terminal program was found (x-terminal-emulator, gnome-terminal, "
                            "konsole, xterm…)."));
    connect(open, &QPushButton::clicked, this, &ClientSetupDialog::openTerminal);
    row->addWidget(open);
    row->addStretch();
    layout->addLayout(row);
    layout->addStretch();
    return page;
}

void ClientSetupDialog::openTerminal()
{
    const QString program = TerminalSetup::openTerminal(m_runner, m_variables,
                                                        QProcessEnvironment::systemEnvironment());
    if (program.isEmpty())
        setStatus(tr("No terminal could be started."), true);
    else
        setStatus(tr("Started %1 with the proxy variables set.").arg(program), false);
}

QWidget *ClientSetupDialog::systemProxyPage()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(note(tr("Applications that follow the desktop's proxy setting (GNOME and "
                              "KDE applications, Chromium) then go through Tunnelscope. The "
                              "previous setting comes back when you turn it off or quit "
                              "Tunnelscope, and at the next start should Tunnelscope stop "
                              "unexpectedly."),
                           page));
    const QList<SystemProxy::Desktop> desktops = m_systemProxy.available();
    if (desktops.contains(SystemProxy::Desktop::Gnome)) {
        auto *box = new QCheckBox(tr("Use Tunnelscope as the &GNOME proxy (gsettings)"), page);
        box->setObjectName(u"gnomeProxy"_s);
        box->setChecked(m_systemProxy.isActive(SystemProxy::Desktop::Gnome));
        connect(box, &QCheckBox::toggled, this,
                [this](bool on) { setSystemProxy(SystemProxy::Desktop::Gnome, on); });
        layout->addWidget(box);
    }
    if (desktops.contains(SystemProxy::Desktop::Kde)) {
        auto *box = new QCheckBox(tr("Use Tunnelscope as the &KDE proxy (kioslaverc)"), page);
        box->setObjectName(u"kdeProxy"_s);
        box->setChecked(m_systemProxy.isActive(SystemProxy::Desktop::Kde));
        connect(box, &QCheckBox::toggled, this,
                [this](bool on) { setSystemProxy(SystemProxy::Desktop::Kde, on); });
        layout->addWidget(box);
    }
    if (desktops.isEmpty())
        layout->addWidget(note(tr("Neither gsettings (GNOME) nor kwriteconfig5 (KDE) is "
                                  "installed, so there is no desktop proxy setting to change."),
                               page));
    layout->addSpacing(12);
    layout->addWidget(note(tr("Clients that take an automatic proxy configuration (PAC) URL "
                              "can use this one; --pac-rules chooses which hosts it sends "
                              "through Tunnelscope:"),
                           page));
    auto *pac = codeBox(m_proxyUrl + u"/proxy.pac"_s, "pacUrl", page);
    auto *row = new QHBoxLayout;
    row->addWidget(pac, 1);
    row->addWidget(copyButton(pac, "copyPacUrl", page));
    layout->addLayout(row);
    layout->addStretch();
    return page;
}

void ClientSetupDialog::setSystemProxy(SystemProxy::Desktop desktop, bool on)
{
    const Result<void> r
        = on ? m_systemProxy.enable(desktop, m_host, m_port) : m_systemProxy.restore(desktop);
    if (!r) {
        setStatus(QString::fromStdString(r.error().message), true);
        return;
    }
    setStatus(on ? tr("The system proxy is now %1.").arg(m_host + u':' + QString::number(m_port))
                 : tr("The system proxy setting is back as it was."),
              false);
}

QWidget *ClientSetupDialog::systemCaPage()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(note(tr("To make every program on this computer that uses the system's "
                              "trust store (OpenSSL, GnuTLS, curl, wget, most command-line "
                              "tools) trust the CA, run these in a terminal. They need root, "
                              "and the whole system then trusts certificates Tunnelscope "
                              "signs: do it only on a machine you debug with."),
                           page));
    auto *install = codeBox(SystemCaCommands::install(m_caFile), "caInstallCommands", page);
    auto *row = new QHBoxLayout;
    row->addWidget(install, 1);
    row->addWidget(copyButton(install, "copyCaInstall", page));
    layout->addLayout(row);
    layout->addWidget(note(tr("To remove it again:"), page));
    auto *remove = codeBox(SystemCaCommands::remove(), "caRemoveCommands", page);
    auto *row2 = new QHBoxLayout;
    row2->addWidget(remove, 1);
    row2->addWidget(copyButton(remove, "copyCaRemove", page));
    layout->addLayout(row2);
    layout->addWidget(note(tr("Browsers keep their own store: Chromium and Firefox do not read "
                              "this one. Help > Certificate authority and browser starts a "
                              "Chromium or Firefox that trusts the CA."),
                           page));
    layout->addStretch();
    return page;
}

QWidget *ClientSetupDialog::phonePage(const QString &listenHost)
{
    auto *page = new QWidget;
    page->setObjectName(u"phonePage"_s);
    auto *layout = new QVBoxLayout(page);
    const QString port = QString::number(m_port);
    const QStringList local = [] {
        QStringList out;
        for (const QHostAddress &a : LanSetup::localAddresses())
            out << a.toString();
        return out;
    }();
    if (LanSetup::isLoopback(listenHost)) {
        layout->addWidget(
            note(tr("Tunnelscope listens on %1 only, which other devices cannot reach. To use it "
                    "from a phone or another computer on your network, choose one of this "
                    "computer's addresses under Edit > Preferences > Listen on (or start "
                    "Tunnelscope with --listen ADDRESS:%2), then come back here. Anyone who can "
                    "reach that address can then use the proxy: do it only on a network you "
                    "trust.")
                     .arg(listenHost, port),
                 page));
        layout->addWidget(note(local.isEmpty()
                                   ? tr("This computer has no network address other than "
                                        "loopback right now.")
                                   : tr("This computer's addresses:"),
                               page));
        if (!local.isEmpty())
            layout->addWidget(codeBox(local.join(u'\n'), "localAddresses", page));
        layout->addStretch();
        return page;
    }
    const QStringList hosts = LanSetup::reachable(listenHost, LanSetup::localAddresses());
    if (hosts.isEmpty()) {
        layout->addWidget(note(tr("Tunnelscope listens on all addresses, but this computer has "
                                  "no network address other than loopback right now."),
                               page));
        layout->addStretch();
        return page;
    }
    const QString host = hosts.first();
    const QString base = u"http://"_s + host + u':' + port;
    auto *text = new QVBoxLayout;
    text->addWidget(note(tr("On the phone, in the settings of the Wi-Fi network it shares with "
                            "this computer, set the proxy to Manual with server %1 and port %2, "
                            "or to Automatic with this URL:")
                             .arg(host, port),
                         page));
    auto *pac = codeBox(base + u"/proxy.pac"_s, "phonePacUrl", page);
    auto *pacRow = new QHBoxLayout;
    pacRow->addWidget(pac, 1);
    pacRow->addWidget(copyButton(pac, "copyPhonePacUrl", page));
    text->addLayout(pacRow);
    text->addWidget(note(tr("Then open %1 in the phone's browser (the QR code opens it) and "
                            "download the CA certificate. Android: Settings > Security > "
                            "Encryption & credentials > Install a certificate > CA certificate; "
                            "browsers then trust it, other apps only if they opt in to user CAs. "
                            "iPhone and iPad: open it in Safari, install the profile under "
                            "Settings > General > VPN & Device Management, then turn on full "
                            "trust under Settings > General > About > Certificate Trust "
                            "Settings.")
                             .arg(base + u'/'),
                         page));
    text->addWidget(note(tr("Devices that look for a proxy on their own (WPAD) find it when "
                            "the network's DHCP server sends option 252 with %1. Remove the "
                            "CA from the phone when you are done.")
                             .arg(base + u"/wpad.dat"_s),
                         page));
    if (hosts.size() > 1)
        text->addWidget(note(tr("This computer has more addresses; use the one on the phone's "
                                "network: %1")
                                 .arg(hosts.mid(1).join(u", "_s)),
                             page));
    text->addStretch();
    auto *row = new QHBoxLayout;
    row->addLayout(text, 1);
    if (const auto code = QrCode::encode((base + u'/').toUtf8())) {
        auto *qr = new QLabel(page);
        qr->setObjectName(u"phoneQrCode"_s);
        qr->setPixmap(QPixmap::fromImage(code->image(4)));
        qr->setAccessibleName(base + u'/');
        qr->setToolTip(base + u'/');
        qr->setAlignment(Qt::AlignTop);
        row->addWidget(qr);
    }
    layout->addLayout(row);
    return page;
}

QWidget *ClientSetupDialog::browserPage(const QString &proxyAddress)
{
    auto *page = new QWidget;
    page->setObjectName(u"browserPage"_s);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(note(tr("A new browser window with a throw-away profile that goes through "
                              "the proxy, localhost included, and trusts the CA. Your own "
                              "browser and its profile are not touched."),
                           page));
    const auto find = [this](const QString &name) {
        return m_runner.find(name);
    };
    auto *row = new QHBoxLayout;
    bool any = false;
    for (const auto browser :
         {BrowserLauncher::Browser::Firefox, BrowserLauncher::Browser::Chromium}) {
        const BrowserLauncher launcher = BrowserLauncher::find(browser, proxyAddress, find);
        if (!launcher.available())
            continue; // never a dead button
        any = true;
        const bool firefox = browser == BrowserLauncher::Browser::Firefox;
        auto *button
            = new QPushButton(firefox ? tr("Launch &Firefox") : tr("Launch C&hromium"), page);
        button->setObjectName(firefox ? u"setupLaunchFirefox"_s : u"setupLaunchChromium"_s);
        connect(button, &QPushButton::clicked, this, [this, launcher] { launchBrowser(launcher); });
        row->addWidget(button);
    }
    row->addStretch();
    layout->addLayout(row);
    if (!any)
        layout->addWidget(note(tr("Neither Firefox nor Chromium can be started from here: it "
                                  "needs firefox or firefox-esr, or chromium, and certutil "
                                  "(package libnss3-tools)."),
                               page));
    layout->addStretch();
    return page;
}

void ClientSetupDialog::launchBrowser(const BrowserLauncher &launcher)
{
    // Through the runner, like every other helper here: tests see the command lines.
    const auto launched = launcher.launch(
        m_ca->certificatePem(), [this](const BrowserLauncher::Command &c) -> QString {
            if (c.detached)
                return m_runner.startDetached(c.program, c.arguments, c.environment)
                           ? QString()
                           : tr("could not start %1").arg(c.program);
            const CommandRunner::Outcome outcome = m_runner.run(c.program, c.arguments);
            if (outcome.ok())
                return {};
            return tr("%1 failed: %2")
                .arg(c.program, outcome.error.isEmpty() ? tr("exit code %1").arg(outcome.exitCode)
                                                        : outcome.error);
        });
    setStatus(launcher.describe(launched), !launched);
}

} // namespace ts::ui
