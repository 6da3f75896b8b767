#pragma once

#include "core/base/result.h"

#include <QString>

namespace ts::ui {

// A core error as the window shows it. Core errors carry an English one-line message (for the
// terminal and for bug reports) and a code. For the codes people commonly meet in the window —
// a port it cannot listen on, a CA it cannot load, a filter it cannot parse, a session or HAR
// file it cannot read or write — the first line is a sentence in the window's language and the
// English message follows on the next line as the detail. Other codes: the English message.
QString errorText(const Error &error);

// Only the translated sentence for a known code; empty for any other code.
QString errorHeadline(const std::string &code);

} // namespace ts::ui
