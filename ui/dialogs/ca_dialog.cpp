#include "ui/dialogs/ca_dialog.h"

#include "core/tls/certificate_authority.h"
#include "ui/error_text.h"

#include <QDateTime>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QStringList>
#include <QUrl>
#include <QVBoxLayout>

namespace ts::ui {

namespace {

QString utc(WallMillis millis)
{
    return QDateTime::fromMSecsSinceEpoch(millis, Qt::UTC)
               .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
           + QStringLiteral(" UTC");
}

QLabel *value(const QString &text, QWidget *parent, const char *name, bool fixed = false)
{
    auto *label = new QLabel(text, parent);
    label->setObjectName(QLatin1String(name));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    if (fixed)
        label->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return label;
}

} // namespace

CaDialog::CaDialog(std::shared_ptr<const tls::CertificateAuthority> ca, const QString &proxyAddress,
                   QWidget *parent)
    : QDialog(parent)
    , m_ca(std::move(ca))
    , m_chromium(BrowserLauncher::find(BrowserLauncher::Browser::Chromium, proxyAddress))
    , m_firefox(BrowserLauncher::find(BrowserLauncher::Browser::Firefox, proxyAddress))
{
    setWindowTitle(tr("Certificate authority"));
    setObjectName(QStringLiteral("caDialog"));
    const tls::CertificateInfo info = m_ca->info();

    auto *intro
        = new QLabel(tr("Tunnelscope decrypts TLS with certificates it signs with this "
                        "CA. A client must trust the CA's certificate, or it rejects "
                        "them. The private key never leaves %1.")
                         .arg(QDir::toNativeSeparators(QString::fromStdString(m_ca->directory()))),
                     this);
    intro->setWordWrap(true);

    auto *form = new QFormLayout;
    form->addRow(tr("Subject:"), value(QString::fromStdString(info.subject), this, "subject"));
    form->addRow(tr("Valid from:"), value(utc(info.notBefore), this, "notBefore"));
    form->addRow(tr("Valid until:"), value(utc(info.notAfter), this, "notAfter"));
    form->addRow(tr("Key:"), value(QString::fromStdString(info.keyType), this, "keyType"));
    // 32 hex pairs: two lines of 16, so the fingerprint can be compared by eye.
    QString fingerprint = QString::fromStdString(info.sha256);
    if (fingerprint.size() == 95)
        fingerprint[47] = QLatin1Char('\n');
    form->addRow(tr("SHA-256:"), value(fingerprint, this, "sha256", true));

    auto *exportPem = new QPushButton(tr("Export &PEM\u2026"), this);
    exportPem->setObjectName(QStringLiteral("exportPem"));
    exportPem->setToolTip(tr("For Firefox, Chromium, curl --cacert and update-ca-certificates"));
    auto *exportDer = new QPushButton(tr("Export &DER\u2026"), this);
    exportDer->setObjectName(QStringLiteral("exportDer"));
    exportDer->setToolTip(tr("For Android, Windows and Java key stores"));
    m_launchChromium = new QPushButton(tr("&Launch Chromium through Tunnelscope"), this);
    m_launchChromium->setObjectName(QStringLiteral("launchChromium"));
    m_launchChromium->setToolTip(tr("A new Chromium profile that trusts this CA and uses the "
                                    "proxy; your own profile is not touched"));
    m_launchFirefox = new QPushButton(tr("Launch &Firefox through Tunnelscope"), this);
    m_launchFirefox->setObjectName(QStringLiteral("launchFirefox"));
    m_launchFirefox->setToolTip(tr("A new Firefox profile that trusts this CA and uses the "
                                   "proxy; your own profile is not touched"));
    connect(exportPem, &QPushButton::clicked, this, [this] { askAndExport(Format::Pem); });
    connect(exportDer, &QPushButton::clicked, this, [this] { askAndExport(Format::Der); });
    connect(m_launchChromium, &QPushButton::clicked, this,
            [this] { launchBrowser(BrowserLauncher::Browser::Chromium); });
    connect(m_launchFirefox, &QPushButton::clicked, this,
            [this] { launchBrowser(BrowserLauncher::Browser::Firefox); });
    auto *openFolder = new QPushButton(tr("&Open Folder"), this);
    openFolder->setObjectName(QStringLiteral("openCaFolder"));
    openFolder->setToolTip(tr("The folder with ca.pem, in the file manager"));
    connect(openFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QString::fromStdString(m_ca->directory());
        if (!QDesktopServices::openUrl(QUrl::fromLocalFile(dir)))
            setStatus(tr("No file manager opened %1").arg(QDir::toNativeSeparators(dir)), true);
    });

    auto *actions = new QHBoxLayout;
    actions->addWidget(exportPem);
    actions->addWidget(exportDer);
    actions->addWidget(openFolder);
    actions->addStretch();
    actions->addWidget(m_launchChromium);
    actions->addWidget(m_launchFirefox);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setVisible(false);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addLayout(actions);
    layout->addWidget(m_status);
    layout->addStretch();
    layout->addWidget(buttons);

    setBrowserLauncher(m_chromium);
    setBrowserLauncher(m_firefox);
    setMinimumWidth(fontMetrics().averageCharWidth() * 80);
}

CaDialog::~CaDialog() = default;

void CaDialog::setBrowserLauncher(BrowserLauncher launcher)
{
    const bool firefox = launcher.browser() == BrowserLauncher::Browser::Firefox;
    BrowserLauncher &mine = firefox ? m_firefox : m_chromium;
    mine = std::move(launcher);
    // Never a dead button: without the programs there is no button at all.
    (firefox ? m_launchFirefox : m_launchChromium)->setVisible(mine.available());
}

const BrowserLauncher &CaDialog::browserLauncher(BrowserLauncher::Browser browser) const
{
    return browser == BrowserLauncher::Browser::Firefox ? m_firefox : m_chromium;
}

Result<void> CaDialog::exportCertificate(const QString &path, Format format) const
{
    const std::string bytes
        = format == Format::Pem ? m_ca->certificatePem() : m_ca->certificateDer();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)
        || file.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()) || !file.commit())
        return Error{"ca.export", tr("Cannot write %1: %2")
                                      .arg(QDir::toNativeSeparators(path), file.errorString())
                                      .toStdString()};
    return {};
}

void CaDialog::askAndExport(Format format)
{
    const bool pem = format == Format::Pem;
    const QString suggested = QDir::home().filePath(pem ? QStringLiteral("tunnelscope-ca.pem")
                                                        : QStringLiteral("tunnelscope-ca.der"));
    const QString path = QFileDialog::getSaveFileName(
        this, pem ? tr("Export the CA certificate (PEM)") : tr("Export the CA certificate (DER)"),
        suggested, pem ? tr("PEM certificate (*.pem *.crt)") : tr("DER certificate (*.der *.cer)"));
    if (path.isEmpty())
        return;
    if (const auto written = exportCertificate(path, format); !written)
        setStatus(errorText(written.error()), true);
    else
        setStatus(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), false);
}

void CaDialog::launchBrowser(BrowserLauncher::Browser browser)
{
    const BrowserLauncher &launcher = browserLauncher(browser);
    const auto launched = launcher.launch(m_ca->certificatePem());
    setStatus(launcher.describe(launched), !launched);
    if (!launched)
        return;
    Q_EMIT browserLaunched(*launched);
}

void CaDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    QPalette p = palette();
    if (error) {
        const bool dark = p.color(QPalette::Window).lightness() < 128;
        p.setColor(QPalette::WindowText,
                   dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28));
    }
    m_status->setPalette(p);
    m_status->setVisible(true);
}

QString CaDialog::statusText() const
{
    return m_status->isHidden() ? QString() : m_status->text();
}

} // namespace ts::ui
