#pragma once

#include "core/base/time.h"
#include "core/flow/flow.h"

#include <QAbstractTableModel>

#include <functional>

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

// The connections table: client side (a client to the proxy) and server side (the proxy to an
// origin or the next hop), in the order the store learned of them. The store replaces a
// connection's record in place, so rows never move: a batch appends new rows in one insert and
// announces the old ones changed in one dataChanged.
class ConnectionModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionModel)

public:
    enum Column : int {
        NumberColumn,
        SideColumn,
        ProtocolColumn,
        AddressColumn,
        TlsColumn,
        StreamsColumn,
        FlowsColumn,
        InColumn,
        OutColumn,
        LifetimeColumn,
        CloseReasonColumn,
        ColumnCount
    };
    enum Role : int {
        SortRole = Qt::UserRole,
        ConnectionIdRole,
        SideRole, // "client" or "server", for filtering
    };
    using WallClock = std::function<WallMillis()>;

    explicit ConnectionModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~ConnectionModel() override;

    void setWallClock(WallClock clock);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const flow::Connection *connectionAt(int row) const;
    int rowOf(flow::ConnectionId id) const; // -1 when unknown
    // Announces the cells that change without a store batch (streams of a live log, the
    // lifetime of open connections); the pane calls it once a second.
    void refreshLive();

    // "TLSv1.3 · h2 · example.com"; empty without TLS.
    static QString tlsSummary(const flow::TlsSide &tls);
    // "850 ms", "12.4 s", "3 min 05 s", "2 h 01 min".
    static QString formatDuration(WallMillis millis);

private:
    void follow();
    void reset();
    QVariant display(const flow::Connection &c, int column) const;
    QVariant sortValue(const flow::Connection &c, int column) const;
    WallMillis lifetime(const flow::Connection &c) const;

    flow::FlowStore &m_store;
    WallClock m_clock;
    int m_rowCount = 0;
};

} // namespace ts::ui
