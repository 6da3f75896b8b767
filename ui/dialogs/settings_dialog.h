#pragma once

#include "ui/dialogs/settings.h"

#include <QDialog>
#include <QHash>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace ts::ui {

// Edits Settings: each field explains what is wrong with it right next to it, and OK stays
// disabled until nothing is. It applies nothing itself: the caller takes settings() and
// changedKeys() and decides what can change without a restart.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    explicit SettingsDialog(const Settings &current, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    Settings settings() const;                   // what the fields say now
    QStringList changedKeys() const;             // against the settings the dialog opened with
    bool acceptable() const;                     // nothing wrong: OK is enabled
    QString errorText(const QString &key) const; // shown next to the field; empty when fine

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    // An ordered list of upstream entries (hop URLs or rules) with a field to type a new one
    // and buttons to add, remove and move them. The list shows entries with passwords as
    // "***"; each item keeps its text in Qt::UserRole.
    struct EntryList
    {
        QListWidget *list = nullptr;
        QLineEdit *edit = nullptr;
        QPushButton *add = nullptr;
        QPushButton *remove = nullptr;
        QPushButton *up = nullptr;
        QPushButton *down = nullptr;
        QLabel *editError = nullptr;
        QString (*check)(const QString &) = nullptr; // the edit's error, "" when it can be added
        QStringList entries() const;
        QString pendingError() const; // what is wrong with the edit's text; "" when empty
    };
    QWidget *makeEntryList(EntryList &e, const char *key, const QStringList &entries,
                           const QString &placeholder, QString (*check)(const QString &));
    void addEntry(EntryList &e);
    void updateEntryButtons(EntryList &e);

    void revalidate();
    QLabel *addErrorLabel(const char *key);

    const Settings m_initial;
    QLineEdit *m_listenHost = nullptr;
    QLineEdit *m_listenPort = nullptr;
    QLineEdit *m_httpsPort = nullptr;
    QCheckBox *m_intercept = nullptr;
    QPlainTextEdit *m_passthrough = nullptr;
    QCheckBox *m_verifyUpstream = nullptr;
    QLineEdit *m_bodyMemory = nullptr;
    QLineEdit *m_bodyCap = nullptr;
    QLineEdit *m_frameLog = nullptr;
    QComboBox *m_appearance = nullptr;
    EntryList m_hops;
    EntryList m_rules;
    QLabel *m_listenNote = nullptr;
    QTabWidget *m_pages = nullptr; // General, Upstream proxies
    QHash<QString, QLabel *> m_errors;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace ts::ui
