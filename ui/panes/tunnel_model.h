#pragma once

#include "core/flow/flow.h"

#include <QAbstractTableModel>

#include <functional>
#include <vector>

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

// The tunnels table: one row per tunnel flow (HTTP/1.1 CONNECT, a CONNECT stream of an h2
// connection, SOCKS5), in arrival order. Follows the store's batches like the flows table: one
// row insert per batch that brings tunnels, one dataChanged per run of changed tunnel rows.
// Throughput each way is the byte difference between two updates at least kRateIntervalMs
// apart, divided by the time between them.
class TunnelModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TunnelModel)

public:
    enum Column : int {
        NumberColumn,
        TargetColumn,
        CarrierColumn,
        InterceptionColumn,
        SentColumn,     // client to server
        ReceivedColumn, // server to client
        ThroughputColumn,
        StateColumn,
        ClientColumn,
        CloseReasonColumn,
        ColumnCount
    };
    enum Role : int {
        SortRole = Qt::UserRole, // raw value of the cell, for sorting
        FlowIdRole,              // the row's FlowId
    };
    // Monotonic milliseconds; a parameter so tests can step time.
    using Clock = std::function<qint64()>;

    static constexpr qint64 kRateIntervalMs = 250; // shortest interval a rate is computed over
    static constexpr qint64 kQuietMs = 3000;       // no update for this long: the rate is 0

    explicit TunnelModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~TunnelModel() override;

    void setClock(Clock clock);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    flow::FlowId flowIdAt(int row) const;
    int rowOf(flow::FlowId id) const; // -1 when not a tunnel we show

    struct Rate
    {
        double up = 0;   // client to server, bytes/s
        double down = 0; // server to client, bytes/s
    };
    Rate rateAt(int row) const;
    // Announces the throughput cells of open tunnels as changed, so a quiet tunnel's rate falls
    // to 0 on screen; the pane calls it once a second.
    void refreshRates();

    // "HTTP/1.1 CONNECT", "h2 stream 5 on connection 3", "SOCKS5".
    static QString carrierText(const flow::Flow &flow);
    static QString formatRate(double bytesPerSecond);

private:
    struct Row
    {
        std::size_t storeRow = 0;
        // The last sample a rate was computed from.
        std::uint64_t sampleUp = 0;
        std::uint64_t sampleDown = 0;
        qint64 sampleAt = 0;
        Rate rate;
    };

    void appendTunnels(qsizetype first, qsizetype last);
    void changeRows(const std::vector<std::size_t> &rows);
    void reset();
    Row newRow(std::size_t storeRow) const;
    const flow::Flow *flowAt(int row) const;

    QVariant display(const flow::Flow &flow, const Row &row, int column) const;
    QVariant sortValue(const flow::Flow &flow, const Row &row, int column) const;
    Rate currentRate(const flow::Flow &flow, const Row &row) const;

    flow::FlowStore &m_store;
    Clock m_clock;
    std::vector<Row> m_rows;   // ascending storeRow
    std::size_t m_scanned = 0; // store rows looked at for tunnels so far
};

} // namespace ts::ui
