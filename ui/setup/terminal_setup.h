#pragma once

#include "ui/setup/command_runner.h"

#include <QList>
#include <QPair>
#include <QString>

namespace ts::ui {

// A terminal pointed at the proxy: the proxy variables most tools read (curl, wget, pip, npm,
// git, Python requests, Go), and the variables that make OpenSSL, Node, Python requests and
// curl trust the interception CA.
class TerminalSetup
{
public:
    using Variables = QList<QPair<QString, QString>>;

    // `proxyUrl` "http://127.0.0.1:8080"; `caFile` the CA certificate alone (Node adds it to
    // its own roots); `bundleFile` the system's roots plus the CA (the others replace their
    // roots with the file).
    static Variables variables(const QString &proxyUrl, const QString &caFile,
                               const QString &bundleFile);
    // "export NAME='value'" lines for a POSIX shell, values quoted.
    static QString snippet(const Variables &variables);
    // `systemRoots` (PEM, may be empty when the system has none) followed by the CA.
    static QByteArray bundle(const QByteArray &systemRoots, const QByteArray &caPem);

    // Terminal programs tried in order: Debian's x-terminal-emulator alternative first.
    static QStringList terminals();
    // Starts the first terminal there is with `base` plus the variables as its environment
    // (the shell in it inherits them). Returns the program started, or "" when none could be.
    static QString openTerminal(CommandRunner &runner, const Variables &variables,
                                const QProcessEnvironment &base);
};

} // namespace ts::ui
