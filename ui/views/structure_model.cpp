#include "ui/views/structure_model.h"

#include "core/flow/flow_store.h"

#include <QElapsedTimer>
#include <QLocale>
#include <QTimer>

#include <algorithm>
#include <map>

namespace ts::ui {

using flow::Flow;
using flow::FlowKind;

namespace {

// A walk takes at most this long before letting the event loop run.
constexpr qint64 kSliceMillis = 8;

// "example.com", "example.com:8080", "[::1]:8080": as the table's Host column shows it.
std::string hostKey(const Flow &f)
{
    std::string key;
    key.reserve(f.host.size() + 8);
    if (f.host.find(':') != std::string::npos)
        key.append("[").append(f.host).append("]");
    else
        key.append(f.host);
    const bool defaultPort = f.kind == FlowKind::Exchange
                             && ((f.scheme == "http" && f.port == 80)
                                 || (f.scheme == "https" && f.port == 443) || f.port == 0);
    if (!defaultPort)
        key.append(":").append(std::to_string(f.port));
    return key;
}

// Calls `each` with the path's non-empty segments before its query or fragment, at most
// StructureModel::kMaxDepth; stops early when `each` returns false.
template<typename Each>
void forEachSegment(std::string_view path, Each each)
{
    path = path.substr(0, std::min(path.find('?'), path.find('#')));
    int depth = 0;
    std::size_t at = 0;
    while (at < path.size() && depth < StructureModel::kMaxDepth) {
        const std::size_t slash = std::min(path.find('/', at), path.size());
        if (slash > at) {
            ++depth;
            if (!each(path.substr(at, slash - at)))
                return;
        }
        at = slash + 1;
    }
}

} // namespace

StructureModel::StructureModel(flow::FlowStore &store, QObject *parent)
    : QAbstractItemModel(parent)
    , m_store(store)
    , m_root(std::make_unique<Node>())
    , m_sliceTimer(new QTimer(this))
    , m_rebuildTimer(new QTimer(this))
{
    m_root->live = true;
    auto all = std::make_unique<Node>();
    all->parent = m_root.get();
    all->live = true;
    m_all = all.get();
    m_root->children.push_back(std::move(all));
    m_sliceTimer->setSingleShot(true);
    m_sliceTimer->setInterval(0);
    connect(m_sliceTimer, &QTimer::timeout, this, &StructureModel::walk);
    // Several removals in a row (Delete, then Undo) rebuild once.
    m_rebuildTimer->setSingleShot(true);
    m_rebuildTimer->setInterval(0);
    connect(m_rebuildTimer, &QTimer::timeout, this, &StructureModel::rebuild);
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &StructureModel::onFlowsAdded);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &StructureModel::onFlowsChanged);
    connect(&m_store, &flow::FlowStore::cleared, this, &StructureModel::rebuild);
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, [this] { m_rebuildTimer->start(); });
    connect(&m_store, &flow::FlowStore::flowsRestored, this, [this] { m_rebuildTimer->start(); });
    walk();
}

StructureModel::~StructureModel() = default;

// ---- the tree ----

StructureModel::Node *StructureModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex StructureModel::indexOf(const Node *node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, column, const_cast<Node *>(node));
}

QModelIndex StructureModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    const Node *p = nodeOf(parent);
    if (parent.isValid() && parent.column() != 0)
        return {};
    if (std::size_t(row) >= p->children.size())
        return {};
    return createIndex(row, column, p->children[std::size_t(row)].get());
}

QModelIndex StructureModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOf(nodeOf(child)->parent);
}

int StructureModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int StructureModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant StructureModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *node = nodeOf(index);
    const bool isAll = node == m_all;
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == CountColumn)
            return QLocale().toString(qulonglong(node->count));
        return isAll ? tr("All flows") : node->name;
    case Qt::ToolTipRole:
        if (isAll)
            return tr("Every flow; select a host or path to show only its flows");
        return node->parent == m_all
                   ? tr("Flows to %1: %2")
                         .arg(node->name, QLocale().toString(qulonglong(node->count)))
                   : tr("Flows under %1/%2: %3")
                         .arg(keyOf(index).front(), keyOf(index).mid(1).join(u'/'),
                              QLocale().toString(qulonglong(node->count)));
    case Qt::TextAlignmentRole:
        return int((index.column() == CountColumn ? Qt::AlignRight : Qt::AlignLeft)
                   | Qt::AlignVCenter);
    case SortRole:
        if (index.column() == CountColumn)
            return qulonglong(node->count);
        return isAll ? QString() : node->name.toCaseFolded();
    case KeyRole:
        return keyOf(index);
    default:
        return {};
    }
}

QVariant StructureModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Host and path");
    case CountColumn:
        return tr("Flows");
    default:
        return {};
    }
}

QModelIndex StructureModel::allIndex() const
{
    return indexOf(m_all);
}

QModelIndex StructureModel::indexOfKey(const QStringList &key) const
{
    const Node *node = m_all;
    for (const QString &name : key) {
        node = node->byName.value(name);
        if (!node || !node->live)
            return {};
    }
    return indexOf(node);
}

QStringList StructureModel::keyOf(const QModelIndex &index) const
{
    QStringList key;
    for (const Node *node = index.isValid() ? nodeOf(index) : m_all; node && node != m_all;
         node = node->parent)
        key.prepend(node->name);
    return key;
}

bool StructureModel::isWalking() const
{
    return m_known < m_store.size();
}

StructureModel::Predicate StructureModel::scopeOf(const QStringList &key)
{
    if (key.isEmpty())
        return {};
    std::string host = key.front().toStdString();
    std::vector<std::string> segments;
    for (qsizetype i = 1; i < key.size(); ++i)
        segments.push_back(key[i].toStdString());
    return [host = std::move(host), segments = std::move(segments)](const Flow &f) {
        if (hostKey(f) != host)
            return false;
        std::size_t matched = 0;
        forEachSegment(f.path, [&](std::string_view segment) {
            if (matched == segments.size() || segment != segments[matched])
                return false;
            ++matched;
            return true;
        });
        return matched == segments.size();
    };
}

QStringList StructureModel::keyPathOf(const Flow &f)
{
    QStringList key{QString::fromStdString(hostKey(f))};
    if (f.kind == FlowKind::Exchange)
        forEachSegment(f.path, [&key](std::string_view segment) {
            key.append(QString::fromUtf8(segment.data(), qsizetype(segment.size())));
            return true;
        });
    return key;
}

// ---- following the store ----

void StructureModel::onFlowsAdded()
{
    if (!m_sliceTimer->isActive())
        walk();
}

void StructureModel::onFlowsChanged(const std::vector<std::size_t> &rows)
{
    // A flow's host and path are known when it is first published; should one change, the
    // tree is built again.
    for (const std::size_t row : rows) {
        if (row >= m_known || row >= m_leafOfRow.size())
            continue;
        const QStringList key = keyPathOf(m_store.peek(row));
        const Node *node = m_leafOfRow[row];
        bool same = true;
        for (qsizetype i = key.size() - 1; i >= 0 && same; --i, node = node->parent)
            same = node && node != m_all && node->name == key[i];
        if (!same || node != m_all) {
            m_rebuildTimer->start();
            return;
        }
    }
}

void StructureModel::rebuild()
{
    m_rebuildTimer->stop();
    m_sliceTimer->stop();
    beginResetModel();
    m_all->children.clear();
    m_all->pending.clear();
    m_all->byName.clear();
    m_all->count = 0;
    m_known = 0;
    m_leafOfRow.clear();
    endResetModel();
    walk();
}

void StructureModel::setLive(Node &node)
{
    node.live = true;
    for (auto &child : node.children)
        setLive(*child);
}

void StructureModel::walk()
{
    QElapsedTimer slice;
    slice.start();
    std::vector<Node *> grown;   // live nodes with new children
    std::vector<Node *> counted; // live nodes whose count changed
    const auto bump = [&counted](Node *node) {
        ++node->count;
        if (node->live && !node->touched) {
            node->touched = true;
            counted.push_back(node);
        }
    };
    const std::size_t end = m_store.size();
    while (m_known < end) {
        const std::size_t row = m_known++;
        Node *node = m_all;
        bump(node);
        // Host and path only: a spilled flow's header lists stay on disk.
        for (const QString &name : keyPathOf(m_store.peek(row))) {
            Node *child = node->byName.value(name);
            if (!child) {
                auto made = std::make_unique<Node>();
                made->name = name;
                made->parent = node;
                child = made.get();
                node->byName.insert(name, child);
                if (node->live) { // views learn of it at the end of the slice
                    if (node->pending.empty())
                        grown.push_back(node);
                    made->row = int(node->children.size() + node->pending.size());
                    node->pending.push_back(std::move(made));
                } else { // inserted with its new parent
                    made->row = int(node->children.size());
                    node->children.push_back(std::move(made));
                }
            }
            node = child;
            bump(node);
        }
        if (m_leafOfRow.size() <= row)
            m_leafOfRow.resize(row + 1, nullptr);
        m_leafOfRow[row] = node;
        if ((m_known & 255) == 0 && slice.elapsed() >= kSliceMillis)
            break;
    }

    // One insert per parent that grew.
    for (Node *node : grown) {
        const int first = int(node->children.size());
        const int last = first + int(node->pending.size()) - 1;
        beginInsertRows(indexOf(node), first, last);
        for (auto &child : node->pending) {
            setLive(*child);
            node->children.push_back(std::move(child));
        }
        node->pending.clear();
        endInsertRows();
    }
    // One dataChanged per parent, over the rows whose counts changed.
    std::map<Node *, std::pair<int, int>> runs;
    for (Node *node : counted) {
        node->touched = false;
        auto [it, added] = runs.try_emplace(node->parent, node->row, node->row);
        if (!added) {
            it->second.first = std::min(it->second.first, node->row);
            it->second.second = std::max(it->second.second, node->row);
        }
    }
    for (const auto &[parent, run] : runs) {
        const QModelIndex p = indexOf(parent);
        Q_EMIT dataChanged(index(run.first, CountColumn, p), index(run.second, CountColumn, p),
                           {Qt::DisplayRole, Qt::ToolTipRole, SortRole});
    }

    if (m_known < m_store.size())
        m_sliceTimer->start();
    else
        Q_EMIT caughtUp();
}

} // namespace ts::ui
