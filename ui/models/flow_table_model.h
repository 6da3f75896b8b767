#pragma once

#include <QAbstractTableModel>
#include <QCache>
#include <QElapsedTimer>
#include <QPointer>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

class QTimer;

namespace ts::flow {
class FlowStore;
struct Flow;
} // namespace ts::flow

namespace ts::ui {

// The flows table: the store's rows that pass the filter, in arrival order or sorted by a
// column. It keeps its own index of store rows (no QSortFilterProxyModel, whose first sort of a
// million rows asks data() for twenty million QVariants on the GUI thread):
//
// - Live updates follow the store's batches: new rows that pass the filter go in with one
//   beginInsertRows per batch (one per insertion point when sorted), changed rows with one
//   dataChanged per run; a changed row that now fails the filter, or whose sort key moved it
//   out of order, is removed and placed again. A batch that would need more than a few dozen
//   separate inserts and removals is applied as one reset instead (the view keeps its current
//   flow by id).
// - A new filter or sort is applied by a rebuild that never blocks the GUI thread for long: the
//   store is walked in slices of a few milliseconds (the store belongs to the GUI thread; a
//   pool thread walks half of each chunk while the GUI thread waits, both only reading),
//   taking the rows that pass and, when sorted, a snapshot of their sort keys (numbers, and
//   texts copied into one buffer); a worker thread sorts that snapshot (texts ranked, then a
//   radix sort) and the result replaces the rows with one reset. Until then the previous filter and
//   order stay in place and keep following the store; what arrives or changes meanwhile is applied
//   after the swap; a newer rebuild cancels an older one (generation counter). The walk reads
//   records with FlowStore::peek() unless the filter looks at headers, so spilled header lists stay
//   on disk.
// - While paused, new flows are not shown (they are still in the store); skippedCount() says
//   how many. Resuming shows them (a rebuild), so the table ends up with what a session or HAR
//   export holds.
// - Rows the store removes (Delete) go with one beginRemoveRows per run; rows it puts back
//   (Undo) are placed like changed rows. Either way the rows after them are renumbered.
// - Cell text is computed on demand and cached for the rows views asked for recently.
class FlowTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FlowTableModel)

public:
    enum Column : int {
        NumberColumn,
        TimeColumn,
        ClientColumn,
        MethodColumn,
        SchemeColumn,
        HostColumn,
        PathColumn,
        StatusColumn,
        ClientProtocolColumn,
        ServerProtocolColumn,
        TlsColumn,
        TypeColumn,
        RequestSizeColumn,
        ResponseSizeColumn,
        DurationColumn,
        ErrorColumn,
        CommentColumn, // the user's comment (marks: a pin on the #, a colour tints the row)
        ColumnCount
    };
    enum Role : int {
        SortRole = Qt::UserRole, // raw value of the cell (number or string) for sorting
        FlowIdRole,              // the row's FlowId
    };
    // Which flows to show; empty: all.
    using Predicate = std::function<bool(const flow::Flow &)>;

    explicit FlowTableModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~FlowTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // column -1: arrival order. Applied by a rebuild (see above).
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // `readsHeaders`: the predicate looks at header lists (filter::Filter::readsHeaders()); one
    // that does not is run over records whose lists may be spilled.
    void setFilter(Predicate predicate, bool readsHeaders = true);
    // A second predicate, applied with the filter (both must pass): the structure view's
    // selected host or path. Empty: all.
    void setScope(Predicate predicate, bool readsHeaders = true);
    bool hasFilter() const { return bool(m_active.filter) || bool(m_active.scope); }
    int sortColumn() const { return m_active.sortColumn; }
    Qt::SortOrder sortOrder() const { return m_active.order; }
    // A filter or sort is being applied.
    bool isRebuilding() const { return m_pending != nullptr; }

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Flows that arrived while paused and are not shown yet.
    std::uint64_t skippedCount() const { return m_skippedCount; }

    // The flow shown in `row`, or null.
    const flow::Flow *flowAt(int row) const;
    // The row showing flow `id`, or -1.
    int rowOfFlow(std::uint64_t id) const;

    // "1.2 KiB": binary units, one decimal from KiB up.
    static QString formatBytes(std::uint64_t bytes);

Q_SIGNALS:
    // A filter or sort rebuild has started / has replaced the rows (after `millis`).
    void rebuildStarted();
    void rebuildFinished(qint64 millis);
    void skippedCountChanged(quint64 count);

private:
    struct View
    {
        Predicate filter;
        Predicate scope;
        bool filterReadsHeaders = false;
        bool scopeReadsHeaders = false;
        int sortColumn = -1;
        Qt::SortOrder order = Qt::AscendingOrder;
    };
    // A row's sort key as the walk copied it: its text is texts[textOffset, +textSize).
    struct SortKey
    {
        std::int64_t number;
        std::size_t textOffset;
        std::uint32_t textSize;
        std::uint32_t row;
    };
    // What a walk took: the rows that pass, or when sorted their keys.
    struct Walked
    {
        std::vector<std::uint32_t> rows;
        std::vector<SortKey> keys;
        std::string texts;
    };
    struct Rebuild : Walked
    {
        View view;
        std::uint64_t generation = 0;
        std::size_t next = 0; // next store row to walk
        std::vector<std::size_t> changedMeanwhile;
        QElapsedTimer clock;
        bool sorting = false; // the walk is done; the worker sorts
    };
    using RowText = std::array<QString, ColumnCount>;

    void onFlowsAdded(qsizetype first, qsizetype last);
    void onFlowsChanged(const std::vector<std::size_t> &rows);
    void onCleared();
    void onFlowsRemoved(const std::vector<std::size_t> &rows);
    void onFlowsRestored(const std::vector<std::size_t> &rows);
    void setSkipped(std::vector<std::pair<std::size_t, std::size_t>> ranges);
    void update(std::size_t firstNew, std::size_t endNew, const std::vector<std::size_t> &changed);

    void startRebuild(View view);
    void continueRebuild();
    // Store rows [from, to) that pass `view`, into `out`. Only reads the store unless the view
    // needs header lists (then the GUI thread's alone).
    void walk(const View &view, std::size_t from, std::size_t to, Walked &out) const;
    void install(std::vector<std::uint32_t> rows);

    bool accepts(const View &view, const flow::Flow &f) const;
    // The filter, scope or sort key of `view` looks at header lists (the Type column does).
    static bool needsHeaders(const View &view);
    // Store row `row` as `view` needs it: with its header lists only when it reads them.
    const flow::Flow &record(const View &view, std::size_t row) const;
    // Store rows sorted by their keys (a worker runs it): texts, then numbers, then arrival.
    static std::vector<std::uint32_t> sortRows(std::vector<SortKey> keys, const std::string &texts,
                                               bool descending);
    bool isSkipped(std::size_t storeRow) const;
    // Strict weak order of store rows under the active sort; ties go by arrival.
    bool less(std::uint32_t a, std::uint32_t b) const;
    int positionOf(std::size_t storeRow) const; // -1: not shown
    bool inOrderAt(int position) const;

    const RowText &rowText(std::uint32_t storeRow) const;
    QString display(const flow::Flow &flow, int column) const;
    QVariant sortValue(const flow::Flow &flow, int column) const;
    QVariant foreground(const flow::Flow &flow, int column) const;

    flow::FlowStore &m_store;
    View m_active;
    std::vector<std::uint32_t> m_rows; // store rows, in display order
    std::size_t m_known = 0;           // store rows seen so far (the store may hold more)
    // store row -> position, for sorted views; rebuilt on demand after rows move.
    mutable std::vector<std::int32_t> m_positions;
    mutable bool m_positionsValid = false;

    bool m_paused = false;
    std::vector<std::pair<std::size_t, std::size_t>> m_skipped; // [first, end) store rows
    std::uint64_t m_skippedCount = 0;

    std::unique_ptr<Rebuild> m_pending;
    std::uint64_t m_generation = 0;
    QTimer *m_sliceTimer = nullptr;

    mutable QCache<std::uint32_t, RowText> m_text;
};

} // namespace ts::ui
