#pragma once

#include "core/proxy/events.h"

#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy {

// A layer that sits between a client connection and the HttpProxySessions serving what it
// carries: HTTP/2 (a session per stream), SOCKS5 (one tunnel). The owning session hands it the
// client's plaintext and every event for a server id it owns, and sends takeClientBytes() to
// the client (through TLS when there is any). Sans-IO like the session.
class CarrierFront
{
public:
    virtual ~CarrierFront() = default;

    virtual void start(MonoTime now, std::vector<Command> &out) = 0;
    virtual void clientData(std::string_view data, MonoTime now, std::vector<Command> &out) = 0;
    // The client connection ended (closed, reset or failed): end everything carried.
    virtual void clientGone(const std::string &reason, MonoTime now, std::vector<Command> &out) = 0;
    // The client half-closed: it sends nothing more but may still read. A carrier whose
    // protocol has a half-close of its own (a SOCKS5 tunnel) passes it on; the owner closes
    // the connection once finished() says so.
    virtual void clientEof(MonoTime now, std::vector<Command> &out)
    {
        clientGone("the client closed the connection", now, out);
    }
    virtual bool ownsServer(ServerId id) const = 0;
    virtual void serverEvent(const Event &event, MonoTime now, std::vector<Command> &out) = 0;
    virtual void tick(MonoTime now, std::vector<Command> &out) = 0;
    virtual MonoTime deadline() const = 0;
    // Bytes for the client (plaintext), gathered since the last call.
    virtual std::string takeClientBytes() = 0;
    // Nothing more will be carried: the owner closes the client connection.
    virtual bool finished() const = 0;
    virtual const std::string &finishReason() const = 0;
    // What flows record as the client's protocol ("HTTP/2", "SOCKS5").
    virtual std::string protocol() const = 0;
};

} // namespace ts::proxy
