#include "ui/detail/curl_command.h"

#include "core/flow/flow.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <cctype>

namespace ts::ui {

namespace {

bool equalsIgnoringCase(const std::string &a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x))
                      == std::tolower(static_cast<unsigned char>(y));
           });
}

// bash's $'...' (ANSI-C quoting): printable ASCII as is, \\ \' \n \r \t, other bytes as \xHH.
// UTF-8 sequences pass through as bytes, so text stays readable.
QString ansiCQuote(const std::string &bytes)
{
    QByteArray out = "$'";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\'':
            out += "\\'";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\x";
                out += QByteArray::number(c, 16).rightJustified(2, '0');
                // \xHH takes at most two digits; a following hex digit is safe.
            } else {
                out += char(c);
            }
        }
    }
    out += '\'';
    return QString::fromUtf8(out);
}

bool needsAnsiC(const std::string &bytes)
{
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f || c == '\'')
            return true;
    }
    return false;
}

QString authorityOf(const flow::Flow &f)
{
    const bool defaultPort
        = (f.scheme == "http" && f.port == 80) || (f.scheme == "https" && f.port == 443);
    const std::string host = f.host.find(':') != std::string::npos ? "[" + f.host + "]" : f.host;
    return QString::fromStdString(defaultPort ? host : host + ":" + std::to_string(f.port));
}

} // namespace

bool repeatedInReplay(const flow::Flow &f, const std::string &name, const std::string &value)
{
    if (name.empty() || name[0] == ':' || equalsIgnoringCase(name, "content-length")
        || equalsIgnoringCase(name, "transfer-encoding") || equalsIgnoringCase(name, "connection")
        || equalsIgnoringCase(name, "proxy-connection")
        || equalsIgnoringCase(name, "proxy-authorization"))
        return false;
    return !equalsIgnoringCase(name, "host")
           || QString::fromStdString(value).compare(authorityOf(f), Qt::CaseInsensitive) != 0;
}

QString shellQuote(const QString &text)
{
    QString out = QStringLiteral("'");
    for (const QChar c : text) {
        if (c == QLatin1Char('\''))
            out += QStringLiteral("'\\''");
        else
            out += c;
    }
    out += QLatin1Char('\'');
    return out;
}

CurlCommand curlCommand(const flow::Flow &f, std::uint64_t maxInlineBody)
{
    QStringList parts;
    parts.append(QStringLiteral("curl ") + shellQuote(QString::fromStdString(f.url())));
    if (f.clientProtocol == "HTTP/2")
        parts.append(QStringLiteral("--http2"));
    else if (f.clientProtocol == "HTTP/3")
        parts.append(QStringLiteral("--http3"));

    const bool hasBody = f.requestBody && f.requestBody->size() > 0;
    if (f.method == "HEAD")
        parts.append(QStringLiteral("--head"));
    else if (!(f.method == "GET" && !hasBody) && !(f.method == "POST" && hasBody))
        parts.append(QStringLiteral("-X ") + shellQuote(QString::fromStdString(f.method)));

    bool compressed = false;
    for (const auto &[name, value] : f.requestHeaders) {
        if (!repeatedInReplay(f, name, value))
            continue;
        if (equalsIgnoringCase(name, "accept-encoding"))
            compressed = true;
        // "Name;" sends an empty header; "Name:" would remove it.
        const std::string header = value.empty() ? name + ";" : name + ": " + value;
        parts.append(QStringLiteral("-H ")
                     + (needsAnsiC(header) ? ansiCQuote(header)
                                           : shellQuote(QString::fromStdString(header))));
    }
    if (compressed) // print what the server means, not its gzip bytes
        parts.append(QStringLiteral("--compressed"));

    QString note;
    if (hasBody) {
        const flow::Body &body = *f.requestBody;
        const std::string bytes
            = body.recordedSize() <= maxInlineBody ? body.read(0, maxInlineBody) : std::string();
        const bool inlinable = body.recordedSize() <= maxInlineBody && !body.truncated()
                               && bytes.find('\0') == std::string::npos;
        if (inlinable) {
            parts.append(QStringLiteral("--data-binary ")
                         + (needsAnsiC(bytes) ? ansiCQuote(bytes)
                                              : shellQuote(QString::fromStdString(bytes))));
        } else {
            parts.append(QStringLiteral("--data-binary @body.bin"));
            note = body.truncated()
                       ? QCoreApplication::translate(
                           "ts::ui::CurlCommand",
                           "The request body was not recorded in full; the command reads it "
                           "from body.bin")
                       : QCoreApplication::translate(
                             "ts::ui::CurlCommand",
                             "The request body (%1 bytes) does not fit a command line; save "
                             "it as body.bin next to where the command runs")
                             .arg(body.size());
        }
    }
    return {parts.join(QStringLiteral(" \\\n  ")), note};
}

} // namespace ts::ui
