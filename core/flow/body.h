#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ts::flow {

// One anonymous temporary file that every spilled body of a store appends to. Thread-safe.
class SpillFile
{
public:
    SpillFile();
    ~SpillFile();
    SpillFile(const SpillFile &) = delete;
    SpillFile &operator=(const SpillFile &) = delete;

    // Appends and returns the offset, or -1 when the file cannot be written.
    std::int64_t append(std::string_view data);
    bool read(std::int64_t offset, char *out, std::size_t length) const;
    std::uint64_t size() const;

private:
    mutable std::mutex m_mutex;
    std::FILE *m_file = nullptr;
    std::uint64_t m_size = 0;
};

// The memory budget of a store's records, shared by every body, header list and connection
// log it holds. Bodies check it before they grow in RAM; the store spills older records to
// disk when header lists and frame logs push the total past it (FlowStore::keepWithinBudget).
struct BodyBudget
{
    // Atomic: the settings dialog changes them while worker threads record bodies.
    std::atomic<std::uint64_t> perBodyMemory{1 << 20};        // in RAM per body; then it spills
    std::atomic<std::uint64_t> totalMemory{256ull << 20};     // in RAM across all records
    std::atomic<std::uint64_t> perBodyRecorded{256ull << 20}; // recorded per body; then counted
    // Current RAM use of all records: bodies, plus headerMemory, logMemory and messageMemory.
    std::atomic<std::uint64_t> inMemory{0};
    std::atomic<std::uint64_t> headerMemory{0};  // header and trailer lists of stored flows
    std::atomic<std::uint64_t> logMemory{0};     // frames and streams of connection logs
    std::atomic<std::uint64_t> messageMemory{0}; // WebSocket messages of flows (never spilled)
    // Frames left out of closed connections' logs because the spill file could not take them.
    std::atomic<std::uint64_t> framesDroppedForBudget{0};
    std::shared_ptr<SpillFile> spill = std::make_shared<SpillFile>();

    std::uint64_t bodyMemory() const;
    bool over() const { return inMemory.load() > totalMemory.load(); }
    // Header lists and logs: `part` is headerMemory or logMemory; inMemory moves with it.
    void charge(std::atomic<std::uint64_t> &part, std::uint64_t bytes);
    void release(std::atomic<std::uint64_t> &part, std::uint64_t bytes);
};

// A recorded message body: append-only, written by the engine, read by the UI and exporters
// from any thread. Kept in memory up to the budget, then moved to the spill file. Bytes past
// perBodyRecorded are counted but not kept (truncated() says so).
class Body
{
public:
    explicit Body(std::shared_ptr<BodyBudget> budget);
    // The budget it is kept within (the store's), for whatever else its flow records.
    const std::shared_ptr<BodyBudget> &budget() const { return m_budget; }
    ~Body();
    Body(const Body &) = delete;
    Body &operator=(const Body &) = delete;

    void append(std::string_view data);
    // Counts bytes that were seen but not kept: a session file or HAR read back a body that
    // was truncated when recorded.
    void appendUnrecorded(std::uint64_t bytes);
    // The size the body will have (Content-Length): kept in memory, it is allocated once
    // instead of growing by doubling. Ignored when over the per-body memory cap.
    void expect(std::uint64_t size);

    std::uint64_t size() const;         // bytes seen (recorded or not)
    std::uint64_t recordedSize() const; // bytes kept
    bool truncated() const;
    bool spilled() const;
    // Moves what is kept in RAM to the spill file (the store makes room for newer records);
    // returns the bytes of RAM given back. Appending afterwards goes to the file.
    std::uint64_t spill();
    // Up to maxBytes from the start of the recorded bytes.
    std::string read(std::uint64_t offset = 0, std::uint64_t maxBytes = UINT64_MAX) const;

private:
    struct Extent
    {
        std::int64_t offset;
        std::uint64_t length;
    };
    bool reserveMemory(std::uint64_t bytes);
    void spillMemoryLocked();

    std::shared_ptr<BodyBudget> m_budget;
    mutable std::mutex m_mutex;
    std::string m_memory;
    std::vector<Extent> m_extents; // when spilled
    std::uint64_t m_seen = 0;
    std::uint64_t m_recorded = 0;
    bool m_spilled = false;
};

} // namespace ts::flow
