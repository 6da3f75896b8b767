#pragma once

#include <QCommandLineOption>
#include <QList>
#include <QString>
#include <QStringView>

class QCommandLineParser;

namespace ts::app {

// One command's options and texts, defined once: the parser, --help and the man page
// (tools/man_page) all read them, so the three cannot drift apart.
struct CommandSpec
{
    struct Positional
    {
        QString name;
        QString description;
    };
    struct Example
    {
        QString command;
        QString explanation;
    };

    QString command;     // "tunnelscope", "tunnelscope send"
    QString summary;     // the man page's NAME line
    QString description; // --help's first paragraph
    QList<QCommandLineOption> options;
    QList<Positional> positionals;
    QList<Example> examples;

    // The option one of whose names is `name`; the spec must define it.
    const QCommandLineOption &option(QStringView name) const;
    void applyTo(QCommandLineParser &parser) const;
};

CommandSpec mainCommand();
CommandSpec sendCommand();

} // namespace ts::app
