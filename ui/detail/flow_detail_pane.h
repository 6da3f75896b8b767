#pragma once

#include <QWidget>

#include <cstdint>

class QLabel;
class QTabWidget;
class QTimer;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class ElidedLabel;
class MessageView;
class TimingView;
class TlsView;
class WebSocketView;

// The selected flow in detail: request and response (headers, raw head, trailers, body),
// timings as a waterfall, TLS on both sides, and a WebSocket's messages. Follows the flow
// while it is still open: changes are picked up at most a few times a second, and a body is
// read again only when it grew.
class FlowDetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FlowDetailPane)

public:
    explicit FlowDetailPane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~FlowDetailPane() override;

    // 0: nothing.
    void showFlow(std::uint64_t id);
    std::uint64_t flowId() const { return m_id; }

    MessageView *requestView() const { return m_request; }
    MessageView *responseView() const { return m_response; }
    TimingView *timingView() const { return m_timing; }
    TlsView *tlsView() const { return m_tls; }
    WebSocketView *webSocketView() const { return m_webSocket; }
    QString summaryText() const;

private:
    void refresh(bool force);
    void noteChanges(const std::vector<std::size_t> &rows);

    flow::FlowStore &m_store;
    std::uint64_t m_id = 0;
    std::uint64_t m_requestBodySize = 0;
    std::uint64_t m_responseBodySize = 0;
    const void *m_requestBody = nullptr;
    const void *m_responseBody = nullptr;
    ElidedLabel *m_summary = nullptr; // method, URL, status: elided, never widening the pane
    QTabWidget *m_tabs = nullptr;
    MessageView *m_request = nullptr;
    MessageView *m_response = nullptr;
    TimingView *m_timing = nullptr;
    TlsView *m_tls = nullptr;
    WebSocketView *m_webSocket = nullptr; // the "Messages" tab, for WebSocket flows only
    QTimer *m_refreshTimer = nullptr;
};

} // namespace ts::ui
