#include "ui/panes/tunnel_model.h"

#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"

#include <QElapsedTimer>

#include <algorithm>

namespace ts::ui {

using flow::Flow;
using flow::FlowKind;
using flow::FlowState;

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

qint64 monotonicMillis()
{
    static QElapsedTimer timer = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return timer.elapsed();
}

QString stateText(const Flow &f)
{
    switch (f.state) {
    case FlowState::Open:
        return TunnelModel::tr("open");
    case FlowState::Complete:
        return TunnelModel::tr("closed");
    case FlowState::Failed:
        return TunnelModel::tr("failed");
    }
    return {};
}

} // namespace

TunnelModel::TunnelModel(flow::FlowStore &store, QObject *parent)
    : QAbstractTableModel(parent), m_store(store), m_clock(&monotonicMillis)
{
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &TunnelModel::appendTunnels);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &TunnelModel::changeRows);
    connect(&m_store, &flow::FlowStore::cleared, this, &TunnelModel::reset);
    // Rows renumbered: rows are store rows, so read them again.
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, &TunnelModel::reset);
    connect(&m_store, &flow::FlowStore::flowsRestored, this, &TunnelModel::reset);
    reset();
}

TunnelModel::~TunnelModel() = default;

void TunnelModel::setClock(Clock clock)
{
    m_clock = std::move(clock);
}

int TunnelModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TunnelModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

TunnelModel::Row TunnelModel::newRow(std::size_t storeRow) const
{
    const Flow &f = m_store.at(storeRow);
    Row row;
    row.storeRow = storeRow;
    row.sampleUp = f.bytesClientToServer;
    row.sampleDown = f.bytesServerToClient;
    row.sampleAt = m_clock();
    return row;
}

void TunnelModel::appendTunnels(qsizetype first, qsizetype last)
{
    // Rows the store appended: scan what we have not seen yet, insert the tunnels in one go.
    Q_UNUSED(first);
    const std::size_t end = std::min(std::size_t(last) + 1, m_store.size());
    std::vector<Row> found;
    for (std::size_t r = m_scanned; r < end; ++r)
        if (m_store.at(r).kind == FlowKind::Tunnel)
            found.push_back(newRow(r));
    m_scanned = std::max(m_scanned, end);
    if (found.empty())
        return;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + found.size()) - 1);
    m_rows.insert(m_rows.end(), found.begin(), found.end());
    endInsertRows();
}

void TunnelModel::changeRows(const std::vector<std::size_t> &rows)
{
    const qint64 now = m_clock();
    int runStart = -1;
    int runEnd = -1;
    auto flushRun = [&] {
        if (runStart >= 0)
            Q_EMIT dataChanged(index(runStart, 0), index(runEnd, ColumnCount - 1));
        runStart = runEnd = -1;
    };
    for (const std::size_t storeRow : rows) {
        const auto it
            = std::lower_bound(m_rows.begin(), m_rows.end(), storeRow,
                               [](const Row &r, std::size_t value) { return r.storeRow < value; });
        if (it == m_rows.end() || it->storeRow != storeRow)
            continue; // not a tunnel
        Row &row = *it;
        const Flow &f = m_store.at(storeRow);
        const qint64 elapsed = now - row.sampleAt;
        if (elapsed >= kRateIntervalMs) {
            const double seconds = double(elapsed) / 1000.0;
            // Counters only grow; a smaller value (a replaced record) restarts the sample.
            row.rate.up = f.bytesClientToServer >= row.sampleUp
                              ? double(f.bytesClientToServer - row.sampleUp) / seconds
                              : 0;
            row.rate.down = f.bytesServerToClient >= row.sampleDown
                                ? double(f.bytesServerToClient - row.sampleDown) / seconds
                                : 0;
            row.sampleUp = f.bytesClientToServer;
            row.sampleDown = f.bytesServerToClient;
            row.sampleAt = now;
        }
        const int modelRow = int(it - m_rows.begin());
        if (runStart >= 0 && modelRow == runEnd + 1) {
            runEnd = modelRow;
        } else {
            flushRun();
            runStart = runEnd = modelRow;
        }
    }
    flushRun();
}

void TunnelModel::reset()
{
    beginResetModel();
    m_rows.clear();
    m_scanned = 0;
    for (std::size_t r = 0; r < m_store.size(); ++r)
        if (m_store.at(r).kind == FlowKind::Tunnel)
            m_rows.push_back(newRow(r));
    m_scanned = m_store.size();
    endResetModel();
}

void TunnelModel::refreshRates()
{
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, ThroughputColumn), index(rowCount() - 1, ThroughputColumn));
}

const Flow *TunnelModel::flowAt(int row) const
{
    if (row < 0 || std::size_t(row) >= m_rows.size())
        return nullptr;
    const std::size_t storeRow = m_rows[std::size_t(row)].storeRow;
    return storeRow < m_store.size() ? &m_store.at(storeRow) : nullptr;
}

flow::FlowId TunnelModel::flowIdAt(int row) const
{
    const Flow *f = flowAt(row);
    return f ? f->id : 0;
}

int TunnelModel::rowOf(flow::FlowId id) const
{
    const std::size_t storeRow = m_store.rowOf(id);
    const auto it
        = std::lower_bound(m_rows.begin(), m_rows.end(), storeRow,
                           [](const Row &r, std::size_t value) { return r.storeRow < value; });
    return it != m_rows.end() && it->storeRow == storeRow ? int(it - m_rows.begin()) : -1;
}

TunnelModel::Rate TunnelModel::currentRate(const Flow &f, const Row &row) const
{
    if (f.state != FlowState::Open || m_clock() - row.sampleAt > kQuietMs)
        return {};
    return row.rate;
}

TunnelModel::Rate TunnelModel::rateAt(int row) const
{
    const Flow *f = flowAt(row);
    return f ? currentRate(*f, m_rows[std::size_t(row)]) : Rate{};
}

QString TunnelModel::carrierText(const Flow &f)
{
    if (f.clientProtocol == "SOCKS5")
        return QStringLiteral("SOCKS5");
    if (f.clientStream != 0)
        return tr("%1 stream %2 on connection %3")
            .arg(fromStd(f.clientProtocol))
            .arg(f.clientStream)
            .arg(f.clientConnection);
    return tr("%1 CONNECT").arg(fromStd(f.clientProtocol));
}

QString TunnelModel::formatRate(double bytesPerSecond)
{
    if (bytesPerSecond <= 0)
        return tr("0 B/s");
    return tr("%1/s").arg(FlowTableModel::formatBytes(std::uint64_t(bytesPerSecond + 0.5)));
}

QVariant TunnelModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Flow *f = flowAt(index.row());
    if (!f)
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(*f, row, column);
    case Qt::ToolTipRole:
        if (column == InterceptionColumn || column == CloseReasonColumn) {
            if (!f->closeReason.empty())
                return fromStd(f->closeReason);
            if (!f->error.empty())
                return fromStd(f->error);
        }
        if (column == ThroughputColumn)
            return tr("Over the last %1 ms between updates").arg(kRateIntervalMs);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case NumberColumn:
        case SentColumn:
        case ReceivedColumn:
        case ThroughputColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case SortRole:
        return sortValue(*f, row, column);
    case FlowIdRole:
        return qulonglong(f->id);
    default:
        return {};
    }
}

QVariant TunnelModel::display(const Flow &f, const Row &row, int column) const
{
    switch (column) {
    case NumberColumn:
        return QString::number(f.id);
    case ClientColumn:
        return fromStd(f.clientAddress);
    case TargetColumn:
        return fromStd(f.url());
    case CarrierColumn:
        return carrierText(f);
    case InterceptionColumn:
        return f.intercepted ? tr("intercepted") : tr("passed through");
    case SentColumn:
        return FlowTableModel::formatBytes(f.bytesClientToServer);
    case ReceivedColumn:
        return FlowTableModel::formatBytes(f.bytesServerToClient);
    case ThroughputColumn: {
        if (f.state != FlowState::Open)
            return QString();
        const Rate rate = currentRate(f, row);
        return QStringLiteral("\u2191 %1  \u2193 %2")
            .arg(formatRate(rate.up), formatRate(rate.down));
    }
    case StateColumn:
        return stateText(f);
    case CloseReasonColumn:
        return fromStd(!f.closeReason.empty() ? f.closeReason : f.error);
    default:
        return {};
    }
}

QVariant TunnelModel::sortValue(const Flow &f, const Row &row, int column) const
{
    switch (column) {
    case NumberColumn:
        return qulonglong(f.id);
    case SentColumn:
        return qulonglong(f.bytesClientToServer);
    case ReceivedColumn:
        return qulonglong(f.bytesServerToClient);
    case ThroughputColumn: {
        const Rate rate = currentRate(f, row);
        return rate.up + rate.down;
    }
    default:
        return display(f, row, column);
    }
}

QVariant TunnelModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NumberColumn:
            return tr("#");
        case ClientColumn:
            return tr("Client");
        case TargetColumn:
            return tr("Target");
        case CarrierColumn:
            return tr("Carrier");
        case InterceptionColumn:
            return tr("TLS");
        case SentColumn:
            return tr("Sent \u2191");
        case ReceivedColumn:
            return tr("Received \u2193");
        case ThroughputColumn:
            return tr("Throughput");
        case StateColumn:
            return tr("State");
        case CloseReasonColumn:
            return tr("Close reason");
        }
    }
    if (role == Qt::TextAlignmentRole) {
        switch (section) {
        case NumberColumn:
        case SentColumn:
        case ReceivedColumn:
        case ThroughputColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case CarrierColumn:
            return tr("How the client asked for the tunnel");
        case InterceptionColumn:
            return tr("Intercepted (decrypted) or passed through as it is; the tooltip says why");
        case SentColumn:
            return tr("Bytes from the client to the server");
        case ReceivedColumn:
            return tr("Bytes from the server to the client");
        case ThroughputColumn:
            return tr("Bytes per second each way between the last two updates");
        }
    }
    return {};
}

} // namespace ts::ui
