#pragma once

#include "core/proxy/session_context.h"
#include "core/proxy/target.h"

#include <string>
#include <vector>

namespace ts::tls {
struct ClientHello;
struct TlsDetails;
} // namespace ts::tls

namespace ts::proxy {

// The decisions of TLS interception in a tunnel, apart from the connection that acts on them:
// whether to decrypt, what to offer the origin, what certificate and ALPN to give the client.

// What a tunnel's ClientHello leads to.
struct InterceptPlan
{
    bool intercept = false;
    // Relayed raw: why, for the tunnel's record (empty when nothing needs saying, e.g.
    // interception is off).
    std::string passReason;
    // Intercepted: the origin, the SNI we send it (empty for an IP literal), the name its
    // certificate must carry, whether it is verified, and the ALPN we offer it.
    Target target;
    std::string sni;
    std::string verifyName;
    bool verify = true;
    std::vector<std::string> alpnOffer;
};

// `host`/`port`: the CONNECT's target. Passed through when interception is off or has no CA,
// the host is on the pass-through list, or the client offered only protocols the proxy does
// not speak (h2 and http/1.1 are offered to the origin whenever the client offered either:
// each side speaks what it chose and the proxy translates).
InterceptPlan planInterception(const tls::ClientHello &hello, const InterceptConfig &config,
                               const std::string &host, std::uint16_t port);

// The names on the certificate the client gets: the origin's host, then the names on the
// origin's real certificate (so the client sees what it would have seen), at most 64.
std::vector<std::string> leafNames(const std::string &host, const tls::TlsDetails *origin);

// The protocols the client may choose from: h2 when it offered it and the origin can be
// reached (translated to whatever the origin chose), and http/1.1.
std::vector<std::string> clientAlpn(const std::vector<std::string> &offered, bool originUsable);

} // namespace ts::proxy
