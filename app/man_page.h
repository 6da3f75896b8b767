#pragma once

#include "app/cli_spec.h"

#include <QString>

namespace ts::app {

// The man page name of a command: "tunnelscope send" -> "tunnelscope-send".
QString manPageName(const CommandSpec &spec);

// A section 1 man page (troff with the man macros) for `spec`, from the same options and texts
// as its --help. `seeAlso` are other man page names (section 1) to point to.
QString manPage(const CommandSpec &spec, const QString &version, const QStringList &seeAlso);

} // namespace ts::app
