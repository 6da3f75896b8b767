#pragma once

#include "core/flow/flow.h"

#include <memory>
#include <string>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

// An IP address rather than a name: sent without SNI (RFC 6066 §3).
bool isIpLiteral(const std::string &host);

// Copies what a finished (or failed) handshake settled into a flow's TLS side.
void record(flow::TlsSide &side, const tls::TlsSession &session);

// Copy-on-write change of a flow's (shared, immutable) TLS side.
template<typename F>
void editTls(std::shared_ptr<const flow::TlsSide> &side, F &&change)
{
    auto copy = side ? std::make_shared<flow::TlsSide>(*side) : std::make_shared<flow::TlsSide>();
    change(*copy);
    side = std::move(copy);
}

} // namespace ts::proxy
