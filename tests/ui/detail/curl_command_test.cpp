#include "core/flow/flow.h"
#include "ui/detail/curl_command.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace ts::flow;
using namespace ts::ui;
using namespace Qt::StringLiterals;

namespace {

Flow request(const std::string &method, const std::string &path)
{
    Flow f;
    f.id = 1;
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = method;
    f.path = path;
    f.requestHeaders = {{"Host", "example.com"}, {"Accept", "*/*"}};
    return f;
}

// What bash makes of a command line: each argument on a line of its own.
QStringList bashWords(const QString &command)
{
    QProcess bash;
    const QString printer = u"printargs() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }; "_s;
    QString line = command;
    line.replace(u"curl "_s, u"printargs "_s);
    bash.start(u"bash"_s, {u"-c"_s, printer + line});
    bash.waitForFinished();
    return QString::fromUtf8(bash.readAllStandardOutput()).split(QChar(0), Qt::SkipEmptyParts);
}

} // namespace

// Copy as curl: what the command says, and that a shell reads it back as the same arguments.
class CurlCommandTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void plainGet()
    {
        const CurlCommand c = curlCommand(request("GET", "/index.html?q=1&r=2"));
        QCOMPARE(c.text, u"curl 'http://example.com/index.html?q=1&r=2' \\\n  -H 'Accept: */*'"_s);
        QVERIFY(c.note.isEmpty());
    }

    void methodHeadersAndBody()
    {
        auto budget = std::make_shared<BodyBudget>();
        Flow f = request("PUT", "/it's");
        f.port = 8080;
        f.requestHeaders = {{"Host", "example.com:8080"},
                            {"Content-Type", "application/json"},
                            {"Content-Length", "30"},
                            {"X-Quote", "it's \"quoted\""},
                            {"X-Empty", ""},
                            {"Accept-Encoding", "gzip"}};
        f.requestBody = std::make_shared<Body>(budget);
        f.requestBody->append("{\"a\": \"line\nbreak\", \"b\": 'q'}");
        const CurlCommand c = curlCommand(f);
        QCOMPARE(c.text, u"curl 'http://example.com:8080/it'\\''s' \\\n"
                         "  -X 'PUT' \\\n"
                         "  -H 'Content-Type: application/json' \\\n"
                         "  -H $'X-Quote: it\\'s \"quoted\"' \\\n"
                         "  -H 'X-Empty;' \\\n"
                         "  -H 'Accept-Encoding: gzip' \\\n"
                         "  --compressed \\\n"
                         "  --data-binary $'{\"a\": \"line\\nbreak\", \"b\": \\'q\\'}'"_s);
        if (QStandardPaths::findExecutable(u"bash"_s).isEmpty())
            QSKIP("no bash to read the command back");
        const QStringList words = bashWords(QString(c.text).remove(u"\\\n"_s));
        QCOMPARE(words.value(0), u"http://example.com:8080/it's"_s);
        QVERIFY(words.contains(u"X-Quote: it's \"quoted\""_s));
        QCOMPARE(words.last(), u"{\"a\": \"line\nbreak\", \"b\": 'q'}"_s);
    }

    void postWithBodyNeedsNoMethod()
    {
        auto budget = std::make_shared<BodyBudget>();
        Flow f = request("POST", "/form");
        f.requestBody = std::make_shared<Body>(budget);
        f.requestBody->append("a=1&b=2");
        const CurlCommand c = curlCommand(f);
        QVERIFY(!c.text.contains(u"-X"_s));
        QVERIFY(c.text.endsWith(u"--data-binary 'a=1&b=2'"_s));
    }

    void binaryBodyGoesToAFile()
    {
        auto budget = std::make_shared<BodyBudget>();
        Flow f = request("POST", "/upload");
        f.requestBody = std::make_shared<Body>(budget);
        f.requestBody->append(std::string("\x00\x01\x02", 3));
        const CurlCommand c = curlCommand(f);
        QVERIFY(c.text.endsWith(u"--data-binary @body.bin"_s));
        QVERIFY(c.note.contains(u"body.bin"_s));
    }

    void controlBytesAreEscaped()
    {
        auto budget = std::make_shared<BodyBudget>();
        Flow f = request("POST", "/");
        f.requestBody = std::make_shared<Body>(budget);
        f.requestBody->append("a\x01"
                              "b\\c\td\r\n");
        const CurlCommand c = curlCommand(f);
        QVERIFY2(c.text.endsWith(u"--data-binary $'a\\x01b\\\\c\\td\\r\\n'"_s), qPrintable(c.text));
    }

    void http2AndHead()
    {
        Flow f = request("HEAD", "/");
        f.scheme = "https";
        f.port = 443;
        f.clientProtocol = "HTTP/2";
        f.requestHeaders = {{":authority", "example.com"}, {"Accept", "*/*"}};
        const CurlCommand c = curlCommand(f);
        QCOMPARE(c.text, u"curl 'https://example.com/' \\\n  --http2 \\\n  --head \\\n"
                         "  -H 'Accept: */*'"_s);
    }
};

QTEST_MAIN(CurlCommandTest)
#include "curl_command_test.moc"
