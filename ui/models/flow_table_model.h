#pragma once

#include <QAbstractTableModel>

#include <vector>

namespace ts::flow {
class FlowStore;
struct Flow;
} // namespace ts::flow

namespace ts::ui {

// The flows table: one row per store row, in arrival order. Follows the store's batches: one
// row insert per flowsAdded, one dataChanged per run of adjacent changed rows, a reset on
// clear. Cells are computed from the store's record when the view asks, so only visible rows
// cost anything.
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
        HostColumn,
        PathColumn,
        StatusColumn,
        SizeColumn,
        DurationColumn,
        ErrorColumn,
        ColumnCount
    };
    enum Role : int {
        SortRole = Qt::UserRole, // raw value of the cell (number or string) for sorting
        FlowIdRole,              // the row's FlowId
    };

    explicit FlowTableModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~FlowTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // "1.2 KiB": binary units, one decimal from KiB up.
    static QString formatBytes(std::uint64_t bytes);

private:
    void insertRows(qsizetype first, qsizetype last);
    void changeRows(const std::vector<std::size_t> &rows);
    void reset();

    QVariant display(const flow::Flow &flow, int column) const;
    QVariant sortValue(const flow::Flow &flow, int column) const;
    QVariant foreground(const flow::Flow &flow) const;

    flow::FlowStore &m_store;
    // Rows announced to views so far. The store may already hold more (it appends before it
    // signals); views must never see a row before its beginInsertRows.
    int m_rowCount = 0;
};

} // namespace ts::ui
