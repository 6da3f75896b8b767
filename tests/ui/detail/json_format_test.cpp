#include "ui/detail/json_format.h"

#include <QTest>

using namespace ts::ui;

// Pretty JSON shows the payload as sent: key order and every digit kept (issue 17, defect 3).
class JsonFormatTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepsKeyOrderAndDigits()
    {
        const auto pretty = prettyJson(R"({"zeta":12345678901234567890,"alpha":[1.50,-0e+3],)"
                                       R"("m":{"b":true,"a":null}})");
        QVERIFY(pretty);
        QCOMPARE(*pretty, std::string("{\n"
                                      "  \"zeta\": 12345678901234567890,\n"
                                      "  \"alpha\": [\n"
                                      "    1.50,\n"
                                      "    -0e+3\n"
                                      "  ],\n"
                                      "  \"m\": {\n"
                                      "    \"b\": true,\n"
                                      "    \"a\": null\n"
                                      "  }\n"
                                      "}\n"));
    }

    void keepsStringsAndEscapesVerbatim()
    {
        const auto pretty
            = prettyJson("  [ \"a, b: {c}\" , \"\\\"q\\\" \\u00e9 \xC3\xA9\" , {} , [ ] ] ");
        QVERIFY(pretty);
        QCOMPARE(*pretty, std::string("[\n"
                                      "  \"a, b: {c}\",\n"
                                      "  \"\\\"q\\\" \\u00e9 \xC3\xA9\",\n"
                                      "  {},\n"
                                      "  []\n"
                                      "]\n"));
    }

    void scalarAtTopLevel()
    {
        QCOMPARE(prettyJson("  42 "), std::optional<std::string>("42\n"));
        QCOMPARE(prettyJson("\"x\""), std::optional<std::string>("\"x\"\n"));
    }

    void rejectsWhatIsNotJson_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("unclosed") << QByteArray("{\"a\":1");
        QTest::newRow("trailing comma") << QByteArray("[1,2,]");
        QTest::newRow("mismatched") << QByteArray("[1}");
        QTest::newRow("bare word") << QByteArray("[nope]");
        QTest::newRow("missing colon") << QByteArray("{\"a\" 1}");
        QTest::newRow("key not string") << QByteArray("{1:2}");
        QTest::newRow("two values") << QByteArray("1 2");
        QTest::newRow("unterminated string") << QByteArray("\"abc");
        QTest::newRow("control char in string") << QByteArray("\"a\nb\"");
        QTest::newRow("bad number") << QByteArray("[01]");
        QTest::newRow("bad escape") << QByteArray("\"\\x\"");
        QTest::newRow("too deep") << QByteArray(2000, '[');
    }
    void rejectsWhatIsNotJson()
    {
        QFETCH(QByteArray, input);
        QVERIFY(!prettyJson(input.toStdString()));
    }

    void deepButReasonableNesting()
    {
        const std::string input = std::string(100, '[') + std::string(100, ']');
        QVERIFY(prettyJson(input));
    }
};

QTEST_GUILESS_MAIN(JsonFormatTest)
#include "json_format_test.moc"
