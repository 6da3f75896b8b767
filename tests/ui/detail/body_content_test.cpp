#include "core/flow/body.h"
#include "tests/ui/detail/samples.h"
#include "ui/detail/body_content.h"

#include <QTest>

using namespace ts::flow;
using namespace ts::ui;
using namespace Qt::StringLiterals;

// Reading and decoding bodies for the detail pane, and choosing how to show them.
class BodyContentTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesEachCoding_data()
    {
        QTest::addColumn<QByteArray>("coding");
        QTest::addColumn<QByteArray>("encoded");
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("gzip") << "gzip"_ba << QByteArray::fromStdString(ts::test::kGzipSample)
                              << "gzip"_ba;
        QTest::newRow("br") << "br"_ba << QByteArray::fromStdString(ts::test::kBrotliSample)
                            << "br"_ba;
        QTest::newRow("zstd") << "zstd"_ba << QByteArray::fromStdString(ts::test::kZstdSample)
                              << "zstd"_ba;
    }
    void decodesEachCoding()
    {
#ifndef TS_HAVE_CODEC
        QSKIP("built without core/codec");
#endif
        QFETCH(QByteArray, coding);
        QFETCH(QByteArray, encoded);
        QFETCH(QByteArray, name);
        auto budget = std::make_shared<BodyBudget>();
        Body body(budget);
        body.append(encoded.toStdString());
        const BodyContent content = loadBody(body, coding.toStdString(), 1 << 20, 1 << 20);
        QCOMPARE(QString(content.decodeError), QString());
        QCOMPARE(content.bytes, ts::test::sampleJson(name.toStdString()));
        QCOMPARE(content.codings, std::vector<std::string>{name.toStdString()});
        QVERIFY(!content.partial);
        QVERIFY(describeBody(content).startsWith(u"decoded from "_s + QString::fromLatin1(name)
                                                 + u", "_s));
        const auto decodedSize = ts::test::sampleJson(name.toStdString()).size();
        QVERIFY(describeBody(content).contains(u"\u2192 %1 B"_s.arg(decodedSize)));
        QCOMPARE(classifyBody(u"application/json"_s, content.bytes), BodyKind::Json);
    }

    void corruptDataShowsRawBytesAndWhy()
    {
#ifndef TS_HAVE_CODEC
        QSKIP("built without core/codec");
#endif
        auto budget = std::make_shared<BodyBudget>();
        Body body(budget);
        body.append("definitely not gzip");
        const BodyContent content = loadBody(body, "gzip", 1 << 20, 1 << 20);
        QVERIFY(!content.decodeError.isEmpty());
        QCOMPARE(content.bytes, std::string("definitely not gzip"));
        QVERIFY(describeBody(content).contains(u"not decoded"_s));
    }

    void readsOnlyTheStartWhenAsked()
    {
        auto budget = std::make_shared<BodyBudget>();
        Body body(budget);
        body.append(std::string(10000, 'a'));
        const BodyContent content = loadBody(body, "", 4096, 1 << 20);
        QCOMPARE(content.bytes.size(), std::size_t(4096));
        QVERIFY(content.partial);
        QCOMPARE(content.rawSize, 10000u);
        QVERIFY(describeBody(content).contains(u"first part only"_s));
    }

    void classifies_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("kind");
        const auto row
            = [](const char *name, const QString &type, const QByteArray &bytes, BodyKind kind) {
                  QTest::newRow(name) << type << bytes << int(kind);
              };
        row("empty", u"text/plain"_s, {}, BodyKind::Empty);
        row("json", u"application/json; charset=utf-8"_s, "[1]"_ba, BodyKind::Json);
        row("problem json", u"application/problem+json"_s, "{}"_ba, BodyKind::Json);
        row("html", u"text/html"_s, "<p>"_ba, BodyKind::Html);
        row("xml", u"application/atom+xml"_s, "<feed/>"_ba, BodyKind::Xml);
        row("js", u"text/javascript"_s, "let a"_ba, BodyKind::JavaScript);
        row("css", u"text/css"_s, "a{}"_ba, BodyKind::Css);
        row("png", u"image/png"_s, "\x89PNG"_ba, BodyKind::Image);
        row("svg is text", u"image/svg+xml"_s, "<svg/>"_ba, BodyKind::Xml);
        row("sniffed json", u"text/plain"_s, "  {\"a\":1}"_ba, BodyKind::Json);
        row("sniffed html", QString(), "<!DOCTYPE html><html>"_ba, BodyKind::Html);
        row("sniffed png", u"application/octet-stream"_s, "\x89PNG\r\n\x1a\n...."_ba,
            BodyKind::Image);
        row("binary", u"application/octet-stream"_s, QByteArray("\x00\x01\x02", 3),
            BodyKind::Binary);
        row("utf-8 text", QString(), "gr\xc3\xbc\xc3\x9f dich"_ba, BodyKind::Text);
        row("latin-1 is binary", QString(), "gr\xfc\xdf"_ba, BodyKind::Binary);
    }
    void classifies()
    {
        QFETCH(QString, type);
        QFETCH(QByteArray, bytes);
        QFETCH(int, kind);
        QCOMPARE(int(classifyBody(type, bytes.toStdString())), kind);
    }
};

QTEST_MAIN(BodyContentTest)
#include "body_content_test.moc"
