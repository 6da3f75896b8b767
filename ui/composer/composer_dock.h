#pragma once

#include "core/engine/engine_config.h"

class QDockWidget;
class QMainWindow;

namespace ts::engine {
class Engine;
}

namespace ts::ui {

class ComposerPane;

// Puts the request composer in a dock at the bottom of `window` (objectName "composerDock",
// for QMainWindow::saveState) and returns the pane; the window owns both. Composed requests
// go through `engine` (a client connection of its own, recorded like any other); `mainConfig`
// is its configuration. The caller
// wires "Replay" / "Edit and replay" to ComposerPane::replayFlow / editFlow (raising the dock:
// composerDock(window)->raise()) and keeps the history in the session file with
// saveHistory() / loadHistory().
ComposerPane *addComposerDock(QMainWindow &window, engine::Engine &engine,
                              const engine::EngineConfig &mainConfig);
// The dock addComposerDock made, or null.
QDockWidget *composerDock(QMainWindow &window);

} // namespace ts::ui
