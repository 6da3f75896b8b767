#pragma once

// Bytes <-> readable text for the SOCKS5 transcript tests: SOCKS messages are short binary
// records with names inside, so hex for the fields and quoted text for the names.

#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <string>
#include <string_view>
#include <vector>

namespace socks_test {

inline int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Bytes from a spec: pairs of hex digits ("05 01 00", "01bb"), 'quoted text' taken as is (no
// escapes), and spaces or "|" between messages, which mean nothing.
inline std::string wire(std::string_view spec)
{
    std::string out;
    for (std::size_t i = 0; i < spec.size();) {
        const char c = spec[i];
        if (c == ' ' || c == '|') {
            ++i;
        } else if (c == '\'') {
            const std::size_t end = spec.find('\'', i + 1);
            Q_ASSERT(end != std::string_view::npos);
            out.append(spec.substr(i + 1, end - i - 1));
            i = end + 1;
        } else {
            Q_ASSERT(i + 1 < spec.size() && hexDigit(c) >= 0 && hexDigit(spec[i + 1]) >= 0);
            out += static_cast<char>(hexDigit(c) << 4 | hexDigit(spec[i + 1]));
            i += 2;
        }
    }
    return out;
}

inline bool nameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '-' || c == '_';
}

// The inverse, in one canonical form: runs of at least three name characters (letters, digits,
// ".-_") as 'text', every other byte as two hex digits, all separated by single spaces.
inline QString wireText(std::string_view bytes)
{
    QStringList parts;
    for (std::size_t i = 0; i < bytes.size();) {
        std::size_t end = i;
        while (end < bytes.size() && nameChar(bytes[end]))
            ++end;
        if (end - i >= 3) {
            parts << QLatin1Char('\'') + QString::fromLatin1(bytes.data() + i, qsizetype(end - i))
                         + QLatin1Char('\'');
            i = end;
            continue;
        }
        parts << QStringLiteral("%1").arg(static_cast<unsigned char>(bytes[i]), 2, 16,
                                          QLatin1Char('0'));
        ++i;
    }
    return parts.join(QLatin1Char(' '));
}

// Printable ASCII as is, the rest as \xNN: for tunnel bytes and messages (which escape their
// quoted names the same way, so both read alike).
inline QString escaped(std::string_view data)
{
    QString out;
    for (const char c : data) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f)
            out += QLatin1Char(c);
        else
            out += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
    }
    return out;
}

inline QString text(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// The input whole, split in two at every position, and one byte at a time.
inline std::vector<std::vector<std::string_view>> splits(std::string_view all)
{
    std::vector<std::vector<std::string_view>> out;
    out.push_back({all});
    for (std::size_t k = 1; k < all.size(); ++k)
        out.push_back({all.substr(0, k), all.substr(k)});
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < all.size(); ++i)
        bytes.push_back(all.substr(i, 1));
    out.push_back(bytes);
    return out;
}

inline QString splitName(const std::vector<std::string_view> &pieces)
{
    if (pieces.size() == 1)
        return QStringLiteral("whole");
    if (pieces.size() == 2)
        return QStringLiteral("split at %1").arg(pieces[0].size());
    return QStringLiteral("byte by byte");
}

// Prints a transcript so that it can be pasted into a table after it has been checked by eye.
inline void dump(const QStringList &transcript)
{
    QString out = QStringLiteral("actual transcript:\n");
    for (const QString &line : transcript) {
        QString quoted = line;
        quoted.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
            .replace(QLatin1Char('"'), QStringLiteral("\\\""));
        out += QStringLiteral("    \"%1\",\n").arg(quoted);
    }
    qWarning("%s", qPrintable(out));
}

inline QStringList lines(std::initializer_list<const char *> l)
{
    QStringList out;
    for (const char *s : l)
        out << QString::fromUtf8(s);
    return out;
}

} // namespace socks_test
