#include "ui/dialogs/settings.h"
#include "ui/dialogs/settings_dialog.h"

#include <QCheckBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
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
        s.save(stored);
        stored.sync();
        QSettings again(dir.filePath(u"settings.ini"_s), QSettings::IniFormat);
        QCOMPARE(Settings::load(again), s);
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
