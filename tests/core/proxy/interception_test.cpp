// Interception as a transcript: a client TlsSession and an origin TlsSession in memory, the
// proxy session between them. No socket, no thread: every byte is moved by the test.
#include "core/http2/h2_connection.h"
#include "core/proxy/http_proxy_session.h"
#include "core/tls/certificate_authority.h"
#include "core/tls/tls_session.h"

#include <QTemporaryDir>
#include <QTest>

using namespace ts;
using namespace ts::proxy;

namespace {

struct World
{
    QTemporaryDir dir;
    std::shared_ptr<InterceptConfig> config = std::make_shared<InterceptConfig>();
    std::shared_ptr<tls::TlsContext> clientContext; // the browser's: trusts our CA
    std::shared_ptr<tls::TlsContext> originContext;
    std::unique_ptr<HttpProxySession> session;
    std::vector<Command> out;
    std::vector<flow::Flow> flows;
    std::vector<flow::Connection> connections;
    std::unique_ptr<tls::TlsSession> client; // the browser's TLS
    std::unique_ptr<tls::TlsSession> origin; // the origin's TLS
    std::string clientPlain;
    std::string originPlain;
    std::string clientRaw; // what the proxy sent before TLS began (the 200)
    ServerId server = 0;
    std::vector<RelayTunnel> relays;
    std::string serverRaw; // bytes sent to the server in clear (not through the origin's TLS)
    // An origin that chose h2 speaks it here: originPlain goes in, its frames go back.
    std::unique_ptr<http2::H2Connection> originH2;
    std::vector<http2::H2Event> originEvents;
    // A client that chose h2 speaks it here: its frames go out through `client`, clientPlain
    // comes back to it.
    std::unique_ptr<http2::H2Connection> clientH2;
    std::vector<http2::H2Event> clientEvents;
    std::shared_ptr<const tls::LeafCertificate> originLeaf;
    std::vector<std::string> originAlpnAccept;

    World(bool verifyServers, std::vector<std::string> originNames,
          std::vector<std::string> originAlpn = {"http/1.1"})
    {
        auto ca = tls::CertificateAuthority::openOrCreate(
            dir.filePath(QStringLiteral("ca")).toStdString());
        if (!ca.ok())
            qFatal("CA: %s", ca.error().message.c_str());
        config->ca = std::move(*ca);
        const std::string caFile = config->ca->directory() + "/ca.pem";
        config->toServers = *tls::TlsContext::client({{caFile}, nullptr});
        config->toClients = *tls::TlsContext::server({});
        config->passthrough = std::make_shared<HostPatterns>();
        config->insecure = std::make_shared<HostPatterns>();
        config->verifyServers = verifyServers;
        clientContext = *tls::TlsContext::client({{caFile}, nullptr});
        originContext = *tls::TlsContext::server({});
        originLeaf = *config->ca->leafFor(originNames);
        originAlpnAccept = std::move(originAlpn);
        freshOrigin();

        SessionContext c;
        c.connectionId = 1;
        c.clientAddress = "127.0.0.1:5000";
        c.listenAddress = "127.0.0.1:8080";
        c.bodies = std::make_shared<flow::BodyBudget>();
        c.intercept = config;
        session = std::make_unique<HttpProxySession>(c, 0);
        session->start(0, out);
        collect();
    }

    // The origin as a new connection finds it: a TLS handshake not yet made, no h2 yet.
    void freshOrigin()
    {
        origin
            = std::move(*tls::TlsSession::server(originContext, {originLeaf, originAlpnAccept}, 0));
        originPlain.clear();
        originEvents.clear();
        originH2.reset();
    }

    // Carries out the proxy's commands against the in-memory peers.
    void collect()
    {
        std::vector<Command> commands;
        commands.swap(out);
        for (Command &cmd : commands) {
            if (auto *s = std::get_if<SendToClient>(&cmd)) {
                if (client)
                    client->receive(s->data, clientPlain, 0);
                else
                    clientRaw += s->data;
            } else if (auto *toServer = std::get_if<SendToServer>(&cmd)) {
                if (client)
                    origin->receive(toServer->data, originPlain, 0);
                else
                    serverRaw += toServer->data;
            } else if (auto *relay = std::get_if<RelayTunnel>(&cmd)) {
                relays.push_back(*relay);
            } else if (auto *o = std::get_if<OpenServer>(&cmd)) {
                server = o->id;
            } else if (auto *p = std::get_if<PublishFlow>(&cmd)) {
                flows.push_back(*p->flow);
            } else if (auto *c = std::get_if<PublishConnection>(&cmd)) {
                connections.push_back(c->connection);
            }
        }
    }

    void feed(const Event &e)
    {
        session->handle(e, 0, out);
        collect();
    }

    // Moves ciphertext until everyone is quiet.
    void pump()
    {
        for (int i = 0; i < 50; ++i) {
            bool moved = false;
            if (clientH2) {
                if (!clientPlain.empty())
                    clientH2->receive(std::exchange(clientPlain, {}), 0, clientEvents);
                clientH2->pollEvents(clientEvents);
                if (const std::string frames = clientH2->takeOutput(0); !frames.empty())
                    client->send(frames);
            }
            if (client && client->hasCiphertext()) {
                const std::string bytes = client->takeCiphertext();
                feed(ClientData{bytes});
                moved = true;
            }
            if (originH2 && !originPlain.empty()) {
                originH2->receive(std::exchange(originPlain, {}), 0, originEvents);
                originH2->pollEvents(originEvents);
            }
            if (originH2) {
                if (const std::string frames = originH2->takeOutput(0); !frames.empty())
                    origin->send(frames);
                originH2->pollEvents(originEvents); // a stream closed by what it sent
            }
            if (origin->hasCiphertext()) {
                const std::string bytes = origin->takeCiphertext();
                feed(ServerData{server, bytes});
                moved = true;
            }
            if (!moved)
                return;
        }
    }

    void connectThrough(const std::string &host, std::vector<std::string> alpn = {"http/1.1"})
    {
        const std::string connect
            = "CONNECT " + host + ":443 HTTP/1.1\r\nHost: " + host + ":443\r\n\r\n";
        feed(ClientData{connect});
        feed(ServerConnected{server, "10.0.0.1:443", false, 0, 0});
        QCOMPARE(clientRaw, std::string("HTTP/1.1 200 Connection established\r\n\r\n"));
        client = std::move(
            *tls::TlsSession::client(clientContext, {host, host, std::move(alpn), true}, 0));
        pump();
    }

    const flow::Flow *last(std::string_view scheme) const
    {
        for (auto it = flows.rbegin(); it != flows.rend(); ++it)
            if (it->scheme == scheme || (scheme.empty() && it->kind == flow::FlowKind::Tunnel))
                return &*it;
        return nullptr;
    }
};

} // namespace

class InterceptionTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestInsideTheTunnelIsDecrypted()
    {
        World w(true, {"origin.test"});
        w.connectThrough("origin.test");
        QVERIFY2(w.client->handshakeDone(), w.client->error().c_str());
        QVERIFY(w.client->details().verified); // our minted leaf, trusted via our CA
        QCOMPARE(w.client->details().alpn, std::string("http/1.1"));

        w.client->send("GET /x?y=1 HTTP/1.1\r\nHost: origin.test\r\n\r\n");
        w.pump();
        QCOMPARE(w.originPlain, std::string("GET /x?y=1 HTTP/1.1\r\nHost: origin.test\r\n\r\n"));
        w.origin->send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        w.pump();
        QCOMPARE(w.clientPlain, std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        const flow::Flow *tunnel = w.last("");
        const flow::Flow *exchange = w.last("https");
        QVERIFY(tunnel && exchange);
        QVERIFY(tunnel->intercepted);
        QCOMPARE(exchange->parent, tunnel->id);
        QVERIFY(exchange->intercepted);
        QCOMPARE(exchange->url(), std::string("https://origin.test/x?y=1"));
        QCOMPARE(exchange->status, 200);
        QCOMPARE(exchange->state, flow::FlowState::Complete);
        QCOMPARE(exchange->clientTls->sni, std::string("origin.test"));
        QCOMPARE(exchange->clientTls->alpn, std::string("http/1.1"));
        QVERIFY(exchange->serverTls->verified);
        QCOMPARE(exchange->serverTls->chain.front().names, std::vector<std::string>{"origin.test"});
        QVERIFY(exchange->serverReused); // the connection made for the handshake

        // A second request on the same tunnel reuses the same server connection.
        w.client->send("GET /2 HTTP/1.1\r\nHost: origin.test\r\n\r\n");
        w.pump();
        QVERIFY(w.originPlain.ends_with("GET /2 HTTP/1.1\r\nHost: origin.test\r\n\r\n"));
        w.origin->send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        w.pump();

        // One server-side connection carried the tunnel and both exchanges: HTTP/1.1 over the
        // proxy's TLS, every flow linked to it.
        const flow::Connection &server = w.connections.back();
        QCOMPARE(server.side, flow::Side::Server);
        QCOMPARE(server.protocol, std::string("HTTP/1.1"));
        QCOMPARE(server.target, std::string("origin.test:443"));
        QCOMPARE(server.peerAddress, std::string("10.0.0.1:443"));
        QCOMPARE(server.parent, flow::ConnectionId(1));
        QVERIFY(server.tls && server.tls->verified);
        QCOMPARE(server.tls->sni, std::string("origin.test"));
        QCOMPARE(server.flows, 3u); // the tunnel and two exchanges
        QVERIFY(server.bytesIn > 0 && server.bytesOut > 0);
        QCOMPARE(w.last("")->serverConnection, server.id);
        QCOMPARE(w.last("https")->serverConnection, server.id);
        for (const flow::Connection &c : w.connections)
            QVERIFY(c.side == flow::Side::Client || c.id == server.id);
    }

    void untrustedServerGets502InsideTheTunnel()
    {
        World w(true, {"someone-else.test"}); // the origin's certificate names another host
        w.connectThrough("origin.test");
        QVERIFY(w.client->handshakeDone()); // the client still gets our certificate...
        w.client->send("GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n");
        w.pump();
        QVERIFY2(w.clientPlain.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), w.clientPlain.c_str());
        QVERIFY(w.clientPlain.find("is not trusted") != std::string::npos);
        QVERIFY(w.originPlain.empty()); // ...and nothing reaches the untrusted server
    }

    void clientOfferingH2GetsH2AndTheServerIsOfferedBoth()
    {
        // Each side speaks what it chose; the proxy translates between h2 and HTTP/1.1.
        World w(true, {"origin.test"});
        w.connectThrough("origin.test", {"h2", "http/1.1"});
        QVERIFY2(w.client->handshakeDone(), w.client->error().c_str());
        QCOMPARE(w.client->details().alpn, std::string("h2"));
        QCOMPARE(w.origin->details().alpnOffered, (std::vector<std::string>{"h2", "http/1.1"}));
    }

    // An HTTP/1.1 client, an origin that chose h2: each wire recorded as it crossed, sizes
    // included. The proxy's counts of the origin's wire equal the origin's own.
    void http1ClientToH2OriginEachWireAsItCrossed()
    {
        World w(true, {"origin.test"}, {"h2", "http/1.1"});
        w.originH2 = std::move(
            *http2::H2Connection::create(http2::H2Connection::Role::Server, {}, nullptr, 0));
        w.connectThrough("origin.test");
        const std::string request = "GET /x?y=1 HTTP/1.1\r\nHost: origin.test\r\n"
                                    "Cookie: a=1\r\nCookie: b=2\r\nAccept: */*\r\n\r\n";
        w.client->send(request);
        w.pump();
        QCOMPARE(w.origin->details().alpn, std::string("h2"));
        http2::HeadersReceived got;
        for (const http2::H2Event &e : w.originEvents)
            if (const auto *h = std::get_if<http2::HeadersReceived>(&e))
                got = *h;
        QVERIFY(got.stream != 0);
        QVERIFY(got.endStream);
        QVERIFY(w.originH2
                    ->submitResponse(got.stream,
                                     {{":status", "200"}, {"content-length", "2"}, {"x-o", "1"}},
                                     false)
                    .ok());
        w.originH2->submitData(got.stream, "ok");
        w.originH2->endStream(got.stream);
        w.pump();
        // Translated once: the origin's fields, content-length included, as an HTTP/1.1 head.
        const std::string answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-o: 1\r\n\r\nok";
        QCOMPARE(w.clientPlain, answer);

        const flow::Flow *f = w.last("https");
        QVERIFY(f && f->state == flow::FlowState::Complete);
        QCOMPARE(f->serverProtocol, std::string("HTTP/2"));
        // Each wire's fields: as the client sent them, as the origin got them (both cookie
        // lines as they came; the origin's own HPACK view), as the origin answered, and as the
        // client got the answer.
        QCOMPARE(
            f->requestHeaders,
            (flow::HeaderList{
                {"Host", "origin.test"}, {"Cookie", "a=1"}, {"Cookie", "b=2"}, {"Accept", "*/*"}}));
        QCOMPARE(f->serverRequestHeaders, flow::HeaderList(got.fields.begin(), got.fields.end()));
        QCOMPARE(f->responseHeaders,
                 (flow::HeaderList{{":status", "200"}, {"content-length", "2"}, {"x-o", "1"}}));
        QCOMPARE(f->clientResponseHeaders,
                 (flow::HeaderList{{"content-length", "2"}, {"x-o", "1"}}));
        // Each wire's bytes: the HTTP/1.1 messages as they were, the origin's frames as the
        // origin itself counted them.
        http2::StreamClosed closed;
        for (const http2::H2Event &e : w.originEvents)
            if (const auto *c = std::get_if<http2::StreamClosed>(&e))
                closed = *c;
        QCOMPARE(closed.stream, got.stream);
        QCOMPARE(f->requestWireBytes, std::uint64_t(request.size()));
        QCOMPARE(f->serverRequestWireBytes, closed.wireIn);
        QCOMPARE(f->responseWireBytes, closed.wireOut);
        QCOMPARE(f->clientResponseWireBytes, std::uint64_t(answer.size()));
    }

    // An h2 client, an origin that chose h2: the request never becomes HTTP/1.1 text. Each
    // wire's fields are what its peer's own HPACK saw (pseudo-header fields first, each
    // cookie line as sent), and each side's sizes are the frames its peer counted.
    void h2ClientToH2OriginEachWireAsItCrossed()
    {
        World w(true, {"origin.test"}, {"h2", "http/1.1"});
        w.connectThrough("origin.test", {"h2", "http/1.1"});
        QCOMPARE(w.client->details().alpn, std::string("h2"));
        w.clientH2 = std::move(
            *http2::H2Connection::create(http2::H2Connection::Role::Client, {}, nullptr, 0));
        w.pump();
        // Each stream reaches the origin through a connection of the front's own.
        w.freshOrigin();
        w.originH2 = std::move(
            *http2::H2Connection::create(http2::H2Connection::Role::Server, {}, nullptr, 0));
        const http2::Fields request{
            {":method", "POST"},     {":scheme", "https"}, {":authority", "origin.test"},
            {":path", "/x?y=1"},     {"cookie", "a=1"},    {"cookie", "b=2"},
            {"content-length", "3"}, {"x-c", "C"}};
        const auto id = w.clientH2->submitRequest(request, false);
        QVERIFY(id.ok());
        w.clientH2->submitData(*id, "abc");
        w.clientH2->endStream(*id);
        w.pump();
        const ServerId pooled = w.server;
        w.feed(ServerConnected{pooled, "10.0.0.1:443", false, 0, 0});
        w.pump();
        QCOMPARE(w.origin->details().alpn, std::string("h2"));
        http2::HeadersReceived got;
        std::string body;
        for (const http2::H2Event &e : w.originEvents) {
            if (const auto *h = std::get_if<http2::HeadersReceived>(&e))
                got = *h;
            if (const auto *d = std::get_if<http2::DataReceived>(&e))
                body += d->data;
        }
        QVERIFY(got.stream != 0);
        QCOMPARE(body, std::string("abc"));
        const http2::Fields response{
            {":status", "201"}, {"content-length", "2"}, {"set-cookie", "s=1"}, {"x-o", "1"}};
        QVERIFY(w.originH2->submitResponse(got.stream, response, false).ok());
        w.originH2->submitData(got.stream, "ok");
        w.originH2->endStream(got.stream);
        w.pump();

        http2::HeadersReceived answer;
        std::string answerBody;
        for (const http2::H2Event &e : w.clientEvents) {
            if (const auto *h = std::get_if<http2::HeadersReceived>(&e); h && h->stream == *id)
                answer = *h;
            if (const auto *d = std::get_if<http2::DataReceived>(&e); d && d->stream == *id)
                answerBody += d->data;
        }
        QCOMPARE(answerBody, std::string("ok"));

        const flow::Flow *f = w.last("https");
        QVERIFY(f && f->state == flow::FlowState::Complete);
        QCOMPARE(f->clientProtocol, std::string("HTTP/2"));
        QCOMPARE(f->serverProtocol, std::string("HTTP/2"));
        QCOMPARE(f->requestBody->read(), std::string("abc"));
        QCOMPARE(f->responseBody->read(), std::string("ok"));
        // The request's fields went on as they came: no Host, no transfer-encoding, the two
        // cookie lines still two.
        QCOMPARE(got.fields, request);
        QCOMPARE(f->requestHeaders, flow::HeaderList(request.begin(), request.end()));
        QCOMPARE(f->serverRequestHeaders, flow::HeaderList(got.fields.begin(), got.fields.end()));
        QCOMPARE(f->responseHeaders, flow::HeaderList(response.begin(), response.end()));
        QCOMPARE(f->clientResponseHeaders,
                 flow::HeaderList(answer.fields.begin(), answer.fields.end()));
        QCOMPARE(answer.fields, response);

        http2::StreamClosed atClient;
        http2::StreamClosed atOrigin;
        for (const http2::H2Event &e : w.clientEvents)
            if (const auto *c = std::get_if<http2::StreamClosed>(&e); c && c->stream == *id)
                atClient = *c;
        for (const http2::H2Event &e : w.originEvents)
            if (const auto *c = std::get_if<http2::StreamClosed>(&e); c && c->stream == got.stream)
                atOrigin = *c;
        QVERIFY(atClient.stream != 0 && atOrigin.stream != 0);
        QCOMPARE(f->requestWireBytes, atClient.wireOut);
        QCOMPARE(f->clientResponseWireBytes, atClient.wireIn);
        QCOMPARE(f->serverRequestWireBytes, atOrigin.wireIn);
        QCOMPARE(f->responseWireBytes, atOrigin.wireOut);
    }

    void unverifiedServerIsAllowedWhenVerificationIsOff()
    {
        World w(false, {"someone-else.test"});
        w.connectThrough("origin.test");
        w.client->send("GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n");
        w.pump();
        QCOMPARE(w.originPlain, std::string("GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n"));
        const flow::Flow *exchange = w.last("https");
        QVERIFY(exchange && !exchange->serverTls->verified);
        QVERIFY(exchange->serverTls->verifyError.find("mismatch") != std::string::npos);
    }

    void plainTunnelIsHandedToTheEngine()
    {
        World w(true, {"origin.test"});
        w.feed(ClientData{"CONNECT origin.test:22 HTTP/1.1\r\nHost: origin.test:22\r\n\r\n"});
        w.feed(ServerConnected{w.server, "10.0.0.1:22", false, 0, 0});
        w.feed(ClientData{"SSH-2.0-client\r\n"}); // not TLS: relayed as it is
        QCOMPARE(w.serverRaw, std::string("SSH-2.0-client\r\n"));
        QCOMPARE(w.relays.size(), std::size_t(1));
        QCOMPARE(w.relays.front().id, w.server);

        // The engine moves the rest and reports; the flow counts what it moved on top.
        w.feed(RelayProgress{100, 2000});
        w.feed(ServerEof{w.server});
        w.feed(ClientEof{});
        const flow::Flow *tunnel = w.last("");
        QVERIFY(tunnel);
        QCOMPARE(tunnel->state, flow::FlowState::Complete);
        QCOMPARE(tunnel->bytesClientToServer, std::uint64_t(16 + 100));
        QCOMPARE(tunnel->bytesServerToClient, std::uint64_t(2000));
        QCOMPARE(tunnel->closeReason, std::string("closed by both sides"));
        QVERIFY(!tunnel->intercepted);
    }

    void passThroughHostsAreRelayedRaw()
    {
        World w(true, {"origin.test"});
        *w.config->passthrough = *HostPatterns::parse({"*.test"});
        w.connectThrough("origin.test");
        // The origin got the client's own ClientHello and answered it: nothing was re-signed.
        QVERIFY(w.client->handshakeDone());
        QVERIFY(w.client->details().verified);
        const flow::Flow *tunnel = w.last("");
        QVERIFY(tunnel && !tunnel->intercepted);
        QCOMPARE(tunnel->clientTls->sni, std::string("origin.test"));
    }
};

QTEST_GUILESS_MAIN(InterceptionTest)
#include "interception_test.moc"
