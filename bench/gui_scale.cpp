// gui_scale: the main window under a million flows. Shows the window (offscreen unless
// QT_QPA_PLATFORM says otherwise), feeds flows into a FlowStore from another thread at a fixed
// rate, and reports the longest GUI-thread stall (a 1 ms heartbeat timer), the time to apply a
// filter and a sort over every row, and memory per flow (RSS growth / flows).
//
//   gui_scale [--flows N] [--rate FLOWS_PER_SECOND]     defaults: 1000000, 10000

#include "core/flow/flow_store.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"
#include "ui/views/structure_model.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace ts;

namespace {

std::uint64_t residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() < 2 ? 0 : fields[1].toULongLong() * std::uint64_t(sysconf(_SC_PAGESIZE));
}

flow::Flow syntheticFlow(std::uint64_t id)
{
    static const char *const methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    static const int statuses[] = {200, 200, 200, 200, 204, 301, 304, 404, 500};
    flow::Flow f;
    f.id = id;
    f.state = flow::FlowState::Complete;
    f.clientAddress = "127.0.0.1:" + std::to_string(40000 + id % 20000);
    f.startedWall = 1700000000000 + std::int64_t(id);
    f.scheme = id % 3 ? "https" : "http";
    f.host = "host" + std::to_string(id % 997) + ".example.com";
    f.port = id % 3 ? 443 : 80;
    f.method = methods[id % std::size(methods)];
    f.path = "/api/v1/items/" + std::to_string(id) + "?page=" + std::to_string(id % 50);
    f.status = statuses[id % std::size(statuses)];
    f.serverProtocol = "HTTP/1.1";
    f.requestHeaders = {{"Host", f.host}, {"Accept", "*/*"}, {"User-Agent", "gui_scale"}};
    f.responseHeaders = {{"Content-Type", "application/json"}, {"Content-Length", "2"}};
    f.timings.requestSent = 100;
    f.timings.firstByte = 1000 + std::int64_t(id % 5000);
    f.timings.complete = f.timings.firstByte + 50;
    return f;
}

// The longest gap between 1 ms heartbeats, minus the millisecond itself.
class StallMeter
{
public:
    StallMeter()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(1);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last >= 0)
                m_gaps.push_back(double(now - m_last) / 1e6);
            m_last = now;
        });
    }
    void start()
    {
        m_gaps.clear();
        m_last = -1;
        m_clock.start();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double longest() const
    {
        return m_gaps.empty() ? 0 : *std::max_element(m_gaps.begin(), m_gaps.end());
    }
    double percentile(double p)
    {
        if (m_gaps.empty())
            return 0;
        std::vector<double> sorted = m_gaps;
        std::sort(sorted.begin(), sorted.end());
        return sorted[std::size_t(p * double(sorted.size() - 1))];
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    std::vector<double> m_gaps;
};

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::uint64_t flows = 1'000'000;
    std::uint64_t rate = 10'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::string_view(argv[i]) == "--flows")
            flows = std::strtoull(argv[i + 1], nullptr, 10);
        else if (std::string_view(argv[i]) == "--rate")
            rate = std::strtoull(argv[i + 1], nullptr, 10);
    }
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true); // keep the user's window settings out of it
    QCoreApplication::setOrganizationName(QStringLiteral("TunnelscopeBench"));
    QCoreApplication::setApplicationName(QStringLiteral("gui_scale"));

    flow::FlowStore store;
    ui::MainWindow window(store, {QStringLiteral("127.0.0.1:8080")});
    window.resize(1400, 900);
    window.show();
    QApplication::processEvents();
    auto *model = window.findChild<ui::FlowTableModel *>();
    auto *view = window.findChild<QTableView *>(QStringLiteral("flowTable"));
    const std::uint64_t rssBefore = residentBytes();

    // Feed: `rate` flows a second in 10 ms steps; every tenth flow is published again a step
    // later (a response arriving), as the engine does.
    std::atomic<bool> done = false;
    std::thread engine([&] {
        const std::uint64_t perStep = std::max<std::uint64_t>(1, rate / 100);
        auto next = std::chrono::steady_clock::now();
        std::vector<flow::Flow> again;
        for (std::uint64_t id = 1; id <= flows;) {
            for (flow::Flow &f : again)
                store.publish(std::move(f));
            again.clear();
            for (std::uint64_t i = 0; i < perStep && id <= flows; ++i, ++id) {
                flow::Flow f = syntheticFlow(id);
                if (id % 10 == 0) {
                    flow::Flow later = f;
                    later.responseWireBytes = 100;
                    again.push_back(std::move(later));
                    f.state = flow::FlowState::Open;
                    f.status = 0;
                }
                store.publish(std::move(f));
            }
            next += std::chrono::milliseconds(10);
            std::this_thread::sleep_until(next);
        }
        for (flow::Flow &f : again)
            store.publish(std::move(f));
        done = true;
    });

    StallMeter meter;
    meter.start();
    QElapsedTimer feedClock;
    feedClock.start();
    int lastReport = 0;
    while (!done || model->rowCount() < int(flows)) {
        QApplication::processEvents(QEventLoop::AllEvents, 5);
        if (done)
            store.flush();
        if (feedClock.elapsed() / 10000 > lastReport) {
            lastReport = int(feedClock.elapsed() / 10000);
            std::fprintf(stderr, "  %d s: %d rows, longest stall so far %.1f ms\n", lastReport * 10,
                         model->rowCount(), meter.longest());
        }
    }
    engine.join();
    meter.stop();
    const double feedSeconds = double(feedClock.elapsed()) / 1000.0;
    const double insertStall = meter.longest();
    const double insertP99 = meter.percentile(0.99);
    QApplication::processEvents();
    const std::uint64_t rssAfter = residentBytes();

    // The structure view walks the store in slices of its own; when the feed outran it, it
    // is let finish first, so that what follows measures the table, not the two sharing the
    // GUI thread.
    QElapsedTimer settle;
    settle.start();
    if (auto *structure = window.findChild<ui::StructureModel *>()) {
        while (structure->isWalking())
            QApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    const double settleSeconds = double(settle.elapsed()) / 1000.0;

    // Filter over every row, through the filter box as a user would.
    auto *edit = window.findChild<QLineEdit *>(QStringLiteral("filterEdit"));
    const auto timeRebuild = [&](const auto &start) {
        QSignalSpy finished(model, &ui::FlowTableModel::rebuildFinished);
        meter.start();
        QElapsedTimer clock;
        clock.start();
        start();
        while (finished.isEmpty())
            QApplication::processEvents(QEventLoop::AllEvents, 5);
        const double ms = double(clock.nsecsElapsed()) / 1e6;
        meter.stop();
        return std::pair(ms, meter.longest());
    };
    double filterMs = -1, filterStall = -1;
    int filtered = -1;
    if (edit && edit->isVisibleTo(&window)) {
        std::tie(filterMs, filterStall) = timeRebuild([&] {
            edit->setText(QStringLiteral("status:404 host:host1"));
            Q_EMIT edit->returnPressed();
        });
        filtered = model->rowCount();
    }
    const auto [sortMs, sortStall] = timeRebuild(
        [&] { view->sortByColumn(ui::FlowTableModel::HostColumn, Qt::DescendingOrder); });
    const auto [unfilterMs, unfilterStall] = timeRebuild([&] {
        edit->clear();
        Q_EMIT edit->returnPressed();
    });
    // Scroll about: the view paints rows it has not seen.
    meter.start();
    for (int i = 0; i < 200; ++i) {
        view->verticalScrollBar()->setValue(int(std::uint64_t(i) * 4999 % flows));
        QApplication::processEvents();
    }
    meter.stop();
    const double scrollStall = meter.longest();

    std::printf("gui_scale: %llu flows at %llu/s (fed in %.1f s)\n", (unsigned long long)flows,
                (unsigned long long)rate, feedSeconds);
    std::printf("  longest GUI stall while inserting: %.1f ms (99th percentile gap %.1f ms)\n",
                insertStall, insertP99);
    std::printf("  (the structure view's walk caught up %.1f s after the feed)\n", settleSeconds);
    if (filterMs >= 0)
        std::printf("  filter 'status:404 host:host1' over all rows: %.0f ms (%d rows shown), "
                    "longest stall %.1f ms\n",
                    filterMs, filtered, filterStall);
    else
        std::printf("  filter: not built (no core/filter)\n");
    std::printf("  sort by host, all rows: %.0f ms, longest stall %.1f ms\n", sortMs, sortStall);
    std::printf("  clear the filter (sorted): %.0f ms, longest stall %.1f ms\n", unfilterMs,
                unfilterStall);
    std::printf("  scrolling 200 jumps: longest stall %.1f ms\n", scrollStall);
    std::printf("  memory: RSS %.1f MiB -> %.1f MiB, %.0f bytes per flow\n",
                double(rssBefore) / 1048576.0, double(rssAfter) / 1048576.0,
                double(rssAfter - rssBefore) / double(flows));
    return 0;
}
