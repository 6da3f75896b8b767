#include "core/flow/flow_store.h"

#include <algorithm>

namespace ts::flow {

namespace {
constexpr int kBatchIntervalMs = 50;
}

FlowStore::FlowStore(QObject *parent) : QObject(parent), m_budget(std::make_shared<BodyBudget>())
{
    m_timer.setInterval(kBatchIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &FlowStore::apply);
    m_timer.start();
}

FlowStore::~FlowStore() = default;

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
    return row == SIZE_MAX ? nullptr : &m_flows[row];
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
    m_flows.clear();
    m_rowById.clear();
    m_connections.clear();
    m_connectionRow.clear();
    m_removedOpen.clear();
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
    std::size_t next = 0;
    for (std::size_t row = 0; row < m_flows.size(); ++row) {
        if (next < rows.size() && rows[next] == row) {
            ++next;
            if (m_flows[row].state == FlowState::Open)
                m_removedOpen.emplace(m_flows[row].id, nullptr);
            removed.rows.emplace_back(row, std::move(m_flows[row]));
        } else {
            kept.push_back(std::move(m_flows[row]));
        }
    }
    m_flows.swap(kept);
    reindex();
    Q_EMIT flowsRemoved(rows);
    return removed;
}

RemovedFlows FlowStore::takeAll()
{
    apply(); // what has arrived is cleared with the rest, and comes back with it
    RemovedFlows removed;
    removed.rows.reserve(m_flows.size());
    for (std::size_t row = 0; row < m_flows.size(); ++row) {
        if (m_flows[row].state == FlowState::Open)
            m_removedOpen.emplace(m_flows[row].id, nullptr);
        removed.rows.emplace_back(row, std::move(m_flows[row]));
    }
    removed.connections = std::move(m_connections);
    m_flows.clear();
    m_rowById.clear();
    m_connections.clear();
    m_connectionRow.clear();
    Q_EMIT cleared();
    return removed;
}

void FlowStore::restore(RemovedFlows removed)
{
    apply();
    for (Connection &c : removed.connections) {
        if (m_connectionRow.contains(c.id))
            continue; // updated since: the store's copy is newer
        m_connectionRow.emplace(c.id, m_connections.size());
        m_connections.push_back(std::move(c));
    }
    if (!removed.connections.empty())
        Q_EMIT connectionsChanged();

    std::deque<Flow> merged;
    std::vector<std::size_t> restored;
    std::size_t from = 0; // next row of m_flows
    for (auto &[row, flow] : removed.rows) {
        if (m_rowById.find(flow.id) != SIZE_MAX)
            continue;
        while (merged.size() < row && from < m_flows.size())
            merged.push_back(std::move(m_flows[from++]));
        // The engine's last word on a flow that was still open, if it spoke meanwhile.
        if (const auto it = m_removedOpen.find(flow.id); it != m_removedOpen.end()) {
            if (it->second)
                flow = std::move(*it->second);
            m_removedOpen.erase(it);
        }
        restored.push_back(merged.size());
        merged.push_back(std::move(flow));
    }
    if (restored.empty())
        return;
    while (from < m_flows.size())
        merged.push_back(std::move(m_flows[from++]));
    m_flows.swap(merged);
    reindex();
    Q_EMIT flowsRestored(restored);
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
            const auto it = m_connectionRow.find(c.id);
            if (it == m_connectionRow.end()) {
                m_connectionRow.emplace(c.id, m_connections.size());
                m_connections.push_back(std::move(c));
            } else {
                m_connections[it->second] = std::move(c);
            }
        }
        Q_EMIT connectionsChanged();
    }
    if (flows.empty())
        return;

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
            m_flows.push_back(std::move(f));
        } else {
            const bool wasDone = m_flows[row].state != FlowState::Open;
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
    for (std::size_t row : finished)
        Q_EMIT flowFinished(qsizetype(row));
}

} // namespace ts::flow
