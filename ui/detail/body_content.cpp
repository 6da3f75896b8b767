#include "ui/detail/body_content.h"

#include "core/flow/body.h"
#include "ui/models/flow_table_model.h"

#ifdef TS_HAVE_CODEC
#include "core/codec/content_decoding.h"
#endif

#include <QCoreApplication>
#include <QStringDecoder>

namespace ts::ui {

namespace {

bool startsWith(const std::string &bytes, std::string_view prefix)
{
    return bytes.compare(0, prefix.size(), prefix) == 0;
}

std::string_view trimmedStart(const std::string &bytes)
{
    std::size_t i = 0;
    if (startsWith(bytes, "\xEF\xBB\xBF")) // UTF-8 byte order mark
        i = 3;
    while (i < bytes.size()
           && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t'))
        ++i;
    return std::string_view(bytes).substr(i, 256);
}

bool looksLikeText(const std::string &bytes)
{
    const std::string_view sample = std::string_view(bytes).substr(0, 4096);
    for (const char ch : sample) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f'))
            return false;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    // A sample cut inside a multi-byte sequence is still text: drop the last 3 bytes.
    const std::size_t check
        = sample.size() > 4 && sample.size() == 4096 ? sample.size() - 3 : sample.size();
    (void)QString(utf8(QByteArrayView(sample.data(), qsizetype(check))));
    return !utf8.hasError();
}

} // namespace

BodyContent loadBody(const flow::Body &body, const std::string &contentEncoding,
                     std::uint64_t maxRaw, std::uint64_t maxDecoded)
{
    BodyContent out;
    out.rawSize = body.recordedSize();
    std::string raw = body.read(0, maxRaw);
    out.rawRead = raw.size();
    const bool wholeRead = out.rawRead >= out.rawSize && !body.truncated();
    out.partial = out.rawRead < out.rawSize;

    std::string_view coding = contentEncoding;
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
        coding.remove_prefix(1);
    if (coding.empty() || coding == "identity") {
        out.bytes = std::move(raw);
        if (out.bytes.size() > maxDecoded) {
            out.bytes.resize(maxDecoded);
            out.partial = true;
        }
        return out;
    }
#ifdef TS_HAVE_CODEC
    codec::DecodeOptions options;
    options.maxOutput = std::size_t(maxDecoded);
    options.completeInput = wholeRead;
    auto decoded = codec::decodeContent(raw, contentEncoding, options);
    if (!decoded) {
        out.decodeError = QString::fromStdString(decoded.error().message);
        out.bytes = std::move(raw);
        return out;
    }
    out.bytes = std::move(decoded->bytes);
    out.codings = std::move(decoded->codings);
    out.partial = out.partial || decoded->truncated;
    return out;
#else
    Q_UNUSED(wholeRead);
    Q_UNUSED(maxDecoded);
    out.decodeError
        = QCoreApplication::translate("ts::ui::BodyContent", "this build has no content decoders");
    out.bytes = std::move(raw);
    return out;
#endif
}

BodyKind classifyBody(const QString &contentType, const std::string &bytes)
{
    if (bytes.empty())
        return BodyKind::Empty;
    const QString type = contentType.section(QLatin1Char(';'), 0, 0).trimmed().toLower();
    if (type.startsWith(u"image/") && type != u"image/svg+xml")
        return BodyKind::Image;
    if (type == u"application/json" || type.endsWith(u"+json") || type == u"text/json")
        return BodyKind::Json;
    if (type == u"text/html" || type == u"application/xhtml+xml")
        return BodyKind::Html;
    if (type == u"text/xml" || type == u"application/xml" || type.endsWith(u"+xml"))
        return BodyKind::Xml;
    if (type == u"text/javascript" || type == u"application/javascript"
        || type == u"application/x-javascript" || type == u"text/ecmascript")
        return BodyKind::JavaScript;
    if (type == u"text/css")
        return BodyKind::Css;

    // Sniff: image signatures first, then text shapes.
    if (startsWith(bytes, "\x89PNG\r\n\x1a\n") || startsWith(bytes, "\xFF\xD8\xFF")
        || startsWith(bytes, "GIF87a") || startsWith(bytes, "GIF89a")
        || (startsWith(bytes, "RIFF") && bytes.compare(8, 4, "WEBP") == 0)
        || startsWith(bytes, "BM"))
        return BodyKind::Image;
    if (!looksLikeText(bytes))
        return BodyKind::Binary;
    const std::string_view start = trimmedStart(bytes);
    if (!start.empty() && (start.front() == '{' || start.front() == '['))
        return BodyKind::Json;
    const QString head = QString::fromUtf8(start.data(), qsizetype(start.size())).toLower();
    if (head.startsWith(u"<!doctype html") || head.startsWith(u"<html"))
        return BodyKind::Html;
    if (head.startsWith(u"<?xml") || head.startsWith(u"<svg"))
        return BodyKind::Xml;
    return BodyKind::Text;
}

QString describeBody(const BodyContent &content)
{
    const auto size = [](std::uint64_t n) {
        return FlowTableModel::formatBytes(n);
    };
    QString text;
    if (!content.codings.empty()) {
        QStringList codings;
        for (const std::string &c : content.codings)
            codings.append(QString::fromStdString(c));
        text = QCoreApplication::translate("ts::ui::BodyContent", "decoded from %1, %2 \u2192 %3")
                   .arg(codings.join(QStringLiteral(", ")), size(content.rawRead),
                        size(content.bytes.size()));
    } else {
        text = size(content.bytes.size());
    }
    if (content.partial)
        text += QStringLiteral(" \u00b7 ")
                + QCoreApplication::translate("ts::ui::BodyContent", "first part only, %1 recorded")
                      .arg(size(content.rawSize));
    if (!content.decodeError.isEmpty())
        text += QStringLiteral(" \u00b7 ")
                + QCoreApplication::translate("ts::ui::BodyContent", "not decoded: %1")
                      .arg(content.decodeError);
    return text;
}

} // namespace ts::ui
