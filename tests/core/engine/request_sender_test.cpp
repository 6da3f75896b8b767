// RequestSender through a real Engine (Engine::send: a client connection inside the engine, no
// listener used) on loopback, and a tiny origin that records the raw bytes it receives.
#include "core/engine/engine.h"
#include "core/engine/request_sender.h"
#include "core/flow/flow_store.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <set>

using namespace ts;
using namespace ts::engine;
using namespace Qt::StringLiterals;

namespace {

// An HTTP/1.1 origin on 127.0.0.1: reads one request per connection (Content-Length bodies),
// keeps its raw bytes, answers 200 with "<method> <target> <body>" and closes.
class TinyOrigin final : public QObject
{
public:
    TinyOrigin()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path) const
    {
        return u"http://127.0.0.1:"_s + QString::number(port()) + path;
    }
    QList<QByteArray> requests; // raw, head and body
    QByteArray answer;          // the whole response to send instead of the echo, when set

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
        const QList<QByteArray> words = request.left(request.indexOf("\r\n")).split(' ');
        QByteArray body = words.value(0);
        body += ' ' + words.value(1) + ' ' + request.mid(end + 4);
        if (!answer.isEmpty()) {
            s->write(answer);
            return;
        }
        s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Origin: tiny\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

EngineConfig testConfig(const QTemporaryDir &dir)
{
    EngineConfig c;
    c.listenHost = u"127.0.0.1"_s;
    c.listenPort = 0;
    c.workers = 1;
    c.caDirectory = dir.filePath(u"ca"_s);
    return c;
}

} // namespace

class RequestSenderTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    flow::FlowStore *m_store = nullptr;
    Engine *m_engine = nullptr;

    ComposedResponse sendOne(const ComposedRequest &request, ComposeOptions options = {})
    {
        RequestSender sender;
        sender.setEngine(m_engine);
        options.timeoutMs = 10'000;
        sender.setOptions(options);
        QSignalSpy spy(&sender, &RequestSender::finished);
        sender.send(request);
        if (!spy.wait(15'000)) {
            ComposedResponse none;
            none.error = u"no answer in the test's time"_s;
            return none;
        }
        return spy.at(0).at(1).value<ComposedResponse>();
    }

    // The finished flow whose client address is `address`, or null after 5 s.
    const flow::Flow *flowFrom(const QString &address)
    {
        for (int waited = 0; waited < 5000; waited += 20) {
            m_store->flush();
            for (std::size_t i = 0; i < m_store->size(); ++i) {
                const flow::Flow &f = m_store->at(i);
                if (QString::fromStdString(f.clientAddress) == address
                    && f.state != flow::FlowState::Open)
                    return &f;
            }
            QTest::qWait(20);
        }
        return nullptr;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_store = new flow::FlowStore(this);
        m_engine = new Engine(testConfig(m_dir), *m_store, this);
        const auto started = m_engine->start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.error().message.c_str());
    }

    void cleanup()
    {
        delete m_engine;
        delete m_store;
    }

    void splitsUrlsWithoutReencoding()
    {
        auto u = splitUrl(u"http://Example.com:8080/a%2Fb?q=%20x#frag"_s);
        QVERIFY(u.ok());
        QCOMPARE(u->scheme, u"http"_s);
        QCOMPARE(u->host, u"example.com"_s);
        QCOMPARE(u->port, quint16(8080));
        QCOMPARE(u->path, u"/a%2Fb?q=%20x"_s);
        auto v = splitUrl(u"https://[::1]?x"_s);
        QVERIFY(v.ok());
        QCOMPARE(v->host, u"::1"_s);
        QCOMPARE(v->port, quint16(443));
        QCOMPARE(v->path, u"/?x"_s);
        QVERIFY(!splitUrl(u"ftp://x/"_s).ok());
        QVERIFY(!splitUrl(u"example.com/"_s).ok());
        QVERIFY(!splitUrl(u"http://:80/"_s).ok());
        QVERIFY(!splitUrl(u"http://h:99999/"_s).ok());
    }

    void getThroughTheEngine()
    {
        TinyOrigin origin;
        ComposedRequest request;
        request.url = origin.url(u"/hello?x=1"_s);
        request.headers = {{u"X-Test"_s, u"one"_s}, {u"Connection"_s, u"close"_s}};
        const ComposedResponse r = sendOne(request);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.reason, u"OK"_s);
        QCOMPARE(r.protocol, u"HTTP/1.1"_s);
        QCOMPARE(r.body, "GET /hello?x=1 "_ba);
        QVERIFY(r.headers.contains({u"X-Origin"_s, u"tiny"_s}));
        QVERIFY(!r.fromProxy());
        QVERIFY(r.timings.connect >= 0);
        QVERIFY(r.timings.firstByte >= r.timings.connect);
        QVERIFY(r.timings.complete >= r.timings.firstByte);
        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].startsWith("GET /hello?x=1 HTTP/1.1\r\n"));
        QVERIFY(origin.requests[0].contains("\r\nX-Test: one\r\n"));

        const flow::Flow *f = flowFrom(r.clientAddress);
        QVERIFY(f);
        QCOMPARE(f->method, std::string("GET"));
        QCOMPARE(f->path, std::string("/hello?x=1"));
        QCOMPARE(f->status, 200);
        QCOMPARE(f->clientProtocol, std::string("HTTP/1.1"));
        // A client connection of the engine's own, named as the composer's.
        QVERIFY2(r.clientAddress.startsWith(u"composer #"_s), qPrintable(r.clientAddress));
        QVERIFY(m_store->connection(f->clientConnection));
        QCOMPARE(m_store->connection(f->clientConnection)->clientAddress, f->clientAddress);
    }

    // Composed requests take their ids from the store's one source: they never replace a
    // flow the proxy recorded (they did, when the composer had an engine of its own).
    void composedFlowsNeverReplaceCapturedOnes()
    {
        TinyOrigin origin;
        flow::Flow captured;
        captured.id = m_store->ids()->newFlowId();
        captured.host = "captured.example";
        m_store->publish(captured);
        m_store->flush();
        for (int i = 0; i < 3; ++i) {
            ComposedRequest request;
            request.url = origin.url(u"/n"_s + QString::number(i));
            QVERIFY(sendOne(request).ok());
        }
        QTRY_COMPARE(m_store->size(), std::size_t(4));
        QCOMPARE(m_store->at(0).host, std::string("captured.example"));
        std::set<flow::FlowId> ids;
        for (std::size_t i = 0; i < m_store->size(); ++i)
            ids.insert(m_store->at(i).id);
        QCOMPARE(ids.size(), std::size_t(4));
    }

    void postWithBody()
    {
        TinyOrigin origin;
        ComposedRequest request;
        request.method = u"POST"_s;
        request.url = origin.url(u"/submit"_s);
        request.headers = {{u"Content-Type"_s, u"application/x-www-form-urlencoded"_s},
                           {u"Content-Length"_s, u"999"_s}}; // recomputed from the body
        request.body = "a=1&b=two";
        const ComposedResponse r = sendOne(request);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, "POST /submit a=1&b=two"_ba);
        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].contains("\r\nContent-Length: 9\r\n"));
        QVERIFY(origin.requests[0].endsWith("\r\n\r\na=1&b=two"));
        const flow::Flow *f = flowFrom(r.clientAddress);
        QVERIFY(f);
        QVERIFY(f->requestBody);
        QCOMPARE(f->requestBody->read(), std::string("a=1&b=two"));
    }

    void http2WithPriorKnowledge()
    {
        TinyOrigin origin;
        ComposedRequest request;
        request.method = u"PUT"_s;
        request.url = origin.url(u"/h2?y=2"_s);
        request.headers = {{u"X-Test"_s, u"h2"_s}, {u"Host"_s, u"ignored"_s}};
        request.body = "payload";
        request.http2 = true;
        const ComposedResponse r = sendOne(request);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.protocol, u"HTTP/2"_s);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, "PUT /h2?y=2 payload"_ba);
        QVERIFY(r.headers.contains({u"x-origin"_s, u"tiny"_s}));
        QCOMPARE(origin.requests.size(), 1);
        QVERIFY(origin.requests[0].contains("\r\nx-test: h2\r\n")
                || origin.requests[0].contains("\r\nX-Test: h2\r\n"));

        const flow::Flow *f = flowFrom(r.clientAddress);
        QVERIFY(f);
        QCOMPARE(f->clientProtocol, std::string("HTTP/2"));
        QCOMPARE(f->method, std::string("PUT"));
        QVERIFY(f->clientStream != 0);
        QCOMPARE(f->status, 200);
    }

    void sendManyKeepsToTheConcurrency()
    {
        TinyOrigin origin;
        RequestSender sender;
        sender.setEngine(m_engine);
        QSignalSpy done(&sender, &RequestSender::finished);
        QSignalSpy idle(&sender, &RequestSender::idle);
        ComposedRequest request;
        request.url = origin.url(u"/many"_s);
        const int first = sender.sendMany(request, 7, 3);
        QVERIFY(sender.pending() == 7);
        QVERIFY(idle.wait(15'000));
        QCOMPARE(done.size(), 7);
        QSet<int> ids;
        for (const auto &args : done) {
            ids.insert(args.at(0).toInt());
            const auto r = args.at(1).value<ComposedResponse>();
            QVERIFY2(r.ok(), qPrintable(r.error));
            QCOMPARE(r.status, 200);
        }
        QCOMPARE(ids.size(), 7);
        QVERIFY(ids.contains(first) && ids.contains(first + 6));
        QCOMPARE(origin.requests.size(), 7);
    }

    void unreachableOriginIsTheProxysAnswer()
    {
        // A port nobody listens on: the engine answers 502 and says why.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 dead = probe.serverPort();
        probe.close();
        ComposedRequest request;
        request.url = u"http://127.0.0.1:"_s + QString::number(dead) + u"/x"_s;
        const ComposedResponse r = sendOne(request);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.status, 502);
        QVERIFY(r.fromProxy());
        QVERIFY(r.headers.contains({u"X-Tunnelscope-Error"_s, u"1"_s}));
        QVERIFY2(r.proxyError().contains(QString::number(dead)), r.body.constData());
    }

    // Only the proxy's own answers count as the proxy's: an origin's 502 that reads like one,
    // and even carries the field, is the origin's (the proxy drops the field from servers).
    void originErrorThatLooksLikeTheProxysIsTheOrigins()
    {
        TinyOrigin origin;
        const QByteArray body = "502 Bad Gateway\n\nTunnelscope: not me\n"_ba;
        origin.answer = "HTTP/1.1 502 Bad Gateway\r\nX-Tunnelscope-Error: 1\r\nContent-Length: "_ba
                        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        ComposedRequest request;
        request.url = origin.url(u"/x"_s);
        const ComposedResponse r = sendOne(request);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.status, 502);
        QCOMPARE(r.body, body);
        QVERIFY(!r.fromProxy());
        QVERIFY(r.proxyError().isEmpty());
        for (const auto &[name, value] : r.headers)
            QVERIFY2(name.compare(u"X-Tunnelscope-Error"_s, Qt::CaseInsensitive) != 0,
                     qPrintable(name));
    }

    void noEngineIsAnError()
    {
        m_engine->stop();
        RequestSender sender;
        sender.setEngine(m_engine);
        QSignalSpy spy(&sender, &RequestSender::finished);
        ComposedRequest request;
        request.url = u"http://127.0.0.1:9/"_s;
        sender.send(request);
        QVERIFY(spy.wait(10'000));
        const auto r = spy.at(0).at(1).value<ComposedResponse>();
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(u"engine"_s), qPrintable(r.error));
    }

    void badUrlIsAnError()
    {
        ComposedRequest request;
        request.url = u"gopher://x/"_s;
        const ComposedResponse r = sendOne(request);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(u"gopher"_s), qPrintable(r.error));
    }

    void customChainThroughAnotherEngine()
    {
        // A second engine plays the upstream proxy (CONNECT); the composed request goes
        // through it to the origin, and its flow names the hop.
        TinyOrigin origin;
        flow::FlowStore hopStore;
        QTemporaryDir hopDir;
        Engine hop(testConfig(hopDir), hopStore);
        QVERIFY(hop.start().ok());
        auto chain = upstream::ChainSpec::parse("http://" + hop.listenAddress().toStdString());
        QVERIFY(chain.ok());
        ComposeOptions options;
        options.upstream = upstream::ChainRules{};
        options.upstream->setDefaultChain(*chain);
        ComposedRequest request;
        request.url = origin.url(u"/chained"_s);
        const ComposedResponse r = sendOne(request, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.body, "GET /chained "_ba);
        const flow::Flow *f = flowFrom(r.clientAddress);
        QVERIFY(f);
        QVERIFY2(QString::fromStdString(f->upstream).contains(hop.listenAddress()),
                 f->upstream.c_str());
        hop.stop();
    }

    // Engine::setUpstream (the settings dialog's hook) changes the chain of connections opened
    // from then on: direct, then through a second engine (forwarded to it: its flow is the
    // exchange itself), then direct again.
    void upstreamChangesApplyToNewConnections()
    {
        TinyOrigin origin;
        flow::FlowStore hopStore;
        QTemporaryDir hopDir;
        Engine hop(testConfig(hopDir), hopStore);
        QVERIFY(hop.start().ok());
        flow::FlowStore mainStore;
        QTemporaryDir mainDir;
        Engine main(testConfig(mainDir), mainStore);
        QVERIFY(main.start().ok());
        auto send = [&](const QString &path) {
            RequestSender sender;
            sender.setEngine(&main); // no chain of its own: the engine's, as they are
            QSignalSpy spy(&sender, &RequestSender::finished);
            ComposedRequest request;
            request.url = origin.url(path);
            sender.send(request);
            ComposedResponse r;
            if (spy.wait(15'000))
                r = spy.at(0).at(1).value<ComposedResponse>();
            else
                r.error = u"no answer"_s;
            return r;
        };
        auto hopPaths = [&] {
            QStringList paths;
            hopStore.flush();
            for (std::size_t i = 0; i < hopStore.size(); ++i)
                paths << QString::fromStdString(hopStore.at(i).path);
            return paths;
        };

        QCOMPARE(send(u"/one"_s).status, 200);
        auto rules = upstream::ChainRules::parseText("http://" + hop.listenAddress().toStdString());
        QVERIFY(rules.ok());
        main.setUpstream(*rules);
        QCOMPARE(main.upstream()->defaultChain(), rules->defaultChain());
        const ComposedResponse through = send(u"/two"_s);
        QCOMPARE(through.status, 200);
        QCOMPARE(through.body, "GET /two "_ba);
        main.setUpstream(upstream::ChainRules{});
        QCOMPARE(send(u"/three"_s).status, 200);
        QTRY_COMPARE(hopPaths(), QStringList{u"/two"_s});
        QCOMPARE(origin.requests.size(), 3);
        main.stop();
        hop.stop();
    }
};

QTEST_GUILESS_MAIN(RequestSenderTest)
#include "request_sender_test.moc"
