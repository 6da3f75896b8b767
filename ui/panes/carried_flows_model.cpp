#include "ui/panes/carried_flows_model.h"

#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"

#include <algorithm>

namespace ts::ui {

using flow::Flow;

CarriedFlowsModel::CarriedFlowsModel(flow::FlowStore &store, QObject *parent)
    : QAbstractTableModel(parent), m_store(store)
{
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &CarriedFlowsModel::appendFlows);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &CarriedFlowsModel::changeRows);
    connect(&m_store, &flow::FlowStore::cleared, this, &CarriedFlowsModel::rescan);
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, &CarriedFlowsModel::rescan);
    connect(&m_store, &flow::FlowStore::flowsRestored, this, &CarriedFlowsModel::rescan);
}

CarriedFlowsModel::~CarriedFlowsModel() = default;

void CarriedFlowsModel::setTunnel(flow::FlowId tunnel)
{
    if (tunnel == m_tunnel)
        return;
    m_tunnel = tunnel;
    rescan();
}

void CarriedFlowsModel::rescan()
{
    beginResetModel();
    m_rows.clear();
    if (m_tunnel != 0) {
        // A tunnel's flows come after it: start the scan at its row.
        const std::size_t from = m_store.rowOf(m_tunnel);
        for (std::size_t r = from == SIZE_MAX ? 0 : from; r < m_store.size(); ++r)
            if (m_store.at(r).parent == m_tunnel)
                m_rows.push_back(r);
    }
    m_scanned = m_store.size();
    endResetModel();
}

void CarriedFlowsModel::appendFlows(qsizetype first, qsizetype last)
{
    Q_UNUSED(first);
    const std::size_t end = std::min(std::size_t(last) + 1, m_store.size());
    std::vector<std::size_t> found;
    if (m_tunnel != 0)
        for (std::size_t r = m_scanned; r < end; ++r)
            if (m_store.at(r).parent == m_tunnel)
                found.push_back(r);
    m_scanned = std::max(m_scanned, end);
    if (found.empty())
        return;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + found.size()) - 1);
    m_rows.insert(m_rows.end(), found.begin(), found.end());
    endInsertRows();
}

void CarriedFlowsModel::changeRows(const std::vector<std::size_t> &rows)
{
    for (const std::size_t storeRow : rows) {
        const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), storeRow);
        if (it != m_rows.end() && *it == storeRow) {
            const int row = int(it - m_rows.begin());
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }
}

flow::FlowId CarriedFlowsModel::flowIdAt(int row) const
{
    if (row < 0 || std::size_t(row) >= m_rows.size() || m_rows[std::size_t(row)] >= m_store.size())
        return 0;
    return m_store.at(m_rows[std::size_t(row)]).id;
}

int CarriedFlowsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CarriedFlowsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CarriedFlowsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const std::size_t storeRow = m_rows[std::size_t(index.row())];
    if (storeRow >= m_store.size())
        return {};
    const Flow &f = m_store.at(storeRow);
    if (role == FlowIdRole)
        return qulonglong(f.id);
    if (role == Qt::TextAlignmentRole) {
        const int c = index.column();
        return c == NumberColumn || c == StatusColumn || c == SizeColumn
                   ? int(Qt::AlignRight | Qt::AlignVCenter)
                   : int(Qt::AlignLeft | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole && index.column() == UrlColumn)
        return QString::fromStdString(f.url());
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NumberColumn:
        return QString::number(f.id);
    case MethodColumn:
        return QString::fromStdString(f.method);
    case UrlColumn:
        return QString::fromStdString(f.url());
    case ProtocolColumn:
        return QString::fromStdString(f.clientProtocol);
    case StatusColumn:
        if (f.status > 0)
            return QString::number(f.status);
        return f.error.empty() ? QString() : QString::fromStdString(f.error);
    case SizeColumn:
        return f.responseBody ? FlowTableModel::formatBytes(f.responseBody->size()) : QString();
    default:
        return {};
    }
}

QVariant CarriedFlowsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NumberColumn:
        return tr("#");
    case MethodColumn:
        return tr("Method");
    case UrlColumn:
        return tr("URL");
    case ProtocolColumn:
        return tr("Protocol");
    case StatusColumn:
        return tr("Status");
    case SizeColumn:
        return tr("Size");
    default:
        return {};
    }
}

} // namespace ts::ui
