#include "ui/views/structure_pane.h"

#include "ui/views/structure_model.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QVBoxLayout>

namespace ts::ui {

StructurePane::StructurePane(flow::FlowStore &store, QWidget *parent)
    : QWidget(parent)
    , m_model(new StructureModel(store, this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_view(new QTreeView(this))
{
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(StructureModel::SortRole);
    m_sorted->setDynamicSortFilter(true);
    m_view->setObjectName(QStringLiteral("structureTree"));
    m_view->setModel(m_sorted);
    m_view->setUniformRowHeights(true); // 100k nodes: no per-row size queries
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(StructureModel::NameColumn, Qt::AscendingOrder);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setAllColumnsShowFocus(true);
    QHeaderView *header = m_view->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(StructureModel::NameColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(StructureModel::CountColumn, QHeaderView::ResizeToContents);
    header->setMinimumSectionSize(40);
    m_view->expand(m_sorted->mapFromSource(m_model->allIndex()));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &StructurePane::onCurrentChanged);
    // Before the view drops its selection, so that drop does not count as the user's.
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this,
            [this] { m_reselecting = !m_scope.isEmpty(); });
    connect(m_model, &QAbstractItemModel::modelReset, this,
            [this] { m_view->expand(m_sorted->mapFromSource(m_model->allIndex())); });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &StructurePane::reselect);
    connect(m_model, &StructureModel::caughtUp, this, [this] {
        reselect();
        if (m_reselecting) { // its flows are gone: show them all
            m_reselecting = false;
            setScope({});
        }
    });
}

StructurePane::~StructurePane() = default;

bool StructurePane::selectScope(const QStringList &key)
{
    const QModelIndex source = key.isEmpty() ? m_model->allIndex() : m_model->indexOfKey(key);
    if (!source.isValid())
        return false;
    const QModelIndex index = m_sorted->mapFromSource(source);
    for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
        m_view->expand(p);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

void StructurePane::clearScope()
{
    m_view->selectionModel()->clearSelection();
    setScope({});
}

void StructurePane::onCurrentChanged()
{
    if (m_reselecting)
        return; // the rebuilt tree is catching up; the table keeps its scope meanwhile
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    setScope(rows.isEmpty() ? QStringList() : m_model->keyOf(m_sorted->mapToSource(rows.front())));
}

void StructurePane::reselect()
{
    if (!m_reselecting)
        return;
    const QModelIndex source = m_model->indexOfKey(m_scope);
    if (!source.isValid())
        return;
    m_reselecting = false;
    selectScope(m_scope);
}

void StructurePane::setScope(const QStringList &key)
{
    if (key == m_scope)
        return;
    m_scope = key;
    Q_EMIT scopeChanged(m_scope);
}

} // namespace ts::ui
