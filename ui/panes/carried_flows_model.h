#pragma once

#include "core/flow/flow.h"

#include <QAbstractTableModel>

#include <vector>

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

// The flows carried inside one tunnel (their `parent` is the tunnel's id), in arrival order.
// Choosing a tunnel scans the store once; after that only each batch's new rows are looked at.
class CarriedFlowsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CarriedFlowsModel)

public:
    enum Column : int {
        NumberColumn,
        MethodColumn,
        UrlColumn,
        ProtocolColumn,
        StatusColumn,
        SizeColumn,
        ColumnCount
    };
    enum Role : int { FlowIdRole = Qt::UserRole };

    explicit CarriedFlowsModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~CarriedFlowsModel() override;

    // 0: none.
    void setTunnel(flow::FlowId tunnel);
    flow::FlowId tunnel() const { return m_tunnel; }
    flow::FlowId flowIdAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void appendFlows(qsizetype first, qsizetype last);
    void changeRows(const std::vector<std::size_t> &rows);
    void rescan();

    flow::FlowStore &m_store;
    flow::FlowId m_tunnel = 0;
    std::vector<std::size_t> m_rows; // store rows, ascending
    std::size_t m_scanned = 0;
};

} // namespace ts::ui
