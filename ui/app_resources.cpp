#include "ui/app_resources.h"

#include <QApplication>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QIcon>
#include <QLibraryInfo>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>
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

void applyAppearance(const QString &appearance)
{
    auto *app = qobject_cast<QApplication *>(QCoreApplication::instance());
    if (!app)
        return;
    // The platform's own style, noted before a choice of light or dark replaces it.
    const char *const kPlatformStyle = "tunnelscopePlatformStyle";
    if (!app->property(kPlatformStyle).isValid())
        app->setProperty(kPlatformStyle, QApplication::style()->name());
    if (appearance != u"light" && appearance != u"dark") {
        QApplication::setStyle(QStyleFactory::create(app->property(kPlatformStyle).toString()));
        QApplication::setPalette(QPalette()); // nothing set: the platform theme's palette
        return;
    }
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p = QApplication::style()->standardPalette(); // Fusion's light one
    if (appearance == u"dark") {
        const QColor window(0x35, 0x35, 0x35);
        const QColor base(0x26, 0x26, 0x26);
        const QColor text(0xe8, 0xe8, 0xe8);
        const QColor disabled(0x80, 0x80, 0x80);
        const QColor accent(0x2a, 0x82, 0xda);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(0x2e, 0x2e, 0x2e));
        p.setColor(QPalette::ToolTipBase, window);
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::PlaceholderText, disabled);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, window);
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
        p.setColor(QPalette::Light, QColor(0x4a, 0x4a, 0x4a));
        p.setColor(QPalette::Midlight, QColor(0x40, 0x40, 0x40));
        p.setColor(QPalette::Mid, QColor(0x2a, 0x2a, 0x2a));
        p.setColor(QPalette::Dark, QColor(0x20, 0x20, 0x20));
        p.setColor(QPalette::Shadow, QColor(0x10, 0x10, 0x10));
        p.setColor(QPalette::Link, QColor(0x6c, 0xb4, 0xff));
        p.setColor(QPalette::Highlight, accent);
        p.setColor(QPalette::HighlightedText, Qt::white);
        for (const auto role : {QPalette::Text, QPalette::ButtonText, QPalette::WindowText})
            p.setColor(QPalette::Disabled, role, disabled);
    }
    QApplication::setPalette(p);
}

void setUpApplication(QCoreApplication &app)
{
    installTranslations(app);
    if (qobject_cast<QGuiApplication *>(&app))
        QGuiApplication::setWindowIcon(applicationIcon());
}

} // namespace ts::ui
