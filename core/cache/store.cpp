#include "core/cache/store.h"

#include <algorithm>

namespace ts::cache {

std::string MemoryBody::read(std::uint64_t offset, std::uint64_t length) const
{
    if (offset >= m_data->size())
        return {};
    return m_data->substr(offset, length);
}

std::uint64_t StoredResponse::bytes() const
{
    std::uint64_t n = key.size() + uri.size() + response.reason.size() + sizeof(StoredResponse);
    for (const http::Field &f : response.fields)
        n += f.name.size() + f.value.size() + 4;
    for (const auto &[name, value] : vary)
        n += name.size() + (value ? value->size() : 0);
    if (body)
        n += body->memoryBytes();
    return n;
}

Store::Store(std::uint64_t budgetBytes, std::size_t shards)
    : m_budget(budgetBytes)
    , m_shardBudget(budgetBytes / std::max<std::size_t>(1, shards))
    , m_shards(std::make_unique<Shard[]>(std::max<std::size_t>(1, shards)))
    , m_shardCount(std::max<std::size_t>(1, shards))
{}

Store::Shard &Store::shardFor(const std::string &key) const
{
    return m_shards[std::hash<std::string>{}(key) % m_shardCount];
}

void Store::unlink(Shard &shard, std::list<Slot>::iterator it)
{
    const std::string &key = it->entry->key;
    auto found = shard.byKey.find(key);
    if (found != shard.byKey.end()) {
        std::erase(found->second, it);
        if (found->second.empty())
            shard.byKey.erase(found);
    }
    shard.bytes -= it->entry->bytes();
    shard.lru.erase(it);
}

std::vector<Entry> Store::variants(const std::string &key) const
{
    Shard &shard = shardFor(key);
    std::lock_guard lock(shard.mutex);
    std::vector<Entry> out;
    if (auto it = shard.byKey.find(key); it != shard.byKey.end()) {
        for (const auto &slot : it->second)
            out.push_back(slot->entry);
    }
    return out;
}

bool Store::insert(Entry entry, std::vector<Entry> *evicted)
{
    const std::uint64_t size = entry->bytes();
    if (size > m_shardBudget)
        return false;
    Shard &shard = shardFor(entry->key);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.byKey.find(entry->key); it != shard.byKey.end()) {
        auto same = std::find_if(it->second.begin(), it->second.end(), [&](const auto &slot) {
            return slot->entry->vary == entry->vary;
        });
        if (same != it->second.end())
            unlink(shard, *same);
    }
    shard.lru.push_front(Slot{entry, 0, 0});
    shard.byKey[entry->key].push_back(shard.lru.begin());
    shard.bytes += size;
    while (shard.bytes > m_shardBudget && shard.lru.size() > 1) {
        auto last = std::prev(shard.lru.end());
        if (evicted)
            evicted->push_back(last->entry);
        unlink(shard, last);
    }
    return true;
}

bool Store::replace(const Entry &old, Entry updated)
{
    Shard &shard = shardFor(old->key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.byKey.find(old->key);
    if (found == shard.byKey.end())
        return false;
    auto slot = std::find_if(found->second.begin(), found->second.end(),
                             [&](const auto &s) { return s->entry == old; });
    if (slot == found->second.end())
        return false;
    auto it = *slot;
    shard.bytes -= old->bytes();
    shard.bytes += updated->bytes();
    it->entry = std::move(updated);
    shard.lru.splice(shard.lru.begin(), shard.lru, it);
    return true;
}

void Store::touch(const Entry &entry, Seconds now)
{
    Shard &shard = shardFor(entry->key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.byKey.find(entry->key);
    if (found == shard.byKey.end())
        return;
    for (auto it : found->second) {
        if (it->entry == entry) {
            ++it->hits;
            it->lastHit = now;
            shard.lru.splice(shard.lru.begin(), shard.lru, it);
            return;
        }
    }
}

bool Store::erase(const Entry &entry)
{
    Shard &shard = shardFor(entry->key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.byKey.find(entry->key);
    if (found == shard.byKey.end())
        return false;
    for (auto it : found->second) {
        if (it->entry == entry) {
            unlink(shard, it);
            return true;
        }
    }
    return false;
}

std::size_t Store::erase(const std::string &key)
{
    Shard &shard = shardFor(key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.byKey.find(key);
    if (found == shard.byKey.end())
        return 0;
    const auto slots = found->second; // unlink edits the vector
    for (auto it : slots)
        unlink(shard, it);
    return slots.size();
}

std::size_t Store::eraseIf(const std::function<bool(const EntryInfo &)> &predicate, Seconds now)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < m_shardCount; ++i) {
        Shard &shard = m_shards[i];
        std::lock_guard lock(shard.mutex);
        for (auto it = shard.lru.begin(); it != shard.lru.end();) {
            auto next = std::next(it);
            if (predicate(info(*it, now))) {
                unlink(shard, it);
                ++n;
            }
            it = next;
        }
    }
    return n;
}

void Store::clear()
{
    for (std::size_t i = 0; i < m_shardCount; ++i) {
        Shard &shard = m_shards[i];
        std::lock_guard lock(shard.mutex);
        shard.lru.clear();
        shard.byKey.clear();
        shard.bytes = 0;
    }
}

EntryInfo Store::info(const Slot &slot, Seconds now)
{
    const StoredResponse &e = *slot.entry;
    EntryInfo i;
    i.uri = e.uri;
    i.varyKey = formatVaryKey(e.vary);
    i.status = e.response.status;
    i.size = e.body ? e.body->size() : 0;
    i.storedAt = e.storedAt;
    i.age = e.currentAge(now);
    i.freshnessLifetime = e.freshness.lifetime;
    i.freshnessSource = e.freshness.source;
    i.fresh = e.fresh(now);
    i.etag = e.etag() ? *e.etag() : std::string();
    i.lastModified = e.lastModified() ? *e.lastModified() : std::string();
    i.hits = slot.hits;
    i.lastHit = slot.lastHit;
    i.entry = slot.entry;
    return i;
}

std::vector<EntryInfo> Store::entries(Seconds now) const
{
    std::vector<EntryInfo> out;
    for (std::size_t i = 0; i < m_shardCount; ++i) {
        const Shard &shard = m_shards[i];
        std::lock_guard lock(shard.mutex);
        for (const Slot &slot : shard.lru)
            out.push_back(info(slot, now));
    }
    std::sort(out.begin(), out.end(), [](const EntryInfo &a, const EntryInfo &b) {
        return a.uri != b.uri ? a.uri < b.uri : a.varyKey < b.varyKey;
    });
    return out;
}

std::uint64_t Store::bytes() const
{
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < m_shardCount; ++i) {
        std::lock_guard lock(m_shards[i].mutex);
        n += m_shards[i].bytes;
    }
    return n;
}

std::size_t Store::size() const
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < m_shardCount; ++i) {
        std::lock_guard lock(m_shards[i].mutex);
        n += m_shards[i].lru.size();
    }
    return n;
}

} // namespace ts::cache
