#include "ui/app_resources.h"
#include "ui/error_text.h"

#include <QApplication>
#include <QTest>
#include <QTranslator>

using namespace Qt::StringLiterals;

// Core errors in the window (issue 18): the codes people meet get a sentence in the window's
// language, the core's English message stays as the detail; other codes show the message.
class ErrorTextTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { qDeleteAll(qApp->findChildren<QTranslator *>(Qt::FindDirectChildrenOnly)); }

    void knownCodeGetsASentenceAndKeepsTheDetail()
    {
        const ts::Error e{"ca", "certificate authority: /x/ca.pem: Permission denied"};
        QCOMPARE(ts::ui::errorText(e),
                 u"Tunnelscope cannot load or create its certificate authority, the CA it "
                 "intercepts HTTPS with.\ncertificate authority: /x/ca.pem: Permission denied"_s);
    }

    void unknownCodeShowsTheMessage()
    {
        QCOMPARE(ts::ui::errorText({"h2.whatever", "something broke"}), u"something broke"_s);
        QVERIFY(ts::ui::errorHeadline("h2.whatever").isEmpty());
    }

    void everyCommonCodeHasASentence()
    {
        for (const char *code :
             {"listen.failed", "listen.address", "ca", "tls.ca.io", "tls.ca.corrupt",
              "tls.ca.missing", "tls.ca.mismatch", "tls.ca.expired", "filter.syntax",
              "session.read", "session.foreign", "session.newer", "session.write", "har.write",
              "file.unwritable", "har.parse", "har.format"})
            QVERIFY2(!ts::ui::errorHeadline(code).isEmpty(), code);
    }

    void sentenceIsTranslated()
    {
        QVERIFY(ts::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany)));
        QCOMPARE(ts::ui::errorText({"filter.syntax", "at 3: expected a value"}),
                 u"Der Filter ist ung\u00fcltig.\nat 3: expected a value"_s);
    }
};

QTEST_MAIN(ErrorTextTest)
#include "error_text_test.moc"
