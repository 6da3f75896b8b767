#pragma once

#include <QString>

#include <optional>
#include <string_view>
#include <vector>

namespace ts::ui {

// One GraphQL operation of a request body, ready to show.
struct GraphQlOperation
{
    QString type;      // "query", "mutation", "subscription"; empty when the document has none
    QString name;      // operationName, else the operation's own name; empty: anonymous
    QString query;     // the document, indented (as sent when it does not tokenize)
    QString variables; // the variables, indented by prettyJson (key order and digits kept)
    bool operator==(const GraphQlOperation &) const = default;
};

// The operations of a GraphQL request body: a JSON object with a "query" string (with
// "operationName" and "variables" when present), a batch of them in a JSON array, or the
// document itself under Content-Type application/graphql. Nothing when the body is none of
// these.
std::optional<std::vector<GraphQlOperation>> graphQlOperations(std::string_view body,
                                                               const QString &contentType);

// The document indented two spaces per selection set, a field per line, arguments inline;
// strings, block strings and comments kept as written. Nothing when it does not tokenize or
// its brackets do not balance.
std::optional<QString> prettyGraphQl(const QString &document);

// The type ("query", "mutation", "subscription") and name of the document's operation called
// `name`, or of its first operation when `name` is empty.
std::pair<QString, QString> graphQlOperationOf(const QString &document, const QString &name);

} // namespace ts::ui
