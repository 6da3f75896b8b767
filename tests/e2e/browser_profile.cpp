// For the browser e2e tests: prepares a profile exactly as the window's launch button does
// (BrowserLauncher::launch, certutil run for real) but does not start the browser; prints the
// browser's command line and the environment it would get as JSON on standard output, for the
// test to start it headless in its own network namespace.
//
//   ts_browser_profile chromium|firefox PROXY_ADDRESS CA_PEM_FILE

#include "ui/dialogs/browser_launcher.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

using ts::ui::BrowserLauncher;
using namespace Qt::StringLiterals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4 || (args[1] != u"chromium"_s && args[1] != u"firefox"_s)) {
        std::fprintf(stderr, "usage: ts_browser_profile chromium|firefox PROXY_ADDRESS CA_PEM\n");
        return 2;
    }
    QFile pem(args[3]);
    if (!pem.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(args[3]));
        return 2;
    }
    const auto browser = args[1] == u"firefox"_s ? BrowserLauncher::Browser::Firefox
                                                 : BrowserLauncher::Browser::Chromium;
    const BrowserLauncher launcher = BrowserLauncher::find(browser, args[2]);
    QJsonObject out;
    const auto profile = launcher.launch(
        pem.readAll().toStdString(), [&out](const BrowserLauncher::Command &command) {
            if (!command.detached)
                return BrowserLauncher::run(command);
            QJsonObject env;
            const auto &e = command.environment;
            for (const QString &key : e.keys())
                env.insert(key, e.value(key));
            out.insert(u"program"_s, command.program);
            out.insert(u"arguments"_s, QJsonArray::fromStringList(command.arguments));
            out.insert(u"environment"_s, env);
            return QString();
        });
    if (!profile) {
        std::fprintf(stderr, "%s\n", profile.error().message.c_str());
        return 1;
    }
    out.insert(u"profile"_s, *profile);
    std::fputs(QJsonDocument(out).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputs("\n", stdout);
    return 0;
}
