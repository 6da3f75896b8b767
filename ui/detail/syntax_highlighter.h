#pragma once

#include "ui/detail/body_content.h"

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace ts::ui {

// Colouring for bodies shown as text: one small hand-written scanner per language (JSON,
// HTML/XML, JavaScript, CSS) rather than a pile of regular expressions, so a "//" inside a
// string stays a string. Colours are hints chosen to read on light and dark palettes alike.
class SyntaxHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyntaxHighlighter)

public:
    // The highlighter for `kind`, attached to `document`; null for kinds without colours.
    static SyntaxHighlighter *create(BodyKind kind, QTextDocument *document);

protected:
    enum Style : int { Key, String, Number, Keyword, Comment, Tag, Attribute, StyleCount };
    explicit SyntaxHighlighter(QTextDocument *document);
    const QTextCharFormat &style(Style s) const { return m_formats[s]; }

private:
    QTextCharFormat m_formats[StyleCount];
};

class JsonHighlighter final : public SyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonHighlighter)
public:
    explicit JsonHighlighter(QTextDocument *document) : SyntaxHighlighter(document) {}
    ~JsonHighlighter() override;

protected:
    void highlightBlock(const QString &text) override;
};

// HTML and XML: tags, attributes, values, comments, entities.
class MarkupHighlighter final : public SyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MarkupHighlighter)
public:
    explicit MarkupHighlighter(QTextDocument *document) : SyntaxHighlighter(document) {}
    ~MarkupHighlighter() override;

protected:
    void highlightBlock(const QString &text) override;
};

class ScriptHighlighter final : public SyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScriptHighlighter)
public:
    explicit ScriptHighlighter(QTextDocument *document) : SyntaxHighlighter(document) {}
    ~ScriptHighlighter() override;

protected:
    void highlightBlock(const QString &text) override;
};

class CssHighlighter final : public SyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CssHighlighter)
public:
    explicit CssHighlighter(QTextDocument *document) : SyntaxHighlighter(document) {}
    ~CssHighlighter() override;

protected:
    void highlightBlock(const QString &text) override;
};

} // namespace ts::ui
