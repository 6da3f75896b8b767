#include "core/flow/log_feed.h"

#include <algorithm>

namespace ts::flow {

LogFeed::LogFeed(std::size_t frameCapacity, std::size_t streamCapacity)
    : m_frameCapacity(std::max<std::size_t>(frameCapacity, 1))
    , m_streamCapacity(std::max<std::size_t>(streamCapacity, 1))
{}

void LogFeed::addFrame(FrameRecord frame)
{
    ConnectionLog::cutSummary(frame.summary);
    std::lock_guard lock(m_mutex);
    if (m_frames.size() >= m_frameCapacity) {
        m_frames.pop_front();
        ++m_dropped;
    }
    m_frames.push_back(std::move(frame));
}

void LogFeed::closed()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
}

LogFeed::Stream &LogFeed::streamLocked(std::uint64_t id)
{
    if (const auto it = m_streams.find(id); it != m_streams.end())
        return it->second;
    if (m_streams.size() >= m_streamCapacity)
        m_streams.erase(m_streams.begin()); // the oldest: ids only grow
    Stream &s = m_streams[id];
    s.record.id = id;
    return s;
}

LogFeed::Batch LogFeed::take()
{
    Batch b;
    std::lock_guard lock(m_mutex);
    b.frames.reserve(m_frames.size());
    for (FrameRecord &f : m_frames)
        b.frames.push_back(std::move(f));
    std::deque<FrameRecord>().swap(m_frames);
    b.dropped = std::exchange(m_dropped, 0);
    std::sort(m_changed.begin(), m_changed.end());
    for (const std::uint64_t id : m_changed) {
        if (const auto it = m_streams.find(id); it != m_streams.end()) {
            it->second.changed = false;
            b.streams.push_back(it->second.record);
        }
    }
    m_changed.clear();
    if (m_closed && !m_done) {
        b.closed = true;
        m_done = true;
        m_streams.clear(); // taken whole above when changed; no batch follows
    }
    return b;
}

bool LogFeed::done() const
{
    std::lock_guard lock(m_mutex);
    return m_done;
}

} // namespace ts::flow
