#pragma once

#include "core/proxy/events.h"
#include "core/proxy/h1_proxy_front.h"
#include "core/proxy/http_stream.h"
#include "core/proxy/server_connections.h"
#include "core/proxy/session_context.h"
#include "core/proxy/target.h"
#include "core/proxy/websocket_recorder.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

class CarrierFront;
class H2OriginLink;

// One client connection speaking HTTP/1.1 to the proxy (in clear or over TLS): absolute-form
// forwarding, CONNECT tunnels that are intercepted when they carry TLS (or relayed raw), the
// proxy's own info page, and every local error answer. Sans-IO:
// handle() takes an event and `now`, appends commands; deadline() says when to Tick next.
// See README.md beside this file for the event -> action table.
// The connection stack: the HTTP/1.1 requests on it are H1ProxyFront's, each exchange an
// HttpStream whose server half is this session (its server connections, TLS, h2 links).
class HttpProxySession final : private StreamServers, private H1ProxyFront::Connection
{
public:
    HttpProxySession(SessionContext context, MonoTime now);
    ~HttpProxySession();

    void start(MonoTime now, std::vector<Command> &out);
    void handle(const Event &event, MonoTime now, std::vector<Command> &out);
    MonoTime deadline() const;
    bool closed() const { return m_mode == Mode::Closed; }

private:
    // Http: requests are parsed (forward proxy, or inside an intercepted tunnel). Sniff: after
    // a CONNECT's 200, the first bytes decide. Intercepting: TLS handshakes with both sides.
    // Tunnel: bytes relayed raw.
    // Front: a CarrierFront serves the client (HTTP/2 by prior knowledge or ALPN, SOCKS5).
    enum class Mode { Http, Sniff, Intercepting, Tunnel, Front, Closed };

    struct Tunnel
    {
        ServerId server = 0;
        flow::Flow flow; // a Tunnel flow for CONNECT, the Exchange flow for a 101 upgrade
        bool clientEof = false;
        bool serverEof = false;
        MonoTime lastActivity = 0;
        MonoTime lastPublish = 0;
        std::uint64_t publishedBytes = 0;
        std::string sniffed;           // Sniff / Intercepting: client bytes not yet passed on
        bool relayed = false;          // the engine moves the bytes (RelayTunnel)
        std::uint64_t relayBaseUp = 0; // bytes counted before the relay began
        std::uint64_t relayBaseDown = 0;
        std::unique_ptr<WebSocketRecorder> ws; // an upgraded WebSocket's messages
    };

    // A decrypted tunnel: the client's TLS ends here, requests inside are parsed, and the
    // server is reached over TLS of our own.
    struct Intercept
    {
        Target target; // https, host from SNI (or CONNECT), CONNECT port
        std::string sni;
        std::string verifyName;
        bool verify = true;
        std::vector<std::string> alpnOffer;
        flow::Flow tunnelFlow;
        flow::TlsSide clientSide; // settled by the handshakes, then shared by every exchange:
        flow::TlsSide serverSide;
        std::shared_ptr<const flow::TlsSide> clientShared;
        std::shared_ptr<const flow::TlsSide> serverShared;
        ServerId idleServer = 0; // ready for the next request
        std::string error;       // every request is answered 502 with it
        bool clientHandshakeStarted = false;
    };

    void startLayers(MonoTime now, std::vector<Command> &out);
    void dispatchEvent(const Event &event, MonoTime now, std::vector<Command> &out);

    // Byte paths through TLS.
    std::string clientDecrypt(std::string_view data, MonoTime now, std::vector<Command> &out);
    void flushClientTls(std::size_t layer, std::vector<Command> &out);
    void serverPlaintext(ServerId id, std::string_view data, MonoTime now,
                         std::vector<Command> &out);
    void onServerBytes(ServerId id, std::string_view data, MonoTime now, std::vector<Command> &out);
    // A step of the response from a server that speaks in parts (an HTTP/2 stream).
    void onServerPart(ServerId id, const http::ResponsePart &part, MonoTime now,
                      std::vector<Command> &out);

    // Interception.
    void onSniffData(MonoTime now, std::vector<Command> &out);
    void relayRaw(MonoTime now, std::vector<Command> &out);
    void onInterceptServerReady(MonoTime now, std::vector<Command> &out);
    void onClientTlsFailed(std::size_t layer, MonoTime now, std::vector<Command> &out);
    void onClientHandshakeDone(std::size_t layer, MonoTime now, std::vector<Command> &out);
    void onServerTlsDone(ServerId id, MonoTime now, std::vector<Command> &out);
    void onServerTlsFailed(ServerId id, MonoTime now, std::vector<Command> &out);

    // HTTP/2 from the client.
    void startFront(std::unique_ptr<CarrierFront> front, MonoTime now, std::vector<Command> &out);
    void afterFront(MonoTime now, std::vector<Command> &out);
    void startCarriedTunnel(MonoTime now, std::vector<Command> &out);

    // The current HTTP/1.1 exchange, when `id` is its server.
    HttpStream *exchangeOn(ServerId id);

    // Client side.
    void onClientData(std::string_view data, MonoTime now, std::vector<Command> &out);
    void onClientEof(MonoTime now, std::vector<Command> &out);

    // Server side.
    void onTick(MonoTime now, std::vector<Command> &out);

    // The server's bytes through the tunnel to the client (recorded when it is a WebSocket).
    void tunnelToClient(std::string data, MonoTime now, std::vector<Command> &out);
    void publishTunnel(std::vector<Command> &out); // with the WebSocket messages recorded
    // `reason` by value: callers pass the tunnel's own fields, which die with the tunnel.
    void closeTunnel(std::string reason, MonoTime now, std::vector<Command> &out,
                     bool failed = false);

    void publish(const flow::Flow &flow, std::vector<Command> &out) const;
    void publishConnection(std::vector<Command> &out) const;

    // Server-side connection records (ServerRecords::Owner).
    void noteServerEvent(const Event &event);

    std::int64_t since(const flow::Flow &flow, MonoTime t) const { return t - flow.startedMono; }

    // H1ProxyFront::Connection (see h1_proxy_front.h).
    bool serving() const override { return m_mode == Mode::Http && !m_tunnel; }
    void sendClient(std::string plaintext, std::vector<Command> &out) override;
    void closeClient(bool abort, std::string reason, MonoTime now,
                     std::vector<Command> &out) override;
    void startTunnel(std::string toClient, MonoTime now, std::vector<Command> &out) override;
    void startH2(MonoTime now, std::vector<Command> &out) override;

    // StreamServers (see http_stream.h).
    ServerId openServer(const Target &target, bool reusable, bool plainHttp, bool tls,
                        std::vector<Command> &out) override;
    void sendServer(ServerId id, std::string bytes, std::vector<Command> &out) override;
    void sendServerPart(ServerId id, http::RequestPart part, std::vector<Command> &out) override;
    void dropServer(ServerId id, std::vector<Command> &out) override;
    void releaseServer(ServerId id, bool reusable, bool ownTls, std::vector<Command> &out) override;
    std::string startServerTls(ServerId id, const Target &target, MonoTime now,
                               std::vector<Command> &out) override;
    bool verifyServer(const Target &target) const override;
    void serverSecured(ServerId id, const Target &target, MonoTime now,
                       std::vector<Command> &out) override;
    H2OriginLink *ownLink(ServerId id) override;
    flow::ConnectionId linkConnection(ServerId id) const override;
    void linkServer(flow::Flow &flow, ServerId id) override;
    const Intercepted *intercepted() const override;
    std::shared_ptr<const flow::TlsSide> clientTls() const override;
    ServerId takeIdleServer(std::vector<Command> &out) override;

    SessionContext m_context;
    Mode m_mode = Mode::Http;
    std::unique_ptr<Tunnel> m_tunnel;
    std::unique_ptr<Intercept> m_intercept;
    mutable Intercepted m_interceptedView; // what intercepted() shows the stream
    std::unique_ptr<CarrierFront> m_front;
    // TLS the client's bytes pass through, outermost first: the HTTPS listener's, then an
    // intercepted tunnel's.
    std::vector<std::unique_ptr<tls::TlsSession>> m_clientTls;
    ServerConnections m_servers{m_context}; // ours: their TLS, h2 links and records
    ServerId m_linkAnswer = 0;              // its link answered locally: deliver after this event
    MonoTime m_now = 0;                     // of the event being handled
    flow::TlsSide m_listenerTls;            // the HTTPS listener's handshake, for every flow on it
    std::shared_ptr<const flow::TlsSide> m_listenerTlsShared;
    bool m_clientEof = false;
    MonoTime m_lastClientActivity = 0;
    flow::Connection m_connection;
    H1ProxyFront m_h1{*this, *this, m_context, m_connection};
};

} // namespace ts::proxy
