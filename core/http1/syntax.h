#pragma once

#include <string_view>

// Small pieces of RFC 9110/9112 syntax shared by the parser and the message helpers.
namespace ts::http1::syntax {

inline bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

inline std::string_view trimOws(std::string_view s)
{
    while (!s.empty() && isOws(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isOws(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace ts::http1::syntax
