#include "ui/panes/frame_model.h"

#include "ui/panes/h2_names.h"

#include <algorithm>

namespace ts::ui {

using flow::FrameRecord;

FrameModel::FrameModel(QObject *parent) : QAbstractTableModel(parent)
{}

FrameModel::~FrameModel() = default;

void FrameModel::setLog(std::shared_ptr<const flow::ConnectionLog> log, const QString &protocol)
{
    beginResetModel();
    m_log = std::move(log);
    m_h2 = protocol == QLatin1String("HTTP/2") || protocol == QLatin1String("h2");
    m_frames.clear();
    m_rows.clear();
    m_first = 0;
    m_version = 0;
    m_polled = false;
    endResetModel();
    poll();
}

bool FrameModel::poll()
{
    if (!m_log)
        return false;
    const std::uint64_t version = m_log->version();
    if (m_polled && version == m_version)
        return false;
    m_polled = true;
    m_version = version;

    // The ring and the count of frames dropped before it must describe the same moment, and
    // they come from two calls: read the count on both sides of the copy and retry if it moved.
    // (Only a full ring drops, so a quiet or small log settles at once; under a flood a third
    // failed try takes the later count and may skip a few frames.)
    std::vector<FrameRecord> snapshot;
    std::uint64_t begin = 0; // number of the snapshot's first frame
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::uint64_t before = m_log->framesDropped();
        snapshot = m_log->frames();
        begin = m_log->framesDropped();
        if (before == begin)
            break;
    }
    const std::uint64_t seen = begin + snapshot.size();
    std::uint64_t end = m_first + m_frames.size();

    if (begin < m_first || seen < end) { // not the log we were following: start over
        beginResetModel();
        m_frames.clear();
        m_rows.clear();
        m_first = begin;
        for (FrameRecord &f : snapshot)
            m_frames.push_back(std::move(f));
        for (std::uint64_t n = begin; n < seen; ++n)
            if (matches(frame(n)))
                m_rows.push_back(n);
        endResetModel();
        return true;
    }

    bool changed = false;
    if (begin > m_first) { // the log dropped frames we hold: they leave from the top
        const std::uint64_t drop = std::min<std::uint64_t>(begin - m_first, m_frames.size());
        const auto firstKept = std::lower_bound(m_rows.begin(), m_rows.end(), m_first + drop);
        const int removed = int(firstKept - m_rows.begin());
        if (removed > 0) {
            beginRemoveRows({}, 0, removed - 1);
            m_rows.erase(m_rows.begin(), firstKept);
            endRemoveRows();
        }
        m_frames.erase(m_frames.begin(), m_frames.begin() + std::ptrdiff_t(drop));
        m_first += drop;
        if (m_frames.empty())
            m_first = begin;
        end = m_first + m_frames.size();
        changed = true;
    }

    if (seen > end) {
        std::vector<std::uint64_t> shown;
        for (std::uint64_t n = end; n < seen; ++n) {
            m_frames.push_back(std::move(snapshot[std::size_t(n - begin)]));
            if (matches(m_frames.back()))
                shown.push_back(n);
        }
        if (!shown.empty()) {
            const int at = int(m_rows.size());
            beginInsertRows({}, at, at + int(shown.size()) - 1);
            m_rows.insert(m_rows.end(), shown.begin(), shown.end());
            endInsertRows();
        }
        changed = true;
    }
    return changed;
}

bool FrameModel::matches(const FrameRecord &f) const
{
    return (!m_typeFilter || f.type == *m_typeFilter)
           && (!m_streamFilter || f.stream == *m_streamFilter);
}

void FrameModel::refilter()
{
    beginResetModel();
    m_rows.clear();
    for (std::uint64_t n = m_first; n < m_first + m_frames.size(); ++n)
        if (matches(frame(n)))
            m_rows.push_back(n);
    endResetModel();
}

void FrameModel::setTypeFilter(std::optional<std::uint64_t> type)
{
    if (type == m_typeFilter)
        return;
    m_typeFilter = type;
    refilter();
}

void FrameModel::setStreamFilter(std::optional<std::uint64_t> stream)
{
    if (stream == m_streamFilter)
        return;
    m_streamFilter = stream;
    refilter();
}

const FrameRecord *FrameModel::frameAt(int row) const
{
    if (row < 0 || std::size_t(row) >= m_rows.size())
        return nullptr;
    return &frame(m_rows[std::size_t(row)]);
}

int FrameModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FrameModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString FrameModel::typeName(std::uint64_t type) const
{
    return m_h2 ? h2::frameTypeName(type)
                : QStringLiteral("0x%1").arg(qulonglong(type), 2, 16, QLatin1Char('0'));
}

QVariant FrameModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const std::uint64_t number = m_rows[std::size_t(index.row())];
    const FrameRecord &f = frame(number);
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NumberColumn:
            return QString::number(number + 1);
        case TimeColumn:
            return QString::number(double(f.micros) / 1e6, 'f', 6);
        case DirectionColumn:
            return f.inbound ? QStringLiteral("\u2190") : QStringLiteral("\u2192");
        case TypeColumn:
            return typeName(f.type);
        case FlagsColumn:
            if (m_h2)
                return h2::frameFlagNames(f.type, f.flags);
            return f.flags ? QStringLiteral("0x%1").arg(f.flags, 2, 16, QLatin1Char('0'))
                           : QString();
        case StreamColumn:
            return QString::number(f.stream);
        case LengthColumn:
            return QString::number(f.length);
        case SummaryColumn: {
            QString summary = QString::fromStdString(f.summary);
            summary.replace(QLatin1Char('\n'), QLatin1Char(' '));
            return summary;
        }
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (column == DirectionColumn)
            return f.inbound ? tr("Received from the peer") : tr("Sent by Tunnelscope");
        if (column == SummaryColumn && !f.summary.empty())
            return QString::fromStdString(f.summary);
        if (column == FlagsColumn && f.flags) {
            const QString hex = QStringLiteral("0x%1").arg(f.flags, 2, 16, QLatin1Char('0'));
            return m_h2 ? h2::frameFlagNames(f.type, f.flags) + QStringLiteral(" (") + hex
                              + QLatin1Char(')')
                        : hex;
        }
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case NumberColumn:
        case TimeColumn:
        case StreamColumn:
        case LengthColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        case DirectionColumn:
            return int(Qt::AlignCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case StreamRole:
        return qulonglong(f.stream);
    case TypeRole:
        return qulonglong(f.type);
    case NumberRole:
        return qulonglong(number + 1);
    default:
        return {};
    }
}

QVariant FrameModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NumberColumn:
            return tr("#");
        case TimeColumn:
            return tr("Time (s)");
        case DirectionColumn:
            return tr("Dir");
        case TypeColumn:
            return tr("Type");
        case FlagsColumn:
            return tr("Flags");
        case StreamColumn:
            return tr("Stream");
        case LengthColumn:
            return tr("Length");
        case SummaryColumn:
            return tr("Summary");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case NumberColumn:
            return tr("The frame's number on the connection, counting dropped frames");
        case TimeColumn:
            return tr("Seconds since the connection opened");
        case DirectionColumn:
            return tr("\u2190 received from the peer, \u2192 sent by Tunnelscope");
        case LengthColumn:
            return tr("Payload bytes");
        }
    }
    if (role == Qt::TextAlignmentRole) {
        switch (section) {
        case NumberColumn:
        case TimeColumn:
        case StreamColumn:
        case LengthColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    return {};
}

} // namespace ts::ui
