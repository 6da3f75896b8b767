#pragma once

#include "core/flow/flow.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class StreamModel;

// The streams of the chosen connection, live: id, what it carried, its latest state (every
// change below the table), bytes, flow-control windows, reset code. Double-click on a stream
// asks for the flow it carried.
class StreamsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsPane)

public:
    explicit StreamsPane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~StreamsPane() override;

    StreamModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    flow::ConnectionId connection() const { return m_connection; }
    QString historyText() const; // the state history shown for the current stream

public Q_SLOTS:
    void showConnection(flow::ConnectionId id);
    bool selectStream(std::uint64_t id);
    void refresh();

Q_SIGNALS:
    void flowRequested(flow::FlowId id);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void updateTitle();
    void updateHistory();

    flow::FlowStore &m_store;
    StreamModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_title = nullptr;
    QPlainTextEdit *m_history = nullptr;
    flow::ConnectionId m_connection = 0;
};

} // namespace ts::ui
