#include "core/flow/connection_log.h"

#include <algorithm>

namespace ts::flow {

ConnectionLog::ConnectionLog(std::size_t frameCapacity, std::size_t streamCapacity)
    : m_frameCapacity(std::max<std::size_t>(frameCapacity, 1))
    , m_streamCapacity(std::max<std::size_t>(streamCapacity, 1))
{}

void ConnectionLog::addFrame(FrameRecord frame)
{
    if (frame.summary.size() > kMaxSummaryBytes) {
        std::size_t cut = kMaxSummaryBytes;
        // Not inside a UTF-8 sequence: back up over continuation bytes.
        while (cut > 0 && (static_cast<unsigned char>(frame.summary[cut]) & 0xC0) == 0x80)
            --cut;
        const std::size_t left = frame.summary.size() - cut;
        frame.summary.resize(cut);
        frame.summary += "\u2026 (" + std::to_string(left) + " more bytes)";
    }
    std::lock_guard lock(m_mutex);
    ++m_framesSeen;
    ++m_version;
    if (m_frames.size() >= m_frameCapacity) {
        m_frames.pop_front();
        ++m_framesDropped;
    }
    m_frames.push_back(std::move(frame));
}

void ConnectionLog::closed()
{
    std::lock_guard lock(m_mutex);
    if (m_frames.size() <= kClosedFrameCapacity)
        return;
    const std::size_t drop = m_frames.size() - kClosedFrameCapacity;
    m_frames.erase(m_frames.begin(), m_frames.begin() + std::ptrdiff_t(drop));
    m_frames.shrink_to_fit();
    m_framesDropped += drop;
    ++m_version;
}

void ConnectionLog::addDropped(std::uint64_t count)
{
    std::lock_guard lock(m_mutex);
    m_framesSeen += count;
    m_framesDropped += count;
    ++m_version;
}

StreamRecord &ConnectionLog::streamLocked(std::uint32_t id)
{
    // Streams arrive in ascending order almost always: look from the back.
    auto it = std::lower_bound(m_streams.begin(), m_streams.end(), id,
                               [](const StreamRecord &s, std::uint32_t v) { return s.id < v; });
    if (it != m_streams.end() && it->id == id)
        return *it;
    if (m_streams.size() >= m_streamCapacity) {
        m_streams.pop_front();
        it = std::lower_bound(m_streams.begin(), m_streams.end(), id,
                              [](const StreamRecord &s, std::uint32_t v) { return s.id < v; });
    }
    it = m_streams.insert(it, StreamRecord{});
    it->id = id;
    return *it;
}

std::vector<FrameRecord> ConnectionLog::frames() const
{
    std::lock_guard lock(m_mutex);
    return {m_frames.begin(), m_frames.end()};
}

std::vector<StreamRecord> ConnectionLog::streams() const
{
    std::lock_guard lock(m_mutex);
    return {m_streams.begin(), m_streams.end()};
}

std::uint64_t ConnectionLog::framesSeen() const
{
    std::lock_guard lock(m_mutex);
    return m_framesSeen;
}

std::uint64_t ConnectionLog::framesDropped() const
{
    std::lock_guard lock(m_mutex);
    return m_framesDropped;
}

std::size_t ConnectionLog::streamCount() const
{
    std::lock_guard lock(m_mutex);
    return m_streams.size();
}

std::uint64_t ConnectionLog::version() const
{
    std::lock_guard lock(m_mutex);
    return m_version;
}

} // namespace ts::flow
