#include "core/flow/body.h"
#include "core/flow/flow.h"
#include "ui/detail/request_snippets.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace ts::flow;
using namespace ts::ui;
using namespace Qt::StringLiterals;

namespace {

Flow post()
{
    Flow f;
    f.id = 1;
    f.scheme = "https";
    f.host = "api.example.com";
    f.port = 443;
    f.method = "POST";
    f.path = "/v1/items?x=1";
    f.requestHeaders = {{"Host", "api.example.com"},
                        {"Content-Type", "application/json"},
                        {"Content-Length", "27"},
                        {"X-Quote", "it's \"quoted\""}};
    f.requestBody = std::make_shared<Body>(std::make_shared<BodyBudget>());
    f.requestBody->append(R"({"name":"caf\u00e9","n":1})");
    return f;
}

} // namespace

// Copy as fetch / Python requests / HTTPie (issue 17, defect 14): what each says, and, where
// the language is on the machine, that it reads the snippet back as the same request.
class RequestSnippetsTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fetch()
    {
        const CodeSnippet s = fetchSnippet(post());
        QCOMPARE(s.text, u"await fetch(\"https://api.example.com/v1/items?x=1\", {\n"
                         u"  method: \"POST\",\n"
                         u"  headers: {\n"
                         u"    \"Content-Type\": \"application/json\",\n"
                         u"    \"X-Quote\": \"it's \\\"quoted\\\"\"\n"
                         u"  },\n"
                         u"  body: \"{\\\"name\\\":\\\"caf\\\\u00e9\\\",\\\"n\\\":1}\"\n"
                         u"});"_s);
        QVERIFY(s.note.isEmpty());
    }

    void fetchGetHasNoOptions()
    {
        Flow f = post();
        f.method = "GET";
        f.requestHeaders = {{"Host", "api.example.com"}};
        f.requestBody.reset();
        QCOMPARE(fetchSnippet(f).text, u"await fetch(\"https://api.example.com/v1/items?x=1\");"_s);
    }

    void python()
    {
        const CodeSnippet s = pythonRequestsSnippet(post());
        QCOMPARE(s.text, u"import requests\n"
                         u"\n"
                         u"response = requests.request(\n"
                         u"    \"POST\",\n"
                         u"    \"https://api.example.com/v1/items?x=1\",\n"
                         u"    headers={\n"
                         u"        \"Content-Type\": \"application/json\",\n"
                         u"        \"X-Quote\": \"it's \\\"quoted\\\"\",\n"
                         u"    },\n"
                         u"    data=\"{\\\"name\\\":\\\"caf\\\\u00e9\\\",\\\"n\\\":1}\".encode(),\n"
                         u")\n"
                         u"print(response.status_code)\n"
                         u"print(response.text)"_s);
    }

    void pythonParsesIt()
    {
        const QString python = QStandardPaths::findExecutable(u"python3"_s);
        if (python.isEmpty())
            QSKIP("no python3");
        QString code = pythonRequestsSnippet(post()).text;
        // Parse only: no requests module needed, nothing sent.
        QProcess p;
        p.start(python, {u"-c"_s, u"import ast,sys; ast.parse(sys.stdin.read())"_s});
        p.write(code.toUtf8());
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
    }

    void httpie()
    {
        const CodeSnippet s = httpieCommand(post());
        QCOMPARE(s.text, u"http --ignore-stdin POST 'https://api.example.com/v1/items?x=1' \\\n"
                         u"  'Content-Type:application/json' \\\n"
                         u"  'X-Quote:it'\\''s \"quoted\"' \\\n"
                         u"  --raw '{\"name\":\"caf\\u00e9\",\"n\":1}'"_s);
    }

    void emptyHeaderValueAndBinaryBody()
    {
        Flow f = post();
        f.requestHeaders = {{"X-Empty", ""}};
        f.requestBody = std::make_shared<Body>(std::make_shared<BodyBudget>());
        f.requestBody->append(std::string("a\0b", 3));
        const CodeSnippet h = httpieCommand(f);
        QVERIFY(h.text.contains(u"'X-Empty;'"_s));
        QVERIFY(!h.text.contains(u"--raw"_s));
        QVERIFY(!h.note.isEmpty());
        QVERIFY(!fetchSnippet(f).note.isEmpty());
        QVERIFY(!fetchSnippet(f).text.contains(u"body:"_s));
        QVERIFY(!pythonRequestsSnippet(f).note.isEmpty());
    }
};

QTEST_GUILESS_MAIN(RequestSnippetsTest)
#include "request_snippets_test.moc"
