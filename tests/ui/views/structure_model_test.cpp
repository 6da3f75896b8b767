#include "core/flow/flow_store.h"
#include "ui/views/structure_model.h"
#include "ui/views/structure_pane.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <QTreeView>

using namespace ts::flow;
using ts::ui::StructureModel;
using ts::ui::StructurePane;
using namespace Qt::StringLiterals;

namespace {

Flow exchange(FlowId id, std::string host, std::string path, std::uint16_t port = 443,
              std::string scheme = "https")
{
    Flow f;
    f.id = id;
    f.startedWall = 1700000000000 + std::int64_t(id);
    f.scheme = std::move(scheme);
    f.host = std::move(host);
    f.port = port;
    f.method = "GET";
    f.path = std::move(path);
    return f;
}

// The names of `parent`'s children, in the model's (arrival) order.
QStringList names(const QAbstractItemModel &m, const QModelIndex &parent)
{
    QStringList out;
    for (int row = 0; row < m.rowCount(parent); ++row)
        out << m.index(row, 0, parent).data().toString();
    return out;
}

QString count(const QAbstractItemModel &, const QModelIndex &index)
{
    return index.siblingAtColumn(StructureModel::CountColumn).data().toString();
}

} // namespace

// StructureModel under QAbstractItemModelTester: host → path segments with counts, one insert
// per parent per batch, scopes that match what the tree counts, rebuilds after removals, and
// a 100k-flow store walked in slices.
class StructureModelTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void buildsHostsAndSegmentsWithCounts()
    {
        FlowStore store;
        StructureModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        store.publish(exchange(1, "api.example", "/v1/users/7?full=1"));
        store.publish(exchange(2, "api.example", "/v1/users/8"));
        store.publish(exchange(3, "api.example", "/v1/orders"));
        store.publish(exchange(4, "cdn.example", "/"));
        store.publish(exchange(5, "localhost", "/a//b/", 8080, "http"));
        Flow tunnel = exchange(6, "bank.example", "");
        tunnel.kind = FlowKind::Tunnel;
        tunnel.method.clear();
        store.publish(tunnel);
        store.flush();

        QCOMPARE(model.rowCount(), 1);
        const QModelIndex all = model.allIndex();
        QCOMPARE(all.data().toString(), u"All flows"_s);
        QCOMPARE(count(model, all), u"6"_s);
        QCOMPARE(names(model, all), (QStringList{u"api.example"_s, u"cdn.example"_s,
                                                 u"localhost:8080"_s, u"bank.example:443"_s}));
        const QModelIndex api = model.indexOfKey({u"api.example"_s});
        QCOMPARE(count(model, api), u"3"_s);
        const QModelIndex v1 = model.indexOfKey({u"api.example"_s, u"v1"_s});
        QCOMPARE(names(model, v1), (QStringList{u"users"_s, u"orders"_s}));
        const QModelIndex users = model.indexOfKey({u"api.example"_s, u"v1"_s, u"users"_s});
        QCOMPARE(count(model, users), u"2"_s);
        QCOMPARE(names(model, users), (QStringList{u"7"_s, u"8"_s})); // no query
        QCOMPARE(model.rowCount(model.indexOfKey({u"cdn.example"_s})), 0);
        QCOMPARE(names(model, model.indexOfKey({u"localhost:8080"_s})), QStringList{u"a"_s});
        QVERIFY(model.indexOfKey({u"localhost:8080"_s, u"a"_s, u"b"_s}).isValid());
        QCOMPARE(model.keyOf(users), (QStringList{u"api.example"_s, u"v1"_s, u"users"_s}));
        QCOMPARE(users.data(StructureModel::KeyRole).toStringList(), model.keyOf(users));
        QVERIFY(model.keyOf(all).isEmpty());
        QVERIFY(!model.indexOfKey({u"nowhere"_s}).isValid());
    }

    void insertsOncePerParentPerBatch()
    {
        FlowStore store;
        StructureModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        store.publish(exchange(1, "a.example", "/x"));
        store.flush();
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // One batch: three new hosts, two new paths under a.example, each with children.
        for (FlowId id = 2; id <= 31; ++id)
            store.publish(exchange(id, "h" + std::to_string(id % 3) + ".example",
                                   "/p" + std::to_string(id % 5) + "/q"));
        store.publish(exchange(40, "a.example", "/y/z"));
        store.publish(exchange(41, "a.example", "/w/z"));
        store.publish(exchange(42, "a.example", "/x"));
        store.flush();
        // Under "All": the three hosts in one insert; under a.example: y and w in one.
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(model.rowCount(model.allIndex()), 4);
        QCOMPARE(names(model, model.indexOfKey({u"a.example"_s})),
                 (QStringList{u"x"_s, u"y"_s, u"w"_s}));
        QCOMPARE(count(model, model.indexOfKey({u"a.example"_s, u"x"_s})), u"2"_s);
        // Counts: "All" (under the root), a.example (under All), x (under a.example).
        QCOMPARE(changed.count(), 3);
        QCOMPARE(count(model, model.allIndex()), u"34"_s);
    }

    void scopeMatchesWhatTheTreeCounts()
    {
        const auto scope = StructureModel::scopeOf({u"api.example"_s, u"v1"_s, u"users"_s});
        QVERIFY(scope(exchange(1, "api.example", "/v1/users")));
        QVERIFY(scope(exchange(1, "api.example", "/v1/users/7?x=/v1")));
        QVERIFY(scope(exchange(1, "api.example", "//v1//users/")));
        QVERIFY(!scope(exchange(1, "api.example", "/v1/users2")));
        QVERIFY(!scope(exchange(1, "api.example", "/v1")));
        QVERIFY(!scope(exchange(1, "api.example", "/v2/users")));
        QVERIFY(!scope(exchange(1, "api.example", "/v1/users", 8443)));
        QVERIFY(!scope(exchange(1, "other.example", "/v1/users")));
        const auto host = StructureModel::scopeOf({u"[::1]:8080"_s});
        QVERIFY(host(exchange(1, "::1", "/anything", 8080, "http")));
        QVERIFY(!StructureModel::scopeOf({}));
        // The tree and the scope agree on every flow's place.
        const Flow f = exchange(1, "api.example", "/v1/users/7?full=1");
        QVERIFY(StructureModel::scopeOf(StructureModel::keyPathOf(f))(f));
    }

    void rebuildsAfterRemovalAndClear()
    {
        FlowStore store;
        StructureModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        store.publish(exchange(1, "a.example", "/x"));
        store.publish(exchange(2, "b.example", "/y"));
        store.publish(exchange(3, "b.example", "/z"));
        store.flush();
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        RemovedFlows removed = store.remove({2, 3});
        QTRY_COMPARE(reset.count(), 1);
        QCOMPARE(names(model, model.allIndex()), QStringList{u"a.example"_s});
        QCOMPARE(count(model, model.allIndex()), u"1"_s);
        store.restore(std::move(removed));
        QTRY_COMPARE(reset.count(), 2);
        QCOMPARE(count(model, model.indexOfKey({u"b.example"_s})), u"2"_s);
        store.clear();
        QCOMPARE(model.rowCount(model.allIndex()), 0);
        QCOMPARE(count(model, model.allIndex()), u"0"_s);
    }

    void walksALargeStoreInSlices()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 100000; ++id)
            store.publish(
                exchange(id, "host" + std::to_string(id % 50) + ".example",
                         "/api/" + std::to_string(id % 400) + "/item/" + std::to_string(id)));
        // The model's own share of the store's signal: between a slot before it and one after.
        QElapsedTimer clock;
        qint64 modelMillis = -1;
        connect(&store, &FlowStore::flowsAdded, this, [&] { clock.start(); });
        StructureModel model(store);
        connect(&store, &FlowStore::flowsAdded, this, [&] { modelMillis = clock.elapsed(); });
        QSignalSpy caughtUp(&model, &StructureModel::caughtUp);
        store.flush(); // flowsAdded: the first slice runs now, the rest from the event loop
        QVERIFY2(modelMillis >= 0 && modelMillis < 100, qPrintable(u"%1 ms"_s.arg(modelMillis)));
        QVERIFY(model.isWalking());
        QVERIFY(caughtUp.wait(30000));
        QVERIFY(!model.isWalking());
        QCOMPARE(count(model, model.allIndex()), QLocale().toString(100000));
        QCOMPARE(model.rowCount(model.allIndex()), 50);
        QCOMPARE(model.rowCount(model.indexOfKey({u"host1.example"_s, u"api"_s})), 8);
    }

    void paneSelectsAndClearsScope()
    {
        FlowStore store;
        StructurePane pane(store);
        QAbstractItemModelTester tester(pane.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        store.publish(exchange(1, "a.example", "/x/1"));
        store.publish(exchange(2, "b.example", "/y"));
        store.flush();
        QSignalSpy scopes(&pane, &StructurePane::scopeChanged);
        QVERIFY(pane.selectScope({u"a.example"_s, u"x"_s}));
        QCOMPARE(scopes.count(), 1);
        QCOMPARE(pane.scope(), (QStringList{u"a.example"_s, u"x"_s}));
        QVERIFY(pane.selectScope({})); // "All flows"
        QVERIFY(pane.scope().isEmpty());
        QVERIFY(pane.selectScope({u"b.example"_s}));
        pane.clearScope();
        QVERIFY(pane.scope().isEmpty());
        QCOMPARE(scopes.count(), 4);
        QVERIFY(!pane.selectScope({u"c.example"_s}));

        // Names sorted in the view, whatever the arrival order.
        store.publish(exchange(3, "0.example", "/"));
        store.flush();
        const QAbstractItemModel *shown = pane.view()->model();
        const QModelIndex all = shown->index(0, 0);
        QCOMPARE(shown->index(0, 0, all).data().toString(), u"0.example"_s);

        // A rebuild keeps the selection once its node is back.
        QVERIFY(pane.selectScope({u"b.example"_s}));
        RemovedFlows removed = store.remove({1});
        QSignalSpy reset(pane.model(), &QAbstractItemModel::modelReset);
        QTRY_COMPARE(reset.count(), 1);
        QTRY_COMPARE(pane.scope(), QStringList{u"b.example"_s});
        // ...and shows every flow when its node is gone.
        store.remove({2});
        QTRY_VERIFY(pane.scope().isEmpty());
    }
};

QTEST_MAIN(StructureModelTest)
#include "structure_model_test.moc"
