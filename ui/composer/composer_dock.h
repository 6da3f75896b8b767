#pragma once

#include "core/engine/engine_config.h"

class QDockWidget;
class QMainWindow;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class ComposerPane;

// Puts the request composer in a dock at the bottom of `window` (objectName "composerDock",
// for QMainWindow::saveState) and returns the pane; the window owns both. `mainConfig` is the
// main engine's configuration: the pane's "the proxy's own" chain copies its upstream rules,
// and every composed request uses its CA directory, timeouts and trusted roots. The caller
// wires "Replay" / "Edit and replay" to ComposerPane::replayFlow / editFlow (raising the dock:
// composerDock(window)->raise()) and keeps the history in the session file with
// saveHistory() / loadHistory().
ComposerPane *addComposerDock(QMainWindow &window, flow::FlowStore &store,
                              const engine::EngineConfig &mainConfig);
// The dock addComposerDock made, or null.
QDockWidget *composerDock(QMainWindow &window);

} // namespace ts::ui
