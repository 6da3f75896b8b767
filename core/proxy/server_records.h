#pragma once

#include "core/proxy/events.h"
#include "core/proxy/session_context.h"

#include <map>
#include <string>
#include <vector>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

// The flow::Connection records (side Server) of the server connections one layer opens, kept
// beside its byte paths: the events going in (note) and the commands coming out (track)
// update them, so the layer's own logic does not change for them.
//
// A record is created when OpenServer goes out, published when the server is connected, kept
// up to date from the bytes going in (ServerData, relayed) and out (SendToServer), republished
// at most every tunnelPublishInterval while it moves bytes, and published closed by close().
// A released connection takes its record to the engine's pool (ReleaseServer::record), which
// hands it back with ServerConnected when the connection is reused, or publishes it closed.
// A server that chose h2 keeps the same id; the h2 link's record is then the one kept (adopt).
class ServerRecords
{
public:
    // What the layer knows of its servers.
    class Owner
    {
    public:
        virtual ~Owner() = default;
        // An id of the layer's own (not a front's, a pool's or a child's).
        virtual bool recordsServer(const OpenServer &open) const = 0;
        virtual bool ownsServerId(ServerId id) const = 0;
        // "TCP" for a tunnel's bytes relayed as they come, else "HTTP/1.1".
        virtual std::string protocolFor(const OpenServer &open) const = 0;
        // The layer's own TLS with the server, when it has any.
        virtual const tls::TlsSession *serverTls(ServerId id) const = 0;
        // The record an h2 link keeps for it once adopted.
        virtual flow::Connection *h2Record(ServerId id) = 0;
    };

    ServerRecords(const SessionContext &context, Owner &owner);

    void note(const Event &event);
    // Bytes the engine relayed itself (RelayTunnel) since the last count.
    void relayed(ServerId id, std::uint64_t up, std::uint64_t down);
    // After the commands from `first` on were appended: records made, counted, published.
    void track(std::vector<Command> &out, std::size_t first, bool tick, MonoTime now);
    // The flow is served on this server's connection.
    void link(flow::Flow &flow, ServerId id);
    // The server chose h2: `h2Record` takes the record's id and counts, and is kept from now.
    void adopt(ServerId id, flow::Connection &h2Record);
    void close(ServerId id, std::string reason, std::vector<Command> &out);
    // The client connection ended: the engine closes every server with it.
    void closeAll(const std::string &reason, std::vector<Command> &out);

private:
    struct Record
    {
        flow::Connection record;
        bool onH2 = false;      // the owner's h2 link holds the record (same id)
        bool dirty = false;     // changed since last published
        bool milestone = false; // ...in a way that is published at once, not at the interval
        bool tlsRecorded = false;
        bool watched = false; // in m_watch
        MonoTime lastPublish = 0;
        std::string endedBy; // the server's side of the close, when it went first
    };
    flow::Connection *find(ServerId id);
    // The record may have something to publish (or a TLS handshake to record) at the next
    // track(): only these are looked at, not every live record.
    void watch(ServerId id, Record &r);

    const SessionContext &m_context;
    Owner &m_owner;
    std::map<ServerId, Record> m_records;
    std::vector<ServerId> m_watch;
    std::vector<ServerId> m_watching; // track()'s copy of m_watch
};

} // namespace ts::proxy
