#pragma once

#include <functional>

#include "app/options.h"

namespace ts::flow {
class FlowStore;
}
namespace ts::engine {
class Engine;
}

namespace ts::app {

// Runs without a window: one line per finished flow on stdout; a HAR file on exit, SIGINT and
// SIGTERM included.
int runHeadless(const Options &options, engine::Engine &engine, flow::FlowStore &store);

// Turns SIGINT and SIGTERM into a quit of the running event loop (self-pipe), so the normal
// shutdown path runs: `quit` runs on the main thread (empty: QCoreApplication::quit()).
void installQuitOnSignals(std::function<void()> quit = {});

} // namespace ts::app
