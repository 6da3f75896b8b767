#include "core/proxy/server_records.h"

#include "core/proxy/target.h"
#include "core/proxy/tls_record.h"

#include "core/tls/tls_session.h"

namespace ts::proxy {

ServerRecords::ServerRecords(const SessionContext &context, Owner &owner)
    : m_context(context), m_owner(owner)
{}

flow::Connection *ServerRecords::find(ServerId id)
{
    const auto it = m_records.find(id);
    if (it == m_records.end())
        return nullptr;
    if (it->second.onH2)
        return m_owner.h2Record(id);
    return &it->second.record;
}

void ServerRecords::watch(ServerId id, Record &r)
{
    if (!r.watched) {
        r.watched = true;
        m_watch.push_back(id);
    }
}

void ServerRecords::note(const Event &event)
{
    std::visit(
        [&](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (requires { e.id; }) {
                const auto it = m_records.find(e.id);
                if (it == m_records.end())
                    return;
                Record &r = it->second;
                if constexpr (std::is_same_v<T, ServerConnected>) {
                    if (e.reused && e.record) {
                        // The pooled connection's record, as its last user left it.
                        r.record = *e.record;
                        r.record.closedWall = 0;
                        r.record.closeReason.clear();
                    } else {
                        r.record.openedWall = wallNow();
                    }
                    r.record.peerAddress = e.peerAddress;
                    r.dirty = r.milestone = true;
                    watch(e.id, r);
                } else if constexpr (std::is_same_v<T, ServerConnectFailed>) {
                    m_records.erase(it); // never connected: the flow says why
                } else if constexpr (std::is_same_v<T, ServerData>) {
                    if (flow::Connection *c = find(e.id)) {
                        c->bytesIn += e.data.size();
                        r.dirty = true;
                        watch(e.id, r);
                    }
                } else if constexpr (std::is_same_v<T, ServerEof>) {
                    r.endedBy = "closed by the server";
                } else if constexpr (std::is_same_v<T, ServerGone>) {
                    r.endedBy = "server connection failed: " + e.reason;
                }
            }
        },
        event);
}

void ServerRecords::relayed(ServerId id, std::uint64_t up, std::uint64_t down)
{
    const auto it = m_records.find(id);
    if (it == m_records.end() || it->second.onH2)
        return;
    it->second.record.bytesOut += up;
    it->second.record.bytesIn += down;
    it->second.dirty = true;
    watch(id, it->second);
}

void ServerRecords::track(std::vector<Command> &out, std::size_t first, bool tick, MonoTime now)
{
    std::vector<Command> published;
    for (std::size_t i = first; i < out.size(); ++i) {
        if (const auto *open = std::get_if<OpenServer>(&out[i])) {
            if (open->id == 0 || !m_owner.recordsServer(*open))
                continue;
            Record &r = m_records[open->id];
            r.record.id = m_context.newConnectionId();
            r.record.side = flow::Side::Server;
            r.record.protocol = m_owner.protocolFor(*open);
            r.record.target = Target{"", open->host, open->port, {}}.authority();
            r.record.parent = m_context.connectionId;
            watch(open->id, r);
        } else if (const auto *send = std::get_if<SendToServer>(&out[i])) {
            const auto it = m_records.find(send->id);
            if (it == m_records.end() || !m_owner.ownsServerId(send->id))
                continue;
            if (flow::Connection *c = find(send->id)) {
                c->bytesOut += send->data.size();
                it->second.dirty = true;
                watch(send->id, it->second);
            }
        } else if (auto *release = std::get_if<ReleaseServer>(&out[i])) {
            const auto it = m_records.find(release->id);
            if (it == m_records.end() || !m_owner.ownsServerId(release->id) || it->second.onH2)
                continue;
            published.push_back(PublishConnection{it->second.record});
            release->record = std::make_shared<flow::Connection>(std::move(it->second.record));
            m_records.erase(it);
        } else if (std::holds_alternative<CloseClient>(out[i])) {
            // The engine closes every server with the client connection.
            closeAll("closed with the client connection", published);
        }
    }
    m_watching.clear();
    m_watching.swap(m_watch); // both keep their room: no allocation per call
    for (const ServerId id : m_watching) {
        const auto it = m_records.find(id);
        if (it == m_records.end())
            continue;
        Record &r = it->second;
        r.watched = false;
        if (r.onH2)
            continue;
        // Once the proxy's own TLS to the server is up, it speaks HTTP to it.
        const tls::TlsSession *tls = m_owner.serverTls(id);
        if (!r.tlsRecorded && tls && tls->handshakeDone()) {
            flow::TlsSide side;
            record(side, *tls);
            r.record.tls = std::make_shared<const flow::TlsSide>(std::move(side));
            r.record.protocol = "HTTP/1.1";
            r.tlsRecorded = true;
            r.dirty = r.milestone = true;
        }
        if (!r.tlsRecorded && tls)
            watch(id, r); // the handshake is still under way
        if (r.record.openedWall == 0 || !r.dirty)
            continue; // not connected yet, or nothing new
        // Milestones (connected, TLS up, a flow more) go out at once, byte counts at most every
        // interval (and on the Tick a tunnel asks for, so the last counts are not left behind).
        if (r.milestone || tick || now >= r.lastPublish + m_context.tunnelPublishInterval) {
            published.push_back(PublishConnection{r.record});
            r.lastPublish = now;
            r.dirty = r.milestone = false;
        } else {
            watch(id, r); // its byte counts are due at the interval
        }
    }
    for (Command &c : published)
        out.push_back(std::move(c));
}

void ServerRecords::link(flow::Flow &flow, ServerId id)
{
    const auto it = m_records.find(id);
    flow::Connection *c = find(id);
    if (!c)
        return;
    flow.serverConnection = c->id;
    ++c->flows;
    it->second.dirty = it->second.milestone = true;
    watch(id, it->second);
}

void ServerRecords::adopt(ServerId id, flow::Connection &h2Record)
{
    const auto it = m_records.find(id);
    if (it == m_records.end() || it->second.onH2)
        return;
    const flow::Connection &mine = it->second.record;
    h2Record.id = mine.id;
    h2Record.peerAddress = mine.peerAddress;
    h2Record.openedWall = mine.openedWall;
    h2Record.bytesIn = mine.bytesIn;
    h2Record.bytesOut = mine.bytesOut;
    h2Record.flows = mine.flows;
    it->second.onH2 = true;
}

void ServerRecords::close(ServerId id, std::string reason, std::vector<Command> &out)
{
    const auto it = m_records.find(id);
    if (it == m_records.end())
        return;
    Record &r = it->second;
    if (!r.onH2 && r.record.openedWall != 0) {
        const tls::TlsSession *tls = m_owner.serverTls(id);
        if (!r.tlsRecorded && tls) {
            flow::TlsSide side;
            record(side, *tls); // a failed handshake says why
            r.record.tls = std::make_shared<const flow::TlsSide>(std::move(side));
        }
        r.record.closedWall = wallNow();
        r.record.closeReason = r.endedBy.empty() ? std::move(reason) : r.endedBy;
        out.push_back(PublishConnection{r.record});
    }
    m_records.erase(it);
}

void ServerRecords::closeAll(const std::string &reason, std::vector<Command> &out)
{
    while (!m_records.empty())
        close(m_records.begin()->first, reason, out);
}

} // namespace ts::proxy
