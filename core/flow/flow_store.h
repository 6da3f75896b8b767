#pragma once

#include "core/flow/flow.h"
#include "core/flow/id_source.h"

#include <QObject>
#include <QTimer>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ts::flow {

// Flow id -> store row. Engine ids are small and dense (a counter), so they index pages of rows
// directly: inserting never rehashes. An unordered_map rehashes all its entries at once when it
// grows, 105 ms at 712,697 flows, a visible freeze of the GUI thread (bench/gui_scale). Ids too
// large for the pages (from an imported file, say) go to a map.
class RowIndex
{
public:
    std::size_t find(FlowId id) const; // SIZE_MAX when unknown
    void insert(FlowId id, std::size_t row);
    void clear();

private:
    static constexpr unsigned kPageBits = 12;
    static constexpr FlowId kDenseLimit = FlowId(1) << 28; // at most 2^16 page pointers
    static constexpr std::uint32_t kNone = UINT32_MAX;
    using Page = std::array<std::uint32_t, std::size_t(1) << kPageBits>;
    std::vector<std::unique_ptr<Page>> m_pages;
    std::unordered_map<FlowId, std::size_t> m_sparse;
};

// What FlowStore::remove() or takeAll() took out, as restore() puts it back (Edit > Undo).
struct RemovedFlows
{
    std::vector<std::pair<std::size_t, Flow>> rows; // (store row when removed, flow), ascending
    std::vector<Connection> connections;            // takeAll() only
    bool empty() const { return rows.empty() && connections.empty(); }
};

// Holds every recorded flow and client connection, in arrival order. The engine publishes
// copies from its worker threads with publish(); that only appends to a queue under a short
// lock, so the engine never waits for the GUI. On the store's own thread a timer applies the
// queue every ~50 ms and announces the batch: new rows with one flowsAdded, changed rows with
// one flowsChanged (DESIGN.md "Threads and data"). Each batch also takes what the engine's
// LogFeeds gathered of live connections' frames and streams into the store's ConnectionLogs,
// and names them with one logsChanged. What the stored flows' bodies and header
// lists and the connections' frame logs hold in RAM is counted in budget(); past it, the
// oldest records go to the budget's spill file and are read back when asked for.
class FlowStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FlowStore)

public:
    explicit FlowStore(QObject *parent = nullptr);
    ~FlowStore() override;

    // Thread-safe.
    void publish(const Flow &flow);
    void publish(Flow &&flow);
    void publish(const Connection &connection);
    std::shared_ptr<BodyBudget> budget() const { return m_budget; }
    // Where every producer of records for this store takes its ids.
    const std::shared_ptr<IdSource> &ids() const { return m_ids; }

    // Store thread only.
    std::size_t size() const { return m_flows.size(); }
    // A flow whose header lists were spilled gets them back from the spill file here.
    const Flow &at(std::size_t row) const
    {
        if (headersSpilled(row)) [[unlikely]]
            restoreHeaders(row);
        return m_flows[row];
    }
    // The record as held, header lists included only when they are in RAM (a spilled flow's
    // read as empty): for walks over every row that look at no header, such as the table's
    // filter and sort, which must not read a million header blocks back from the spill file.
    const Flow &peek(std::size_t row) const { return m_flows[row]; }
    const Flow *find(FlowId id) const;
    std::size_t rowOf(FlowId id) const; // SIZE_MAX when unknown
    const std::vector<Connection> &connections() const { return m_connections; }
    const Connection *connection(ConnectionId id) const; // nullptr when unknown
    void clear();
    // Takes the flows `ids` out of the store (unknown ids are ignored); flowsRemoved() says
    // which rows went. A flow still open is not added again by the engine's later updates: the
    // last of them is kept for restore().
    RemovedFlows remove(const std::vector<FlowId> &ids);
    // Applies `change` to the marks of the flows `ids` (unknown ids are ignored); flowsChanged()
    // names the rows whose marks it changed, and their number is returned. Marks are the
    // user's: the engine's later copies of a flow keep them.
    std::size_t changeMarks(const std::vector<FlowId> &ids,
                            const std::function<void(Marks &)> &change);
    // Like clear(), but hands over what it held, for restore().
    RemovedFlows takeAll();
    // Puts back what remove() or takeAll() took, at the rows it had (flows that arrived since
    // stay after them); flowsRestored() says which rows came back. A flow whose id is in the
    // store again is skipped: the store's copy is newer.
    void restore(RemovedFlows removed);
    // Forgets what is kept for restore() of `removed` (its undo step is gone).
    void discard(const RemovedFlows &removed);
    // Applies what is queued now instead of waiting for the timer (tests, exit).
    void flush();
    // RAM a flow's header and trailer lists hold (all four wires), as counted in the budget.
    static std::uint64_t headerBytes(const Flow &flow);

Q_SIGNALS:
    // Rows [first, last] were appended.
    void flowsAdded(qsizetype first, qsizetype last);
    // Rows changed; sorted, no duplicates.
    void flowsChanged(const std::vector<std::size_t> &rows);
    // A flow reached Complete or Failed (once per flow).
    void flowFinished(qsizetype row);
    void connectionsChanged();
    // New frames or stream records arrived in these connections' logs (from their feeds).
    void logsChanged(const std::vector<ConnectionId> &connections);
    void cleared();
    // Rows were taken out (their numbers before the removal; sorted): every row after them
    // moved up.
    void flowsRemoved(const std::vector<std::size_t> &rows);
    // Rows were put back (their numbers now; sorted): every row after each moved down.
    void flowsRestored(const std::vector<std::size_t> &rows);

private:
    void apply();
    // Moves what the live connections' feeds gathered into their logs (logsChanged()).
    void takeLogs();
    void reindex();
    // Rows moved (remove(), restore()): the row-keyed spill state follows them. newRow[old] is
    // the old row's number now, SIZE_MAX for a row taken out.
    void renumberRows(const std::vector<std::size_t> &newRow);
    // Over the budget: closed connections' logs go to the spill file first, oldest first,
    // then the bodies and header lists of the oldest finished flows, until the records fit.
    void keepWithinBudget();
    void chargeHeaders(std::uint64_t before, std::uint64_t after) const;
    void spillHeaders(std::size_t row);
    void restoreHeaders(std::size_t row) const;
    bool headersSpilled(std::size_t row) const
    {
        return row < m_headersSpilled.size() && m_headersSpilled[row];
    }

    std::shared_ptr<BodyBudget> m_budget;
    std::shared_ptr<IdSource> m_ids = std::make_shared<IdSource>();
    std::mutex m_queueMutex;
    std::deque<Flow> m_queuedFlows; // swapped out whole; never relocates its records
    std::vector<Connection> m_queuedConnections;

    // A deque: growing never moves a million records. Mutable: at() and find() put spilled
    // header lists back (the store's thread only, like every reader).
    mutable std::deque<Flow> m_flows;
    RowIndex m_rowById;
    std::vector<Connection> m_connections;
    std::unordered_map<ConnectionId, std::size_t> m_connectionRow;
    // Removed flows that were still open: the engine's later updates of them are kept here
    // (the latest one) instead of adding them again, for restore().
    std::unordered_map<FlowId, std::unique_ptr<Flow>> m_removedOpen;
    mutable std::uint64_t m_headerBytes = 0; // of m_flows, charged to m_budget
    std::deque<std::size_t> m_closedLogs;    // connection rows whose log may spill, oldest first
    std::vector<std::size_t> m_liveLogs;     // connection rows whose feed may bring more
    // Flow rows whose bodies and headers may spill, oldest (or longest unread) first.
    mutable std::deque<std::size_t> m_finished;
    struct Extent
    {
        std::int64_t offset;
        std::uint64_t length;
    };
    mutable std::vector<bool> m_headersSpilled; // by row
    mutable std::unordered_map<std::size_t, Extent> m_spilledHeaders;
    QTimer m_timer;
};

} // namespace ts::flow
