#include "ui/detail/websocket_message_model.h"

#include <QDateTime>
#include <QLocale>

namespace ts::ui {

namespace {

constexpr int kPreviewChars = 200;

int count(const std::shared_ptr<const flow::WebSocketMessages> &m)
{
    return m ? int(m->size()) : 0;
}

} // namespace

WebSocketMessageModel::WebSocketMessageModel(QObject *parent) : QAbstractTableModel(parent)
{}

WebSocketMessageModel::~WebSocketMessageModel() = default;

void WebSocketMessageModel::setMessages(std::shared_ptr<const flow::WebSocketMessages> messages)
{
    if (messages == m_messages)
        return;
    const int before = count(m_messages);
    const int after = count(messages);
    // A live flow's next vector holds the shown messages and more after them.
    const bool extends = before > 0 && after >= before && messages->front() == m_messages->front()
                         && (*messages)[before - 1] == m_messages->back();
    if (!extends && before > 0) {
        beginResetModel();
        m_messages = std::move(messages);
        endResetModel();
        return;
    }
    if (after == before) {
        m_messages = std::move(messages);
        return;
    }
    beginInsertRows({}, before, after - 1);
    m_messages = std::move(messages);
    endInsertRows();
}

const flow::WebSocketMessage *WebSocketMessageModel::message(int row) const
{
    return row >= 0 && row < count(m_messages) ? &(*m_messages)[row] : nullptr;
}

QByteArray WebSocketMessageModel::payload(const flow::WebSocketMessage &m)
{
    const QByteArray data = QByteArray::fromStdString(m.data);
    return m.opcode == 1 ? data : QByteArray::fromBase64(data);
}

QString WebSocketMessageModel::typeName(int opcode)
{
    switch (opcode) {
    case 1:
        return tr("Text");
    case 2:
        return tr("Binary");
    case 8:
        return tr("Close");
    case 9:
        return tr("Ping");
    case 10:
        return tr("Pong");
    default:
        return tr("Opcode %1").arg(opcode);
    }
}

int WebSocketMessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : count(m_messages);
}

int WebSocketMessageModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WebSocketMessageModel::data(const QModelIndex &index, int role) const
{
    const flow::WebSocketMessage *m = index.isValid() ? message(index.row()) : nullptr;
    if (!m)
        return {};
    if (role == Qt::ToolTipRole && index.column() == Direction)
        return m->fromClient ? tr("Sent by the client") : tr("Received from the server");
    if (role == Qt::TextAlignmentRole && index.column() == Size)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Direction:
        return m->fromClient ? QStringLiteral("\u2191") : QStringLiteral("\u2193");
    case Time:
        return QDateTime::fromMSecsSinceEpoch(qint64(m->time * 1000))
            .toString(QStringLiteral("HH:mm:ss.zzz"));
    case Type:
        return typeName(m->opcode);
    case Size:
        return QLocale().toString(payload(*m).size());
    case Preview: {
        const QByteArray bytes = payload(*m);
        if (m->opcode == 8 && bytes.size() >= 2) {
            const int code = (quint8(bytes[0]) << 8) | quint8(bytes[1]);
            return QString(QString::number(code) + QLatin1Char(' ')
                           + QString::fromUtf8(bytes.mid(2)));
        }
        if (m->opcode == 2)
            return QString::fromLatin1(bytes.left(kPreviewChars / 3).toHex(' '));
        QString text = QString::fromUtf8(bytes.left(kPreviewChars * 4)).left(kPreviewChars);
        text.replace(QLatin1Char('\n'), QChar(0x21b5));
        return text;
    }
    default:
        return {};
    }
}

QVariant WebSocketMessageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Direction:
        return QString();
    case Time:
        return tr("Time");
    case Type:
        return tr("Type");
    case Size:
        return tr("Size");
    case Preview:
        return tr("Data");
    default:
        return {};
    }
}

} // namespace ts::ui
