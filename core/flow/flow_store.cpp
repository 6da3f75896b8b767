#include "core/flow/flow_store.h"

#include <algorithm>
#include <cstring>

namespace ts::flow {

namespace {
constexpr int kBatchIntervalMs = 50;

std::uint64_t heapBytes(const std::string &s)
{
    static const std::size_t inlineCapacity = std::string().capacity();
    return s.capacity() > inlineCapacity ? s.capacity() + 1 : 0;
}

std::uint64_t listBytes(const HeaderList &list)
{
    std::uint64_t n = list.capacity() * sizeof(HeaderList::value_type);
    for (const auto &[name, value] : list)
        n += heapBytes(name) + heapBytes(value);
    return n;
}

// The six lists of a flow, in the spill file's order.
template<typename F>
void forEachList(F &&f, Flow &flow)
{
    for (HeaderList *list :
         {&flow.requestHeaders, &flow.requestTrailers, &flow.serverRequestHeaders,
          &flow.responseHeaders, &flow.responseTrailers, &flow.clientResponseHeaders})
        f(*list);
}

void putString(std::string &out, const std::string &s)
{
    const auto n = std::uint32_t(s.size());
    out.append(reinterpret_cast<const char *>(&n), sizeof n);
    out += s;
}

bool getString(std::string_view &in, std::string &s)
{
    std::uint32_t n = 0;
    if (in.size() < sizeof n)
        return false;
    std::memcpy(&n, in.data(), sizeof n);
    in.remove_prefix(sizeof n);
    if (in.size() < n)
        return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
}

} // namespace

std::uint64_t FlowStore::headerBytes(const Flow &f)
{
    return listBytes(f.requestHeaders) + listBytes(f.requestTrailers)
           + listBytes(f.serverRequestHeaders) + listBytes(f.responseHeaders)
           + listBytes(f.responseTrailers) + listBytes(f.clientResponseHeaders);
}

void FlowStore::chargeHeaders(std::uint64_t before, std::uint64_t after) const
{
    m_headerBytes = m_headerBytes - before + after;
    if (after > before)
        m_budget->charge(m_budget->headerMemory, after - before);
    else if (before > after)
        m_budget->release(m_budget->headerMemory, before - after);
}

FlowStore::FlowStore(QObject *parent) : QObject(parent), m_budget(std::make_shared<BodyBudget>())
{
    m_timer.setInterval(kBatchIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &FlowStore::apply);
    m_timer.start();
}

FlowStore::~FlowStore()
{
    chargeHeaders(m_headerBytes, 0); // the budget may outlive the store
}

void FlowStore::publish(const Flow &flow)
{
    std::lock_guard lock(m_queueMutex);
    m_queuedFlows.push_back(flow);
}

void FlowStore::publish(Flow &&flow)
{
    std::lock_guard lock(m_queueMutex);
    m_queuedFlows.push_back(std::move(flow));
}

void FlowStore::publish(const Connection &connection)
{
    std::lock_guard lock(m_queueMutex);
    m_queuedConnections.push_back(connection);
}

const Flow *FlowStore::find(FlowId id) const
{
    const std::size_t row = m_rowById.find(id);
    return row == SIZE_MAX ? nullptr : &at(row);
}

void FlowStore::spillHeaders(std::size_t row)
{
    Flow &f = m_flows[row];
    const std::uint64_t bytes = headerBytes(f);
    if (bytes == 0 || headersSpilled(row))
        return;
    std::string out;
    forEachList(
        [&](const HeaderList &list) {
            const auto n = std::uint32_t(list.size());
            out.append(reinterpret_cast<const char *>(&n), sizeof n);
            for (const auto &[name, value] : list) {
                putString(out, name);
                putString(out, value);
            }
        },
        f);
    const std::int64_t offset = m_budget->spill ? m_budget->spill->append(out) : -1;
    if (offset < 0)
        return; // the disk refused: they stay, counted
    forEachList([](HeaderList &list) { HeaderList().swap(list); }, f);
    chargeHeaders(bytes, 0);
    if (m_headersSpilled.size() <= row)
        m_headersSpilled.resize(std::max(row + 1, m_flows.size()));
    m_headersSpilled[row] = true;
    m_spilledHeaders[row] = {offset, out.size()};
}

void FlowStore::restoreHeaders(std::size_t row) const
{
    m_headersSpilled[row] = false;
    const auto it = m_spilledHeaders.find(row);
    if (it == m_spilledHeaders.end())
        return;
    const Extent extent = it->second;
    m_spilledHeaders.erase(it);
    std::string bytes(extent.length, '\0');
    if (!m_budget->spill->read(extent.offset, bytes.data(), bytes.size()))
        return; // lost with the file: the flow shows no headers rather than wrong ones
    Flow &f = m_flows[row];
    std::string_view in(bytes);
    bool ok = true;
    forEachList(
        [&](HeaderList &list) {
            std::uint32_t n = 0;
            if (!ok || in.size() < sizeof n) {
                ok = false;
                return;
            }
            std::memcpy(&n, in.data(), sizeof n);
            in.remove_prefix(sizeof n);
            list.reserve(std::min<std::size_t>(n, in.size() / 8));
            for (std::uint32_t i = 0; ok && i < n; ++i) {
                std::string name, value;
                ok = getString(in, name) && getString(in, value);
                if (ok)
                    list.emplace_back(std::move(name), std::move(value));
            }
        },
        f);
    chargeHeaders(0, headerBytes(f));
    // Read again: the newest to go if the budget needs room once more.
    m_finished.push_back(row);
}

std::size_t FlowStore::rowOf(FlowId id) const
{
    return m_rowById.find(id);
}

const Connection *FlowStore::connection(ConnectionId id) const
{
    const auto it = m_connectionRow.find(id);
    return it == m_connectionRow.end() ? nullptr : &m_connections[it->second];
}

void FlowStore::clear()
{
    {
        std::lock_guard lock(m_queueMutex);
        m_queuedFlows.clear();
        m_queuedConnections.clear();
    }
    chargeHeaders(m_headerBytes, 0);
    m_flows.clear();
    m_rowById.clear();
    m_connections.clear();
    m_connectionRow.clear();
    m_removedOpen.clear();
    m_closedLogs.clear();
    m_liveLogs.clear();
    m_finished.clear();
    m_headersSpilled.clear();
    m_spilledHeaders.clear();
    Q_EMIT cleared();
}

RemovedFlows FlowStore::remove(const std::vector<FlowId> &ids)
{
    apply(); // the rows named are the ones applied
    std::vector<std::size_t> rows;
    rows.reserve(ids.size());
    for (const FlowId id : ids) {
        if (const std::size_t row = m_rowById.find(id); row != SIZE_MAX)
            rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    RemovedFlows removed;
    if (rows.empty())
        return removed;
    removed.rows.reserve(rows.size());
    std::deque<Flow> kept;
    std::vector<std::size_t> newRow(m_flows.size(), SIZE_MAX);
    std::size_t next = 0;
    for (std::size_t row = 0; row < m_flows.size(); ++row) {
        if (next < rows.size() && rows[next] == row) {
            ++next;
            // It leaves with its header lists, and they leave the budget.
            chargeHeaders(headerBytes(at(row)), 0);
            if (m_flows[row].state == FlowState::Open)
                m_removedOpen.emplace(m_flows[row].id, nullptr);
            removed.rows.emplace_back(row, std::move(m_flows[row]));
        } else {
            newRow[row] = kept.size();
            kept.push_back(std::move(m_flows[row]));
        }
    }
    m_flows.swap(kept);
    reindex();
    renumberRows(newRow);
    Q_EMIT flowsRemoved(rows);
    return removed;
}

RemovedFlows FlowStore::takeAll()
{
    apply(); // what has arrived is cleared with the rest, and comes back with it
    RemovedFlows removed;
    removed.rows.reserve(m_flows.size());
    for (std::size_t row = 0; row < m_flows.size(); ++row) {
        at(row); // its header lists come back from the spill file, to leave with it
        if (m_flows[row].state == FlowState::Open)
            m_removedOpen.emplace(m_flows[row].id, nullptr);
        removed.rows.emplace_back(row, std::move(m_flows[row]));
    }
    removed.connections = std::move(m_connections);
    chargeHeaders(m_headerBytes, 0);
    m_flows.clear();
    m_rowById.clear();
    m_connections.clear();
    m_connectionRow.clear();
    m_closedLogs.clear();
    m_liveLogs.clear();
    m_finished.clear();
    m_headersSpilled.clear();
    m_spilledHeaders.clear();
    Q_EMIT cleared();
    return removed;
}

void FlowStore::restore(RemovedFlows removed)
{
    apply();
    for (Connection &c : removed.connections) {
        if (m_connectionRow.contains(c.id))
            continue; // updated since: the store's copy is newer
        const bool closed = c.log && (c.closedWall != 0 || c.log->isClosed());
        if (closed)
            m_closedLogs.push_back(m_connections.size());
        if (c.feed && c.log && !c.feed->done())
            m_liveLogs.push_back(m_connections.size());
        m_connectionRow.emplace(c.id, m_connections.size());
        m_connections.push_back(std::move(c));
    }
    if (!removed.connections.empty())
        Q_EMIT connectionsChanged();

    std::deque<Flow> merged;
    std::vector<std::size_t> restored;
    std::vector<std::size_t> newRow(m_flows.size(), SIZE_MAX);
    std::size_t from = 0; // next row of m_flows
    const auto keep = [&] {
        newRow[from] = merged.size();
        merged.push_back(std::move(m_flows[from++]));
    };
    for (auto &[row, flow] : removed.rows) {
        if (m_rowById.find(flow.id) != SIZE_MAX)
            continue;
        while (merged.size() < row && from < m_flows.size())
            keep();
        // The engine's last word on a flow that was still open, if it spoke meanwhile.
        if (const auto it = m_removedOpen.find(flow.id); it != m_removedOpen.end()) {
            if (it->second) {
                Marks marks = std::move(flow.marks);
                flow = std::move(*it->second);
                flow.marks = std::move(marks);
            }
            m_removedOpen.erase(it);
        }
        restored.push_back(merged.size());
        merged.push_back(std::move(flow));
    }
    if (restored.empty()) {
        keepWithinBudget(); // restored connections may be over it
        return;
    }
    while (from < m_flows.size())
        keep();
    m_flows.swap(merged);
    reindex();
    renumberRows(newRow);
    for (const std::size_t row : restored) {
        chargeHeaders(0, headerBytes(m_flows[row]));
        if (m_flows[row].state != FlowState::Open)
            m_finished.push_back(row);
    }
    Q_EMIT flowsRestored(restored);
    // After the signal, as apply() does: what its receivers read is still in memory.
    keepWithinBudget();
}

void FlowStore::discard(const RemovedFlows &removed)
{
    if (m_removedOpen.empty())
        return;
    for (const auto &[row, flow] : removed.rows)
        m_removedOpen.erase(flow.id);
}

void FlowStore::reindex()
{
    m_rowById.clear();
    for (std::size_t row = 0; row < m_flows.size(); ++row)
        m_rowById.insert(m_flows[row].id, row);
}

void FlowStore::renumberRows(const std::vector<std::size_t> &newRow)
{
    const auto renumbered = [&newRow](std::size_t row) {
        return row < newRow.size() ? newRow[row] : SIZE_MAX;
    };
    std::vector<bool> spilled(m_flows.size(), false);
    for (std::size_t row = 0; row < m_headersSpilled.size(); ++row) {
        if (const std::size_t now = renumbered(row); m_headersSpilled[row] && now != SIZE_MAX)
            spilled[now] = true;
    }
    m_headersSpilled = std::move(spilled);
    std::unordered_map<std::size_t, Extent> extents;
    extents.reserve(m_spilledHeaders.size());
    for (const auto &[row, extent] : m_spilledHeaders) {
        if (const std::size_t now = renumbered(row); now != SIZE_MAX)
            extents.emplace(now, extent);
    }
    m_spilledHeaders = std::move(extents);
    std::deque<std::size_t> finished;
    for (const std::size_t row : m_finished) {
        if (const std::size_t now = renumbered(row); now != SIZE_MAX)
            finished.push_back(now);
    }
    m_finished = std::move(finished);
}

void FlowStore::flush()
{
    apply();
}

std::size_t RowIndex::find(FlowId id) const
{
    if (id < kDenseLimit) {
        const std::size_t page = std::size_t(id >> kPageBits);
        if (page >= m_pages.size() || !m_pages[page])
            return SIZE_MAX;
        const std::uint32_t row = (*m_pages[page])[id & ((FlowId(1) << kPageBits) - 1)];
        if (row != kNone)
            return row;
    }
    // Not in the pages: a large id, or a row the pages cannot hold.
    if (m_sparse.empty())
        return SIZE_MAX;
    const auto it = m_sparse.find(id);
    return it == m_sparse.end() ? SIZE_MAX : it->second;
}

void RowIndex::insert(FlowId id, std::size_t row)
{
    if (id >= kDenseLimit || row >= kNone) {
        m_sparse[id] = row;
        return;
    }
    const std::size_t page = std::size_t(id >> kPageBits);
    if (page >= m_pages.size())
        m_pages.resize(page + 1); // pointers only: a million flows are 245 of them
    if (!m_pages[page]) {
        m_pages[page] = std::make_unique<Page>();
        m_pages[page]->fill(kNone);
    }
    (*m_pages[page])[id & ((FlowId(1) << kPageBits) - 1)] = std::uint32_t(row);
}

void RowIndex::clear()
{
    m_pages.clear();
    m_sparse.clear();
}

std::size_t FlowStore::changeMarks(const std::vector<FlowId> &ids,
                                   const std::function<void(Marks &)> &change)
{
    apply(); // the rows named are the ones applied
    std::vector<std::size_t> rows;
    for (const FlowId id : ids) {
        const std::size_t row = m_rowById.find(id);
        if (row == SIZE_MAX)
            continue;
        Marks &marks = m_flows[row].marks;
        const Marks before = marks;
        change(marks);
        if (!(marks == before))
            rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    if (!rows.empty())
        Q_EMIT flowsChanged(rows);
    return rows.size();
}

void FlowStore::apply()
{
    std::deque<Flow> flows;
    std::vector<Connection> connections;
    {
        std::lock_guard lock(m_queueMutex);
        flows.swap(m_queuedFlows);
        connections.swap(m_queuedConnections);
    }

    if (!connections.empty()) {
        for (Connection &c : connections) {
            auto it = m_connectionRow.find(c.id);
            const bool known = it != m_connectionRow.end();
            // The engine's copies carry the feed; the log is the store's, made once.
            const bool followed = known && m_connections[it->second].feed;
            if (!c.log && known)
                c.log = m_connections[it->second].log;
            if (c.feed && !c.log)
                c.log = std::make_shared<ConnectionLog>(c.feed->frameCapacity(),
                                                        c.feed->streamCapacity());
            const bool live = c.feed && !followed && !c.feed->done();
            if (c.feed && c.feed->done())
                c.feed.reset(); // all taken: the row keeps no worker structure
            if (c.log)
                c.log->attach(m_budget);
            const bool closed = c.log && (c.closedWall != 0 || c.log->isClosed());
            if (!known) {
                it = m_connectionRow.emplace(c.id, m_connections.size()).first;
                m_connections.push_back(std::move(c));
            } else {
                m_connections[it->second] = std::move(c);
            }
            if (live)
                m_liveLogs.push_back(it->second);
            if (closed)
                m_closedLogs.push_back(it->second);
        }
        Q_EMIT connectionsChanged();
    }
    takeLogs();
    if (flows.empty()) {
        keepWithinBudget();
        return;
    }

    const std::size_t firstNew = m_flows.size();
    std::vector<std::size_t> changed;
    std::vector<std::size_t> finished;
    for (Flow &f : flows) {
        if (!m_removedOpen.empty()) {
            // Removed while open: kept aside for restore(), not shown again.
            if (const auto it = m_removedOpen.find(f.id); it != m_removedOpen.end()) {
                it->second = std::make_unique<Flow>(std::move(f));
                continue;
            }
        }
        const bool done = f.state != FlowState::Open;
        std::size_t row = m_rowById.find(f.id);
        if (row == SIZE_MAX) {
            row = m_flows.size();
            m_rowById.insert(f.id, row);
            chargeHeaders(0, headerBytes(f));
            m_flows.push_back(std::move(f));
        } else {
            const bool wasDone = m_flows[row].state != FlowState::Open;
            if (headersSpilled(row)) { // the new copy brings its own lists
                m_headersSpilled[row] = false;
                m_spilledHeaders.erase(row);
            }
            chargeHeaders(headerBytes(m_flows[row]), headerBytes(f));
            f.marks = std::move(m_flows[row].marks); // the user's, never the engine's
            m_flows[row] = std::move(f);
            if (row < firstNew)
                changed.push_back(row);
            if (wasDone)
                continue;
        }
        if (done)
            finished.push_back(row);
    }

    if (m_flows.size() > firstNew)
        Q_EMIT flowsAdded(qsizetype(firstNew), qsizetype(m_flows.size() - 1));
    if (!changed.empty()) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        Q_EMIT flowsChanged(changed);
    }
    std::sort(finished.begin(), finished.end());
    finished.erase(std::unique(finished.begin(), finished.end()), finished.end());
    m_finished.insert(m_finished.end(), finished.begin(), finished.end());
    for (std::size_t row : finished)
        Q_EMIT flowFinished(qsizetype(row));
    // After the signals: what their receivers read of the new rows is still in memory.
    keepWithinBudget();
}

void FlowStore::takeLogs()
{
    if (m_liveLogs.empty())
        return;
    std::vector<ConnectionId> changed;
    std::erase_if(m_liveLogs, [&](std::size_t row) {
        if (row >= m_connections.size())
            return true;
        Connection &c = m_connections[row];
        if (!c.feed || !c.log)
            return true;
        LogFeed::Batch batch = c.feed->take();
        if (batch.empty())
            return false;
        if (batch.dropped)
            c.log->addDropped(batch.dropped);
        for (FrameRecord &f : batch.frames)
            c.log->addFrame(std::move(f));
        for (StreamRecord &s : batch.streams)
            c.log->putStream(std::move(s));
        changed.push_back(c.id);
        if (!batch.closed)
            return false;
        c.log->closed();
        c.feed.reset(); // nothing more will come
        m_closedLogs.push_back(row);
        return true;
    });
    if (!changed.empty())
        Q_EMIT logsChanged(changed);
}

void FlowStore::keepWithinBudget()
{
    // The budget is shared with worker threads that record bodies and frames meanwhile: each
    // step reads it afresh, and a step that gives nothing back still leaves its queue.
    while (m_budget->over() && !m_closedLogs.empty()) {
        const std::size_t row = m_closedLogs.front();
        m_closedLogs.pop_front();
        if (row < m_connections.size() && m_connections[row].log)
            m_connections[row].log->spill();
    }
    while (m_budget->over() && !m_finished.empty()) {
        const std::size_t row = m_finished.front();
        m_finished.pop_front();
        if (row >= m_flows.size())
            continue;
        const Flow &f = m_flows[row];
        if (f.requestBody)
            f.requestBody->spill();
        if (f.responseBody)
            f.responseBody->spill();
        spillHeaders(row);
    }
}

} // namespace ts::flow
