#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ts::ui {

// Indents JSON text without parsing it into values: keys keep their order, numbers keep every
// digit (12345678901234567890 stays so) and strings keep their escapes, so the pretty view
// shows the payload as it was sent. Returns nothing when `json` is not one valid JSON value
// (or nests deeper than 512 levels).
std::optional<std::string> prettyJson(std::string_view json, int indent = 2);

// One member of a JSON object, as sent: its name as a string literal (quotes and escapes
// included) and its value's text.
struct JsonMember
{
    std::string_view name;
    std::string_view value;
};

// The members of the object `json` holds, in order, checked as prettyJson checks; nothing when
// `json` is not one valid JSON object.
std::optional<std::vector<JsonMember>> jsonObjectMembers(std::string_view json);
// The elements of the array `json` holds, each as its text; nothing when it is not one.
std::optional<std::vector<std::string_view>> jsonArrayElements(std::string_view json);

} // namespace ts::ui
