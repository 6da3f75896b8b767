#include "ui/detail/message_view.h"

#include <QTableWidget>
#include <QTest>

using namespace ts::flow;
using ts::ui::MessageView;
using namespace Qt::StringLiterals;

namespace {

QList<QStringList> rows(const QTableWidget *table)
{
    QList<QStringList> out;
    for (int r = 0; r < table->rowCount(); ++r) {
        QStringList line;
        for (int c = 0; c < table->columnCount(); ++c)
            line << (table->item(r, c) ? table->item(r, c)->text() : QString());
        out << line;
    }
    return out;
}

} // namespace

// Issue 17, everyday tools: the request's query parameters and the cookies of both messages,
// each in a tab of its own, shown only when there are some.
class MessageViewTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void queryAndCookies()
    {
        Flow f;
        f.kind = FlowKind::Exchange;
        f.method = "GET";
        f.path = "/search?q=tunnel+scope&lang=de%2DAT&empty=&flag#top";
        f.requestHeaders = {{"Host", "example.com"}, {"Cookie", "session=abc; theme=dark"}};
        f.status = 200;
        f.responseHeaders = {{"Set-Cookie", "id=42; Path=/; HttpOnly"}, {"set-cookie", "seen=1"}};

        MessageView request(MessageView::Side::Request);
        request.showFlow(f, false);
        QVERIFY(request.isTabShown(request.queryTable()));
        QCOMPARE(rows(request.queryTable()), (QList<QStringList>{{u"q"_s, u"tunnel scope"_s},
                                                                 {u"lang"_s, u"de-AT"_s},
                                                                 {u"empty"_s, QString()},
                                                                 {u"flag"_s, QString()}}));
        QVERIFY(request.isTabShown(request.cookiesTable()));
        QCOMPARE(rows(request.cookiesTable()),
                 (QList<QStringList>{{u"session"_s, u"abc"_s}, {u"theme"_s, u"dark"_s}}));

        MessageView response(MessageView::Side::Response);
        response.showFlow(f, false);
        QVERIFY(!response.isTabShown(response.queryTable()));
        QCOMPARE(rows(response.cookiesTable()),
                 (QList<QStringList>{{u"id"_s, u"42"_s, u"Path=/; HttpOnly"_s},
                                     {u"seen"_s, u"1"_s, QString()}}));

        // None: no tabs.
        Flow plain;
        plain.method = "GET";
        plain.path = "/";
        request.showFlow(plain, false);
        QVERIFY(!request.isTabShown(request.queryTable()));
        QVERIFY(!request.isTabShown(request.cookiesTable()));
    }

    void urlencodedFormFields()
    {
        Flow f;
        f.method = "POST";
        f.path = "/login";
        f.requestHeaders = {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}};
        f.requestBody = std::make_shared<Body>(std::make_shared<BodyBudget>());
        f.requestBody->append("user=ann&msg=hi+there%21");
        MessageView request(MessageView::Side::Request);
        request.showFlow(f, false);
        QVERIFY(request.isTabShown(request.formTable()));
        QCOMPARE(rows(request.formTable()),
                 (QList<QStringList>{{u"user"_s, u"ann"_s}, {u"msg"_s, u"hi there!"_s}}));

        f.requestHeaders = {{"Content-Type", "application/json"}};
        request.showFlow(f, false);
        QVERIFY(!request.isTabShown(request.formTable()));
    }

    void multipartFormFields()
    {
        Flow f;
        f.method = "POST";
        f.path = "/upload";
        f.requestHeaders = {{"Content-Type", "multipart/form-data; boundary=\"XyZ\""}};
        f.requestBody = std::make_shared<Body>(std::make_shared<BodyBudget>());
        f.requestBody->append("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
                              "Holiday\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; "
                              "filename=\"beach.png\"\r\nContent-Type: image/png\r\n\r\n"
                              "\x89PNG....\r\n--XyZ--\r\n");
        MessageView request(MessageView::Side::Request);
        request.showFlow(f, false);
        QVERIFY(request.isTabShown(request.formTable()));
        QCOMPARE(rows(request.formTable()),
                 (QList<QStringList>{{u"title"_s, u"Holiday"_s},
                                     {u"photo"_s, u"(file beach.png, 8 bytes)"_s}}));
    }
};

QTEST_MAIN(MessageViewTest)
#include "message_view_test.moc"
