#pragma once

#include <atomic>
#include <cstdint>

namespace ts::flow {

using FlowId = std::uint64_t;
using ConnectionId = std::uint64_t;

// The one source of flow and connection ids for everything that records into a store: the
// proxy engine, the composer, a `tunnelscope send`. Two counters handed out separately gave
// two records the same id, and the later one replaced the earlier in the store.
struct IdSource
{
    std::atomic<FlowId> lastFlow{0};
    std::atomic<ConnectionId> lastConnection{0};

    FlowId newFlowId() { return ++lastFlow; }
    // `count` flow ids in a row (an imported file's): the first is the returned value + 1.
    FlowId takeFlowIds(std::uint64_t count) { return lastFlow.fetch_add(count); }
    ConnectionId newConnectionId() { return ++lastConnection; }
    // Ids up to these are taken (records opened from a file): new ones count on from here.
    void reserve(FlowId flow, ConnectionId connection)
    {
        raise(lastFlow, flow);
        raise(lastConnection, connection);
    }

private:
    static void raise(std::atomic<std::uint64_t> &counter, std::uint64_t to)
    {
        std::uint64_t now = counter.load();
        while (now < to && !counter.compare_exchange_weak(now, to)) {
        }
    }
};

} // namespace ts::flow
