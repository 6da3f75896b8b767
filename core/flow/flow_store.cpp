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
    Q_EMIT cleared();
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
