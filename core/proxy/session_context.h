#pragma once

#include "core/base/limits.h"
#include "core/base/time.h"
#include "core/flow/body.h"
#include "core/flow/flow.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace ts::proxy {

struct Timeouts
{
    MonoTime connect = 10 * kSecond;       // name lookup + TCP connect -> 504
    MonoTime response = 60 * kSecond;      // silence from the server while a response is due -> 504
    MonoTime tunnelIdle = 300 * kSecond;   // no byte either way in a tunnel -> closed
    MonoTime clientIdle = 120 * kSecond;   // keep-alive client connection with no request -> closed
    MonoTime requestHead = 30 * kSecond;   // a started request head must be complete by then -> 408
};

// Everything a client session's layers need from outside, fixed for the session's life.
struct SessionContext
{
    flow::ConnectionId connectionId = 0;
    std::string clientAddress;
    std::string listenAddress; // "127.0.0.1:8080", shown on the info page
    Http1Limits http1;
    ProxyLimits proxy;
    Timeouts timeouts;
    std::shared_ptr<flow::BodyBudget> bodies;
    std::shared_ptr<std::atomic<flow::FlowId>> nextFlowId;
    // Live tunnels republish their byte counts this often.
    MonoTime tunnelPublishInterval = 1 * kSecond;

    flow::FlowId newFlowId() const { return ++*nextFlowId; }
};

} // namespace ts::proxy
