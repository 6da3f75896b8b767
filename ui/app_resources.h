#pragma once

#include <QLocale>

class QCoreApplication;
class QIcon;

namespace ts::ui {

// The resources the GUI process installs once, right after the application object exists:
// translations (embedded under :/i18n/) and the application icon (:/icons/tunnelscope.svg).

// Installs the Tunnelscope translation for the first of `locale`'s UI languages that has one,
// and Qt's own qtbase translation for it when the system has it. English, the language of the
// source strings, needs nothing; a language without a translation falls back to English
// silently. The translators are children of `app`. Returns whether Tunnelscope's own
// translation was installed.
bool installTranslations(QCoreApplication &app, const QLocale &locale = QLocale::system());

// The application icon, drawn from the SVG at whatever size is asked for.
QIcon applicationIcon();

// The colours of every window: "system" gives the platform's style and palette back, "light"
// and "dark" use the Fusion style (which follows the palette on every platform) with a light
// or a dark palette. Live: windows repaint.
void applyAppearance(const QString &appearance);

// installTranslations for the system locale, then (for a GUI application) the window icon
// every window inherits.
void setUpApplication(QCoreApplication &app);

} // namespace ts::ui
