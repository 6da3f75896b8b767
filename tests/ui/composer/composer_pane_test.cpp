// The composer pane, offscreen: fill it, send through the running engine to a local origin,
// see the response, the flow and the history.
#include "core/engine/engine.h"
#include "core/flow/flow_store.h"
#include "ui/composer/composer_dock.h"
#include "ui/composer/composer_pane.h"

#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMainWindow>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace Qt::StringLiterals;

namespace {

// An HTTP/1.1 origin that keeps each raw request and answers with its body echoed.
class EchoOrigin final : public QObject
{
public:
    EchoOrigin()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
            }
        });
    }
    QString url(const QString &path) const
    {
        return u"http://127.0.0.1:"_s + QString::number(m_server.serverPort()) + path;
    }
    QList<QByteArray> requests;

private:
    void onRead(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        qsizetype length = 0;
        for (const QByteArray &line : buf.left(end).split('\n'))
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        if (buf.size() < end + 4 + length)
            return;
        const QByteArray request = buf.left(end + 4 + length);
        buf.remove(0, request.size());
        requests.append(request);
        if (request.startsWith("GET /json ")) { // order and digits a parser would lose
            const QByteArray json = R"({"zeta":12345678901234567890,"alpha":1})";
            s->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + QByteArray::number(json.size()) + "\r\n\r\n" + json);
            return;
        }
        QByteArray body = "echo:";
        body += request.mid(end + 4);
        s->write("HTTP/1.1 201 Created\r\nX-Echo: yes\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace

class ComposerPaneTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    flow::FlowStore *m_store = nullptr;
    engine::Engine *m_engine = nullptr; // the running engine the composer sends through
    ui::ComposerPane *m_pane = nullptr;

    engine::EngineConfig config() const
    {
        engine::EngineConfig c;
        c.caDirectory = m_dir.filePath(u"ca"_s);
        c.listenHost = u"127.0.0.1"_s;
        c.listenPort = 0;
        c.workers = 1;
        return c;
    }

    template<typename T>
    T *child(const QString &name)
    {
        T *w = m_pane->findChild<T *>(name);
        if (!w)
            qFatal("no child %s", qPrintable(name));
        return w;
    }

    bool waitForResponse(QSignalSpy &spy, int count = 1)
    {
        for (int i = 0; i < 300 && spy.size() < count; ++i)
            spy.wait(50);
        return spy.size() >= count;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_store = new flow::FlowStore;
        m_engine = new engine::Engine(config(), *m_store);
        QVERIFY(m_engine->start().ok());
        m_pane = new ui::ComposerPane(m_engine, config());
        m_pane->resize(1000, 600);
        m_pane->show();
    }

    void cleanup()
    {
        delete m_pane;
        delete m_engine;
        delete m_store;
    }

    void sendsWhatTheFieldsSay()
    {
        EchoOrigin origin;
        child<QComboBox>(u"method"_s)->setCurrentText(u"POST"_s);
        child<QLineEdit>(u"url"_s)->setText(origin.url(u"/form?x=1"_s));
        m_pane->setBodyKind(ui::ComposerPane::BodyKind::Text);
        child<QPlainTextEdit>(u"bodyText"_s)->setPlainText(u"hello composer"_s);
        auto *headers = child<QTableWidget>(u"headers"_s);
        headers->setRowCount(1);
        headers->setItem(0, 0, new QTableWidgetItem(u"X-From"_s));
        headers->setItem(0, 1, new QTableWidgetItem(u"pane"_s));

        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        QTest::mouseClick(child<QPushButton>(u"send"_s), Qt::LeftButton);
        QVERIFY(waitForResponse(shown));
        const engine::ComposedResponse &r = m_pane->lastResponse();
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.status, 201);
        QVERIFY(child<QLabel>(u"status"_s)->text().contains(u"201 Created"_s));
        QVERIFY(child<QLabel>(u"timings"_s)->text().contains(u"complete"_s));
        QCOMPARE(child<QPlainTextEdit>(u"responseBody"_s)->toPlainText(), u"echo:hello composer"_s);
        QVERIFY(child<QTableWidget>(u"responseHeaders"_s)->rowCount() >= 2);

        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].startsWith("POST /form?x=1 HTTP/1.1\r\n"));
        QVERIFY(origin.requests[0].contains("\r\nX-From: pane\r\n"));

        // History: one entry with its status.
        QCOMPARE(m_pane->history().size(), std::size_t(1));
        QCOMPARE(m_pane->history()[0].status, 201);
        auto *history = child<QListWidget>(u"history"_s);
        QCOMPARE(history->count(), 1);
        QVERIFY(history->item(0)->text().contains(u"POST"_s));
        QVERIFY(history->item(0)->text().contains(u"201"_s));

        // Recorded by the engine like any flow.
        bool found = false;
        for (int i = 0; i < 100 && !found; ++i) {
            m_store->flush();
            for (std::size_t row = 0; row < m_store->size(); ++row)
                found = found
                        || (m_store->at(row).path == "/form?x=1" && m_store->at(row).status == 201);
            if (!found)
                QTest::qWait(50);
        }
        QVERIFY(found);
    }

    // Issue 17, defect 8: the URL field got 30-60 px; the request line now spans the pane.
    void urlFieldHasRoom()
    {
        QVERIFY(QTest::qWaitForWindowExposed(m_pane));
        QVERIFY2(child<QLineEdit>(u"url"_s)->width() >= m_pane->width() / 2,
                 qPrintable(QString::number(child<QLineEdit>(u"url"_s)->width())));
    }

    // Issue 17, defect 8: "Add" opens an editor on the new row's name.
    void addHeaderOpensAnEditor()
    {
        QVERIFY(QTest::qWaitForWindowExposed(m_pane));
        auto *headers = child<QTableWidget>(u"headers"_s);
        auto *add = child<QPushButton>(u"headersAdd"_s);
        add->click();
        QCOMPARE(headers->rowCount(), 1);
        // The item delegate's editor: a line edit on the viewport, shown.
        QTRY_VERIFY(headers->viewport()->findChild<QLineEdit *>()
                    && headers->viewport()->findChild<QLineEdit *>()->isVisible());
        QCOMPARE(headers->currentRow(), 0);
        QCOMPARE(headers->currentColumn(), 0);
    }

    // Issue 17, defect 8: a URL without a scheme is sent as http://.
    void urlWithoutSchemeGetsHttp()
    {
        child<QLineEdit>(u"url"_s)->setText(u"example.com/path"_s);
        QCOMPARE(m_pane->request().url, u"http://example.com/path"_s);
        child<QLineEdit>(u"url"_s)->setText(u"  https://example.com/"_s);
        QCOMPARE(m_pane->request().url, u"https://example.com/"_s);
    }

    // Issue 17, defect 8: a JSON response is shown pretty (order and digits kept); loading
    // another request clears the response that belonged to the previous one.
    void prettyResponseClearedByTheNextRequest()
    {
        EchoOrigin origin;
        child<QLineEdit>(u"url"_s)->setText(origin.url(u"/json"_s));
        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        QTest::mouseClick(child<QPushButton>(u"send"_s), Qt::LeftButton);
        QVERIFY(waitForResponse(shown));
        QVERIFY2(m_pane->lastResponse().ok(), qPrintable(m_pane->lastResponse().error));
        QCOMPARE(child<QPlainTextEdit>(u"responseBody"_s)->toPlainText(),
                 u"{\n  \"zeta\": 12345678901234567890,\n  \"alpha\": 1\n}\n"_s);

        engine::ComposedRequest next;
        next.method = u"GET"_s;
        next.url = origin.url(u"/other"_s);
        m_pane->setRequest(next);
        QCOMPARE(child<QPlainTextEdit>(u"responseBody"_s)->toPlainText(), QString());
        QCOMPARE(child<QTableWidget>(u"responseHeaders"_s)->rowCount(), 0);
        QCOMPARE(child<QLabel>(u"status"_s)->text(), u"Nothing sent yet."_s);
        QCOMPARE(child<QLabel>(u"timings"_s)->text(), QString());
    }

    // Issue 17, defect 8: history rows were cut; the whole request is in the tooltip.
    void historyRowShowsTheWholeUrl()
    {
        EchoOrigin origin;
        const QString url = origin.url(u"/"_s + QString(200, u'p'));
        child<QLineEdit>(u"url"_s)->setText(url);
        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        QTest::mouseClick(child<QPushButton>(u"send"_s), Qt::LeftButton);
        QVERIFY(waitForResponse(shown));
        auto *history = child<QListWidget>(u"history"_s);
        QCOMPARE(history->count(), 1);
        QVERIFY2(history->item(0)->toolTip().contains(url),
                 qPrintable(history->item(0)->toolTip()));
        QCOMPARE(history->textElideMode(), Qt::ElideMiddle);
    }

    void formBodyAndHttp2()
    {
        EchoOrigin origin;
        child<QComboBox>(u"method"_s)->setCurrentText(u"POST"_s);
        child<QLineEdit>(u"url"_s)->setText(origin.url(u"/f"_s));
        child<QComboBox>(u"version"_s)->setCurrentIndex(1);
        m_pane->setBodyKind(ui::ComposerPane::BodyKind::Form);
        m_pane->setFormFields({{u"a b"_s, u"1&2"_s}, {u"c"_s, u"ü"_s}});
        QCOMPARE(m_pane->request().body, "a%20b=1%262&c=%C3%BC"_ba);
        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        m_pane->send();
        QVERIFY(waitForResponse(shown));
        QVERIFY2(m_pane->lastResponse().ok(), qPrintable(m_pane->lastResponse().error));
        QCOMPARE(m_pane->lastResponse().protocol, u"HTTP/2"_s);
        QCOMPARE(m_pane->lastResponse().body, "echo:a%20b=1%262&c=%C3%BC"_ba);
        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].toLower().contains(
            "\r\ncontent-type: application/x-www-form-urlencoded\r\n"));
    }

    void sendNTimes()
    {
        EchoOrigin origin;
        child<QLineEdit>(u"url"_s)->setText(origin.url(u"/n"_s));
        QSignalSpy batch(m_pane, &ui::ComposerPane::batchFinished);
        m_pane->sendMany(5, 2);
        QVERIFY(batch.wait(20'000));
        QCOMPARE(batch.at(0).at(0).toInt(), 5);
        QCOMPARE(batch.at(0).at(1).toInt(), 0);
        QCOMPARE(origin.requests.size(), 5);
        QCOMPARE(m_pane->history().size(), std::size_t(1));
        QVERIFY(child<QLabel>(u"status"_s)->text().contains(u"5 answered"_s));
    }

    void editAndReplayAFlow()
    {
        EchoOrigin origin;
        const QString url = origin.url(u"/captured?q=%20"_s);
        const auto split = engine::splitUrl(url);
        QVERIFY(split.ok());
        flow::Flow f;
        f.method = "PUT";
        f.scheme = "http";
        f.host = "127.0.0.1";
        f.port = split->port;
        f.path = "/captured?q=%20";
        f.requestHeaders = {{"Host", "127.0.0.1"}, {"Connection", "keep-alive, X-Hop"},
                            {"X-Hop", "1"},        {"Proxy-Authorization", "Basic eA=="},
                            {"X-Keep", "kept"},    {"Content-Length", "4"}};
        f.requestBody = std::make_shared<flow::Body>(m_store->budget());
        f.requestBody->append(std::string("\x01\xff\x00z", 4));

        m_pane->editFlow(f);
        const engine::ComposedRequest r = m_pane->request();
        QCOMPARE(r.method, u"PUT"_s);
        QCOMPARE(r.url, url);
        QCOMPARE(r.headers, (engine::ComposedHeaders{{u"X-Keep"_s, u"kept"_s},
                                                     {u"Content-Length"_s, u"4"_s}}));
        QCOMPARE(r.body, QByteArray("\x01\xff\x00z", 4)); // raw bytes while unedited
        QVERIFY(!r.http2);

        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        m_pane->replayFlow(f);
        QVERIFY(waitForResponse(shown));
        QVERIFY2(m_pane->lastResponse().ok(), qPrintable(m_pane->lastResponse().error));
        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].startsWith("PUT /captured?q=%20 HTTP/1.1\r\n"));
        QVERIFY(origin.requests[0].endsWith(QByteArray("\r\n\r\n\x01\xff\x00z", 8)));
        QVERIFY(!origin.requests[0].contains("X-Hop"));
        QVERIFY(!origin.requests[0].contains("Proxy-Authorization"));
    }

    void historySurvivesASession()
    {
        engine::ComposedRequest a;
        a.method = u"DELETE"_s;
        a.url = u"https://example.test/x"_s;
        a.headers = {{u"A"_s, u"1"_s}};
        a.body = QByteArray("\0bin", 4);
        a.http2 = true;
        // Blobs that are not a history are refused; the fields keep a request as it is.
        ui::ComposerPane other(m_engine, config());
        QVERIFY(!other.loadHistory("not json"));
        QVERIFY(!other.loadHistory(R"({"composerHistory":99,"entries":[]})"));
        m_pane->setRequest(a);
        QCOMPARE(m_pane->request(), a);
        const QByteArray empty = m_pane->saveHistory();
        QVERIFY(other.loadHistory(empty));
        QCOMPARE(other.history().size(), std::size_t(0));

        EchoOrigin origin;
        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        engine::ComposedRequest b;
        b.url = origin.url(u"/one"_s);
        m_pane->setRequest(b);
        m_pane->send();
        QVERIFY(waitForResponse(shown));
        a.url = origin.url(u"/two"_s);
        a.http2 = false;
        m_pane->setRequest(a);
        m_pane->send();
        QVERIFY(waitForResponse(shown, 2));
        QCOMPARE(m_pane->history().size(), std::size_t(2));

        QVERIFY(other.loadHistory(m_pane->saveHistory()));
        QCOMPARE(other.history().size(), std::size_t(2));
        QCOMPARE(other.history()[0].request, b);
        QCOMPARE(other.history()[1].request, a);
        QCOMPARE(other.history()[1].status, 201);
        auto *list = other.findChild<QListWidget *>(u"history"_s);
        QCOMPARE(list->count(), 2);
        QVERIFY(list->item(0)->text().contains(u"/two"_s)); // newest first
        // Choosing an entry puts it back in the fields.
        emit list->itemActivated(list->item(1));
        QCOMPARE(other.request().url, b.url);
    }

    void badChainIsShownNotSent()
    {
        child<QLineEdit>(u"url"_s)->setText(u"http://127.0.0.1:9/"_s);
        m_pane->setChain(ui::ComposerPane::ChainChoice::Custom, {u"gopher://x:1"_s});
        m_pane->send();
        QVERIFY(child<QLabel>(u"status"_s)->text().contains(u"Chain"_s));
        QCOMPARE(m_pane->history().size(), std::size_t(0));
        QVERIFY(!m_pane->busy());
    }

    void failingHopIsNamed()
    {
        // A hop nobody listens on: the engine answers 502 naming it.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const QString hop = u"http://127.0.0.1:"_s + QString::number(probe.serverPort());
        probe.close();
        EchoOrigin origin;
        child<QLineEdit>(u"url"_s)->setText(origin.url(u"/"_s));
        m_pane->setChain(ui::ComposerPane::ChainChoice::Custom, {hop});
        QSignalSpy shown(m_pane, &ui::ComposerPane::responseShown);
        m_pane->send();
        QVERIFY(waitForResponse(shown));
        QCOMPARE(m_pane->lastResponse().status, 502);
        QVERIFY(m_pane->lastResponse().fromProxy());
        QVERIFY2(child<QLabel>(u"status"_s)->text().contains(hop.mid(7)),
                 qPrintable(child<QLabel>(u"status"_s)->text()));
        QCOMPARE(origin.requests.size(), 0);
    }

    void dockInAWindow()
    {
        QMainWindow window;
        ui::ComposerPane *pane = ui::addComposerDock(window, *m_engine, config());
        QVERIFY(pane);
        QDockWidget *dock = ui::composerDock(window);
        QVERIFY(dock);
        QCOMPARE(dock->widget(), pane);
        QCOMPARE(window.dockWidgetArea(dock), Qt::BottomDockWidgetArea);
    }
};

QTEST_MAIN(ComposerPaneTest)
#include "composer_pane_test.moc"
