#pragma once

#include "core/flow/flow.h"

#include <QAbstractTableModel>
#include <QByteArray>

#include <memory>

namespace ts::ui {

// A flow's WebSocket messages as a table: direction, time, type, size and a preview. Follows
// a live flow: a republished vector that extends the shown one inserts only the new rows.
class WebSocketMessageModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketMessageModel)

public:
    enum Column { Direction, Time, Type, Size, Preview, ColumnCount };

    explicit WebSocketMessageModel(QObject *parent = nullptr);
    ~WebSocketMessageModel() override;

    void setMessages(std::shared_ptr<const flow::WebSocketMessages> messages);
    const flow::WebSocketMessage *message(int row) const;

    // The message's payload as bytes: text as it is, the other opcodes' base64 decoded.
    static QByteArray payload(const flow::WebSocketMessage &m);
    static QString typeName(int opcode);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const flow::WebSocketMessages> m_messages;
};

} // namespace ts::ui
