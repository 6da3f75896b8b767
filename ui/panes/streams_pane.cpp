#include "ui/panes/streams_pane.h"

#include "core/flow/flow_store.h"
#include "ui/panes/pane_util.h"
#include "ui/panes/stream_model.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {

using namespace Qt::StringLiterals;

StreamsPane::StreamsPane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new StreamModel(this))
    , m_view(new QTableView(this))
    , m_title(new QLabel(this))
    , m_history(new QPlainTextEdit(this))
{
    m_view->setObjectName(QStringLiteral("streamsView"));
    m_view->setModel(m_model);
    setUpInspectorTable(*m_view);
    fitColumns(*m_view, {u"0000"_s, u"CONNECT www.example.com:443"_s, u"half-closed (remote)"_s,
                         u"000.0 KiB"_s, u"000.0 KiB"_s, u"00000000"_s, u"00000000"_s,
                         u"FLOW_CONTROL_ERROR"_s, u"#00000"_s});

    m_title->setObjectName(QStringLiteral("streamsTitle"));
    m_history->setObjectName(QStringLiteral("streamHistory"));
    m_history->setReadOnly(true);
    m_history->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_history->setPlaceholderText(tr("The state changes of the selected stream"));

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_view);
    splitter->addWidget(m_history);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto *bar = new QHBoxLayout;
    setBarMargins(*bar);
    bar->addWidget(m_title);
    layout->addLayout(bar);
    layout->addWidget(splitter);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &StreamsPane::updateHistory);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &StreamsPane::updateHistory);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        const flow::FlowId id = flowOfStream(m_store, m_connection,
                                             index.data(StreamModel::StreamIdRole).toULongLong(),
                                             index.data(StreamModel::FlowIdRole).toULongLong());
        if (id != 0)
            Q_EMIT flowRequested(id);
    });
    // What the store's batches bring (see FramesPane); a hidden pane catches up when shown.
    connect(&m_store, &flow::FlowStore::logsChanged, this,
            [this](const std::vector<flow::ConnectionId> &ids) {
                if (isVisible() && std::find(ids.begin(), ids.end(), m_connection) != ids.end())
                    refresh();
            });
    connect(&m_store, &flow::FlowStore::connectionsChanged, this, [this] {
        if (isVisible() && !m_model->log())
            refresh();
    });
    updateTitle();
}

StreamsPane::~StreamsPane() = default;

void StreamsPane::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void StreamsPane::showConnection(flow::ConnectionId id)
{
    if (id == m_connection && m_model->log())
        return;
    m_connection = id;
    const flow::Connection *c = m_store.connection(id);
    m_model->setLog(c ? c->log : nullptr);
    updateTitle();
    updateHistory();
}

bool StreamsPane::selectStream(std::uint64_t id)
{
    const int row = m_model->rowOfStream(id);
    if (row < 0)
        return false;
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

void StreamsPane::refresh()
{
    if (!m_model->log()) {
        const flow::Connection *c = m_connection ? m_store.connection(m_connection) : nullptr;
        if (c && c->log) { // became h2 since it was chosen
            m_model->setLog(c->log);
            updateTitle();
        }
        return;
    }
    if (m_model->poll())
        updateTitle();
}

void StreamsPane::updateTitle()
{
    if (m_connection == 0)
        m_title->setText(tr("Select a connection to see its streams"));
    else if (!m_model->log())
        m_title->setText(tr("Connection #%1: not multiplexed, no streams").arg(m_connection));
    else if (m_model->rowCount() == 1)
        m_title->setText(tr("Connection #%1: 1 stream").arg(m_connection));
    else
        m_title->setText(
            tr("Connection #%1: %L2 streams").arg(m_connection).arg(m_model->rowCount()));
}

void StreamsPane::updateHistory()
{
    const QModelIndex current = m_view->currentIndex();
    const QString text
        = current.isValid() ? current.data(StreamModel::HistoryRole).toString() : QString();
    if (text != m_history->toPlainText())
        m_history->setPlainText(text);
}

QString StreamsPane::historyText() const
{
    return m_history->toPlainText();
}

} // namespace ts::ui
