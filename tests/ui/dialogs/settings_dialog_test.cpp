#include "ui/app_resources.h"
#include "ui/dialogs/settings.h"
#include "ui/dialogs/settings_dialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QTemporaryDir>
#include <QTest>

using ts::ui::Settings;
using ts::ui::SettingsDialog;
using namespace Qt::StringLiterals;

namespace {

QString key(const char *name)
{
    return QLatin1String(name);
}

} // namespace

// Settings: stored and read back, each invalid value explained under its own key; the dialog
// shows the explanation beside the field and keeps OK disabled while there is one.
class SettingsDialogTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreValid() { QVERIFY(Settings{}.validate().isEmpty()); }

    void validation_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("error"); // a part of the message; "" for valid

        QTest::newRow("listen host IPv4") << key(Settings::kListenHost) << u"0.0.0.0"_s << u""_s;
        QTest::newRow("listen host IPv6") << key(Settings::kListenHost) << u"::1"_s << u""_s;
        QTest::newRow("listen host localhost")
            << key(Settings::kListenHost) << u"localhost"_s << u""_s;
        QTest::newRow("listen host name")
            << key(Settings::kListenHost) << u"proxy.example"_s << u"is not an IP address"_s;
        QTest::newRow("listen host empty")
            << key(Settings::kListenHost) << u""_s << u"Enter an address"_s;
        QTest::newRow("port 1") << key(Settings::kListenPort) << u"1"_s << u""_s;
        QTest::newRow("port 65535") << key(Settings::kListenPort) << u"65535"_s << u""_s;
        QTest::newRow("port 0") << key(Settings::kListenPort) << u"0"_s << u"from 1 to 65535"_s;
        QTest::newRow("port 65536")
            << key(Settings::kListenPort) << u"65536"_s << u"from 1 to 65535"_s;
        QTest::newRow("port not a number")
            << key(Settings::kListenPort) << u"80a"_s << u"from 1 to 65535"_s;
        QTest::newRow("https off") << key(Settings::kHttpsPort) << u"0"_s << u""_s;
        QTest::newRow("https 8443") << key(Settings::kHttpsPort) << u"8443"_s << u""_s;
        QTest::newRow("https same as http")
            << key(Settings::kHttpsPort) << u"8080"_s << u"already uses port 8080"_s;
        QTest::newRow("https out of range")
            << key(Settings::kHttpsPort) << u"70000"_s << u"from 1 to 65535"_s;
        QTest::newRow("glob") << key(Settings::kPassthrough) << u"*.bank.example"_s << u""_s;
        QTest::newRow("globs and blank lines")
            << key(Settings::kPassthrough) << u"a.example\n\n  api.?.test  \n"_s << u""_s;
        QTest::newRow("regex") << key(Settings::kPassthrough) << u"re:^login\\."_s << u""_s;
        QTest::newRow("bad regex") << key(Settings::kPassthrough) << u"ok.example\nre:([a-z]"_s
                                   << u"Line 2: Not a valid regular expression"_s;
        QTest::newRow("empty regex")
            << key(Settings::kPassthrough) << u"re:"_s << u"needs a regular expression"_s;
        QTest::newRow("glob with a space")
            << key(Settings::kPassthrough) << u"*.bank example"_s << u"is not a host glob"_s;
        QTest::newRow("a URL") << key(Settings::kPassthrough) << u"https://bank.example/"_s
                               << u"looks like a URL"_s;
        QTest::newRow("glob with brackets")
            << key(Settings::kPassthrough) << u"bank[0-9].example"_s << u"is not a host glob"_s;
        QTest::newRow("memory 1") << key(Settings::kBodyMemoryMiB) << u"1"_s << u""_s;
        QTest::newRow("memory 0") << key(Settings::kBodyMemoryMiB) << u"0"_s
                                  << u"from 1 to 1048576"_s;
        QTest::newRow("cap above memory")
            << key(Settings::kBodyCapKiB) << u"300000"_s << u"memory budget (262144 KiB)"_s;
        QTest::newRow("cap negative") << key(Settings::kBodyCapKiB) << u"-5"_s << u"from 1 to"_s;
        QTest::newRow("frames 100") << key(Settings::kFrameLogFrames) << u"100"_s << u""_s;
        QTest::newRow("frames 99")
            << key(Settings::kFrameLogFrames) << u"99"_s << u"from 100 to 10000000"_s;
        QTest::newRow("frames huge")
            << key(Settings::kFrameLogFrames) << u"20000000"_s << u"from 100 to 10000000"_s;
    }

    void validation()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, error);

        // The dialog's view: type into the field, read the text beside it.
        SettingsDialog dialog{Settings{}};
        if (field == key(Settings::kPassthrough)) {
            auto *edit = dialog.findChild<QPlainTextEdit *>(field);
            QVERIFY(edit);
            edit->setPlainText(value);
        } else {
            auto *edit = dialog.findChild<QLineEdit *>(field);
            QVERIFY(edit);
            edit->setText(value);
        }
        const QString shown = dialog.errorText(field);
        if (error.isEmpty()) {
            QVERIFY2(shown.isEmpty(), qPrintable(shown));
            QVERIFY(dialog.acceptable());
        } else {
            QVERIFY2(shown.contains(error), qPrintable(shown));
            QVERIFY(!dialog.acceptable());
            // The same verdict from the struct itself.
            QVERIFY(dialog.settings().validate().contains(field));
        }
        // Only that field complains.
        const auto errors = dialog.settings().validate();
        for (auto it = errors.cbegin(); it != errors.cend(); ++it)
            QCOMPARE(it.key(), field);
    }

    void savesAndLoads()
    {
        QTemporaryDir dir;
        QSettings stored(dir.filePath(u"settings.ini"_s), QSettings::IniFormat);
        QCOMPARE(Settings::load(stored), Settings{}); // nothing stored: the defaults

        Settings s;
        s.listenHost = u"::1"_s;
        s.listenPort = 9090;
        s.httpsPort = 9443;
        s.intercept = false;
        s.passthrough = {u"*.bank.example"_s, u"re:^login\\."_s};
        s.verifyUpstream = false;
        s.bodyMemoryMiB = 512;
        s.bodyCapKiB = 2048;
        s.frameLogFrames = 50000;
        s.upstreamHops = {u"http://alice:pw@127.0.0.1:3128"_s, u"socks5h://127.0.0.1:1080"_s};
        s.upstreamRules = {u"10.* = direct"_s};
        s.appearance = u"dark"_s;
        s.save(stored);
        stored.sync();
        QSettings again(dir.filePath(u"settings.ini"_s), QSettings::IniFormat);
        QCOMPARE(Settings::load(again), s);
    }

    // Issue 17, everyday tools: dark mode, chosen in Preferences, applied live; "system"
    // gives the platform's palette back.
    void appearanceIsChosenAndApplied()
    {
        SettingsDialog dialog{Settings{}};
        auto *box = dialog.findChild<QComboBox *>(key(Settings::kAppearance));
        QVERIFY(box);
        QCOMPARE(box->currentData().toString(), u"system"_s);
        box->setCurrentIndex(box->findData(u"dark"_s));
        QCOMPARE(dialog.changedKeys(), QStringList{key(Settings::kAppearance)});
        QCOMPARE(dialog.settings().appearance, u"dark"_s);

        const int systemWindow = qApp->palette().color(QPalette::Window).lightness();
        ts::ui::applyAppearance(u"dark"_s);
        QVERIFY(qApp->palette().color(QPalette::Window).lightness() < 100);
        QVERIFY(qApp->palette().color(QPalette::Text).lightness() > 200);
        QCOMPARE(qApp->style()->name().toLower(), u"fusion"_s);
        ts::ui::applyAppearance(u"light"_s);
        QVERIFY(qApp->palette().color(QPalette::Window).lightness() > 200);
        ts::ui::applyAppearance(u"system"_s);
        QCOMPARE(qApp->palette().color(QPalette::Window).lightness(), systemWindow);

        Settings bad;
        bad.appearance = u"sepia"_s;
        QVERIFY(bad.validate().contains(key(Settings::kAppearance)));
    }

    void changedKeys()
    {
        SettingsDialog dialog{Settings{}};
        QVERIFY(dialog.changedKeys().isEmpty());
        dialog.findChild<QLineEdit *>(key(Settings::kListenPort))->setText(u"9000"_s);
        dialog.findChild<QCheckBox *>(key(Settings::kIntercept))->setChecked(false);
        dialog.findChild<QPlainTextEdit *>(key(Settings::kPassthrough))
            ->setPlainText(u"\n*.bank.example\n\n"_s);
        QCOMPARE(dialog.changedKeys(),
                 (QStringList{key(Settings::kListenPort), key(Settings::kIntercept),
                              key(Settings::kPassthrough)}));
        const Settings s = dialog.settings();
        QCOMPARE(s.listenPort, qint64(9000));
        QCOMPARE(s.passthrough, QStringList{u"*.bank.example"_s}); // blank lines dropped
        QVERIFY(dialog.acceptable());
    }

    // The chain: typed, checked with the engine's own parser as it is typed, added, shown with
    // the password masked, reordered and removed; the settings keep the URLs whole.
    void upstreamChainIsEditedInTheDialog()
    {
        SettingsDialog dialog{Settings{}};
        const QString hops = key(Settings::kUpstreamHops);
        auto *list = dialog.findChild<QListWidget *>(hops);
        auto *edit = dialog.findChild<QLineEdit *>(hops + u"/new"_s);
        auto *add = dialog.findChild<QPushButton *>(hops + u"/add"_s);
        QVERIFY(list && edit && add);
        QCOMPARE(list->count(), 0);

        // A bad URL is explained beside the field, cannot be added, and keeps OK disabled.
        edit->setText(u"ftp://bob:hunter2@proxy.test:21"_s);
        const QString error = dialog.errorText(hops + u"/new"_s);
        QVERIFY2(error.contains(u"ftp"_s), qPrintable(error));
        QVERIFY2(!error.contains(u"hunter2"_s), qPrintable(error)); // redacted in the message
        QVERIFY(!add->isEnabled());
        QVERIFY(!dialog.acceptable());
        edit->setText(u"http://proxy.test:3128/path"_s);
        QVERIFY(!dialog.errorText(hops + u"/new"_s).isEmpty());
        QVERIFY(!dialog.acceptable());

        // A good one typed but not added: OK waits for Add (or a cleared field).
        edit->setText(u"http://alice:s3cr3t@127.0.0.1:3128"_s);
        QVERIFY(add->isEnabled());
        QVERIFY(dialog.errorText(hops + u"/new"_s).contains(u"Add"_s));
        QVERIFY(!dialog.acceptable());
        QTest::mouseClick(add, Qt::LeftButton);
        QVERIFY(edit->text().isEmpty());
        QVERIFY(dialog.acceptable());
        edit->setText(u"socks5h://127.0.0.1:1080"_s);
        QTest::keyClick(edit, Qt::Key_Return); // Return adds too
        QCOMPARE(list->count(), 2);
        QCOMPARE(list->item(0)->text(), u"http://alice:***@127.0.0.1:3128"_s);
        for (int i = 0; i < list->count(); ++i)
            QVERIFY(!list->item(i)->text().contains(u"s3cr3t"_s));
        QCOMPARE(
            dialog.settings().upstreamHops,
            (QStringList{u"http://alice:s3cr3t@127.0.0.1:3128"_s, u"socks5h://127.0.0.1:1080"_s}));

        // Reorder: the SOCKS hop first.
        list->setCurrentRow(1);
        QVERIFY(!dialog.findChild<QPushButton *>(hops + u"/down"_s)->isEnabled());
        QTest::mouseClick(dialog.findChild<QPushButton *>(hops + u"/up"_s), Qt::LeftButton);
        QCOMPARE(dialog.settings().upstreamHops.first(), u"socks5h://127.0.0.1:1080"_s);
        QCOMPARE(list->currentRow(), 0);
        QTest::mouseClick(dialog.findChild<QPushButton *>(hops + u"/remove"_s), Qt::LeftButton);
        QCOMPARE(dialog.settings().upstreamHops,
                 QStringList{u"http://alice:s3cr3t@127.0.0.1:3128"_s});

        // A rule; one without "=" is explained.
        const QString rules = key(Settings::kUpstreamRules);
        auto *ruleEdit = dialog.findChild<QLineEdit *>(rules + u"/new"_s);
        ruleEdit->setText(u"http://127.0.0.1:3129"_s);
        QVERIFY(dialog.errorText(rules + u"/new"_s).contains(u"not a rule"_s));
        QVERIFY(!dialog.acceptable());
        ruleEdit->setText(u"*.corp.example, corp.example = http://bob:pw@10.0.0.1:8080"_s);
        QTest::mouseClick(dialog.findChild<QPushButton *>(rules + u"/add"_s), Qt::LeftButton);
        ruleEdit->setText(u"10.* = direct"_s);
        QTest::mouseClick(dialog.findChild<QPushButton *>(rules + u"/add"_s), Qt::LeftButton);
        auto *ruleList = dialog.findChild<QListWidget *>(rules);
        QCOMPARE(ruleList->count(), 2);
        QVERIFY(ruleList->item(0)->text().contains(u"bob:***@"_s));
        QVERIFY(dialog.acceptable());
        QCOMPARE(dialog.changedKeys(), (QStringList{hops, rules}));

        // What the engine gets.
        const auto chains = dialog.settings().upstreamChains();
        QVERIFY(chains.ok());
        QCOMPARE(chains->chainFor("a.corp.example").display(),
                 std::string("http://bob:***@10.0.0.1:8080"));
        QVERIFY(chains->chainFor("10.1.2.3").direct());
        QCOMPARE(chains->chainFor("example.com").display(),
                 std::string("http://alice:***@127.0.0.1:3128"));
    }

    void badSavedUpstreamIsExplained()
    {
        Settings s;
        s.upstreamHops = {u"http://127.0.0.1:3128"_s, u"gopher://x:1"_s};
        s.upstreamRules = {u"*.test"_s};
        const auto errors = s.validate();
        QVERIFY(errors.value(key(Settings::kUpstreamHops)).startsWith(u"Hop 2: "_s));
        QVERIFY(errors.value(key(Settings::kUpstreamRules)).startsWith(u"Rule 1: "_s));
        QVERIFY(!s.upstreamChains().ok());
        SettingsDialog dialog(s);
        QVERIFY(dialog.errorText(key(Settings::kUpstreamHops)).contains(u"gopher"_s));
        QVERIFY(!dialog.acceptable());
        // Removing the bad entries makes it acceptable.
        auto *list = dialog.findChild<QListWidget *>(key(Settings::kUpstreamHops));
        list->setCurrentRow(1);
        dialog.findChild<QPushButton *>(key(Settings::kUpstreamHops) + u"/remove"_s)->click();
        auto *rules = dialog.findChild<QListWidget *>(key(Settings::kUpstreamRules));
        rules->setCurrentRow(0);
        dialog.findChild<QPushButton *>(key(Settings::kUpstreamRules) + u"/remove"_s)->click();
        QVERIFY(dialog.acceptable());
        QCOMPARE(dialog.settings().upstreamHops, QStringList{u"http://127.0.0.1:3128"_s});
    }

    void listeningBeyondLoopbackIsPointedOut()
    {
        SettingsDialog dialog{Settings{}};
        auto *note = dialog.findChild<QWidget *>(u"listenNote"_s);
        QVERIFY(note);
        QVERIFY(note->isHidden());
        dialog.findChild<QLineEdit *>(key(Settings::kListenHost))->setText(u"0.0.0.0"_s);
        QVERIFY(!note->isHidden());
        QVERIFY(dialog.acceptable()); // a choice, not an error
    }

    // Issue 17, defect 15: Enter in a field closed the dialog (OK was the default button),
    // and its title said Settings where the menu says Preferences.
    void enterInAFieldKeepsTheDialogOpen()
    {
        SettingsDialog dialog{Settings{}};
        QCOMPARE(dialog.windowTitle(), u"Preferences"_s);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *port = dialog.findChild<QLineEdit *>(key(Settings::kListenPort));
        QVERIFY(port);
        port->setFocus();
        QTest::keyClick(port, Qt::Key_Return);
        QTest::keyClick(port, Qt::Key_Enter);
        QVERIFY(dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
    }

    void demo()
    {
        const int seconds = qEnvironmentVariableIntValue("TS_DEMO_SECONDS");
        if (seconds <= 0)
            QSKIP("set TS_DEMO_SECONDS to show the dialog");
        Settings s;
        s.passthrough = {u"*.bank.example"_s, u"re:([a-z]"_s};
        s.httpsPort = 8080;
        SettingsDialog dialog(s);
        dialog.show();
        QTest::qWait(seconds * 1000);
    }
};

QTEST_MAIN(SettingsDialogTest)
#include "settings_dialog_test.moc"
