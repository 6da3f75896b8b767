#pragma once

#include "core/flow/flow.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class FrameModel;

// The frames of the chosen connection, live: time, direction, type, flags, stream, length and a
// decoded summary, filtered by type and stream. Takes only what is new from the connection's
// log when the store's batch names it (logsChanged). Double-click on a frame asks for the flow
// its stream carried.
class FramesPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FramesPane)

public:
    // The largest stream id the filter takes: HTTP/3's are 62-bit varints (RFC 9000 §16).
    static constexpr qulonglong kMaxStreamId = (qulonglong(1) << 62) - 1;

    explicit FramesPane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~FramesPane() override;

    FrameModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    flow::ConnectionId connection() const { return m_connection; }
    QString droppedNote() const; // empty when nothing was dropped

    void setTypeFilter(std::optional<std::uint64_t> type);
    void setStreamFilter(std::optional<std::uint64_t> stream);
    // The flow carried by the stream of the frame in `row` (0: none).
    flow::FlowId flowAtRow(int row) const;

public Q_SLOTS:
    // Shows the connection's frames (its log; none for HTTP/1.1). The same id again keeps the
    // filters and the place.
    void showConnection(flow::ConnectionId id);
    // Shows and selects the frames of the stream that carried the flow, switching to its
    // connection if needed; false when no logged stream carried it.
    bool showStreamOfFlow(flow::FlowId id);
    // Takes new frames from the log now (done on the store's logsChanged while visible).
    void refresh();

Q_SIGNALS:
    void flowRequested(flow::FlowId id);
    // showStreamOfFlow moved to another connection.
    void connectionShown(flow::ConnectionId id);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void updateLabels();
    void requestFlowAt(const QModelIndex &index);

    flow::FlowStore &m_store;
    FrameModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_dropped = nullptr;
    QComboBox *m_type = nullptr;
    QLineEdit *m_stream = nullptr;
    flow::ConnectionId m_connection = 0;
};

} // namespace ts::ui
