#pragma once

#include "core/flow/connection_log.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace ts::ui {

// The streams of one connection's log, by id. Taken like the frames (poll() on the store's
// logsChanged): streams the log let go leave from the top, new ones are appended, the rest
// announced changed in one dataChanged; anything else (a stream id below the newest, rare)
// resets the model.
class StreamModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamModel)

public:
    enum Column : int {
        IdColumn,
        SummaryColumn,
        StateColumn,
        InColumn,
        OutColumn,
        LocalWindowColumn,
        RemoteWindowColumn,
        ResetColumn,
        FlowColumn,
        ColumnCount
    };
    enum Role : int {
        StreamIdRole = Qt::UserRole,
        FlowIdRole,  // the flow the stream carried, 0 when none
        HistoryRole, // the full state history, one "time  state" line each
    };

    explicit StreamModel(QObject *parent = nullptr);
    ~StreamModel() override;

    void setLog(std::shared_ptr<const flow::ConnectionLog> log);
    const std::shared_ptr<const flow::ConnectionLog> &log() const { return m_log; }
    bool poll(); // false when the log did not change
    const flow::StreamRecord *streamAt(int row) const;
    int rowOfStream(std::uint64_t id) const; // -1 when not shown

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QString historyText(const flow::StreamRecord &stream);

private:
    std::shared_ptr<const flow::ConnectionLog> m_log;
    std::uint64_t m_version = 0;
    bool m_polled = false;
    std::vector<flow::StreamRecord> m_streams;
};

} // namespace ts::ui
