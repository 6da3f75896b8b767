#include "ui/detail/syntax_highlighter.h"

#include <QGuiApplication>
#include <QPalette>

namespace ts::ui {

namespace {

bool isIdentStart(QChar c)
{
    return c.isLetter() || c == QLatin1Char('_') || c == QLatin1Char('$');
}

bool isIdentPart(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('$');
}

// From `from` (just after an opening quote) to just past the closing `quote`, skipping
// backslash escapes; the text's end when unclosed.
qsizetype skipString(const QString &text, qsizetype from, QChar quote)
{
    qsizetype i = from;
    while (i < text.size()) {
        if (text[i] == QLatin1Char('\\')) {
            i += 2;
            continue;
        }
        if (text[i] == quote)
            return i + 1;
        ++i;
    }
    return text.size();
}

qsizetype skipNumber(const QString &text, qsizetype i)
{
    while (i < text.size()
           && (text[i].isLetterOrNumber() || text[i] == QLatin1Char('.')
               || ((text[i] == QLatin1Char('+') || text[i] == QLatin1Char('-')) && i > 0
                   && (text[i - 1] == QLatin1Char('e') || text[i - 1] == QLatin1Char('E')))))
        ++i;
    return i;
}

} // namespace

SyntaxHighlighter::SyntaxHighlighter(QTextDocument *document) : QSyntaxHighlighter(document)
{
    const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
    const auto colour = [dark](QRgb light, QRgb onDark) {
        return QColor(dark ? onDark : light);
    };
    m_formats[Key].setForeground(colour(0x0b5cad, 0x79c0ff));
    m_formats[String].setForeground(colour(0x116329, 0x7ee787));
    m_formats[Number].setForeground(colour(0x953800, 0xffa657));
    m_formats[Keyword].setForeground(colour(0x8250df, 0xd2a8ff));
    m_formats[Comment].setForeground(colour(0x6e7781, 0x8b949e));
    m_formats[Comment].setFontItalic(true);
    m_formats[Tag].setForeground(colour(0x0550ae, 0x7ee787));
    m_formats[Tag].setFontWeight(QFont::DemiBold);
    m_formats[Attribute].setForeground(colour(0x953800, 0x79c0ff));
}

SyntaxHighlighter *SyntaxHighlighter::create(BodyKind kind, QTextDocument *document)
{
    switch (kind) {
    case BodyKind::Json:
        return new JsonHighlighter(document);
    case BodyKind::Html:
    case BodyKind::Xml:
        return new MarkupHighlighter(document);
    case BodyKind::JavaScript:
        return new ScriptHighlighter(document);
    case BodyKind::Css:
        return new CssHighlighter(document);
    default:
        return nullptr;
    }
}

JsonHighlighter::~JsonHighlighter() = default;

void JsonHighlighter::highlightBlock(const QString &text)
{
    qsizetype i = 0;
    while (i < text.size()) {
        const QChar c = text[i];
        if (c == QLatin1Char('"')) {
            const qsizetype end = skipString(text, i + 1, c);
            qsizetype next = end;
            while (next < text.size() && text[next].isSpace())
                ++next;
            const bool key = next < text.size() && text[next] == QLatin1Char(':');
            setFormat(int(i), int(end - i), style(key ? Key : String));
            i = end;
        } else if (c.isDigit() || c == QLatin1Char('-')) {
            const qsizetype end = skipNumber(text, i + 1);
            setFormat(int(i), int(end - i), style(Number));
            i = end;
        } else if (c.isLetter()) {
            qsizetype end = i;
            while (end < text.size() && text[end].isLetter())
                ++end;
            const QStringView word = QStringView(text).mid(i, end - i);
            if (word == u"true" || word == u"false" || word == u"null")
                setFormat(int(i), int(end - i), style(Keyword));
            i = end;
        } else {
            ++i;
        }
    }
}

MarkupHighlighter::~MarkupHighlighter() = default;

void MarkupHighlighter::highlightBlock(const QString &text)
{
    enum State { Normal = 0, InComment = 1, InTag = 2 };
    int state = std::max(0, previousBlockState());
    qsizetype i = 0;
    while (i < text.size()) {
        if (state == InComment) {
            const qsizetype end = text.indexOf(QStringLiteral("-->"), i);
            const qsizetype stop = end < 0 ? text.size() : end + 3;
            setFormat(int(i), int(stop - i), style(Comment));
            i = stop;
            if (end >= 0)
                state = Normal;
            continue;
        }
        if (state == InTag) {
            const QChar c = text[i];
            if (c == QLatin1Char('>')) {
                setFormat(int(i), 1, style(Tag));
                state = Normal;
                ++i;
            } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
                const qsizetype end = text.indexOf(c, i + 1);
                const qsizetype stop = end < 0 ? text.size() : end + 1;
                setFormat(int(i), int(stop - i), style(String));
                i = stop;
            } else if (isIdentStart(c)) {
                qsizetype end = i;
                while (end < text.size()
                       && (isIdentPart(text[end]) || text[end] == QLatin1Char('-')
                           || text[end] == QLatin1Char(':') || text[end] == QLatin1Char('.')))
                    ++end;
                setFormat(int(i), int(end - i), style(Attribute));
                i = end;
            } else {
                if (c == QLatin1Char('/') || c == QLatin1Char('?'))
                    setFormat(int(i), 1, style(Tag));
                ++i;
            }
            continue;
        }
        // Normal text.
        if (text.mid(i, 4) == u"<!--") {
            state = InComment;
            continue;
        }
        const QChar c = text[i];
        if (c == QLatin1Char('<')) {
            qsizetype end = i + 1;
            while (end < text.size()
                   && (text[end] == QLatin1Char('/') || text[end] == QLatin1Char('?')
                       || text[end] == QLatin1Char('!')))
                ++end;
            while (end < text.size()
                   && (isIdentPart(text[end]) || text[end] == QLatin1Char('-')
                       || text[end] == QLatin1Char(':') || text[end] == QLatin1Char('.')))
                ++end;
            setFormat(int(i), int(end - i), style(Tag));
            i = end;
            state = InTag;
        } else if (c == QLatin1Char('&')) {
            const qsizetype end = text.indexOf(QLatin1Char(';'), i);
            if (end > i && end - i <= 12) {
                setFormat(int(i), int(end + 1 - i), style(Keyword));
                i = end + 1;
            } else {
                ++i;
            }
        } else {
            ++i;
        }
    }
    setCurrentBlockState(state);
}

ScriptHighlighter::~ScriptHighlighter() = default;

void ScriptHighlighter::highlightBlock(const QString &text)
{
    static const QStringList keywords
        = {QStringLiteral("async"),      QStringLiteral("await"),    QStringLiteral("break"),
           QStringLiteral("case"),       QStringLiteral("catch"),    QStringLiteral("class"),
           QStringLiteral("const"),      QStringLiteral("continue"), QStringLiteral("default"),
           QStringLiteral("delete"),     QStringLiteral("do"),       QStringLiteral("else"),
           QStringLiteral("export"),     QStringLiteral("extends"),  QStringLiteral("false"),
           QStringLiteral("finally"),    QStringLiteral("for"),      QStringLiteral("function"),
           QStringLiteral("if"),         QStringLiteral("import"),   QStringLiteral("in"),
           QStringLiteral("instanceof"), QStringLiteral("let"),      QStringLiteral("new"),
           QStringLiteral("null"),       QStringLiteral("of"),       QStringLiteral("return"),
           QStringLiteral("static"),     QStringLiteral("super"),    QStringLiteral("switch"),
           QStringLiteral("this"),       QStringLiteral("throw"),    QStringLiteral("true"),
           QStringLiteral("try"),        QStringLiteral("typeof"),   QStringLiteral("undefined"),
           QStringLiteral("var"),        QStringLiteral("void"),     QStringLiteral("while"),
           QStringLiteral("yield")};
    enum State { Normal = 0, InComment = 1, InTemplate = 2 };
    int state = std::max(0, previousBlockState());
    qsizetype i = 0;
    while (i < text.size()) {
        if (state == InComment) {
            const qsizetype end = text.indexOf(QStringLiteral("*/"), i);
            const qsizetype stop = end < 0 ? text.size() : end + 2;
            setFormat(int(i), int(stop - i), style(Comment));
            i = stop;
            if (end >= 0)
                state = Normal;
            continue;
        }
        if (state == InTemplate) {
            const qsizetype end = skipString(text, i, QLatin1Char('`'));
            setFormat(int(i), int(end - i), style(String));
            if (end <= text.size() && end > i && text[end - 1] == QLatin1Char('`'))
                state = Normal;
            i = end;
            continue;
        }
        const QChar c = text[i];
        if (c == QLatin1Char('/') && i + 1 < text.size() && text[i + 1] == QLatin1Char('/')) {
            setFormat(int(i), int(text.size() - i), style(Comment));
            break;
        }
        if (c == QLatin1Char('/') && i + 1 < text.size() && text[i + 1] == QLatin1Char('*')) {
            setFormat(int(i), 2, style(Comment));
            i += 2;
            state = InComment;
            continue;
        }
        if (c == QLatin1Char('`')) {
            setFormat(int(i), 1, style(String));
            ++i;
            state = InTemplate;
            continue;
        }
        if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            const qsizetype end = skipString(text, i + 1, c);
            setFormat(int(i), int(end - i), style(String));
            i = end;
        } else if (c.isDigit()) {
            const qsizetype end = skipNumber(text, i + 1);
            setFormat(int(i), int(end - i), style(Number));
            i = end;
        } else if (isIdentStart(c)) {
            qsizetype end = i;
            while (end < text.size() && isIdentPart(text[end]))
                ++end;
            if (keywords.contains(text.mid(i, end - i)))
                setFormat(int(i), int(end - i), style(Keyword));
            i = end;
        } else {
            ++i;
        }
    }
    setCurrentBlockState(state);
}

CssHighlighter::~CssHighlighter() = default;

void CssHighlighter::highlightBlock(const QString &text)
{
    // State: bit 0 inside a comment, the rest the brace depth.
    const int previous = std::max(0, previousBlockState());
    bool inComment = previous & 1;
    int depth = previous >> 1;
    qsizetype i = 0;
    while (i < text.size()) {
        if (inComment) {
            const qsizetype end = text.indexOf(QStringLiteral("*/"), i);
            const qsizetype stop = end < 0 ? text.size() : end + 2;
            setFormat(int(i), int(stop - i), style(Comment));
            i = stop;
            if (end >= 0)
                inComment = false;
            continue;
        }
        const QChar c = text[i];
        if (c == QLatin1Char('/') && i + 1 < text.size() && text[i + 1] == QLatin1Char('*')) {
            inComment = true;
            continue;
        }
        if (c == QLatin1Char('{')) {
            ++depth;
            ++i;
        } else if (c == QLatin1Char('}')) {
            depth = std::max(0, depth - 1);
            ++i;
        } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            const qsizetype end = skipString(text, i + 1, c);
            setFormat(int(i), int(end - i), style(String));
            i = end;
        } else if (c == QLatin1Char('@')) {
            qsizetype end = i + 1;
            while (end < text.size() && (isIdentPart(text[end]) || text[end] == QLatin1Char('-')))
                ++end;
            setFormat(int(i), int(end - i), style(Keyword));
            i = end;
        } else if (depth > 0
                   && (c.isDigit()
                       || (c == QLatin1Char('#') && i + 1 < text.size()
                           && text[i + 1].isLetterOrNumber()))) {
            qsizetype end = i + 1;
            while (end < text.size()
                   && (text[end].isLetterOrNumber() || text[end] == u'.' || text[end] == u'%'))
                ++end;
            setFormat(int(i), int(end - i), style(Number));
            i = end;
        } else if (isIdentStart(c) || c == QLatin1Char('-')) {
            qsizetype end = i + 1;
            while (end < text.size() && (isIdentPart(text[end]) || text[end] == QLatin1Char('-')))
                ++end;
            qsizetype next = end;
            while (next < text.size() && text[next].isSpace())
                ++next;
            const bool property = depth > 0 && next < text.size() && text[next] == u':';
            setFormat(int(i), int(end - i), style(property ? Key : depth > 0 ? String : Tag));
            i = end;
        } else {
            ++i;
        }
    }
    setCurrentBlockState((depth << 1) | (inComment ? 1 : 0));
}

} // namespace ts::ui
