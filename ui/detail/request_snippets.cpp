#include "ui/detail/request_snippets.h"

#include "core/flow/flow.h"
#include "ui/detail/curl_command.h"

#include <QCoreApplication>
#include <QStringDecoder>
#include <QStringList>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace ts::ui {

namespace {

constexpr std::uint64_t kMaxInlineBody = 64 * 1024;

// The headers worth repeating, in the order the client sent them.
std::vector<std::pair<QString, QString>> headersToSend(const flow::Flow &f)
{
    std::vector<std::pair<QString, QString>> out;
    for (const auto &[name, value] : f.requestHeaders) {
        if (!repeatedInReplay(f, name, value))
            continue;
        out.emplace_back(QString::fromStdString(name), QString::fromStdString(value));
    }
    return out;
}

// The request body as text; nothing (with `note` set) when there is none to inline.
std::optional<QString> bodyText(const flow::Flow &f, QString &note)
{
    if (!f.requestBody || f.requestBody->size() == 0)
        return std::nullopt;
    const flow::Body &body = *f.requestBody;
    if (body.truncated() || body.recordedSize() > kMaxInlineBody) {
        note = QCoreApplication::translate("ts::ui::RequestSnippets",
                                           "The request body (%1 bytes) is left out: it is too "
                                           "large or was not recorded in full")
                   .arg(body.size());
        return std::nullopt;
    }
    const std::string bytes = body.read(0, kMaxInlineBody);
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = utf8(QByteArrayView(bytes.data(), qsizetype(bytes.size())));
    if (utf8.hasError() || bytes.find('\0') != std::string::npos) {
        note = QCoreApplication::translate("ts::ui::RequestSnippets",
                                           "The request body (%1 bytes) is binary and left out")
                   .arg(bytes.size());
        return std::nullopt;
    }
    return text;
}

// "text" as a JSON string literal (also a JavaScript and a Python one).
QString quoted(const QString &text)
{
    QString out = QStringLiteral("\"");
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '"':
            out += QStringLiteral("\\\"");
            break;
        case '\\':
            out += QStringLiteral("\\\\");
            break;
        case '\n':
            out += QStringLiteral("\\n");
            break;
        case '\r':
            out += QStringLiteral("\\r");
            break;
        case '\t':
            out += QStringLiteral("\\t");
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.unicode() == 0x2028
                || c.unicode() == 0x2029)
                out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

} // namespace

CodeSnippet fetchSnippet(const flow::Flow &f)
{
    CodeSnippet s;
    const QString url = quoted(QString::fromStdString(f.url()));
    const auto headers = headersToSend(f);
    const std::optional<QString> body = bodyText(f, s.note);
    QStringList options;
    if (f.method != "GET")
        options << QStringLiteral("  method: ") + quoted(QString::fromStdString(f.method));
    if (!headers.empty()) {
        QStringList lines;
        for (const auto &[name, value] : headers)
            lines << QStringLiteral("    ") + quoted(name) + QStringLiteral(": ") + quoted(value);
        options << QStringLiteral("  headers: {\n") + lines.join(QStringLiteral(",\n"))
                       + QStringLiteral("\n  }");
    }
    if (body)
        options << QStringLiteral("  body: ") + quoted(*body);
    s.text = options.isEmpty() ? QStringLiteral("await fetch(%1);").arg(url)
                               : QStringLiteral("await fetch(%1, {\n%2\n});")
                                     .arg(url, options.join(QStringLiteral(",\n")));
    return s;
}

CodeSnippet pythonRequestsSnippet(const flow::Flow &f)
{
    CodeSnippet s;
    const auto headers = headersToSend(f);
    const std::optional<QString> body = bodyText(f, s.note);
    QString text = QStringLiteral("import requests\n\nresponse = requests.request(\n");
    text += QStringLiteral("    ") + quoted(QString::fromStdString(f.method))
            + QStringLiteral(",\n");
    text
        += QStringLiteral("    ") + quoted(QString::fromStdString(f.url())) + QStringLiteral(",\n");
    if (!headers.empty()) {
        text += QStringLiteral("    headers={\n");
        for (const auto &[name, value] : headers)
            text += QStringLiteral("        ") + quoted(name) + QStringLiteral(": ") + quoted(value)
                    + QStringLiteral(",\n");
        text += QStringLiteral("    },\n");
    }
    if (body) // bytes: requests would send a str as Latin-1
        text += QStringLiteral("    data=") + quoted(*body) + QStringLiteral(".encode(),\n");
    text += QStringLiteral(")\nprint(response.status_code)\nprint(response.text)");
    s.text = text;
    return s;
}

CodeSnippet httpieCommand(const flow::Flow &f)
{
    CodeSnippet s;
    // --ignore-stdin: a pasted command must not wait for input it was never meant to read.
    QStringList parts{QStringLiteral("http --ignore-stdin ") + QString::fromStdString(f.method)
                      + QLatin1Char(' ') + shellQuote(QString::fromStdString(f.url()))};
    for (const auto &[name, value] : headersToSend(f)) {
        // "Name;" sends an empty header; "Name:" would remove it.
        parts << shellQuote(value.isEmpty() ? QString(name + QLatin1Char(';'))
                                            : QString(name + QLatin1Char(':') + value));
    }
    if (const std::optional<QString> body = bodyText(f, s.note))
        parts << QStringLiteral("--raw ") + shellQuote(*body);
    s.text = parts.join(QStringLiteral(" \\\n  "));
    return s;
}

} // namespace ts::ui
