#include "ui/detail/flow_detail_pane.h"

#include "core/flow/flow_store.h"
#include "ui/detail/message_view.h"
#include "ui/detail/timing_view.h"
#include "ui/detail/tls_view.h"
#include "ui/detail/websocket_view.h"
#include "ui/widgets/elided_label.h"

#include <QLabel>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {

FlowDetailPane::FlowDetailPane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_summary(new ElidedLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_request(new MessageView(MessageView::Side::Request, this))
    , m_response(new MessageView(MessageView::Side::Response, this))
    , m_timing(new TimingView(this))
    , m_tls(new TlsView(this))
    , m_webSocket(new WebSocketView(this))
    , m_refreshTimer(new QTimer(this))
{
    m_summary->setObjectName(QStringLiteral("flowSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tabs->setObjectName(QStringLiteral("detailTabs"));
    m_tabs->addTab(m_request, tr("Request"));
    m_tabs->addTab(m_response, tr("Response"));
    auto *timingScroll = new QScrollArea(this);
    timingScroll->setWidget(m_timing);
    timingScroll->setWidgetResizable(true);
    m_tabs->addTab(timingScroll, tr("Timing"));
    m_tabs->addTab(m_tls, tr("TLS"));
    m_tabs->addTab(m_webSocket, tr("Messages"));
    m_tabs->setTabVisible(m_tabs->indexOf(m_webSocket), false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_tabs, 1);

    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(250);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] { refresh(false); });
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &FlowDetailPane::noteChanges);
    connect(&m_store, &flow::FlowStore::cleared, this, [this] { showFlow(0); });
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, [this] {
        if (m_id != 0 && !m_store.find(m_id))
            showFlow(0);
    });
    showFlow(0);
}

FlowDetailPane::~FlowDetailPane() = default;

void FlowDetailPane::showFlow(std::uint64_t id)
{
    if (id != 0 && id == m_id)
        return;
    m_id = id;
    m_requestBody = m_responseBody = nullptr;
    m_requestBodySize = m_responseBodySize = 0;
    refresh(true);
}

void FlowDetailPane::noteChanges(const std::vector<std::size_t> &rows)
{
    if (m_id == 0 || m_refreshTimer->isActive())
        return;
    const std::size_t row = m_store.rowOf(m_id);
    if (row != SIZE_MAX && std::binary_search(rows.begin(), rows.end(), row))
        m_refreshTimer->start();
}

void FlowDetailPane::refresh(bool force)
{
    const flow::Flow *f = m_id ? m_store.find(m_id) : nullptr;
    if (!f) {
        m_summary->setFullText(tr("Select a flow to see it here."));
        m_request->clear();
        m_response->clear();
        m_timing->clear();
        m_tls->clear();
        m_webSocket->clear();
        m_tabs->setTabVisible(m_tabs->indexOf(m_webSocket), false);
        m_tabs->setEnabled(false);
        return;
    }
    m_tabs->setEnabled(true);
    QString summary = f->kind == flow::FlowKind::Tunnel
                          ? QStringLiteral("CONNECT ") + QString::fromStdString(f->url())
                          : QString::fromStdString(f->method + " " + f->url());
    if (f->status > 0)
        summary += QStringLiteral("  \u2192  ") + QString::number(f->status) + QLatin1Char(' ')
                   + QString::fromStdString(f->reason);
    if (!f->error.empty())
        summary += QStringLiteral("  \u00b7  ") + QString::fromStdString(f->error);
    m_summary->setFullText(summary);

    // A body is read again only when it is another body or has grown.
    const auto grew
        = [](const std::shared_ptr<flow::Body> &body, const void *&seen, std::uint64_t &size) {
              const std::uint64_t now = body ? body->size() : 0;
              const bool changed = body.get() != seen || now != size;
              seen = body.get();
              size = now;
              return changed;
          };
    const bool requestBody = grew(f->requestBody, m_requestBody, m_requestBodySize) || force;
    const bool responseBody = grew(f->responseBody, m_responseBody, m_responseBodySize) || force;
    m_request->showFlow(*f, requestBody);
    m_response->showFlow(*f, responseBody);
    m_timing->showFlow(*f);
    m_tls->showFlow(*f);
    const bool messages = WebSocketView::hasMessages(*f);
    if (messages)
        m_webSocket->showFlow(*f);
    else
        m_webSocket->clear();
    m_tabs->setTabVisible(m_tabs->indexOf(m_webSocket), messages);
}

QString FlowDetailPane::summaryText() const
{
    return m_summary->fullText();
}

} // namespace ts::ui
