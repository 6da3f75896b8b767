#pragma once

#include "ui/setup/command_runner.h"

#include <QHash>
#include <QSet>

// Records every command line and answers them from a table, so tests check what the setup
// helpers would run without touching the real desktop settings.
class FakeRunner final : public ts::ui::CommandRunner
{
public:
    QSet<QString> installed;         // program names find() knows, as /usr/bin/NAME
    QHash<QString, Outcome> answers; // by "program arg arg..."; missing: exit 0, no output
    QStringList ran;                 // "program arg arg..." in order
    QStringList started;             // the same for startDetached
    QProcessEnvironment lastEnvironment;
    QString failOn;                // a command line that fails (exit 1)
    QStringList *copyTo = nullptr; // also gets every command line (may outlive the runner)

    QString find(const QString &program) const override
    {
        return installed.contains(program) ? QStringLiteral("/usr/bin/") + program : QString();
    }
    Outcome run(const QString &program, const QStringList &arguments) override
    {
        const QString line = (QStringList{program} + arguments).join(QLatin1Char(' '));
        ran << line;
        if (copyTo)
            *copyTo << line;
        if (line == failOn)
            return {true, 1, {}, QStringLiteral("refused")};
        if (auto it = answers.constFind(line); it != answers.constEnd())
            return *it;
        return {true, 0, {}, {}};
    }
    bool startDetached(const QString &program, const QStringList &arguments,
                       const QProcessEnvironment &environment) override
    {
        started << (QStringList{program} + arguments).join(QLatin1Char(' '));
        lastEnvironment = environment;
        return true;
    }
};
