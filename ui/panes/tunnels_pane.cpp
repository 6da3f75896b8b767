#include "ui/panes/tunnels_pane.h"

#include "ui/panes/carried_flows_model.h"
#include "ui/panes/pane_util.h"
#include "ui/panes/tunnel_model.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace ts::ui {

using namespace Qt::StringLiterals;

TunnelsPane::TunnelsPane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_model(new TunnelModel(store, this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_carried(new CarriedFlowsModel(store, this))
    , m_view(new QTableView(this))
    , m_carriedView(new QTableView(this))
    , m_carriedLabel(new QLabel(this))
{
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(TunnelModel::SortRole);
    m_view->setObjectName(QStringLiteral("tunnelsView"));
    m_view->setModel(m_sorted);
    setUpInspectorTable(*m_view);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TunnelModel::NumberColumn, Qt::AscendingOrder);
    fitColumns(*m_view,
               {u"00000"_s, u"www.example.com:443"_s, u"HTTP/2 stream 000 on connection 0000"_s,
                u"passed through"_s, u"000.0 KiB"_s, u"000.0 KiB"_s,
                u"\u2191 000.0 KiB/s  \u2193 000.0 KiB/s"_s, u"failed"_s, u"127.0.0.1:00000"_s,
                QString()});

    m_carriedView->setObjectName(QStringLiteral("carriedFlowsView"));
    m_carriedView->setModel(m_carried);
    setUpInspectorTable(*m_carriedView);
    fitColumns(*m_carriedView,
               {u"00000"_s, u"OPTIONS"_s, u"https://www.example.com/index.html?q=0"_s,
                u"HTTP/1.1"_s, u"000"_s, u"000.0 KiB"_s});
    m_carriedLabel->setObjectName(QStringLiteral("carriedFlowsLabel"));

    auto *lower = new QWidget(this);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->setSpacing(0);
    auto *labelBar = new QHBoxLayout;
    setBarMargins(*labelBar);
    labelBar->addWidget(m_carriedLabel);
    lowerLayout->addLayout(labelBar);
    lowerLayout->addWidget(m_carriedView);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_view);
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TunnelsPane::onCurrentChanged);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        if (const auto id = index.data(TunnelModel::FlowIdRole).toULongLong())
            Q_EMIT flowRequested(id);
    });
    connect(m_carriedView, &QAbstractItemView::doubleClicked, this,
            [this](const QModelIndex &index) {
                if (const auto id = m_carried->flowIdAt(index.row()))
                    Q_EMIT flowRequested(id);
            });
    connect(&m_rateTimer, &QTimer::timeout, m_model, &TunnelModel::refreshRates);
    m_rateTimer.start(1000);
    onCurrentChanged();
}

TunnelsPane::~TunnelsPane() = default;

flow::FlowId TunnelsPane::selectedTunnel() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.data(TunnelModel::FlowIdRole).toULongLong() : 0;
}

bool TunnelsPane::selectTunnel(flow::FlowId id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    const QModelIndex index = m_sorted->mapFromSource(m_model->index(row, 0));
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

void TunnelsPane::onCurrentChanged()
{
    const flow::FlowId id = selectedTunnel();
    m_carried->setTunnel(id);
    m_carriedLabel->setText(id ? tr("Flows carried by tunnel #%1").arg(id)
                               : tr("Select a tunnel to see the flows it carried"));
    if (id)
        Q_EMIT tunnelSelected(id);
}

} // namespace ts::ui
