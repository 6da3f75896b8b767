#include "ui/detail/graphql_format.h"
#include "ui/detail/json_format.h"

#include <QTest>

using ts::ui::graphQlOperationOf;
using ts::ui::graphQlOperations;
using ts::ui::prettyGraphQl;
using namespace Qt::StringLiterals;

// The GraphQL body reader and formatter: which bodies are GraphQL, operation names and types,
// the document indented, variables as sent (order and digits).
class GraphQlFormatTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void indentsSelectionSets()
    {
        const auto pretty = prettyGraphQl(
            u"query GetUser($id: ID!, $n: Int = 10) { user(id: $id, first: $n) "
            "{ id, name friends(first: 2) { edges { node { ...F @include(if: true) } } } "
            "... on Admin { level } } }"_s);
        QVERIFY(pretty);
        QCOMPARE(*pretty, u"query GetUser($id: ID!, $n: Int = 10) {\n"
                          "  user(id: $id, first: $n) {\n"
                          "    id\n"
                          "    name\n"
                          "    friends(first: 2) {\n"
                          "      edges {\n"
                          "        node {\n"
                          "          ...F @include(if: true)\n"
                          "        }\n"
                          "      }\n"
                          "    }\n"
                          "    ... on Admin {\n"
                          "      level\n"
                          "    }\n"
                          "  }\n"
                          "}"_s);
    }

    void keepsValuesStringsAndDefinitions()
    {
        const auto pretty = prettyGraphQl(
            u"mutation { add(input: {tags: [\"a, b\", \"c\"], n: 12345678901234567890, "
            "o: {x: -1.5e3}}) { ok } }\nfragment F on User { id }\n# done"_s);
        QVERIFY(pretty);
        QCOMPARE(*pretty, u"mutation {\n"
                          "  add(input: {tags: [\"a, b\", \"c\"], n: 12345678901234567890, "
                          "o: {x: -1.5e3}}) {\n"
                          "    ok\n"
                          "  }\n"
                          "}\n"
                          "\n"
                          "fragment F on User {\n"
                          "  id\n"
                          "}\n"
                          "\n"
                          "# done"_s);
        QCOMPARE(*prettyGraphQl(u"{a{}}"_s), u"{\n  a {\n  }\n}"_s);
        QCOMPARE(*prettyGraphQl(u"{ alias: field(s: \"\"\"x\ny\"\"\") }"_s),
                 u"{\n  alias: field(s: \"\"\"x\ny\"\"\")\n}"_s);
        QVERIFY(!prettyGraphQl(u"{ a "_s));
        QVERIFY(!prettyGraphQl(u"{ a(s: \"open) }"_s));
        QVERIFY(!prettyGraphQl(u"{ a } }"_s));
    }

    void findsTheOperation()
    {
        const QString doc = u"fragment F on U { id } query A { a } mutation B { b }"_s;
        QCOMPARE(graphQlOperationOf(doc, {}), std::pair(u"query"_s, u"A"_s));
        QCOMPARE(graphQlOperationOf(doc, u"B"_s), std::pair(u"mutation"_s, u"B"_s));
        QCOMPARE(graphQlOperationOf(u"{ me { id } }"_s, {}), std::pair(u"query"_s, QString()));
        QCOMPARE(graphQlOperationOf(u"subscription { s }"_s, {}),
                 std::pair(u"subscription"_s, QString()));
    }

    void readsJsonBodies()
    {
        const std::string body = "{\"operationName\":\"GetUser\",\"variables\":{\"z\":1,\"a\":"
                                 "12345678901234567890,\"list\":[1.50,2]},"
                                 "\"query\":\"query GetUser($id: ID) { user(id: $id) { name } }\"}";
        const auto ops = graphQlOperations(body, u"application/json"_s);
        QVERIFY(ops);
        QCOMPARE(ops->size(), std::size_t(1));
        const auto &op = ops->front();
        QCOMPARE(op.type, u"query"_s);
        QCOMPARE(op.name, u"GetUser"_s);
        QCOMPARE(op.query, u"query GetUser($id: ID) {\n  user(id: $id) {\n    name\n  }\n}"_s);
        // Key order and every digit, as sent.
        QCOMPARE(op.variables, u"{\n  \"z\": 1,\n  \"a\": 12345678901234567890,\n  \"list\": [\n"
                               "    1.50,\n    2\n  ]\n}"_s);

        // Escapes in the query string are undone before formatting.
        const auto escaped = graphQlOperations(
            "{\"query\":\"mutation {\\n  like(id: \\\"7\\\") { n }\\n}\",\"variables\":null}", {});
        QVERIFY(escaped);
        QCOMPARE(escaped->front().type, u"mutation"_s);
        QCOMPARE(escaped->front().query, u"mutation {\n  like(id: \"7\") {\n    n\n  }\n}"_s);
        QVERIFY(escaped->front().variables.isEmpty());
    }

    void readsBatchesAndPlainDocuments()
    {
        const auto batch = graphQlOperations(
            " [{\"query\":\"{ a }\"}, {\"query\":\"mutation M { m }\",\"variables\":{\"x\":[]}}] ",
            u"application/json; charset=utf-8"_s);
        QVERIFY(batch);
        QCOMPARE(batch->size(), std::size_t(2));
        QCOMPARE(batch->at(1).name, u"M"_s);
        QCOMPARE(batch->at(1).variables, u"{\n  \"x\": []\n}"_s);

        const auto plain = graphQlOperations("query Q { q }", u"application/graphql"_s);
        QVERIFY(plain);
        QCOMPARE(plain->front().name, u"Q"_s);
        QCOMPARE(plain->front().query, u"query Q {\n  q\n}"_s);
    }

    void leavesOtherBodiesAlone()
    {
        QVERIFY(!graphQlOperations("{\"name\":\"x\"}", u"application/json"_s));
        QVERIFY(!graphQlOperations("{\"query\":42}", u"application/json"_s));
        QVERIFY(!graphQlOperations("{\"query\":\"{ a }\"", u"application/json"_s)); // cut short
        QVERIFY(!graphQlOperations("[{\"query\":\"{ a }\"}, 3]", u"application/json"_s));
        QVERIFY(!graphQlOperations("[]", u"application/json"_s));
        QVERIFY(!graphQlOperations("query=%7Ba%7D", u"application/x-www-form-urlencoded"_s));
        QVERIFY(!graphQlOperations("", u"application/graphql"_s));
    }

    void splitsJsonContainers()
    {
        const auto members = ts::ui::jsonObjectMembers(" {\"a\" : [1, {\"b\": 2}], \"c\":\"d\"} ");
        QVERIFY(members);
        QCOMPARE(members->size(), std::size_t(2));
        QVERIFY(members->at(0).name == std::string_view("\"a\""));
        QVERIFY(members->at(0).value == std::string_view("[1, {\"b\": 2}]"));
        QVERIFY(members->at(1).value == std::string_view("\"d\""));
        QVERIFY(ts::ui::jsonObjectMembers("{}"));
        QVERIFY(!ts::ui::jsonObjectMembers("{\"a\":1,}"));
        QVERIFY(!ts::ui::jsonObjectMembers("{\"a\":1} x"));
        QVERIFY(!ts::ui::jsonObjectMembers("[1]"));
        const auto elements = ts::ui::jsonArrayElements("[1, \"x\", null]");
        QVERIFY(elements);
        QCOMPARE(elements->size(), std::size_t(3));
        QVERIFY(elements->at(1) == std::string_view("\"x\""));
    }
};

QTEST_MAIN(GraphQlFormatTest)
#include "graphql_format_test.moc"
