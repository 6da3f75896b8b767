#pragma once

#include "core/flow/flow.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QStackedWidget;
class QTableView;

namespace ts::ui {

class HexView;
class WebSocketMessageModel;

// The "Messages" tab: a WebSocket flow's messages in a table (direction, time, type, size,
// preview) and the selected one whole below it: text (pretty when it is JSON), or hex.
class WebSocketView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketView)

public:
    explicit WebSocketView(QWidget *parent = nullptr);
    ~WebSocketView() override;

    // Whether the flow has anything to show here.
    static bool hasMessages(const flow::Flow &flow);
    void showFlow(const flow::Flow &flow);
    void clear();

    QTableView *table() const { return m_table; }
    WebSocketMessageModel *model() const { return m_model; }
    QPlainTextEdit *textView() const { return m_text; }
    HexView *hexView() const { return m_hex; }
    QString noteText() const;

private:
    void showSelected();

    WebSocketMessageModel *m_model = nullptr;
    QLabel *m_note = nullptr; // what the recording left out
    QTableView *m_table = nullptr;
    QStackedWidget *m_detail = nullptr;
    QPlainTextEdit *m_text = nullptr;
    HexView *m_hex = nullptr;
};

} // namespace ts::ui
