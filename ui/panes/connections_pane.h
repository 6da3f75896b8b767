#pragma once

#include "core/flow/flow.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QSortFilterProxyModel;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class ConnectionModel;

// Client-side and server-side connections with protocol, TLS, streams, bytes and lifetime.
// Choosing one announces it, so the frames and streams panes can follow.
class ConnectionsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionsPane)

public:
    enum class SideFilter { All, Client, Server };

    explicit ConnectionsPane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~ConnectionsPane() override;

    ConnectionModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    flow::ConnectionId selectedConnection() const;

public Q_SLOTS:
    bool selectConnection(flow::ConnectionId id);
    void setSideFilter(ts::ui::ConnectionsPane::SideFilter filter);

Q_SIGNALS:
    void connectionSelected(flow::ConnectionId id);

private:
    void onCurrentChanged();

    ConnectionModel *m_model = nullptr;
    QSortFilterProxyModel *m_filtered = nullptr;
    QTableView *m_view = nullptr;
    QComboBox *m_side = nullptr;
    QTimer m_liveTimer;
    flow::ConnectionId m_announced = 0;
};

} // namespace ts::ui
