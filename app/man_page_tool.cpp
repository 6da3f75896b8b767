// Writes the man pages of `tunnelscope` and `tunnelscope send` from their option definitions
// (app/cli_spec.cpp): tunnelscope_man_page OUTPUT_DIRECTORY VERSION. Run by the build.
#include "app/cli_spec.h"
#include "app/man_page.h"

#include <QDir>
#include <QFile>

#include <cstdio>

int main(int argc, char *argv[])
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: tunnelscope_man_page OUTPUT_DIRECTORY VERSION\n");
        return 2;
    }
    const QString directory = QString::fromLocal8Bit(argv[1]);
    const QString version = QString::fromLocal8Bit(argv[2]);
    QDir().mkpath(directory);
    const ts::app::CommandSpec main = ts::app::mainCommand();
    const ts::app::CommandSpec send = ts::app::sendCommand();
    const QList<std::pair<const ts::app::CommandSpec *, QString>> pages = {
        {&main, ts::app::manPageName(send)},
        {&send, ts::app::manPageName(main)},
    };
    for (const auto &[spec, other] : pages) {
        QFile out(directory + QLatin1Char('/') + ts::app::manPageName(*spec) + QLatin1String(".1"));
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            std::fprintf(stderr, "tunnelscope_man_page: %s: %s\n", qPrintable(out.fileName()),
                         qPrintable(out.errorString()));
            return 1;
        }
        out.write(ts::app::manPage(*spec, version, {other, QStringLiteral("curl")}).toUtf8());
    }
    return 0;
}
