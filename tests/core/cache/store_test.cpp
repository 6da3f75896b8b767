// The cache's store: variants by key, the byte budget with LRU eviction, purges, the rows of
// the cache pane, and many threads at once.
#include "core/cache/store.h"

#include <QTest>

#include <thread>

using namespace ts::cache;

namespace {
Entry entry(const std::string &uri, std::string body, VaryKey vary = {}, int status = 200)
{
    auto e = std::make_shared<StoredResponse>();
    e->uri = uri;
    e->key = primaryKey("GET", uri);
    e->vary = std::move(vary);
    e->response.status = status;
    e->response.fields = {{"ETag", "\"" + uri + "\""}};
    e->body = std::make_shared<MemoryBody>(std::move(body));
    e->freshness.lifetime = 100;
    e->freshness.source = "max-age=100";
    e->responseTime = 1000;
    e->storedAt = 1000;
    return e;
}
} // namespace

class StoreTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bodiesAreSharedImmutableBuffers()
    {
        MemoryBody body("hello world");
        QCOMPARE(body.size(), 11u);
        QCOMPARE(body.read(6, 100), std::string("world"));
        QCOMPARE(body.read(20, 1), std::string());
        const auto copy = body.buffer();
        QCOMPARE(copy.get(), body.buffer().get()); // no copy of the bytes
    }

    void variantsSideBySideAndSameVaryReplaces()
    {
        Store store(1 << 20, 4);
        const VaryKey gzip{{"accept-encoding", "gzip"}};
        const VaryKey none{{"accept-encoding", std::nullopt}};
        QVERIFY(store.insert(entry("http://a/", "1", gzip)));
        QVERIFY(store.insert(entry("http://a/", "2", none)));
        QCOMPARE(store.variants("GET http://a/").size(), 2u);
        const Entry again = entry("http://a/", "3", gzip);
        QVERIFY(store.insert(again));
        const auto v = store.variants("GET http://a/");
        QCOMPARE(v.size(), 2u);
        QVERIFY(std::find(v.begin(), v.end(), again) != v.end());
        QCOMPARE(store.size(), 2u);
        QVERIFY(store.variants("GET http://b/").empty());
    }

    void budgetEvictsLeastRecentlyUsed()
    {
        // One shard, so the order is the store's whole order.
        const Entry a = entry("http://a/", std::string(300, 'a'));
        Store store(3 * a->bytes() + 10, 1);
        const Entry b = entry("http://b/", std::string(300, 'b'));
        const Entry c = entry("http://c/", std::string(300, 'c'));
        QVERIFY(store.insert(a));
        QVERIFY(store.insert(b));
        QVERIFY(store.insert(c));
        QCOMPARE(store.size(), 3u);
        store.touch(a, 2000); // a is now the most recently used; b the least
        std::vector<Entry> evicted;
        QVERIFY(store.insert(entry("http://d/", std::string(300, 'd')), &evicted));
        QCOMPARE(evicted.size(), 1u);
        QCOMPARE(evicted[0], b);
        QVERIFY(store.bytes() <= store.budget());
        QVERIFY(store.variants("GET http://b/").empty());
        QVERIFY(!store.variants("GET http://a/").empty());
        // Larger than the budget alone: refused, nothing evicted.
        QVERIFY(!store.insert(entry("http://huge/", std::string(10000, 'x'))));
        QCOMPARE(store.size(), 3u);
    }

    void replaceKeepsHitsAndTracksBytes()
    {
        Store store(1 << 20, 2);
        const Entry a = entry("http://a/", "abc");
        store.insert(a);
        store.touch(a, 1500);
        auto updated = std::make_shared<StoredResponse>(*a);
        updated->response.fields.push_back({"X-New", "1"});
        QVERIFY(store.replace(a, updated));
        QVERIFY(!store.replace(a, updated)); // a is gone
        QCOMPARE(store.bytes(), updated->bytes());
        const auto rows = store.entries(1500);
        QCOMPARE(rows.size(), 1u);
        QCOMPARE(rows[0].hits, 1u);
        QCOMPARE(rows[0].lastHit, Seconds(1500));
        QCOMPARE(rows[0].entry, Entry(updated));
    }

    void purgeOneByPredicateAndAll()
    {
        Store store(1 << 20, 8);
        for (const char *u : {"http://a/1", "http://a/2", "http://b/1"})
            store.insert(entry(u, "x"));
        const Entry v = entry("http://a/1", "y", {{"x", "1"}});
        store.insert(v);
        QCOMPARE(store.size(), 4u);
        QVERIFY(store.erase(v));
        QVERIFY(!store.erase(v));
        QCOMPARE(store.erase(std::string("GET http://a/1")), 1u);
        QCOMPARE(store.eraseIf([](const EntryInfo &i) { return i.uri.rfind("http://a/", 0) == 0; },
                               1000),
                 1u);
        QCOMPARE(store.size(), 1u);
        store.clear();
        QCOMPARE(store.size(), 0u);
        QCOMPARE(store.bytes(), 0u);
    }

    void entriesForThePane()
    {
        Store store(1 << 20, 4);
        store.insert(entry("http://b/", "12345", {{"accept-encoding", "gzip"}}));
        store.insert(entry("http://a/", "1"));
        const auto rows = store.entries(1050);
        QCOMPARE(rows.size(), 2u);
        QCOMPARE(rows[0].uri, std::string("http://a/"));
        const EntryInfo &b = rows[1];
        QCOMPARE(b.varyKey, std::string("accept-encoding=gzip"));
        QCOMPARE(b.status, 200);
        QCOMPARE(b.size, 5u);
        QCOMPARE(b.storedAt, Seconds(1000));
        QCOMPARE(b.age, 50);
        QCOMPARE(b.freshnessLifetime, 100);
        QVERIFY(b.fresh);
        QCOMPARE(b.etag, std::string("\"http://b/\""));
        QCOMPARE(b.hits, 0u);
        QVERIFY(!store.entries(1200)[1].fresh);
    }

    void manyThreadsAtOnce()
    {
        Store store(64 << 10, 16);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&store, t] {
                for (int i = 0; i < 2000; ++i) {
                    const std::string uri = "http://h/" + std::to_string((i * 7 + t) % 97);
                    if (i % 3 == 0) {
                        store.insert(
                            entry(uri, std::string(static_cast<std::size_t>(i % 500), 'x')));
                    } else {
                        for (const Entry &e : store.variants(primaryKey("GET", uri)))
                            store.touch(e, i);
                    }
                    if (i % 101 == 0)
                        store.erase(primaryKey("GET", uri));
                    if (i % 499 == 0)
                        (void)store.entries(i);
                }
            });
        }
        for (auto &th : threads)
            th.join();
        QVERIFY(store.bytes() <= store.budget());
        std::uint64_t sum = 0;
        for (const EntryInfo &i : store.entries(0))
            sum += i.entry->bytes();
        QCOMPARE(sum, store.bytes());
    }
};

QTEST_APPLESS_MAIN(StoreTest)
#include "store_test.moc"
