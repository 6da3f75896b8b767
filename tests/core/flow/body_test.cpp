#include "core/flow/body.h"

#include <QTest>

#include <string>
#include <thread>

using ts::flow::Body;
using ts::flow::BodyBudget;

namespace {

std::shared_ptr<BodyBudget> budget(std::uint64_t perBody, std::uint64_t total,
                                   std::uint64_t recorded = 256ull << 20)
{
    auto b = std::make_shared<BodyBudget>();
    b->perBodyMemory = perBody;
    b->totalMemory = total;
    b->perBodyRecorded = recorded;
    return b;
}

// Deterministic, position-dependent bytes, so a read from the wrong offset shows.
std::string pattern(std::size_t length, std::size_t seed)
{
    std::string s(length, '\0');
    for (std::size_t i = 0; i < length; ++i)
        s[i] = char((i * 31 + seed * 7) & 0xFF);
    return s;
}

} // namespace

// Body: memory up to the budget, spilling to the shared file past it, truncation past the
// recorded limit, and the shared in-memory counter.
class BodyTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void staysInMemoryWithinBudget()
    {
        auto b = budget(1024, 4096);
        Body body(b);
        body.append("hello");
        body.append("");
        body.append(" world");
        QCOMPARE(body.size(), 11u);
        QCOMPARE(body.recordedSize(), 11u);
        QVERIFY(!body.spilled());
        QVERIFY(!body.truncated());
        QCOMPARE(body.read(), std::string("hello world"));
        QCOMPARE(body.read(6), std::string("world"));
        QCOMPARE(body.read(3, 4), std::string("lo w"));
        QCOMPARE(body.read(11), std::string());
        QCOMPARE(body.read(500), std::string());
        QCOMPARE(b->inMemory.load(), 11u);
        QCOMPARE(b->spill->size(), 0u);
    }

    void spillsPastPerBodyMemory()
    {
        auto b = budget(8, 4096);
        Body body(b);
        body.append("12345");
        QVERIFY(!body.spilled());
        body.append("6789");
        QVERIFY(body.spilled());
        body.append("abc");
        QCOMPARE(body.read(), std::string("123456789abc"));
        QCOMPARE(body.read(4, 6), std::string("56789a"));
        QCOMPARE(body.size(), 12u);
        QCOMPARE(b->inMemory.load(), 0u); // the spilled memory was given back
        QCOMPARE(b->spill->size(), 12u);
    }

    void spillsPastTotalMemory()
    {
        auto b = budget(1024, 10);
        Body first(b);
        Body second(b);
        first.append("12345678");
        QVERIFY(!first.spilled());
        second.append("abcde"); // 8 + 5 > 10
        QVERIFY(second.spilled());
        QVERIFY(!first.spilled());
        QCOMPARE(b->inMemory.load(), 8u);
        QCOMPARE(first.read(), std::string("12345678"));
        QCOMPARE(second.read(), std::string("abcde"));
        // Once spilled, a body stays spilled even when memory frees up.
        first.append("9"); // 9 <= 10: still fits
        QVERIFY(!first.spilled());
        QCOMPARE(b->inMemory.load(), 9u);
        second.append("f");
        QVERIFY(second.spilled());
        QCOMPARE(second.read(), std::string("abcdef"));
    }

    void readsAtOffsetsAcrossExtents()
    {
        // Two spilled bodies appending in turn interleave in the spill file, so each is a list
        // of extents; every (offset, length) must come back right.
        auto b = budget(0, 0);
        Body a(b);
        Body c(b);
        std::string expectA, expectC;
        for (std::size_t i = 0; i < 12; ++i) {
            const std::string pa = pattern(5 + i * 3, i);
            const std::string pc = pattern(7 + i, 100 + i);
            a.append(pa);
            c.append(pc);
            expectA += pa;
            expectC += pc;
        }
        QVERIFY(a.spilled());
        QCOMPARE(a.read(), expectA);
        QCOMPARE(c.read(), expectC);
        for (std::size_t offset = 0; offset <= expectA.size() + 2; offset += 3) {
            for (std::size_t length : {std::size_t(0), std::size_t(1), std::size_t(4),
                                       std::size_t(17), std::size_t(60), std::size_t(1000)}) {
                const std::string want
                    = offset >= expectA.size() ? std::string() : expectA.substr(offset, length);
                QCOMPARE(a.read(offset, length), want);
            }
        }
    }

    void truncatesPastPerBodyRecorded()
    {
        auto b = budget(1024, 4096, 10);
        Body body(b);
        body.append("1234567");
        body.append("89abcdef");
        body.append("more");
        QCOMPARE(body.size(), 19u);
        QCOMPARE(body.recordedSize(), 10u);
        QVERIFY(body.truncated());
        QCOMPARE(body.read(), std::string("123456789a"));
        QCOMPARE(b->inMemory.load(), 10u);
    }

    void truncatesWhileSpilled()
    {
        auto b = budget(4, 4096, 10);
        Body body(b);
        body.append("1234567");
        body.append("89abcdef");
        QVERIFY(body.spilled());
        QVERIFY(body.truncated());
        QCOMPARE(body.recordedSize(), 10u);
        QCOMPARE(body.read(), std::string("123456789a"));
        QCOMPARE(body.read(8), std::string("9a"));
        QCOMPARE(b->spill->size(), 10u);
    }

    void budgetReturnsToZeroAfterDestruction()
    {
        auto b = budget(100, 250);
        {
            Body one(b);
            Body two(b);
            Body three(b);
            one.append(pattern(90, 1));
            two.append(pattern(90, 2));
            three.append(pattern(90, 3)); // past the total: spills
            QVERIFY(three.spilled());
            QCOMPARE(b->inMemory.load(), 180u);
            one.append(pattern(20, 4)); // past its own 100: spills, gives its 90 back
            QVERIFY(one.spilled());
            QCOMPARE(b->inMemory.load(), 90u);
        }
        QCOMPARE(b->inMemory.load(), 0u);
    }

    void concurrentAppendsToDifferentBodies()
    {
        // Small budgets so both bodies compete for the total and share the spill file.
        auto b = budget(64 * 1024, 96 * 1024);
        Body left(b);
        Body right(b);
        std::string expectLeft, expectRight;
        for (std::size_t i = 0; i < 2000; ++i) {
            expectLeft += pattern(1 + i % 97, i);
            expectRight += pattern(1 + i % 89, i + 5000);
        }
        const auto writer = [](Body &body, std::size_t seedBase, std::size_t modulo) {
            for (std::size_t i = 0; i < 2000; ++i)
                body.append(pattern(1 + i % modulo, i + seedBase));
        };
        std::thread t1(writer, std::ref(left), 0, 97);
        std::thread t2(writer, std::ref(right), 5000, 89);
        t1.join();
        t2.join();
        QCOMPARE(left.size(), expectLeft.size());
        QCOMPARE(right.size(), expectRight.size());
        QVERIFY(left.read() == expectLeft);
        QVERIFY(right.read() == expectRight);
        QVERIFY(b->inMemory.load() <= b->totalMemory);
    }

    void concurrentBodiesNeverOvershootTheTotal()
    {
        // Many bodies on two threads, each small enough to stay in memory on its own: the
        // total must still hold, and return to zero when they are gone.
        auto b = budget(1024, 10 * 1024);
        {
            std::vector<std::unique_ptr<Body>> bodies;
            for (int i = 0; i < 64; ++i)
                bodies.push_back(std::make_unique<Body>(b));
            const auto writer = [&](int first) {
                for (int round = 0; round < 8; ++round) {
                    for (int i = first; i < 64; i += 2)
                        bodies[std::size_t(i)]->append(pattern(100, std::size_t(i + round)));
                }
            };
            std::thread t1(writer, 0);
            std::thread t2(writer, 1);
            t1.join();
            t2.join();
            QVERIFY(b->inMemory.load() <= b->totalMemory);
            for (int i = 0; i < 64; ++i) {
                std::string expect;
                for (int round = 0; round < 8; ++round)
                    expect += pattern(100, std::size_t(i + round));
                QVERIFY(bodies[std::size_t(i)]->read() == expect);
            }
        }
        QCOMPARE(b->inMemory.load(), 0u);
    }
};

QTEST_GUILESS_MAIN(BodyTest)
#include "body_test.moc"
