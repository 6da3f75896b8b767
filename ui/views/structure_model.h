#pragma once

#include <QAbstractItemModel>
#include <QHash>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

class QTimer;

namespace ts::flow {
class FlowStore;
struct Flow;
} // namespace ts::flow

namespace ts::ui {

// The structure view's tree: "All flows", under it each host as the table's Host column shows
// it, under each host the path's segments (query left out), each node with the number of flows
// at or below it. It follows the store's batches: new nodes go in with one beginInsertRows per
// parent per batch (children keep arrival order; a proxy sorts them), changed counts with one
// dataChanged per parent. The store is walked in slices of a few milliseconds, so opening a
// session of 100k flows never blocks the GUI thread for long. Removals, Undo and a flow whose
// host or path changed rebuild the tree (a reset, then the same sliced walk).
class StructureModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StructureModel)

public:
    enum Column : int { NameColumn, CountColumn, ColumnCount };
    enum Role : int {
        SortRole = Qt::UserRole, // name (case-folded) or count
        KeyRole,                 // the node's key path (QStringList): host, then segments
    };
    using Predicate = std::function<bool(const flow::Flow &)>;

    explicit StructureModel(flow::FlowStore &store, QObject *parent = nullptr);
    ~StructureModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The "All flows" node (its key path is empty).
    QModelIndex allIndex() const;
    // The node with this key path (host, then path segments), or an invalid index.
    QModelIndex indexOfKey(const QStringList &key) const;
    QStringList keyOf(const QModelIndex &index) const;
    // True while store rows are still to be walked.
    bool isWalking() const;

    // The flows at or below the node with `key`; empty for the empty key (all flows).
    static Predicate scopeOf(const QStringList &key);
    // A flow's key path: its host (as the table shows it), then its path's non-empty segments
    // up to the query, at most kMaxDepth of them.
    static QStringList keyPathOf(const flow::Flow &flow);
    static constexpr int kMaxDepth = 24;

Q_SIGNALS:
    // Every store row is in the tree (after a batch, or the last slice of a walk).
    void caughtUp();

private:
    struct Node
    {
        QString name;
        Node *parent = nullptr;
        int row = 0;
        std::uint64_t count = 0;
        bool live = false;    // views know it
        bool touched = false; // its count changed in this batch
        std::vector<std::unique_ptr<Node>> children;
        std::vector<std::unique_ptr<Node>> pending; // new in this batch, after `children`
        QHash<QString, Node *> byName;
    };

    void onFlowsAdded();
    void onFlowsChanged(const std::vector<std::size_t> &rows);
    void rebuild();
    void walk();
    Node *nodeOf(const QModelIndex &index) const;
    QModelIndex indexOf(const Node *node, int column = NameColumn) const;
    static void setLive(Node &node);

    flow::FlowStore &m_store;
    std::unique_ptr<Node> m_root; // invisible; its one child is "All flows"
    Node *m_all = nullptr;
    std::size_t m_known = 0;         // store rows in the tree
    std::vector<Node *> m_leafOfRow; // the node each store row counts at
    QTimer *m_sliceTimer = nullptr;
    QTimer *m_rebuildTimer = nullptr;
};

} // namespace ts::ui
