#include "core/flow/flow_store.h"
#include "ui/models/flow_table_model.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QLocale>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
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

// A store of `count` flows whose sort keys repeat (ties) and vary in sign (durations of -1 for
// flows not finished), as a million captured ones would.
void publishVaried(FlowStore &store, FlowId first, FlowId last)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "get"};
    for (FlowId id = first; id <= last; ++id) {
        Flow f = exchange(id);
        f.host = id % 11 == 0 ? "" : "host" + std::to_string((id * 7919) % 97) + ".example";
        f.port = id % 3 ? 443 : 8080;
        f.method = methods[id % std::size(methods)];
        f.path = "/p/" + std::to_string(id % 5000);
        f.status = int(100 * (id % 5) + 100);
        f.startedWall = 1700000000000 + std::int64_t(id / 3);
        f.clientAddress = "10.0.0." + std::to_string(id % 250) + ":" + std::to_string(id % 7);
        f.state = id % 4 ? FlowState::Complete : FlowState::Open;
        f.timings.requestSent = 10;
        f.timings.firstByte = 100 + std::int64_t(id % 13);
        if (f.state == FlowState::Complete)
            f.timings.complete = f.timings.firstByte + std::int64_t(id % 17);
        store.publish(std::move(f));
    }
    store.flush();
}

// The order a plain sort of the store gives, row by row (the reference the model must match):
// text byte-wise, then number, ties by arrival; descending turns text and number round, never
// the arrival order of ties.
std::vector<FlowId> plainOrder(const FlowStore &store, int column, Qt::SortOrder order,
                               const std::function<bool(const Flow &)> &keep)
{
    struct Entry
    {
        std::string text;
        std::int64_t number;
        std::size_t row;
    };
    std::vector<Entry> entries;
    for (std::size_t row = 0; row < store.size(); ++row) {
        const Flow &f = store.at(row);
        if (keep && !keep(f))
            continue;
        switch (column) {
        case FlowTableModel::HostColumn:
            entries.push_back({f.host, f.port, row});
            break;
        case FlowTableModel::PathColumn:
            entries.push_back({f.path, 0, row});
            break;
        case FlowTableModel::MethodColumn:
            entries.push_back({f.method, 0, row});
            break;
        case FlowTableModel::ClientColumn:
            entries.push_back({f.clientAddress, 0, row});
            break;
        case FlowTableModel::StatusColumn:
            entries.push_back({{}, f.status, row});
            break;
        case FlowTableModel::TimeColumn:
            entries.push_back({{}, f.startedWall, row});
            break;
        case FlowTableModel::DurationColumn:
            entries.push_back({{}, f.durationMicros(), row});
            break;
        default:
            entries.push_back({{}, 0, row});
        }
    }
    const bool descending = order == Qt::DescendingOrder;
    std::sort(entries.begin(), entries.end(), [descending](const Entry &a, const Entry &b) {
        if (a.text != b.text)
            return descending ? a.text > b.text : a.text < b.text;
        if (a.number != b.number)
            return descending ? a.number > b.number : a.number < b.number;
        return a.row < b.row;
    });
    std::vector<FlowId> ids;
    for (const Entry &e : entries)
        ids.push_back(store.at(e.row).id);
    return ids;
}

std::vector<FlowId> shownIds(const FlowTableModel &model)
{
    std::vector<FlowId> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids.push_back(model.index(row, 0).data(FlowTableModel::FlowIdRole).toULongLong());
    return ids;
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
        QCOMPARE(cell(0, M::ResponseSizeColumn).toString(), u"1.2 KiB"_s);
        QCOMPARE(cell(0, M::SchemeColumn).toString(), u"http"_s);
        QCOMPARE(cell(0, M::ClientProtocolColumn).toString(), u"HTTP/1.1"_s);
        QCOMPARE(cell(0, M::TypeColumn).toString(), u"exchange"_s);
        QCOMPARE(cell(0, M::TlsColumn).toString(), QString());
        QCOMPARE(cell(0, M::DurationColumn).toString(), u"12 ms"_s);
        QCOMPARE(cell(0, M::ErrorColumn).toString(), QString());
        QVERIFY(cell(0, M::TimeColumn)
                    .toString()
                    .contains(QRegularExpression(
                        QStringLiteral("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$"))));
        QVERIFY(!cell(0, M::StatusColumn, Qt::ForegroundRole).isValid());
        QCOMPARE(cell(0, M::StatusColumn, Qt::TextAlignmentRole).toInt(),
                 int(Qt::AlignRight | Qt::AlignVCenter));
        QCOMPARE(cell(0, M::PathColumn, Qt::ToolTipRole).toString(),
                 u"http://example.com:8080/item/41"_s);
        QCOMPARE(cell(0, M::ResponseSizeColumn, M::SortRole).toULongLong(), 1234u);
        QCOMPARE(cell(0, M::NumberColumn, M::FlowIdRole).toULongLong(), 41u);

        QCOMPARE(cell(1, M::HostColumn).toString(), u"example.com"_s);
        QCOMPARE(cell(1, M::ResponseSizeColumn).toString(), u"0 B"_s);
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
        QCOMPARE(cell(3, M::RequestSizeColumn).toString(), u"1.2 KiB"_s);
        QCOMPARE(cell(3, M::ResponseSizeColumn).toString(), u"55.5 KiB"_s);
        QCOMPARE(cell(3, M::ResponseSizeColumn, M::SortRole).toULongLong(), 56789u);
        QCOMPARE(cell(3, M::TypeColumn).toString(), u"tunnel"_s);
        QCOMPARE(cell(3, M::TlsColumn).toString(), u"passed through"_s);

        QCOMPARE(cell(4, M::StatusColumn).toString(), u"\u2026"_s); // pending
        QCOMPARE(cell(4, M::DurationColumn).toString(), QString());
        QCOMPARE(cell(4, M::ResponseSizeColumn).toString(), QString());

        QCOMPARE(model.headerData(M::PathColumn, Qt::Horizontal).toString(), u"Path"_s);
        QVERIFY(!model.headerData(0, Qt::Vertical).isValid());
    }

    // Issue 17, defect 13: flows of another day (an imported HAR, an old session) showed a
    // time of day with no date.
    void showsTheDateWhenNotToday()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        Flow today = exchange(1);
        const QDateTime noon(QDate::currentDate(), QTime(12, 0, 1, 250));
        today.startedWall = noon.toMSecsSinceEpoch();
        store.publish(today);
        Flow old = exchange(2);
        old.startedWall = QDateTime(QDate(2021, 3, 4), QTime(5, 6, 7)).toMSecsSinceEpoch();
        store.publish(old);
        store.flush();
        using M = FlowTableModel;
        QCOMPARE(model.index(0, M::TimeColumn).data().toString(), u"12:00:01.250"_s);
        QCOMPARE(model.index(1, M::TimeColumn).data().toString(), u"2021-03-04 05:06:07"_s);
    }

    void showsTlsAndWebSockets()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto tls = std::make_shared<TlsSide>();
        tls->used = true;
        tls->version = "TLSv1.3";
        Flow intercepted = exchange(1);
        intercepted.scheme = "https";
        intercepted.port = 443;
        intercepted.intercepted = true;
        intercepted.serverTls = tls;
        store.publish(intercepted);
        Flow ws = exchange(2);
        ws.status = 101;
        store.publish(ws);
        auto failed = std::make_shared<TlsSide>();
        failed->used = true;
        failed->failure = "client rejected our certificate";
        Flow rejected;
        rejected.id = 3;
        rejected.kind = FlowKind::Tunnel;
        rejected.host = "example.net";
        rejected.port = 443;
        rejected.clientTls = failed;
        store.publish(rejected);
        store.flush();
        using M = FlowTableModel;
        QCOMPARE(model.index(0, M::TlsColumn).data().toString(), u"intercepted, TLSv1.3"_s);
        QVERIFY(model.index(0, M::TlsColumn).data(Qt::ForegroundRole).value<QColor>().isValid());
        QVERIFY(!model.index(0, M::HostColumn).data(Qt::ForegroundRole).isValid());
        QCOMPARE(model.index(1, M::TypeColumn).data().toString(), u"WebSocket"_s);
        QCOMPARE(model.index(2, M::TlsColumn).data().toString(), u"handshake failed"_s);
        QCOMPARE(model.index(2, M::TlsColumn).data(Qt::ToolTipRole).toString(),
                 u"client rejected our certificate"_s);
    }

    // Issue 17, defect 16: a passed-through tunnel whose ClientHello was read (SNI, version)
    // showed a bare version or nothing; it says so, like the Tunnels pane.
    void passedThroughTunnelSaysSo()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto hello = std::make_shared<TlsSide>();
        hello->used = true;
        hello->sni = "bank.example";
        Flow tunnel;
        tunnel.id = 1;
        tunnel.kind = FlowKind::Tunnel;
        tunnel.host = "bank.example";
        tunnel.port = 443;
        tunnel.clientTls = hello;
        store.publish(tunnel);
        auto versioned = std::make_shared<TlsSide>(*hello);
        versioned->version = "TLSv1.3";
        tunnel.id = 2;
        tunnel.clientTls = versioned;
        store.publish(tunnel);
        store.flush();
        using M = FlowTableModel;
        QCOMPARE(model.index(0, M::TlsColumn).data().toString(), u"passed through"_s);
        QCOMPARE(model.index(1, M::TlsColumn).data().toString(), u"passed through, TLSv1.3"_s);
    }

    void sortsAndPlacesNewRows()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 10; ++id) {
            Flow f = exchange(id);
            f.status = int(100 * (id % 5) + 100); // 200, 300, 400, 500, 100, ...
            store.publish(f);
        }
        store.flush();
        QSignalSpy finished(&model, &FlowTableModel::rebuildFinished);
        model.sort(FlowTableModel::StatusColumn, Qt::DescendingOrder);
        QCOMPARE(finished.count(), 1); // small: done at once
        const auto statuses = [&] {
            QList<int> out;
            for (int row = 0; row < model.rowCount(); ++row)
                out.append(model.index(row, FlowTableModel::StatusColumn).data().toInt());
            return out;
        };
        QCOMPARE(statuses(), (QList<int>{500, 500, 400, 400, 300, 300, 200, 200, 100, 100}));
        // Ties keep arrival order.
        QCOMPARE(model.index(0, FlowTableModel::NumberColumn).data().toString(), u"4"_s);
        QCOMPARE(model.index(1, FlowTableModel::NumberColumn).data().toString(), u"9"_s);

        // New rows go where they belong, one insert per place.
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        Flow a = exchange(11);
        a.status = 450;
        Flow b = exchange(12);
        b.status = 450;
        Flow c = exchange(13);
        c.status = 50;
        store.publish(a);
        store.publish(b);
        store.publish(c);
        store.flush();
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(statuses(),
                 (QList<int>{500, 500, 450, 450, 400, 400, 300, 300, 200, 200, 100, 100, 50}));

        // A changed row whose key moved is placed again; one that did not stays.
        Flow moved = exchange(13);
        moved.status = 600;
        store.publish(moved);
        store.flush();
        QCOMPARE(statuses().front(), 600);
        QCOMPARE(model.rowCount(), 13);
        QCOMPARE(model.rowOfFlow(13), 0);

        // Back to arrival order.
        model.sort(-1);
        QCOMPARE(model.index(0, FlowTableModel::NumberColumn).data().toString(), u"1"_s);
        QCOMPARE(model.index(12, FlowTableModel::NumberColumn).data().toString(), u"13"_s);
    }

    void sortsLargeStoresOnAWorker()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 60000; ++id) {
            Flow f = exchange(id);
            f.host = "host" + std::to_string((id * 7919) % 1000) + ".example";
            store.publish(std::move(f));
        }
        store.flush();
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Warning);
        QSignalSpy finished(&model, &FlowTableModel::rebuildFinished);
        model.sort(FlowTableModel::HostColumn, Qt::AscendingOrder);
        QVERIFY(model.isRebuilding());
        // Rows keep arriving and changing while it sorts.
        Flow late = exchange(60001);
        late.host = "aaa.example";
        store.publish(late);
        store.flush();
        QVERIFY(finished.wait(10000));
        QVERIFY(!model.isRebuilding());
        QCOMPARE(model.rowCount(), 60001);
        QCOMPARE(model.index(0, FlowTableModel::HostColumn).data().toString(), u"aaa.example"_s);
        QString previous;
        for (int row = 0; row < model.rowCount(); row += 997) {
            const QString host = model.index(row, FlowTableModel::HostColumn).data().toString();
            QVERIFY2(previous <= host, qPrintable(previous + u" > "_s + host));
            previous = host;
        }
    }

    // The worker's sort of the walk's snapshot (texts ranked, then packed keys) gives what a
    // plain sort of the store gives, for text and number columns, both orders, with a filter.
    void backgroundSortMatchesAPlainSort_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("order");
        QTest::addColumn<bool>("filtered");
        const std::pair<const char *, int> columns[] = {
            {"host", FlowTableModel::HostColumn},         {"path", FlowTableModel::PathColumn},
            {"method", FlowTableModel::MethodColumn},     {"client", FlowTableModel::ClientColumn},
            {"status", FlowTableModel::StatusColumn},     {"time", FlowTableModel::TimeColumn},
            {"duration", FlowTableModel::DurationColumn},
        };
        for (const auto &[name, column] : columns) {
            for (const int order : {int(Qt::AscendingOrder), int(Qt::DescendingOrder)}) {
                for (const bool filtered : {false, true}) {
                    QTest::addRow("%s %s%s", name, order == Qt::AscendingOrder ? "up" : "down",
                                  filtered ? " filtered" : "")
                        << column << order << filtered;
                }
            }
        }
    }

    void backgroundSortMatchesAPlainSort()
    {
        QFETCH(int, column);
        QFETCH(int, order);
        QFETCH(bool, filtered);
        static FlowStore *store = nullptr; // one store for every row of the table
        if (!store) {
            store = new FlowStore;
            publishVaried(*store, 1, 26000); // past the size sorted on the GUI thread, filtered too
        }
        FlowTableModel model(*store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Warning);
        const std::function<bool(const Flow &)> keep = [](const Flow &f) {
            return f.status != 300;
        };
        QSignalSpy finished(&model, &FlowTableModel::rebuildFinished);
        if (filtered) {
            model.setFilter(keep, false);
            QVERIFY(finished.count() == 1 || finished.wait(20000));
            finished.clear();
        }
        model.sort(column, Qt::SortOrder(order));
        QVERIFY(finished.count() == 1 || finished.wait(20000));
        QVERIFY(!model.isRebuilding());
        const std::vector<FlowId> expected
            = plainOrder(*store, column, Qt::SortOrder(order), filtered ? keep : nullptr);
        QCOMPARE(shownIds(model), expected);
        // Filter applied or cleared on the sorted table: the same order, rows added or taken.
        finished.clear();
        model.setFilter(filtered ? FlowTableModel::Predicate() : keep, false);
        QVERIFY(finished.count() == 1 || finished.wait(20000));
        QCOMPARE(shownIds(model),
                 plainOrder(*store, column, Qt::SortOrder(order), filtered ? nullptr : keep));
    }

    // Flows that arrive or change while a filter and sort are computed are not lost: after the
    // swap the table holds what a plain filter and sort of the store as it is now gives.
    void updatesDuringABackgroundRebuildAreKept_data()
    {
        QTest::addColumn<int>("flows");
        QTest::newRow("changes while the worker sorts") << 30000;
        QTest::newRow("changes while the store is walked") << 150000;
    }

    void updatesDuringABackgroundRebuildAreKept()
    {
        QFETCH(int, flows);
        FlowStore store;
        publishVaried(store, 1, FlowId(flows));
        FlowTableModel model(store);
        // The tester checks every row on each change: the small store only.
        std::optional<QAbstractItemModelTester> tester;
        if (flows < 100000)
            tester.emplace(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
        const std::function<bool(const Flow &)> keep = [](const Flow &f) {
            return f.status != 404;
        };
        model.setFilter(keep, false);
        QSignalSpy finished(&model, &FlowTableModel::rebuildFinished);
        QTRY_VERIFY(!model.isRebuilding());
        finished.clear();

        model.sort(FlowTableModel::StatusColumn, Qt::DescendingOrder);
        QVERIFY(model.isRebuilding());
        // New flows, passing and failing; old ones moved by the sort, filtered out, let in.
        publishVaried(store, FlowId(flows) + 1, FlowId(flows) + 500);
        const auto change = [&store](FlowId id, int status) {
            Flow f = *store.find(id);
            f.status = status;
            store.publish(std::move(f));
        };
        change(5, 999);                  // to the top
        change(7, 404);                  // out
        change(FlowId(flows) - 3, 404);  // out, late in the walk
        change(FlowId(flows) - 2, 1);    // to the bottom, late in the walk
        change(FlowId(flows) + 10, 404); // a new one, out again
        store.flush();
        QVERIFY(finished.count() == 1 || finished.wait(20000));
        QVERIFY(!model.isRebuilding());
        QCOMPARE(shownIds(model),
                 plainOrder(store, FlowTableModel::StatusColumn, Qt::DescendingOrder, keep));
        QCOMPARE(shownIds(model).front(), FlowId(5));
        QCOMPARE(shownIds(model).back(), FlowId(flows) - 2);
        QCOMPARE(model.rowOfFlow(7), -1);
    }

    // A filter that reads no header leaves spilled header lists on disk; one that does reads
    // them back and matches what they say.
    void filterWalkReadsHeadersOnlyWhenAsked()
    {
        FlowStore store;
        store.budget()->totalMemory = 64 * 1024; // header lists of older flows spill
        for (FlowId id = 1; id <= 3000; ++id) {
            Flow f = exchange(id);
            f.state = FlowState::Complete;
            f.status = 200;
            f.requestHeaders = {{"Host", "example.com"}, {"X-Id", std::to_string(id)}};
            store.publish(std::move(f));
        }
        store.flush();
        const auto used = [&store] {
            return store.budget()->headerMemory.load();
        };
        const std::uint64_t before = used();
        FlowTableModel model(store);
        model.setFilter([](const Flow &f) { return f.id % 2 == 0; }, false);
        QTRY_VERIFY(!model.isRebuilding());
        QCOMPARE(model.rowCount(), 1500);
        QCOMPARE(used(), before); // nothing was read back
        model.setFilter(
            [](const Flow &f) {
                for (const auto &[name, value] : f.requestHeaders) {
                    if (name == "X-Id" && value == "17")
                        return true;
                }
                return false;
            },
            true);
        QTRY_VERIFY(!model.isRebuilding());
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(shownIds(model), std::vector<FlowId>{17});
        QVERIFY(used() > before); // read back to be looked at
    }

    void scopeAndFilterBothApply()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 20; ++id)
            store.publish(exchange(id));
        store.flush();
        model.setScope([](const Flow &f) { return f.id <= 10; });
        QVERIFY(model.hasFilter());
        QCOMPARE(model.rowCount(), 10);
        model.setFilter([](const Flow &f) { return f.id % 2 == 0; });
        QCOMPARE(model.rowCount(), 5);
        model.setFilter({}); // the scope stays
        QCOMPARE(model.rowCount(), 10);
        store.publish(exchange(21)); // live flows outside the scope stay out
        store.publish(exchange(5));
        store.flush();
        QCOMPARE(model.rowCount(), 10);
        model.setScope({});
        QVERIFY(!model.hasFilter());
        QCOMPARE(model.rowCount(), 21);
    }

    void filtersAndFollowsChanges()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 20; ++id)
            store.publish(exchange(id));
        store.flush();
        model.setFilter([](const Flow &f) { return f.status == 404; });
        QVERIFY(model.hasFilter());
        QCOMPARE(model.rowCount(), 0);

        // Rows that come to match appear in arrival order; rows that stop matching go.
        for (FlowId id : {15, 3, 8}) {
            Flow f = exchange(id);
            f.status = 404;
            store.publish(f);
        }
        Flow fresh = exchange(21);
        fresh.status = 404;
        store.publish(fresh);
        store.flush();
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(0, FlowTableModel::NumberColumn).data().toString(), u"3"_s);
        QCOMPARE(model.index(3, FlowTableModel::NumberColumn).data().toString(), u"21"_s);
        Flow fixed = exchange(8);
        fixed.status = 200;
        store.publish(fixed);
        store.flush();
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.rowOfFlow(8), -1);
        QCOMPARE(model.rowOfFlow(15), 1);

        model.setFilter({});
        QCOMPARE(model.rowCount(), 21);
    }

    void manyScatteredChangesBecomeOneReset()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (FlowId id = 1; id <= 1000; ++id)
            store.publish(exchange(id));
        store.flush();
        model.setFilter([](const Flow &f) { return f.status != 500; });
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        for (FlowId id = 1; id <= 1000; id += 10) {
            Flow f = exchange(id);
            f.status = 500;
            store.publish(f);
        }
        store.flush();
        QCOMPARE(model.rowCount(), 900);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(removed.count(), 0);
    }

    // Issue 17, defect 10: paused flows were hidden for good while sessions and HAR kept
    // them. Pause holds new flows back; resuming shows what arrived, in its place.
    void pauseHoldsNewFlowsUntilResumed()
    {
        FlowStore store;
        FlowTableModel model(store);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        store.publish(exchange(1));
        store.flush();
        model.setPaused(true);
        QSignalSpy skipped(&model, &FlowTableModel::skippedCountChanged);
        store.publish(exchange(2));
        store.publish(exchange(3));
        store.flush();
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.skippedCount(), 2u);
        QCOMPARE(skipped.count(), 1);
        // Held back from a re-sort too while paused.
        model.sort(FlowTableModel::NumberColumn, Qt::DescendingOrder);
        QCOMPARE(model.rowCount(), 1);
        model.sort(-1, Qt::AscendingOrder);

        model.setPaused(false);
        QTRY_COMPARE(model.rowCount(), 3);
        QCOMPARE(model.skippedCount(), 0u);
        QCOMPARE(skipped.count(), 2);
        store.publish(exchange(4));
        store.flush();
        QCOMPARE(model.rowCount(), 4);
        for (int row = 0; row < 4; ++row)
            QCOMPARE(model.index(row, FlowTableModel::NumberColumn).data().toString(),
                     QString::number(row + 1));
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
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        QCOMPARE(FlowTableModel::formatBytes(bytes), text);
    }

    // Sizes take the locale's decimal separator, as the window's numbers do.
    void formatsBytesInTheLocale()
    {
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(FlowTableModel::formatBytes(1536), u"1,5 KiB"_s);
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        QCOMPARE(FlowTableModel::formatBytes(1536), u"1.5 KiB"_s);
    }
};

QTEST_MAIN(FlowTableModelTest)
#include "flow_table_model_test.moc"
