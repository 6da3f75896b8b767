#include "ui/dialogs/ca_dialog.h"

#include "core/tls/certificate_authority.h"

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
    : QDialog(parent), m_ca(std::move(ca)), m_launcher(BrowserLauncher::find(proxyAddress))
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
    m_launch = new QPushButton(tr("&Launch Chromium through Tunnelscope"), this);
    m_launch->setObjectName(QStringLiteral("launchChromium"));
    m_launch->setToolTip(tr("A new Chromium profile that trusts this CA and uses the proxy; "
                            "your own profile is not touched"));
    connect(exportPem, &QPushButton::clicked, this, [this] { askAndExport(Format::Pem); });
    connect(exportDer, &QPushButton::clicked, this, [this] { askAndExport(Format::Der); });
    connect(m_launch, &QPushButton::clicked, this, &CaDialog::launchBrowser);
    auto *openFolder = new QPushButton(tr("Open &Folder"), this);
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
    actions->addWidget(m_launch);

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

    setBrowserLauncher(m_launcher);
    setMinimumWidth(fontMetrics().averageCharWidth() * 80);
}

CaDialog::~CaDialog() = default;

void CaDialog::setBrowserLauncher(BrowserLauncher launcher)
{
    m_launcher = std::move(launcher);
    // Never a dead button: without the programs there is no button at all.
    m_launch->setVisible(m_launcher.available());
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
        setStatus(QString::fromStdString(written.error().message), true);
    else
        setStatus(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), false);
}

void CaDialog::launchBrowser()
{
    const auto launched = m_launcher.launch(m_ca->certificatePem());
    if (!launched) {
        setStatus(tr("Could not launch Chromium: %1")
                      .arg(QString::fromStdString(launched.error().message)),
                  true);
        return;
    }
    setStatus(tr("Chromium started with the profile %1, through %2")
                  .arg(QDir::toNativeSeparators(*launched), m_launcher.proxyUrl()),
              false);
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
