#include "core/flow/connection_log.h"

#include <algorithm>
#include <cstring>

namespace ts::flow {

namespace {

// Heap bytes a string holds beyond its own object (none while it fits inline).
std::uint64_t heapBytes(const std::string &s)
{
    static const std::size_t inlineCapacity = std::string().capacity();
    return s.capacity() > inlineCapacity ? s.capacity() + 1 : 0;
}

// The spill file's form of frames and streams: fixed-width fields in host byte order (the
// file lives and dies with this process), strings as a length and their bytes.
class Writer
{
public:
    template<typename T>
    void put(T value)
    {
        m_out.append(reinterpret_cast<const char *>(&value), sizeof value);
    }
    void put(const std::string &s)
    {
        put(std::uint32_t(s.size()));
        m_out += s;
    }
    std::string &out() { return m_out; }

private:
    std::string m_out;
};

class Reader
{
public:
    explicit Reader(std::string_view in) : m_in(in) {}
    template<typename T>
    T get()
    {
        T value{};
        if (m_in.size() < sizeof value) {
            m_failed = true;
            return value;
        }
        std::memcpy(&value, m_in.data(), sizeof value);
        m_in.remove_prefix(sizeof value);
        return value;
    }
    std::string string()
    {
        const auto n = get<std::uint32_t>();
        if (m_in.size() < n) {
            m_failed = true;
            return {};
        }
        std::string s(m_in.substr(0, n));
        m_in.remove_prefix(n);
        return s;
    }
    bool failed() const { return m_failed; }

private:
    std::string_view m_in;
    bool m_failed = false;
};

void write(Writer &w, const FrameRecord &f)
{
    w.put(f.micros);
    w.put(std::uint8_t(f.inbound));
    w.put(f.type);
    w.put(f.flags);
    w.put(f.stream);
    w.put(f.length);
    w.put(f.summary);
}

FrameRecord readFrame(Reader &r)
{
    FrameRecord f;
    f.micros = r.get<std::int64_t>();
    f.inbound = r.get<std::uint8_t>() != 0;
    f.type = r.get<decltype(f.type)>();
    f.flags = r.get<decltype(f.flags)>();
    f.stream = r.get<decltype(f.stream)>();
    f.length = r.get<decltype(f.length)>();
    f.summary = r.string();
    return f;
}

void write(Writer &w, const StreamRecord &s)
{
    w.put(s.id);
    w.put(s.flow);
    w.put(s.summary);
    w.put(std::uint32_t(s.history.size()));
    for (const StreamTransition &t : s.history) {
        w.put(t.micros);
        w.put(t.state);
    }
    w.put(s.bytesIn);
    w.put(s.bytesOut);
    w.put(s.localWindow);
    w.put(s.remoteWindow);
    w.put(s.resetCode);
    w.put(std::uint8_t(s.closed));
}

StreamRecord readStream(Reader &r)
{
    StreamRecord s;
    s.id = r.get<decltype(s.id)>();
    s.flow = r.get<FlowId>();
    s.summary = r.string();
    const auto transitions = r.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < transitions && !r.failed(); ++i) {
        StreamTransition t;
        t.micros = r.get<std::int64_t>();
        t.state = r.string();
        s.history.push_back(std::move(t));
    }
    s.bytesIn = r.get<std::uint64_t>();
    s.bytesOut = r.get<std::uint64_t>();
    s.localWindow = r.get<std::int32_t>();
    s.remoteWindow = r.get<std::int32_t>();
    s.resetCode = r.get<std::int32_t>();
    s.closed = r.get<std::uint8_t>() != 0;
    return s;
}

} // namespace

ConnectionLog::ConnectionLog(std::size_t frameCapacity, std::size_t streamCapacity)
    : m_frameCapacity(std::max<std::size_t>(frameCapacity, 1))
    , m_streamCapacity(std::max<std::size_t>(streamCapacity, 1))
{}

ConnectionLog::~ConnectionLog()
{
    if (m_budget)
        m_budget->release(m_budget->logMemory, m_bytes);
}

std::uint64_t ConnectionLog::frameBytes(const FrameRecord &frame)
{
    return sizeof(FrameRecord) + heapBytes(frame.summary);
}

std::uint64_t ConnectionLog::streamBytes(const StreamRecord &stream)
{
    std::uint64_t n = sizeof(StreamRecord) + heapBytes(stream.summary)
                      + stream.history.capacity() * sizeof(StreamTransition);
    for (const StreamTransition &t : stream.history)
        n += heapBytes(t.state);
    return n;
}

void ConnectionLog::accountLocked(std::uint64_t before, std::uint64_t after)
{
    m_bytes = m_bytes - before + after;
    if (!m_budget)
        return;
    if (after > before)
        m_budget->charge(m_budget->logMemory, after - before);
    else if (before > after)
        m_budget->release(m_budget->logMemory, before - after);
}

void ConnectionLog::attach(std::shared_ptr<BodyBudget> budget)
{
    std::lock_guard lock(m_mutex);
    if (m_budget || !budget)
        return;
    m_budget = std::move(budget);
    m_budget->charge(m_budget->logMemory, m_bytes);
}

bool ConnectionLog::isClosed() const
{
    std::lock_guard lock(m_mutex);
    return m_closed;
}

bool ConnectionLog::spilled() const
{
    std::lock_guard lock(m_mutex);
    return m_spilled.offset >= 0;
}

std::uint64_t ConnectionLog::memoryBytes() const
{
    std::lock_guard lock(m_mutex);
    return m_bytes;
}

std::uint64_t ConnectionLog::spill()
{
    std::lock_guard lock(m_mutex);
    if (!m_budget || m_spilled.offset >= 0 || (m_frames.empty() && m_streams.empty()))
        return 0;
    const std::uint64_t held = m_bytes;
    Writer w;
    for (const FrameRecord &f : m_frames)
        write(w, f);
    const std::size_t frameBytes = w.out().size();
    for (const StreamRecord &s : m_streams)
        write(w, s);
    const std::int64_t offset = m_budget->spill ? m_budget->spill->append(w.out()) : -1;
    if (offset < 0) {
        // The disk refused: the frames go (counted, and shown as dropped for the budget); the
        // streams, one small record per stream, stay.
        const std::uint64_t dropped = m_frames.size();
        m_framesDropped += dropped;
        m_budget->framesDroppedForBudget += dropped;
        std::deque<FrameRecord>().swap(m_frames);
        std::uint64_t streams = 0;
        for (const StreamRecord &s : m_streams)
            streams += streamBytes(s);
        accountLocked(m_bytes, streams);
        ++m_version;
        return held - streams;
    }
    m_spilled
        = {offset, frameBytes, w.out().size() - frameBytes, m_frames.size(), m_streams.size()};
    std::deque<FrameRecord>().swap(m_frames);
    std::deque<StreamRecord>().swap(m_streams);
    accountLocked(m_bytes, 0);
    // The records did not change, only where they are: no new version, so no reader copies
    // them again.
    return held;
}

std::vector<FrameRecord> ConnectionLog::spilledFramesLocked() const
{
    std::vector<FrameRecord> out;
    if (m_spilled.offset < 0 || m_spilled.frameCount == 0)
        return out;
    std::string bytes(m_spilled.frameBytes, '\0');
    if (!m_budget->spill->read(m_spilled.offset, bytes.data(), bytes.size()))
        return out;
    Reader r(bytes);
    out.reserve(m_spilled.frameCount);
    for (std::size_t i = 0; i < m_spilled.frameCount && !r.failed(); ++i)
        out.push_back(readFrame(r));
    if (r.failed())
        out.clear();
    return out;
}

std::vector<StreamRecord> ConnectionLog::spilledStreamsLocked() const
{
    std::vector<StreamRecord> out;
    if (m_spilled.offset < 0 || m_spilled.streamCount == 0)
        return out;
    std::string bytes(m_spilled.streamBytes, '\0');
    if (!m_budget->spill->read(m_spilled.offset + std::int64_t(m_spilled.frameBytes), bytes.data(),
                               bytes.size()))
        return out;
    Reader r(bytes);
    out.reserve(m_spilled.streamCount);
    for (std::size_t i = 0; i < m_spilled.streamCount && !r.failed(); ++i)
        out.push_back(readStream(r));
    if (r.failed())
        out.clear();
    return out;
}

void ConnectionLog::restoreLocked()
{
    if (m_spilled.offset < 0)
        return;
    std::vector<FrameRecord> frames = spilledFramesLocked();
    std::vector<StreamRecord> streams = spilledStreamsLocked();
    m_spilled = {};
    std::uint64_t bytes = 0;
    for (FrameRecord &f : frames) {
        bytes += frameBytes(f);
        m_frames.push_back(std::move(f));
    }
    for (StreamRecord &s : streams) {
        bytes += streamBytes(s);
        m_streams.push_back(std::move(s));
    }
    accountLocked(0, bytes);
}

void ConnectionLog::cutSummary(std::string &summary)
{
    if (summary.size() <= kMaxSummaryBytes)
        return;
    std::size_t cut = kMaxSummaryBytes;
    // Not inside a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(summary[cut]) & 0xC0) == 0x80)
        --cut;
    const std::size_t left = summary.size() - cut;
    summary.resize(cut);
    summary += "\u2026 (" + std::to_string(left) + " more bytes)";
}

void ConnectionLog::putStream(StreamRecord stream)
{
    std::lock_guard lock(m_mutex);
    restoreLocked();
    StreamRecord &s = streamLocked(stream.id);
    const std::uint64_t before = streamBytes(s);
    s = std::move(stream);
    accountLocked(before, streamBytes(s));
    ++m_version;
}

void ConnectionLog::addFrame(FrameRecord frame)
{
    cutSummary(frame.summary);
    std::lock_guard lock(m_mutex);
    restoreLocked();
    ++m_framesSeen;
    ++m_version;
    std::uint64_t gone = 0;
    if (m_frames.size() >= m_frameCapacity) {
        gone = frameBytes(m_frames.front());
        m_frames.pop_front();
        ++m_framesDropped;
    }
    accountLocked(gone, frameBytes(frame));
    m_frames.push_back(std::move(frame));
}

void ConnectionLog::closed()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    if (m_frames.size() <= kClosedFrameCapacity)
        return;
    const std::size_t drop = m_frames.size() - kClosedFrameCapacity;
    std::uint64_t gone = 0;
    for (std::size_t i = 0; i < drop; ++i)
        gone += frameBytes(m_frames[i]);
    m_frames.erase(m_frames.begin(), m_frames.begin() + std::ptrdiff_t(drop));
    m_frames.shrink_to_fit();
    accountLocked(gone, 0);
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

StreamRecord &ConnectionLog::streamLocked(std::uint64_t id)
{
    // Streams arrive in ascending order almost always: look from the back.
    auto it = std::lower_bound(m_streams.begin(), m_streams.end(), id,
                               [](const StreamRecord &s, std::uint64_t v) { return s.id < v; });
    if (it != m_streams.end() && it->id == id)
        return *it;
    if (m_streams.size() >= m_streamCapacity) {
        accountLocked(streamBytes(m_streams.front()), 0);
        m_streams.pop_front();
        it = std::lower_bound(m_streams.begin(), m_streams.end(), id,
                              [](const StreamRecord &s, std::uint64_t v) { return s.id < v; });
    }
    it = m_streams.insert(it, StreamRecord{});
    it->id = id;
    return *it;
}

std::vector<FrameRecord> ConnectionLog::frames() const
{
    std::lock_guard lock(m_mutex);
    if (m_spilled.offset >= 0)
        return spilledFramesLocked(); // a spilled log changes no more (restoreLocked)
    return {m_frames.begin(), m_frames.end()};
}

std::vector<StreamRecord> ConnectionLog::streams() const
{
    std::lock_guard lock(m_mutex);
    if (m_spilled.offset >= 0)
        return spilledStreamsLocked();
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
    return m_spilled.offset >= 0 ? m_spilled.streamCount : m_streams.size();
}

std::uint64_t ConnectionLog::version() const
{
    std::lock_guard lock(m_mutex);
    return m_version;
}

} // namespace ts::flow
