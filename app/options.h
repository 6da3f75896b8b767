#pragma once

#include "core/engine/engine_config.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace ts::app {

struct Options
{
    engine::EngineConfig engine;
    // --upstream and --upstream-rule as given (parsed into engine.upstream), for the window's
    // Preferences to show what is in effect.
    QStringList upstreamHops;
    QStringList upstreamRules;
    bool headless = false;
    QString harPath;
    quint64 bodyMemoryBytes = 0; // 0: the store's default
    quint64 bodyCapBytes = 0;
    quint64 bodyRecordBytes = 0;
    QString exportCaPath; // --export-ca: write the CA certificate there and exit
    bool regenerateCa = false;
};

// Parses the command line. On --help/--version, or a bad argument, `exitCode` is set and
// `message` holds what to print (to stdout for help/version, stderr otherwise).
struct ParseOutcome
{
    std::optional<Options> options;
    int exitCode = 0;
    QString message;
};

ParseOutcome parseOptions(const QStringList &arguments);

} // namespace ts::app
