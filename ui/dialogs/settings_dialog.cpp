#include "ui/dialogs/settings_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPalette>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QTabWidget>
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
    setWindowTitle(tr("Preferences")); // what Edit > Preferences calls it
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
    memory->addRow(tr("&Recorded flows in memory:"), withUnit(m_bodyMemory, tr("MiB"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kBodyMemoryMiB));
    m_bodyCap = numberEdit(memoryBox, Settings::kBodyCapKiB, current.bodyCapKiB, 8);
    memory->addRow(tr("&One body in memory:"),
                   withUnit(m_bodyCap, tr("KiB, the rest spills to disk"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kBodyCapKiB));
    m_frameLog = numberEdit(memoryBox, Settings::kFrameLogFrames, current.frameLogFrames, 8);
    memory->addRow(tr("&Frame log:"), withUnit(m_frameLog, tr("frames per connection"), memoryBox));
    memory->addRow(QString(), addErrorLabel(Settings::kFrameLogFrames));

    // Appearance: the desktop's colours, or light or dark whatever the desktop says.
    auto *lookBox = new QGroupBox(tr("Appearance"), this);
    auto *look = new QFormLayout(lookBox);
    m_appearance = new QComboBox(lookBox);
    m_appearance->setObjectName(QLatin1String(Settings::kAppearance));
    m_appearance->addItem(tr("Follow the system"), QStringLiteral("system"));
    m_appearance->addItem(tr("Light"), QStringLiteral("light"));
    m_appearance->addItem(tr("Dark"), QStringLiteral("dark"));
    m_appearance->setCurrentIndex(std::max(0, m_appearance->findData(current.appearance)));
    look->addRow(tr("Colo&urs:"), m_appearance);

    // Upstream proxies: a page of their own (two lists do not fit under the rest).
    auto *upstreamBox = new QWidget(this);
    auto *upstream = new QFormLayout(upstreamBox);
    auto *upstreamNote = new QLabel(
        tr("Server-side connections go through these proxies in order, hop 1 first; each hop "
           "is reached through the ones before it. No hops: direct. Passwords are shown as "
           "***. Changes apply to connections opened from then on."),
        upstreamBox);
    upstreamNote->setWordWrap(true);
    upstream->addRow(upstreamNote);
    upstream->addRow(tr("&Chain:"),
                     makeEntryList(m_hops, Settings::kUpstreamHops, current.upstreamHops,
                                   tr("http://user:password@proxy.example:3128"),
                                   &upstreamHopError));
    upstream->addRow(QString(), addErrorLabel(Settings::kUpstreamHops));
    upstream->addRow(tr("&Rules:"),
                     makeEntryList(m_rules, Settings::kUpstreamRules, current.upstreamRules,
                                   tr("*.corp.example = http://proxy:3128   or   10.* = direct"),
                                   &upstreamRuleError));
    upstream->addRow(QString(), addErrorLabel(Settings::kUpstreamRules));
    auto *rulesNote = new QLabel(tr("A rule sends the hosts its globs match through its own "
                                    "chain (hop URLs separated by commas) or direct; the first "
                                    "rule that matches wins, the chain above takes the rest."),
                                 upstreamBox);
    rulesNote->setWordWrap(true);
    upstream->addRow(QString(), rulesNote);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *general = new QWidget(this);
    auto *generalLayout = new QVBoxLayout(general);
    generalLayout->addWidget(proxyBox);
    generalLayout->addWidget(tlsBox);
    generalLayout->addWidget(memoryBox);
    generalLayout->addWidget(lookBox);
    generalLayout->addStretch();
    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->addTab(general, tr("General"));
    m_pages->addTab(upstreamBox, tr("Upstream proxies"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages);
    layout->addWidget(m_buttons);

    for (QLineEdit *e :
         {m_listenHost, m_listenPort, m_httpsPort, m_bodyMemory, m_bodyCap, m_frameLog})
        connect(e, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    connect(m_passthrough, &QPlainTextEdit::textChanged, this, &SettingsDialog::revalidate);
    revalidate();
}

void SettingsDialog::keyPressEvent(QKeyEvent *event)
{
    // Enter in a field ends an edit, not the dialog (QDialog would click OK, the default
    // button): OK is clicked, or reached with Tab; Enter on a focused button still presses it.
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)
        && !qobject_cast<QAbstractButton *>(focusWidget())) {
        event->accept();
        return;
    }
    QDialog::keyPressEvent(event);
}

SettingsDialog::~SettingsDialog() = default;

QWidget *SettingsDialog::makeEntryList(EntryList &e, const char *key, const QStringList &entries,
                                       const QString &placeholder,
                                       QString (*check)(const QString &))
{
    auto *box = new QWidget(this);
    auto *grid = new QGridLayout(box);
    grid->setContentsMargins(0, 0, 0, 0);
    e.check = check;
    e.list = new QListWidget(box);
    e.list->setObjectName(QLatin1String(key));
    e.list->setMinimumHeight(e.list->fontMetrics().lineSpacing() * 5 + 12);
    for (const QString &entry : entries) {
        auto *item = new QListWidgetItem(upstreamDisplay(entry), e.list);
        item->setData(Qt::UserRole, entry);
    }
    e.edit = new QLineEdit(box);
    e.edit->setObjectName(QLatin1String(key) + QStringLiteral("/new"));
    e.edit->setPlaceholderText(placeholder);
    e.add = new QPushButton(tr("&Add"), box);
    e.add->setObjectName(QLatin1String(key) + QStringLiteral("/add"));
    e.remove = new QPushButton(tr("Remove"), box);
    e.remove->setObjectName(QLatin1String(key) + QStringLiteral("/remove"));
    e.up = new QPushButton(tr("Up"), box);
    e.up->setObjectName(QLatin1String(key) + QStringLiteral("/up"));
    e.down = new QPushButton(tr("Down"), box);
    e.down->setObjectName(QLatin1String(key) + QStringLiteral("/down"));
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(e.remove);
    buttons->addWidget(e.up);
    buttons->addWidget(e.down);
    buttons->addStretch();
    grid->addWidget(e.list, 0, 0);
    grid->addLayout(buttons, 0, 1);
    grid->addWidget(e.edit, 1, 0);
    grid->addWidget(e.add, 1, 1);
    // The edit's own message: a URL being typed is explained before it can be added.
    e.editError = addErrorLabel(qPrintable(QLatin1String(key) + QStringLiteral("/new")));
    grid->addWidget(e.editError, 2, 0, 1, 2);

    auto move = [this, &e](int by) {
        const int row = e.list->currentRow();
        const int to = row + by;
        if (row < 0 || to < 0 || to >= e.list->count())
            return;
        e.list->insertItem(to, e.list->takeItem(row));
        e.list->setCurrentRow(to);
        revalidate();
    };
    connect(e.add, &QPushButton::clicked, this, [this, &e] { addEntry(e); });
    connect(e.edit, &QLineEdit::returnPressed, this, [this, &e] { addEntry(e); });
    connect(e.remove, &QPushButton::clicked, this, [this, &e] {
        delete e.list->takeItem(e.list->currentRow());
        revalidate();
    });
    connect(e.up, &QPushButton::clicked, this, [move] { move(-1); });
    connect(e.down, &QPushButton::clicked, this, [move] { move(+1); });
    connect(e.list, &QListWidget::currentRowChanged, this, [this, &e] { updateEntryButtons(e); });
    connect(e.edit, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    return box;
}

QStringList SettingsDialog::EntryList::entries() const
{
    QStringList out;
    for (int i = 0; i < list->count(); ++i)
        out << list->item(i)->data(Qt::UserRole).toString();
    return out;
}

QString SettingsDialog::EntryList::pendingError() const
{
    const QString text = edit->text().trimmed();
    return text.isEmpty() ? QString() : check(text);
}

void SettingsDialog::addEntry(EntryList &e)
{
    const QString text = e.edit->text().trimmed();
    if (text.isEmpty() || !e.check(text).isEmpty())
        return;
    auto *item = new QListWidgetItem(upstreamDisplay(text), e.list);
    item->setData(Qt::UserRole, text);
    e.list->setCurrentItem(item);
    e.edit->clear(); // revalidates
}

void SettingsDialog::updateEntryButtons(EntryList &e)
{
    const int row = e.list->currentRow();
    e.remove->setEnabled(row >= 0);
    e.up->setEnabled(row > 0);
    e.down->setEnabled(row >= 0 && row + 1 < e.list->count());
    const QString text = e.edit->text().trimmed();
    e.add->setEnabled(!text.isEmpty() && e.check(text).isEmpty());
}

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
    s.upstreamHops = m_hops.entries();
    s.upstreamRules = m_rules.entries();
    s.appearance = m_appearance->currentData().toString();
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
    // A hop or rule typed but not added: explained when it cannot work, and in any case
    // OK waits until it is added or cleared (it would be lost without a word).
    bool pending = false;
    for (EntryList *e : {&m_hops, &m_rules}) {
        QString error = e->pendingError();
        if (error.isEmpty() && !e->edit->text().trimmed().isEmpty())
            error = tr("Press Add to use it, or clear the field.");
        e->editError->setText(error);
        showRow(e->editError, !error.isEmpty());
        pending = pending || !error.isEmpty();
        updateEntryButtons(*e);
    }
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(errors.isEmpty() && !pending);

    // A page with something to fix says so on its tab: OK is disabled for a reason that may be
    // on the page not shown.
    bool upstreamErrors = pending;
    bool generalErrors = false;
    for (auto it = errors.cbegin(); it != errors.cend(); ++it) {
        const bool upstreamKey = it.key() == QLatin1String(Settings::kUpstreamHops)
                                 || it.key() == QLatin1String(Settings::kUpstreamRules);
        (upstreamKey ? upstreamErrors : generalErrors) = true;
    }
    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    m_pages->setTabIcon(0, generalErrors ? warning : QIcon());
    m_pages->setTabIcon(1, upstreamErrors ? warning : QIcon());
}

} // namespace ts::ui
