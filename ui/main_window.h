#pragma once

#include <QMainWindow>
#include <QStringList>

#include <cstdint>
#include <functional>

class QAction;
class QLabel;
class QLineEdit;
class QTableView;
class QTimer;
class QToolButton;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class FlowDetailPane;
class FlowTableModel;

// What the window may ask of the engine. An empty function hides its action: the window never
// shows a button that does nothing.
struct EngineControls
{
    std::function<void(bool)> setIntercepting; // decrypt TLS in new tunnels, or not
    bool intercepting = true;                  // the state at start
};

// The application window: the live flows table with its filter box, the selected flow's
// details in a dockable pane, a toolbar (pause, clear, intercept) and a status bar (listen
// addresses, flow and tunnel counts, memory, dropped frames). The store and the engine's
// controls are passed in (no singletons), so a test can drive it with a FlowStore of its own.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(flow::FlowStore &store, QStringList listenAddresses, EngineControls engine = {},
               QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a file dropped on the window or chosen with File > Open: a HAR file is imported
    // into the store. Returns false (after telling the user) when it cannot be read.
    bool openFile(const QString &path);
    // Selects flow `id` in the table (and so shows it in the detail pane).
    void selectFlow(std::uint64_t id);
    // The selected flow as a curl command line, on the clipboard.
    void copySelectedAsCurl();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createToolBar();
    void createStatusBar();
    void setUpTable();
    void setUpFilter();
    void applyFilter();
    void showFilterHelp();
    void showColumnMenu(const QPoint &position);
    void showRowMenu(const QPoint &position);
    void askAndOpen();
    void askAndExportHar();
    void setPaused(bool paused);
    void clearFlows();
    void countNewFlows(qsizetype first, qsizetype last);
    void updateFlowCount();
    void updatePausedNote();
    void updateResourceUsage();
    void followNewRows();
    void showCurrentFlow();
    void rememberCurrentFlow();
    void restoreCurrentFlow();
    void restoreSettings();
    void saveSettings() const;

    flow::FlowStore &m_store;
    QStringList m_listenAddresses;
    EngineControls m_engine;
    FlowTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    FlowDetailPane *m_detail = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QToolButton *m_filterHelpButton = nullptr;
    QTimer *m_filterDebounce = nullptr;

    QLabel *m_listeningLabel = nullptr;
    QLabel *m_flowCountLabel = nullptr;
    QLabel *m_tunnelCountLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_droppedLabel = nullptr;
    QLabel *m_pausedLabel = nullptr;
    QTimer *m_usageTimer = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_exportHarAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_clearAction = nullptr;
    QAction *m_interceptAction = nullptr;
    QAction *m_copyCurlAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_autoScrollAction = nullptr;

    std::uint64_t m_tunnels = 0;
    std::uint64_t m_currentFlow = 0; // kept across model resets
};

} // namespace ts::ui
