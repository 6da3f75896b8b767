#pragma once

#include "core/http1/parser.h"
#include "core/http2/h2_connection.h"
#include "core/proxy/carrier_front.h"
#include "core/proxy/events.h"
#include "core/proxy/http_stream.h"
#include "core/proxy/origin_pool.h"
#include "core/proxy/server_records.h"
#include "core/proxy/session_context.h"
#include "core/proxy/websocket_recorder.h"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ts::proxy {

class HttpProxySession;

// An HTTP/2 connection from a client to the proxy (prior knowledge, ALPN h2 on the HTTPS
// listener, or h2 inside an intercepted tunnel): the HTTP/2 server translator.
//   - any request, and an extended CONNECT with :protocol websocket (RFC 8441): an HttpStream
//     of its own, hosted here (StreamHost): the request's HEADERS / DATA / trailers go to it as
//     fields and bytes, its response comes back as a head, body, trailers and end, which
//     become HEADERS / DATA / trailers / RST_STREAM. No HTTP/1.1 text anywhere; a WebSocket,
//     once accepted, is a relay of the stream's DATA to and from its server;
//   - CONNECT (RFC 9113 §8.5): the stream carries a connection of its own, so it gets the
//     connection stack (an HttpProxySession started for that tunnel,
//     SessionContext::tunnelTarget): it sniffs, intercepts or relays exactly like an HTTP/1.1
//     CONNECT tunnel, and its bytes travel as the stream's DATA. Its server ids are mapped to
//     ids unique in the owner's space.
// Sans-IO like the session that owns it: client bytes in and out as plaintext (the owner
// applies TLS), engine commands appended to `out`.
class H2ProxyFront final : public CarrierFront, private ServerRecords::Owner
{
public:
    struct Origin
    {
        // Requests arrive from inside an intercepted tunnel to this https origin.
        bool intercepted = false;
        Target target;
        flow::FlowId tunnelFlow = 0;
        std::shared_ptr<const flow::TlsSide> clientTls;
    };

    // `ownRecord`: the connection is not the owner's client connection (h2 inside an
    // intercepted tunnel), so this front publishes its Connection record itself.
    H2ProxyFront(const SessionContext &context, Origin origin, flow::Connection connection,
                 bool ownRecord, MonoTime now);
    ~H2ProxyFront() override;

    void start(MonoTime now, std::vector<Command> &out) override;
    void clientData(std::string_view data, MonoTime now, std::vector<Command> &out) override;
    void clientGone(const std::string &reason, MonoTime now, std::vector<Command> &out) override;
    bool ownsServer(ServerId id) const override;
    void serverEvent(const Event &event, MonoTime now, std::vector<Command> &out) override;
    void tick(MonoTime now, std::vector<Command> &out) override;
    MonoTime deadline() const override;
    std::string takeClientBytes() override;
    // The connection is over (GOAWAY exchanged, failed, or idle): close the client.
    bool finished() const override { return m_finished; }
    const std::string &finishReason() const override { return m_finishReason; }
    std::string protocol() const override { return "HTTP/2"; }
    const flow::Connection &connection() const { return m_connection; }

private:
    enum class Kind { Tunnel, Forward, WebSocket };
    class Host;
    // An accepted WebSocket: the stream's DATA to its server and back.
    struct Relay
    {
        ServerId server = 0;
        flow::Flow flow;
        bool clientEof = false;
        bool serverEof = false;
        bool closed = false;
        MonoTime lastActivity = 0;
        MonoTime lastPublish = 0;
        std::uint64_t publishedBytes = 0;
        std::unique_ptr<WebSocketRecorder> ws; // its messages
    };
    struct Stream
    {
        Stream();
        ~Stream(); // where Host is complete
        http2::StreamId id = 0;
        Kind kind = Kind::Forward;
        std::string summary;                     // "CONNECT host:443", "GET http://host/path"
        std::unique_ptr<HttpProxySession> child; // CONNECT: the tunnel's connection stack
        std::unique_ptr<Host> host;              // ...else the exchange's host
        std::unique_ptr<HttpStream> http;
        std::unique_ptr<Relay> relay;
        bool streamEnded = false;                     // the exchange's response end went out
        std::vector<std::pair<ServerId, bool>> drops; // servers it is done with (id, release)
        bool answered = false;                        // final HEADERS submitted
        bool ended = false;                           // our side of the stream is ended (or reset)
        bool upgraded = false;     // WebSocket: the child's bytes are the tunnel's now
        http::Fields heldTrailers; // the request's, given after the held body
        bool trailersHeld = false;
        bool trailersGiven = false;
        http2::Fields trailers;   // the response's, sent with END_STREAM
        bool childPaused = false; // the child holds enough input
        bool childClosed = false;
        bool h2Closed = false;      // nghttp2 closed the stream
        bool serversPaused = false; // our output to the client is full: servers not read
        std::string held;           // bytes for the child not yet given (paused, congested)
        std::size_t unconsumed = 0; // DATA bytes behind `held`, not yet given back
        bool heldEnd = false;       // the client's END_STREAM is behind `held`
        bool eofGiven = false;
        bool pumping = false;
        std::unordered_map<ServerId, ServerId> serverIds; // child id -> owner id
        flow::FlowId flow = 0;
        // The stream's own flow (the first the child publishes; an intercepted tunnel's
        // exchanges follow with ids of their own), recorded with the fields that crossed the
        // client's wire: the child only ever saw an HTTP/1.1 rendering of them.
        flow::FlowId ownFlow = 0;
        http2::Fields requestFields;  // a CONNECT's, as the client sent them
        http2::Fields responseFields; // the final HEADERS as sent to the client
        // The stream's frame bytes both ways, final once it has closed (h2Closed).
        http2::H2Connection::Wire wire;
        // The child's finished flow, published when the stream closes (recordWires).
        std::shared_ptr<flow::Flow> finalFlow;
    };
    struct ServerLink
    {
        http2::StreamId stream = 0;
        ServerId childId = 0;
        bool congested = false; // its write queue is full: hold that stream's input
    };

    // ServerRecords::Owner: the records of the streams' own (not pooled) servers.
    bool recordsServer(const OpenServer &open) const override;
    bool ownsServerId(ServerId id) const override;
    std::string protocolFor(const OpenServer &) const override { return "HTTP/1.1"; }
    const tls::TlsSession *serverTls(ServerId) const override { return nullptr; }
    flow::Connection *h2Record(ServerId) override { return nullptr; }

    // Streams served by an HttpStream.
    void startHttp(Stream &s, RequestHeaders request, MonoTime now, std::vector<Command> &out);
    // A call into the stream's HttpStream, `call(stream, commands)`, then afterHttp.
    template<typename F>
    void withHttp(Stream &s, MonoTime now, std::vector<Command> &out, F &&call)
    {
        if (!s.http || s.http->finished())
            return;
        setHostTime(s, now);
        std::vector<Command> local;
        call(*s.http, local);
        afterHttp(s, local, now, out);
    }
    void setHostTime(Stream &s, MonoTime now);
    void afterHttp(Stream &s, std::vector<Command> &local, MonoTime now, std::vector<Command> &out);
    void httpServerEvent(Stream &s, const Event &event, MonoTime now, std::vector<Command> &out);
    void onPublish(Stream &s, PublishFlow &c, std::vector<Command> &out);
    bool live(const Stream &s) const;
    void streamGone(Stream &s, const std::string &reason, MonoTime now, std::vector<Command> &out);
    void streamTick(Stream &s, MonoTime now, std::vector<Command> &out);
    MonoTime streamDeadline(const Stream &s) const;
    ServerId openFor(Stream &s, const OpenServer &open, MonoTime now, std::vector<Command> &out);
    void sendTo(ServerId id, std::string bytes, MonoTime now, std::vector<Command> &out);
    void dropFor(Stream &s, ServerId id, bool release, MonoTime now, std::vector<Command> &out);
    // The WebSocket relay.
    void relayStart(Stream &s, std::string toClient, MonoTime now, std::vector<Command> &out);
    void relayClientBytes(Stream &s, std::string bytes, MonoTime now, std::vector<Command> &out);
    void relayClientEof(Stream &s, MonoTime now, std::vector<Command> &out);
    void relayServerEvent(Stream &s, const Event &event, MonoTime now, std::vector<Command> &out);
    void relayClose(Stream &s, std::string reason, bool failed, MonoTime now,
                    std::vector<Command> &out);

    void flush(MonoTime now, std::vector<Command> &out);
    void processEvents(MonoTime now, std::vector<Command> &out);
    void onHeaders(http2::HeadersReceived &h, MonoTime now, std::vector<Command> &out);
    void startChild(Stream &s, SessionContext context, MonoTime now, std::vector<Command> &out);
    void deliver(Stream &s, std::string bytes, std::size_t dataBytes, MonoTime now,
                 std::vector<Command> &out);
    void pumpHeld(Stream &s, MonoTime now, std::vector<Command> &out);
    bool congested(const Stream &s) const;
    void childEvent(Stream &s, const Event &event, MonoTime now, std::vector<Command> &out);
    void runChildCommands(Stream &s, std::vector<Command> &childOut, MonoTime now,
                          std::vector<Command> &out);
    void recordWires(Stream &s, flow::Flow &f) const;
    void releaseFinal(Stream &s, std::vector<Command> &out);
    // The HTTP/2 server translator's half for a response head (or an interim one).
    void onResponseHead(Stream &s, const http::Response &response, bool endStream);
    void childClosed(Stream &s, bool abort);
    void answer(http2::StreamId id, int status, const std::string &message);
    ServerId ownerId(Stream &s, ServerId childId, bool create);
    void forgetServer(Stream &s, ServerId childId);
    void closeStreamServers(Stream &s, std::vector<Command> &out);
    void pauseStreamServers(Stream &s, bool paused, MonoTime now, std::vector<Command> &out);
    void deliverPool(MonoTime now, std::vector<Command> &out);
    bool pooled(ServerId ownerId) const { return m_pool && m_pool->ownsChannel(ownerId); }
    void reap(std::vector<Command> &out);
    void finish(std::string reason, std::vector<Command> &out);

    SessionContext m_context;       // the template for children
    SessionContext m_streamContext; // what every HttpStream of this connection shares
    Origin m_origin;
    flow::Connection m_connection;
    std::unique_ptr<http2::H2Connection> m_h2;
    std::map<http2::StreamId, std::unique_ptr<Stream>> m_streams;
    std::unordered_map<ServerId, ServerLink> m_servers;
    // The children's https origins: TLS done here, one h2 connection shared by the streams.
    std::unique_ptr<OriginPool> m_pool;
    ServerRecords m_records{m_streamContext, *this};
    bool m_delivering = false;
    MonoTime m_now = 0;
    std::vector<http2::H2Event> m_events;
    std::string m_toClient;
    ServerId m_nextServer = 1u << 31; // owner-space ids of the children's servers
    MonoTime m_lastActivity = 0;
    bool m_ownRecord = false;
    bool m_finished = false;
    bool m_goingAway = false;
    std::string m_finishReason;
};

} // namespace ts::proxy
