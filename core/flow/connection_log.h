#pragma once

#include "core/base/time.h"
#include "core/flow/body.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ts::flow {

using FlowId = std::uint64_t;

// One frame as it crossed an HTTP/2 (later HTTP/3, WebSocket) connection.
struct FrameRecord
{
    std::int64_t micros = 0; // since the connection opened
    bool inbound = false;    // received from the peer; false: sent by the proxy
    // Widths fit every protocol recorded: HTTP/3 frame types, stream ids and lengths are
    // varints of up to 62 bits (RFC 9000 §16).
    std::uint64_t type = 0; // the protocol's frame type code (h2: RFC 9113 §6)
    std::uint8_t flags = 0; // h2's; HTTP/3 frames have none
    std::uint64_t stream = 0;
    std::uint64_t length = 0; // payload length
    std::string summary;      // decoded: "SETTINGS MAX_CONCURRENT_STREAMS=100 ...", header list
};

struct StreamTransition
{
    std::int64_t micros = 0; // since the connection opened
    std::string state;       // "open", "half-closed (remote)", "closed", "reset: CANCEL" ...
};

// One stream of a multiplexed connection, as the proxy saw it.
struct StreamRecord
{
    std::uint64_t id = 0;
    FlowId flow = 0;     // the exchange or tunnel flow it carries (0: none yet)
    std::string summary; // "CONNECT example.com:443", "GET /index.html"
    std::vector<StreamTransition> history;
    std::uint64_t bytesIn = 0;     // DATA payload received from the peer
    std::uint64_t bytesOut = 0;    // DATA payload sent to the peer
    std::int32_t localWindow = 0;  // what the peer may still send us
    std::int32_t remoteWindow = 0; // what we may still send the peer
    std::int32_t resetCode = -1;   // RST_STREAM error code, -1 when not reset
    bool closed = false;
};

// The frames and streams of one connection, as the window shows them. The FlowStore owns it:
// it writes what a worker's LogFeed gathered once a batch (or a session file's reader fills it
// before publishing it), and the window reads it after the store announced the batch
// (logsChanged). Every method locks all the same: cheap, and safe for tests and tools. Frames are
// kept in a ring of `frameCapacity`; older ones are dropped and counted, so a flood costs bounded
// memory. Streams: the newest `streamCapacity` kept. Once attached to a store's budget, the RAM the
// log holds is counted in it; the store spills a closed connection's log to the budget's spill file
// when the budget is exceeded, and frames() and streams() read it back from there.
class ConnectionLog
{
public:
    explicit ConnectionLog(std::size_t frameCapacity = 10000, std::size_t streamCapacity = 10000);
    ~ConnectionLog();
    ConnectionLog(const ConnectionLog &) = delete;
    ConnectionLog &operator=(const ConnectionLog &) = delete;

    // A summary longer than kMaxSummaryBytes is cut there (and says how much is left out): a
    // HEADERS frame of 64 KiB of fields would otherwise keep 64 KiB of text per frame.
    static constexpr std::size_t kMaxSummaryBytes = 1024;
    // What a connection's log keeps once the connection has closed: enough to see how it
    // went and how it ended, while ten thousand closed connections stay within memory.
    static constexpr std::size_t kClosedFrameCapacity = 1000;

    void addFrame(FrameRecord frame);
    // Cuts `summary` at kMaxSummaryBytes, not inside a UTF-8 sequence, saying how much is left.
    static void cutSummary(std::string &summary);
    // Replaces the stream's record (or adds it): what a LogFeed batch carries.
    void putStream(StreamRecord stream);
    // The connection closed: keep the newest kClosedFrameCapacity frames, count the others
    // as dropped, and take no more room than they need.
    void closed();
    // Counts frames dropped before the kept ones: a log read back from a session file.
    void addDropped(std::uint64_t count);
    // The stream's record, created when new; `change` runs under the lock.
    template<typename F>
    void editStream(std::uint64_t id, F &&change)
    {
        std::lock_guard lock(m_mutex);
        restoreLocked();
        StreamRecord &s = streamLocked(id);
        const std::uint64_t before = streamBytes(s);
        change(s);
        accountLocked(before, streamBytes(s));
        ++m_version;
    }

    // Counts what the log holds in `budget` from now on (once; later calls change nothing).
    void attach(std::shared_ptr<BodyBudget> budget);
    // Whether closed() was called.
    bool isClosed() const;
    // Moves the frames and streams to the budget's spill file and returns the RAM given back.
    // When the file cannot take them, the frames are dropped instead (counted in
    // framesDropped() and the budget's framesDroppedForBudget) and the streams stay.
    std::uint64_t spill();
    bool spilled() const;
    // RAM held by the frames and streams kept in memory (an estimate of the allocations).
    std::uint64_t memoryBytes() const;
    static std::uint64_t frameBytes(const FrameRecord &frame);
    static std::uint64_t streamBytes(const StreamRecord &stream);

    std::vector<FrameRecord> frames() const;   // oldest first
    std::vector<StreamRecord> streams() const; // by id
    std::uint64_t framesSeen() const;
    std::uint64_t framesDropped() const;
    std::size_t frameCapacity() const { return m_frameCapacity; }
    std::size_t streamCapacity() const { return m_streamCapacity; }
    std::size_t streamCount() const;
    // Grows with every change: a reader polls it to know whether to copy again.
    std::uint64_t version() const;

private:
    StreamRecord &streamLocked(std::uint64_t id);
    // Replaces `before` bytes of records by `after`, here and in the budget.
    void accountLocked(std::uint64_t before, std::uint64_t after);
    // A spilled log that changes again comes back to memory first.
    void restoreLocked();
    std::vector<FrameRecord> spilledFramesLocked() const;
    std::vector<StreamRecord> spilledStreamsLocked() const;

    struct SpillExtent
    {
        std::int64_t offset = -1; // -1: nothing spilled
        std::uint64_t frameBytes = 0;
        std::uint64_t streamBytes = 0; // after the frames
        std::size_t frameCount = 0;
        std::size_t streamCount = 0;
    };

    mutable std::mutex m_mutex;
    std::shared_ptr<BodyBudget> m_budget;
    std::uint64_t m_bytes = 0; // RAM of m_frames and m_streams
    bool m_closed = false;
    SpillExtent m_spilled;
    std::size_t m_frameCapacity;
    std::size_t m_streamCapacity;
    std::deque<FrameRecord> m_frames;
    std::uint64_t m_framesSeen = 0;
    std::uint64_t m_framesDropped = 0;
    std::deque<StreamRecord> m_streams; // ascending ids
    std::uint64_t m_version = 0;
};

} // namespace ts::flow
