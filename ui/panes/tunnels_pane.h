#pragma once

#include "core/flow/flow.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class CarriedFlowsModel;
class TunnelModel;

// Every tunnel, live: who asked, for where, how (CONNECT, an h2 stream, SOCKS5), whether it was
// decrypted, bytes and throughput each way. Below it, the flows the selected tunnel carried.
class TunnelsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TunnelsPane)

public:
    explicit TunnelsPane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~TunnelsPane() override;

    TunnelModel *model() const { return m_model; }
    CarriedFlowsModel *carriedModel() const { return m_carried; }
    QTableView *view() const { return m_view; }
    QTableView *carriedView() const { return m_carriedView; }
    flow::FlowId selectedTunnel() const;

public Q_SLOTS:
    // Selects the tunnel's row (and shows what it carried); false when it is not a tunnel.
    bool selectTunnel(flow::FlowId id);

Q_SIGNALS:
    void tunnelSelected(flow::FlowId id);
    // Double-click on a tunnel or a carried flow: show that flow's detail.
    void flowRequested(flow::FlowId id);

private:
    void onCurrentChanged();

    TunnelModel *m_model = nullptr;
    QSortFilterProxyModel *m_sorted = nullptr;
    CarriedFlowsModel *m_carried = nullptr;
    QTableView *m_view = nullptr;
    QTableView *m_carriedView = nullptr;
    QLabel *m_carriedLabel = nullptr;
    QTimer m_rateTimer;
};

} // namespace ts::ui
