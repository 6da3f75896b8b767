#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ts::ui {

// Indents JSON text without parsing it into values: keys keep their order, numbers keep every
// digit (12345678901234567890 stays so) and strings keep their escapes, so the pretty view
// shows the payload as it was sent. Returns nothing when `json` is not one valid JSON value
// (or nests deeper than 512 levels).
std::optional<std::string> prettyJson(std::string_view json, int indent = 2);

} // namespace ts::ui
