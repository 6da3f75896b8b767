#pragma once

#include <string>
#include <string_view>

// Small pieces both HTTP/2 translators use (H2ProxyFront towards clients, H2OriginLink
// towards origins).
namespace ts::proxy::h2fields {

inline std::string lower(std::string_view s)
{
    std::string out(s);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return out;
}

// HTTP/1.1 fields that mean nothing (or something else) in HTTP/2 (RFC 9113 §8.2.2).
inline bool connectionSpecific(std::string_view lowerName)
{
    return lowerName == "connection" || lowerName == "keep-alive" || lowerName == "proxy-connection"
           || lowerName == "transfer-encoding" || lowerName == "upgrade";
}

inline std::string base64(const unsigned char *data, std::size_t length)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < length; i += 3) {
        const unsigned v = unsigned(data[i]) << 16
                           | (i + 1 < length ? unsigned(data[i + 1]) << 8 : 0)
                           | (i + 2 < length ? unsigned(data[i + 2]) : 0);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < length ? table[(v >> 6) & 63] : '=';
        out += i + 2 < length ? table[v & 63] : '=';
    }
    return out;
}

} // namespace ts::proxy::h2fields
