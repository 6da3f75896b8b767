#pragma once

#include "core/http/message.h"
#include "core/proxy/events.h"
#include "core/proxy/server_records.h"
#include "core/proxy/session_context.h"
#include "core/proxy/target.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

class H2OriginLink;

// The server connections of one client connection's session, by id: the TLS of our own with
// them, the HTTP/2 link when a server chose h2, and their records. The session's byte paths
// (a tunnel's, an HttpStream's) send through it and read what it decrypts. Sans-IO.
class ServerConnections final : private ServerRecords::Owner
{
public:
    explicit ServerConnections(const SessionContext &context);
    ~ServerConnections() override;
    ServerConnections(const ServerConnections &) = delete;
    ServerConnections &operator=(const ServerConnections &) = delete;

    // Where this event's commands start in the caller's vector: sends are joined only among
    // them, and the records count from there.
    void beginEvent(std::size_t first) { m_eventCommands = first; }
    void endEvent(std::vector<Command> &out, bool tick, MonoTime now);

    // OpenServer for the target; `tunnel`: its bytes are relayed as they come ("TCP").
    ServerId open(const Target &target, bool reusable, bool plainHttp, bool tls, bool tunnel,
                  std::vector<Command> &out);
    // Plaintext to the server: through our h2 link (an accepted WebSocket's bytes) and TLS.
    void send(ServerId id, std::string plaintext, MonoTime now, std::vector<Command> &out);
    // Bytes for the server's socket, through our TLS when there is any.
    void sendWire(ServerId id, std::string plaintext, std::vector<Command> &out);
    // A request part to the server's stream; true when our link answered it itself (a
    // WebSocket the origin cannot take): its parts are to be taken after this event.
    bool sendPart(ServerId id, http::RequestPart part, MonoTime now, std::vector<Command> &out);
    // TLS of our own: an error message when it cannot even start.
    std::string startTls(ServerId id, const std::string &sni, const std::string &verifyName,
                         const std::vector<std::string> &alpn, bool verify, MonoTime now,
                         std::vector<Command> &out);
    tls::TlsSession *tls(ServerId id);
    // After our TLS is up: an h2 link when the server chose h2.
    void startH2(ServerId id, const std::string &target, MonoTime now, std::vector<Command> &out);
    H2OriginLink *link(ServerId id);
    flow::ConnectionId linkConnection(ServerId id) const;
    // Closed by the proxy: records, link and TLS gone, CloseServer.
    void drop(ServerId id, std::vector<Command> &out);

    void note(const Event &event) { m_records.note(event); }
    void relayed(ServerId id, std::uint64_t up, std::uint64_t down)
    {
        m_records.relayed(id, up, down);
    }
    void link(flow::Flow &flow, ServerId id) { m_records.link(flow, id); }

private:
    bool recordsServer(const OpenServer &open) const override;
    bool ownsServerId(ServerId id) const override;
    std::string protocolFor(const OpenServer &open) const override;
    const tls::TlsSession *serverTls(ServerId id) const override;
    flow::Connection *h2Record(ServerId id) override;

    struct OriginH2
    {
        std::unique_ptr<H2OriginLink> link;
        flow::Connection record;
    };

    const SessionContext &m_context;
    std::map<ServerId, std::unique_ptr<tls::TlsSession>> m_tls;
    std::map<ServerId, OriginH2> m_h2;
    std::set<ServerId> m_tunnels; // opened for a tunnel's raw bytes
    ServerRecords m_records{m_context, *this};
    ServerId m_nextId = 0;
    std::size_t m_eventCommands = 0;
};

} // namespace ts::proxy
