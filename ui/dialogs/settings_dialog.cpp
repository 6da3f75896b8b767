#include "ui/dialogs/settings_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPalette>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ts::ui {

namespace {

// A number field's value; -1 when it is not a whole number, which validate() then explains.
qint64 number(const QLineEdit *edit)
{
    bool ok = false;
    const qint64 v = edit->text().trimmed().toLongLong(&ok);
    return ok ? v : -1;
}

QLineEdit *numberEdit(QWidget *parent, const char *name, qint64 value, int digits)
{
    auto *e = new QLineEdit(QString::number(value), parent);
    e->setObjectName(QLatin1String(name));
    e->setMaximumWidth(e->fontMetrics().horizontalAdvance(QLatin1Char('0')) * (digits + 2) + 16);
    e->setAlignment(Qt::AlignRight);
    return e;
}

QWidget *withUnit(QWidget *field, const QString &unit, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(field);
    row->addWidget(new QLabel(unit, box));
    row->addStretch();
    return box;
}

// Shows or hides a whole form row, so a hidden message leaves no gap.
void showRow(QWidget *field, bool visible)
{
    auto *form = field->parentWidget()
                     ? qobject_cast<QFormLayout *>(field->parentWidget()->layout())
                     : nullptr;
    if (form && form->indexOf(field) >= 0)
        form->setRowVisible(field, visible);
    else
        field->setVisible(visible);
}

} // namespace

SettingsDialog::SettingsDialog(const Settings &current, QWidget *parent)
    : QDialog(parent), m_initial(current)
{
    setWindowTitle(tr("Settings"));
    setObjectName(QStringLiteral("settingsDialog"));

    // Proxy.
    auto *proxyBox = new QGroupBox(tr("Proxy"), this);
    auto *proxy = new QFormLayout(proxyBox);
    m_listenHost = new QLineEdit(current.listenHost, proxyBox);
    m_listenHost->setObjectName(QLatin1String(Settings::kListenHost));
    m_listenPort = numberEdit(proxyBox, Settings::kListenPort, current.listenPort, 5);
    auto *listenRow = new QWidget(proxyBox);
    auto *listenLayout = new QHBoxLayout(listenRow);
    listenLayout->setContentsMargins(0, 0, 0, 0);
    listenLayout->addWidget(m_listenHost, 1);
    listenLayout->addWidget(new QLabel(tr("port"), listenRow));
    listenLayout->addWidget(m_listenPort);
    proxy->addRow(tr("&Listen on:"), listenRow);
    proxy->addRow(QString(), addErrorLabel(Settings::kListenHost));
    proxy->addRow(QString(), addErrorLabel(Settings::kListenPort));
    m_listenNote = new QLabel(tr("Other machines can reach the proxy on this address."), proxyBox);
    m_listenNote->setObjectName(QStringLiteral("listenNote"));
    m_listenNote->setWordWrap(true);
    proxy->addRow(QString(), m_listenNote);

    m_httpsPort = numberEdit(proxyBox, Settings::kHttpsPort, current.httpsPort, 5);
    m_httpsPort->setToolTip(tr("A second listener for clients that speak TLS to the proxy "
                               "(curl -x https://..., Chromium --proxy-server=https://...)"));
    proxy->addRow(tr("&HTTPS proxy port:"), withUnit(m_httpsPort, tr("(0: none)"), proxyBox));
    proxy->addRow(QString(), addErrorLabel(Settings::kHttpsPort));

    // TLS.
    auto *tlsBox = new QGroupBox(tr("TLS"), this);
    auto *tls = new QFormLayout(tlsBox);
    m_intercept = new QCheckBox(tr("&Intercept TLS (decrypt with Tunnelscope's CA)"), tlsBox);
    m_intercept->setObjectName(QLatin1String(Settings::kIntercept));
    m_intercept->setChecked(current.intercept);
    tls->addRow(m_intercept);
    m_passthrough = new QPlainTextEdit(current.passthrough.join(QLatin1Char('\n')), tlsBox);
    m_passthrough->setObjectName(QLatin1String(Settings::kPassthrough));
    m_passthrough->setPlaceholderText(tr("*.bank.example\nre:^login\\.\nOne pattern per line"));
    m_passthrough->setTabChangesFocus(true);
    m_passthrough->setMaximumHeight(m_passthrough->fontMetrics().lineSpacing() * 5 + 12);
    tls->addRow(tr("&Pass through:"), m_passthrough);
    tls->addRow(QString(), addErrorLabel(Settings::kPassthrough));
    m_verifyUpstream = new QCheckBox(tr("&Verify servers' certificates"), tlsBox);
    m_verifyUpstream->setObjectName(QLatin1String(Settings::kVerifyUpstream));
    m_verifyUpstream->setChecked(current.verifyUpstream);
    tls->addRow(m_verifyUpstream);

    // Memory.
    auto *memoryBox = new QGroupBox(tr("Memory"), this);
    auto *memory = new QFormLayout(memoryBox);
    m_bodyMemory = numberEdit(memoryBox, Settings::kBodyMemoryMiB, current.bodyMemoryMiB, 8);
    memory->addRow(tr("&Bodies in memory:"), withUnit(m_bodyMemory, tr("MiB"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kBodyMemoryMiB));
    m_bodyCap = numberEdit(memoryBox, Settings::kBodyCapKiB, current.bodyCapKiB, 8);
    memory->addRow(tr("&One body in memory:"),
                   withUnit(m_bodyCap, tr("KiB, the rest spills to disk"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kBodyCapKiB));
    m_frameLog = numberEdit(memoryBox, Settings::kFrameLogFrames, current.frameLogFrames, 8);
    memory->addRow(tr("&Frame log:"), withUnit(m_frameLog, tr("frames per connection"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kFrameLogFrames));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(proxyBox);
    layout->addWidget(tlsBox);
    layout->addWidget(memoryBox);
    layout->addStretch();
    layout->addWidget(m_buttons);

    for (QLineEdit *e :
         {m_listenHost, m_listenPort, m_httpsPort, m_bodyMemory, m_bodyCap, m_frameLog})
        connect(e, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    connect(m_passthrough, &QPlainTextEdit::textChanged, this, &SettingsDialog::revalidate);
    revalidate();
}

SettingsDialog::~SettingsDialog() = default;

QLabel *SettingsDialog::addErrorLabel(const char *key)
{
    auto *label = new QLabel(this);
    label->setObjectName(QLatin1String(key) + QStringLiteral("/error"));
    label->setWordWrap(true);
    label->setVisible(false);
    // A red that reads on the current palette, as in the flows table.
    QPalette p = label->palette();
    const bool dark = p.color(QPalette::Window).lightness() < 128;
    p.setColor(QPalette::WindowText, dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28));
    label->setPalette(p);
    m_errors.insert(QLatin1String(key), label);
    return label;
}

Settings SettingsDialog::settings() const
{
    Settings s;
    s.listenHost = m_listenHost->text().trimmed();
    s.listenPort = number(m_listenPort);
    s.httpsPort = number(m_httpsPort);
    s.intercept = m_intercept->isChecked();
    s.passthrough.clear();
    for (const QString &line : m_passthrough->toPlainText().split(QLatin1Char('\n'))) {
        // Blank lines are kept while editing (line numbers in errors match), dropped here.
        if (!line.trimmed().isEmpty())
            s.passthrough << line.trimmed();
    }
    s.verifyUpstream = m_verifyUpstream->isChecked();
    s.bodyMemoryMiB = number(m_bodyMemory);
    s.bodyCapKiB = number(m_bodyCap);
    s.frameLogFrames = number(m_frameLog);
    return s;
}

QStringList SettingsDialog::changedKeys() const
{
    return Settings::changedKeys(m_initial, settings());
}

bool SettingsDialog::acceptable() const
{
    return m_buttons->button(QDialogButtonBox::Ok)->isEnabled();
}

QString SettingsDialog::errorText(const QString &key) const
{
    const QLabel *label = m_errors.value(key);
    return label && !label->isHidden() ? label->text() : QString();
}

void SettingsDialog::revalidate()
{
    Settings s = settings();
    // Errors name lines as the person sees them, blank ones included.
    s.passthrough = m_passthrough->toPlainText().split(QLatin1Char('\n'));
    const QMap<QString, QString> errors = s.validate();
    for (auto it = m_errors.cbegin(); it != m_errors.cend(); ++it) {
        const QString error = errors.value(it.key());
        it.value()->setText(error);
        showRow(it.value(), !error.isEmpty());
    }
    const QHostAddress address(s.listenHost);
    showRow(m_listenNote, !errors.contains(QLatin1String(Settings::kListenHost))
                              && s.listenHost != QLatin1String("localhost")
                              && !address.isLoopback());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(errors.isEmpty());
}

} // namespace ts::ui
