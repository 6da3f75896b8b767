#include "ui/models/flow_table_model.h"

#include "core/flow/flow_store.h"

#include <QColor>
#include <QDateTime>
#include <QGuiApplication>
#include <QPalette>

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

std::uint64_t sizeOf(const Flow &f)
{
    if (f.kind == FlowKind::Tunnel)
        return f.bytesClientToServer + f.bytesServerToClient;
    return f.responseBody ? f.responseBody->size() : 0;
}

bool looksFailed(const Flow &f)
{
    return !f.error.empty() || f.state == FlowState::Failed || f.status >= 400;
}

} // namespace

FlowTableModel::FlowTableModel(flow::FlowStore &store, QObject *parent)
    : QAbstractTableModel(parent), m_store(store), m_rowCount(int(store.size()))
{
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &FlowTableModel::insertRows);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &FlowTableModel::changeRows);
    connect(&m_store, &flow::FlowStore::cleared, this, &FlowTableModel::reset);
}

FlowTableModel::~FlowTableModel() = default;

int FlowTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rowCount;
}

int FlowTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void FlowTableModel::insertRows(qsizetype first, qsizetype last)
{
    // The store signals once per batch with the rows it appended; anything we already announced
    // (or that is no longer there) is skipped, so the bounds always match what views know.
    Q_UNUSED(first);
    last = std::min<qsizetype>(last, qsizetype(m_store.size()) - 1);
    if (last < m_rowCount)
        return;
    beginInsertRows({}, m_rowCount, int(last));
    m_rowCount = int(last) + 1;
    endInsertRows();
}

void FlowTableModel::changeRows(const std::vector<std::size_t> &rows)
{
    // Rows arrive sorted: one dataChanged per run of adjacent rows.
    std::size_t i = 0;
    while (i < rows.size()) {
        const std::size_t start = rows[i];
        std::size_t end = start;
        while (i + 1 < rows.size() && rows[i + 1] == end + 1)
            end = rows[++i];
        ++i;
        if (start >= std::size_t(m_rowCount))
            break;
        end = std::min(end, std::size_t(m_rowCount) - 1);
        Q_EMIT dataChanged(index(int(start), 0), index(int(end), ColumnCount - 1));
    }
}

void FlowTableModel::reset()
{
    beginResetModel();
    m_rowCount = int(m_store.size());
    endResetModel();
}

QVariant FlowTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto row = std::size_t(index.row());
    if (row >= m_store.size()) // between a store clear and our reset
        return {};
    const Flow &f = m_store.at(row);
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return display(f, column);
    case Qt::ToolTipRole:
        if (column == PathColumn || column == HostColumn)
            return fromStd(f.url());
        if (!f.error.empty())
            return fromStd(f.error);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case NumberColumn:
        case StatusColumn:
        case SizeColumn:
        case DurationColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case Qt::ForegroundRole:
        return foreground(f);
    case SortRole:
        return sortValue(f, column);
    case FlowIdRole:
        return qulonglong(f.id);
    default:
        return {};
    }
}

QVariant FlowTableModel::display(const Flow &f, int column) const
{
    const bool tunnel = f.kind == FlowKind::Tunnel;
    switch (column) {
    case NumberColumn:
        return QString::number(f.id);
    case TimeColumn:
        return f.startedWall > 0 ? QDateTime::fromMSecsSinceEpoch(f.startedWall)
                                       .toString(QStringLiteral("HH:mm:ss.zzz"))
                                 : QString();
    case ClientColumn:
        return fromStd(f.clientAddress);
    case MethodColumn:
        return tunnel ? QStringLiteral("CONNECT") : fromStd(f.method);
    case HostColumn:
        return hostText(f);
    case PathColumn:
        return tunnel ? QString() : fromStd(f.path);
    case StatusColumn:
        if (f.status > 0)
            return QString::number(f.status);
        return f.state == FlowState::Open ? QStringLiteral("\u2026") : QString();
    case SizeColumn:
        if (tunnel)
            return QStringLiteral("\u2191 %1  \u2193 %2")
                .arg(formatBytes(f.bytesClientToServer), formatBytes(f.bytesServerToClient));
        if (f.responseBody || f.status > 0)
            return formatBytes(sizeOf(f));
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
    default:
        return {};
    }
}

QVariant FlowTableModel::sortValue(const Flow &f, int column) const
{
    switch (column) {
    case NumberColumn:
        return qulonglong(f.id);
    case TimeColumn:
        return qlonglong(f.startedWall);
    case StatusColumn:
        return f.status;
    case SizeColumn:
        return qulonglong(sizeOf(f));
    case DurationColumn:
        return qlonglong(f.durationMicros());
    default:
        return display(f, column);
    }
}

QVariant FlowTableModel::foreground(const Flow &f) const
{
    if (!looksFailed(f))
        return {};
    // A red that reads on the current palette: darker on light bases, lighter on dark ones.
    const QColor base = QGuiApplication::palette().color(QPalette::Base);
    return base.lightness() < 128 ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28);
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
        case HostColumn:
            return tr("Host");
        case PathColumn:
            return tr("Path");
        case StatusColumn:
            return tr("Status");
        case SizeColumn:
            return tr("Size");
        case DurationColumn:
            return tr("Duration");
        case ErrorColumn:
            return tr("Error");
        }
    }
    if (role == Qt::TextAlignmentRole) { // numbers line up under a right-aligned title
        switch (section) {
        case NumberColumn:
        case StatusColumn:
        case SizeColumn:
        case DurationColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case SizeColumn:
            return tr("Response body bytes; for tunnels, bytes client to server (\u2191) and "
                      "server to client (\u2193)");
        case DurationColumn:
            return tr("From the request's arrival to the end of the response");
        case ClientColumn:
            return tr("Client address and port");
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
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

} // namespace ts::ui
