#include "core/flow/body.h"

#include <algorithm>

namespace ts::flow {

SpillFile::SpillFile() : m_file(std::tmpfile())
{}

SpillFile::~SpillFile()
{
    if (m_file)
        std::fclose(m_file);
}

std::int64_t SpillFile::append(std::string_view data)
{
    std::lock_guard lock(m_mutex);
    if (!m_file)
        return -1;
    // Seek to our own end, not SEEK_END: after a short write the file holds bytes past m_size
    // that no extent refers to, and offsets must stay where m_size says they are.
    if (std::fseek(m_file, long(m_size), SEEK_SET) != 0)
        return -1;
    const auto offset = static_cast<std::int64_t>(m_size);
    if (std::fwrite(data.data(), 1, data.size(), m_file) != data.size())
        return -1;
    m_size += data.size();
    return offset;
}

bool SpillFile::read(std::int64_t offset, char *out, std::size_t length) const
{
    std::lock_guard lock(m_mutex);
    if (!m_file)
        return false;
    std::fflush(m_file);
    if (std::fseek(m_file, offset, SEEK_SET) != 0)
        return false;
    return std::fread(out, 1, length, m_file) == length;
}

std::uint64_t SpillFile::size() const
{
    std::lock_guard lock(m_mutex);
    return m_size;
}

std::uint64_t BodyBudget::bodyMemory() const
{
    const std::uint64_t all = inMemory.load();
    const std::uint64_t others = headerMemory.load() + logMemory.load() + messageMemory.load();
    return all > others ? all - others : 0; // the four are read one after the other
}

void BodyBudget::charge(std::atomic<std::uint64_t> &part, std::uint64_t bytes)
{
    part += bytes;
    inMemory += bytes;
}

void BodyBudget::release(std::atomic<std::uint64_t> &part, std::uint64_t bytes)
{
    part -= bytes;
    inMemory -= bytes;
}

Body::Body(std::shared_ptr<BodyBudget> budget) : m_budget(std::move(budget))
{}

Body::~Body()
{
    m_budget->inMemory -= m_memory.size();
}

void Body::append(std::string_view data)
{
    if (data.empty())
        return;
    std::lock_guard lock(m_mutex);
    m_seen += data.size();
    const std::uint64_t cap = m_budget->perBodyRecorded.load(std::memory_order_relaxed);
    if (m_recorded >= cap)
        return;
    data = data.substr(0, cap - m_recorded);
    m_recorded += data.size();

    if (!m_spilled) {
        const bool fitsBody = m_memory.size() + data.size() <= m_budget->perBodyMemory;
        if (fitsBody && reserveMemory(data.size())) {
            m_memory.append(data);
            return;
        }
        spillMemoryLocked();
    }
    const std::int64_t offset = m_budget->spill->append(data);
    if (offset < 0) {
        m_recorded -= data.size(); // the disk refused: count, do not keep
        return;
    }
    if (!m_extents.empty()
        && m_extents.back().offset + std::int64_t(m_extents.back().length) == offset)
        m_extents.back().length += data.size();
    else
        m_extents.push_back({offset, data.size()});
}

void Body::appendUnrecorded(std::uint64_t bytes)
{
    std::lock_guard lock(m_mutex);
    m_seen += bytes;
}

bool Body::reserveMemory(std::uint64_t bytes)
{
    // Check and add in one step: bodies on different threads share the total, and a separate
    // load and add would let two of them pass the check together and overshoot it.
    std::uint64_t current = m_budget->inMemory.load();
    do {
        if (current + bytes > m_budget->totalMemory)
            return false;
    } while (!m_budget->inMemory.compare_exchange_weak(current, current + bytes));
    return true;
}

void Body::spillMemoryLocked()
{
    m_spilled = true;
    if (m_memory.empty())
        return;
    const std::int64_t offset = m_budget->spill->append(m_memory);
    if (offset >= 0)
        m_extents.push_back({offset, m_memory.size()});
    else
        m_recorded -= m_memory.size();
    m_budget->inMemory -= m_memory.size();
    std::string().swap(m_memory);
}

std::uint64_t Body::spill()
{
    std::lock_guard lock(m_mutex);
    if (m_spilled || m_memory.empty())
        return 0;
    const std::uint64_t held = m_memory.size();
    spillMemoryLocked();
    return held;
}

void Body::expect(std::uint64_t size)
{
    std::lock_guard lock(m_mutex);
    if (!m_spilled && size <= m_budget->perBodyMemory && size > m_memory.capacity())
        m_memory.reserve(size);
}

std::uint64_t Body::size() const
{
    std::lock_guard lock(m_mutex);
    return m_seen;
}

std::uint64_t Body::recordedSize() const
{
    std::lock_guard lock(m_mutex);
    return m_recorded;
}

bool Body::truncated() const
{
    std::lock_guard lock(m_mutex);
    return m_seen > m_recorded;
}

bool Body::spilled() const
{
    std::lock_guard lock(m_mutex);
    return m_spilled;
}

std::string Body::read(std::uint64_t offset, std::uint64_t maxBytes) const
{
    std::lock_guard lock(m_mutex);
    if (!m_spilled) {
        if (offset >= m_memory.size())
            return {};
        return m_memory.substr(offset, std::min<std::uint64_t>(maxBytes, m_memory.size() - offset));
    }
    std::string out;
    std::uint64_t position = 0;
    for (const Extent &e : m_extents) {
        if (out.size() >= maxBytes)
            break;
        const std::uint64_t end = position + e.length;
        if (end > offset) {
            const std::uint64_t skip = offset > position ? offset - position : 0;
            const std::uint64_t take
                = std::min<std::uint64_t>(e.length - skip, maxBytes - out.size());
            const std::size_t at = out.size();
            out.resize(at + take);
            if (!m_budget->spill->read(e.offset + std::int64_t(skip), out.data() + at, take)) {
                out.resize(at);
                break;
            }
        }
        position = end;
    }
    return out;
}

} // namespace ts::flow
