#pragma once

#include "core/flow/connection_log.h"

#include <QAbstractTableModel>

#include <deque>
#include <memory>
#include <optional>

namespace ts::ui {

// The frames of one connection's log, oldest first, optionally only one type and/or one
// stream. The log is the FlowStore's; poll() takes what a batch brought (the pane calls it
// on the store's logsChanged): frames the log has dropped leave from the top in one remove,
// new ones are appended in one insert, so a view keeps its place and 100k rows stay cheap. Frames
// are numbered from 1 in the order the connection saw them, across drops.
class FrameModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FrameModel)

public:
    enum Column : int {
        NumberColumn,
        TimeColumn,
        DirectionColumn,
        TypeColumn,
        FlagsColumn,
        StreamColumn,
        LengthColumn,
        SummaryColumn,
        ColumnCount
    };
    enum Role : int {
        StreamRole = Qt::UserRole, // the frame's stream id
        TypeRole,                  // the frame's type code (qulonglong)
        NumberRole,                // the frame's number on the connection (from 1)
    };

    explicit FrameModel(QObject *parent = nullptr);
    ~FrameModel() override;

    // Shows `log` (null: nothing); `protocol` ("HTTP/2") names the frame types.
    void setLog(std::shared_ptr<const flow::ConnectionLog> log, const QString &protocol);
    const std::shared_ptr<const flow::ConnectionLog> &log() const { return m_log; }
    // Takes what changed in the log since the last poll; false when nothing did.
    bool poll();

    void setTypeFilter(std::optional<std::uint64_t> type);
    void setStreamFilter(std::optional<std::uint64_t> stream);
    std::optional<std::uint64_t> typeFilter() const { return m_typeFilter; }
    std::optional<std::uint64_t> streamFilter() const { return m_streamFilter; }

    // Frames held (whatever the filter) and frames the log dropped before the oldest of them.
    std::size_t frameCount() const { return m_frames.size(); }
    std::uint64_t droppedCount() const { return m_first; }
    const flow::FrameRecord *frameAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    QString typeName(std::uint64_t type) const;

private:
    bool matches(const flow::FrameRecord &frame) const;
    void refilter();
    const flow::FrameRecord &frame(std::uint64_t number) const
    {
        return m_frames[std::size_t(number - m_first)];
    }

    std::shared_ptr<const flow::ConnectionLog> m_log;
    bool m_h2 = false;
    std::uint64_t m_version = 0;
    bool m_polled = false;
    std::deque<flow::FrameRecord> m_frames; // a copy of the log's ring
    std::uint64_t m_first = 0;              // frames the connection saw before m_frames.front()
    std::deque<std::uint64_t> m_rows;       // indices (m_first-based numbers) of the frames shown
    std::optional<std::uint64_t> m_typeFilter;
    std::optional<std::uint64_t> m_streamFilter;
};

} // namespace ts::ui
