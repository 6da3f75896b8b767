#include "ui/app_resources.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QIcon>
#include <QLibraryInfo>
#include <QTranslator>

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

// Loads `<name>_<language>.qm` from `directory` for the first UI language that has one.
// QTranslator::load(QLocale, ...) would skip past English (there is no tunnelscope_en.qm) and
// pick a later language, so "LANGUAGE=en:de" would come out German; we stop at English.
// load(fileName) itself falls back from "de_AT" to "de".
bool loadForLocale(QTranslator &translator, const QLocale &locale, const QString &name,
                   const QString &directory)
{
    for (const QString &language : locale.uiLanguages()) {
        if (QLocale(language).language() == QLocale::English)
            return false;
        QString suffix = language;
        suffix.replace(u'-', u'_');
        if (translator.load(name + u'_' + suffix, directory))
            return true;
    }
    return false;
}

} // namespace

bool installTranslations(QCoreApplication &app, const QLocale &locale)
{
    // Qt's own strings (dialog buttons, shortcut names such as "Ctrl+Q"), when the system
    // carries them (qt6-translations-l10n).
    auto *qt = new QTranslator(&app);
    if (loadForLocale(*qt, locale, u"qtbase"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;

    auto *own = new QTranslator(&app);
    if (!loadForLocale(*own, locale, u"tunnelscope"_s, u":/i18n"_s)) {
        delete own;
        return false;
    }
    QCoreApplication::installTranslator(own);
    return true;
}

QIcon applicationIcon()
{
    return QIcon(u":/icons/tunnelscope.svg"_s);
}

void setUpApplication(QCoreApplication &app)
{
    installTranslations(app);
    if (qobject_cast<QGuiApplication *>(&app))
        QGuiApplication::setWindowIcon(applicationIcon());
}

} // namespace ts::ui
