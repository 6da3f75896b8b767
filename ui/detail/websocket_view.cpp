#include "ui/detail/websocket_view.h"

#include "ui/detail/hex_view.h"
#include "ui/detail/json_format.h"
#include "ui/detail/websocket_message_model.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace ts::ui {

WebSocketView::WebSocketView(QWidget *parent)
    : QWidget(parent)
    , m_model(new WebSocketMessageModel(this))
    , m_note(new QLabel(this))
    , m_table(new QTableView(this))
    , m_detail(new QStackedWidget(this))
    , m_text(new QPlainTextEdit(this))
    , m_hex(new HexView(this))
{
    m_note->setObjectName(QStringLiteral("webSocketNote"));
    m_note->setWordWrap(true);
    m_note->hide();
    m_table->setObjectName(QStringLiteral("webSocketMessages"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(WebSocketMessageModel::Preview, QHeaderView::Stretch);
    m_text->setObjectName(QStringLiteral("webSocketText"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setPlaceholderText(tr("Select a message to see it whole."));
    m_detail->addWidget(m_text);
    m_detail->addWidget(m_hex);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_note);
    layout->addWidget(splitter, 1);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &WebSocketView::showSelected);
    connect(m_model, &QAbstractItemModel::modelReset, this, &WebSocketView::showSelected);
}

WebSocketView::~WebSocketView() = default;

bool WebSocketView::hasMessages(const flow::Flow &flow)
{
    return (flow.webSocketMessages && !flow.webSocketMessages->empty()) || flow.webSocketDropped > 0
           || !flow.webSocketError.empty();
}

void WebSocketView::showFlow(const flow::Flow &flow)
{
    m_model->setMessages(flow.webSocketMessages);
    QStringList notes;
    if (flow.webSocketDropped > 0)
        notes << tr("%n message(s) not recorded: past this flow's budget.", nullptr,
                    int(flow.webSocketDropped));
    if (flow.webSocketTruncated > 0)
        notes << tr("%n long message(s) recorded in part.", nullptr, int(flow.webSocketTruncated));
    if (!flow.webSocketError.empty())
        notes << tr("Recording stopped: %1").arg(QString::fromStdString(flow.webSocketError));
    m_note->setText(notes.join(QLatin1Char(' ')));
    m_note->setVisible(!notes.isEmpty());
}

void WebSocketView::clear()
{
    m_model->setMessages(nullptr);
    m_note->clear();
    m_note->hide();
}

QString WebSocketView::noteText() const
{
    return m_note->text();
}

void WebSocketView::showSelected()
{
    const flow::WebSocketMessage *m = m_model->message(m_table->currentIndex().row());
    if (!m) {
        m_text->clear();
        m_detail->setCurrentWidget(m_text);
        return;
    }
    const QByteArray bytes = WebSocketMessageModel::payload(*m);
    if (m->opcode == 2) {
        m_hex->setData(bytes);
        m_detail->setCurrentWidget(m_hex);
        return;
    }
    QString text;
    if (m->opcode == 8 && bytes.size() >= 2) {
        text = tr("Close code %1").arg((quint8(bytes[0]) << 8) | quint8(bytes[1]));
        if (bytes.size() > 2)
            text += QLatin1Char('\n') + QString::fromUtf8(bytes.mid(2));
    } else if (const auto pretty = prettyJson(std::string_view(bytes.data(), bytes.size()))) {
        text = QString::fromStdString(*pretty);
    } else {
        text = QString::fromUtf8(bytes);
    }
    m_text->setPlainText(text);
    m_detail->setCurrentWidget(m_text);
}

} // namespace ts::ui
