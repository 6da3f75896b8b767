#pragma once

#include "core/http1/parser.h"
#include "core/proxy/events.h"
#include "core/proxy/http_stream.h"
#include "core/proxy/session_context.h"

#include <memory>
#include <string>
#include <vector>

namespace ts::proxy {

// The HTTP/1.1 server translator: the client's HTTP/1.1 text (on the plain or HTTPS listener,
// or inside an intercepted tunnel) becomes one HttpStream per exchange, and each stream's
// response goes back as HTTP/1.1 text framed for this connection (chunked, close-delimited for
// HTTP/1.0, Connection fields). One exchange at a time: a pipelined request waits in the input
// until the response before it is out. It is the client half of its streams (StreamClient);
// the connection around it (TLS, tunnels, server connections) is its Connection.
//
// Not a CarrierFront: the connection stack goes on around it. A CONNECT or an upgrade hands
// the connection to a tunnel, the HTTP/2 preface to the h2 front, and an intercepted tunnel
// brings its decrypted bytes back here.
class H1ProxyFront final : private StreamClient
{
public:
    // What the front needs from the connection that carries it.
    class Connection
    {
    public:
        virtual ~Connection() = default;
        // The connection still carries HTTP/1.1 exchanges (not a tunnel, h2, or closed).
        virtual bool serving() const = 0;
        virtual void sendClient(std::string bytes, std::vector<Command> &out) = 0;
        virtual void closeClient(bool abort, std::string reason, MonoTime now,
                                 std::vector<Command> &out)
            = 0;
        // The current stream became a tunnel (a 2xx to CONNECT, a 101): the connection takes
        // its flow (takeTunnelStream) and the client's bytes past it (takeInput).
        virtual void startTunnel(std::string toClient, MonoTime now, std::vector<Command> &out) = 0;
        // The client's first bytes are HTTP/2's connection preface (prior knowledge).
        virtual void startH2(MonoTime now, std::vector<Command> &out) = 0;
    };

    // `connection` counts the exchanges (flows) of the client connection.
    H1ProxyFront(Connection &connection, StreamServers &servers, const SessionContext &context,
                 flow::Connection &record);
    ~H1ProxyFront();
    H1ProxyFront(const H1ProxyFront &) = delete;
    H1ProxyFront &operator=(const H1ProxyFront &) = delete;

    void clientData(std::string_view data, MonoTime now, std::vector<Command> &out);
    void clientEof(MonoTime now, std::vector<Command> &out);
    // Parse what the input holds, as far as the current exchange allows.
    void pump(MonoTime now, std::vector<Command> &out);
    // Timeouts: the current exchange's, a request head that does not end, an idle keep-alive
    // connection (`lastActivity`: the client's last bytes).
    void tick(MonoTime now, MonoTime lastActivity, std::vector<Command> &out);
    MonoTime deadline(MonoTime lastActivity) const;
    // After each event: the current exchange's milestones published once, streams that left
    // freed.
    void endEvent(std::vector<Command> &out);

    // A new exchange on this connection (its flow started now).
    HttpStream &newStream(MonoTime now);
    // The current exchange, if any.
    HttpStream *stream() { return m_exchange.get(); }
    const HttpStream *stream() const { return m_exchange.get(); }
    // The client's bytes not parsed yet (they belong to whatever takes the connection over).
    std::string takeInput();
    // The stream that became a tunnel, kept alive until the event is handled.
    HttpStream &tunnelStream();
    // The connection no longer reads requests: the client may send again.
    void unpause(std::vector<Command> &out);

private:
    void onRequestEvent(http1::RequestEvent &event, MonoTime now, std::vector<Command> &out);
    void updatePause(std::vector<Command> &out);
    void leave();

    // StreamClient (see http_stream.h).
    void clientInterim(HttpStream &stream, const http1::ResponseHead &head,
                       std::vector<Command> &out) override;
    void clientHead(HttpStream &stream, http1::ResponseHead &&head, http1::BodyFraming framing,
                    std::vector<Command> &out) override;
    void clientBody(HttpStream &stream, std::string_view data, std::vector<Command> &out) override;
    void clientEnd(HttpStream &stream, std::vector<Command> &out) override;
    void clientLocal(HttpStream &stream, http1::ResponseHead &head, std::string body, bool close,
                     const std::string &error, std::vector<Command> &out) override;
    void clientConnectEstablished(HttpStream &stream, std::vector<Command> &out) override;
    void clientPump(MonoTime now, std::vector<Command> &out) override;
    void streamCompleted(HttpStream &stream, MonoTime now, std::vector<Command> &out) override;
    void streamAborted(HttpStream &stream, const std::string &error, MonoTime now,
                       std::vector<Command> &out) override;
    void streamTunnel(HttpStream &stream, std::string toClient, MonoTime now,
                      std::vector<Command> &out) override;

    Connection &m_connection;
    StreamServers &m_servers;
    const SessionContext &m_context;
    flow::Connection &m_record;
    http1::RequestParser m_parser;
    std::string m_input; // client bytes not yet consumed by the parser
    std::size_t m_inputPos = 0;
    std::unique_ptr<HttpStream> m_exchange;
    // Streams that left during this event, kept alive until it is handled.
    std::vector<std::unique_ptr<HttpStream>> m_leftStreams;
    // The HTTP/1.1 framing of the current response to the client.
    bool m_responseChunked = false;
    bool m_closeAfter = false; // close the client connection once the response is out
    bool m_paused = false;
    bool m_eof = false;
    MonoTime m_headStartedAt = -1; // first byte of a request head not yet complete
};

} // namespace ts::proxy
