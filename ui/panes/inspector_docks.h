#pragma once

class QDockWidget;
class QMainWindow;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class ConnectionsPane;
class FramesPane;
class StreamsPane;
class TunnelsPane;

// The inspector panes, as createInspectorDocks made them. The window owns them all.
struct InspectorDocks
{
    TunnelsPane *tunnels = nullptr;
    ConnectionsPane *connections = nullptr;
    FramesPane *frames = nullptr;
    StreamsPane *streams = nullptr;
    QDockWidget *tunnelsDock = nullptr;     // objectName "tunnelsDock"
    QDockWidget *connectionsDock = nullptr; // "connectionsDock"
    QDockWidget *framesDock = nullptr;      // "framesDock"
    QDockWidget *streamsDock = nullptr;     // "streamsDock"
};

// Adds the tunnels, connections, frames and streams panes to `window` as dock widgets at the
// bottom (tunnels and connections tabbed on the left, frames and streams on the right), named
// for QMainWindow::saveState. Choosing a connection shows its frames and streams; the frames
// pane jumping to another connection selects it. The caller connects the panes'
// flowRequested(FlowId) to whatever shows a flow, and puts the docks' toggleViewAction()s
// in a menu.
InspectorDocks createInspectorDocks(flow::FlowStore &store, QMainWindow &window);

} // namespace ts::ui
