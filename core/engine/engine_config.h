#pragma once

#include "core/base/limits.h"
#include "core/proxy/session_context.h"

#include <QString>

namespace ts::engine {

struct EngineConfig
{
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    int workers = 0; // 0: one per core, at most 4
    Http1Limits http1;
    ProxyLimits proxy;
    proxy::Timeouts timeouts;
    int maxIdleServerConnectionsPerOrigin = 16;
    int serverIdleTimeoutMs = 30'000;
};

} // namespace ts::engine
