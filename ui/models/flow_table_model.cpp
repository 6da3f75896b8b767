#include "ui/models/flow_table_model.h"

#include "core/flow/flow_store.h"
#include "ui/models/flow_marks.h"

#include <QColor>
#include <QDateTime>
#include <QFutureWatcher>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <array>
#include <bit>
#include <string_view>
#include <utility>

namespace ts::ui {

using flow::Flow;
using flow::FlowKind;
using flow::FlowState;

namespace {

// A rebuild walks the store for at most this long before letting the event loop run.
constexpr qint64 kSliceMillis = 8;
// Sorts of fewer entries run on the GUI thread: cheaper than a round trip to a worker.
constexpr std::size_t kInlineSortEntries = 20000;
// A batch needing more separate inserts and removals than this is applied as one reset: each
// insert or remove in the middle costs the view O(rows).
constexpr std::size_t kMaxGroups = 32;
// Rows whose cell text is kept.
constexpr int kTextCacheRows = 4096;
// How far ahead of the walk records are prefetched.
constexpr std::size_t kPrefetchRows = 12;
// Store rows a walk takes at a time (two threads, a millisecond or two) between looks at the
// clock.
constexpr std::size_t kWalkChunkRows = 16384;

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

// "example.com", "example.com:8080", "[::1]:8080": the port only when it is not the scheme's.
QString hostText(const Flow &f)
{
    const QString host = f.host.find(':') != std::string::npos
                             ? QLatin1Char('[') + fromStd(f.host) + QLatin1Char(']')
                             : fromStd(f.host);
    const bool defaultPort = f.kind == FlowKind::Exchange
                             && ((f.scheme == "http" && f.port == 80)
                                 || (f.scheme == "https" && f.port == 443) || f.port == 0);
    return defaultPort ? host : host + QLatin1Char(':') + QString::number(f.port);
}

bool isWebSocket(const Flow &f)
{
    if (f.status == 101)
        return true;
    for (const auto &[name, value] : f.requestHeaders) {
        if (name.size() == 7 && QLatin1String(name).compare(u"upgrade", Qt::CaseInsensitive) == 0
            && QLatin1String(value).contains(u"websocket", Qt::CaseInsensitive))
            return true;
    }
    return false;
}

enum class FlowType : std::uint8_t { Exchange, Tunnel, WebSocket };
FlowType typeOf(const Flow &f)
{
    if (f.kind == FlowKind::Tunnel)
        return FlowType::Tunnel;
    return isWebSocket(f) ? FlowType::WebSocket : FlowType::Exchange;
}

enum class TlsState : std::uint8_t { None, PassThrough, Plain, Intercepted, Failed };
TlsState tlsStateOf(const Flow &f)
{
    const bool failed = (f.clientTls && !f.clientTls->failure.empty())
                        || (f.serverTls && !f.serverTls->failure.empty());
    if (failed)
        return TlsState::Failed;
    if (f.intercepted)
        return TlsState::Intercepted;
    // A tunnel not decrypted is passed through, whatever was read of its ClientHello.
    if (f.kind == FlowKind::Tunnel)
        return TlsState::PassThrough;
    if ((f.serverTls && f.serverTls->used) || (f.clientTls && f.clientTls->used))
        return TlsState::Plain;
    return TlsState::None;
}

std::string_view tlsVersion(const Flow &f)
{
    if (f.serverTls && !f.serverTls->version.empty())
        return f.serverTls->version;
    if (f.clientTls && !f.clientTls->version.empty())
        return f.clientTls->version;
    return {};
}

std::uint64_t requestSize(const Flow &f)
{
    if (f.kind == FlowKind::Tunnel)
        return f.bytesClientToServer;
    return f.requestBody ? f.requestBody->size() : 0;
}

std::uint64_t responseSize(const Flow &f)
{
    if (f.kind == FlowKind::Tunnel)
        return f.bytesServerToClient;
    return f.responseBody ? f.responseBody->size() : 0;
}

bool looksFailed(const Flow &f)
{
    return !f.error.empty() || f.state == FlowState::Failed || f.status >= 400;
}

// A column's sort key: text first, then number. Views into the flow, so comparing two stored
// flows copies nothing.
struct Key
{
    std::int64_t number = 0;
    std::string_view text;
};

Key keyOf(const Flow &f, int column)
{
    using M = FlowTableModel;
    switch (column) {
    case M::NumberColumn:
        return {std::int64_t(f.id), {}};
    case M::TimeColumn:
        return {f.startedWall, {}};
    case M::ClientColumn:
        return {0, f.clientAddress};
    case M::MethodColumn:
        return {0, f.kind == FlowKind::Tunnel ? std::string_view("CONNECT") : f.method};
    case M::SchemeColumn:
        return {0, f.scheme};
    case M::HostColumn:
        return {f.port, f.host};
    case M::PathColumn:
        return {0, f.path};
    case M::StatusColumn:
        return {f.status, {}};
    case M::ClientProtocolColumn:
        return {0, f.clientProtocol};
    case M::ServerProtocolColumn:
        return {0, f.serverProtocol};
    case M::TlsColumn:
        return {std::int64_t(tlsStateOf(f)), tlsVersion(f)};
    case M::TypeColumn:
        return {std::int64_t(typeOf(f)), {}};
    case M::RequestSizeColumn:
        return {std::int64_t(requestSize(f)), {}};
    case M::ResponseSizeColumn:
        return {std::int64_t(responseSize(f)), {}};
    case M::DurationColumn:
        return {f.durationMicros(), {}};
    case M::ErrorColumn:
        return {0, f.error};
    case M::CommentColumn:
        return {0, f.marks.comment};
    default:
        return {};
    }
}

// <0, 0, >0 like strcmp.
int compareKeys(std::string_view aText, std::int64_t aNumber, std::string_view bText,
                std::int64_t bNumber)
{
    if (const int c = aText.compare(bText); c != 0)
        return c;
    return aNumber < bNumber ? -1 : aNumber > bNumber ? 1 : 0;
}

} // namespace

FlowTableModel::FlowTableModel(flow::FlowStore &store, QObject *parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_known(store.size())
    , m_sliceTimer(new QTimer(this))
    , m_text(kTextCacheRows)
{
    m_rows.resize(m_known);
    for (std::size_t i = 0; i < m_known; ++i)
        m_rows[i] = std::uint32_t(i);
    m_sliceTimer->setSingleShot(true);
    m_sliceTimer->setInterval(0);
    connect(m_sliceTimer, &QTimer::timeout, this, &FlowTableModel::continueRebuild);
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &FlowTableModel::onFlowsAdded);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &FlowTableModel::onFlowsChanged);
    connect(&m_store, &flow::FlowStore::cleared, this, &FlowTableModel::onCleared);
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, &FlowTableModel::onFlowsRemoved);
    connect(&m_store, &flow::FlowStore::flowsRestored, this, &FlowTableModel::onFlowsRestored);
}

FlowTableModel::~FlowTableModel() = default;

int FlowTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FlowTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const Flow *FlowTableModel::flowAt(int row) const
{
    if (row < 0 || std::size_t(row) >= m_rows.size() || m_rows[row] >= m_store.size())
        return nullptr;
    return &m_store.at(m_rows[row]);
}

int FlowTableModel::rowOfFlow(std::uint64_t id) const
{
    const std::size_t storeRow = m_store.rowOf(id);
    return storeRow == SIZE_MAX ? -1 : positionOf(storeRow);
}

// ---- live updates ----

void FlowTableModel::onFlowsAdded(qsizetype first, qsizetype last)
{
    // The store signals once per batch with the rows it appended; anything we already know (or
    // that is no longer there) is skipped, so the bounds always match what views know.
    Q_UNUSED(first);
    const std::size_t end = std::min(std::size_t(last) + 1, m_store.size());
    if (end <= m_known)
        return;
    const std::size_t firstNew = m_known;
    m_known = end;
    if (m_paused) {
        if (!m_skipped.empty() && m_skipped.back().second == firstNew)
            m_skipped.back().second = end;
        else
            m_skipped.emplace_back(firstNew, end);
        m_skippedCount += end - firstNew;
        Q_EMIT skippedCountChanged(m_skippedCount);
        return;
    }
    update(firstNew, end, {});
}

void FlowTableModel::onFlowsChanged(const std::vector<std::size_t> &rows)
{
    for (const std::size_t row : rows)
        m_text.remove(std::uint32_t(row));
    if (m_pending)
        m_pending->changedMeanwhile.insert(m_pending->changedMeanwhile.end(), rows.begin(),
                                           rows.end());
    update(0, 0, rows);
}

void FlowTableModel::onCleared()
{
    ++m_generation;
    m_pending.reset();
    m_sliceTimer->stop();
    beginResetModel();
    m_rows.clear();
    m_known = m_store.size();
    m_positions.clear();
    m_positionsValid = false;
    m_skipped.clear();
    m_text.clear();
    endResetModel();
    if (m_skippedCount != 0) {
        m_skippedCount = 0;
        Q_EMIT skippedCountChanged(0);
    }
}

void FlowTableModel::onFlowsRemoved(const std::vector<std::size_t> &removed)
{
    // Store rows before the removal -> after it: each row moves up by the removed rows above.
    const auto above = [&removed](std::size_t row) {
        return std::size_t(std::lower_bound(removed.begin(), removed.end(), row) - removed.begin());
    };
    const auto gone = [&removed](std::size_t row) {
        return std::binary_search(removed.begin(), removed.end(), row);
    };

    std::vector<std::pair<int, int>> runs; // positions shown, ascending
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (!gone(m_rows[i]))
            continue;
        if (!runs.empty() && runs.back().second + 1 == int(i))
            runs.back().second = int(i);
        else
            runs.emplace_back(int(i), int(i));
    }
    const auto renumber = [&] {
        std::vector<std::uint32_t> kept;
        kept.reserve(m_rows.size());
        for (const std::uint32_t row : m_rows) {
            if (!gone(row))
                kept.push_back(std::uint32_t(row - above(row)));
        }
        m_rows = std::move(kept);
        m_known -= above(m_known);
        m_positionsValid = false;
        m_text.clear();
    };
    if (runs.size() > kMaxGroups) {
        beginResetModel();
        renumber();
        endResetModel();
    } else {
        // Bottom up, so positions above stay valid; the rest renumbered after.
        for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
            beginRemoveRows({}, run->first, run->second);
            m_rows.erase(m_rows.begin() + run->first, m_rows.begin() + run->second + 1);
            endRemoveRows();
        }
        renumber(); // same flows at the same positions: nothing for views to redraw
    }

    std::vector<std::pair<std::size_t, std::size_t>> skipped;
    for (const auto &[first, end] : m_skipped) {
        if (const std::size_t a = first - above(first), b = end - above(end); a < b)
            skipped.emplace_back(a, b);
    }
    setSkipped(std::move(skipped));
    if (m_pending) // its walk counted rows that moved: start it again
        startRebuild(m_pending->view);
}

void FlowTableModel::onFlowsRestored(const std::vector<std::size_t> &restored)
{
    // Store rows before -> after: old row o is the o-th row that was not put back, so it moves
    // down by the restored rows r_i with r_i - i <= o.
    std::vector<std::size_t> shifted(restored.size());
    for (std::size_t i = 0; i < restored.size(); ++i)
        shifted[i] = restored[i] - i;
    const auto renumbered = [&shifted](std::size_t row) {
        return row
               + std::size_t(std::upper_bound(shifted.begin(), shifted.end(), row)
                             - shifted.begin());
    };
    // Same flows in the same order at the same positions: no signal for views.
    for (std::uint32_t &row : m_rows)
        row = std::uint32_t(renumbered(row));
    // The store applies its queue before restoring, so the model knows every older row; any
    // it does not know yet stay at the end, for the next flowsAdded.
    m_known = m_store.size() - std::min(m_store.size() - restored.size() - m_known, m_store.size());
    m_positionsValid = false;
    m_text.clear();

    std::vector<std::pair<std::size_t, std::size_t>> skipped;
    for (const auto &[first, end] : m_skipped) {
        // Rows put back inside a held-back range were shown before: they split it.
        std::size_t from = renumbered(first);
        const std::size_t to = renumbered(end - 1) + 1;
        for (auto r = std::lower_bound(restored.begin(), restored.end(), from);
             r != restored.end() && *r < to; ++r) {
            if (from < *r)
                skipped.emplace_back(from, *r);
            from = *r + 1;
        }
        if (from < to)
            skipped.emplace_back(from, to);
    }
    setSkipped(std::move(skipped));

    // Restored rows are placed as changed ones are (filter, sort, one insert per run).
    std::vector<std::size_t> placed;
    for (const std::size_t row : restored) {
        if (row < m_known)
            placed.push_back(row);
    }
    update(0, 0, placed);
    if (m_pending)
        startRebuild(m_pending->view);
}

void FlowTableModel::setSkipped(std::vector<std::pair<std::size_t, std::size_t>> ranges)
{
    std::uint64_t count = 0;
    for (const auto &[first, end] : ranges)
        count += end - first;
    m_skipped = std::move(ranges);
    if (count != m_skippedCount) {
        m_skippedCount = count;
        Q_EMIT skippedCountChanged(count);
    }
}

void FlowTableModel::update(std::size_t firstNew, std::size_t endNew,
                            const std::vector<std::size_t> &changed)
{
    const bool sorted = m_active.sortColumn >= 0;
    std::vector<int> removals;               // positions
    std::vector<std::uint32_t> insertions;   // store rows
    std::vector<std::uint32_t> changedShown; // store rows that stay where they are

    for (const std::size_t row : changed) {
        if (row >= m_known || isSkipped(row))
            continue;
        const bool match = accepts(m_active, m_store.at(row));
        const int position = positionOf(row);
        if (position < 0) {
            if (match)
                insertions.push_back(std::uint32_t(row));
        } else if (!match) {
            removals.push_back(position);
        } else if (sorted && !inOrderAt(position)) {
            removals.push_back(position);
            insertions.push_back(std::uint32_t(row));
        } else {
            changedShown.push_back(std::uint32_t(row));
        }
    }
    for (std::size_t row = firstNew; row < endNew; ++row) {
        if (!isSkipped(row) && accepts(m_active, m_store.at(row)))
            insertions.push_back(std::uint32_t(row));
    }

    // Removals first, bottom up, a range per run of adjacent positions.
    if (!removals.empty()) {
        std::sort(removals.begin(), removals.end());
        removals.erase(std::unique(removals.begin(), removals.end()), removals.end());
        std::vector<std::pair<int, int>> runs;
        for (const int p : removals) {
            if (!runs.empty() && runs.back().second + 1 == p)
                runs.back().second = p;
            else
                runs.emplace_back(p, p);
        }
        if (runs.size() > kMaxGroups) {
            beginResetModel();
            std::vector<std::uint32_t> kept;
            kept.reserve(m_rows.size() - removals.size());
            std::size_t r = 0;
            for (std::size_t i = 0; i < m_rows.size(); ++i) {
                if (r < removals.size() && removals[r] == int(i))
                    ++r;
                else
                    kept.push_back(m_rows[i]);
            }
            m_rows = std::move(kept);
            m_positionsValid = false;
            endResetModel();
        } else {
            for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
                beginRemoveRows({}, run->first, run->second);
                m_rows.erase(m_rows.begin() + run->first, m_rows.begin() + run->second + 1);
                m_positionsValid = false;
                endRemoveRows();
            }
        }
    }

    if (!insertions.empty()) {
        const auto order = [this, sorted](std::uint32_t a, std::uint32_t b) {
            return sorted ? less(a, b) : a < b;
        };
        std::sort(insertions.begin(), insertions.end(), order);
        insertions.erase(std::unique(insertions.begin(), insertions.end()), insertions.end());
        // Where each goes in the current rows; equal places make one group.
        std::vector<std::pair<std::size_t, std::size_t>> groups; // (place, count)
        auto from = m_rows.begin();
        for (const std::uint32_t row : insertions) {
            from = std::lower_bound(from, m_rows.end(), row, order);
            const auto place = std::size_t(from - m_rows.begin());
            if (!groups.empty() && groups.back().first == place)
                ++groups.back().second;
            else
                groups.emplace_back(place, 1);
        }
        if (groups.size() > kMaxGroups) {
            beginResetModel();
            std::vector<std::uint32_t> merged(m_rows.size() + insertions.size());
            std::merge(m_rows.begin(), m_rows.end(), insertions.begin(), insertions.end(),
                       merged.begin(), order);
            m_rows = std::move(merged);
            m_positionsValid = false;
            endResetModel();
        } else {
            std::size_t offset = 0;
            auto next = insertions.begin();
            for (const auto &[place, count] : groups) {
                const auto at = int(place + offset);
                beginInsertRows({}, at, at + int(count) - 1);
                m_rows.insert(m_rows.begin() + at, next, next + std::ptrdiff_t(count));
                if (at + int(count) != int(m_rows.size()))
                    m_positionsValid = false;
                endInsertRows();
                next += std::ptrdiff_t(count);
                offset += count;
            }
        }
    }

    // Changed rows that stayed: one dataChanged per run of adjacent positions.
    if (changedShown.empty())
        return;
    std::vector<int> positions;
    positions.reserve(changedShown.size());
    for (const std::uint32_t row : changedShown) {
        if (const int p = positionOf(row); p >= 0)
            positions.push_back(p);
    }
    std::sort(positions.begin(), positions.end());
    std::size_t i = 0;
    while (i < positions.size()) {
        const int start = positions[i];
        int end = start;
        while (i + 1 < positions.size() && positions[i + 1] == end + 1)
            end = positions[++i];
        ++i;
        Q_EMIT dataChanged(index(start, 0), index(end, ColumnCount - 1));
    }
}

bool FlowTableModel::accepts(const View &view, const Flow &f) const
{
    return (!view.filter || view.filter(f)) && (!view.scope || view.scope(f));
}

bool FlowTableModel::isSkipped(std::size_t storeRow) const
{
    if (m_skipped.empty() || storeRow < m_skipped.front().first)
        return false;
    const auto it
        = std::upper_bound(m_skipped.begin(), m_skipped.end(), storeRow,
                           [](std::size_t row, const auto &range) { return row < range.first; });
    return it != m_skipped.begin() && storeRow < std::prev(it)->second;
}

bool FlowTableModel::needsHeaders(const View &view)
{
    return view.filterReadsHeaders || view.scopeReadsHeaders || view.sortColumn == TypeColumn;
}

const Flow &FlowTableModel::record(const View &view, std::size_t row) const
{
    return needsHeaders(view) ? m_store.at(row) : m_store.peek(row);
}

bool FlowTableModel::less(std::uint32_t a, std::uint32_t b) const
{
    // Only the sort key is read: the headers only for the Type column.
    const bool headers = m_active.sortColumn == TypeColumn;
    const Key ka = keyOf(headers ? m_store.at(a) : m_store.peek(a), m_active.sortColumn);
    const Key kb = keyOf(headers ? m_store.at(b) : m_store.peek(b), m_active.sortColumn);
    const int c = compareKeys(ka.text, ka.number, kb.text, kb.number);
    if (c != 0)
        return m_active.order == Qt::DescendingOrder ? c > 0 : c < 0;
    return a < b;
}

int FlowTableModel::positionOf(std::size_t storeRow) const
{
    if (m_active.sortColumn < 0) { // rows ascend
        const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), storeRow);
        return it != m_rows.end() && *it == storeRow ? int(it - m_rows.begin()) : -1;
    }
    if (!m_positionsValid || m_positions.size() < m_known) {
        m_positions.assign(m_known, -1);
        for (std::size_t i = 0; i < m_rows.size(); ++i)
            m_positions[m_rows[i]] = std::int32_t(i);
        m_positionsValid = true;
    }
    return storeRow < m_positions.size() ? m_positions[storeRow] : -1;
}

bool FlowTableModel::inOrderAt(int position) const
{
    const std::uint32_t row = m_rows[position];
    if (position > 0 && less(row, m_rows[position - 1]))
        return false;
    return std::size_t(position) + 1 >= m_rows.size() || !less(m_rows[position + 1], row);
}

// ---- filter and sort ----

void FlowTableModel::sort(int column, Qt::SortOrder order)
{
    if (column >= ColumnCount)
        return;
    View view = m_pending ? m_pending->view : m_active;
    if (view.sortColumn == column && (column < 0 || view.order == order))
        return;
    view.sortColumn = column;
    view.order = order;
    startRebuild(std::move(view));
}

void FlowTableModel::setFilter(Predicate predicate, bool readsHeaders)
{
    View view = m_pending ? m_pending->view : m_active;
    view.filterReadsHeaders = predicate && readsHeaders;
    view.filter = std::move(predicate);
    startRebuild(std::move(view));
}

void FlowTableModel::setScope(Predicate predicate, bool readsHeaders)
{
    View view = m_pending ? m_pending->view : m_active;
    view.scopeReadsHeaders = predicate && readsHeaders;
    view.scope = std::move(predicate);
    startRebuild(std::move(view));
}

void FlowTableModel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (paused || m_skipped.empty())
        return;
    // Resumed: what arrived meanwhile takes its place, by the rebuild a filter change uses
    // (sliced, then one reset), so the table again shows what a save or export writes.
    m_skipped.clear();
    m_skippedCount = 0;
    Q_EMIT skippedCountChanged(0);
    startRebuild(m_pending ? m_pending->view : m_active);
}

void FlowTableModel::startRebuild(View view)
{
    m_pending = std::make_unique<Rebuild>();
    m_pending->view = std::move(view);
    m_pending->generation = ++m_generation;
    m_pending->clock.start();
    Q_EMIT rebuildStarted();
    // The first slice runs now: a small store is done before this returns.
    continueRebuild();
}

void FlowTableModel::continueRebuild()
{
    if (!m_pending || m_pending->sorting)
        return;
    Rebuild &r = *m_pending;
    const bool sorted = r.view.sortColumn >= 0;
    // Without header lists to read back, records are only read (FlowStore::peek()), and only
    // this thread changes the store, which it does not do while it waits here: a pool thread
    // walks the second half of each chunk meanwhile. Reading headers back writes to the
    // store: one thread, and smaller chunks, for the disk reads.
    const bool shared = !needsHeaders(r.view);
    const std::size_t chunk = shared ? kWalkChunkRows : 256;
    QElapsedTimer slice;
    slice.start();
    while (r.next < m_known) {
        const std::size_t from = r.next;
        const std::size_t to = std::min(m_known, from + chunk);
        if (shared && to - from >= 2 * kPrefetchRows) {
            const std::size_t middle = from + (to - from) / 2;
            Walked second;
            QFuture<void> helper = QtConcurrent::run(
                [this, &r, &second, middle, to] { walk(r.view, middle, to, second); });
            walk(r.view, from, middle, r);
            helper.waitForFinished(); // runs it here if no pool thread took it
            r.rows.insert(r.rows.end(), second.rows.begin(), second.rows.end());
            const std::size_t base = r.texts.size();
            for (SortKey &key : second.keys)
                key.textOffset += base;
            r.keys.insert(r.keys.end(), second.keys.begin(), second.keys.end());
            r.texts.append(second.texts);
        } else {
            walk(r.view, from, to, r);
        }
        r.next = to;
        if (r.next < m_known && slice.elapsed() >= kSliceMillis) {
            m_sliceTimer->start();
            return;
        }
    }

    if (!sorted) {
        install(std::move(r.rows));
        return;
    }
    const bool descending = r.view.order == Qt::DescendingOrder;
    if (r.keys.size() < kInlineSortEntries) {
        install(sortRows(std::move(r.keys), r.texts, descending));
        return;
    }
    // The keys and texts are the worker's own: the store may change meanwhile.
    r.sorting = true;
    const std::uint64_t generation = r.generation;
    auto *watcher = new QFutureWatcher<std::vector<std::uint32_t>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (m_pending && m_pending->generation == generation)
            install(watcher->future().takeResult());
    });
    watcher->setFuture(QtConcurrent::run(
        [keys = std::move(r.keys), texts = std::move(r.texts), descending]() mutable {
            return sortRows(std::move(keys), texts, descending);
        }));
}

void FlowTableModel::walk(const View &view, std::size_t from, std::size_t to, Walked &out) const
{
    const int column = view.sortColumn;
    const bool sorted = column >= 0;
    // Records sit one to a deque node, each a cache miss: the ones ahead are asked for early
    // (unless reading one may mean reading its headers back from disk).
    const bool ahead = !needsHeaders(view);
    for (std::size_t row = from; row < to; ++row) {
        if (ahead && row + kPrefetchRows < to) {
            __builtin_prefetch(&m_store.peek(row + kPrefetchRows));
            // The sort key's text lives apart from the record (longer than a short string):
            // asked for once the record it hangs off has had time to arrive.
            if (sorted)
                __builtin_prefetch(
                    keyOf(m_store.peek(row + kPrefetchRows / 2), column).text.data());
        }
        if (isSkipped(row))
            continue;
        const Flow &f = record(view, row);
        if (!accepts(view, f))
            continue;
        if (sorted) {
            const Key key = keyOf(f, column);
            out.keys.push_back(
                {key.number, out.texts.size(), std::uint32_t(key.text.size()), std::uint32_t(row)});
            out.texts.append(key.text);
        } else {
            out.rows.push_back(std::uint32_t(row));
        }
    }
}

std::vector<std::uint32_t> FlowTableModel::sortRows(std::vector<SortKey> keys,
                                                    const std::string &texts, bool descending)
{
    // Texts become ranks first: a column has few distinct texts (hosts, methods, schemes), or
    // sorting its distinct ones is the work anyway (paths). An open-addressing table of the
    // distinct ones, their hashes kept, so that a repeated text costs a hash and one compare.
    std::vector<std::uint32_t> rank(keys.size(), 0);
    std::size_t ranks = 1;
    const bool anyText
        = std::any_of(keys.begin(), keys.end(), [](const SortKey &k) { return k.textSize != 0; });
    if (anyText) {
        const std::string_view all(texts);
        constexpr std::uint32_t kEmpty = UINT32_MAX;
        std::vector<std::string_view> distinct;
        std::vector<std::size_t> hashes;
        std::vector<std::uint32_t> table(1024, kEmpty);
        const auto place = [&table](std::size_t hash, std::uint32_t id) {
            std::size_t i = hash & (table.size() - 1);
            while (table[i] != kEmpty)
                i = (i + 1) & (table.size() - 1);
            table[i] = id;
        };
        for (std::size_t k = 0; k < keys.size(); ++k) {
            const std::string_view text = all.substr(keys[k].textOffset, keys[k].textSize);
            const std::size_t hash = std::hash<std::string_view>{}(text);
            std::size_t i = hash & (table.size() - 1);
            std::uint32_t id = kEmpty;
            for (; table[i] != kEmpty; i = (i + 1) & (table.size() - 1)) {
                if (hashes[table[i]] == hash && distinct[table[i]] == text) {
                    id = table[i];
                    break;
                }
            }
            if (id == kEmpty) {
                id = std::uint32_t(distinct.size());
                distinct.push_back(text);
                hashes.push_back(hash);
                if (distinct.size() * 2 > table.size()) { // grow: at most half full
                    table.assign(table.size() * 2, kEmpty);
                    for (std::uint32_t d = 0; d < distinct.size(); ++d)
                        place(hashes[d], d);
                } else {
                    table[i] = id;
                }
            }
            rank[k] = id;
        }
        std::vector<std::uint32_t> order(distinct.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = std::uint32_t(i);
        std::sort(order.begin(), order.end(), [&distinct](std::uint32_t a, std::uint32_t b) {
            return distinct[a] < distinct[b];
        });
        std::vector<std::uint32_t> rankOfId(distinct.size());
        for (std::size_t r = 0; r < order.size(); ++r)
            rankOfId[order[r]] = std::uint32_t(r);
        for (std::uint32_t &r : rank)
            r = rankOfId[r];
        ranks = distinct.size();
    }

    std::int64_t low = 0, high = 0;
    if (!keys.empty()) {
        const auto [min, max]
            = std::minmax_element(keys.begin(), keys.end(), [](const SortKey &a, const SortKey &b) {
                  return a.number < b.number;
              });
        low = min->number;
        high = max->number;
    }
    const std::uint64_t span = std::uint64_t(high) - std::uint64_t(low);
    const int numberBits = int(std::bit_width(span));
    std::vector<std::uint32_t> rows(keys.size());
    if (numberBits + int(std::bit_width(ranks - 1)) <= 64) {
        // (rank, number) fits one word: a stable radix sort, 11 bits a pass, of the rows in
        // arrival order (the walk's), so ties keep arrival order; descending turns the key
        // round, which keeps that.
        struct Item
        {
            std::uint64_t key;
            std::uint32_t row;
        };
        const auto ranked = [numberBits](std::uint64_t r) { // no text: rank 0, maybe 64 bits
            return numberBits >= 64 ? 0 : r << numberBits;
        };
        const std::uint64_t top = ranked(ranks - 1) | span;
        std::vector<Item> items(keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const std::uint64_t key
                = ranked(rank[i]) | (std::uint64_t(keys[i].number) - std::uint64_t(low));
            items[i] = {descending ? top - key : key, keys[i].row};
        }
        keys = {};
        rank = {};
        std::vector<Item> other(items.size());
        constexpr int kDigitBits = 11;
        for (int shift = 0; shift < int(std::bit_width(top)); shift += kDigitBits) {
            std::array<std::size_t, std::size_t(1) << kDigitBits> at{};
            for (const Item &item : items)
                ++at[(item.key >> shift) & (at.size() - 1)];
            std::size_t sum = 0;
            for (std::size_t &a : at)
                sum += std::exchange(a, sum);
            for (const Item &item : items)
                other[at[(item.key >> shift) & (at.size() - 1)]++] = item;
            items.swap(other);
        }
        for (std::size_t i = 0; i < items.size(); ++i)
            rows[i] = items[i].row;
        return rows;
    }

    // (rank, number, row) in 128 bits, compared as unsigned: the number's sign bit flipped so
    // that it orders as unsigned; descending inverts rank and number, never the row (ties go
    // by arrival either way).
    struct Packed
    {
        std::uint64_t high;
        std::uint64_t low;
        bool operator<(const Packed &o) const
        {
            return high != o.high ? high < o.high : low < o.low;
        }
    };
    std::vector<Packed> packed(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::uint64_t r = rank[i];
        std::uint64_t n = std::uint64_t(keys[i].number) ^ (std::uint64_t(1) << 63);
        if (descending) {
            r = ~r & 0xffffffffu;
            n = ~n;
        }
        packed[i] = {(r << 32) | (n >> 32), (n << 32) | keys[i].row};
    }
    keys = {};
    rank = {};
    std::sort(packed.begin(), packed.end());
    for (std::size_t i = 0; i < packed.size(); ++i)
        rows[i] = std::uint32_t(packed[i].low);
    return rows;
}

void FlowTableModel::install(std::vector<std::uint32_t> rows)
{
    const std::unique_ptr<Rebuild> done = std::move(m_pending);
    const std::size_t walked = done->next;
    beginResetModel();
    m_active = done->view;
    m_rows = std::move(rows);
    m_positionsValid = false;
    endResetModel();
    // Rows that changed or arrived while the rebuild ran, now under the new filter and order.
    std::vector<std::size_t> changed = done->changedMeanwhile;
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    changed.erase(std::lower_bound(changed.begin(), changed.end(), walked), changed.end());
    update(walked, m_known, changed);
    Q_EMIT rebuildFinished(done->clock.elapsed());
}

// ---- cells ----

QVariant FlowTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const std::uint32_t storeRow = m_rows[std::size_t(index.row())];
    if (storeRow >= m_store.size())
        return {};
    const Flow &f = m_store.at(storeRow);
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return rowText(storeRow)[std::size_t(column)];
    case Qt::ToolTipRole:
        if (!f.marks.comment.empty() && (column == CommentColumn || column == NumberColumn))
            return fromStd(f.marks.comment);
        if (column == PathColumn || column == HostColumn)
            return fromStd(f.url());
        if (column == TlsColumn) {
            for (const auto *side : {f.clientTls.get(), f.serverTls.get()}) {
                if (side && !side->failure.empty())
                    return fromStd(side->failure);
            }
            if (f.serverTls && !f.serverTls->verified && !f.serverTls->verifyError.empty())
                return tr("Server certificate not verified: %1")
                    .arg(fromStd(f.serverTls->verifyError));
        }
        if (!f.error.empty())
            return fromStd(f.error);
        if (!f.marks.comment.empty())
            return fromStd(f.marks.comment);
        return {};
    case Qt::DecorationRole:
        if (column == NumberColumn && f.marks.pinned)
            return pinIcon();
        return {};
    case Qt::BackgroundRole:
        if (f.marks.color == flow::MarkColor::None)
            return {};
        return markTint(f.marks.color,
                        QGuiApplication::palette().color(QPalette::Base).lightness() < 128);
    case Qt::TextAlignmentRole:
        switch (column) {
        case NumberColumn:
        case StatusColumn:
        case RequestSizeColumn:
        case ResponseSizeColumn:
        case DurationColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case Qt::ForegroundRole:
        return foreground(f, column);
    case SortRole:
        return sortValue(f, column);
    case FlowIdRole:
        return qulonglong(f.id);
    default:
        return {};
    }
}

const FlowTableModel::RowText &FlowTableModel::rowText(std::uint32_t storeRow) const
{
    if (const RowText *cached = m_text.object(storeRow))
        return *cached;
    auto *text = new RowText;
    const Flow &f = m_store.at(storeRow);
    for (int column = 0; column < ColumnCount; ++column)
        (*text)[std::size_t(column)] = display(f, column);
    m_text.insert(storeRow, text);
    return *text;
}

QString FlowTableModel::display(const Flow &f, int column) const
{
    const bool tunnel = f.kind == FlowKind::Tunnel;
    switch (column) {
    case NumberColumn:
        return QString::number(f.id);
    case TimeColumn: {
        if (f.startedWall <= 0)
            return QString();
        // Today's flows by time alone; an opened session's or HAR's older ones with the date.
        const QDateTime started = QDateTime::fromMSecsSinceEpoch(f.startedWall);
        return started.toString(started.date() == QDate::currentDate()
                                    ? QStringLiteral("HH:mm:ss.zzz")
                                    : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    }
    case ClientColumn:
        return fromStd(f.clientAddress);
    case MethodColumn:
        return tunnel ? QStringLiteral("CONNECT") : fromStd(f.method);
    case SchemeColumn:
        return fromStd(f.scheme);
    case HostColumn:
        return hostText(f);
    case PathColumn:
        return tunnel ? QString() : fromStd(f.path);
    case StatusColumn:
        if (f.status > 0)
            return QString::number(f.status);
        return f.state == FlowState::Open ? QStringLiteral("\u2026") : QString();
    case ClientProtocolColumn:
        return fromStd(f.clientProtocol);
    case ServerProtocolColumn:
        return fromStd(f.serverProtocol);
    case TlsColumn: {
        const QString version = QString::fromUtf8(tlsVersion(f));
        switch (tlsStateOf(f)) {
        case TlsState::None:
            return QString();
        case TlsState::PassThrough:
            return version.isEmpty() ? tr("passed through") : tr("passed through, %1").arg(version);
        case TlsState::Plain:
            return version;
        case TlsState::Intercepted:
            return version.isEmpty() ? tr("intercepted") : tr("intercepted, %1").arg(version);
        case TlsState::Failed:
            return tr("handshake failed");
        }
        return QString();
    }
    case TypeColumn:
        switch (typeOf(f)) {
        case FlowType::Exchange:
            return tr("exchange");
        case FlowType::Tunnel:
            return tr("tunnel");
        case FlowType::WebSocket:
            return tr("WebSocket");
        }
        return QString();
    case RequestSizeColumn:
        if (tunnel || f.requestBody)
            return formatBytes(requestSize(f));
        return QString();
    case ResponseSizeColumn:
        if (tunnel || f.responseBody || f.status > 0)
            return formatBytes(responseSize(f));
        return QString();
    case DurationColumn: {
        const std::int64_t micros = f.durationMicros();
        if (micros < 0)
            return QString();
        if (micros < 10 * 1000)
            return tr("%1 ms").arg(double(micros) / 1000.0, 0, 'f', 1);
        return tr("%1 ms").arg(micros / 1000);
    }
    case ErrorColumn:
        return fromStd(f.error);
    case CommentColumn: // its first line; the tooltip has it all
        return fromStd(f.marks.comment.substr(0, f.marks.comment.find('\n')));
    default:
        return QString();
    }
}

QVariant FlowTableModel::sortValue(const Flow &f, int column) const
{
    const Key key = keyOf(f, column);
    if (key.text.empty())
        return qlonglong(key.number);
    return QString::fromUtf8(key.text);
}

QVariant FlowTableModel::foreground(const Flow &f, int column) const
{
    // Hint colours that read on the current palette: darker on light bases, lighter on dark.
    const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
    if (looksFailed(f))
        return dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28);
    if (column == TlsColumn) {
        switch (tlsStateOf(f)) {
        case TlsState::Intercepted:
            return dark ? QColor(0x79, 0xc0, 0xff) : QColor(0x0b, 0x5c, 0xad);
        case TlsState::Failed:
            return dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28);
        default:
            break;
        }
    }
    return {};
}

QVariant FlowTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NumberColumn:
            return tr("#");
        case TimeColumn:
            return tr("Time");
        case ClientColumn:
            return tr("Client");
        case MethodColumn:
            return tr("Method");
        case SchemeColumn:
            return tr("Scheme");
        case HostColumn:
            return tr("Host");
        case PathColumn:
            return tr("Path");
        case StatusColumn:
            return tr("Status");
        case ClientProtocolColumn:
            return tr("Client protocol");
        case ServerProtocolColumn:
            return tr("Server protocol");
        case TlsColumn:
            return tr("TLS");
        case TypeColumn:
            return tr("Type");
        case RequestSizeColumn:
            return tr("Request");
        case ResponseSizeColumn:
            return tr("Response");
        case DurationColumn:
            return tr("Duration");
        case ErrorColumn:
            return tr("Error");
        case CommentColumn:
            return tr("Comment");
        }
    }
    if (role == Qt::TextAlignmentRole) { // numbers line up under a right-aligned title
        switch (section) {
        case NumberColumn:
        case StatusColumn:
        case RequestSizeColumn:
        case ResponseSizeColumn:
        case DurationColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case RequestSizeColumn:
            return tr("Request body bytes; for tunnels, bytes from the client to the server");
        case ResponseSizeColumn:
            return tr("Response body bytes; for tunnels, bytes from the server to the client");
        case DurationColumn:
            return tr("From the request's arrival to the end of the response");
        case ClientColumn:
            return tr("Client address and port");
        case ClientProtocolColumn:
            return tr("The HTTP version the client spoke to the proxy");
        case ServerProtocolColumn:
            return tr("The HTTP version the server answered the proxy with");
        case TlsColumn:
            return tr("Whether the proxy decrypted the connection, and the TLS version");
        case TypeColumn:
            return tr("Exchange (request and response), tunnel (CONNECT) or WebSocket");
        case CommentColumn:
            return tr("Your comment on the flow (row menu \u2192 Comment\u2026); the filter "
                      "finds it with comment:text");
        }
    }
    return {};
}

QString FlowTableModel::formatBytes(std::uint64_t bytes)
{
    if (bytes < 1024)
        return tr("%1 B").arg(bytes);
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = double(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1023.95 && unit + 1 < std::size(units)) { // never "1024.0 KiB"
        value /= 1024.0;
        ++unit;
    }
    // The locale's decimal separator ("1,4 KiB" in German); the units are IEC symbols.
    return QStringLiteral("%1 %2").arg(QLocale().toString(value, 'f', 1),
                                       QLatin1String(units[unit]));
}

} // namespace ts::ui
