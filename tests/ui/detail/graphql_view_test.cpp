#include "core/flow/body.h"
#include "core/flow/flow.h"
#include "ui/detail/graphql_view.h"
#include "ui/detail/message_view.h"

#include <QComboBox>
#include <QTest>

using namespace ts::flow;
using ts::ui::GraphQlView;
using ts::ui::MessageView;
using namespace Qt::StringLiterals;

namespace {

Flow post(std::string contentType, std::string body)
{
    Flow f;
    f.method = "POST";
    f.path = "/graphql";
    f.requestHeaders = {{"Content-Type", std::move(contentType)}};
    f.requestBody = std::make_shared<Body>(std::make_shared<BodyBudget>());
    f.requestBody->append(body);
    return f;
}

} // namespace

// The request's GraphQL tab: shown for GraphQL bodies only, with the operation's type and
// name, its document indented and its variables as sent; a batch one operation at a time.
class GraphQlViewTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTheOperation()
    {
        MessageView request(MessageView::Side::Request);
        GraphQlView *view = request.graphQlView();
        QVERIFY(view);
        request.showFlow(post("application/json",
                              "{\"query\":\"query Me { me { id } }\",\"variables\":{\"b\":1,\"a\":"
                              "12345678901234567890}}"),
                         true);
        QVERIFY(request.isTabShown(view));
        QCOMPARE(view->title(), u"query Me"_s);
        QCOMPARE(view->queryText(), u"query Me {\n  me {\n    id\n  }\n}"_s);
        QCOMPARE(view->variablesText(), u"{\n  \"b\": 1,\n  \"a\": 12345678901234567890\n}"_s);
        QVERIFY(view->operationBox()->isHidden());

        // Sent as text/plain (no CORS preflight) it is still GraphQL; as an image it is not read.
        request.showFlow(post("text/plain;charset=UTF-8", "{\"query\":\"{ a }\"}"), true);
        QVERIFY(request.isTabShown(view));
        request.showFlow(post("image/png", "{\"query\":\"{ a }\"}"), true);
        QVERIFY(!request.isTabShown(view));
        request.showFlow(post("application/json", "{\"name\":\"not graphql\"}"), true);
        QVERIFY(!request.isTabShown(view));
        request.clear();
        QVERIFY(!request.isTabShown(view));
        QVERIFY(!MessageView(MessageView::Side::Response).graphQlView());
    }

    void showsABatchOneAtATime()
    {
        MessageView request(MessageView::Side::Request);
        GraphQlView *view = request.graphQlView();
        const Flow f = post("application/json",
                            "[{\"query\":\"{ a }\"},{\"query\":\"mutation Save { s }\"}]");
        request.showFlow(f, true);
        QVERIFY(request.isTabShown(view));
        QCOMPARE(view->operationCount(), 2);
        QVERIFY(!view->operationBox()->isHidden());
        QCOMPARE(view->operationBox()->itemText(1), u"2 of 2: mutation Save"_s);
        QCOMPARE(view->title(), u"Batch of 2 operations"_s);
        QCOMPARE(view->queryText(), u"{\n  a\n}"_s);
        view->operationBox()->setCurrentIndex(1);
        QCOMPARE(view->queryText(), u"mutation Save {\n  s\n}"_s);
        // The same request again (its response arrived): the operation chosen stays.
        request.showFlow(f, false);
        QCOMPARE(view->queryText(), u"mutation Save {\n  s\n}"_s);
    }

    void readsApplicationGraphql()
    {
        MessageView request(MessageView::Side::Request);
        request.showFlow(post("application/graphql", "{ me { name } }"), true);
        QVERIFY(request.isTabShown(request.graphQlView()));
        QCOMPARE(request.graphQlView()->title(), u"query (anonymous)"_s);
    }
};

QTEST_MAIN(GraphQlViewTest)
#include "graphql_view_test.moc"
