#include "ui/panes/connections_pane.h"

#include "ui/panes/connection_model.h"
#include "ui/panes/pane_util.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace ts::ui {

using namespace Qt::StringLiterals;

ConnectionsPane::ConnectionsPane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_model(new ConnectionModel(store, this))
    , m_filtered(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
    , m_side(new QComboBox(this))
{
    m_filtered->setSourceModel(m_model);
    m_filtered->setSortRole(ConnectionModel::SortRole);
    m_filtered->setFilterRole(ConnectionModel::SideRole);
    m_filtered->setFilterKeyColumn(0);

    m_view->setObjectName(QStringLiteral("connectionsView"));
    m_view->setModel(m_filtered);
    setUpInspectorTable(*m_view);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ConnectionModel::NumberColumn, Qt::AscendingOrder);
    fitColumns(*m_view, {u"00000"_s, u"server"_s, u"HTTP/1.1"_s,
                         u"www.example.com:443 (93.184.216.34:443)"_s,
                         u"TLSv1.3 \u00b7 http/1.1 \u00b7 www.example.com"_s, u"0000"_s, u"0000"_s,
                         u"000.0 KiB"_s, u"000.0 KiB"_s, u"00 min 00 s, open"_s, QString()});

    m_side->setObjectName(QStringLiteral("sideFilter"));
    m_side->addItem(tr("Both sides"), int(SideFilter::All));
    m_side->addItem(tr("Client side"), int(SideFilter::Client));
    m_side->addItem(tr("Server side"), int(SideFilter::Server));
    connect(m_side, &QComboBox::currentIndexChanged, this,
            [this](int i) { setSideFilter(SideFilter(m_side->itemData(i).toInt())); });

    auto *bar = new QHBoxLayout;
    setBarMargins(*bar);
    auto *showLabel = new QLabel(tr("&Show:"), this);
    showLabel->setBuddy(m_side);
    bar->addWidget(showLabel);
    bar->addWidget(m_side);
    bar->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_view);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ConnectionsPane::onCurrentChanged);
    connect(&m_liveTimer, &QTimer::timeout, m_model, &ConnectionModel::refreshLive);
    m_liveTimer.start(1000);
}

ConnectionsPane::~ConnectionsPane() = default;

flow::ConnectionId ConnectionsPane::selectedConnection() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.data(ConnectionModel::ConnectionIdRole).toULongLong() : 0;
}

bool ConnectionsPane::selectConnection(flow::ConnectionId id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    QModelIndex index = m_filtered->mapFromSource(m_model->index(row, 0));
    if (!index.isValid()) { // hidden by the side filter: show both sides
        setSideFilter(SideFilter::All);
        index = m_filtered->mapFromSource(m_model->index(row, 0));
    }
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

void ConnectionsPane::setSideFilter(SideFilter filter)
{
    switch (filter) {
    case SideFilter::All:
        m_filtered->setFilterFixedString(QString());
        break;
    case SideFilter::Client:
        m_filtered->setFilterFixedString(QStringLiteral("client"));
        break;
    case SideFilter::Server:
        m_filtered->setFilterFixedString(QStringLiteral("server"));
        break;
    }
    const int i = m_side->findData(int(filter));
    if (i >= 0 && i != m_side->currentIndex())
        m_side->setCurrentIndex(i);
}

void ConnectionsPane::onCurrentChanged()
{
    const flow::ConnectionId id = selectedConnection();
    if (id == 0 || id == m_announced)
        return;
    m_announced = id;
    Q_EMIT connectionSelected(id);
}

} // namespace ts::ui
