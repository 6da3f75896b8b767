#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace ts::ui {

// Runs the programs the setup helpers use (gsettings, kwriteconfig5, a terminal). The window
// uses ProcessRunner; tests pass a runner that records the command lines and answers them, so
// no test touches the real desktop settings.
class CommandRunner
{
public:
    struct Outcome
    {
        bool started = false;
        int exitCode = -1;
        QString output; // standard output, trimmed
        QString error;  // standard error, trimmed, or why it did not start
        bool ok() const { return started && exitCode == 0; }
    };

    virtual ~CommandRunner() = default;
    // The executable's path on PATH, or "" when there is none.
    virtual QString find(const QString &program) const = 0;
    // Runs the program and waits for it (a few seconds at most).
    virtual Outcome run(const QString &program, const QStringList &arguments) = 0;
    // Starts the program and leaves it running, with `environment` as its whole environment.
    virtual bool startDetached(const QString &program, const QStringList &arguments,
                               const QProcessEnvironment &environment)
        = 0;
};

// The real one, with QProcess.
class ProcessRunner final : public CommandRunner
{
public:
    QString find(const QString &program) const override;
    Outcome run(const QString &program, const QStringList &arguments) override;
    bool startDetached(const QString &program, const QStringList &arguments,
                       const QProcessEnvironment &environment) override;
};

} // namespace ts::ui
