#include "ui/composer/composer_dock.h"

#include "ui/composer/composer_pane.h"

#include <QDockWidget>
#include <QMainWindow>

namespace ts::ui {

using namespace Qt::StringLiterals;

ComposerPane *addComposerDock(QMainWindow &window, engine::Engine &engine,
                              const engine::EngineConfig &mainConfig)
{
    auto *dock = new QDockWidget(ComposerPane::tr("Composer"), &window);
    dock->setObjectName(u"composerDock"_s);
    auto *pane = new ComposerPane(&engine, mainConfig, dock);
    dock->setWidget(pane);
    window.addDockWidget(Qt::BottomDockWidgetArea, dock);
    return pane;
}

QDockWidget *composerDock(QMainWindow &window)
{
    return window.findChild<QDockWidget *>(u"composerDock"_s, Qt::FindDirectChildrenOnly);
}

} // namespace ts::ui
