#include "core/flow/flow_store.h"
#include "tests/ui/detail/samples.h"
#include "ui/detail/body_view.h"
#include "ui/detail/flow_detail_pane.h"
#include "ui/detail/hex_view.h"
#include "ui/detail/message_view.h"
#include "ui/detail/timing_view.h"
#include "ui/detail/tls_view.h"
#include "ui/detail/websocket_message_model.h"
#include "ui/detail/websocket_view.h"

#include <QAbstractItemModelTester>
#include <QPlainTextEdit>
#include <QTableView>

#include <QBuffer>
#include <QImage>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QTreeWidget>

using namespace ts::flow;
using namespace ts::ui;
using namespace Qt::StringLiterals;

namespace {

Flow exchange(FlowId id, const std::shared_ptr<BodyBudget> &budget)
{
    Flow f;
    f.id = id;
    f.state = FlowState::Complete;
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = "POST";
    f.path = "/api/items";
    f.requestHeaders = {{"Host", "example.com"}, {"Content-Type", "text/plain"}};
    f.requestBody = std::make_shared<Body>(budget);
    f.requestBody->append("hello");
    f.status = 200;
    f.reason = "OK";
    f.serverProtocol = "HTTP/1.1";
    f.responseHeaders = {{"Content-Type", "application/json"}};
    f.responseBody = std::make_shared<Body>(budget);
    return f;
}

bool waitLoaded(BodyView *view)
{
    if (!view->isLoading())
        return true;
    QSignalSpy loaded(view, &BodyView::loaded);
    return loaded.wait(5000);
}

} // namespace

// The detail pane: headers, raw head, decoded bodies in the right viewer, timings and TLS.
class FlowDetailPaneTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsHeadersRawAndBody()
    {
        FlowStore store;
        Flow f = exchange(7, store.budget());
        f.responseHeaders.push_back({"X-Trace", "abc"});
        f.responseTrailers = {{"grpc-status", "0"}};
        f.responseBody->append("{\"a\":[1,2],\"b\":{\"c\":null}}");
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(7);
        QCOMPARE(pane.summaryText(), u"POST http://example.com/api/items  \u2192  200 OK"_s);

        QTableWidget *headers = pane.responseView()->headersTable();
        QCOMPARE(headers->rowCount(), 2);
        QCOMPARE(headers->item(1, 0)->text(), u"X-Trace"_s);
        QCOMPARE(headers->item(1, 1)->text(), u"abc"_s);
        QCOMPARE(pane.requestView()->rawText(),
                 u"POST /api/items HTTP/1.1\nHost: example.com\nContent-Type: text/plain"_s);
        QVERIFY(pane.responseView()->rawText().startsWith(u"HTTP/1.1 200 OK\n"_s));
        QVERIFY(pane.responseView()->rawText().endsWith(u"Trailers:\ngrpc-status: 0"_s));

        BodyView *request = pane.requestView()->bodyView();
        QVERIFY(waitLoaded(request));
        QCOMPARE(request->text(), u"hello"_s);
        QCOMPARE(request->mode(), BodyView::TextMode);

        BodyView *response = pane.responseView()->bodyView();
        QVERIFY(waitLoaded(response));
        QCOMPARE(response->kind(), BodyKind::Json);
        QCOMPARE(response->mode(), BodyView::PrettyMode);
        QVERIFY(response->text().contains(u"\"c\": null"_s));
        response->setMode(BodyView::TreeMode);
        auto *tree = response->findChild<QTreeWidget *>(u"bodyTree"_s);
        QVERIFY(tree);
        QCOMPARE(tree->topLevelItemCount(), 1);
        QCOMPARE(tree->topLevelItem(0)->childCount(), 2);
        QCOMPARE(tree->topLevelItem(0)->child(0)->text(0), u"a"_s);
        QCOMPARE(tree->topLevelItem(0)->child(0)->childCount(), 2);
    }

    // Each message as it came and as it went on: translation and the proxy's changes show
    // as a difference, field by field, never as if the peer had sent them.
    void showsTheOtherWireWithTheProxysChanges()
    {
        FlowStore store;
        Flow f = exchange(8, store.budget());
        f.clientProtocol = "HTTP/2";
        f.requestHeaders
            = {{":method", "POST"},     {":scheme", "http"}, {":authority", "example.com"},
               {":path", "/api/items"}, {"cookie", "a=1"},   {"cookie", "b=2"}};
        f.serverRequestHeaders = {{"Host", "example.com"}, {"cookie", "a=1; b=2"}};
        f.responseHeaders = {{"Content-Type", "application/json"}, {"Connection", "close"}};
        f.clientResponseHeaders = {{":status", "200"}, {"content-type", "application/json"}};
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(8);

        QTableWidget *toServer = pane.requestView()->forwardedTable();
        auto *requestTabs = pane.requestView()->findChild<QTabWidget *>();
        QVERIFY(requestTabs);
        const int tab = requestTabs->indexOf(toServer);
        QVERIFY(requestTabs->isTabVisible(tab));
        QCOMPARE(requestTabs->tabText(tab), u"To server, HTTP/1.1 (8 changed)"_s);
        QCOMPARE(toServer->rowCount(), 2 + 6); // two sent, six of the client's not sent as such
        QCOMPARE(toServer->item(0, 0)->text(), u"added"_s);
        QCOMPARE(toServer->item(0, 1)->text(), u"Host"_s);
        QCOMPARE(toServer->item(2, 0)->text(), u"removed"_s);
        QCOMPARE(toServer->item(2, 1)->text(), u":method"_s);
        QVERIFY(toServer->item(2, 1)->font().strikeOut());

        // The response: content-type went on unchanged (names compared without case).
        QTableWidget *toClient = pane.responseView()->forwardedTable();
        QCOMPARE(toClient->rowCount(), 3);
        QCOMPARE(toClient->item(0, 0)->text(), u"added"_s); // :status
        QCOMPARE(toClient->item(1, 0)->text(), QString());  // unchanged
        QCOMPARE(toClient->item(1, 1)->text(), u"content-type"_s);
        QCOMPARE(toClient->item(2, 0)->text(), u"removed"_s);
        QCOMPARE(toClient->item(2, 1)->text(), u"Connection"_s);

        // A flow recorded before both wires were (an old session): no such tab.
        Flow old = exchange(9, store.budget());
        store.publish(old);
        store.flush();
        pane.showFlow(9);
        QCOMPARE(pane.requestView()->forwardedTable()->rowCount(), 0);
        QVERIFY(!requestTabs->isTabVisible(tab));
    }

    // Issue 17, defect 12: without a body the headers table gets the room a body would take.
    void headersUseTheRoomWithoutABody()
    {
        FlowStore store;
        Flow f = exchange(3, store.budget());
        f.method = "GET";
        f.requestBody.reset();
        f.responseBody->append("{}");
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.resize(600, 800);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        pane.showFlow(3);
        QTRY_VERIFY(pane.requestView()->bodyView()->isHidden());
        QTRY_VERIFY(pane.requestView()->headersTable()->height() > 500);
        QVERIFY(!pane.responseView()->bodyView()->isHidden());
    }

    void decodesCompressedBodies_data()
    {
        QTest::addColumn<QByteArray>("coding");
        QTest::addColumn<QByteArray>("encoded");
        QTest::newRow("gzip") << "gzip"_ba << QByteArray::fromStdString(ts::test::kGzipSample);
        QTest::newRow("br") << "br"_ba << QByteArray::fromStdString(ts::test::kBrotliSample);
        QTest::newRow("zstd") << "zstd"_ba << QByteArray::fromStdString(ts::test::kZstdSample);
    }
    void decodesCompressedBodies()
    {
#ifndef TS_HAVE_CODEC
        QSKIP("built without core/codec");
#endif
        QFETCH(QByteArray, coding);
        QFETCH(QByteArray, encoded);
        FlowStore store;
        Flow f = exchange(1, store.budget());
        f.responseHeaders.push_back({"Content-Encoding", coding.toStdString()});
        f.responseBody->append(encoded.toStdString());
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(1);
        BodyView *body = pane.responseView()->bodyView();
        QVERIFY(waitLoaded(body));
        QVERIFY2(body->infoText().startsWith(u"decoded from "_s + QString::fromLatin1(coding)),
                 qPrintable(body->infoText()));
        const auto decodedSize = ts::test::sampleJson(coding.toStdString()).size();
        QVERIFY(body->infoText().contains(u"\u2192 %1 B"_s.arg(decodedSize)));
        body->setMode(BodyView::TextMode);
        QCOMPARE(body->text(), QString::fromStdString(ts::test::sampleJson(coding.toStdString())));
    }

    void largeBodiesLoadTheStartFirst()
    {
        FlowStore store;
        Flow f = exchange(1, store.budget());
        f.responseHeaders = {{"Content-Type", "application/octet-stream"}};
        std::string big(3 * 1024 * 1024, '\0');
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = char(i * 31);
        f.responseBody->append(big); // over the per-body memory cap: spilled to disk
        QVERIFY(f.responseBody->spilled());
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(1);
        BodyView *body = pane.responseView()->bodyView();
        QVERIFY(waitLoaded(body));
        QCOMPARE(body->kind(), BodyKind::Binary);
        QCOMPARE(body->mode(), BodyView::HexMode);
        QVERIFY(body->content().partial);
        auto *loadAll = body->findChild<QWidget *>(u"loadAllButton"_s);
        QVERIFY(loadAll && !loadAll->isHidden());
        auto *hex = body->findChild<HexView *>(u"bodyHex"_s);
        QCOMPARE(hex->lineText(1).left(10), u"00000010  "_s);
        QCOMPARE(hex->lineText(0).mid(10, 12), u"00 1f 3e 5d "_s);

        body->loadAll();
        QVERIFY(waitLoaded(body));
        QVERIFY(!body->content().partial);
        QCOMPARE(body->content().bytes.size(), big.size());
        QVERIFY(loadAll->isHidden());
        QCOMPARE(hex->lineCount(), qsizetype(big.size() / 16));
    }

    void showsImages()
    {
        FlowStore store;
        Flow f = exchange(1, store.budget());
        f.responseHeaders = {{"Content-Type", "image/png"}};
        QImage image(12, 7, QImage::Format_RGB32);
        image.fill(Qt::red);
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(image.save(&buffer, "PNG"));
        f.responseBody->append(png.toStdString());
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(1);
        BodyView *body = pane.responseView()->bodyView();
        QVERIFY(waitLoaded(body));
        QCOMPARE(body->mode(), BodyView::ImageMode);
        QVERIFY2(body->infoText().contains(u"PNG image, 12\u00d77"_s),
                 qPrintable(body->infoText()));
    }

    void timingWaterfall()
    {
        FlowStore store;
        Flow f = exchange(1, store.budget());
        f.timings.lookup = 1000;
        f.timings.connect = 3000;
        f.timings.requestSent = 9000;
        f.timings.firstByte = 20000;
        f.timings.complete = 25000;
        auto tls = std::make_shared<TlsSide>();
        tls->used = true;
        tls->handshakeMicros = 4000;
        f.serverTls = tls;
        const auto phases = TimingView::phasesOf(f);
        QCOMPARE(phases.size(), std::size_t(6));
        QCOMPARE(phases[2].name, u"TLS handshake"_s);
        QCOMPARE(phases[2].start, 3000);
        QCOMPARE(phases[2].end, 7000);
        QCOMPARE(phases[3].start, 7000);
        QCOMPARE(phases[3].end, 9000);
        QCOMPARE(phases[5].end, 25000);

        f.serverReused = true; // no lookup, connect or handshake of its own
        f.timings.lookup = f.timings.connect = -1;
        QCOMPARE(TimingView::phasesOf(f).size(), std::size_t(3));
        // Inside an intercepted tunnel: the tunnel's handshake is not this exchange's.
        f.serverReused = false;
        QCOMPARE(TimingView::phasesOf(f).size(), std::size_t(3));
        QVERIFY(TimingView::phasesOf(f).front().kind == TimingView::PhaseKind::RequestSent);
    }

    void tlsBothSides()
    {
        FlowStore store;
        Flow f = exchange(1, store.budget());
        auto client = std::make_shared<TlsSide>();
        client->used = true;
        client->sni = "example.com";
        client->alpnOffered = {"h2", "http/1.1"};
        client->alpn = "h2";
        client->version = "TLSv1.3";
        auto server = std::make_shared<TlsSide>(*client);
        server->verified = true;
        CertificateSummary leaf;
        leaf.subject = "CN=example.com";
        leaf.issuer = "CN=Example CA";
        leaf.names = {"example.com", "www.example.com"};
        leaf.sha256 = "AB:CD";
        server->chain = {leaf};
        f.clientTls = client;
        f.serverTls = server;
        f.intercepted = true;
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(1);
        QTreeWidget *tree = pane.tlsView()->tree();
        QCOMPARE(tree->topLevelItemCount(), 2);
        const auto find = [](QTreeWidgetItem *parent, const QString &name) -> QTreeWidgetItem * {
            for (int i = 0; i < parent->childCount(); ++i) {
                if (parent->child(i)->text(0) == name)
                    return parent->child(i);
            }
            return nullptr;
        };
        QTreeWidgetItem *clientSide = tree->topLevelItem(0);
        QCOMPARE(find(clientSide, u"ALPN offered"_s)->text(1), u"h2, http/1.1"_s);
        QTreeWidgetItem *serverSide = tree->topLevelItem(1);
        QCOMPARE(find(serverSide, u"Verification"_s)->text(1), u"verified"_s);
        QTreeWidgetItem *chain = find(serverSide, u"Server's certificate chain"_s);
        QVERIFY(chain);
        QTreeWidgetItem *cert = chain->child(0);
        QCOMPARE(find(cert, u"Names"_s)->text(1), u"example.com, www.example.com"_s);
        QCOMPARE(find(cert, u"SHA-256"_s)->text(1), u"AB:CD"_s);
    }

    void followsAnOpenFlow()
    {
        FlowStore store;
        Flow f = exchange(1, store.budget());
        f.state = FlowState::Open;
        f.status = 0;
        store.publish(f);
        store.flush();
        FlowDetailPane pane(store);
        pane.showFlow(1);
        QCOMPARE(pane.summaryText(), u"POST http://example.com/api/items"_s);
        f.state = FlowState::Complete;
        f.status = 404;
        f.reason = "Not Found";
        store.publish(f);
        store.flush();
        QTRY_COMPARE(pane.summaryText(),
                     u"POST http://example.com/api/items  \u2192  404 Not Found"_s);
        store.clear();
        QCOMPARE(pane.flowId(), 0u);
    }

    // The "Messages" tab: only for a flow with WebSocket messages; rows follow the live flow
    // (new rows inserted, under the model tester), and the selected message is shown whole:
    // JSON pretty, binary as hex, a Close with its code.
    void messagesTabFollowsAWebSocket()
    {
        FlowStore store;
        Flow plain = exchange(1, store.budget());
        Flow ws = exchange(2, store.budget());
        ws.method = "GET";
        ws.status = 101;
        auto first = std::make_shared<WebSocketMessages>(WebSocketMessages{
            {true, 1700000000.25, 1, "{\"op\":\"hello\",\"n\":[1,2]}"},
            {false, 1700000000.5, 2, "AAH/"},
        });
        ws.webSocketMessages = first;
        store.publish(plain);
        store.publish(ws);
        store.flush();
        FlowDetailPane pane(store);
        auto *tabs = pane.findChild<QTabWidget *>(u"detailTabs"_s);
        const int tab = tabs->indexOf(pane.webSocketView());
        pane.showFlow(1);
        QVERIFY(!tabs->isTabVisible(tab));
        pane.showFlow(2);
        QVERIFY(tabs->isTabVisible(tab));
        QCOMPARE(tabs->tabText(tab), u"Messages"_s);

        WebSocketView *view = pane.webSocketView();
        QAbstractItemModelTester tester(view->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModel *model = view->model();
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->index(0, WebSocketMessageModel::Direction).data().toString(), u"\u2191"_s);
        QCOMPARE(model->index(1, WebSocketMessageModel::Direction).data().toString(), u"\u2193"_s);
        QCOMPARE(model->index(1, WebSocketMessageModel::Type).data().toString(), u"Binary"_s);
        QCOMPARE(model->index(1, WebSocketMessageModel::Size).data().toString(), u"3"_s);
        QCOMPARE(model->index(1, WebSocketMessageModel::Preview).data().toString(), u"00 01 ff"_s);

        view->table()->selectRow(0);
        QCOMPARE(view->textView()->toPlainText(),
                 u"{\n  \"op\": \"hello\",\n  \"n\": [\n    1,\n    2\n  ]\n}\n"_s);
        QVERIFY(view->textView()->isVisibleTo(view));
        view->table()->selectRow(1);
        QCOMPARE(view->hexView()->data(), QByteArray("\x00\x01\xff", 3));

        // Republished with more: rows are added, the selection stays.
        QSignalSpy inserted(model, &QAbstractItemModel::rowsInserted);
        auto more = std::make_shared<WebSocketMessages>(*first);
        more->push_back({true, 1700000001.0, 8, "A+hieWU="}); // 1000 "bye"
        ws.webSocketMessages = more;
        ws.webSocketError = "the client broke the protocol (1002): x";
        store.publish(ws);
        store.flush();
        QTRY_COMPARE(model->rowCount(), 3);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(view->table()->currentIndex().row(), 1);
        QCOMPARE(model->index(2, WebSocketMessageModel::Preview).data().toString(), u"1000 bye"_s);
        QVERIFY(view->noteText().contains(u"Recording stopped"_s));
        view->table()->selectRow(2);
        QCOMPARE(view->textView()->toPlainText(), u"Close code 1000\nbye"_s);
    }
};

QTEST_MAIN(FlowDetailPaneTest)
#include "flow_detail_pane_test.moc"
