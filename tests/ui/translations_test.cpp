#include "core/flow/flow_store.h"
#include "ui/app_resources.h"
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QLibraryInfo>
#include <QMenuBar>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>

using ts::flow::FlowStore;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

// Translators installTranslations parented to the application; deleting one uninstalls it.
void removeTranslators()
{
    qDeleteAll(qApp->findChildren<QTranslator *>(Qt::FindDirectChildrenOnly));
}

QString labelText(const MainWindow &window, const QString &name)
{
    const auto *label = window.findChild<QLabel *>(name);
    return label ? label->text() : u"<no label %1>"_s.arg(name);
}

} // namespace

// The embedded translations and icon: the German catalogue is in the resources and reaches the
// main window, English and unknown languages stay English, the icon draws.
class TranslationsTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // the main window's QSettings stay in tests
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"TranslationsTest"_s);
        QSettings().clear();
    }
    void cleanup() { removeTranslators(); }
    void cleanupTestCase() { QSettings().clear(); }

    void germanCatalogueIsEmbedded()
    {
        QTranslator translator;
        QVERIFY(translator.load(u":/i18n/tunnelscope_de.qm"_s));
        QCOMPARE(translator.language(), u"de"_s);
        QCOMPARE(translator.translate("ts::ui::MainWindow", "&File"), u"&Datei"_s);
        QCOMPARE(translator.translate("ts::ui::FlowTableModel", "Duration"), u"Dauer"_s);
    }

    void mainWindowSpeaksGerman()
    {
        QVERIFY(ts::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany)));
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        QCOMPARE(window.menuBar()->actions().value(0)->text(), u"&Datei"_s);
        QCOMPARE(window.findChild<QAction *>(u"exportHarAction"_s)->text(),
                 u"HAR &exportieren\u2026"_s);
        QCOMPARE(labelText(window, u"listeningLabel"_s), u"Lauscht auf 127.0.0.1:8080"_s);
        QCOMPARE(labelText(window, u"flowCountLabel"_s), u"0 Flows"_s);
        const auto *view = window.findChild<QTableView *>(u"flowTable"_s);
        QVERIFY(view);
        QCOMPARE(view->model()->headerData(1, Qt::Horizontal).toString(), u"Zeit"_s);
    }

    // Issue 18: Simplified Chinese and French, complete (machine-assisted, see
    // translations/README.md), with their plural forms.
    void chineseAndFrenchCataloguesAreEmbedded()
    {
        QTranslator zh;
        QVERIFY(zh.load(u":/i18n/tunnelscope_zh_CN.qm"_s));
        QCOMPARE(zh.language(), u"zh_CN"_s);
        QCOMPARE(zh.translate("ts::ui::MainWindow", "&File"), u"\u6587\u4ef6(&F)"_s);
        QCOMPARE(zh.translate("ts::ui::TlsView", "%n certificate(s)", nullptr, 3),
                 u"%n \u4e2a\u8bc1\u4e66"_s);
        QTranslator fr;
        QVERIFY(fr.load(u":/i18n/tunnelscope_fr.qm"_s));
        QCOMPARE(fr.language(), u"fr"_s);
        QCOMPARE(fr.translate("ts::ui::MainWindow", "&File"), u"&Fichier"_s);
        QCOMPARE(fr.translate("ts::ui::TlsView", "%n certificate(s)", nullptr, 1),
                 u"%n certificat"_s);
        QCOMPARE(fr.translate("ts::ui::TlsView", "%n certificate(s)", nullptr, 2),
                 u"%n certificats"_s);
    }

    void mainWindowSpeaksChinese()
    {
        QVERIFY(ts::ui::installTranslations(*qApp, QLocale(QLocale::Chinese, QLocale::China)));
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        QCOMPARE(window.menuBar()->actions().value(0)->text(), u"\u6587\u4ef6(&F)"_s);
        QCOMPARE(labelText(window, u"listeningLabel"_s),
                 u"\u6b63\u5728\u76d1\u542c 127.0.0.1:8080"_s);
    }

    void germanVariantsFallBackToGerman()
    {
        QVERIFY(ts::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Austria)));
        QCOMPARE(QCoreApplication::translate("ts::ui::MainWindow", "&Quit"), u"&Beenden"_s);
    }

    void qtStringsFollowWhenTheSystemHasThem()
    {
        const QString qtbase
            = QLibraryInfo::path(QLibraryInfo::TranslationsPath) + u"/qtbase_de.qm"_s;
        if (!QFile::exists(qtbase))
            QSKIP("no qtbase_de.qm (qt6-translations-l10n is not installed)");
        QVERIFY(ts::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany)));
        QCOMPARE(QKeySequence(Qt::CTRL | Qt::Key_Q).toString(QKeySequence::NativeText),
                 u"Strg+Q"_s);
    }

    void otherLanguagesStayEnglish_data()
    {
        QTest::addColumn<QLocale>("locale");
        QTest::newRow("English") << QLocale(QLocale::English, QLocale::UnitedStates);
        QTest::newRow("British English") << QLocale(QLocale::English, QLocale::UnitedKingdom);
        QTest::newRow("no catalogue") << QLocale(QLocale::Swahili, QLocale::Kenya);
        QTest::newRow("C") << QLocale::c();
    }
    void otherLanguagesStayEnglish()
    {
        QFETCH(QLocale, locale);
        QVERIFY(!ts::ui::installTranslations(*qApp, locale));
        FlowStore store;
        MainWindow window(store, {});
        QCOMPARE(window.menuBar()->actions().value(0)->text(), u"&File"_s);
        QCOMPARE(labelText(window, u"listeningLabel"_s), u"Not listening"_s);
    }

    // lupdate marks new or changed strings "unfinished"; each needs its translation before it
    // ships, in every language (translations/README.md).
    void everyStringIsTranslated()
    {
        const QString sourceDir = qEnvironmentVariable("TS_SOURCE_DIR");
        if (sourceDir.isEmpty())
            QSKIP("TS_SOURCE_DIR is not set (ctest sets it)");
        const QDir dir(sourceDir + u"/translations"_s);
        const QStringList files = dir.entryList({u"tunnelscope_*.ts"_s}, QDir::Files);
        QVERIFY(files.contains(u"tunnelscope_de.ts"_s));
        QVERIFY(files.contains(u"tunnelscope_zh_CN.ts"_s));
        QVERIFY(files.contains(u"tunnelscope_fr.ts"_s));
        for (const QString &name : files) {
            QFile ts(dir.filePath(name));
            QVERIFY2(ts.open(QIODevice::ReadOnly), qPrintable(ts.fileName()));
            const QByteArray text = ts.readAll();
            QVERIFY2(text.contains("<translation>"), qPrintable(name));
            QVERIFY2(!text.contains("type=\"unfinished\""),
                     qPrintable(name + u" has strings to translate"_s));
            QVERIFY2(!text.contains("type=\"vanished\"") && !text.contains("type=\"obsolete\""),
                     qPrintable(name + u" has strings the code no longer uses"_s));
        }
    }

    // Every catalogue holds every string the window can show, and none it no longer has:
    // lupdate run over ui/ into a copy of each finds nothing new and nothing vanished. (Two
    // branches each adding strings once left the French and Chinese catalogues without the
    // other's, and merges left strings behind.)
    void everyCatalogueHasEveryString()
    {
        const QString sourceDir = qEnvironmentVariable("TS_SOURCE_DIR");
        if (sourceDir.isEmpty())
            QSKIP("TS_SOURCE_DIR is not set (ctest sets it)");
        const QString lupdate = QLibraryInfo::path(QLibraryInfo::BinariesPath) + u"/lupdate"_s;
        QVERIFY2(QFile::exists(lupdate), qPrintable(lupdate + u" (qt6-l10n-tools)"_s));
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        for (const QString &lang : {u"de"_s, u"fr"_s, u"zh_CN"_s}) {
            const QString name = u"tunnelscope_"_s + lang + u".ts"_s;
            const QString copy = tmp.filePath(name);
            QVERIFY(QFile::copy(sourceDir + u"/translations/"_s + name, copy));
            QProcess run;
            // -I: lupdate reads the headers too, so contexts carry their namespaces.
            run.start(lupdate,
                      {u"-I"_s, sourceDir, sourceDir + u"/ui"_s, u"-ts"_s, copy, u"-silent"_s});
            QVERIFY(run.waitForFinished(120'000));
            QCOMPARE(run.exitCode(), 0);
            QFile updated(copy);
            QVERIFY(updated.open(QIODevice::ReadOnly));
            const QByteArray text = updated.readAll();
            const qsizetype missing = text.count("type=\"unfinished\"");
            QVERIFY2(missing == 0, qPrintable(name + u": "_s + QString::number(missing)
                                              + u" strings of ui/ missing"_s));
            const qsizetype stale = text.count("type=\"vanished\"");
            QVERIFY2(stale == 0, qPrintable(name + u": "_s + QString::number(stale)
                                            + u" strings ui/ no longer has"_s));
        }
    }

    // Issue 18: a literal handed straight to a user-visible text setter (setText, setToolTip,
    // QMessageBox, a new QLabel, ...) in ui/ skips tr(). A literal that is data rather than
    // text (JSON's true, a filter expression) carries "// data, not text" on its line or the
    // line above. Literals
    // without a word in them ("%1 %2", "\u2192") are not text either.
    void noUntranslatedLiteralInUi()
    {
        const QString sourceDir = qEnvironmentVariable("TS_SOURCE_DIR");
        if (sourceDir.isEmpty())
            QSKIP("TS_SOURCE_DIR is not set (ctest sets it)");
        // QStringLiteral("..."), QLatin1String("..."), QString::fromUtf8("...") or u"..."_s;
        // the literal's text is the first capture.
        // (Plain literals, not raw ones: moc does not read raw strings with quotes inside.)
        const QString literal = u"(?:QStringLiteral\\(|QLatin1String\\(|QString::fromUtf8\\(|u)"_s
                                + u"\"((?:[^\"\\\\]|\\\\.)*)\""_s;
        const QString setter = u"\\b(?:set(?:Text|ToolTip|WindowTitle|StatusTip|"_s
                               + u"PlaceholderText|WhatsThis|Title|LabelText|TabText|"_s
                               + u"TabToolTip)|showMessage|addTab|insertTab|addAction|"_s
                               + u"addMenu|addButton|addRow)\\(\\s*(?:[\\w>.-]+\\s*,\\s*)?"_s;
        const QRegularExpression call(setter + literal);
        const QRegularExpression box(
            u"QMessageBox::(?:information|warning|critical|question)\\([^,]*,\\s*"_s + literal);
        const QRegularExpression widget(
            u"new\\s+Q(?:Label|PushButton|CheckBox|RadioButton|GroupBox|Action|Menu|"_s
            + u"ToolButton)\\(\\s*"_s + literal);
        const QRegularExpression word(u"[A-Za-z]{2,}"_s);
        const auto offending = [&](const QString &line) {
            for (const QRegularExpression *re : {&call, &box, &widget}) {
                auto it = re->globalMatch(line);
                while (it.hasNext()) {
                    if (word.match(it.next().captured(1)).hasMatch())
                        return true;
                }
            }
            return false;
        };
        // The check finds what it is meant to find.
        QVERIFY(offending(u"    label->setText(QStringLiteral(\"Listening\"));"_s));
        QVERIFY(offending(u"    QMessageBox::warning(this, u\"Export\"_s, why);"_s));
        QVERIFY(offending(u"    auto *l = new QLabel(u\"Port:\"_s, this);"_s));
        QVERIFY(!offending(u"    label->setText(tr(\"Listening\"));"_s));
        QVERIFY(!offending(u"    item->setText(u\"%1  %2\"_s.arg(a, b));"_s));

        QStringList found;
        QDirIterator files(sourceDir + u"/ui"_s, {u"*.cpp"_s, u"*.h"_s}, QDir::Files,
                           QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString path = files.next();
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
            const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
            for (qsizetype i = 0; i < lines.size(); ++i) {
                const bool marked = lines[i].contains(u"// data, not text"_s)
                                    || (i > 0 && lines[i - 1].contains(u"// data, not text"_s));
                if (offending(lines[i]) && !marked)
                    found << u"%1:%2: %3"_s.arg(path.mid(sourceDir.size() + 1))
                                 .arg(i + 1)
                                 .arg(lines[i].trimmed());
            }
        }
        QVERIFY2(found.isEmpty(), qPrintable(u"untranslated text:\n"_s + found.join(u'\n')));
    }

    void iconDraws()
    {
        const QIcon icon = ts::ui::applicationIcon();
        QVERIFY(!icon.isNull());
        for (const int size : {16, 32, 64, 256}) {
            const QImage image = icon.pixmap(size).toImage();
            QCOMPARE(image.size(), QSize(size, size));
            // The rounded square fills the middle and leaves the corners clear.
            QCOMPARE(image.pixelColor(size / 2, size / 4).alpha(), 255);
            QCOMPARE(image.pixelColor(0, 0).alpha(), 0);
        }
    }

    void setUpApplicationSetsTheWindowIcon()
    {
        ts::ui::setUpApplication(*qApp);
        QVERIFY(!QApplication::windowIcon().isNull());
        FlowStore store;
        MainWindow window(store, {});
        QVERIFY(!window.windowIcon().pixmap(32).isNull());
    }
};

QTEST_MAIN(TranslationsTest)
#include "translations_test.moc"
