#include "ui/panes/frames_pane.h"

#include "core/flow/flow_store.h"
#include "ui/panes/frame_model.h"
#include "ui/panes/h2_names.h"
#include "ui/panes/pane_util.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {

using namespace Qt::StringLiterals;

FramesPane::FramesPane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new FrameModel(this))
    , m_view(new QTableView(this))
    , m_title(new QLabel(this))
    , m_dropped(new QLabel(this))
    , m_type(new QComboBox(this))
    , m_stream(new QLineEdit(this))
{
    m_view->setObjectName(QStringLiteral("framesView"));
    m_view->setModel(m_model);
    setUpInspectorTable(*m_view);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    fitColumns(*m_view, {u"000000"_s, u"000.000000"_s, u"\u2190"_s, u"WINDOW_UPDATE"_s,
                         u"END_STREAM | PADDED"_s, u"000"_s, u"00000"_s, QString()});
    const QFontMetrics fm = fontMetrics();

    m_title->setObjectName(QStringLiteral("framesTitle"));
    m_dropped->setObjectName(QStringLiteral("droppedFramesNote"));
    m_dropped->setWordWrap(true);
    m_dropped->setFrameShape(QFrame::StyledPanel);
    m_dropped->setMargin(4);
    m_dropped->setVisible(false);

    m_type->setObjectName(QStringLiteral("frameTypeFilter"));
    m_type->addItem(tr("All types")); // no data: no filter
    for (const std::uint8_t type : h2::kKnownFrameTypes)
        m_type->addItem(h2::frameTypeName(type), qulonglong(type));
    connect(m_type, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QVariant type = m_type->itemData(i);
        m_model->setTypeFilter(type.isValid() ? std::optional<std::uint64_t>(type.toULongLong())
                                              : std::nullopt);
        updateLabels();
    });

    m_stream->setObjectName(QStringLiteral("frameStreamFilter"));
    m_stream->setPlaceholderText(tr("all"));
    m_stream->setClearButtonEnabled(true);
    // Stream ids up to 2^62 - 1 (HTTP/3's; h2's are 31-bit): 19 digits at most.
    m_stream->setValidator(
        new QRegularExpressionValidator(QRegularExpression(u"[0-9]{0,19}"_s), m_stream));
    m_stream->setMaximumWidth(fm.horizontalAdvance(QStringLiteral("0000000000")) + 40);
    m_stream->setToolTip(tr("Only the frames of this stream (0: the connection's own frames)"));
    connect(m_stream, &QLineEdit::textChanged, this, [this](const QString &text) {
        bool ok = false;
        const qulonglong stream = text.toULongLong(&ok);
        if (ok && stream > kMaxStreamId) { // no such stream: keep the last filter
            m_stream->setText(QString::number(kMaxStreamId));
            return;
        }
        m_model->setStreamFilter(ok ? std::optional<std::uint64_t>(stream) : std::nullopt);
        updateLabels();
    });

    auto *bar = new QHBoxLayout;
    setBarMargins(*bar);
    auto *typeLabel = new QLabel(tr("&Type:"), this);
    typeLabel->setBuddy(m_type);
    auto *streamLabel = new QLabel(tr("&Stream:"), this);
    streamLabel->setBuddy(m_stream);
    // The title gives way first when the dock is narrow.
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_title->setMinimumWidth(fm.horizontalAdvance(QStringLiteral("Connection #00")));
    bar->addWidget(m_title, 1);
    bar->addSpacing(12);
    bar->addWidget(typeLabel);
    bar->addWidget(m_type);
    bar->addSpacing(8);
    bar->addWidget(streamLabel);
    bar->addWidget(m_stream);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_dropped);
    layout->addWidget(m_view);

    connect(m_view, &QAbstractItemView::doubleClicked, this, &FramesPane::requestFlowAt);
    // What the store's batches bring: new frames in the log shown, or a connection that has
    // become h2 (a log now). A hidden pane catches up when shown.
    connect(&m_store, &flow::FlowStore::logsChanged, this,
            [this](const std::vector<flow::ConnectionId> &ids) {
                if (isVisible() && std::find(ids.begin(), ids.end(), m_connection) != ids.end())
                    refresh();
            });
    connect(&m_store, &flow::FlowStore::connectionsChanged, this, [this] {
        if (isVisible() && !m_model->log())
            refresh();
    });
    updateLabels();
}

FramesPane::~FramesPane() = default;

void FramesPane::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void FramesPane::showConnection(flow::ConnectionId id)
{
    if (id == m_connection && m_model->log())
        return;
    m_connection = id;
    const flow::Connection *c = m_store.connection(id);
    m_model->setLog(c ? c->log : nullptr, c ? QString::fromStdString(c->protocol) : QString());
    updateLabels();
    m_view->scrollToBottom();
}

void FramesPane::refresh()
{
    if (!m_model->log()) {
        // HTTP/1.1 so far: the connection may have become h2 and have a log now.
        if (m_connection != 0) {
            const flow::Connection *c = m_store.connection(m_connection);
            if (c && c->log) {
                m_model->setLog(c->log, QString::fromStdString(c->protocol));
                updateLabels();
            }
        }
        return;
    }
    const QScrollBar *bar = m_view->verticalScrollBar();
    const bool atBottom = bar->value() == bar->maximum();
    if (!m_model->poll())
        return;
    updateLabels();
    if (atBottom)
        m_view->scrollToBottom();
}

void FramesPane::setTypeFilter(std::optional<std::uint64_t> type)
{
    const int i = type ? m_type->findData(qulonglong(*type)) : 0;
    if (i >= 0) {
        m_type->setCurrentIndex(i);
    } else { // not one the list offers: filter anyway
        m_model->setTypeFilter(type);
        updateLabels();
    }
}

void FramesPane::setStreamFilter(std::optional<std::uint64_t> stream)
{
    m_stream->setText(stream ? QString::number(*stream) : QString());
}

QString FramesPane::droppedNote() const
{
    return m_dropped->isVisibleTo(this) ? m_dropped->text() : QString();
}

void FramesPane::updateLabels()
{
    const flow::Connection *c = m_connection ? m_store.connection(m_connection) : nullptr;
    if (m_connection == 0) {
        m_title->setText(tr("Select a connection to see its frames"));
    } else if (!m_model->log()) {
        m_title->setText(tr("Connection #%1 (%2): no frame log")
                             .arg(m_connection)
                             .arg(c ? QString::fromStdString(c->protocol) : QString()));
    } else {
        const int shown = m_model->rowCount();
        const auto held = qulonglong(m_model->frameCount());
        if (std::uint64_t(shown) == held)
            m_title->setText(held == 1
                                 ? tr("Connection #%1: 1 frame").arg(m_connection)
                                 : tr("Connection #%1: %L2 frames").arg(m_connection).arg(held));
        else
            m_title->setText(
                tr("Connection #%1: %L2 of %L3 frames").arg(m_connection).arg(shown).arg(held));
    }
    const std::uint64_t dropped = m_model->log() ? m_model->droppedCount() : 0;
    m_dropped->setVisible(dropped > 0);
    if (dropped > 0)
        m_dropped->setText(tr("%L1 older frames dropped; the log keeps the newest %L2")
                               .arg(qulonglong(dropped))
                               .arg(qulonglong(m_model->log()->frameCapacity())));
}

flow::FlowId FramesPane::flowAtRow(int row) const
{
    const flow::FrameRecord *frame = m_model->frameAt(row);
    if (!frame || frame->stream == 0 || !m_model->log())
        return 0;
    flow::FlowId recorded = 0;
    for (const flow::StreamRecord &s : m_model->log()->streams())
        if (s.id == frame->stream)
            recorded = s.flow;
    return flowOfStream(m_store, m_connection, frame->stream, recorded);
}

void FramesPane::requestFlowAt(const QModelIndex &index)
{
    if (const flow::FlowId id = flowAtRow(index.row()))
        Q_EMIT flowRequested(id);
}

bool FramesPane::showStreamOfFlow(flow::FlowId id)
{
    // The stream's record names its flow; look on the connection shown first, then on the
    // connections the flow itself names.
    auto streamIn = [&](flow::ConnectionId connection) -> std::optional<std::uint64_t> {
        const flow::Connection *c = m_store.connection(connection);
        if (!c || !c->log)
            return std::nullopt;
        for (const flow::StreamRecord &s : c->log->streams())
            if (s.flow == id)
                return s.id;
        return std::nullopt;
    };
    const flow::Flow *f = m_store.find(id);
    std::vector<flow::ConnectionId> candidates{m_connection};
    if (f) {
        candidates.push_back(f->clientConnection);
        candidates.push_back(f->serverConnection);
    }
    for (const flow::ConnectionId connection : candidates) {
        if (connection == 0)
            continue;
        auto stream = streamIn(connection);
        if (!stream && f && connection == f->clientConnection && f->clientStream != 0
            && m_store.connection(connection) && m_store.connection(connection)->log)
            stream = f->clientStream; // the record has not learned its flow yet
        if (!stream && f && connection == f->serverConnection && f->serverStream != 0
            && m_store.connection(connection) && m_store.connection(connection)->log)
            stream = f->serverStream; // server-side records name no flow
        if (!stream)
            continue;
        if (connection != m_connection) {
            showConnection(connection);
            Q_EMIT connectionShown(connection);
        }
        setTypeFilter(std::nullopt);
        setStreamFilter(*stream);
        m_view->selectAll();
        if (m_model->rowCount() > 0)
            m_view->scrollTo(m_model->index(0, 0));
        return true;
    }
    return false;
}

} // namespace ts::ui
