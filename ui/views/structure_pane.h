#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QTreeView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class StructureModel;

// The structure view: every host and path recorded, as a tree with counts. Selecting a node
// narrows the flows table to the flows at or below it (scopeChanged); "All flows", or no
// selection, shows every flow again. The filter box still applies on top.
class StructurePane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StructurePane)

public:
    explicit StructurePane(flow::FlowStore &store, QWidget *parent = nullptr);
    ~StructurePane() override;

    StructureModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }
    // The selected node's key path (host, then path segments); empty: all flows.
    QStringList scope() const { return m_scope; }

public Q_SLOTS:
    // Selects the node with this key path (empty: "All flows"); false when there is none.
    bool selectScope(const QStringList &key);
    void clearScope();

Q_SIGNALS:
    void scopeChanged(const QStringList &key);

private:
    void onCurrentChanged();
    void reselect();
    void setScope(const QStringList &key);

    StructureModel *m_model = nullptr;
    QSortFilterProxyModel *m_sorted = nullptr;
    QTreeView *m_view = nullptr;
    QStringList m_scope;
    bool m_reselecting = false; // the tree was rebuilt: select m_scope again when it is back
};

} // namespace ts::ui
