#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <thread>

using namespace ts::flow;
using ts::ui::FlowTableModel;
using namespace Qt::StringLiterals;

namespace {

Flow exchange(FlowId id)
{
    Flow f;
    f.id = id;
    f.clientAddress = "127.0.0.1:5" + std::to_string(1000 + id);
    f.startedWall = 1700000000123 + std::int64_t(id);
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = "GET";
    f.path = "/item/" + std::to_string(id);
    return f;
}

} // namespace

// FlowTableModel under QAbstractItemModelTester while the store inserts, changes and clears.
class FlowTableModelTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void insertsOneRangePerBatch()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

        for (FlowId id = 1; id <= 100; ++id)
            store.publish(exchange(id));
        QCOMPARE(model.rowCount(), 0);
        store.flush();
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.columnCount(), int(FlowTableModel::ColumnCount));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(inserted.at(0).at(2).toInt(), 99);

        for (FlowId id = 101; id <= 150; ++id)
            store.publish(exchange(id));
        store.flush();
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted.at(1).at(1).toInt(), 100);
        QCOMPARE(inserted.at(1).at(2).toInt(), 149);
        QCOMPARE(model.rowCount(), 150);
    }

    void rowCountNeverRunsAheadOfInserts()
    {
        // Anyone reacting to the store before the model does sees the model's announced count,
        // not the store's new size.
        FlowStore store;
        int seenByEarlierSlot = -1;
        FlowTableModel *modelPtr = nullptr;
        connect(&store, &FlowStore::flowsAdded, this,
                [&](qsizetype, qsizetype) { seenByEarlierSlot = modelPtr->rowCount(); });
        FlowTableModel model(store);
        modelPtr = &model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 10; ++id)
            store.publish(exchange(id));
        store.flush();
        QCOMPARE(store.size(), std::size_t(10));
        QCOMPARE(seenByEarlierSlot, 0);
        QCOMPARE(model.rowCount(), 10);
    }

    void startsWithRowsAlreadyInTheStore()
    {
        FlowStore store;
        store.publish(exchange(1));
        store.publish(exchange(2));
        store.flush();
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 2);
    }

    void changesOneRangePerRun()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 20; ++id)
            store.publish(exchange(id));
        store.flush();

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        for (FlowId id : {3, 4, 5, 11, 20}) {
            Flow f = exchange(id);
            f.state = FlowState::Complete;
            f.status = 200;
            store.publish(f);
        }
        store.publish(exchange(21)); // a new row in the same batch: inserted, not changed
        store.flush();
        QCOMPARE(model.rowCount(), 21);
        QCOMPARE(changed.count(), 3);
        const auto range = [&](int call) {
            const auto topLeft = changed.at(call).at(0).value<QModelIndex>();
            const auto bottomRight = changed.at(call).at(1).value<QModelIndex>();
            return std::tuple(topLeft.row(), bottomRight.row(), topLeft.column(),
                              bottomRight.column());
        };
        QCOMPARE(range(0), std::tuple(2, 4, 0, FlowTableModel::ColumnCount - 1));
        QCOMPARE(range(1), std::tuple(10, 10, 0, FlowTableModel::ColumnCount - 1));
        QCOMPARE(range(2), std::tuple(19, 19, 0, FlowTableModel::ColumnCount - 1));
        QCOMPARE(model.index(3, FlowTableModel::StatusColumn).data().toString(), u"200"_s);
    }

    void clearResetsTheModel()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 5; ++id)
            store.publish(exchange(id));
        store.flush();
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        store.clear();
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 0);
        store.publish(exchange(6));
        store.flush();
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, FlowTableModel::NumberColumn).data().toString(), u"6"_s);
    }

    void followsAnEngineThread()
    {
        // Flows and their updates published from another thread while the store's timer
        // batches them; the tester checks every signal as it comes.
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::atomic<bool> done = false;
        std::thread engine([&] {
            for (FlowId id = 1; id <= 3000; ++id) {
                Flow f = exchange(id);
                store.publish(f);
                if (id % 3 == 0) {
                    Flow finished = exchange(id - 1);
                    finished.state = FlowState::Complete;
                    finished.status = id % 2 ? 200 : 404;
                    store.publish(finished);
                }
                if (id % 500 == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), 10000);
        engine.join();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3000, 2000);
        QCOMPARE(model.index(1, FlowTableModel::StatusColumn).data().toString(), u"200"_s);
    }

    void displaysCells()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);

        Flow ok = exchange(41);
        ok.state = FlowState::Complete;
        ok.port = 8080;
        ok.status = 200;
        ok.responseBody = std::make_shared<Body>(store.budget());
        ok.responseBody->append(std::string(1234, 'x'));
        ok.timings.complete = 12500;
        store.publish(ok);

        Flow notFound = exchange(42);
        notFound.state = FlowState::Complete;
        notFound.status = 404;
        notFound.timings.complete = 3456;
        store.publish(notFound);

        Flow failed = exchange(43);
        failed.state = FlowState::Failed;
        failed.error = "connect: connection refused";
        failed.timings.complete = 1000;
        store.publish(failed);

        Flow tunnel;
        tunnel.id = 44;
        tunnel.kind = FlowKind::Tunnel;
        tunnel.host = "example.org";
        tunnel.port = 443;
        tunnel.bytesClientToServer = 1234;
        tunnel.bytesServerToClient = 56789;
        store.publish(tunnel);

        store.publish(exchange(45)); // still open
        store.flush();

        const auto cell = [&](int row, int column, int role = Qt::DisplayRole) {
            return model.index(row, column).data(role);
        };
        using M = FlowTableModel;
        QCOMPARE(cell(0, M::NumberColumn).toString(), u"41"_s);
        QCOMPARE(cell(0, M::ClientColumn).toString(), u"127.0.0.1:51041"_s);
        QCOMPARE(cell(0, M::MethodColumn).toString(), u"GET"_s);
        QCOMPARE(cell(0, M::HostColumn).toString(), u"example.com:8080"_s);
        QCOMPARE(cell(0, M::PathColumn).toString(), u"/item/41"_s);
        QCOMPARE(cell(0, M::StatusColumn).toString(), u"200"_s);
        QCOMPARE(cell(0, M::SizeColumn).toString(), u"1.2 KiB"_s);
        QCOMPARE(cell(0, M::DurationColumn).toString(), u"12 ms"_s);
        QCOMPARE(cell(0, M::ErrorColumn).toString(), QString());
        QVERIFY(
            cell(0, M::TimeColumn)
                .toString()
                .contains(QRegularExpression(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$"))));
        QVERIFY(!cell(0, M::StatusColumn, Qt::ForegroundRole).isValid());
        QCOMPARE(cell(0, M::StatusColumn, Qt::TextAlignmentRole).toInt(),
                 int(Qt::AlignRight | Qt::AlignVCenter));
        QCOMPARE(cell(0, M::PathColumn, Qt::ToolTipRole).toString(),
                 u"http://example.com:8080/item/41"_s);
        QCOMPARE(cell(0, M::SizeColumn, M::SortRole).toULongLong(), 1234u);
        QCOMPARE(cell(0, M::NumberColumn, M::FlowIdRole).toULongLong(), 41u);

        QCOMPARE(cell(1, M::HostColumn).toString(), u"example.com"_s);
        QCOMPARE(cell(1, M::SizeColumn).toString(), u"0 B"_s);
        QCOMPARE(cell(1, M::DurationColumn).toString(), u"3.5 ms"_s);
        QVERIFY(cell(1, M::StatusColumn, Qt::ForegroundRole).value<QColor>().isValid());

        QCOMPARE(cell(2, M::StatusColumn).toString(), QString());
        QCOMPARE(cell(2, M::ErrorColumn).toString(), u"connect: connection refused"_s);
        QCOMPARE(cell(2, M::ErrorColumn, Qt::ToolTipRole).toString(),
                 u"connect: connection refused"_s);
        QVERIFY(cell(2, M::MethodColumn, Qt::ForegroundRole).value<QColor>().isValid());

        QCOMPARE(cell(3, M::MethodColumn).toString(), u"CONNECT"_s);
        QCOMPARE(cell(3, M::HostColumn).toString(), u"example.org:443"_s);
        QCOMPARE(cell(3, M::PathColumn).toString(), QString());
        QCOMPARE(cell(3, M::SizeColumn).toString(), u"\u2191 1.2 KiB  \u2193 55.5 KiB"_s);
        QCOMPARE(cell(3, M::SizeColumn, M::SortRole).toULongLong(), 1234u + 56789u);

        QCOMPARE(cell(4, M::StatusColumn).toString(), u"\u2026"_s); // pending
        QCOMPARE(cell(4, M::DurationColumn).toString(), QString());
        QCOMPARE(cell(4, M::SizeColumn).toString(), QString());

        QCOMPARE(model.headerData(M::PathColumn, Qt::Horizontal).toString(), u"Path"_s);
        QVERIFY(!model.headerData(0, Qt::Vertical).isValid());
    }

    void formatsBytes_data()
    {
        QTest::addColumn<quint64>("bytes");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << quint64(0) << u"0 B"_s;
        QTest::newRow("bytes") << quint64(1023) << u"1023 B"_s;
        QTest::newRow("kib") << quint64(1024) << u"1.0 KiB"_s;
        QTest::newRow("kib fraction") << quint64(1536) << u"1.5 KiB"_s;
        QTest::newRow("almost mib") << quint64(1024 * 1024 - 1) << u"1.0 MiB"_s;
        QTest::newRow("mib") << quint64(5 * 1024 * 1024 + 300 * 1024) << u"5.3 MiB"_s;
        QTest::newRow("gib") << (quint64(3) << 30) << u"3.0 GiB"_s;
        QTest::newRow("tib") << (quint64(2) << 40) << u"2.0 TiB"_s;
    }

    void formatsBytes()
    {
        QFETCH(quint64, bytes);
        QFETCH(QString, text);
        QCOMPARE(FlowTableModel::formatBytes(bytes), text);
    }
};

QTEST_MAIN(FlowTableModelTest)
#include "flow_table_model_test.moc"
