#pragma once

#include "core/flow/flow.h"

#include <string>

namespace ts::tls {
class TlsSession;
}

namespace ts::proxy {

// An IP address rather than a name: sent without SNI (RFC 6066 §3).
bool isIpLiteral(const std::string &host);

// Copies what a finished (or failed) handshake settled into a flow's TLS side.
void record(flow::TlsSide &side, const tls::TlsSession &session);

} // namespace ts::proxy
