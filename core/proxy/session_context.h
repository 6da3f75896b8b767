#pragma once

#include "core/base/limits.h"
#include "core/base/time.h"
#include "core/flow/body.h"
#include "core/flow/flow.h"
#include "core/flow/id_source.h"
#include "core/http2/protocol_limits.h"
#include "core/proxy/host_patterns.h"
#include "core/proxy/pac.h"
#include "core/proxy/target.h"
#include "core/socks/socks5.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ts::tls {
class CertificateAuthority;
class TlsContext;
} // namespace ts::tls

namespace ts::proxy {

struct Timeouts
{
    MonoTime connect = 10 * kSecond;     // name lookup + TCP connect -> 504
    MonoTime response = 60 * kSecond;    // silence from the server while a response is due -> 504
    MonoTime tunnelIdle = 300 * kSecond; // no byte either way in a tunnel -> closed
    MonoTime clientIdle = 120 * kSecond; // keep-alive client connection with no request -> closed
    MonoTime requestHead = 30 * kSecond; // a started request head must be complete by then -> 408
};

// "30 s": a timeout as messages name it.
inline std::string secondsText(MonoTime t)
{
    return std::to_string(t / kSecond) + " s";
}

// TLS interception settings, shared by all sessions (read-only but for the added hosts).
struct InterceptConfig
{
    bool enabled = true; // decrypt TLS in tunnels; off: every tunnel is passed through
    std::shared_ptr<tls::CertificateAuthority> ca;
    std::shared_ptr<tls::TlsContext> toServers; // client role, towards origins
    std::shared_ptr<tls::TlsContext> toClients; // server role, towards clients
    std::shared_ptr<HostPatterns> passthrough;  // never intercepted
    std::shared_ptr<HostPatterns> insecure;     // server certificates not verified
    bool verifyServers = true;                  // false: --insecure-upstream
    bool passthroughRejecting = false;          // pass through hosts whose clients rejected us
    std::vector<std::string> proxyNames;        // names on the HTTPS proxy listener's certificate
};

// The SOCKS5 listener: its sessions start with a SOCKS5 handshake (SocksFront).
struct SocksConfig
{
    bool enabled = false;
    std::optional<socks::Credentials> credentials; // RFC 1929 username/password required
};

// Everything a client session's layers need from outside, fixed for the session's life.
struct SessionContext
{
    flow::ConnectionId connectionId = 0;
    std::string clientAddress;
    std::string listenAddress;           // "127.0.0.1:8080", shown on the info page
    std::shared_ptr<const PacRules> pac; // /proxy.pac's rules (--pac-rules); null: the default
    Http1Limits http1;
    ProxyLimits proxy;
    Timeouts timeouts;
    std::shared_ptr<flow::BodyBudget> bodies;
    // Ids for every flow and connection recorded: the store's one source (FlowStore::ids).
    std::shared_ptr<flow::IdSource> ids = std::make_shared<flow::IdSource>();
    std::shared_ptr<const InterceptConfig> intercept; // null: no TLS at all
    bool tlsListener = false; // the client speaks TLS to the proxy itself (HTTPS proxy)
    SocksConfig socks;        // the client speaks SOCKS5 to the proxy (SOCKS5 listener)
    // Live tunnels republish their byte counts this often.
    MonoTime tunnelPublishInterval = 1 * kSecond;

    // HTTP/2 towards clients: limits, and how many frames each connection's log keeps.
    http2::ProtocolLimits http2;
    std::size_t frameLogCapacity = 10000;

    // Set for a session that serves one stream of a multiplexed connection (or another
    // carrier such as SOCKS5) instead of a socket of its own:
    bool carried = false;       // the client bytes come through a layer: never RelayTunnel
    std::string clientProtocol; // what flows record as the client's protocol ("h2")
    std::uint64_t clientStream = 0;
    // Start with this tunnel already asked for (CONNECT on an h2 stream, SOCKS5): the session
    // answers with TunnelEstablished / TunnelRefused instead of HTTP/1.1 bytes.
    std::optional<Target> tunnelTarget;
    // Requests arrive decrypted from an intercepted tunnel (h2 inside TLS): flows record it.
    flow::FlowId interceptedParent = 0;
    std::shared_ptr<const flow::TlsSide> clientTls; // the client side's TLS for every flow
    // The carrier connects to https origins itself (OpenServer::tls): TLS, and HTTP/2 shared
    // by its streams, are done for this session, and ServerConnected::tls says so.
    bool carrierSecures = false;

    flow::FlowId newFlowId() const { return ids->newFlowId(); }
    flow::ConnectionId newConnectionId() const { return ids->newConnectionId(); }
};

} // namespace ts::proxy
