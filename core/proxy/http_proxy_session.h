#pragma once

#include "core/http1/parser.h"
#include "core/proxy/events.h"
#include "core/proxy/session_context.h"
#include "core/proxy/target.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ts::proxy {

// One client connection speaking HTTP/1.1 to the proxy: absolute-form forwarding to http://
// origins, CONNECT tunnels, the proxy's own info page, and every local error answer. Sans-IO:
// handle() takes an event and `now`, appends commands; deadline() says when to Tick next.
// See README.md beside this file for the event -> action table.
class HttpProxySession
{
public:
    HttpProxySession(SessionContext context, MonoTime now);

    void start(MonoTime now, std::vector<Command> &out);
    void handle(const Event &event, MonoTime now, std::vector<Command> &out);
    MonoTime deadline() const;
    bool closed() const { return m_mode == Mode::Closed; }

private:
    enum class Mode { Http, Tunnel, Closed };

    struct Exchange
    {
        flow::Flow flow;
        Target target;
        ServerId server = 0;
        bool isConnect = false;
        bool upgradeRequested = false;
        bool serverConnected = false;
        bool requestComplete = false;
        bool requestChunked = false;
        bool clientKeepAlive = true;
        bool clientIs10 = false;
        bool headSent = false; // the final response head went to the client
        bool responseChunked = false;
        bool closeClientAfter = false;
        bool serverKeepAlive = true;
        bool sawServerBytes = false;
        bool retried = false;
        std::string retryBytes; // the request as sent, while it can still be replayed
        bool retryable = false;
        std::string pendingToServer; // bytes held until the server is connected
        http1::ResponseParser responseParser;
        MonoTime openedAt = 0;
        MonoTime requestCompleteAt = 0;
        MonoTime lastServerActivity = 0;
        explicit Exchange(const Http1Limits &limits) : responseParser(limits) {}
    };

    struct Tunnel
    {
        ServerId server = 0;
        flow::Flow flow; // a Tunnel flow for CONNECT, the Exchange flow for a 101 upgrade
        bool clientEof = false;
        bool serverEof = false;
        MonoTime lastActivity = 0;
        MonoTime lastPublish = 0;
        std::uint64_t publishedBytes = 0;
    };

    // Client side.
    void onClientData(std::string_view data, MonoTime now, std::vector<Command> &out);
    void onClientEof(MonoTime now, std::vector<Command> &out);
    void pumpClient(MonoTime now, std::vector<Command> &out);
    void onRequestEvent(http1::RequestEvent &event, MonoTime now, std::vector<Command> &out);
    void beginExchange(http1::RequestHeadEvent &head, MonoTime now, std::vector<Command> &out);
    void sendToServer(std::string data, std::vector<Command> &out);
    void updateClientPause(std::vector<Command> &out);

    // Server side.
    void onServerConnected(const ServerConnected &event, MonoTime now, std::vector<Command> &out);
    void onServerConnectFailed(const ServerConnectFailed &event, MonoTime now,
                               std::vector<Command> &out);
    void onServerData(std::string_view data, MonoTime now, std::vector<Command> &out);
    void onResponseEvent(http1::ResponseEvent &event, MonoTime now, std::vector<Command> &out);
    void onServerEnded(bool error, const std::string &reason, MonoTime now,
                       std::vector<Command> &out);
    void onTick(MonoTime now, std::vector<Command> &out);

    // Answers.
    void respondLocally(int status, std::string_view reason, std::string contentType,
                        std::string body, bool close, const std::string &error, MonoTime now,
                        std::vector<Command> &out);
    void failExchange(int status, std::string_view reason, const std::string &error, MonoTime now,
                      std::vector<Command> &out);
    void abortExchange(const std::string &error, MonoTime now, std::vector<Command> &out);
    void completeExchange(MonoTime now, std::vector<Command> &out);
    void startTunnel(std::string firstBytesToServer, MonoTime now, std::vector<Command> &out);
    void closeTunnel(const std::string &reason, MonoTime now, std::vector<Command> &out);
    void closeClient(bool abort, const std::string &reason, MonoTime now,
                     std::vector<Command> &out);

    void publish(const flow::Flow &flow, std::vector<Command> &out) const;
    void publishConnection(std::vector<Command> &out) const;
    std::int64_t since(const flow::Flow &flow, MonoTime t) const { return t - flow.startedMono; }
    std::string infoPage() const;

    SessionContext m_context;
    Mode m_mode = Mode::Http;
    http1::RequestParser m_parser;
    std::string m_input; // client bytes not yet consumed by the parser
    std::size_t m_inputPos = 0;
    std::unique_ptr<Exchange> m_exchange;
    std::unique_ptr<Tunnel> m_tunnel;
    ServerId m_nextServerId = 0;
    bool m_clientPaused = false;
    bool m_clientEof = false;
    MonoTime m_lastClientActivity = 0;
    MonoTime m_headStartedAt = -1; // first byte of a request head not yet complete
    flow::ClientConnection m_connection;
};

} // namespace ts::proxy
