#pragma once

#include "core/http/message.h"
#include "core/http1/parser.h"
#include "core/proxy/events.h"
#include "core/proxy/session_context.h"
#include "core/proxy/target.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

class H2OriginLink;
class HttpStream;

// The field that marks an error answer the proxy made itself ("X-Tunnelscope-Error: 1"), so
// that clients need not read its body. Never passed on from a server's response.
inline constexpr std::string_view kLocalErrorField = "X-Tunnelscope-Error";

// What an HttpStream needs from the connection that carries it, in two halves.
// The client half is the client side's translator (HTTP/1.1 text on a connection of its own,
// or one stream of a multiplexed connection): it frames the response for its wire and records
// what crossed it.
class StreamClient
{
public:
    virtual ~StreamClient() = default;

    // ---- towards the client
    // An informational response (1xx but 101), hop-by-hop fields removed.
    virtual void clientInterim(HttpStream &stream, const http1::ResponseHead &head,
                               std::vector<Command> &out)
        = 0;
    // The final head, or a 101 that makes the stream a tunnel; hop-by-hop fields removed.
    // `framing` is how the server delimits the body; the translator frames it for its wire
    // and records the head as it went.
    virtual void clientHead(HttpStream &stream, http1::ResponseHead &&head,
                            http1::BodyFraming framing, std::vector<Command> &out)
        = 0;
    virtual void clientBody(HttpStream &stream, std::string_view data, std::vector<Command> &out)
        = 0;
    // The response's end (its trailers are the flow's responseTrailers).
    virtual void clientEnd(HttpStream &stream, std::vector<Command> &out) = 0;
    // A whole answer of the proxy's own. The translator may add its connection fields to
    // `head` (recorded as they are after the call); `close`: the connection cannot go on.
    virtual void clientLocal(HttpStream &stream, http1::ResponseHead &head, std::string body,
                             bool close, const std::string &error, std::vector<Command> &out)
        = 0;
    // CONNECT: the server is connected.
    virtual void clientConnectEstablished(HttpStream &stream, std::vector<Command> &out) = 0;
    // More of the request may be read (it was held while the server connected).
    virtual void clientPump(MonoTime now, std::vector<Command> &out) = 0;

    // ---- the stream leaves (its flow is published); it stays alive until the event is done
    virtual void streamCompleted(HttpStream &stream, MonoTime now, std::vector<Command> &out) = 0;
    virtual void streamAborted(HttpStream &stream, const std::string &error, MonoTime now,
                               std::vector<Command> &out)
        = 0;
    // 2xx to CONNECT, or 101: the stream becomes a tunnel (`toClient`: server bytes already
    // read past the 101).
    virtual void streamTunnel(HttpStream &stream, std::string toClient, MonoTime now,
                              std::vector<Command> &out)
        = 0;
};

// The server half owns the server connections: sockets (as ids), TLS, HTTP/2 links, records.
class StreamServers
{
public:
    virtual ~StreamServers() = default;

    // OpenServer for the target, its fields as there.
    virtual ServerId openServer(const Target &target, bool reusable, bool plainHttp, bool tls,
                                std::vector<Command> &out)
        = 0;
    virtual void sendServer(ServerId id, std::string bytes, std::vector<Command> &out) = 0;
    virtual void sendServerPart(ServerId id, http::RequestPart part, std::vector<Command> &out) = 0;
    virtual void dropServer(ServerId id, std::vector<Command> &out) = 0;
    // The exchange is done with it: kept for the next request when `reusable`, else closed.
    virtual void releaseServer(ServerId id, bool reusable, bool ownTls, std::vector<Command> &out)
        = 0;
    // TLS of our own with the server: an error message when it cannot even start.
    virtual std::string startServerTls(ServerId id, const Target &target, MonoTime now,
                                       std::vector<Command> &out)
        = 0;
    // After our TLS is up: whether the server's certificate must be trusted, and HTTP/2 when
    // the server chose it.
    virtual bool verifyServer(const Target &target) const = 0;
    virtual void serverSecured(ServerId id, const Target &target, MonoTime now,
                               std::vector<Command> &out)
        = 0;
    // Our own HTTP/2 link to the server, when it chose h2 (it takes parts, not bytes).
    virtual H2OriginLink *ownLink(ServerId id) = 0;
    virtual flow::ConnectionId linkConnection(ServerId id) const = 0;
    // The flow uses this server's connection record.
    virtual void linkServer(flow::Flow &flow, ServerId id) = 0;

    // ---- where requests in origin-form go: inside a decrypted tunnel, to its origin
    struct Intercepted
    {
        Target target;
        flow::FlowId tunnelFlow = 0;
        std::string upstream;
        std::shared_ptr<const flow::TlsSide> clientTls;
        std::shared_ptr<const flow::TlsSide> serverTls;
        std::string error; // TLS with the origin failed: every request is answered 502
    };
    virtual const Intercepted *intercepted() const = 0;
    // The TLS the client's request came through (the HTTPS listener's), when any.
    virtual std::shared_ptr<const flow::TlsSide> clientTls() const = 0;
    // The decrypted tunnel's idle server connection, now the stream's (0: none).
    virtual ServerId takeIdleServer(std::vector<Command> &out) = 0;
};

// Both halves in one (a stream of a multiplexed connection).
class StreamHost : public StreamClient, public StreamServers
{
};

// One HTTP exchange, whatever versions carry it: it owns the flow and the HTTP semantics
// between the client's translator and the server: the target, the request as it goes to the
// server, forwarding, the proxy's own answers and errors (400/405/501/502/504/508), timeouts,
// the one replay of an idempotent request on a stale pooled connection, 1xx, upgrades and
// CONNECT. Sans-IO like its host.
//
// Stages where later work plugs in, each a no-op today:
//   request complete -> [hold] -> [cache lookup] -> open server       (beginRequest, requestEnd)
//   response head -> [hold] -> [cache store]                          (onResponseHead)
//   101 / 2xx CONNECT / extended CONNECT -> the host's tunnel or WebSocket layer (streamTunnel)
class HttpStream
{
public:
    HttpStream(StreamClient &client, StreamServers &servers, const SessionContext &context,
               MonoTime now);
    HttpStream(StreamHost &host, const SessionContext &context, MonoTime now)
        : HttpStream(host, host, context, now)
    {}
    ~HttpStream();
    HttpStream(const HttpStream &) = delete;
    HttpStream &operator=(const HttpStream &) = delete;

    // ---- the request, from the client's translator
    // `wire`: from a stream, the request as it crossed the client's wire (recorded as such,
    // and its fields are what the server gets).
    void requestHead(http1::RequestHeadEvent &head, const RequestHeaders *wire, MonoTime now,
                     std::vector<Command> &out);
    void requestBody(std::string_view data, std::vector<Command> &out);
    void requestTrailers(const http1::Headers &trailers);
    void requestEnd(std::uint64_t wireSize, MonoTime now, std::vector<Command> &out);
    // A tunnel its carrier asked for (CONNECT on an h2 stream, SOCKS5), already complete.
    void carriedTunnel(const Target &target, MonoTime now, std::vector<Command> &out);
    // The request could not be parsed or timed out: answered, recorded, the stream ends.
    void requestFailed(int status, const std::string &error, MonoTime now,
                       std::vector<Command> &out);
    // The exchange cannot finish (the client went, the request broke off mid-body).
    void abort(std::string error, MonoTime now, std::vector<Command> &out);

    // ---- the server
    void serverConnected(const ServerConnected &event, MonoTime now, std::vector<Command> &out);
    void serverConnectFailed(const ServerConnectFailed &event, MonoTime now,
                             std::vector<Command> &out);
    void serverTlsDone(const tls::TlsSession &session, MonoTime now, std::vector<Command> &out);
    void serverTlsFailed(const tls::TlsSession *session, const std::string &why, MonoTime now,
                         std::vector<Command> &out);
    void serverData(std::string_view data, MonoTime now, std::vector<Command> &out);
    void serverPart(const http::ResponsePart &part, MonoTime now, std::vector<Command> &out);
    void serverEnded(bool error, const std::string &reason, MonoTime now,
                     std::vector<Command> &out);

    void tick(MonoTime now, std::vector<Command> &out);
    MonoTime deadline() const;

    // ---- state the host reads
    flow::Flow &flow() { return m_flow; }
    const flow::Flow &flow() const { return m_flow; }
    ServerId server() const { return m_server; }
    bool isConnect() const { return m_isConnect; }
    bool serverConnected() const { return m_serverConnected; }
    bool requestComplete() const { return m_requestComplete; }
    bool headSent() const { return m_headSent; }
    bool clientIs10() const { return m_clientIs10; }
    bool clientKeepAlive() const { return m_clientKeepAlive; }
    bool upgradeRequested() const { return m_upgradeRequested; }
    ConnectFailure connectFailure() const { return m_connectFailure; }
    std::size_t heldBytes() const { return m_pendingBody.size(); }
    // Left the host (completed, aborted, or a tunnel now): nothing more is done.
    bool finished() const { return m_finished; }
    // The flow changed since the host last published it (published once per event).
    bool takeDirty() { return std::exchange(m_dirty, false); }
    std::int64_t since(MonoTime t) const { return t - m_flow.startedMono; }

private:
    void forwardHead(std::vector<Command> &out);
    void forwardBody(std::string_view data, std::vector<Command> &out);
    void forwardEnd(std::vector<Command> &out);
    void sendPart(http::RequestPart part, std::vector<Command> &out);
    void recordLinkWire();
    void serverReady(MonoTime now, std::vector<Command> &out, bool pump = true);
    void serverActivity(MonoTime now);
    void onResponseEvent(http1::ResponseEvent &event, MonoTime now, std::vector<Command> &out);
    void localPage(const http1::RequestHead &head, MonoTime now, std::vector<Command> &out);
    void respondLocally(int status, std::string_view reason, std::string contentType,
                        std::string body, bool close, const std::string &error,
                        std::vector<Command> &out, http1::Headers extra = {});
    void fail(int status, std::string_view reason, const std::string &error, MonoTime now,
              std::vector<Command> &out);
    void complete(MonoTime now, std::vector<Command> &out);
    void toTunnel(std::string toClient, MonoTime now, std::vector<Command> &out);
    void openServer(std::vector<Command> &out);
    void publish(std::vector<Command> &out) const;

    StreamClient &m_client;
    StreamServers &m_servers;
    const SessionContext &m_context;
    flow::Flow m_flow;
    Target m_target;
    ServerId m_server = 0;
    bool m_isConnect = false;
    bool m_upgradeRequested = false;
    bool m_serverConnected = false; // TCP and, when needed, TLS are up
    bool m_needsTls = false;        // https:// target: TLS to the server
    bool m_carrierTls = false;      // ...which the carrier did (SessionContext::carrierSecures)
    bool m_requestComplete = false;
    bool m_requestChunked = false;
    bool m_requestBody = false; // the head announced a body (length or chunked)
    bool m_clientKeepAlive = true;
    bool m_clientIs10 = false;
    bool m_headSent = false; // the final response head went to the client
    bool m_serverKeepAlive = true;
    bool m_sawServerBytes = false;
    bool m_retried = false;
    bool m_retryable = false;
    std::string m_retryBody; // the body as sent, while the request can still be replayed
    ConnectFailure m_connectFailure = ConnectFailure::Other;
    // The request as it goes to the server, whatever version carries it there.
    http::Request m_toServer;
    bool m_serverMessages = false;      // the server takes parts (an HTTP/2 stream), not bytes
    bool m_headForwarded = false;       // m_toServer's head went to the server
    bool m_endForwarded = false;        // ...and the end of the request
    std::string m_pendingBody;          // body bytes held until the server is ready
    bool m_forwarding = false;          // the connection ends at an upstream proxy
    std::string m_forwardAuthorization; // for that hop's request only: never recorded
    // The server connection ends at an upstream proxy (ServerConnected::forwarding), named
    // like "hop 2 (http://…)"; empty when it reaches the destination.
    std::string m_forwardHop;
    bool m_forwardHopHasCredentials = false;
    http1::ResponseParser m_responseParser;
    MonoTime m_openedAt = 0;
    MonoTime m_requestCompleteAt = 0;
    MonoTime m_lastServerActivity = 0;
    bool m_finished = false;
    bool m_dirty = false;
};

} // namespace ts::proxy
