#include "core/flow/flow_store.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <thread>

using namespace ts::flow;

namespace {

Flow makeFlow(FlowId id, FlowState state = FlowState::Open)
{
    Flow f;
    f.id = id;
    f.state = state;
    f.scheme = "http";
    f.host = "example.com";
    f.port = 80;
    f.method = "GET";
    f.path = "/" + std::to_string(id);
    return f;
}

// A finished exchange with `fieldBytes` of header values on each of the six lists.
Flow flowWithHeaders(FlowId id, std::size_t fieldBytes)
{
    Flow f = makeFlow(id, FlowState::Complete);
    const std::string value(fieldBytes, 'v');
    for (HeaderList *list : {&f.requestHeaders, &f.requestTrailers, &f.serverRequestHeaders,
                             &f.responseHeaders, &f.responseTrailers, &f.clientResponseHeaders})
        *list = {{"x-big-field-name", value}, {"host", "example.com"}};
    return f;
}

std::shared_ptr<ConnectionLog> logOf(std::size_t frames, std::size_t summaryBytes)
{
    auto log = std::make_shared<ConnectionLog>();
    for (std::size_t i = 0; i < frames; ++i) {
        FrameRecord f;
        f.stream = std::uint32_t(i);
        f.summary = std::string(summaryBytes, 'h');
        log->addFrame(std::move(f));
    }
    return log;
}

std::vector<std::size_t> rowsOf(const QSignalSpy &spy, int call)
{
    return spy.at(call).at(0).value<std::vector<std::size_t>>();
}

} // namespace

// FlowStore: cross-thread publish, one signal per batch, finished-once, clear.
class FlowStoreTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void publishFromAnotherThreadArrivesOnTheStoreThread()
    {
        FlowStore store;
        QThread *seenOn = nullptr;
        qsizetype added = 0;
        connect(&store, &FlowStore::flowsAdded, this, [&](qsizetype first, qsizetype last) {
            seenOn = QThread::currentThread();
            added += last - first + 1;
        });
        std::thread engine([&] {
            for (FlowId id = 1; id <= 200; ++id)
                store.publish(makeFlow(id));
        });
        engine.join();
        // No flush: the store's own timer applies the queue.
        QTRY_COMPARE_WITH_TIMEOUT(store.size(), std::size_t(200), 2000);
        QCOMPARE(added, qsizetype(200));
        QCOMPARE(seenOn, QThread::currentThread());
        for (std::size_t row = 0; row < 200; ++row)
            QCOMPARE(store.at(row).id, FlowId(row + 1)); // arrival order
    }

    // Marks are the user's: changeMarks() announces the rows it changed, and the engine's
    // later copies of a flow (which never carry marks) keep them, also across remove/restore.
    void marksSurviveTheEnginesUpdates()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 4; ++id)
            store.publish(makeFlow(id));
        store.flush();
        QSignalSpy changed(&store, &FlowStore::flowsChanged);
        QCOMPARE(store.changeMarks({3, 1, 99},
                                   [](Marks &m) {
                                       m.pinned = true;
                                       m.color = MarkColor::Orange;
                                   }),
                 std::size_t(2));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(rowsOf(changed, 0), (std::vector<std::size_t>{0, 2}));
        // Nothing changes: nothing is announced.
        QCOMPARE(store.changeMarks({1}, [](Marks &m) { m.pinned = true; }), std::size_t(0));
        QCOMPARE(changed.count(), 1);
        store.changeMarks({3}, [](Marks &m) { m.comment = "look"; });

        Flow update = makeFlow(3, FlowState::Complete);
        update.status = 200;
        store.publish(update);
        store.flush();
        QCOMPARE(store.at(2).status, 200);
        QVERIFY(store.at(2).marks == (Marks{true, MarkColor::Orange, "look"}));

        // Removed while open, updated by the engine meanwhile, restored: marks and update.
        RemovedFlows removed = store.remove({1});
        Flow late = makeFlow(1, FlowState::Complete);
        late.status = 204;
        store.publish(late);
        store.flush();
        store.restore(std::move(removed));
        QCOMPARE(store.at(0).status, 204);
        QVERIFY(store.at(0).marks == (Marks{true, MarkColor::Orange, ""}));
    }

    void manyPublishesMakeOneFlowsAdded()
    {
        FlowStore store;
        QSignalSpy added(&store, &FlowStore::flowsAdded);
        QSignalSpy changed(&store, &FlowStore::flowsChanged);
        for (FlowId id = 1; id <= 500; ++id)
            store.publish(makeFlow(id));
        QCOMPARE(store.size(), std::size_t(0)); // nothing applied before the batch
        store.flush();
        QCOMPARE(added.count(), 1);
        QCOMPARE(added.at(0).at(0).value<qsizetype>(), qsizetype(0));
        QCOMPARE(added.at(0).at(1).value<qsizetype>(), qsizetype(499));
        QCOMPARE(changed.count(), 0);

        for (FlowId id = 501; id <= 510; ++id)
            store.publish(makeFlow(id));
        store.flush();
        QCOMPARE(added.count(), 2);
        QCOMPARE(added.at(1).at(0).value<qsizetype>(), qsizetype(500));
        QCOMPARE(added.at(1).at(1).value<qsizetype>(), qsizetype(509));

        store.flush(); // an empty batch announces nothing
        QCOMPARE(added.count(), 2);
    }

    void updatesMakeOneSortedFlowsChanged()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 10; ++id)
            store.publish(makeFlow(id));
        store.flush();
        QSignalSpy added(&store, &FlowStore::flowsAdded);
        QSignalSpy changed(&store, &FlowStore::flowsChanged);

        Flow f = makeFlow(8);
        f.status = 200;
        store.publish(f);
        store.publish(makeFlow(2));
        f.status = 404;
        store.publish(f); // the same row twice in one batch
        store.publish(makeFlow(4));
        store.flush();

        QCOMPARE(added.count(), 0);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(rowsOf(changed, 0), (std::vector<std::size_t>{1, 3, 7}));
        QCOMPARE(store.at(7).status, 404); // the last copy wins
        QCOMPARE(store.find(8), &store.at(7));
        QCOMPARE(store.rowOf(8), std::size_t(7));
        QCOMPARE(store.rowOf(99), SIZE_MAX);
        QVERIFY(store.find(99) == nullptr);
    }

    void newAndChangedRowsInOneBatch()
    {
        FlowStore store;
        store.publish(makeFlow(1));
        store.publish(makeFlow(2));
        store.flush();
        QSignalSpy added(&store, &FlowStore::flowsAdded);
        QSignalSpy changed(&store, &FlowStore::flowsChanged);

        store.publish(makeFlow(3));
        store.publish(makeFlow(2));
        store.publish(makeFlow(3)); // update of a row new in this batch: part of the insert
        store.publish(makeFlow(4));
        store.flush();

        QCOMPARE(added.count(), 1);
        QCOMPARE(added.at(0).at(0).value<qsizetype>(), qsizetype(2));
        QCOMPARE(added.at(0).at(1).value<qsizetype>(), qsizetype(3));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(rowsOf(changed, 0), (std::vector<std::size_t>{1}));
        QCOMPARE(store.size(), std::size_t(4));
    }

    void flowFinishedOncePerFlow()
    {
        FlowStore store;
        QSignalSpy finished(&store, &FlowStore::flowFinished);

        store.publish(makeFlow(1)); // open, then complete in a later batch
        store.flush();
        QCOMPARE(finished.count(), 0);
        store.publish(makeFlow(1, FlowState::Complete));
        store.flush();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<qsizetype>(), qsizetype(0));
        store.publish(makeFlow(1, FlowState::Complete)); // a late update of a finished flow
        store.flush();
        QCOMPARE(finished.count(), 1);

        store.publish(makeFlow(2, FlowState::Failed)); // finished on arrival
        store.publish(makeFlow(3));                    // open and finished in one batch
        store.publish(makeFlow(3, FlowState::Complete));
        store.publish(makeFlow(3, FlowState::Complete));
        store.flush();
        QCOMPARE(finished.count(), 3);
        QCOMPARE(finished.at(1).at(0).value<qsizetype>(), qsizetype(1));
        QCOMPARE(finished.at(2).at(0).value<qsizetype>(), qsizetype(2));
    }

    void clearDropsRowsAndQueue()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 5; ++id)
            store.publish(makeFlow(id));
        store.flush();
        store.publish(makeFlow(6)); // queued, not applied
        Connection c;
        c.id = 1;
        store.publish(c);
        store.flush();
        store.publish(makeFlow(7));

        QSignalSpy cleared(&store, &FlowStore::cleared);
        QSignalSpy added(&store, &FlowStore::flowsAdded);
        store.clear();
        QCOMPARE(cleared.count(), 1);
        QCOMPARE(store.size(), std::size_t(0));
        QVERIFY(store.find(1) == nullptr);
        QVERIFY(store.connections().empty());
        store.flush();
        QCOMPARE(added.count(), 0); // flow 7 was dropped with the queue

        store.publish(makeFlow(8));
        store.flush();
        QCOMPARE(added.count(), 1);
        QCOMPARE(added.at(0).at(0).value<qsizetype>(), qsizetype(0));
        QCOMPARE(store.at(0).id, FlowId(8));
    }

    void idsOfAnySizeFindTheirRows()
    {
        // Small ids index pages, ids past them a map; both update in place and clear.
        FlowStore store;
        const std::vector<FlowId> ids{
            0, 1, 4095, 4096, 9000, (FlowId(1) << 28) - 1, FlowId(1) << 28, ~FlowId(0), 77};
        for (FlowId id : ids)
            store.publish(makeFlow(id));
        store.flush();
        QCOMPARE(store.size(), ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            QCOMPARE(store.rowOf(ids[i]), i);
            QCOMPARE(store.find(ids[i])->id, ids[i]);
        }
        QCOMPARE(store.rowOf(2), SIZE_MAX);
        QCOMPARE(store.rowOf(4097), SIZE_MAX);
        QCOMPARE(store.rowOf((FlowId(1) << 28) + 1), SIZE_MAX);
        QCOMPARE(store.rowOf(FlowId(1) << 40), SIZE_MAX); // beyond every page

        QSignalSpy changed(&store, &FlowStore::flowsChanged);
        store.publish(makeFlow(~FlowId(0), FlowState::Complete));
        store.publish(makeFlow(4096, FlowState::Complete));
        store.flush();
        QCOMPARE(store.size(), ids.size());
        QCOMPARE(rowsOf(changed, 0), (std::vector<std::size_t>{3, 7}));

        store.clear();
        for (FlowId id : ids)
            QVERIFY(store.find(id) == nullptr);
    }

    void connectionsAreUpdatedInPlace()
    {
        FlowStore store;
        QSignalSpy spy(&store, &FlowStore::connectionsChanged);
        Connection a;
        a.id = 10;
        a.clientAddress = "127.0.0.1:5000";
        Connection b;
        b.id = 11;
        store.publish(a);
        store.publish(b);
        a.bytesIn = 42;
        store.publish(a);
        store.flush();
        QCOMPARE(spy.count(), 1);
        QCOMPARE(store.connections().size(), std::size_t(2));
        QCOMPARE(store.connections()[0].bytesIn, std::uint64_t(42));
        QCOMPARE(store.connections()[1].id, ConnectionId(11));
        QVERIFY(store.connection(10));
        QCOMPARE(store.connection(10)->bytesIn, std::uint64_t(42));
        QCOMPARE(store.connection(11), &store.connections()[1]);
        QVERIFY(!store.connection(12));
    }

    void removeAndRestorePutRowsBackWhereTheyWere()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 6; ++id)
            store.publish(makeFlow(id, FlowState::Complete));
        store.flush();
        QSignalSpy removedSpy(&store, &FlowStore::flowsRemoved);
        QSignalSpy restoredSpy(&store, &FlowStore::flowsRestored);

        RemovedFlows removed = store.remove({5, 2, 99, 2});
        QCOMPARE(removedSpy.count(), 1);
        QCOMPARE(rowsOf(removedSpy, 0), (std::vector<std::size_t>{1, 4}));
        QCOMPARE(store.size(), std::size_t(4));
        QVERIFY(!store.find(2));
        QCOMPARE(store.rowOf(6), std::size_t(3));

        store.publish(makeFlow(7, FlowState::Complete)); // arrives meanwhile
        store.flush();
        store.restore(std::move(removed));
        QCOMPARE(rowsOf(restoredSpy, 0), (std::vector<std::size_t>{1, 4}));
        QCOMPARE(store.size(), std::size_t(7));
        for (std::size_t row = 0; row < 7; ++row) {
            QCOMPARE(store.at(row).id, FlowId(row + 1));
            QCOMPARE(store.rowOf(FlowId(row + 1)), row);
        }
    }

    void aRemovedOpenFlowIsNotAddedAgainByItsUpdates()
    {
        FlowStore store;
        store.publish(makeFlow(1));
        store.publish(makeFlow(2));
        store.flush();
        RemovedFlows removed = store.remove({1});
        QSignalSpy added(&store, &FlowStore::flowsAdded);
        store.publish(makeFlow(1, FlowState::Complete)); // the engine finishes it
        store.flush();
        QCOMPARE(added.count(), 0);
        QCOMPARE(store.size(), std::size_t(1));
        // Undo brings back the flow as the engine last described it.
        store.restore(std::move(removed));
        QCOMPARE(store.at(0).id, FlowId(1));
        QCOMPARE(store.at(0).state, FlowState::Complete);
    }

    void takeAllIsAClearThatCanBeUndone()
    {
        FlowStore store;
        for (FlowId id = 1; id <= 3; ++id)
            store.publish(makeFlow(id, FlowState::Complete));
        Connection c;
        c.id = 4;
        store.publish(c);
        store.flush();
        store.publish(makeFlow(4, FlowState::Complete)); // queued: cleared with the rest
        QSignalSpy cleared(&store, &FlowStore::cleared);
        RemovedFlows all = store.takeAll();
        QCOMPARE(cleared.count(), 1);
        QCOMPARE(store.size(), std::size_t(0));
        QVERIFY(store.connections().empty());
        QCOMPARE(all.rows.size(), std::size_t(4));

        store.publish(makeFlow(5, FlowState::Complete));
        store.flush();
        store.restore(std::move(all));
        QCOMPARE(store.size(), std::size_t(5));
        for (std::size_t row = 0; row < 5; ++row)
            QCOMPARE(store.at(row).id, FlowId(row + 1)); // the old ones before the new
        QVERIFY(store.connection(4));
    }

    void headerListsOfEveryWireAreCounted()
    {
        FlowStore store;
        const auto budget = store.budget();
        Flow f = flowWithHeaders(1, 1000);
        const std::uint64_t all = FlowStore::headerBytes(f);
        QVERIFY(all >= 6 * 1000);
        // Each of the six lists counts.
        for (HeaderList *list :
             {&f.requestHeaders, &f.requestTrailers, &f.serverRequestHeaders, &f.responseHeaders,
              &f.responseTrailers, &f.clientResponseHeaders}) {
            HeaderList kept;
            kept.swap(*list);
            QVERIFY(FlowStore::headerBytes(f) <= all - 1000);
            kept.swap(*list);
        }

        store.publish(f);
        store.flush();
        QCOMPARE(budget->headerMemory.load(), all);
        QCOMPARE(budget->inMemory.load(), all);

        Flow smaller = makeFlow(1, FlowState::Complete); // the same flow, updated
        smaller.requestHeaders = {{"host", "example.com"}};
        store.publish(smaller);
        store.flush();
        QCOMPARE(budget->headerMemory.load(), FlowStore::headerBytes(smaller));

        store.clear();
        QCOMPARE(budget->headerMemory.load(), 0u);
        QCOMPARE(budget->inMemory.load(), 0u);
    }

    void connectionLogsAreCountedOnceStored()
    {
        FlowStore store;
        Connection c;
        c.id = 1;
        c.log = logOf(100, 300);
        store.publish(c);
        store.publish(c); // published again: counted once
        store.flush();
        QVERIFY(c.log->memoryBytes() >= 100 * 300);
        QCOMPARE(store.budget()->logMemory.load(), c.log->memoryBytes());
        c.log->addFrame(FrameRecord{}); // frames recorded later count as they come
        QCOMPARE(store.budget()->logMemory.load(), c.log->memoryBytes());
        store.clear();
        c.log.reset();
        QCOMPARE(store.budget()->logMemory.load(), 0u);
    }

    void overBudgetClosedLogsSpillFirst()
    {
        FlowStore store;
        const auto budget = store.budget();
        budget->totalMemory = 300 * 1024;
        Connection open;
        open.id = 1;
        open.log = logOf(200, 1000); // ~200 KiB
        Connection closed;
        closed.id = 2;
        closed.log = logOf(200, 1000);
        closed.closedWall = 1;
        closed.log->closed();
        const auto frames = closed.log->frames();
        Flow f = flowWithHeaders(1, 1000);
        f.responseBody = std::make_shared<Body>(budget);
        f.responseBody->append(std::string(1000, 'b'));
        store.publish(open);
        store.publish(closed);
        store.publish(f);
        store.flush();

        QVERIFY(closed.log->spilled());
        QVERIFY(!open.log->spilled());       // an open connection's log stays
        QVERIFY(!f.responseBody->spilled()); // the log was enough
        QVERIFY(budget->inMemory.load() <= budget->totalMemory.load());
        QCOMPARE(budget->logMemory.load(), open.log->memoryBytes());
        // The frames pane reads them back.
        const auto back = store.connection(2)->log->frames();
        QCOMPARE(back.size(), frames.size());
        QCOMPARE(back.back().summary, frames.back().summary);
    }

    void overBudgetOlderFlowsSpillBodiesAndHeaders()
    {
        FlowStore store;
        const auto budget = store.budget();
        budget->totalMemory = 100 * 1024;
        std::vector<Flow> flows;
        for (FlowId id = 1; id <= 20; ++id) {
            Flow f = flowWithHeaders(id, 1000); // ~6 KiB of fields
            f.responseBody = std::make_shared<Body>(budget);
            f.responseBody->append(std::string(2000, char('a' + id)));
            flows.push_back(f);
            store.publish(f);
        }
        store.flush();
        QVERIFY(budget->inMemory.load() <= budget->totalMemory.load());
        // The oldest went to disk, the newest stayed.
        QVERIFY(flows.front().responseBody->spilled());
        QVERIFY(!flows.back().responseBody->spilled());
        QVERIFY(budget->headerMemory.load() < 20 * FlowStore::headerBytes(flows.front()));
        QVERIFY(budget->spill->size() > 0);

        // Every flow reads the same as recorded, wherever it is now.
        for (std::size_t i = 0; i < flows.size(); ++i) {
            const Flow &f = store.at(i);
            QCOMPARE(f.responseBody->read(), std::string(2000, char('a' + i + 1)));
            QCOMPARE(f.requestHeaders, flows[i].requestHeaders);
            QCOMPARE(f.requestTrailers, flows[i].requestTrailers);
            QCOMPARE(f.serverRequestHeaders, flows[i].serverRequestHeaders);
            QCOMPARE(f.responseHeaders, flows[i].responseHeaders);
            QCOMPARE(f.responseTrailers, flows[i].responseTrailers);
            QCOMPARE(f.clientResponseHeaders, flows[i].clientResponseHeaders);
        }
        QCOMPARE(store.find(1)->clientResponseHeaders, flows[0].clientResponseHeaders);
        // Read back, they are counted again, and the next batch makes room once more.
        QVERIFY(budget->headerMemory.load() >= 20 * FlowStore::headerBytes(flows.front()) - 1);
        store.publish(makeFlow(21, FlowState::Complete));
        store.flush();
        QVERIFY(budget->inMemory.load() <= budget->totalMemory.load());
        QCOMPARE(store.at(0).responseHeaders, flows[0].responseHeaders);
    }

    void withinBudgetNothingSpills()
    {
        FlowStore store;
        Flow f = flowWithHeaders(1, 1000);
        f.responseBody = std::make_shared<Body>(store.budget());
        f.responseBody->append("hello");
        Connection c;
        c.id = 1;
        c.log = logOf(10, 100);
        c.closedWall = 1;
        store.publish(c);
        store.publish(f);
        store.flush();
        QVERIFY(!f.responseBody->spilled());
        QVERIFY(!c.log->spilled());
        QCOMPARE(store.budget()->spill->size(), 0u);
    }

    void removeAndRestoreKeepSpilledHeadersAndTheirCount()
    {
        FlowStore store;
        const auto budget = store.budget();
        // Lists that differ by flow, so a list read back for the wrong row shows. Strings are
        // short (no heap) or longer than 30 bytes: a trip through the spill file gives them back
        // with the capacity they went with, so they count the same afterwards.
        const auto flowOf = [](FlowId id) {
            Flow f = makeFlow(id, FlowState::Complete);
            const std::string value(1000, char('a' + id));
            for (HeaderList *list :
                 {&f.requestHeaders, &f.requestTrailers, &f.serverRequestHeaders,
                  &f.responseHeaders, &f.responseTrailers, &f.clientResponseHeaders})
                *list
                    = {{"x-id", std::to_string(id)}, {"x-a-header-name-thirty-bytes-long", value}};
            return f;
        };
        std::vector<Flow> flows;
        for (FlowId id = 1; id <= 10; ++id)
            flows.push_back(flowOf(id));
        const std::uint64_t one = FlowStore::headerBytes(flows.front());
        const auto sameAs = [&flows](const Flow &f) {
            const Flow &recorded = flows.at(f.id - 1);
            return f.requestHeaders == recorded.requestHeaders
                   && f.requestTrailers == recorded.requestTrailers
                   && f.serverRequestHeaders == recorded.serverRequestHeaders
                   && f.responseHeaders == recorded.responseHeaders
                   && f.responseTrailers == recorded.responseTrailers
                   && f.clientResponseHeaders == recorded.clientResponseHeaders;
        };
        const auto everyRowAsRecorded = [&] {
            QCOMPARE(store.size(), flows.size());
            for (std::size_t row = 0; row < flows.size(); ++row) {
                QCOMPARE(store.at(row).id, FlowId(row + 1));
                QCOMPARE(store.rowOf(FlowId(row + 1)), row);
                QVERIFY2(sameAs(store.at(row)), qPrintable(QString::number(row)));
            }
            // All read back: all counted, once.
            std::uint64_t all = 0;
            for (const Flow &f : flows)
                all += FlowStore::headerBytes(f);
            QCOMPARE(budget->headerMemory.load(), all);
        };

        budget->totalMemory = 4 * one; // the oldest six go to the spill file
        for (const Flow &f : flows)
            store.publish(f);
        store.flush();
        const std::uint64_t charged = budget->headerMemory.load();
        QCOMPARE(charged, 4 * one);
        QVERIFY(budget->spill->size() > 0);

        // Spilled flows (2, 3, 5) and one in memory (9) go, with their lists, off the budget.
        RemovedFlows removed = store.remove({2, 3, 5, 9});
        QCOMPARE(removed.rows.size(), std::size_t(4));
        for (const auto &[row, f] : removed.rows) {
            QCOMPARE(row, std::size_t(f.id - 1));
            QVERIFY(sameAs(f));
        }
        QCOMPARE(budget->headerMemory.load(), charged - one);
        // Flow 6 moved up to row 2 with its lists still in the spill file; read back, they
        // count again.
        QCOMPARE(store.rowOf(6), std::size_t(2));
        QVERIFY(sameAs(store.at(2)));
        QCOMPARE(budget->headerMemory.load(), charged);

        // Back they come, counted; the budget makes room as it did before.
        store.restore(std::move(removed));
        QCOMPARE(budget->headerMemory.load(), charged);
        everyRowAsRecorded();

        // Again: spill the oldest (still one row per flow), then clear with undo.
        store.publish(makeFlow(11, FlowState::Complete)); // a batch: the budget makes room
        store.flush();
        flows.push_back(makeFlow(11, FlowState::Complete)); // no header lists
        QCOMPARE(budget->headerMemory.load(), charged);
        RemovedFlows all = store.takeAll();
        QCOMPARE(budget->headerMemory.load(), 0u);
        QCOMPARE(all.rows.size(), flows.size());
        for (const auto &[row, f] : all.rows)
            QVERIFY(sameAs(f));
        store.restore(std::move(all));
        QCOMPARE(budget->headerMemory.load(), charged);
        everyRowAsRecorded();
    }

    void feedsReachTheLogInTheStoresBatches()
    {
        // The engine records into a LogFeed and publishes the connection; the store makes the
        // log the window reads and fills it from the feed once a batch, naming the connection
        // in one logsChanged. The engine's later copies (no log) keep the store's.
        FlowStore store;
        QSignalSpy logs(&store, &FlowStore::logsChanged);
        auto feed = std::make_shared<LogFeed>(100, 10);
        Connection c;
        c.id = 7;
        c.protocol = "HTTP/2";
        c.feed = feed;
        store.publish(c);
        store.flush();
        const std::shared_ptr<ConnectionLog> log = store.connection(7)->log;
        QVERIFY(log);
        QCOMPARE(log->frameCapacity(), std::size_t(100));
        QCOMPARE(log->streamCapacity(), std::size_t(10));
        QCOMPARE(logs.count(), 0); // nothing recorded yet

        feed->addFrame(FrameRecord{1, true, 0x4, 0, 0, 0, "SETTINGS"});
        feed->editStream(1, [](StreamRecord &s) { s.history.push_back({2, "open"}); });
        QVERIFY(log->frames().empty()); // not before the store's batch
        c.bytesIn = 100;
        store.publish(c); // the engine's copy: no log
        store.flush();
        QCOMPARE(store.connection(7)->log, log);
        QCOMPARE(log->frames().size(), std::size_t(1));
        QCOMPARE(log->streams().size(), std::size_t(1));
        QCOMPARE(logs.count(), 1);
        QCOMPARE(logs.at(0).at(0).value<std::vector<ConnectionId>>(), std::vector<ConnectionId>{7});
        QCOMPARE(store.budget()->logMemory.load(), log->memoryBytes());

        store.flush(); // nothing new: no signal
        QCOMPARE(logs.count(), 1);

        // A 62-bit stream id and a varint frame type, as HTTP/3 has them, kept whole.
        const std::uint64_t big = (std::uint64_t(1) << 62) - 1;
        feed->addFrame(FrameRecord{3, false, 0x2a2a2a2a2a2aULL, 0, big, 1, {}});
        feed->editStream(big, [](StreamRecord &s) { s.bytesIn = 5; });
        feed->editStream(1, [](StreamRecord &s) { s.closed = true; });
        feed->closed();
        c.closedWall = 10;
        store.publish(c);
        store.flush();
        QVERIFY(log->isClosed());
        QVERIFY(!store.connection(7)->feed); // the store keeps no worker structure
        QCOMPARE(log->frames().back().stream, big);
        QCOMPARE(log->frames().back().type, 0x2a2a2a2a2a2aULL);
        const auto streams = log->streams();
        QCOMPARE(streams.size(), std::size_t(2));
        QCOMPARE(streams[0].id, std::uint64_t(1));
        QVERIFY(streams[0].closed);
        QCOMPARE(streams[0].history.size(), std::size_t(1)); // the whole record, replaced
        QCOMPARE(streams[1].id, big);
        QCOMPARE(logs.count(), 2);

        // Closed and taken: the feed is no longer read.
        feed->addFrame(FrameRecord{});
        store.flush();
        QCOMPARE(logs.count(), 2);
        QCOMPARE(log->frames().size(), std::size_t(2));
    }

    void aFloodBetweenTwoBatchesKeepsTheNewestAndCountsTheRest()
    {
        FlowStore store;
        auto feed = std::make_shared<LogFeed>(10);
        Connection c;
        c.id = 1;
        c.feed = feed;
        store.publish(c);
        store.flush();
        for (int i = 0; i < 5; ++i)
            feed->addFrame(FrameRecord{i, true, 0x6, 0, 0, 8, "PING"});
        store.flush();
        for (int i = 5; i < 1005; ++i) // more than the feed holds before the next batch
            feed->addFrame(FrameRecord{i, true, 0x6, 0, 0, 8, "PING"});
        store.flush();
        const auto log = store.connection(1)->log;
        QCOMPARE(log->framesSeen(), std::uint64_t(1005));
        QCOMPARE(log->framesDropped(), std::uint64_t(995));
        const auto frames = log->frames();
        QCOMPARE(frames.size(), std::size_t(10));
        QCOMPARE(frames.front().micros, std::int64_t(995)); // numbered where they belong
        QCOMPARE(frames.back().micros, std::int64_t(1004));
    }

    void aClosedFeedsLogSpillsPastTheBudget()
    {
        // The issue-20 bound holds for logs the store fills from feeds.
        FlowStore store;
        const auto budget = store.budget();
        budget->totalMemory = 100 * 1024;
        auto feed = std::make_shared<LogFeed>();
        Connection c;
        c.id = 3;
        c.feed = feed;
        store.publish(c);
        store.flush();
        for (int i = 0; i < 200; ++i)
            feed->addFrame(FrameRecord{i, true, 0x0, 0, 1, 1000, std::string(1000, 'd')});
        feed->closed();
        c.closedWall = 1;
        store.publish(c);
        store.flush();
        const auto log = store.connection(3)->log;
        QVERIFY(log->spilled());
        QVERIFY(budget->inMemory.load() <= budget->totalMemory.load());
        QCOMPARE(log->frames().size(), std::size_t(200)); // read back from the spill file
    }
};

QTEST_GUILESS_MAIN(FlowStoreTest)
#include "flow_store_test.moc"
