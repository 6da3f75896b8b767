#pragma once

#include "core/proxy/carrier_front.h"
#include "core/proxy/events.h"
#include "core/proxy/session_context.h"
#include "core/socks/socks5_server.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ts::proxy {

class HttpProxySession;

// A client of the SOCKS5 listener (RFC 1928, RFC 1929 when credentials are configured): the
// handshake runs in socks::Socks5Server, and a CONNECT starts one HttpProxySession ("child")
// for that tunnel (SessionContext::tunnelTarget), which connects, sniffs, intercepts TLS or
// relays raw exactly like an HTTP CONNECT tunnel. The child's TunnelEstablished /
// TunnelRefused become the SOCKS5 reply; after it, bytes flow both ways through the child.
// Requests refused before a child exists (authentication, command, address type) are
// recorded as failed tunnel flows here. Sans-IO; README.md beside this file has the table.
class SocksFront final : public CarrierFront
{
public:
    SocksFront(const SessionContext &context, MonoTime now);
    ~SocksFront() override;

    void start(MonoTime now, std::vector<Command> &out) override;
    void clientData(std::string_view data, MonoTime now, std::vector<Command> &out) override;
    void clientGone(const std::string &reason, MonoTime now, std::vector<Command> &out) override;
    void clientEof(MonoTime now, std::vector<Command> &out) override;
    bool ownsServer(ServerId id) const override { return m_toChild.count(id) != 0; }
    void serverEvent(const Event &event, MonoTime now, std::vector<Command> &out) override;
    void tick(MonoTime now, std::vector<Command> &out) override;
    MonoTime deadline() const override;
    std::string takeClientBytes() override;
    bool finished() const override { return m_finished; }
    const std::string &finishReason() const override { return m_finishReason; }
    std::string protocol() const override { return "SOCKS5"; }

    // The SOCKS5 reply code for a tunnel the child could not open.
    static socks::ReplyCode replyFor(const TunnelRefused &refused);

private:
    void onHandshake(const socks::Socks5Server::Output &result, std::string_view rest, MonoTime now,
                     std::vector<Command> &out);
    void startChild(MonoTime now, std::vector<Command> &out);
    void childEvent(const Event &event, MonoTime now, std::vector<Command> &out);
    void runChildCommands(std::vector<Command> &childOut, std::vector<Command> &out);
    void recordRefusal(const Error &error, MonoTime now, std::vector<Command> &out);
    void closeServers(std::vector<Command> &out);
    void finish(std::string reason);

    SessionContext m_context;
    socks::Socks5Server m_server;
    MonoTime m_startedAt = 0;
    bool m_sawBytes = false;
    std::unique_ptr<HttpProxySession> m_child;
    bool m_established = false; // the Succeeded reply went out: bytes are the tunnel's
    std::unordered_map<ServerId, ServerId> m_toOwner; // child id -> owner id
    std::unordered_map<ServerId, ServerId> m_toChild; // owner id -> child id
    ServerId m_nextServer = 1u << 31;                 // owner-space ids of the child's servers
    std::string m_toClient;
    std::string m_childCloseReason; // the tunnel flow's last close reason or error
    bool m_intercepted = false;     // the tunnel flow says its TLS is decrypted
    bool m_finished = false;
    std::string m_finishReason;
};

} // namespace ts::proxy
