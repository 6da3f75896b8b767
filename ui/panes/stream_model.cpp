#include "ui/panes/stream_model.h"

#include "ui/models/flow_table_model.h"
#include "ui/panes/h2_names.h"

#include <QStringList>

#include <algorithm>

namespace ts::ui {

using flow::StreamRecord;

namespace {

bool rightAligned(int column)
{
    switch (column) {
    case StreamModel::IdColumn:
    case StreamModel::InColumn:
    case StreamModel::OutColumn:
    case StreamModel::LocalWindowColumn:
    case StreamModel::RemoteWindowColumn:
    case StreamModel::FlowColumn:
        return true;
    default:
        return false;
    }
}

bool sameIds(const std::vector<StreamRecord> &a, std::size_t aFrom,
             const std::vector<StreamRecord> &b, std::size_t count)
{
    for (std::size_t i = 0; i < count; ++i)
        if (a[aFrom + i].id != b[i].id)
            return false;
    return true;
}

} // namespace

StreamModel::StreamModel(QObject *parent) : QAbstractTableModel(parent)
{}

StreamModel::~StreamModel() = default;

void StreamModel::setLog(std::shared_ptr<const flow::ConnectionLog> log)
{
    beginResetModel();
    m_log = std::move(log);
    m_streams.clear();
    m_version = 0;
    m_polled = false;
    endResetModel();
    poll();
}

bool StreamModel::poll()
{
    if (!m_log)
        return false;
    const std::uint64_t version = m_log->version();
    if (m_polled && version == m_version)
        return false;
    m_polled = true;
    m_version = version;
    std::vector<StreamRecord> fresh = m_log->streams();

    // Usually the old ids, minus some at the front (the log keeps the newest), are a prefix of
    // the new ones.
    std::size_t dropped = 0;
    if (!m_streams.empty() && !fresh.empty()) {
        const auto it
            = std::lower_bound(m_streams.begin(), m_streams.end(), fresh.front().id,
                               [](const StreamRecord &s, std::uint64_t id) { return s.id < id; });
        dropped = std::size_t(it - m_streams.begin());
    } else {
        dropped = m_streams.size();
    }
    const std::size_t kept = m_streams.size() - dropped;
    if (kept > fresh.size() || !sameIds(m_streams, dropped, fresh, kept)) {
        beginResetModel();
        m_streams = std::move(fresh);
        endResetModel();
        return true;
    }
    if (dropped > 0) {
        beginRemoveRows({}, 0, int(dropped) - 1);
        m_streams.erase(m_streams.begin(), m_streams.begin() + std::ptrdiff_t(dropped));
        endRemoveRows();
    }
    for (std::size_t i = 0; i < kept; ++i)
        m_streams[i] = std::move(fresh[i]);
    if (kept > 0)
        Q_EMIT dataChanged(index(0, 0), index(int(kept) - 1, ColumnCount - 1));
    if (fresh.size() > kept) {
        beginInsertRows({}, int(kept), int(fresh.size()) - 1);
        for (std::size_t i = kept; i < fresh.size(); ++i)
            m_streams.push_back(std::move(fresh[i]));
        endInsertRows();
    }
    return true;
}

const StreamRecord *StreamModel::streamAt(int row) const
{
    return row >= 0 && std::size_t(row) < m_streams.size() ? &m_streams[std::size_t(row)] : nullptr;
}

int StreamModel::rowOfStream(std::uint64_t id) const
{
    const auto it
        = std::lower_bound(m_streams.begin(), m_streams.end(), id,
                           [](const StreamRecord &s, std::uint64_t v) { return s.id < v; });
    return it != m_streams.end() && it->id == id ? int(it - m_streams.begin()) : -1;
}

int StreamModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_streams.size());
}

int StreamModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString StreamModel::historyText(const StreamRecord &stream)
{
    QStringList lines;
    for (const flow::StreamTransition &t : stream.history)
        lines << QStringLiteral("%1 s  %2")
                     .arg(double(t.micros) / 1e6, 0, 'f', 6)
                     .arg(QString::fromStdString(t.state));
    return lines.join(QLatin1Char('\n'));
}

QVariant StreamModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const StreamRecord &s = m_streams[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn:
            return QString::number(s.id);
        case SummaryColumn:
            return QString::fromStdString(s.summary);
        case StateColumn:
            return s.history.empty() ? QString() : QString::fromStdString(s.history.back().state);
        case InColumn:
            return FlowTableModel::formatBytes(s.bytesIn);
        case OutColumn:
            return FlowTableModel::formatBytes(s.bytesOut);
        case LocalWindowColumn:
            return QString::number(s.localWindow);
        case RemoteWindowColumn:
            return QString::number(s.remoteWindow);
        case ResetColumn:
            return s.resetCode < 0 ? QString() : h2::errorCodeName(std::uint32_t(s.resetCode));
        case FlowColumn:
            return s.flow ? QStringLiteral("#%1").arg(s.flow) : QString();
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (column == StateColumn || column == IdColumn)
            return historyText(s);
        if (column == SummaryColumn)
            return QString::fromStdString(s.summary);
        if (column == FlowColumn && s.flow)
            return tr("Double-click to show flow #%1").arg(s.flow);
        if (column == ResetColumn && s.resetCode >= 0)
            return tr("RST_STREAM error code %1").arg(s.resetCode);
        return {};
    case Qt::TextAlignmentRole:
        return rightAligned(column) ? int(Qt::AlignRight | Qt::AlignVCenter)
                                    : int(Qt::AlignLeft | Qt::AlignVCenter);
    case StreamIdRole:
        return qulonglong(s.id);
    case FlowIdRole:
        return qulonglong(s.flow);
    case HistoryRole:
        return historyText(s);
    default:
        return {};
    }
}

QVariant StreamModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IdColumn:
            return tr("Stream");
        case SummaryColumn:
            return tr("Summary");
        case StateColumn:
            return tr("State");
        case InColumn:
            return tr("In");
        case OutColumn:
            return tr("Out");
        case LocalWindowColumn:
            return tr("Local window");
        case RemoteWindowColumn:
            return tr("Remote window");
        case ResetColumn:
            return tr("Reset");
        case FlowColumn:
            return tr("Flow");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case StateColumn:
            return tr("The latest state; the tooltip of a cell lists every change");
        case InColumn:
            return tr("DATA payload received from the peer");
        case OutColumn:
            return tr("DATA payload sent to the peer");
        case LocalWindowColumn:
            return tr("What the peer may still send us");
        case RemoteWindowColumn:
            return tr("What we may still send the peer");
        case ResetColumn:
            return tr("The RST_STREAM error code, when the stream was reset");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return rightAligned(section) ? int(Qt::AlignRight | Qt::AlignVCenter)
                                     : int(Qt::AlignLeft | Qt::AlignVCenter);
    return {};
}

} // namespace ts::ui
