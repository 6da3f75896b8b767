// Transcript tests of the HTTP/1.1 proxy session: events in, exact commands out, no sockets.
#include "core/proxy/http_proxy_session.h"
#include "tests/core/proxy/playbook.h"

#include <QTest>

using namespace ts;
using namespace ts::proxy;

namespace {

// Each test looks at what the latest event made the session do.
using Harness = testing::Playbook;

} // namespace

class HttpProxySessionTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void forwardsAbsoluteFormGet()
    {
        Harness h;
        h.client("GET http://Example.com:8081/a?b=1 HTTP/1.1\r\nHost: example.com:8081\r\n"
                 "Proxy-Connection: keep-alive\r\nConnection: X-Drop\r\nX-Drop: 1\r\n"
                 "Keep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: Basic abc\r\n"
                 "Accept: */*\r\n\r\n");
        const auto open = h.one<OpenServer>();
        QCOMPARE(open.host, std::string("example.com"));
        QCOMPARE(open.port, 8081);
        QVERIFY(h.latest<SendToServer>().empty()); // nothing before the connection is up

        h.feed(ServerConnected{open.id, "127.0.0.1:8081", false, h.now, h.now});
        QCOMPARE(
            h.toServer(),
            std::string("GET /a?b=1 HTTP/1.1\r\nHost: example.com:8081\r\nAccept: */*\r\n\r\n"));

        h.server(open.id, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n"
                          "\r\nhello");
        QCOMPARE(h.toClient(), std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
        QCOMPARE(h.one<ReleaseServer>().id, open.id);
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Complete);
        QCOMPARE(f.status, 200);
        QCOMPARE(f.host, std::string("example.com"));
        QCOMPARE(f.path, std::string("/a?b=1"));
        QCOMPARE(f.responseBody->read(), std::string("hello"));
        QCOMPARE(f.requestHeaders.size(), std::size_t(8)); // recorded as the client sent them
        QVERIFY(h.latest<CloseClient>().empty());          // keep-alive

        // Both wires of each message, as they crossed them.
        QCOMPARE(f.requestHeaders.front(),
                 (std::pair<std::string, std::string>{"Host", "example.com:8081"}));
        QCOMPARE(f.serverRequestHeaders,
                 (flow::HeaderList{{"Host", "example.com:8081"}, {"Accept", "*/*"}}));
        QCOMPARE(f.serverRequestWireBytes,
                 std::uint64_t(std::string("GET /a?b=1 HTTP/1.1\r\nHost: example.com:8081\r\n"
                                           "Accept: */*\r\n\r\n")
                                   .size()));
        QCOMPARE(f.responseHeaders,
                 (flow::HeaderList{{"Content-Length", "5"}, {"Keep-Alive", "timeout=5"}}));
        QCOMPARE(f.clientResponseHeaders, (flow::HeaderList{{"Content-Length", "5"}}));
        QCOMPARE(
            f.clientResponseWireBytes,
            std::uint64_t(std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").size()));
    }

    void defaultPortLeftOutOfHost()
    {
        Harness h;
        h.client("GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto open = h.one<OpenServer>();
        QCOMPARE(open.port, 80);
        h.feed(ServerConnected{open.id, "1.2.3.4:80", false, h.now, h.now});
        QVERIFY(h.toServer().find("\r\nHost: example.com\r\n") != std::string::npos);
    }

    void streamsChunkedRequestBody()
    {
        Harness h;
        h.client("POST http://h:1/u HTTP/1.1\r\nHost: h:1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        QCOMPARE(h.toServer(), std::string("POST /u HTTP/1.1\r\nHost: h:1\r\nTransfer-Encoding: "
                                           "chunked\r\n\r\n3\r\nabc\r\n"));
        h.client("2\r\nde\r\n0\r\n\r\n");
        QCOMPARE(h.toServer(), std::string("2\r\nde\r\n0\r\n\r\n"));
    }

    void chunkedResponseStaysChunked()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.server(open.id,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n");
        QCOMPARE(h.toClient(), std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "4\r\nwxyz\r\n0\r\n\r\n"));
        QCOMPARE(h.lastFlow().responseBody->read(), std::string("wxyz"));
    }

    void closeDelimitedResponseIsChunkedForHttp11Clients()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.server(open.id, "HTTP/1.0 200 OK\r\n\r\nabc");
        QCOMPARE(h.toClient(),
                 std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
        h.feed(ServerEof{open.id});
        QCOMPARE(h.toClient(), std::string("0\r\n\r\n"));
        QCOMPARE(h.lastFlow().state, flow::FlowState::Complete);
        QVERIFY(h.latest<CloseClient>().empty());
        QCOMPARE(h.one<CloseServer>().id, open.id);
    }

    void pipelinedRequestsAreAnsweredInOrder()
    {
        Harness h;
        h.client("GET http://h:1/1 HTTP/1.1\r\nHost: h:1\r\n\r\n"
                 "GET http://h:1/2 HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto first = h.one<OpenServer>(); // only the first: the second waits
        h.feed(ServerConnected{first.id, "1.2.3.4:1", false, h.now, h.now});
        QCOMPARE(h.toServer(), std::string("GET /1 HTTP/1.1\r\nHost: h:1\r\n\r\n"));
        h.server(first.id, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
        QCOMPARE(h.one<ReleaseServer>().id, first.id);
        const auto second = h.one<OpenServer>();
        QVERIFY(second.id != first.id);
        h.feed(ServerConnected{second.id, "1.2.3.4:1", true});
        QCOMPARE(h.toServer(), std::string("GET /2 HTTP/1.1\r\nHost: h:1\r\n\r\n"));
    }

    void connectTunnelRelaysAndHalfCloses()
    {
        Harness h;
        h.client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nearly");
        const auto open = h.one<OpenServer>();
        QCOMPARE(open.reusable, false);
        h.feed(ServerConnected{open.id, "1.2.3.4:443", false, h.now, h.now});
        QCOMPARE(h.toClient(), std::string("HTTP/1.1 200 Connection established\r\n\r\n"));
        QCOMPARE(h.toServer(), std::string("early"));
        h.client("more");
        QCOMPARE(h.toServer(), std::string("more"));
        h.server(open.id, "reply");
        QCOMPARE(h.toClient(), std::string("reply"));
        h.feed(ClientEof{});
        QCOMPARE(h.one<ShutdownServer>().id, open.id);
        h.server(open.id, "tail");
        QCOMPARE(h.toClient(), std::string("tail"));
        h.feed(ServerEof{open.id});
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.kind, flow::FlowKind::Tunnel);
        QCOMPARE(f.state, flow::FlowState::Complete);
        QCOMPARE(f.bytesClientToServer, std::uint64_t(9));
        QCOMPARE(f.bytesServerToClient, std::uint64_t(9));
        QCOMPARE(f.closeReason, std::string("closed by both sides"));
        QCOMPARE(h.latest<CloseClient>().size(), std::size_t(1));
        QVERIFY(h.session->closed());
    }

    void tunnelIdleTimeoutCloses()
    {
        Harness h;
        h.client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:443", false, h.now, h.now});
        QCOMPARE(h.session->deadline(), h.now + 300 * kSecond);
        h.now += 300 * kSecond;
        h.feed(Tick{});
        QCOMPARE(h.lastFlow().closeReason, std::string("idle for 300 s"));
        QCOMPARE(h.latest<CloseClient>().size(), std::size_t(1));
    }

    void refusedConnectionGives502()
    {
        Harness h;
        h.client("GET http://h:9/ HTTP/1.1\r\nHost: h:9\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnectFailed{open.id, ConnectFailure::Refused,
                                   "connection refused by 127.0.0.1:9"});
        const std::string answer = h.toClient();
        QVERIFY(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
        QVERIFY(answer.find("connection refused by 127.0.0.1:9") != std::string::npos);
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.state, flow::FlowState::Failed);
        QCOMPARE(f.error, std::string("connection refused by 127.0.0.1:9"));
        QVERIFY(h.latest<CloseClient>().empty()); // the client connection stays usable
    }

    void loopGives508()
    {
        Harness h;
        h.client("GET http://127.0.0.1:8080/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnectFailed{open.id, ConnectFailure::LoopDetected, "loop"});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 508 Loop Detected\r\n"));
    }

    // Upstream chains live in the engine: the layer only records the chain it is told of, and
    // answers a hop's failure with the engine's message (naming the hop), 504 when it timed out.
    void upstreamChainIsRecordedOnExchangesAndTunnels()
    {
        const std::string via = "via http://127.0.0.1:3128 \u2192 socks5h://127.0.0.1:1080";
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "127.0.0.1:3128", false, h.now, h.now, via});
        h.server(open.id, "HTTP/1.1 204 No Content\r\n\r\n");
        QCOMPARE(h.lastFlow().upstream, via);

        Harness t;
        t.client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        open = t.one<OpenServer>();
        t.feed(ServerConnected{open.id, "127.0.0.1:3128", false, t.now, t.now, via});
        t.feed(ServerEof{open.id});
        t.feed(ClientEof{});
        QCOMPARE(t.lastFlow().kind, flow::FlowKind::Tunnel);
        QCOMPARE(t.lastFlow().upstream, via);
    }

    void upstreamHopFailureGives502NamingIt()
    {
        const std::string message = "hop 2 (http://alice:***@127.0.0.1:3129) answered 407 Proxy "
                                    "Authentication Required";
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        const std::string via = "via http://127.0.0.1:3128 \u2192 http://alice:***@127.0.0.1:3129";
        h.feed(ServerConnectFailed{open.id, ConnectFailure::Other, message, -1, via});
        const std::string answer = h.toClient();
        QVERIFY(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
        QVERIFY(answer.find("\r\nX-Tunnelscope-Error: 1\r\n") != std::string::npos); // ours
        QVERIFY(answer.find(message) != std::string::npos);
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.error, message);
        QCOMPARE(f.upstream, via);
    }

    // The field that marks the proxy's own error answers never comes from a server.
    void serversCannotMarkAnswersAsTheProxys()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.server(open.id, "HTTP/1.1 502 Bad Gateway\r\nx-tunnelscope-error: 1\r\n"
                          "Content-Length: 2\r\n\r\nno");
        QCOMPARE(h.toClient(),
                 std::string("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 2\r\n\r\nno"));
    }

    // Through a chain ending in an http(s) proxy the engine stops at that proxy (forwarding):
    // the request line goes out in absolute-form, with the hop's credentials in the bytes sent
    // and nowhere in the flow.
    void plainHttpIsForwardedInAbsoluteFormToTheLastHop()
    {
        const std::string auth = "Basic YWxpY2U6czNjcjN0"; // alice:s3cr3t
        const std::string via = "via http://alice:***@127.0.0.1:3128";
        Harness h;
        h.client("POST http://example.com:8081/a?b=1 HTTP/1.1\r\nHost: example.com:8081\r\n"
                 "Proxy-Authorization: Basic Y2xpZW50OnRva2Vu\r\nContent-Length: 4\r\n\r\nbo");
        const auto open = h.one<OpenServer>();
        QVERIFY(open.plainHttp);
        h.client("dy");
        QVERIFY(h.latest<SendToServer>().empty()); // held until the connection is up
        ServerConnected up{open.id, "127.0.0.1:3128", false, h.now, h.now, via};
        up.forwarding = true;
        up.proxyAuthorization = auth;
        up.forwardHop = "hop 1 (http://alice:***@127.0.0.1:3128)";
        h.feed(up);
        QCOMPARE(h.toServer(),
                 "POST http://example.com:8081/a?b=1 HTTP/1.1\r\nProxy-Authorization: " + auth
                     + "\r\nHost: example.com:8081\r\nContent-Length: 4\r\n\r\nbody");
        h.server(open.id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        QCOMPARE(h.toClient(), std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        QCOMPARE(h.one<ReleaseServer>().id, open.id);
        const flow::Flow f = h.lastFlow();
        QCOMPARE(f.upstream, via);
        QCOMPARE(f.path, std::string("/a?b=1"));
        for (const auto &[name, value] : f.requestHeaders)
            QVERIFY2(value.find("YWxpY2U") == std::string::npos, name.c_str());
        // What the hop got is recorded, its credentials masked: they never reach a flow.
        QCOMPARE(f.serverRequestHeaders, (flow::HeaderList{{"Proxy-Authorization", "Basic ***"},
                                                           {"Host", "example.com:8081"},
                                                           {"Content-Length", "4"}}));

        // The next request on the kept-alive client connection gets a pooled connection to
        // the proxy; the engine reports forwarding again, and again the credentials go out.
        h.client("GET http://other.example/ HTTP/1.1\r\nHost: other.example\r\n\r\n");
        const auto second = h.one<OpenServer>();
        QVERIFY(second.plainHttp);
        up.id = second.id;
        up.reused = true;
        h.feed(up);
        QCOMPARE(h.toServer(), "GET http://other.example/ HTTP/1.1\r\nProxy-Authorization: " + auth
                                   + "\r\nHost: other.example\r\n\r\n");
    }

    void forwardingWithoutCredentialsAddsNoField()
    {
        Harness h;
        h.client("GET http://[::1]:8081/ HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto open = h.one<OpenServer>();
        ServerConnected up{open.id, "127.0.0.1:3128", false, h.now, h.now, "via http://p:1"};
        up.forwarding = true;
        h.feed(up);
        QCOMPARE(h.toServer(),
                 std::string("GET http://[::1]:8081/ HTTP/1.1\r\nHost: [::1]:8081\r\n\r\n"));
    }

    // CONNECT, https:// (TLS to the origin) and Upgrade requests need a tunnel to the
    // destination: they never ask for forwarding.
    void tunnelsAndUpgradesAreNotForwardable()
    {
        Harness t;
        t.client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        QVERIFY(!t.one<OpenServer>().plainHttp);
        Harness u;
        u.client("GET http://example.com/chat HTTP/1.1\r\nHost: example.com\r\n"
                 "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        QVERIFY(!u.one<OpenServer>().plainHttp);
    }

    // A 407 from the proxy forwarded to is the hop's business, not the client's: 502 naming it,
    // without its challenge.
    void forwardingHopAnswering407Gives502NamingIt()
    {
        for (const bool withCredentials : {false, true}) {
            Harness h;
            h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
            const auto open = h.one<OpenServer>();
            ServerConnected up{open.id, "127.0.0.1:3128", false, h.now, h.now, "via http://p:1"};
            up.forwarding = true;
            up.forwardHop = "hop 2 (http://127.0.0.1:3129)";
            if (withCredentials)
                up.proxyAuthorization = "Basic eDp5";
            h.feed(up);
            h.server(open.id,
                     "HTTP/1.1 407 Proxy Authentication Required\r\n"
                     "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 3\r\n\r\nno!");
            const std::string answer = h.toClient();
            QVERIFY2(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), answer.c_str());
            const std::string message
                = "hop 2 (http://127.0.0.1:3129) answered 407 Proxy "
                  "Authentication Required"
                  + std::string(withCredentials ? " (the credentials were not accepted)"
                                                : " (no credentials configured)");
            QVERIFY2(answer.find(message) != std::string::npos, answer.c_str());
            QVERIFY(answer.find("Proxy-Authenticate") == std::string::npos);
            QCOMPARE(h.one<CloseServer>().id, open.id);
            QCOMPARE(h.lastFlow().error, message);
            QCOMPARE(h.lastFlow().status, 502);
        }
    }

    void upstreamHopTimeoutGives504NamingIt()
    {
        const std::string message = "hop 2 (http://127.0.0.1:3129) did not answer within 10 s";
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnectFailed{open.id, ConnectFailure::Other, message, -1, "via x", true});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 504 Gateway Timeout\r\n"));
        QVERIFY(h.toClient().find(message) != std::string::npos);
        QCOMPARE(h.lastFlow().error, message);
    }

    void connectTimeoutGives504()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        QCOMPARE(h.session->deadline(), h.now + 10 * kSecond);
        h.now += 10 * kSecond;
        h.feed(Tick{});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 504 Gateway Timeout\r\n"));
        QCOMPARE(h.one<CloseServer>().id, open.id);
    }

    void responseTimeoutGives504()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.now += 59 * kSecond;
        h.feed(Tick{});
        QVERIFY(h.last.empty());
        h.now += 1 * kSecond;
        h.feed(Tick{});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 504 Gateway Timeout\r\n"));
    }

    void silentForwardingHopIsNamedInThe504()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        ServerConnected up{open.id, "127.0.0.1:3128", false, h.now, h.now, "via http://p:1"};
        up.forwarding = true;
        up.forwardHop = "hop 2 (http://127.0.0.1:3129)";
        h.feed(up);
        h.now += 60 * kSecond;
        h.feed(Tick{});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 504 Gateway Timeout\r\n"));
        QCOMPARE(h.lastFlow().error,
                 std::string("no response from hop 2 (http://127.0.0.1:3129) (forwarding to h:1) "
                             "within 60 s"));
    }

    void originDyingMidResponseClosesTheClient()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.server(open.id, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        h.feed(ServerEof{open.id});
        QVERIFY(h.toClient().empty()); // never a fake end
        QCOMPARE(h.one<CloseClient>().abort, true);
        QCOMPARE(h.lastFlow().state, flow::FlowState::Failed);
    }

    void staleReusedConnectionIsRetried()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", true});
        h.feed(ServerEof{open.id});
        const auto again = h.one<OpenServer>();
        QCOMPARE(again.reusable, false);
        h.feed(ServerConnected{again.id, "1.2.3.4:1", false, h.now, h.now});
        QCOMPARE(h.toServer(), std::string("GET / HTTP/1.1\r\nHost: h:1\r\n\r\n"));
    }

    void malformedRequestGets400AndClose()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost : h\r\n\r\n");
        const std::string answer = h.toClient();
        QVERIFY(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        QVERIFY(answer.find("Connection: close") != std::string::npos);
        QCOMPARE(h.latest<CloseClient>().size(), std::size_t(1));
        QCOMPARE(h.lastFlow().status, 400);
        QVERIFY(!h.lastFlow().error.empty());
    }

    void originFormGetsTheInfoPage()
    {
        Harness h;
        h.client("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
        const std::string answer = h.toClient();
        QVERIFY(answer.starts_with("HTTP/1.1 200 OK\r\n"));
        QVERIFY(answer.find("curl -x http://127.0.0.1:8080") != std::string::npos);
        QVERIFY(h.latest<OpenServer>().empty());
        QCOMPARE(h.lastFlow().state, flow::FlowState::Complete);
        QCOMPARE(h.lastFlow().url(), std::string("http://127.0.0.1:8080/"));
    }

    void originFormGetsTheProxyAutoConfig()
    {
        Harness h;
        // The address the client used to reach the proxy names it in the file.
        h.client("GET /proxy.pac HTTP/1.1\r\nHost: 192.168.1.5:8080\r\n\r\n");
        const std::string answer = h.toClient();
        QVERIFY(answer.starts_with("HTTP/1.1 200 OK\r\n"));
        QVERIFY(answer.find("Content-Type: application/x-ns-proxy-autoconfig\r\n")
                != std::string::npos);
        QVERIFY(answer.find("\"PROXY 192.168.1.5:8080\"") != std::string::npos);
        QVERIFY(answer.find("function FindProxyForURL(url, host)") != std::string::npos);
        QVERIFY(h.latest<OpenServer>().empty());

        // A Host header that is no plain address falls back to the listen address.
        Harness bad;
        bad.client("GET /wpad.dat HTTP/1.1\r\nHost: \"evil\":1\r\n\r\n");
        QVERIFY(bad.toClient().find("\"PROXY 127.0.0.1:8080\"") != std::string::npos);
        QVERIFY(bad.toClient().find("evil") == std::string::npos);
    }

    void httpsAbsoluteFormIsNotImplemented()
    {
        Harness h;
        h.client("GET https://h/ HTTP/1.1\r\nHost: h\r\n\r\n");
        QVERIFY(h.toClient().starts_with("HTTP/1.1 501 Not Implemented\r\n"));
    }

    void clientInputIsBoundedWhileConnecting()
    {
        Harness h;
        h.client("POST http://h:1/ HTTP/1.1\r\nHost: h:1\r\nContent-Length: 10000000\r\n\r\n");
        h.one<OpenServer>();
        const std::string block(64 * 1024, 'x');
        bool paused = false;
        for (int i = 0; i < 8 && !paused; ++i) {
            h.client(block);
            paused = !h.latest<PauseClient>().empty();
        }
        QVERIFY(paused);
    }

    void http10ClientGetsCloseDelimitedBody()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.0\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.server(open.id,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
        QCOMPARE(h.toClient(), std::string("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nhi"));
        QCOMPARE(h.one<CloseClient>().abort, false);
    }

    void expectContinueIsRelayed()
    {
        Harness h;
        h.client("PUT http://h:1/ HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\n"
                 "Expect: 100-continue\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        QVERIFY(h.toServer().find("Expect: 100-continue") != std::string::npos);
        h.server(open.id, "HTTP/1.1 100 Continue\r\n\r\n");
        QCOMPARE(h.toClient(), std::string("HTTP/1.1 100 Continue\r\n\r\n"));
        h.client("abc");
        QCOMPARE(h.toServer(), std::string("abc"));
        h.server(open.id, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        QCOMPARE(h.lastFlow().status, 201);
    }
    // ---- server-side connection records

    void serverConnectionIsRecorded()
    {
        Harness h;
        const std::string request = "GET http://example.com:8081/a HTTP/1.1\r\nHost: x\r\n\r\n";
        h.client(request);
        const auto open = h.one<OpenServer>();
        QVERIFY(h.latest<PublishConnection>().empty()); // not a connection until connected

        h.feed(ServerConnected{open.id, "127.0.0.1:8081", false, h.now, h.now});
        const flow::Connection c = h.one<PublishConnection>().connection;
        QVERIFY(c.id != 0 && c.id != 7);
        QCOMPARE(c.side, flow::Side::Server);
        QCOMPARE(c.protocol, std::string("HTTP/1.1"));
        QCOMPARE(c.target, std::string("example.com:8081"));
        QCOMPARE(c.peerAddress, std::string("127.0.0.1:8081"));
        QCOMPARE(c.parent, flow::ConnectionId(7));
        QCOMPARE(c.flows, 1u);
        QCOMPARE(c.bytesOut, std::uint64_t(h.toServer().size()));
        QVERIFY(c.openedWall != 0 && c.closedWall == 0);
        QCOMPARE(h.lastFlow().serverConnection, c.id);

        const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        h.server(open.id, response);
        const ReleaseServer release = h.one<ReleaseServer>();
        QVERIFY(release.record); // goes to the pool with the socket
        QCOMPARE(release.record->id, c.id);
        QCOMPARE(release.record->bytesIn, std::uint64_t(response.size()));
        const flow::Connection idle = h.one<PublishConnection>().connection;
        QCOMPARE(idle.id, c.id);
        QCOMPARE(idle.bytesIn, std::uint64_t(response.size()));
        QCOMPARE(idle.closedWall, 0); // idle in the pool, still open
        QCOMPARE(h.lastFlow().serverConnection, c.id);

        // The next request gets the pooled connection back, record and all.
        h.client("GET http://example.com:8081/b HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto again = h.one<OpenServer>();
        ServerConnected reused{again.id, "127.0.0.1:8081", true};
        reused.record = release.record;
        h.feed(reused);
        QCOMPARE(h.lastFlow().serverConnection, c.id);
        const std::size_t secondRequest = h.toServer().size();
        h.server(again.id, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        QCOMPARE(h.one<CloseServer>().id, again.id);
        const flow::Connection closed = h.latest<PublishConnection>().back().connection;
        QCOMPARE(closed.id, c.id);
        QCOMPARE(closed.flows, 2u);
        QCOMPARE(closed.bytesOut, c.bytesOut + secondRequest);
        QVERIFY(closed.bytesIn > response.size());
        QVERIFY(closed.closedWall != 0);
        QCOMPARE(closed.closeReason, std::string("closed by the proxy"));
    }

    void failedConnectIsNoConnection()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnectFailed{open.id, ConnectFailure::Refused, "refused"});
        QVERIFY(h.toClient().starts_with("HTTP/1.1 502"));
        QVERIFY(h.latest<PublishConnection>().empty());
        QCOMPARE(h.lastFlow().serverConnection, flow::ConnectionId(0));
    }

    void rawTunnelRecordIsCoalesced()
    {
        Harness h;
        h.client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "127.0.0.1:443", false, h.now, h.now});
        const flow::Connection c = h.one<PublishConnection>().connection;
        QCOMPARE(c.protocol, std::string("TCP")); // relayed as bytes, not spoken to
        QCOMPARE(c.target, std::string("example.com:443"));
        QCOMPARE(c.flows, 1u);
        QCOMPARE(h.lastFlow().serverConnection, c.id);

        // Many chunks within one publish interval: no record per chunk.
        for (int i = 0; i < 10; ++i) {
            h.server(open.id, "0123456789");
            QVERIFY(h.latest<PublishConnection>().empty());
            h.client("abc");
            QVERIFY(h.latest<PublishConnection>().empty());
            h.now += 10'000;
        }
        h.now += kSecond;
        h.feed(Tick{});
        const flow::Connection live = h.one<PublishConnection>().connection;
        QCOMPARE(live.bytesIn, std::uint64_t(100));
        QCOMPARE(live.bytesOut, std::uint64_t(30));
        QCOMPARE(live.closedWall, 0);

        h.feed(ServerEof{open.id});
        h.feed(ClientEof{});
        const auto records = h.latest<PublishConnection>();
        QCOMPARE(records.size(), std::size_t(2)); // the server's, then the client's
        QCOMPARE(records[1].connection.side, flow::Side::Client);
        const flow::Connection closed = records[0].connection;
        QCOMPARE(closed.id, c.id);
        QVERIFY(closed.closedWall != 0);
        QCOMPARE(closed.closeReason, std::string("closed by the server"));
    }

    void serverFailureIsTheCloseReason()
    {
        Harness h;
        h.client("GET http://h:1/ HTTP/1.1\r\nHost: h:1\r\n\r\n");
        const auto open = h.one<OpenServer>();
        h.feed(ServerConnected{open.id, "1.2.3.4:1", false, h.now, h.now});
        h.feed(ServerGone{open.id, "reset by peer"});
        QCOMPARE(h.one<CloseServer>().id, open.id);
        const flow::Connection c = h.one<PublishConnection>().connection;
        QCOMPARE(c.side, flow::Side::Server);
        QVERIFY(c.closedWall != 0);
        QCOMPARE(c.closeReason, std::string("server connection failed: reset by peer"));
        QVERIFY(h.toClient().starts_with("HTTP/1.1 502"));
    }
};

QTEST_APPLESS_MAIN(HttpProxySessionTest)
#include "http_proxy_session_test.moc"
