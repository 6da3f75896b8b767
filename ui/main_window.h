#pragma once

#include "core/engine/engine_config.h"
#include "ui/detail/body_content.h"
#include "ui/dialogs/settings.h"
#include "ui/panes/inspector_docks.h"
#include "ui/views/view_docks.h"

#include <QMainWindow>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QAction;
class QLockFile;
class QLabel;
class QLineEdit;
class QMenu;
class QTableView;
class QTimer;
class QToolButton;
class QUndoStack;

namespace ts::engine {
class Engine;
}
namespace ts::flow {
class FlowStore;
}
namespace ts::tls {
class CertificateAuthority;
}

namespace ts::ui {

class CommandRunner;
class ComposerPane;
class ElidedLabel;
class FlowDetailPane;
class FlowMarksActions;
class SystemProxy;
class FlowTableModel;

// What the window may ask of the engine. An empty function hides its action: the window never
// shows a button that does nothing.
struct EngineControls
{
    std::function<void(bool)> setIntercepting; // decrypt TLS in new tunnels, or not
    bool intercepting = true;                  // the state at start

    // Settings changed live (Edit > Preferences), for connections accepted from then on. A
    // missing one makes its setting "applies after restart".
    std::function<QString(const QStringList &)> setPassthrough; // the error, or ""
    std::function<void(bool)> setVerifyServers;
    std::function<void(std::size_t)> setFrameLogCapacity; // frames per connection log
    // The upstream chains for server connections opened from then on.
    std::function<void(const upstream::ChainRules &)> setUpstream;
    // The interception CA, for Help > Certificate authority; null: no such item.
    std::shared_ptr<const tls::CertificateAuthority> ca;
    // The running engine, through which the request composer sends, and its configuration;
    // either null: no composer dock and no Replay actions.
    engine::Engine *engine = nullptr;
    std::shared_ptr<const engine::EngineConfig> config;
    // The settings in effect at start (saved ones, then the command line's), what
    // Preferences shows.
    Settings settings;
    // True while the proxy cannot accept clients for want of file descriptors; polled with
    // the memory figures and shown in the status bar. Null: never.
    std::function<bool()> acceptPaused;
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

    // Opens a file dropped on the window or chosen with File > Open: a session file (.tss)
    // replaces what the store holds (the proxy keeps running: new flows are added after it),
    // a HAR file is added to it. Returns false (after telling the user) when it cannot be read.
    bool openFile(const QString &path);
    // What openFile() takes: a session (.tss) or HAR (.har) file, by name.
    static bool canOpen(const QString &path);
    // The README that Help > User Guide shows: the installed one (share/doc/tunnelscope) or,
    // run from a build tree, the source tree's. Empty when neither is there.
    static QString userGuidePath();
    // File > Save Session: everything recorded, written atomically (core/session). After a
    // successful save, Save writes to `path` again. False (after telling the user) on errors.
    bool saveSessionTo(const QString &path);
    QString sessionPath() const { return m_sessionPath; }
    // File > Import HAR / Export HAR, once the file is chosen.
    bool importHar(const QString &path);
    bool exportHar(const QString &path);
    // Edit > Preferences after OK: saves the changed keys to QSettings and applies what can
    // be applied live. Returns the keys that apply after a restart (also said in a message).
    QStringList applySettings(const Settings &settings);
    const Settings &settings() const { return m_settings; }
    // Selects flow `id` in the table (and so shows it in the detail pane).
    void selectFlow(std::uint64_t id);
    // The selected flow as a curl command line, on the clipboard.
    void copySelectedAsCurl();
    // The selected flow's URL, on the clipboard (Ctrl+C in the table).
    void copySelectedUrl();
    // Edit > Delete (Delete in the table): the selected flows leave the store; Edit > Undo
    // brings them back, as it does what Clear took.
    void deleteSelected();
    QUndoStack *undoStack() const { return m_undoStack; }

    // Unsaved capture (issue 17, defect 4). Closing the window with flows recorded since the
    // last save or open asks Save / Discard / Cancel. Meanwhile the capture is autosaved to
    // autosavePath() every few minutes; a quit by signal (SIGTERM at logout, Ctrl-C) autosaves
    // instead of asking, and a clean quit removes the file. So a file there at the next start
    // means the last run did not end by the user's choice: offerRecovery() offers it back.
    bool hasUnsavedCapture() const;
    static QString autosavePath();
    bool autosave(); // false when there was nothing to write or it failed
    void quitWithoutAsking();
    // At start: when an autosave is there, asks whether to open it. True when it was opened.
    bool offerRecovery();
    // Edit > Show Connection and Frames: the selected flow's frames (its stream's, selected)
    // in the Frames dock, or, without a frame log (HTTP/1.1), its connection in Connections.
    // A double-click on a frame or stream leads back. False when nothing was recorded.
    bool showSelectedConnection();
    // Edit > Compare Two Flows: the two selected flows side by side (CompareDialog).
    bool compareSelected();
    const InspectorDocks &inspectorDocks() const { return m_inspector; }
    // View > Structure and View > Timeline.
    const ViewDocks &viewDocks() const { return m_views; }
    // The selected exchange's request or response body, decoded of its Content-Encoding, on
    // the clipboard (text only) or in a file. False (and a word in the status bar) when there
    // is none, or it is not text, or the file cannot be written.
    // The selected exchange's request or response body, decoded; nullopt (and a word in the
    // status bar) when there is none.
    std::optional<BodyContent> selectedBody(bool response, const QString &noSelection);
    bool copySelectedBody(bool response);
    bool saveSelectedBodyTo(bool response, const QString &path);
    // File > Export Selection as HAR: the selected flows, in arrival order.
    bool exportSelectionHar(const QString &path);
    // Edit > Replay / Edit and Replay: the selected exchange sent again by the composer, or
    // put into its fields.
    void replaySelected();
    void editSelected();
    // Help > Set up a client runs programs (gsettings, a terminal) through this runner;
    // tests replace the real one. The system proxy it set is put back when the window goes.
    void setCommandRunner(std::unique_ptr<CommandRunner> runner);
    // Its journal is <config>/system-proxy.json (SystemProxy::setJournal).
    SystemProxy &systemProxy();
    // At start: a system proxy setting that a Tunnelscope which died left pointing at it goes
    // back as it was; the status bar says so.
    void recoverSystemProxy();
    void showClientSetupDialog();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
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
    void setUpMarks();
    void applyFilter();
    void showFilterHelp();
    void clearFilter();
    void updateEmptyNote();
    void resetLayout();
    void showColumnMenu(const QPoint &position);
    void showRowMenu(const QPoint &position);
    const flow::Flow *selectedExchange(const QString &what);
    void copySnippet(int language);
    void askAndOpen();
    void askAndImportHar();
    void askAndExportHar();
    void askAndExportSelectionHar();
    void askAndSaveBody(bool response);
    std::vector<std::uint64_t> selectedFlowIds() const;
    void saveSession();
    void askAndSaveSession();
    void showSettingsDialog();
    void showCaDialog();
    void showShortcuts();
    void showUserGuide();
    void showAbout();
    void setIntercepting(bool on);
    void updateListeningNote();
    void setPaused(bool paused);
    void clearFlows();
    void countNewFlows(qsizetype first, qsizetype last);
    void recountTunnels();
    void noteChange();
    bool ownsAutosave();
    void updateFlowCount();
    void updatePausedNote();
    void updateResourceUsage();
    void followNewRows();
    void showCurrentFlow();
    void updateRowActions();
    void rememberCurrentFlow();
    void restoreCurrentFlow();
    void restoreSettings();
    void saveSettings() const;

    flow::FlowStore &m_store;
    QStringList m_listenAddresses;
    EngineControls m_engine;
    std::unique_ptr<CommandRunner> m_runner;
    std::unique_ptr<SystemProxy> m_systemProxy; // uses m_runner: declared after it
    FlowTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    FlowDetailPane *m_detail = nullptr;
    ComposerPane *m_composer = nullptr; // null without EngineControls::config
    InspectorDocks m_inspector;
    ViewDocks m_views;
    QLineEdit *m_filterEdit = nullptr;
    QToolButton *m_filterHelpButton = nullptr;
    ElidedLabel *m_filterError = nullptr;   // why the filter in the box does not parse
    QAction *m_filterErrorAction = nullptr; // its place in the tool bar
    QLabel *m_emptyNote = nullptr;          // over an empty table: where to point a client
    QTimer *m_filterDebounce = nullptr;

    QLabel *m_listeningLabel = nullptr;
    QLabel *m_flowCountLabel = nullptr;
    QLabel *m_tunnelCountLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_droppedLabel = nullptr;
    QLabel *m_descriptorsLabel = nullptr; // shown while out of file descriptors
    QLabel *m_pausedLabel = nullptr;
    QTimer *m_usageTimer = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_saveAsAction = nullptr;
    QAction *m_importHarAction = nullptr;
    QAction *m_exportHarAction = nullptr;
    QAction *m_exportSelectionAction = nullptr;
    QAction *m_copyRequestBodyAction = nullptr;
    QAction *m_copyResponseBodyAction = nullptr;
    QAction *m_saveRequestBodyAction = nullptr;
    QAction *m_saveResponseBodyAction = nullptr;
    QAction *m_preferencesAction = nullptr;
    QAction *m_caAction = nullptr;
    QAction *m_setupAction = nullptr;
    QAction *m_shortcutsAction = nullptr;
    QAction *m_guideAction = nullptr; // null when no README is installed beside the program
    QAction *m_aboutAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_clearAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_showConnectionAction = nullptr;
    QAction *m_compareAction = nullptr;
    FlowMarksActions *m_marks = nullptr; // pin, colour, comment
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QUndoStack *m_undoStack = nullptr;
    QAction *m_interceptAction = nullptr;
    QAction *m_copyCurlAction = nullptr;
    QAction *m_copyUrlAction = nullptr;
    QAction *m_copyFetchAction = nullptr;
    QAction *m_copyPythonAction = nullptr;
    QAction *m_copyHttpieAction = nullptr;
    QMenu *m_copyAsMenu = nullptr;
    QAction *m_replayAction = nullptr;
    QAction *m_editReplayAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_searchBodiesAction = nullptr; // the filter box, started with "body:"
    QAction *m_autoScrollAction = nullptr;
    QAction *m_resetLayoutAction = nullptr;
    QByteArray m_defaultState; // the docks as the constructor placed them (View > Reset layout)

    Settings m_settings;   // in effect now
    QString m_sessionPath; // the opened or last saved session file; "" for none
    std::uint64_t m_tunnels = 0;
    bool m_dirty = false;             // flows changed since the last save or open
    bool m_autosaveDue = false;       // ... since the last autosave
    bool m_quitWithoutAsking = false; // quitWithoutAsking(): close without a question
    QTimer *m_autosaveTimer = nullptr;
    // Held while this window may write or recover the autosave: a second Tunnelscope leaves
    // the first one's alone (null: not tried yet).
    std::unique_ptr<QLockFile> m_autosaveLock;
    std::uint64_t m_currentFlow = 0; // kept across model resets
};

} // namespace ts::ui
