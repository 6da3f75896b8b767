#include "ui/setup/command_runner.h"

#include <QCoreApplication>
#include <QProcess>
#include <QStandardPaths>

namespace ts::ui {

QString ProcessRunner::find(const QString &program) const
{
    return QStandardPaths::findExecutable(program);
}

CommandRunner::Outcome ProcessRunner::run(const QString &program, const QStringList &arguments)
{
    Outcome outcome;
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForStarted(5000)) {
        outcome.error = process.errorString();
        return outcome;
    }
    outcome.started = true;
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(1000);
        outcome.error = QCoreApplication::translate("ts::ui::ProcessRunner", "%1 did not finish")
                            .arg(program);
        return outcome;
    }
    outcome.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    outcome.output = QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
    outcome.error = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
    return outcome;
}

bool ProcessRunner::startDetached(const QString &program, const QStringList &arguments,
                                  const QProcessEnvironment &environment)
{
    QProcess process;
    process.setProgram(program);
    process.setArguments(arguments);
    process.setProcessEnvironment(environment);
    return process.startDetached();
}

} // namespace ts::ui
