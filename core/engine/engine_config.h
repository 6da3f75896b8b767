#pragma once

#include "core/base/limits.h"
#include "core/proxy/session_context.h"
#include "core/upstream/chain.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace ts::engine {

struct EngineConfig
{
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    int workers = 0; // 0: one per core, at most 4
    Http1Limits http1;
    ProxyLimits proxy;
    proxy::Timeouts timeouts;
    http2::ProtocolLimits http2;          // towards HTTP/2 clients (core/http2/protocol_limits.h)
    std::size_t frameLogCapacity = 10000; // frames kept per connection
    int maxIdleServerConnectionsPerOrigin = 16;
    int serverIdleTimeoutMs = 30'000;
    // Upstream proxy chains: which chain each destination host's server-side connections go
    // through (--upstream, --upstream-rule). Empty: every connection is direct.
    upstream::ChainRules upstream;
    // Which hosts the PAC file served at /proxy.pac sends through the proxy (--pac-rules).
    proxy::PacRules pacRules;

    // TLS.
    QString httpsListenHost; // empty: no HTTPS proxy listener
    quint16 httpsListenPort = 0;
    QString caDirectory;       // empty: ~/.config/Tunnelscope/ca
    bool intercept = true;     // decrypt TLS in tunnels
    QStringList passthrough;   // host patterns never intercepted
    QStringList insecureHosts; // host patterns whose certificates are not verified
    bool verifyServers = true; // false: --insecure-upstream
    bool passthroughRejecting = false;
    QStringList extraRoots; // PEM files trusted for servers besides the system store
    QString keyLogFile;     // SSLKEYLOGFILE

    // SOCKS5.
    QString socksListenHost; // empty: no SOCKS5 listener
    quint16 socksListenPort = 0;
    std::optional<socks::Credentials> socksCredentials; // RFC 1929, required when set
};

} // namespace ts::engine
