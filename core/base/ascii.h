#pragma once

#include <string>
#include <string_view>

namespace ts {

// ASCII case folding, the only kind HTTP's names and tokens have (never the locale's).
inline char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

inline std::string asciiLowered(std::string_view s)
{
    std::string out(s);
    for (char &c : out)
        c = asciiLower(c);
    return out;
}

} // namespace ts
