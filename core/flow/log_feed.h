#pragma once

#include "core/flow/connection_log.h"

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace ts::flow {

// What an engine worker records of one connection's frames and streams until the FlowStore
// takes it, every batch (~50 ms), into the connection's ConnectionLog. The only structure
// both sides touch, under a short lock: the worker never waits for the window, and the window
// reads the store's log, never a worker's. Bounded: frames not yet taken beyond
// `frameCapacity` are dropped, oldest first, and counted; the newest `streamCapacity` streams
// are kept (a stream's record accumulates: its bytes, windows and history).
class LogFeed
{
public:
    explicit LogFeed(std::size_t frameCapacity = 10000, std::size_t streamCapacity = 10000);
    LogFeed(const LogFeed &) = delete;
    LogFeed &operator=(const LogFeed &) = delete;

    void addFrame(FrameRecord frame);
    // The stream's record, created when new; `change` runs under the lock. The whole record
    // goes with the next batch.
    template<typename F>
    void editStream(std::uint64_t id, F &&change)
    {
        std::lock_guard lock(m_mutex);
        Stream &s = streamLocked(id);
        change(s.record);
        if (!std::exchange(s.changed, true))
            m_changed.push_back(id);
    }
    // The connection closed: the next batch says so.
    void closed();

    std::size_t frameCapacity() const { return m_frameCapacity; }
    std::size_t streamCapacity() const { return m_streamCapacity; }

    // What was recorded since the last take().
    struct Batch
    {
        std::vector<FrameRecord> frames;   // oldest first
        std::uint64_t dropped = 0;         // frames dropped before `frames`, never taken
        std::vector<StreamRecord> streams; // the changed ones, whole, by id
        bool closed = false;               // closed() was called (once, then false again)
        bool empty() const { return frames.empty() && dropped == 0 && streams.empty() && !closed; }
    };
    Batch take();
    // Whether a batch said closed: nothing more will come.
    bool done() const;

private:
    struct Stream
    {
        StreamRecord record;
        bool changed = false;
    };
    Stream &streamLocked(std::uint64_t id);

    mutable std::mutex m_mutex;
    std::size_t m_frameCapacity;
    std::size_t m_streamCapacity;
    std::deque<FrameRecord> m_frames;
    std::uint64_t m_dropped = 0;
    std::map<std::uint64_t, Stream> m_streams;
    std::vector<std::uint64_t> m_changed; // ids of the streams changed since take()
    bool m_closed = false;
    bool m_done = false;
};

} // namespace ts::flow
