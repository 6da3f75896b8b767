#include "app/headless.h"

#include "core/engine/engine.h"
#include "core/flow/flow_store.h"
#include "core/flow/har.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace ts::app {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &byte, 1);
}

std::string flowLine(const flow::Flow &f)
{
    // ISO 8601 in UTC, formatted by hand: QDateTime costs more than the rest of the flow.
    const std::time_t seconds = std::time_t(f.startedWall / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  int(f.startedWall % 1000));
    std::string line;
    line.reserve(160 + f.path.size() + f.host.size());
    line.append(stamp).append(f.clientAddress).append(" ");
    const std::string status = f.status ? std::to_string(f.status) : std::string("ERR");
    const std::string duration
        = std::to_string(std::max<std::int64_t>(0, f.durationMicros()) / 1000) + "ms";
    if (f.kind == flow::FlowKind::Tunnel) {
        line.append("CONNECT ").append(f.url()).append(" ").append(status);
        line.append(" up=").append(std::to_string(f.bytesClientToServer));
        line.append("B down=").append(std::to_string(f.bytesServerToClient)).append("B ");
    } else {
        const std::uint64_t size = f.responseBody ? f.responseBody->size() : 0;
        line.append(f.method).append(" ").append(f.url()).append(" ").append(status);
        line.append(" ").append(std::to_string(size)).append("B ");
    }
    line.append(duration);
    if (!f.error.empty()) {
        std::string quoted;
        for (char c : f.error)
            quoted += c == '"' ? '\'' : c;
        line += " error=\"" + quoted + "\"";
    }
    return line;
}

} // namespace

void installQuitOnSignals(std::function<void()> quit)
{
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    auto *notifier
        = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, QCoreApplication::instance(),
                     [quit = std::move(quit)] {
                         char buf[16];
                         while (::read(g_signalPipe[0], buf, sizeof buf) > 0) {
                         }
                         if (quit)
                             quit();
                         else
                             QCoreApplication::quit();
                     });
}

int runHeadless(const Options &options, engine::Engine &engine, flow::FlowStore &store)
{
    // Lines are written in batches (every 100 ms, or at 64 KiB): a write per flow would cost a
    // system call per request at full load, and 100 ms is still live to a person.
    std::string pending;
    const auto writePending = [&pending] {
        if (pending.empty())
            return;
        std::fwrite(pending.data(), 1, pending.size(), stdout);
        std::fflush(stdout);
        pending.clear();
    };
    QTimer flushTimer;
    flushTimer.setInterval(100);
    QObject::connect(&flushTimer, &QTimer::timeout, &store, writePending);
    flushTimer.start();
    QObject::connect(&store, &flow::FlowStore::flowFinished, &store,
                     [&store, &pending, &writePending](qsizetype row) {
                         pending += flowLine(store.at(std::size_t(row)));
                         pending += '\n';
                         if (pending.size() >= 64 * 1024)
                             writePending();
                     });
    installQuitOnSignals();
    const int code = QCoreApplication::exec();

    engine.stop();
    store.flush(); // the last flows' lines, then write them
    writePending();
    if (!options.harPath.isEmpty()) {
        const auto written = flow::writeHar(store, options.harPath);
        if (!written) {
            std::fprintf(stderr, "tunnelscope: cannot write the HAR file: %s\n",
                         written.error().message.c_str());
            // The path was fine at start; the capture must not be lost now that it is not.
            const QString fallback = flow::fallbackPath(QStringLiteral(".har"));
            if (fallback.isEmpty())
                return 1;
            if (const auto again = flow::writeHar(store, fallback); !again) {
                QFile::remove(fallback);
                std::fprintf(stderr, "tunnelscope: nor a temporary file: %s\n",
                             again.error().message.c_str());
                return 1;
            }
            std::fprintf(stderr, "tunnelscope: wrote %s instead\n", qPrintable(fallback));
            return 1;
        }
        std::fprintf(stderr, "tunnelscope: wrote %s\n", qPrintable(options.harPath));
    }
    return code;
}

} // namespace ts::app
