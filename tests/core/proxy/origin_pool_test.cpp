// OriginPool as a transcript: origins are in-memory TLS servers (h2 through H2Connection, or
// HTTP/1.1 bytes), the pool's users are channels named by the test. No socket, no thread.
#include "core/http2/h2_connection.h"
#include "core/proxy/host_patterns.h"
#include "core/proxy/origin_pool.h"
#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"

#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace ts;
using namespace ts::proxy;

namespace {

struct Origin
{
    std::unique_ptr<tls::TlsSession> tls;
    std::unique_ptr<http2::H2Connection> h2; // once ALPN chose h2
    std::string plain;                       // HTTP/1.1 bytes received
    std::vector<http2::H2Event> events;
    bool closed = false;
};

struct World
{
    QTemporaryDir dir;
    std::shared_ptr<InterceptConfig> config = std::make_shared<InterceptConfig>();
    std::shared_ptr<tls::TlsContext> originContext;
    std::shared_ptr<const tls::LeafCertificate> leaf;
    std::vector<std::string> alpn;
    std::unique_ptr<OriginPool> pool;
    std::vector<Command> out;
    std::map<ServerId, Origin> origins;
    int opened = 0;
    std::map<ServerId, std::string> response; // HTTP/1.1 bytes per channel
    std::map<ServerId, ServerConnected> connected;
    std::map<ServerId, ServerConnectFailed> failed;
    std::map<ServerId, std::string> gone;
    std::set<ServerId> eof;
    std::vector<flow::Connection> records;

    explicit World(std::vector<std::string> originAlpn, std::string name = "origin.test")
        : alpn(std::move(originAlpn))
    {
        auto ca = tls::CertificateAuthority::openOrCreate(
            dir.filePath(QStringLiteral("ca")).toStdString());
        if (!ca.ok())
            qFatal("CA: %s", ca.error().message.c_str());
        config->ca = std::move(*ca);
        config->toServers
            = *tls::TlsContext::client({{config->ca->directory() + "/ca.pem"}, nullptr});
        config->insecure = std::make_shared<HostPatterns>();
        originContext = *tls::TlsContext::server({});
        leaf = *config->ca->leafFor({name});
        SessionContext c;
        c.connectionId = 7;
        c.intercept = config;
        pool = std::make_unique<OriginPool>(c);
    }

    // Carries out the pool's commands against the origins until nothing moves.
    void run()
    {
        for (int round = 0; round < 100 && !out.empty(); ++round) {
            std::vector<Command> commands;
            commands.swap(out);
            for (Command &cmd : commands) {
                if (auto *o = std::get_if<OpenServer>(&cmd)) {
                    QVERIFY(!o->tls); // the pool's own TLS: not to be secured again
                    ++opened;
                    Origin &origin = origins[o->id];
                    origin.tls
                        = std::move(*tls::TlsSession::server(originContext, {leaf, alpn}, 0));
                    pool->serverEvent(ServerConnected{o->id, "127.0.0.1:443"}, 0, out);
                } else if (auto *s = std::get_if<SendToServer>(&cmd)) {
                    Origin &origin = origins.at(s->id);
                    std::string plain;
                    origin.tls->receive(s->data, plain, 0);
                    if (!origin.h2 && origin.tls->handshakeDone()
                        && origin.tls->details().alpn == "h2")
                        origin.h2 = std::move(*http2::H2Connection::create(
                            http2::H2Connection::Role::Server, {}, nullptr, 0));
                    if (origin.h2)
                        origin.h2->receive(plain, 0, origin.events);
                    else
                        origin.plain += plain;
                    flushOrigin(s->id);
                } else if (auto *c = std::get_if<CloseServer>(&cmd)) {
                    origins.at(c->id).closed = true;
                } else if (auto *p = std::get_if<PublishConnection>(&cmd)) {
                    records.push_back(p->connection);
                }
            }
            take();
        }
        take();
    }

    void flushOrigin(ServerId id)
    {
        Origin &origin = origins.at(id);
        if (origin.closed)
            return;
        if (origin.h2) {
            const std::string frames = origin.h2->takeOutput(0);
            if (!frames.empty())
                origin.tls->send(frames);
        }
        if (origin.tls->hasCiphertext())
            pool->serverEvent(ServerData{id, origin.tls->takeCiphertext()}, 0, out);
    }

    void take()
    {
        for (OriginPool::Delivery &d : pool->takeDeliveries()) {
            if (auto *c = std::get_if<ServerConnected>(&d.event))
                connected[d.channel] = *c;
            else if (auto *f = std::get_if<ServerConnectFailed>(&d.event))
                failed[d.channel] = *f;
            else if (std::get_if<ServerData>(&d.event))
                response[d.channel] += d.data;
            else if (std::get_if<ServerResponse>(&d.event))
                render(d.channel, d.part);
            else if (auto *g = std::get_if<ServerGone>(&d.event))
                gone[d.channel] = g->reason;
            else if (std::get_if<ServerEof>(&d.event))
                eof.insert(d.channel);
        }
    }

    // A stream's response parts, written down as ":status N", its fields, a blank line, then
    // the body; the end counts as the channel's EOF.
    void render(ServerId channel, const http::ResponsePart &part)
    {
        std::string &r = response[channel];
        if (const auto *start = std::get_if<http::ResponseStart>(&part)) {
            r += ":status " + std::to_string(start->response.status) + "\n";
            for (const http::Field &f : start->response.fields)
                r += f.name + ": " + f.value + "\n";
            r += "\n";
        } else if (const auto *body = std::get_if<http::Body>(&part)) {
            r += body->data;
        } else {
            eof.insert(channel);
        }
    }

    void request(ServerId channel, const std::string &path)
    {
        if (connected[channel].messages)
            pool->sendPart(channel,
                           http::RequestStart{{"GET", "https", "origin.test", path, "", {}}, true},
                           0, out);
        else
            pool->send(channel, "GET " + path + " HTTP/1.1\r\nHost: origin.test\r\n\r\n", 0, out);
        run();
    }

    // Channels 1 and 2 share an h2 origin and have sent GET /a and GET /b: its real id.
    ServerId twoRequests()
    {
        for (ServerId ch : {1u, 2u})
            pool->open(ch, "origin.test", 443, 0, out);
        run();
        request(1, "/a");
        request(2, "/b");
        return origins.begin()->first;
    }

    // The origin answers stream `stream` of connection `id` with `body`.
    void respond(ServerId id, http2::StreamId stream, const std::string &body)
    {
        Origin &origin = origins.at(id);
        QVERIFY(origin.h2
                    ->submitResponse(
                        stream,
                        {{":status", "200"}, {"content-length", std::to_string(body.size())}},
                        false)
                    .ok());
        origin.h2->submitData(stream, body);
        origin.h2->endStream(stream);
        flushOrigin(id);
        run();
    }

    std::vector<std::pair<http2::StreamId, std::string>> requests(ServerId id)
    {
        std::vector<std::pair<http2::StreamId, std::string>> paths;
        for (const http2::H2Event &e : origins.at(id).events)
            if (const auto *h = std::get_if<http2::HeadersReceived>(&e))
                for (const auto &[n, v] : h->fields)
                    if (n == ":path")
                        paths.emplace_back(h->stream, v);
        return paths;
    }
};

} // namespace

class OriginPoolTest : public QObject
{
    Q_OBJECT

private slots:
    // Three streams ask for the same origin at once: one connection, one handshake, and each
    // gets a stream of its own on it, with its own answer.
    void h2OriginIsSharedByConcurrentChannels()
    {
        World w({"h2", "http/1.1"});
        for (ServerId ch : {1u, 2u, 3u})
            w.pool->open(ch, "origin.test", 443, 0, w.out);
        w.run();
        QCOMPARE(w.opened, 1);
        QCOMPARE(int(w.connected.size()), 3);
        QVERIFY(!w.connected[1].reused);
        QVERIFY(w.connected[2].reused && w.connected[3].reused);
        QVERIFY(w.connected[1].tls);
        QCOMPARE(w.connected[1].tls->alpn, std::string("h2"));
        QCOMPARE(int(w.records.size()), 1);
        QCOMPARE(w.records[0].protocol, std::string("HTTP/2"));
        QCOMPARE(w.records[0].parent, flow::ConnectionId(7));

        for (ServerId ch : {1u, 2u, 3u})
            w.request(ch, "/" + std::to_string(ch));
        const ServerId conn = w.origins.begin()->first;
        const auto reqs = w.requests(conn);
        QCOMPARE(int(reqs.size()), 3);
        for (const auto &[stream, path] : reqs)
            w.respond(conn, stream, "body of " + path);
        for (ServerId ch : {1u, 2u, 3u}) {
            QVERIFY(w.connected[ch].messages); // a stream: parts, not HTTP/1.1 text
            const std::string &r = w.response[ch];
            QVERIFY2(r.rfind(":status 200\n", 0) == 0, r.c_str());
            // The origin's fields as it sent them, its content-length among them.
            QVERIFY2(r.find("content-length: "
                            + std::to_string(("body of /" + std::to_string(ch)).size()) + "\n")
                         != std::string::npos,
                     r.c_str());
            QVERIFY2(r.find("body of /" + std::to_string(ch)) != std::string::npos, r.c_str());
            const auto use = w.pool->use(ch);
            QVERIFY(use);
            QCOMPARE(use->connection, w.records[0].id);
        }
        QVERIFY(w.pool->use(1)->stream != w.pool->use(2)->stream);

        // Released streams leave the connection open for the next one.
        for (ServerId ch : {1u, 2u, 3u})
            w.pool->release(ch, 0, w.out);
        w.run();
        w.pool->open(4, "origin.test", 443, 0, w.out);
        w.run();
        QCOMPARE(w.opened, 1);
        QVERIFY(w.connected[4].reused);
        QVERIFY(!w.origins.at(conn).closed);
    }

    // The origin resets one stream: that channel alone fails.
    void streamResetFailsOnlyItsChannel()
    {
        World w({"h2"});
        const ServerId conn = w.twoRequests();
        const auto reqs = w.requests(conn);
        QCOMPARE(int(reqs.size()), 2);
        w.origins.at(conn).h2->resetStream(reqs[0].first, 0x2);
        w.flushOrigin(conn);
        w.run();
        w.respond(conn, reqs[1].first, "fine");
        QVERIFY(w.gone.count(1));
        QVERIFY2(w.gone[1].find("INTERNAL_ERROR") != std::string::npos, w.gone[1].c_str());
        QVERIFY(!w.gone.count(2));
        QVERIFY(w.response[2].find("fine") != std::string::npos);
        QVERIFY(!w.origins.at(conn).closed);
    }

    // A paused channel's answer waits (its DATA is not acknowledged); its sibling's does not.
    void pausedChannelHoldsOnlyItsOwnStream()
    {
        World w({"h2"});
        const ServerId conn = w.twoRequests();
        const auto reqs = w.requests(conn);
        w.pool->pause(1, true, 0, w.out);
        w.run();
        w.respond(conn, reqs[0].first, std::string(1000, 'a'));
        w.respond(conn, reqs[1].first, std::string(1000, 'b'));
        QVERIFY(w.response[1].empty());
        QVERIFY(w.response[2].find(std::string(1000, 'b')) != std::string::npos);
        w.pool->pause(1, false, 0, w.out);
        w.run();
        w.take();
        QVERIFY(w.response[1].find(std::string(1000, 'a')) != std::string::npos);
    }

    // A WebSocket request on a channel goes as extended CONNECT (RFC 8441), without the
    // HTTP/1.1 handshake key; the origin's 200 accepts it, bytes are Body parts both ways, and
    // the half-closes are END_STREAM.
    void webSocketChannelIsExtendedConnect()
    {
        World w({"h2"});
        w.pool->open(1, "origin.test", 443, 0, w.out);
        w.run();
        QVERIFY(w.connected[1].messages);
        w.pool->sendPart(1,
                         http::RequestStart{{"GET",
                                             "https",
                                             "origin.test",
                                             "/chat",
                                             "websocket",
                                             {{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                              {"Sec-WebSocket-Version", "13"}}},
                                            false},
                         0, w.out);
        w.run();
        const ServerId conn = w.origins.begin()->first;
        Origin &origin = w.origins.at(conn);
        http2::StreamId stream = 0;
        for (const http2::H2Event &e : origin.events)
            if (const auto *h = std::get_if<http2::HeadersReceived>(&e)) {
                stream = h->stream;
                QVERIFY(std::count(h->fields.begin(), h->fields.end(),
                                   std::pair<std::string, std::string>{":protocol", "websocket"}));
                QVERIFY(std::count(h->fields.begin(), h->fields.end(),
                                   std::pair<std::string, std::string>{":method", "CONNECT"}));
                for (const auto &[name, value] : h->fields)
                    QVERIFY(name != "sec-websocket-key");
            }
        QVERIFY(stream);
        QVERIFY(origin.h2->submitResponse(stream, {{":status", "200"}}, false).ok());
        w.flushOrigin(conn);
        w.run();
        QCOMPARE(w.response[1], std::string(":status 200\n\n"));
        w.response[1].clear();

        w.pool->send(1, "hello", 0, w.out);
        w.run();
        std::string got;
        for (const http2::H2Event &e : origin.events)
            if (const auto *d = std::get_if<http2::DataReceived>(&e))
                got += d->data;
        QCOMPARE(got, std::string("hello"));
        origin.h2->submitData(stream, "world");
        origin.h2->endStream(stream);
        w.flushOrigin(conn);
        w.run();
        QCOMPARE(w.response[1], std::string("world"));
        QVERIFY(w.eof.count(1));
        QVERIFY(!w.gone.count(1));

        origin.events.clear();
        w.pool->shutdown(1, 0, w.out);
        w.run();
        w.pool->close(1, 0, w.out);
        w.run();
        bool ended = false;
        for (const http2::H2Event &e : origin.events) {
            if (const auto *end = std::get_if<http2::StreamEnded>(&e))
                ended = ended || end->stream == stream;
            if (const auto *closed = std::get_if<http2::StreamClosed>(&e))
                QCOMPARE(closed->code, std::uint32_t(0)); // never CANCEL
        }
        QVERIFY(ended);
    }

    // An origin that speaks HTTP/1.1 gets a connection per user at a time; a released one is
    // the next user's.
    void http11OriginConnectionPerChannelAndReuse()
    {
        World w({"http/1.1"});
        for (ServerId ch : {1u, 2u})
            w.pool->open(ch, "origin.test", 443, 0, w.out);
        w.run();
        QCOMPARE(w.opened, 2);
        QCOMPARE(int(w.connected.size()), 2);
        QCOMPARE(int(w.records.size()), 2); // a record each, with the handshake
        QCOMPARE(w.records[0].protocol, std::string("HTTP/1.1"));
        QVERIFY(w.records[0].tls);
        QCOMPARE(w.pool->use(1)->connection, w.records[0].id);
        QVERIFY(!w.pool->use(1)->h2);
        w.request(1, "/one");
        const ServerId first = w.pool->ownsServer(0xC0000000u) ? 0xC0000000u : 0;
        QVERIFY(first);
        QVERIFY(w.origins.at(first).plain.find("GET /one HTTP/1.1") != std::string::npos);
        w.pool->release(1, 0, w.out);
        w.run();
        w.pool->open(3, "origin.test", 443, 0, w.out);
        w.run();
        QCOMPARE(w.opened, 2);
        QVERIFY(w.connected[3].reused);
        w.request(3, "/three");
        QVERIFY(w.origins.at(first).plain.find("GET /three HTTP/1.1") != std::string::npos);
    }

    // The only user waiting for a handshake goes away (its connect timeout): the connection
    // is closed rather than left shaking hands for nobody.
    void connectionNobodyWaitsForIsClosed()
    {
        World w({"h2"});
        w.pool->open(1, "origin.test", 443, 0, w.out);
        QCOMPARE(int(w.out.size()), 1);
        const ServerId real = std::get<OpenServer>(w.out[0]).id;
        w.out.clear();
        w.pool->close(1, 0, w.out);
        QCOMPARE(int(w.out.size()), 1);
        QCOMPARE(std::get<CloseServer>(w.out[0]).id, real);
        QVERIFY(!w.pool->ownsServer(real));
    }

    // A certificate that does not verify: every waiting user fails with the reason and the
    // handshake's record, and nothing is sent in clear.
    void untrustedOriginFailsEveryWaitingChannel()
    {
        World w({"h2"}, "other.test");
        for (ServerId ch : {1u, 2u})
            w.pool->open(ch, "origin.test", 443, 0, w.out);
        w.run();
        QCOMPARE(int(w.failed.size()), 2);
        QVERIFY2(w.failed[1].message.find("not trusted") != std::string::npos,
                 w.failed[1].message.c_str());
        QVERIFY(w.failed[2].tls);
        QVERIFY(!w.failed[2].tls->verified);
        QVERIFY(w.connected.empty());
        QVERIFY(w.origins.begin()->second.closed);
        QVERIFY(!w.pool->ownsChannel(1));
    }
};

QTEST_GUILESS_MAIN(OriginPoolTest)
#include "origin_pool_test.moc"
