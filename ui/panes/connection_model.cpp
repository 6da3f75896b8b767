#include "ui/panes/connection_model.h"

#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"

#include <QStringList>

namespace ts::ui {

using flow::Connection;
using flow::Side;

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

bool rightAligned(int column)
{
    switch (column) {
    case ConnectionModel::NumberColumn:
    case ConnectionModel::StreamsColumn:
    case ConnectionModel::FlowsColumn:
    case ConnectionModel::InColumn:
    case ConnectionModel::OutColumn:
    case ConnectionModel::LifetimeColumn:
        return true;
    default:
        return false;
    }
}

QString tlsTooltip(const flow::TlsSide &tls)
{
    QStringList lines;
    if (!tls.version.empty())
        lines << ConnectionModel::tr("Version: %1").arg(fromStd(tls.version));
    if (!tls.cipher.empty())
        lines << ConnectionModel::tr("Cipher: %1").arg(fromStd(tls.cipher));
    if (!tls.sni.empty())
        lines << ConnectionModel::tr("SNI: %1").arg(fromStd(tls.sni));
    if (!tls.alpnOffered.empty()) {
        QStringList offered;
        for (const std::string &p : tls.alpnOffered)
            offered << fromStd(p);
        lines << ConnectionModel::tr("ALPN offered: %1").arg(offered.join(QStringLiteral(", ")));
    }
    if (!tls.alpn.empty())
        lines << ConnectionModel::tr("ALPN chosen: %1").arg(fromStd(tls.alpn));
    if (tls.handshakeMicros >= 0)
        lines << ConnectionModel::tr("Handshake: %1 ms")
                     .arg(double(tls.handshakeMicros) / 1000.0, 0, 'f', 1);
    if (!tls.chain.empty())
        lines << ConnectionModel::tr("Certificate: %1").arg(fromStd(tls.chain.front().subject));
    if (!tls.verifyError.empty())
        lines << ConnectionModel::tr("Not verified: %1").arg(fromStd(tls.verifyError));
    if (!tls.failure.empty())
        lines << ConnectionModel::tr("Handshake failed: %1").arg(fromStd(tls.failure));
    return lines.join(QLatin1Char('\n'));
}

} // namespace

ConnectionModel::ConnectionModel(flow::FlowStore &store, QObject *parent)
    : QAbstractTableModel(parent), m_store(store), m_clock(&wallNow)
{
    m_rowCount = int(m_store.connections().size());
    connect(&m_store, &flow::FlowStore::connectionsChanged, this, &ConnectionModel::follow);
    connect(&m_store, &flow::FlowStore::cleared, this, &ConnectionModel::reset);
}

ConnectionModel::~ConnectionModel() = default;

void ConnectionModel::setWallClock(WallClock clock)
{
    m_clock = std::move(clock);
}

int ConnectionModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rowCount;
}

int ConnectionModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void ConnectionModel::follow()
{
    const int size = int(m_store.connections().size());
    if (size < m_rowCount) { // cleared and refilled before we heard of the clear
        reset();
        return;
    }
    if (m_rowCount > 0)
        Q_EMIT dataChanged(index(0, 0), index(m_rowCount - 1, ColumnCount - 1));
    if (size > m_rowCount) {
        beginInsertRows({}, m_rowCount, size - 1);
        m_rowCount = size;
        endInsertRows();
    }
}

void ConnectionModel::reset()
{
    beginResetModel();
    m_rowCount = int(m_store.connections().size());
    endResetModel();
}

void ConnectionModel::refreshLive()
{
    if (m_rowCount == 0)
        return;
    Q_EMIT dataChanged(index(0, StreamsColumn), index(m_rowCount - 1, StreamsColumn));
    Q_EMIT dataChanged(index(0, LifetimeColumn), index(m_rowCount - 1, LifetimeColumn));
}

const Connection *ConnectionModel::connectionAt(int row) const
{
    const auto &all = m_store.connections();
    return row >= 0 && row < m_rowCount && std::size_t(row) < all.size() ? &all[std::size_t(row)]
                                                                         : nullptr;
}

int ConnectionModel::rowOf(flow::ConnectionId id) const
{
    const auto &all = m_store.connections();
    for (int row = 0; row < m_rowCount && std::size_t(row) < all.size(); ++row)
        if (all[std::size_t(row)].id == id)
            return row;
    return -1;
}

WallMillis ConnectionModel::lifetime(const Connection &c) const
{
    if (c.openedWall <= 0)
        return -1;
    const WallMillis end = c.closedWall > 0 ? c.closedWall : m_clock();
    return std::max<WallMillis>(end - c.openedWall, 0);
}

QString ConnectionModel::tlsSummary(const flow::TlsSide &tls)
{
    if (!tls.used)
        return {};
    QStringList parts;
    parts << (tls.version.empty() ? QStringLiteral("TLS") : fromStd(tls.version));
    if (!tls.alpn.empty())
        parts << fromStd(tls.alpn);
    if (!tls.sni.empty())
        parts << fromStd(tls.sni);
    if (!tls.failure.empty())
        parts << tr("failed");
    return parts.join(QStringLiteral(" \u00b7 "));
}

QString ConnectionModel::formatDuration(WallMillis millis)
{
    if (millis < 0)
        return {};
    if (millis < 1000)
        return tr("%1 ms").arg(millis);
    if (millis < 60 * 1000)
        return tr("%1 s").arg(double(millis) / 1000.0, 0, 'f', 1);
    const WallMillis seconds = millis / 1000;
    if (seconds < 3600)
        return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(seconds / 3600).arg(seconds / 60 % 60, 2, 10, QLatin1Char('0'));
}

QVariant ConnectionModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Connection *c = connectionAt(index.row());
    if (!c)
        return {};
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(*c, column);
    case Qt::ToolTipRole:
        if (column == TlsColumn && c->tls)
            return tlsTooltip(*c->tls);
        if (column == AddressColumn) {
            if (c->side == Side::Client)
                return tr("%1 on listener %2")
                    .arg(fromStd(c->clientAddress), fromStd(c->listenAddress));
            return tr("%1 (%2) from %3, opened by client connection %4")
                .arg(fromStd(c->target), fromStd(c->peerAddress), fromStd(c->clientAddress))
                .arg(c->parent);
        }
        if (column == CloseReasonColumn && !c->closeReason.empty())
            return fromStd(c->closeReason);
        return {};
    case Qt::TextAlignmentRole:
        return rightAligned(column) ? int(Qt::AlignRight | Qt::AlignVCenter)
                                    : int(Qt::AlignLeft | Qt::AlignVCenter);
    case SortRole:
        return sortValue(*c, column);
    case ConnectionIdRole:
        return qulonglong(c->id);
    case SideRole:
        return c->side == Side::Client ? QStringLiteral("client") : QStringLiteral("server");
    default:
        return {};
    }
}

QVariant ConnectionModel::display(const Connection &c, int column) const
{
    switch (column) {
    case NumberColumn:
        return QString::number(c.id);
    case SideColumn:
        return c.side == Side::Client ? tr("client") : tr("server");
    case ProtocolColumn:
        return fromStd(c.protocol);
    case AddressColumn:
        if (c.side == Side::Client)
            return fromStd(c.clientAddress);
        return c.peerAddress.empty() || c.peerAddress == c.target
                   ? fromStd(c.target)
                   : tr("%1 (%2)").arg(fromStd(c.target), fromStd(c.peerAddress));
    case TlsColumn:
        return c.tls ? tlsSummary(*c.tls) : QString();
    case StreamsColumn:
        return c.log ? QString::number(c.log->streamCount()) : QString();
    case FlowsColumn:
        return QString::number(c.flows);
    case InColumn:
        return FlowTableModel::formatBytes(c.bytesIn);
    case OutColumn:
        return FlowTableModel::formatBytes(c.bytesOut);
    case LifetimeColumn: {
        const QString text = formatDuration(lifetime(c));
        return c.closedWall > 0 || text.isEmpty() ? text : tr("%1, open").arg(text);
    }
    case CloseReasonColumn:
        return fromStd(c.closeReason);
    default:
        return {};
    }
}

QVariant ConnectionModel::sortValue(const Connection &c, int column) const
{
    switch (column) {
    case NumberColumn:
        return qulonglong(c.id);
    case StreamsColumn:
        return qulonglong(c.log ? c.log->streamCount() : 0);
    case FlowsColumn:
        return c.flows;
    case InColumn:
        return qulonglong(c.bytesIn);
    case OutColumn:
        return qulonglong(c.bytesOut);
    case LifetimeColumn:
        return qlonglong(lifetime(c));
    default:
        return display(c, column);
    }
}

QVariant ConnectionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NumberColumn:
            return tr("#");
        case SideColumn:
            return tr("Side");
        case ProtocolColumn:
            return tr("Protocol");
        case AddressColumn:
            return tr("Peer");
        case TlsColumn:
            return tr("TLS");
        case StreamsColumn:
            return tr("Streams");
        case FlowsColumn:
            return tr("Flows");
        case InColumn:
            return tr("In");
        case OutColumn:
            return tr("Out");
        case LifetimeColumn:
            return tr("Lifetime");
        case CloseReasonColumn:
            return tr("Close reason");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return rightAligned(section) ? int(Qt::AlignRight | Qt::AlignVCenter)
                                     : int(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case SideColumn:
            return tr("Client side: a client connected to the proxy. Server side: the proxy "
                      "connected to an origin or the next proxy.");
        case AddressColumn:
            return tr("Client side: the client's address. Server side: the target and the "
                      "address connected to.");
        case TlsColumn:
            return tr("Version \u00b7 ALPN \u00b7 SNI");
        case InColumn:
            return tr("Bytes received from the peer");
        case OutColumn:
            return tr("Bytes sent to the peer");
        }
    }
    return {};
}

} // namespace ts::ui
