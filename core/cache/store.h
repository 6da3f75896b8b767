#pragma once

#include "core/cache/http_date.h"
#include "core/cache/rules.h"
#include "core/http/message.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

// Where the cache keeps responses: an index in memory, bodies behind an interface.
namespace ts::cache {

// A stored body, immutable once stored and shared by every response served from it. In memory
// today; a body on disk implements the same interface later and counts little memory.
class StoredBody
{
public:
    virtual ~StoredBody() = default;
    virtual std::uint64_t size() const = 0;
    // Bytes [offset, offset + length), clipped to the end.
    virtual std::string read(std::uint64_t offset, std::uint64_t length) const = 0;
    // What it costs of the memory budget.
    virtual std::uint64_t memoryBytes() const = 0;
};

// A body in one shared immutable buffer.
class MemoryBody final : public StoredBody
{
public:
    explicit MemoryBody(std::string data)
        : m_data(std::make_shared<const std::string>(std::move(data)))
    {}
    std::uint64_t size() const override { return m_data->size(); }
    std::string read(std::uint64_t offset, std::uint64_t length) const override;
    std::uint64_t memoryBytes() const override { return m_data->size(); }
    const std::shared_ptr<const std::string> &buffer() const { return m_data; }

private:
    std::shared_ptr<const std::string> m_data;
};

// A response as the cache keeps it. Immutable once in the store: an update (§4.3.4) stores a
// new one that shares the body.
struct StoredResponse
{
    std::string key;         // primary key (§2): "GET https://example.com/a"
    std::string uri;         // the target URI
    VaryKey vary;            // the selecting fields of the request that brought it (§4.1)
    http::Response response; // without the fields a cache does not store (§3.1)
    std::shared_ptr<const StoredBody> body;
    Seconds requestTime = 0;     // §4.2.3 request_time
    Seconds responseTime = 0;    // §4.2.3 response_time
    std::int64_t initialAge = 0; // §4.2.3 corrected_initial_age
    Freshness freshness;
    Seconds storedAt = 0;

    std::int64_t currentAge(Seconds now) const { return initialAge + (now - responseTime); }
    bool fresh(Seconds now) const { return freshness.lifetime > currentAge(now); }
    std::uint64_t bytes() const; // what it costs of the budget: fields, key and body
    const std::string *etag() const { return http::findHeader(response.fields, "ETag"); }
    const std::string *lastModified() const
    {
        return http::findHeader(response.fields, "Last-Modified");
    }
};
using Entry = std::shared_ptr<const StoredResponse>;

// One row of the cache pane.
struct EntryInfo
{
    std::string uri;
    std::string varyKey;
    int status = 0;
    std::uint64_t size = 0;
    Seconds storedAt = 0;
    std::int64_t age = 0;
    std::int64_t freshnessLifetime = 0;
    std::string freshnessSource;
    bool fresh = false;
    std::string etag;
    std::string lastModified;
    std::uint64_t hits = 0;
    Seconds lastHit = 0; // 0: never
    Entry entry;
};

// The store: responses by primary key, each key's variants side by side, under a byte budget
// with least-recently-used eviction. Thread-safe without a global lock: keys are spread over
// shards by hash, each with its own mutex, LRU list and share of the budget, so lookups of
// different keys rarely meet on a lock.
class Store
{
public:
    explicit Store(std::uint64_t budgetBytes, std::size_t shards = 16);
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // The variants stored under a primary key.
    std::vector<Entry> variants(const std::string &key) const;
    // Stores a response, replacing the variant of its key with the same Vary key, and evicts
    // least recently used entries of its shard until the shard is within its budget. False
    // when the response alone is larger than a shard's budget (nothing changes then).
    bool insert(Entry entry, std::vector<Entry> *evicted = nullptr);
    // Swaps an entry for its updated self (a 304 merged into it), keeping its hits; false when
    // `old` is no longer stored.
    bool replace(const Entry &old, Entry updated);
    // Counts a hit and makes it the most recently used.
    void touch(const Entry &entry, Seconds now);

    bool erase(const Entry &entry);
    std::size_t erase(const std::string &key); // every variant of a key
    std::size_t eraseIf(const std::function<bool(const EntryInfo &)> &predicate, Seconds now);
    void clear();

    std::vector<EntryInfo> entries(Seconds now) const;
    std::uint64_t bytes() const;
    std::size_t size() const;
    std::uint64_t budget() const { return m_budget; }

private:
    struct Slot
    {
        Entry entry;
        std::uint64_t hits = 0;
        Seconds lastHit = 0;
    };
    struct Shard
    {
        mutable std::mutex mutex;
        std::list<Slot> lru; // front: most recently used
        std::unordered_map<std::string, std::vector<std::list<Slot>::iterator>> byKey;
        std::uint64_t bytes = 0;
    };
    Shard &shardFor(const std::string &key) const;
    static void unlink(Shard &shard, std::list<Slot>::iterator it);
    static EntryInfo info(const Slot &slot, Seconds now);

    std::uint64_t m_budget;
    std::uint64_t m_shardBudget;
    std::unique_ptr<Shard[]> m_shards;
    std::size_t m_shardCount;
};

} // namespace ts::cache
