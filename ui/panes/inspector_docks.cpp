#include "ui/panes/inspector_docks.h"

#include "ui/panes/connections_pane.h"
#include "ui/panes/frames_pane.h"
#include "ui/panes/streams_pane.h"
#include "ui/panes/tunnels_pane.h"

#include <QCoreApplication>
#include <QDockWidget>
#include <QMainWindow>

namespace ts::ui {

namespace {

QDockWidget *dock(QMainWindow &window, QWidget *pane, const QString &title, const char *name)
{
    auto *d = new QDockWidget(title, &window);
    d->setObjectName(QLatin1String(name));
    d->setWidget(pane);
    d->setAllowedAreas(Qt::AllDockWidgetAreas);
    window.addDockWidget(Qt::BottomDockWidgetArea, d);
    return d;
}

} // namespace

InspectorDocks createInspectorDocks(flow::FlowStore &store, QMainWindow &window)
{
    InspectorDocks docks;
    docks.tunnels = new TunnelsPane(store);
    docks.connections = new ConnectionsPane(store);
    docks.frames = new FramesPane(store);
    docks.streams = new StreamsPane(store);
    docks.tunnelsDock
        = dock(window, docks.tunnels,
               QCoreApplication::translate("ts::ui::InspectorDocks", "Tunnels"), "tunnelsDock");
    docks.connectionsDock = dock(
        window, docks.connections,
        QCoreApplication::translate("ts::ui::InspectorDocks", "Connections"), "connectionsDock");
    docks.framesDock
        = dock(window, docks.frames,
               QCoreApplication::translate("ts::ui::InspectorDocks", "Frames"), "framesDock");
    docks.streamsDock
        = dock(window, docks.streams,
               QCoreApplication::translate("ts::ui::InspectorDocks", "Streams"), "streamsDock");

    // Left: what is connected; right: what crosses the chosen connection.
    window.splitDockWidget(docks.tunnelsDock, docks.framesDock, Qt::Horizontal);
    window.tabifyDockWidget(docks.tunnelsDock, docks.connectionsDock);
    window.tabifyDockWidget(docks.framesDock, docks.streamsDock);
    docks.connectionsDock->raise();
    docks.framesDock->raise();

    QObject::connect(docks.connections, &ConnectionsPane::connectionSelected, docks.frames,
                     &FramesPane::showConnection);
    QObject::connect(docks.connections, &ConnectionsPane::connectionSelected, docks.streams,
                     &StreamsPane::showConnection);
    QObject::connect(docks.frames, &FramesPane::connectionShown, docks.connections,
                     &ConnectionsPane::selectConnection);
    return docks;
}

} // namespace ts::ui
