#include "ui/detail/graphql_format.h"

#include "ui/detail/json_format.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <tuple>
#include <utility>

namespace ts::ui {

namespace {

// GraphQL's lexical tokens (spec section 2.1); white space, line terminators and commas are
// insignificant and dropped.
struct Token
{
    enum Kind { Punctuator, Spread, Name, Number, String, Comment } kind;
    QString text;
};

bool isNameStart(QChar c)
{
    return c == u'_' || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isNameChar(QChar c)
{
    return isNameStart(c) || (c >= u'0' && c <= u'9');
}

std::optional<std::vector<Token>> tokenize(const QString &in)
{
    std::vector<Token> tokens;
    qsizetype i = 0;
    const qsizetype n = in.size();
    while (i < n) {
        const QChar c = in[i];
        if (c == u' ' || c == u'\t' || c == u'\n' || c == u'\r' || c == u',' || c == u'\uFEFF') {
            ++i;
        } else if (c == u'#') {
            const qsizetype start = i;
            while (i < n && in[i] != u'\n' && in[i] != u'\r')
                ++i;
            tokens.push_back({Token::Comment, in.mid(start, i - start).trimmed()});
        } else if (QStringView(u"!$&():=@[]{|}").contains(c)) {
            tokens.push_back({Token::Punctuator, QString(c)});
            ++i;
        } else if (in.mid(i, 3) == u"...") {
            tokens.push_back({Token::Spread, QStringLiteral("...")});
            i += 3;
        } else if (isNameStart(c)) {
            const qsizetype start = i;
            while (i < n && isNameChar(in[i]))
                ++i;
            tokens.push_back({Token::Name, in.mid(start, i - start)});
        } else if (c == u'-' || c.isDigit()) {
            const qsizetype start = i++;
            while (i < n
                   && (in[i].isDigit() || in[i] == u'.' || in[i] == u'e' || in[i] == u'E'
                       || ((in[i] == u'+' || in[i] == u'-')
                           && (in[i - 1] == u'e' || in[i - 1] == u'E'))))
                ++i;
            tokens.push_back({Token::Number, in.mid(start, i - start)});
        } else if (in.mid(i, 3) == u"\"\"\"") { // block string, up to an unescaped """
            const qsizetype start = i;
            i += 3;
            for (;;) {
                if (i >= n)
                    return std::nullopt;
                if (in.mid(i, 4) == u"\\\"\"\"") {
                    i += 4;
                } else if (in.mid(i, 3) == u"\"\"\"") {
                    i += 3;
                    break;
                } else {
                    ++i;
                }
            }
            tokens.push_back({Token::String, in.mid(start, i - start)});
        } else if (c == u'"') {
            const qsizetype start = i++;
            for (;;) {
                if (i >= n || in[i] == u'\n' || in[i] == u'\r')
                    return std::nullopt;
                if (in[i] == u'\\') {
                    i += 2;
                } else if (in[i] == u'"') {
                    ++i;
                    break;
                } else {
                    ++i;
                }
            }
            tokens.push_back({Token::String, in.mid(start, i - start)});
        } else {
            return std::nullopt;
        }
    }
    return tokens;
}

bool is(const Token *t, QStringView text)
{
    return t && t->kind != Token::String && t->kind != Token::Comment && t->text == text;
}

// A value's first token (in arguments, lists, objects, default values).
bool startsValue(const Token &t)
{
    return t.kind == Token::Name || t.kind == Token::Number || t.kind == Token::String
           || is(&t, u"$") || is(&t, u"[") || is(&t, u"{");
}

// A value's last token.
bool endsValue(const Token &t)
{
    return t.kind == Token::Name || t.kind == Token::Number || t.kind == Token::String
           || is(&t, u"]") || is(&t, u"}");
}

// The contexts brackets open: a selection set, arguments (or variable definitions), a list,
// an object value.
enum class Context { Selection, Arguments, List, Object };

QString unquote(std::string_view literal)
{
    // A JSON string literal's text: QJsonDocument reads it inside an array.
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray("[") + QByteArray(literal.data(), qsizetype(literal.size())) + "]");
    return doc.array().at(0).toString();
}

std::optional<GraphQlOperation> operationOf(std::string_view object)
{
    const auto members = jsonObjectMembers(object);
    if (!members)
        return std::nullopt;
    std::optional<QString> query;
    QString name;
    QString variables;
    for (const JsonMember &m : *members) {
        const QString key = unquote(m.name);
        if (key == u"query") {
            if (m.value.empty() || m.value.front() != '"')
                return std::nullopt;
            query = unquote(m.value);
        } else if (key == u"operationName" && !m.value.empty() && m.value.front() == '"') {
            name = unquote(m.value);
        } else if (key == u"variables" && m.value != "null") {
            const auto pretty = prettyJson(m.value);
            variables = QString::fromStdString(pretty ? *pretty : std::string(m.value)).trimmed();
        }
    }
    if (!query)
        return std::nullopt;
    GraphQlOperation op;
    auto [type, ownName] = graphQlOperationOf(*query, name);
    op.type = std::move(type);
    op.name = name.isEmpty() ? ownName : name;
    op.query = prettyGraphQl(*query).value_or(*query);
    op.variables = std::move(variables);
    return op;
}

} // namespace

std::optional<QString> prettyGraphQl(const QString &document)
{
    const auto tokens = tokenize(document);
    if (!tokens)
        return std::nullopt;
    QString out;
    std::vector<Context> stack;
    int selectionDepth = 0;
    bool lineStart = true;
    bool breakPending = false; // a selection set closed: the next field starts a line
    bool blankPending = false; // a definition ended: a blank line before the next
    const Token *prev = nullptr;
    const Token *prevPrev = nullptr;
    const auto newline = [&] {
        while (out.endsWith(u' '))
            out.chop(1);
        out += u'\n';
        out += QString(selectionDepth * 2, u' ');
        lineStart = true;
    };
    const auto put = [&](const Token &t) {
        out += t.text;
        lineStart = false;
        prevPrev = prev;
        prev = &t;
    };

    for (std::size_t i = 0; i < tokens->size(); ++i) {
        const Token &t = (*tokens)[i];
        const Token *next = i + 1 < tokens->size() ? &(*tokens)[i + 1] : nullptr;
        const Token *next2 = i + 2 < tokens->size() ? &(*tokens)[i + 2] : nullptr;
        const Context top = stack.empty() ? Context::Selection : stack.back();
        const bool inValues = !stack.empty() && top != Context::Selection;

        if (t.kind == Token::Comment) {
            if (blankPending) {
                out += u'\n';
                newline();
                blankPending = false;
            } else if (!lineStart) {
                out += u' ';
            }
            out += t.text;
            newline();
            continue;
        }
        if (is(&t, u"}") && !stack.empty() && top == Context::Selection) {
            stack.pop_back();
            --selectionDepth;
            if (lineStart) { // "{}": drop the empty line
                out.chop(out.size() - out.lastIndexOf(u'\n'));
            }
            newline();
            out += u'}';
            lineStart = false;
            prevPrev = prev;
            prev = &t;
            breakPending = !stack.empty();
            blankPending = stack.empty();
            continue;
        }
        if (is(&t, u")") || is(&t, u"]") || is(&t, u"}")) {
            if (stack.empty())
                return std::nullopt;
            stack.pop_back();
            put(t);
            continue;
        }

        // What goes before the token.
        if (blankPending) {
            out += u'\n';
            newline();
            blankPending = false;
        } else if (breakPending && !stack.empty()) {
            newline();
        }
        breakPending = false;
        const bool opensSelection = is(&t, u"{") && !inValues;
        if (lineStart || !prev) {
        } else if (opensSelection) {
            out += u' ';
        } else if (is(&t, u":") || is(&t, u"!") || is(&t, u"(")) {
        } else if (is(prev, u"(") || is(prev, u"[") || is(prev, u"$") || is(prev, u"@")
                   || (is(prev, u"{") && inValues)) {
        } else if (is(prev, u"...")) {
            if (is(&t, u"on") || is(&t, u"{") || is(&t, u"@"))
                out += u' ';
        } else if (!stack.empty() && top == Context::Selection
                   && (t.kind == Token::Name || is(&t, u"...")) && !is(prev, u":")
                   && !(is(prev, u"on") && is(prevPrev, u"..."))) {
            newline();
        } else if (inValues
                   && ((t.kind == Token::Name && is(next, u":"))
                       || (is(&t, u"$") && next && next->kind == Token::Name && is(next2, u":")))) {
            out += QStringLiteral(", "); // the next argument, field or variable
        } else if (top == Context::List && startsValue(t) && endsValue(*prev)) {
            out += QStringLiteral(", ");
        } else {
            out += u' ';
        }

        if (opensSelection) {
            stack.push_back(Context::Selection);
            ++selectionDepth;
            out += u'{';
            prevPrev = prev;
            prev = &t;
            newline();
            continue;
        }
        if (is(&t, u"("))
            stack.push_back(Context::Arguments);
        else if (is(&t, u"["))
            stack.push_back(Context::List);
        else if (is(&t, u"{"))
            stack.push_back(Context::Object);
        put(t);
    }
    if (!stack.empty())
        return std::nullopt;
    while (out.endsWith(u' ') || out.endsWith(u'\n'))
        out.chop(1);
    return out;
}

std::pair<QString, QString> graphQlOperationOf(const QString &document, const QString &name)
{
    const auto tokens = tokenize(document);
    if (!tokens)
        return {};
    std::pair<QString, QString> first;
    bool found = false;
    int depth = 0;
    for (std::size_t i = 0; i < tokens->size(); ++i) {
        const Token &t = (*tokens)[i];
        if (t.kind == Token::Comment || t.kind == Token::String)
            continue;
        if (t.kind == Token::Punctuator && QStringView(u"({[").contains(t.text)) {
            if (depth == 0 && t.text == u"{" && !found) { // "{ ... }": an anonymous query
                first = {QStringLiteral("query"), QString()};
                found = true;
                if (name.isEmpty())
                    return first;
            }
            ++depth;
            continue;
        }
        if (t.kind == Token::Punctuator && QStringView(u")}]").contains(t.text)) {
            --depth;
            continue;
        }
        if (depth != 0 || t.kind != Token::Name)
            continue;
        if (t.text == u"fragment") { // skip it, selection set and all
            int inner = 0;
            for (++i; i < tokens->size(); ++i) {
                const Token &u = (*tokens)[i];
                if (is(&u, u"{"))
                    ++inner;
                else if (is(&u, u"}") && --inner == 0)
                    break;
            }
            continue;
        }
        if (t.text != u"query" && t.text != u"mutation" && t.text != u"subscription")
            continue;
        const Token *next = i + 1 < tokens->size() ? &(*tokens)[i + 1] : nullptr;
        const QString ownName = next && next->kind == Token::Name ? next->text : QString();
        if (!found) {
            first = {t.text, ownName};
            found = true;
        }
        if (name.isEmpty())
            return first;
        if (ownName == name)
            return {t.text, ownName};
    }
    return first;
}

std::optional<std::vector<GraphQlOperation>> graphQlOperations(std::string_view body,
                                                               const QString &contentType)
{
    const QString type = contentType.section(u';', 0, 0).trimmed();
    if (type.compare(u"application/graphql", Qt::CaseInsensitive) == 0) {
        const QString document = QString::fromUtf8(body.data(), qsizetype(body.size()));
        if (document.trimmed().isEmpty())
            return std::nullopt;
        GraphQlOperation op;
        std::tie(op.type, op.name) = graphQlOperationOf(document, QString());
        op.query = prettyGraphQl(document).value_or(document);
        return std::vector<GraphQlOperation>{op};
    }
    std::size_t start = 0;
    while (start < body.size()
           && std::string_view(" \t\r\n").find(body[start]) != std::string_view::npos)
        ++start;
    if (start >= body.size())
        return std::nullopt;
    if (body[start] == '{') {
        auto op = operationOf(body);
        if (!op)
            return std::nullopt;
        return std::vector<GraphQlOperation>{std::move(*op)};
    }
    if (body[start] != '[')
        return std::nullopt;
    const auto elements = jsonArrayElements(body);
    if (!elements || elements->empty())
        return std::nullopt;
    std::vector<GraphQlOperation> ops;
    for (const std::string_view element : *elements) {
        auto op = operationOf(element);
        if (!op)
            return std::nullopt;
        ops.push_back(std::move(*op));
    }
    return ops;
}

} // namespace ts::ui
