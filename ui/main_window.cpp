#include "ui/main_window.h"

#include "core/engine/config_folder.h"
#include "core/flow/flow_store.h"
#include "core/flow/har.h"
#include "core/session/har_import.h"
#include "core/session/session_file.h"
#include "ui/app_resources.h"
#include "ui/composer/composer_dock.h"
#include "ui/composer/composer_pane.h"
#include "ui/detail/body_content.h"
#include "ui/detail/curl_command.h"
#include "ui/detail/flow_detail_pane.h"
#include "ui/detail/request_snippets.h"
#include "ui/dialogs/ca_dialog.h"
#include "ui/dialogs/client_setup_dialog.h"
#include "ui/dialogs/compare_dialog.h"
#include "ui/dialogs/settings_dialog.h"
#include "ui/error_text.h"
#include "ui/models/flow_table_model.h"
#include "ui/panes/connections_pane.h"
#include "ui/panes/frames_pane.h"
#include "ui/panes/inspector_docks.h"
#include "ui/panes/streams_pane.h"
#include "ui/panes/tunnels_pane.h"
#include "ui/widgets/elided_label.h"
#include "ui/widgets/flow_marks_actions.h"

#ifdef TS_HAVE_FILTER
#include "core/filter/filter.h"
#endif

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QCompleter>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QLockFile>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QSignalBlocker>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStringListModel>
#include <QTableView>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QToolTip>
#include <QUndoStack>
#include <QUrl>

#include <unistd.h>

namespace ts::ui {

namespace {

const QString kGeometryKey = QStringLiteral("MainWindow/geometry");
const QString kStateKey = QStringLiteral("MainWindow/state");
const QString kHeaderKey = QStringLiteral("MainWindow/flowColumns");
const QString kAutoScrollKey = QStringLiteral("MainWindow/autoScroll");
const QString kFilterKey = QStringLiteral("MainWindow/filter");

// Resident set size from /proc/self/statm (Linux); 0 when unknown.
std::uint64_t residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    if (fields.size() < 2)
        return 0;
    return fields[1].toULongLong() * std::uint64_t(sysconf(_SC_PAGESIZE));
}

const QString kSessionSuffix = QStringLiteral(".tss");
const QString kHarSuffix = QStringLiteral(".har");

// Copies the fields named by `keys` (Settings' key names).
void copyKeys(const QStringList &keys, const Settings &from, Settings &to)
{
    const auto has = [&keys](const char *key) {
        return keys.contains(QLatin1String(key));
    };
    if (has(Settings::kListenHost))
        to.listenHost = from.listenHost;
    if (has(Settings::kListenPort))
        to.listenPort = from.listenPort;
    if (has(Settings::kHttpsPort))
        to.httpsPort = from.httpsPort;
    if (has(Settings::kIntercept))
        to.intercept = from.intercept;
    if (has(Settings::kPassthrough))
        to.passthrough = from.passthrough;
    if (has(Settings::kVerifyUpstream))
        to.verifyUpstream = from.verifyUpstream;
    if (has(Settings::kBodyMemoryMiB))
        to.bodyMemoryMiB = from.bodyMemoryMiB;
    if (has(Settings::kBodyCapKiB))
        to.bodyCapKiB = from.bodyCapKiB;
    if (has(Settings::kFrameLogFrames))
        to.frameLogFrames = from.frameLogFrames;
    if (has(Settings::kUpstreamHops))
        to.upstreamHops = from.upstreamHops;
    if (has(Settings::kUpstreamRules))
        to.upstreamRules = from.upstreamRules;
    if (has(Settings::kAppearance))
        to.appearance = from.appearance;
}

// Delete or Clear, as an undo step: what the store took out is held here until undone, or until
// the step falls off the stack.
class RemoveFlowsCommand final : public QUndoCommand
{
public:
    // Empty `ids`: every flow and connection (Clear).
    RemoveFlowsCommand(flow::FlowStore &store, std::vector<flow::FlowId> ids, const QString &text)
        : QUndoCommand(text), m_store(store), m_ids(std::move(ids))
    {}
    ~RemoveFlowsCommand() override { m_store.discard(m_removed); }
    Q_DISABLE_COPY_MOVE(RemoveFlowsCommand)

    void redo() override { m_removed = m_ids.empty() ? m_store.takeAll() : m_store.remove(m_ids); }
    void undo() override
    {
        m_store.restore(std::move(m_removed));
        m_removed = {};
    }

private:
    flow::FlowStore &m_store;
    std::vector<flow::FlowId> m_ids;
    flow::RemovedFlows m_removed;
};

// The value of header `name` (joined when repeated), compared without case.
std::string headerValue(const flow::HeaderList &headers, std::string_view name)
{
    std::string joined;
    for (const auto &[n, v] : headers) {
        if (QLatin1StringView(n.data(), qsizetype(n.size()))
                .compare(QLatin1StringView(name.data(), qsizetype(name.size())),
                         Qt::CaseInsensitive)
            == 0) {
            if (!joined.empty())
                joined += ", ";
            joined += v;
        }
    }
    return joined;
}

// Bodies copied or saved are decoded up to this size (a compression bomb stops here).
constexpr std::uint64_t kMaxSavedBody = 1ull << 30;

// How often unsaved capture is written to MainWindow::autosavePath().
constexpr int kAutosaveMillis = 3 * 60 * 1000;

// Undo steps kept: each Clear holds what it took (bodies past the memory budget are on disk).
constexpr int kUndoLimit = 10;

} // namespace

MainWindow::MainWindow(flow::FlowStore &store, QStringList listenAddresses, EngineControls engine,
                       QWidget *parent)
    : QMainWindow(parent)
    , m_store(store)
    , m_listenAddresses(std::move(listenAddresses))
    , m_engine(std::move(engine))
    , m_model(new FlowTableModel(store, this))
    , m_view(new QTableView(this))
    , m_undoStack(new QUndoStack(this))
    , m_settings(m_engine.settings)
{
    m_undoStack->setUndoLimit(kUndoLimit);
    setWindowTitle(tr("Tunnelscope"));
    setDockNestingEnabled(true);
    setUpTable();
    setCentralWidget(m_view);

    m_detail = new FlowDetailPane(store, this);
    auto *detailDock = new QDockWidget(tr("Details"), this);
    detailDock->setObjectName(QStringLiteral("detailDock")); // saveState() needs names
    detailDock->setWidget(m_detail);
    addDockWidget(Qt::RightDockWidgetArea, detailDock);

    // Tunnels, connections, frames and streams; a flow they point at is selected here.
    m_inspector = createInspectorDocks(store, *this);
    connect(m_inspector.tunnels, &TunnelsPane::flowRequested, this, &MainWindow::selectFlow);
    connect(m_inspector.frames, &FramesPane::flowRequested, this, &MainWindow::selectFlow);
    connect(m_inspector.streams, &StreamsPane::flowRequested, this, &MainWindow::selectFlow);
    if (m_engine.config && m_engine.engine)
        m_composer = addComposerDock(*this, *m_engine.engine, *m_engine.config);
    // Structure (host and path tree, narrows the table) and Timeline (waterfall), closed.
    m_views = createViewDocks(store, *m_model, *m_view, *this,
                              [this](flow::FlowId id) { selectFlow(id); });
    // The expert panes start closed, in their places below the table: the flows table and
    // the details get the room (issue 17, defect 7). The View menu opens them, as do Show
    // Connection and Frames and Replay; a saved layout (restoreSettings) wins.
    const std::pair<QDockWidget *, QString> toggles[] = {
        {detailDock, tr("&Details")},
        {m_inspector.tunnelsDock, tr("&Tunnels")},
        {m_inspector.connectionsDock, tr("&Connections")},
        {m_inspector.framesDock, tr("&Frames")},
        {m_inspector.streamsDock, tr("&Streams")},
        {composerDock(*this), tr("Co&mposer")},
    };
    for (const auto &[dock, text] : toggles) {
        if (!dock)
            continue;
        dock->toggleViewAction()->setText(text); // a mnemonic, unlike the dock's title
        if (dock != detailDock)
            dock->hide();
    }

    createActions();
    setUpMarks();
    createToolBar();
    createMenus();
    createStatusBar();
    setUpFilter();
    setAcceptDrops(true);

    // Once per batch, not per flow: the model inserts a whole batch with one rowsInserted.
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateFlowCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateFlowCount);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &MainWindow::followNewRows);
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this,
            &MainWindow::rememberCurrentFlow);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::restoreCurrentFlow);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updateFlowCount);
    connect(m_model, &FlowTableModel::skippedCountChanged, this, &MainWindow::updatePausedNote);
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &MainWindow::countNewFlows);
    connect(&m_store, &flow::FlowStore::cleared, this, [this] {
        m_tunnels = 0;
        updateFlowCount();
    });
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, &MainWindow::recountTunnels);
    connect(&m_store, &flow::FlowStore::flowsRestored, this, &MainWindow::recountTunnels);
    // What a save would write has changed.
    connect(&m_store, &flow::FlowStore::flowsAdded, this, &MainWindow::noteChange);
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &MainWindow::noteChange);
    connect(&m_store, &flow::FlowStore::flowsRemoved, this, &MainWindow::noteChange);
    connect(&m_store, &flow::FlowStore::flowsRestored, this, &MainWindow::noteChange);
    connect(&m_store, &flow::FlowStore::cleared, this, &MainWindow::noteChange);
    m_autosaveTimer = new QTimer(this);
    m_autosaveTimer->setInterval(kAutosaveMillis);
    connect(m_autosaveTimer, &QTimer::timeout, this, &MainWindow::autosave);
    m_autosaveTimer->start();
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::showCurrentFlow);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateRowActions);
    // A body or connection can arrive after the flow was selected.
    connect(&m_store, &flow::FlowStore::flowsChanged, this, &MainWindow::updateRowActions);

    // Over an empty table: where to point a client, or why nothing is shown.
    m_emptyNote = new QLabel(m_view->viewport());
    m_emptyNote->setObjectName(QStringLiteral("emptyTableNote"));
    m_emptyNote->setAlignment(Qt::AlignCenter);
    m_emptyNote->setWordWrap(true);
    m_emptyNote->setTextFormat(Qt::PlainText);
    m_emptyNote->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_emptyNote->setForegroundRole(QPalette::PlaceholderText);
    m_view->viewport()->installEventFilter(this);
    m_view->installEventFilter(this); // Ctrl+Home, Ctrl+End
    for (const auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_model, signal, this, &MainWindow::updateEmptyNote);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updateEmptyNote);
    connect(m_model, &FlowTableModel::skippedCountChanged, this, &MainWindow::updateEmptyNote);
    connect(&m_store, &flow::FlowStore::cleared, this, &MainWindow::updateEmptyNote);
    updateEmptyNote();

    m_defaultState = saveState();
    restoreSettings();
    updateRowActions();
}

MainWindow::~MainWindow()
{
    // The desktop's proxy setting must not keep pointing at a proxy that is gone.
    if (m_systemProxy)
        m_systemProxy->restoreAll();
}

void MainWindow::setCommandRunner(std::unique_ptr<CommandRunner> runner)
{
    if (m_systemProxy)
        m_systemProxy->restoreAll();
    m_systemProxy.reset();
    m_runner = std::move(runner);
}

SystemProxy &MainWindow::systemProxy()
{
    if (!m_runner)
        m_runner = std::make_unique<ProcessRunner>();
    if (!m_systemProxy) {
        m_systemProxy = std::make_unique<SystemProxy>(*m_runner);
        m_systemProxy->setJournal(engine::migratedPath(QStringLiteral("system-proxy.json")));
    }
    return *m_systemProxy;
}

void MainWindow::recoverSystemProxy()
{
    const auto recovered = systemProxy().recover();
    if (!recovered)
        statusBar()->showMessage(tr("Could not put the system proxy back as it was before "
                                    "Tunnelscope stopped unexpectedly: %1")
                                     .arg(QString::fromStdString(recovered.error().message)));
    else if (!recovered->isEmpty())
        statusBar()->showMessage(tr("Tunnelscope stopped unexpectedly last time with the system "
                                    "proxy set; it is back as it was."),
                                 15000);
}

void MainWindow::showClientSetupDialog()
{
    SystemProxy &proxy = systemProxy();
    ClientSetupDialog dialog(m_listenAddresses.value(0), m_engine.ca, *m_runner, proxy, this);
    dialog.exec();
}

void MainWindow::setUpTable()
{
    m_view->setObjectName(QStringLiteral("flowTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, &MainWindow::showRowMenu);

    // Fixed, uniform row heights: the view never measures rows, which keeps a million of them
    // cheap to insert and scroll.
    QHeaderView *rows = m_view->verticalHeader();
    rows->setSectionResizeMode(QHeaderView::Fixed);
    rows->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    rows->hide();

    QHeaderView *columns = m_view->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setSectionsMovable(true);
    columns->setMinimumSectionSize(32);
    columns->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(columns, &QWidget::customContextMenuRequested, this, &MainWindow::showColumnMenu);
    const QFontMetrics metrics = m_view->fontMetrics();
    const auto fit = [&](const QString &sample) {
        return metrics.horizontalAdvance(sample) + 24;
    };
    using M = FlowTableModel;
    columns->resizeSection(M::NumberColumn, fit(QStringLiteral("000000")));
    columns->resizeSection(M::TimeColumn, fit(QStringLiteral("0000-00-00 00:00:00")));
    columns->resizeSection(M::ClientColumn, fit(QStringLiteral("127.0.0.1:65535")));
    columns->resizeSection(M::MethodColumn, fit(QStringLiteral("OPTIONS")));
    columns->resizeSection(M::SchemeColumn, fit(QStringLiteral("https")));
    columns->resizeSection(M::HostColumn, fit(QStringLiteral("accounts.example.com:8443")));
    columns->resizeSection(M::PathColumn, fit(QStringLiteral("/api/v1/items?page=2&sort=name")));
    columns->resizeSection(M::StatusColumn, fit(tr("Status")));
    columns->resizeSection(M::ClientProtocolColumn, fit(QStringLiteral("HTTP/1.1")));
    columns->resizeSection(M::ServerProtocolColumn, fit(QStringLiteral("HTTP/1.1")));
    columns->resizeSection(M::TlsColumn, fit(QStringLiteral("intercepted, TLSv1.3")));
    columns->resizeSection(M::TypeColumn, fit(QStringLiteral("WebSocket")));
    columns->resizeSection(M::RequestSizeColumn, fit(QStringLiteral("99.9 KiB")));
    columns->resizeSection(M::ResponseSizeColumn, fit(QStringLiteral("99.9 MiB")));
    columns->resizeSection(M::DurationColumn, fit(QStringLiteral("99999 ms")));
    columns->resizeSection(M::ErrorColumn, fit(QStringLiteral("connect: connection refused")));
    // Less used columns start hidden; the header's context menu shows them.
    columns->hideSection(M::ClientColumn);
    columns->hideSection(M::SchemeColumn);
    columns->hideSection(M::ServerProtocolColumn);
    columns->hideSection(M::RequestSizeColumn);
    columns->setStretchLastSection(true);

    // Arrival order until a header is clicked; clicking a third time goes back to it.
    columns->setSortIndicatorClearable(true);
    columns->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->setSortingEnabled(true);
}

void MainWindow::createActions()
{
    m_openAction = new QAction(tr("&Open Session\u2026"), this);
    m_openAction->setObjectName(QStringLiteral("openAction"));
    m_openAction->setShortcut(QKeySequence::Open);
    connect(m_openAction, &QAction::triggered, this, &MainWindow::askAndOpen);

    m_saveAction = new QAction(tr("&Save Session"), this);
    m_saveAction->setObjectName(QStringLiteral("saveAction"));
    m_saveAction->setShortcut(QKeySequence::Save);
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::saveSession);

    m_saveAsAction = new QAction(tr("Save Session &As\u2026"), this);
    m_saveAsAction->setObjectName(QStringLiteral("saveAsAction"));
    m_saveAsAction->setShortcut(QKeySequence::SaveAs);
    connect(m_saveAsAction, &QAction::triggered, this, &MainWindow::askAndSaveSession);

    m_importHarAction = new QAction(tr("&Import HAR\u2026"), this);
    m_importHarAction->setObjectName(QStringLiteral("importHarAction"));
    connect(m_importHarAction, &QAction::triggered, this, &MainWindow::askAndImportHar);

    m_exportHarAction = new QAction(tr("&Export HAR\u2026"), this);
    m_exportHarAction->setObjectName(QStringLiteral("exportHarAction"));
    connect(m_exportHarAction, &QAction::triggered, this, &MainWindow::askAndExportHar);

    m_exportSelectionAction = new QAction(tr("Export Se&lection as HAR\u2026"), this);
    m_exportSelectionAction->setObjectName(QStringLiteral("exportSelectionAction"));
    m_exportSelectionAction->setToolTip(
        tr("The selected flows (Ctrl+A selects every flow the filter shows)"));
    connect(m_exportSelectionAction, &QAction::triggered, this,
            &MainWindow::askAndExportSelectionHar);

    m_copyRequestBodyAction = new QAction(tr("Copy Request &Body"), this);
    m_copyRequestBodyAction->setObjectName(QStringLiteral("copyRequestBodyAction"));
    connect(m_copyRequestBodyAction, &QAction::triggered, this,
            [this] { copySelectedBody(false); });
    m_copyResponseBodyAction = new QAction(tr("Copy Response B&ody"), this);
    m_copyResponseBodyAction->setObjectName(QStringLiteral("copyResponseBodyAction"));
    connect(m_copyResponseBodyAction, &QAction::triggered, this,
            [this] { copySelectedBody(true); });
    m_saveRequestBodyAction = new QAction(tr("Save Request Body\u2026"), this);
    m_saveRequestBodyAction->setObjectName(QStringLiteral("saveRequestBodyAction"));
    connect(m_saveRequestBodyAction, &QAction::triggered, this, [this] { askAndSaveBody(false); });
    m_saveResponseBodyAction = new QAction(tr("Save Response Body\u2026"), this);
    m_saveResponseBodyAction->setObjectName(QStringLiteral("saveResponseBodyAction"));
    connect(m_saveResponseBodyAction, &QAction::triggered, this, [this] { askAndSaveBody(true); });

    m_preferencesAction = new QAction(tr("&Preferences\u2026"), this);
    m_preferencesAction->setObjectName(QStringLiteral("preferencesAction"));
    m_preferencesAction->setShortcut(QKeySequence::Preferences);
    m_preferencesAction->setMenuRole(QAction::PreferencesRole);
    connect(m_preferencesAction, &QAction::triggered, this, &MainWindow::showSettingsDialog);

    if (m_engine.ca) {
        m_caAction = new QAction(tr("&Certificate authority and browser\u2026"), this);
        m_caAction->setObjectName(QStringLiteral("caAction"));
        connect(m_caAction, &QAction::triggered, this, &MainWindow::showCaDialog);
    }

    m_setupAction = new QAction(tr("&Set up a client\u2026"), this);
    m_setupAction->setObjectName(QStringLiteral("setupClientAction"));
    connect(m_setupAction, &QAction::triggered, this, &MainWindow::showClientSetupDialog);

    if (!userGuidePath().isEmpty()) {
        m_guideAction = new QAction(tr("&User Guide"), this);
        m_guideAction->setObjectName(QStringLiteral("guideAction"));
        m_guideAction->setShortcut(QKeySequence::HelpContents);
        connect(m_guideAction, &QAction::triggered, this, &MainWindow::showUserGuide);
    }

    m_shortcutsAction = new QAction(tr("&Keyboard Shortcuts"), this);
    m_shortcutsAction->setObjectName(QStringLiteral("shortcutsAction"));
    connect(m_shortcutsAction, &QAction::triggered, this, &MainWindow::showShortcuts);

    m_aboutAction = new QAction(tr("&About Tunnelscope"), this);
    m_aboutAction->setObjectName(QStringLiteral("aboutAction"));
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setObjectName(QStringLiteral("quitAction"));
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_pauseAction = new QAction(tr("&Pause"), this);
    m_pauseAction->setObjectName(QStringLiteral("pauseAction"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_pauseAction->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_pauseAction->setToolTip(tr("Stop showing new flows (the proxy keeps running)"));
    connect(m_pauseAction, &QAction::toggled, this, &MainWindow::setPaused);

    m_clearAction = new QAction(tr("C&lear"), this);
    m_clearAction->setObjectName(QStringLiteral("clearAction"));
    m_clearAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_clearAction->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
    m_clearAction->setToolTip(tr("Forget every recorded flow"));
    connect(m_clearAction, &QAction::triggered, this, &MainWindow::clearFlows);

    m_deleteAction = new QAction(tr("Dele&te"), this);
    m_deleteAction->setObjectName(QStringLiteral("deleteAction"));
    m_deleteAction->setShortcut(QKeySequence::Delete);
    // Only in the table: Delete in a text field deletes text.
    m_deleteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_deleteAction->setToolTip(tr("Remove the selected flows (Edit \u2192 Undo brings them back)"));
    m_view->addAction(m_deleteAction);
    connect(m_deleteAction, &QAction::triggered, this, &MainWindow::deleteSelected);

    m_showConnectionAction = new QAction(tr("Show &Connection and Frames"), this);
    m_showConnectionAction->setObjectName(QStringLiteral("showConnectionAction"));
    m_showConnectionAction->setToolTip(
        tr("The frames of the selected flow's stream; double-click a frame to come back"));
    connect(m_showConnectionAction, &QAction::triggered, this, &MainWindow::showSelectedConnection);

    // Mnemonics unique in Edit: U is Copy URL's, R Replay's.
    m_compareAction = new QAction(tr("Co&mpare Two Flows"), this);
    m_compareAction->setObjectName(QStringLiteral("compareAction"));
    m_compareAction->setToolTip(tr("Select two flows (Ctrl+click) to see them side by side"));
    connect(m_compareAction, &QAction::triggered, this, &MainWindow::compareSelected);

    m_undoAction = m_undoStack->createUndoAction(this, tr("U&ndo"));
    m_undoAction->setObjectName(QStringLiteral("undoAction"));
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_redoAction = m_undoStack->createRedoAction(this, tr("R&edo"));
    m_redoAction->setObjectName(QStringLiteral("redoAction"));
    m_redoAction->setShortcut(QKeySequence::Redo);

    if (m_engine.setIntercepting) {
        m_interceptAction = new QAction(tr("&Intercept TLS"), this);
        m_interceptAction->setObjectName(QStringLiteral("interceptAction"));
        m_interceptAction->setCheckable(true);
        m_interceptAction->setChecked(m_engine.intercepting);
        m_interceptAction->setToolTip(tr("Decrypt TLS in new tunnels"));
        connect(m_interceptAction, &QAction::toggled, this, &MainWindow::setIntercepting);
    }

    m_copyUrlAction = new QAction(tr("Copy &URL"), this);
    m_copyUrlAction->setObjectName(QStringLiteral("copyUrlAction"));
    m_copyUrlAction->setShortcut(QKeySequence::Copy);
    // Only in the table: Ctrl+C in a text field or body view copies its text.
    m_copyUrlAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_view->addAction(m_copyUrlAction);
    connect(m_copyUrlAction, &QAction::triggered, this, &MainWindow::copySelectedUrl);

    m_copyAsMenu = new QMenu(tr("Copy &As"), this);
    m_copyAsMenu->menuAction()->setObjectName(QStringLiteral("copyAsMenu"));
    m_copyCurlAction = new QAction(tr("&curl"), this);
    m_copyCurlAction->setObjectName(QStringLiteral("copyCurlAction"));
    m_copyCurlAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    connect(m_copyCurlAction, &QAction::triggered, this, &MainWindow::copySelectedAsCurl);
    m_copyAsMenu->addAction(m_copyCurlAction);
    m_copyFetchAction = m_copyAsMenu->addAction(tr("&fetch (JavaScript)"));
    m_copyFetchAction->setObjectName(QStringLiteral("copyFetchAction"));
    connect(m_copyFetchAction, &QAction::triggered, this, [this] { copySnippet(0); });
    m_copyPythonAction = m_copyAsMenu->addAction(tr("&Python requests"));
    m_copyPythonAction->setObjectName(QStringLiteral("copyPythonAction"));
    connect(m_copyPythonAction, &QAction::triggered, this, [this] { copySnippet(1); });
    m_copyHttpieAction = m_copyAsMenu->addAction(tr("&HTTPie"));
    m_copyHttpieAction->setObjectName(QStringLiteral("copyHttpieAction"));
    connect(m_copyHttpieAction, &QAction::triggered, this, [this] { copySnippet(2); });

    if (m_composer) {
        m_replayAction = new QAction(tr("&Replay"), this);
        m_replayAction->setObjectName(QStringLiteral("replayAction"));
        m_replayAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
        m_replayAction->setToolTip(tr("Send the selected request again, as it was"));
        connect(m_replayAction, &QAction::triggered, this, &MainWindow::replaySelected);

        m_editReplayAction = new QAction(tr("E&dit and Replay\u2026"), this);
        m_editReplayAction->setObjectName(QStringLiteral("editReplayAction"));
        m_editReplayAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
        m_editReplayAction->setToolTip(tr("Put the selected request into the composer"));
        connect(m_editReplayAction, &QAction::triggered, this, &MainWindow::editSelected);
    }

    m_findAction = new QAction(tr("&Filter\u2026"), this);
    m_findAction->setObjectName(QStringLiteral("findAction"));
    m_findAction->setShortcut(QKeySequence::Find);

    m_searchBodiesAction = new QAction(tr("&Search Bodies\u2026"), this);
    m_searchBodiesAction->setObjectName(QStringLiteral("searchBodiesAction"));
    m_searchBodiesAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    m_searchBodiesAction->setToolTip(
        tr("The flows whose request or response body contains a text (the filter's body:)"));

    m_autoScrollAction = new QAction(tr("&Auto-scroll to new flows"), this);
    m_autoScrollAction->setObjectName(QStringLiteral("autoScrollAction"));
    m_autoScrollAction->setCheckable(true);
    m_autoScrollAction->setChecked(true);

    m_resetLayoutAction = new QAction(tr("&Reset Layout"), this);
    m_resetLayoutAction->setObjectName(QStringLiteral("resetLayoutAction"));
    m_resetLayoutAction->setToolTip(tr("Put every pane back where it was at the first start"));
    connect(m_resetLayoutAction, &QAction::triggered, this, &MainWindow::resetLayout);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    file->addAction(m_saveAction);
    file->addAction(m_saveAsAction);
    file->addSeparator();
    file->addAction(m_importHarAction);
    file->addAction(m_exportHarAction);
    file->addAction(m_exportSelectionAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_undoAction);
    edit->addAction(m_redoAction);
    edit->addSeparator();
    edit->addAction(m_copyUrlAction);
    edit->addMenu(m_copyAsMenu);
    edit->addAction(m_copyRequestBodyAction);
    edit->addAction(m_copyResponseBodyAction);
    if (m_composer) {
        edit->addAction(m_replayAction);
        edit->addAction(m_editReplayAction);
    }
    edit->addAction(m_showConnectionAction);
    edit->addAction(m_compareAction);
    edit->addSeparator();
    edit->addAction(m_findAction);
    edit->addAction(m_searchBodiesAction);
    edit->addAction(m_deleteAction);
    edit->addAction(m_clearAction);
    edit->addSeparator();
    edit->addAction(m_preferencesAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_autoScrollAction);
    view->addAction(m_pauseAction);
    if (m_interceptAction)
        view->addAction(m_interceptAction);
    view->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    view->addAction(m_resetLayoutAction);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_setupAction);
    if (m_caAction)
        help->addAction(m_caAction);
    help->addSeparator();
    if (m_guideAction)
        help->addAction(m_guideAction);
    help->addAction(m_shortcutsAction);
    help->addAction(m_aboutAction);
}

void MainWindow::createToolBar()
{
    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_pauseAction);
    bar->addAction(m_clearAction);
    if (m_interceptAction)
        bar->addAction(m_interceptAction);
    bar->addSeparator();

    m_filterEdit = new QLineEdit(bar);
    m_filterEdit->setObjectName(QStringLiteral("filterEdit"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setPlaceholderText(tr("Filter, e.g. host:example.com status>=400"));
    m_filterEdit->setMinimumWidth(
        m_filterEdit->fontMetrics().horizontalAdvance(m_filterEdit->placeholderText()) + 40);
    bar->addWidget(m_filterEdit);
    m_filterHelpButton = new QToolButton(bar);
    m_filterHelpButton->setObjectName(QStringLiteral("filterHelpButton"));
    m_filterHelpButton->setText(QStringLiteral("?"));
    m_filterHelpButton->setToolTip(tr("The filter language"));
    bar->addWidget(m_filterHelpButton);
    m_filterError = new ElidedLabel(bar);
    m_filterError->setObjectName(QStringLiteral("filterError"));
    m_filterError->setElideMode(Qt::ElideRight);
    m_filterError->setContentsMargins(6, 0, 6, 0);
    m_filterError->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    QPalette errorPalette = m_filterError->palette();
    const bool dark = errorPalette.color(QPalette::Window).lightness() < 128;
    errorPalette.setColor(QPalette::WindowText,
                          dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb7, 0x1c, 0x1c));
    m_filterError->setPalette(errorPalette);
    m_filterErrorAction = bar->addWidget(m_filterError);
    m_filterErrorAction->setVisible(false);
}

void MainWindow::createStatusBar()
{
    const auto label = [this](const char *name) {
        auto *l = new QLabel(this);
        l->setObjectName(QString::fromLatin1(name));
        return l;
    };
    m_listeningLabel = label("listeningLabel");
    updateListeningNote();
    m_pausedLabel = label("pausedLabel");
    m_flowCountLabel = label("flowCountLabel");
    m_tunnelCountLabel = label("tunnelCountLabel");
    m_memoryLabel = label("memoryLabel");
    m_droppedLabel = label("droppedFramesLabel");
    m_droppedLabel->setToolTip(tr("Frames left out of connection logs that reached their "
                                  "capacity, or that the memory budget could not keep"));
    m_descriptorsLabel = label("descriptorsLabel");
    m_descriptorsLabel->setText(tr("Out of file descriptors: new connections wait"));
    m_descriptorsLabel->setToolTip(tr("The proxy holds as many files and sockets as the system "
                                      "allows it; new clients are accepted when some close"));
    m_descriptorsLabel->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    statusBar()->addWidget(m_listeningLabel, 1);
    statusBar()->addPermanentWidget(m_descriptorsLabel);
    statusBar()->addPermanentWidget(m_pausedLabel);
    statusBar()->addPermanentWidget(m_flowCountLabel);
    statusBar()->addPermanentWidget(m_tunnelCountLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_droppedLabel);
    m_pausedLabel->hide();
    m_descriptorsLabel->hide();
    updateFlowCount();

    m_usageTimer = new QTimer(this);
    m_usageTimer->setInterval(1000);
    connect(m_usageTimer, &QTimer::timeout, this, &MainWindow::updateResourceUsage);
    m_usageTimer->start();
    updateResourceUsage();
}

void MainWindow::setUpFilter()
{
    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
#ifdef TS_HAVE_FILTER
    connect(m_findAction, &QAction::triggered, this, [this] {
        m_filterEdit->setFocus(Qt::ShortcutFocusReason);
        m_filterEdit->selectAll();
    });
    // A search across every body is a filter: the box starts it, the table lists the matches.
    connect(m_searchBodiesAction, &QAction::triggered, this, [this] {
        m_filterEdit->setFocus(Qt::ShortcutFocusReason);
        // data, not text: a filter expression
        m_filterEdit->setText(QStringLiteral("body:\"\""));
        m_filterEdit->setCursorPosition(6); // between the quotes
    });
    connect(m_filterEdit, &QLineEdit::textEdited, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterEdit, &QLineEdit::returnPressed, this, &MainWindow::applyFilter);
    m_filterEdit->installEventFilter(this); // Esc clears it
    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty()) // the clear button
            applyFilter();
    });
    connect(m_filterDebounce, &QTimer::timeout, this, &MainWindow::applyFilter);
    connect(m_filterHelpButton, &QToolButton::clicked, this, &MainWindow::showFilterHelp);

    // Completions for the word under the cursor, recomputed as the user types.
    auto *words = new QStringListModel(this);
    auto *completer = new QCompleter(words, this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setCompletionMode(QCompleter::PopupCompletion);
    completer->setWidget(m_filterEdit);
    connect(m_filterEdit, &QLineEdit::textEdited, this, [this, words, completer] {
        const std::string text = m_filterEdit->text().toStdString();
        const auto cursor = std::size_t(
            m_filterEdit->text().left(m_filterEdit->cursorPosition()).toUtf8().size());
        const std::size_t start = filter::Filter::completionStart(text, cursor);
        const QString prefix = QString::fromUtf8(text.substr(start, cursor - start));
        QStringList list;
        for (const std::string &c : filter::Filter::completions(text, cursor))
            list.append(QString::fromStdString(c));
        words->setStringList(list);
        if (prefix.isEmpty() || list.isEmpty()) {
            completer->popup()->hide();
            return;
        }
        completer->setCompletionPrefix(prefix);
        completer->complete();
    });
    connect(completer, qOverload<const QString &>(&QCompleter::activated), this,
            [this](const QString &choice) {
                const QString all = m_filterEdit->text();
                const std::string text = all.toStdString();
                const auto cursor
                    = std::size_t(all.left(m_filterEdit->cursorPosition()).toUtf8().size());
                const std::size_t start = filter::Filter::completionStart(text, cursor);
                const QString before = QString::fromUtf8(text.substr(0, start));
                const QString after = QString::fromUtf8(text.substr(cursor));
                m_filterEdit->setText(before + choice + after);
                m_filterEdit->setCursorPosition(int(before.size() + choice.size()));
                m_filterDebounce->start();
            });
    connect(m_model, &FlowTableModel::rebuildStarted, this, [this] {
        if (m_model->hasFilter() || !m_filterEdit->text().isEmpty())
            statusBar()->showMessage(tr("Filtering\u2026"));
    });
    connect(m_model, &FlowTableModel::rebuildFinished, this, [this](qint64 millis) {
        statusBar()->showMessage(tr("Applied in %1 ms").arg(millis), 3000);
    });
#else
    // No filter language in this build: no box that does nothing.
    m_filterEdit->setVisible(false);
    m_filterHelpButton->setVisible(false);
    m_findAction->setVisible(false);
    m_searchBodiesAction->setVisible(false);
#endif
}

void MainWindow::applyFilter()
{
#ifdef TS_HAVE_FILTER
    m_filterDebounce->stop();
    const QString text = m_filterEdit->text().trimmed();
    auto parsed = filter::Filter::parse(text.toStdString());
    if (!parsed) {
        // The previous filter stays; the box says what is wrong.
        m_filterEdit->setProperty("invalid", true);
        QPalette palette = m_filterEdit->palette();
        const bool dark = palette.color(QPalette::Base).lightness() < 128;
        palette.setColor(QPalette::Base,
                         dark ? QColor(0x5c, 0x1f, 0x1f) : QColor(0xff, 0xd6, 0xd6));
        m_filterEdit->setPalette(palette);
        // One line (the error label beside the box elides it): the translated sentence, then
        // the parser's English detail, which says where.
        const QString headline = errorHeadline(parsed.error().code);
        const QString detail = QString::fromStdString(parsed.error().message);
        m_filterEdit->setToolTip(headline.isEmpty() ? detail : headline + u' ' + detail);
        m_filterError->setFullText(m_filterEdit->toolTip());
        m_filterErrorAction->setVisible(true);
        return;
    }
    m_filterEdit->setProperty("invalid", false);
    m_filterEdit->setPalette(QPalette());
    m_filterEdit->setToolTip(QString());
    m_filterErrorAction->setVisible(false);
    if (parsed->isEmpty()) {
        m_model->setFilter({});
        return;
    }
    auto shared = std::make_shared<const filter::Filter>(std::move(*parsed));
    m_model->setFilter([shared](const flow::Flow &f) { return shared->matches(f); },
                       shared->readsHeaders());
#endif
}

void MainWindow::clearFilter()
{
    m_filterEdit->clear(); // textChanged("") applies the empty filter
    m_filterErrorAction->setVisible(false);
}

void MainWindow::updateEmptyNote()
{
    if (m_model->rowCount() > 0) {
        m_emptyNote->hide();
        return;
    }
    QString text;
    if (m_store.size() == 0) {
        if (m_listenAddresses.isEmpty()) {
            text = tr("Not listening: nothing will be recorded. File \u2192 Open Session opens a "
                      "recorded one.");
        } else {
            // "127.0.0.1:8080", not "127.0.0.1:8443 (HTTPS)": the plain listener comes first.
            const QString first = m_listenAddresses.front().section(QLatin1Char(' '), 0, 0);
            text = tr("Listening on %1.\n\nPoint a client at the proxy, for example:\n"
                      "curl -x http://%2 http://example.com/")
                       .arg(m_listenAddresses.join(u", "), first);
            if (m_caAction)
                text += QStringLiteral("\n\n")
                        + tr("For a browser that trusts Tunnelscope's CA (HTTPS included): "
                             "Help \u2192 Certificate authority and browser.");
        }
    } else if (m_model->hasFilter()) {
        text = tr("No flows match the filter.\nEsc in the filter box clears it.");
    } else if (m_model->isPaused()) {
        text = tr("Paused: new flows are held back until you resume.");
    }
    m_emptyNote->setText(text);
    m_emptyNote->setGeometry(m_view->viewport()->rect().adjusted(24, 24, -24, -24));
    m_emptyNote->setVisible(!text.isEmpty());
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState);
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        dock->setFloating(false);
    restoreState(m_defaultState);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize) {
        m_emptyNote->setGeometry(m_view->viewport()->rect().adjusted(24, 24, -24, -24));
    } else if (watched == m_filterEdit && event->type() == QEvent::KeyPress
               && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape
               && !m_filterEdit->text().isEmpty()) {
        clearFilter();
        return true;
    } else if (watched == m_view && event->type() == QEvent::KeyPress) {
        // The view moves only its cursor on Ctrl+Home/End (Ctrl keeps the selection); the
        // selection, and with it the details, go along here.
        const auto *key = static_cast<QKeyEvent *>(event);
        const int rows = m_model->rowCount();
        if (key->modifiers() == Qt::ControlModifier
            && (key->key() == Qt::Key_Home || key->key() == Qt::Key_End) && rows > 0) {
            const QModelIndex index = m_model->index(key->key() == Qt::Key_Home ? 0 : rows - 1,
                                                     std::max(m_view->currentIndex().column(), 0));
            m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                                 | QItemSelectionModel::Rows);
            m_view->scrollTo(index);
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::showFilterHelp()
{
#ifdef TS_HAVE_FILTER
    auto *help = findChild<QTextBrowser *>(QStringLiteral("filterHelp"));
    if (!help) {
        help = new QTextBrowser(this);
        help->setObjectName(QStringLiteral("filterHelp"));
        help->setWindowFlag(Qt::Tool);
        help->setWindowTitle(tr("Filter language"));
        help->setLineWrapMode(QTextEdit::NoWrap);
        help->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        help->setPlainText(QString::fromStdString(filter::Filter::helpText()));
        help->resize(help->fontMetrics().horizontalAdvance(QLatin1Char('m')) * 90,
                     help->fontMetrics().height() * 30);
    }
    help->show();
    help->raise();
#endif
}

void MainWindow::showColumnMenu(const QPoint &position)
{
    QHeaderView *header = m_view->horizontalHeader();
    QMenu menu(this);
    for (int column = 0; column < FlowTableModel::ColumnCount; ++column) {
        QAction *toggle = menu.addAction(m_model->headerData(column, Qt::Horizontal).toString());
        toggle->setCheckable(true);
        toggle->setChecked(!header->isSectionHidden(column));
        connect(toggle, &QAction::toggled, header,
                [header, column](bool shown) { header->setSectionHidden(column, !shown); });
    }
    menu.exec(header->mapToGlobal(position));
}

void MainWindow::showRowMenu(const QPoint &position)
{
    if (!m_view->indexAt(position).isValid())
        return;
    QMenu menu(this);
    menu.addAction(m_copyUrlAction);
    menu.addMenu(m_copyAsMenu);
    if (m_composer) {
        menu.addAction(m_replayAction);
        menu.addAction(m_editReplayAction);
    }
    menu.addAction(m_showConnectionAction);
    menu.addAction(m_compareAction);
    menu.addSeparator();
    menu.addAction(m_copyRequestBodyAction);
    menu.addAction(m_copyResponseBodyAction);
    menu.addAction(m_saveRequestBodyAction);
    menu.addAction(m_saveResponseBodyAction);
    menu.addSeparator();
    menu.addAction(m_exportSelectionAction);
    menu.addSeparator();
    m_marks->addTo(menu);
    menu.addSeparator();
    menu.addAction(m_deleteAction);
    menu.exec(m_view->viewport()->mapToGlobal(position));
}

// Pin, colour and comment (issue 17): in the row menu, and their keys in the table.
void MainWindow::setUpMarks()
{
    m_marks = new FlowMarksActions(
        m_store, [this] { return selectedFlowIds(); }, this);
    m_marks->addShortcutsTo(*m_view);
}

const flow::Flow *MainWindow::selectedExchange(const QString &what)
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!f || f->kind != flow::FlowKind::Exchange) {
        statusBar()->showMessage(what, 3000);
        return nullptr;
    }
    return f;
}

void MainWindow::copySelectedUrl()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!f) {
        statusBar()->showMessage(tr("Select a flow to copy its URL"), 3000);
        return;
    }
    QGuiApplication::clipboard()->setText(QString::fromStdString(f->url()));
    statusBar()->showMessage(tr("Copied the URL"), 3000);
}

void MainWindow::copySnippet(int language)
{
    const flow::Flow *f = selectedExchange(tr("Select a request to copy"));
    if (!f)
        return;
    const CodeSnippet snippet = language == 0   ? fetchSnippet(*f)
                                : language == 1 ? pythonRequestsSnippet(*f)
                                                : httpieCommand(*f);
    QGuiApplication::clipboard()->setText(snippet.text);
    statusBar()->showMessage(snippet.note.isEmpty() ? tr("Copied") : snippet.note, 5000);
}

void MainWindow::copySelectedAsCurl()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!f || f->kind != flow::FlowKind::Exchange) {
        statusBar()->showMessage(tr("Select a request to copy"), 3000);
        return;
    }
    const CurlCommand command = curlCommand(*f);
    QGuiApplication::clipboard()->setText(command.text);
    statusBar()->showMessage(command.note.isEmpty() ? tr("Copied as curl") : command.note, 5000);
}

void MainWindow::replaySelected()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!m_composer || !f || f->kind != flow::FlowKind::Exchange) {
        statusBar()->showMessage(tr("Select a request to replay"), 3000);
        return;
    }
    m_composer->replayFlow(*f);
    if (QDockWidget *dock = composerDock(*this)) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::editSelected()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!m_composer || !f || f->kind != flow::FlowKind::Exchange) {
        statusBar()->showMessage(tr("Select a request to edit"), 3000);
        return;
    }
    m_composer->editFlow(*f);
    if (QDockWidget *dock = composerDock(*this)) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::askAndOpen()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Session"), dir,
        tr("Tunnelscope session (*.tss);;HTTP Archive (*.har);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

void MainWindow::askAndImportHar()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getOpenFileName(this, tr("Import HAR"), dir,
                                                      tr("HTTP Archive (*.har);;All files (*)"));
    if (!path.isEmpty())
        importHar(path);
}

bool MainWindow::canOpen(const QString &path)
{
    return path.endsWith(kSessionSuffix, Qt::CaseInsensitive)
           || path.endsWith(kHarSuffix, Qt::CaseInsensitive);
}

bool MainWindow::openFile(const QString &path)
{
    if (path.endsWith(kHarSuffix, Qt::CaseInsensitive))
        return importHar(path);
    if (!path.endsWith(kSessionSuffix, Qt::CaseInsensitive)) {
        QMessageBox::warning(this, tr("Open Session"),
                             tr("%1 is neither a Tunnelscope session (.tss) nor a HAR file "
                                "(.har).")
                                 .arg(QFileInfo(path).fileName()));
        return false;
    }
    auto opened = session::openSession(path, m_store.budget());
    if (!opened) {
        QMessageBox::warning(this, tr("Open Session"), errorText(opened.error()));
        return false;
    }
    // The proxy keeps running: its next flows and connections get ids above the session's,
    // and are added after it.
    std::uint64_t lastFlow = 0;
    std::uint64_t lastConnection = 0;
    for (const flow::Flow &f : opened->flows)
        lastFlow = std::max(lastFlow, f.id);
    for (const flow::Connection &c : opened->connections)
        lastConnection = std::max(lastConnection, c.id);
    m_store.ids()->reserve(lastFlow, lastConnection);
    const auto count = int(opened->flows.size());
    m_undoStack->clear(); // its steps belong to the capture the session replaces
    const QByteArray history = session::loadSession(std::move(*opened), m_store);
    if (m_composer && !history.isEmpty())
        m_composer->loadHistory(history);
    m_sessionPath = path;
    m_dirty = false; // what is shown is what the file holds
    m_autosaveDue = false;
    updateListeningNote();
    statusBar()->showMessage(
        tr("Opened %1: %n flow(s)", nullptr, count).arg(QFileInfo(path).fileName()), 5000);
    return true;
}

bool MainWindow::importHar(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Import HAR"),
                             tr("Cannot read %1: %2").arg(path, file.errorString()));
        return false;
    }
    auto flows = session::importHar(file.readAll(), m_store.budget());
    if (!flows) {
        QMessageBox::warning(this, tr("Import HAR"), errorText(flows.error()));
        return false;
    }
    // Numbered on from the store's one id source, past every row the store holds, as if they
    // had just arrived (a live flow never replaces one); parents follow.
    std::uint64_t last = 0;
    for (std::size_t i = 0; i < m_store.size(); ++i)
        last = std::max(last, m_store.at(i).id);
    m_store.ids()->reserve(last, 0);
    const std::uint64_t offset = m_store.ids()->takeFlowIds(flows->size()); // importHar: from 1
    for (flow::Flow &f : *flows) {
        f.id += offset;
        if (f.parent)
            f.parent += offset;
        m_store.publish(std::move(f));
    }
    m_store.flush();
    statusBar()->showMessage(tr("Imported %n flow(s) from %1", nullptr, int(flows->size()))
                                 .arg(QFileInfo(path).fileName()),
                             5000);
    return true;
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    // Only what openFile() takes gets a drop indicator.
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile() && canOpen(urls.front().toLocalFile()))
        event->acceptProposedAction();
    else
        event->ignore();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.front().isLocalFile() || !canOpen(urls.front().toLocalFile())) {
        event->ignore();
        return;
    }
    event->acceptProposedAction();
    // After the drop returns: a message box inside a drop handler confuses some platforms.
    const QString path = urls.front().toLocalFile();
    QTimer::singleShot(0, this, [this, path] { openFile(path); });
}

std::vector<std::uint64_t> MainWindow::selectedFlowIds() const
{
    std::vector<std::uint64_t> ids;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows()) {
        if (const flow::Flow *f = m_model->flowAt(index.row()))
            ids.push_back(f->id);
    }
    return ids;
}

void MainWindow::askAndExportSelectionHar()
{
    if (selectedFlowIds().empty()) {
        statusBar()->showMessage(tr("Select the flows to export"), 3000);
        return;
    }
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Selection as HAR"),
                                                      dir + QStringLiteral("/selection.har"),
                                                      tr("HTTP Archive (*.har);;All files (*)"));
    if (!path.isEmpty())
        exportSelectionHar(path);
}

bool MainWindow::exportSelectionHar(const QString &path)
{
    std::vector<std::size_t> rows;
    for (const std::uint64_t id : selectedFlowIds()) {
        if (const std::size_t row = m_store.rowOf(id); row != SIZE_MAX)
            rows.push_back(row);
    }
    if (rows.empty()) {
        statusBar()->showMessage(tr("Select the flows to export"), 3000);
        return false;
    }
    std::sort(rows.begin(), rows.end()); // arrival order, as a full export has it
    const auto written = flow::writeHar(m_store, rows, path);
    if (!written) {
        QMessageBox::warning(this, tr("Export Selection as HAR"), errorText(written.error()));
        return false;
    }
    statusBar()->showMessage(tr("Exported %n flow(s) to %1", nullptr, int(rows.size())).arg(path),
                             5000);
    return true;
}

std::optional<BodyContent> MainWindow::selectedBody(bool response, const QString &noSelection)
{
    // The selected exchange's body, decoded (up to kMaxSavedBody), or a word in the status bar.
    const flow::Flow *f = selectedExchange(noSelection);
    if (!f)
        return std::nullopt;
    const auto &body = response ? f->responseBody : f->requestBody;
    if (!body || body->size() == 0) {
        statusBar()->showMessage(
            response ? tr("The response has no body") : tr("The request has no body"), 3000);
        return std::nullopt;
    }
    return loadBody(
        *body, headerValue(response ? f->responseHeaders : f->requestHeaders, "content-encoding"),
        UINT64_MAX, kMaxSavedBody);
}

bool MainWindow::copySelectedBody(bool response)
{
    const auto loaded = selectedBody(response, tr("Select a request to copy its body"));
    if (!loaded)
        return false;
    const BodyContent &content = *loaded;
    const QByteArray bytes = QByteArray::fromStdString(content.bytes);
    const QString text = QString::fromUtf8(bytes);
    // Only text goes on the clipboard: binary bytes would arrive mangled.
    if (text.contains(QChar::ReplacementCharacter) || bytes.contains('\0')) {
        statusBar()->showMessage(tr("The body is not text: save it to a file instead"), 5000);
        return false;
    }
    QGuiApplication::clipboard()->setText(text);
    statusBar()->showMessage(tr("Copied the body (%1)").arg(describeBody(content)), 3000);
    return true;
}

void MainWindow::askAndSaveBody(bool response)
{
    const flow::Flow *f = selectedExchange(tr("Select a request to save its body"));
    if (!f)
        return;
    // The last path segment as the name: "logo.png", "items" (without the query).
    QString name = QString::fromStdString(f->path).section(QLatin1Char('?'), 0, 0);
    name = name.section(QLatin1Char('/'), -1);
    if (name.isEmpty())
        name = response ? QStringLiteral("response") : QStringLiteral("request");
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    const QString path = QFileDialog::getSaveFileName(
        this, response ? tr("Save Response Body") : tr("Save Request Body"),
        dir + QLatin1Char('/') + name);
    if (!path.isEmpty())
        saveSelectedBodyTo(response, path);
}

bool MainWindow::saveSelectedBodyTo(bool response, const QString &path)
{
    const auto loaded = selectedBody(response, tr("Select a request to save its body"));
    if (!loaded)
        return false;
    const BodyContent &content = *loaded;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)
        || file.write(content.bytes.data(), qint64(content.bytes.size()))
               != qint64(content.bytes.size())
        || !file.commit()) {
        QMessageBox::warning(this, response ? tr("Save Response Body") : tr("Save Request Body"),
                             tr("Cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    statusBar()->showMessage(tr("Saved the body to %1 (%2)").arg(path, describeBody(content)),
                             5000);
    return true;
}

void MainWindow::askAndExportHar()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export HAR"), dir + QStringLiteral("/flows.har"),
                                       tr("HTTP Archive (*.har);;All files (*)"));
    if (!path.isEmpty())
        exportHar(path);
}

bool MainWindow::exportHar(const QString &path)
{
    const auto written = flow::writeHar(m_store, path);
    if (!written) {
        QMessageBox::warning(this, tr("Export HAR"), errorText(written.error()));
        return false;
    }
    statusBar()->showMessage(tr("Exported to %1").arg(path), 5000);
    return true;
}

void MainWindow::saveSession()
{
    if (m_sessionPath.isEmpty())
        askAndSaveSession();
    else
        saveSessionTo(m_sessionPath);
}

void MainWindow::askAndSaveSession()
{
    const QString start = m_sessionPath.isEmpty()
                              ? QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation)
                                    + QStringLiteral("/session") + kSessionSuffix
                              : m_sessionPath;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Session"), start,
                                                tr("Tunnelscope session (*.tss)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += kSessionSuffix;
    saveSessionTo(path);
}

bool MainWindow::saveSessionTo(const QString &path)
{
    m_store.flush(); // what has arrived so far, not only what the table shows yet
    // Atomic: a failure or a crash leaves the previous file as it was (core/session/README.md).
    const auto saved = session::saveSession(path, m_store,
                                            m_composer ? m_composer->saveHistory() : QByteArray());
    if (!saved) {
        // Often the last thing done before quitting: keep what was recorded somewhere, and
        // say where, rather than leave the user with nothing but an error.
        const QString why = QString::fromStdString(saved.error().message);
        const QString fallback = flow::fallbackPath(kSessionSuffix);
        if (!fallback.isEmpty()
            && session::saveSession(fallback, m_store,
                                    m_composer ? m_composer->saveHistory() : QByteArray())) {
            QMessageBox::warning(this, tr("Save Session"),
                                 tr("The session could not be saved there.\n\n%1\n\n"
                                    "It was saved to %2 instead.")
                                     .arg(why, QDir::toNativeSeparators(fallback)));
            return false;
        }
        if (!fallback.isEmpty())
            QFile::remove(fallback);
        QMessageBox::critical(this, tr("Save Session"),
                              tr("The session was not saved.\n\n%1").arg(why));
        return false;
    }
    m_sessionPath = path;
    m_dirty = false;
    m_autosaveDue = false;
    updateListeningNote();
    statusBar()->showMessage(
        tr("Saved %n flow(s) to %1", nullptr, int(m_store.size())).arg(QFileInfo(path).fileName()),
        5000);
    return true;
}

void MainWindow::updateListeningNote()
{
    if (m_sessionPath.isEmpty())
        setWindowTitle(tr("Tunnelscope"));
    else
        setWindowTitle(tr("%1 \u2014 Tunnelscope").arg(QFileInfo(m_sessionPath).fileName()));
    if (m_listenAddresses.isEmpty()) {
        m_listeningLabel->setText(tr("Not listening"));
        return;
    }
    const QString listening = tr("Listening on %1").arg(m_listenAddresses.join(u", "));
    // With a session open the proxy still records: say where new flows go.
    m_listeningLabel->setText(m_sessionPath.isEmpty()
                                  ? listening
                                  : tr("%1; new flows are added to %2 (save to keep them)")
                                        .arg(listening, QFileInfo(m_sessionPath).fileName()));
}

void MainWindow::setIntercepting(bool on)
{
    m_engine.setIntercepting(on);
    m_settings.intercept = on;
    QSettings settings;
    settings.setValue(QLatin1String(Settings::kIntercept), on);
}

void MainWindow::showSettingsDialog()
{
    SettingsDialog dialog(m_settings, this);
    if (dialog.exec() == QDialog::Accepted)
        applySettings(dialog.settings());
}

QStringList MainWindow::applySettings(const Settings &next)
{
    const QStringList changed = Settings::changedKeys(m_settings, next);
    if (changed.isEmpty())
        return {};
    {
        // Only what was changed here: a value given on the command line stays out of the
        // saved settings unless it was edited.
        QSettings qsettings;
        Settings stored = Settings::load(qsettings);
        copyKeys(changed, next, stored);
        stored.save(qsettings);
    }

    const auto has = [&changed](const char *key) {
        return changed.contains(QLatin1String(key));
    };
    QStringList afterRestart;
    QStringList problems;
    if (has(Settings::kListenHost))
        afterRestart << QLatin1String(Settings::kListenHost);
    if (has(Settings::kListenPort))
        afterRestart << QLatin1String(Settings::kListenPort);
    if (has(Settings::kHttpsPort))
        afterRestart << QLatin1String(Settings::kHttpsPort);
    if (has(Settings::kIntercept)) {
        if (m_engine.setIntercepting) {
            m_engine.setIntercepting(next.intercept);
            const QSignalBlocker blocker(m_interceptAction);
            m_interceptAction->setChecked(next.intercept);
        } else {
            afterRestart << QLatin1String(Settings::kIntercept);
        }
    }
    if (has(Settings::kPassthrough)) {
        if (m_engine.setPassthrough) {
            QStringList patterns;
            for (const QString &p : next.passthrough) {
                if (!p.trimmed().isEmpty())
                    patterns << p.trimmed();
            }
            if (const QString error = m_engine.setPassthrough(patterns); !error.isEmpty())
                problems << error;
        } else {
            afterRestart << QLatin1String(Settings::kPassthrough);
        }
    }
    if (has(Settings::kVerifyUpstream)) {
        if (m_engine.setVerifyServers)
            m_engine.setVerifyServers(next.verifyUpstream);
        else
            afterRestart << QLatin1String(Settings::kVerifyUpstream);
    }
    if (has(Settings::kAppearance))
        applyAppearance(next.appearance); // live: every window repaints
    // The body budget is the store's, read by every body as it grows: live in any case.
    if (has(Settings::kBodyMemoryMiB))
        m_store.budget()->totalMemory = std::uint64_t(next.bodyMemoryMiB) << 20;
    if (has(Settings::kBodyCapKiB))
        m_store.budget()->perBodyMemory = std::uint64_t(next.bodyCapKiB) << 10;
    if (has(Settings::kFrameLogFrames)) {
        if (m_engine.setFrameLogCapacity)
            m_engine.setFrameLogCapacity(std::size_t(next.frameLogFrames));
        else
            afterRestart << QLatin1String(Settings::kFrameLogFrames);
    }
    if (has(Settings::kUpstreamHops) || has(Settings::kUpstreamRules)) {
        auto chains = next.upstreamChains();
        if (!chains) {
            problems << QString::fromStdString(chains.error().message); // the dialog refuses it
        } else if (m_engine.setUpstream) {
            // The composer's "the proxy's own" chain is the engine's, live: nothing to copy.
            m_engine.setUpstream(*chains);
        } else {
            afterRestart << QLatin1String(Settings::kUpstreamHops);
        }
    }
    m_settings = next;

    if (!afterRestart.isEmpty() || !problems.isEmpty()) {
        const QHash<QString, QString> names{
            {QLatin1String(Settings::kListenHost), tr("the listen address")},
            {QLatin1String(Settings::kListenPort), tr("the listen port")},
            {QLatin1String(Settings::kHttpsPort), tr("the HTTPS proxy port")},
            {QLatin1String(Settings::kIntercept), tr("TLS interception")},
            {QLatin1String(Settings::kPassthrough), tr("the pass-through hosts")},
            {QLatin1String(Settings::kVerifyUpstream), tr("server certificate verification")},
            {QLatin1String(Settings::kFrameLogFrames), tr("the frame log size")},
            {QLatin1String(Settings::kUpstreamHops), tr("the upstream proxies")},
        };
        QStringList words;
        for (const QString &key : afterRestart)
            words << names.value(key, key);
        QStringList lines;
        if (!words.isEmpty())
            lines << tr("Saved. New values of %1 apply after Tunnelscope restarts.")
                         .arg(words.join(QStringLiteral(", ")));
        lines += problems;
        // Not modal: the window stays usable, and nothing waits on the box.
        auto *box = new QMessageBox(QMessageBox::Information, tr("Preferences"),
                                    lines.join(QStringLiteral("\n\n")), QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("settingsAppliedBox"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    statusBar()->showMessage(tr("Preferences saved"), 3000);
    return afterRestart;
}

void MainWindow::showCaDialog()
{
    if (!m_engine.ca)
        return;
    // Not modal: the table stays usable while the launched browser sends its first requests.
    auto *dialog = findChild<CaDialog *>(QString(), Qt::FindDirectChildrenOnly);
    if (!dialog) {
        dialog = new CaDialog(m_engine.ca, m_listenAddresses.value(0), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
}

void MainWindow::showShortcuts()
{
    auto *help = findChild<QTextBrowser *>(QStringLiteral("shortcutsHelp"));
    if (!help) {
        // Made from the actions themselves, so the list is never out of date.
        QList<QPair<QString, QString>> rows;
        for (const QAction *a : findChildren<QAction *>()) {
            if (a->shortcut().isEmpty() || a->text().isEmpty())
                continue;
            QString text = a->text();
            text.remove(QLatin1Char('&'));
            text.remove(QChar(0x2026));
            rows.append({a->shortcut().toString(QKeySequence::NativeText), text});
        }
        rows.append({tr("Ctrl+Home, Ctrl+End"), tr("First, last flow")});
        rows.append({tr("Esc"), tr("Clear the filter (in the filter box)")});
        std::sort(rows.begin(), rows.end(),
                  [](const auto &a, const auto &b) { return a.second < b.second; });
        QString html = QStringLiteral("<table cellpadding=\"3\">");
        for (const auto &[keys, what] : rows)
            html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                        .arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
        html += QStringLiteral("</table>");
        help = new QTextBrowser(this);
        help->setObjectName(QStringLiteral("shortcutsHelp"));
        help->setWindowFlag(Qt::Tool);
        help->setWindowTitle(tr("Keyboard Shortcuts"));
        help->setHtml(html);
        help->resize(help->fontMetrics().averageCharWidth() * 60,
                     help->fontMetrics().height() * (int(rows.size()) + 4) * 3 / 2);
    }
    help->show();
    help->raise();
}

QString MainWindow::userGuidePath()
{
    const QDir program(QCoreApplication::applicationDirPath());
    // Installed: /usr/bin/tunnelscope -> /usr/share/doc/tunnelscope. A build tree: build/app/
    // (or build/tests/) -> the sources' README.
    for (const QString &candidate : {QStringLiteral("../share/doc/tunnelscope/README.md"),
                                     QStringLiteral("../../README.md")}) {
        const QFileInfo file(program.filePath(candidate));
        if (file.isFile())
            return file.canonicalFilePath();
    }
    return {};
}

void MainWindow::showUserGuide()
{
    auto *guide = findChild<QTextBrowser *>(QStringLiteral("userGuide"));
    if (!guide) {
        guide = new QTextBrowser(this);
        guide->setObjectName(QStringLiteral("userGuide"));
        guide->setWindowFlag(Qt::Tool);
        guide->setWindowTitle(tr("Tunnelscope User Guide"));
        guide->setOpenExternalLinks(true);
        // Markdown, with the screenshots beside it found relative to the file.
        guide->setSource(QUrl::fromLocalFile(userGuidePath()), QTextDocument::MarkdownResource);
        const QSize room = screen() ? screen()->availableGeometry().size() : QSize(1280, 800);
        guide->resize(QSize(guide->fontMetrics().averageCharWidth() * 100, room.height() * 3 / 4)
                          .boundedTo(room));
    }
    guide->show();
    guide->raise();
}

void MainWindow::showAbout()
{
    auto *box = findChild<QMessageBox *>(QStringLiteral("aboutBox"));
    if (!box) {
        box = new QMessageBox(
            QMessageBox::Information, tr("About Tunnelscope"),
            tr("Tunnelscope %1\n\nA desktop proxy debugger: an intercepting forward proxy and an "
               "inspector for its flows, tunnels, connections, frames and streams.\n\nBuilt "
               "with Qt %2. Help \u2192 Keyboard Shortcuts lists the keys; the ? beside the "
               "filter box explains the filter language.")
                .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())),
            QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("aboutBox"));
        box->setIconPixmap(windowIcon().pixmap(64));
    }
    box->open(); // not modal to the application: nothing waits on it
}

void MainWindow::setPaused(bool paused)
{
    m_model->setPaused(paused);
    m_pauseAction->setText(paused ? tr("&Resume") : tr("&Pause"));
    m_pauseAction->setIcon(
        style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    updatePausedNote();
}

void MainWindow::clearFlows()
{
    if (m_store.size() == 0 && m_store.connections().empty())
        return;
    m_undoStack->push(new RemoveFlowsCommand(m_store, {}, tr("Clear")));
}

void MainWindow::deleteSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::vector<flow::FlowId> ids;
    int first = m_model->rowCount();
    for (const QModelIndex &index : rows) {
        if (const flow::Flow *f = m_model->flowAt(index.row())) {
            ids.push_back(f->id);
            first = std::min(first, index.row());
        }
    }
    if (ids.empty()) {
        statusBar()->showMessage(tr("Select the flows to delete"), 3000);
        return;
    }
    const auto count = int(ids.size());
    m_undoStack->push(new RemoveFlowsCommand(m_store, std::move(ids),
                                             count == 1 ? tr("Delete 1 Flow")
                                                        : tr("Delete %1 Flows").arg(count)));
    // The next flow takes the place of the deleted ones, as in a mail client.
    if (const int rowCount = m_model->rowCount(); rowCount > 0) {
        const QModelIndex next = m_model->index(std::min(first, rowCount - 1), 0);
        m_view->selectionModel()->setCurrentIndex(next, QItemSelectionModel::ClearAndSelect
                                                            | QItemSelectionModel::Rows);
    }
    statusBar()->showMessage(
        tr("Deleted %n flow(s); Edit \u2192 Undo brings them back", nullptr, count), 5000);
}

bool MainWindow::compareSelected()
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.size() != 2) {
        statusBar()->showMessage(tr("Select two flows to compare them"), 3000);
        return false;
    }
    std::sort(rows.begin(), rows.end()); // top to bottom: left to right
    const flow::Flow *left = m_model->flowAt(rows[0].row());
    const flow::Flow *right = m_model->flowAt(rows[1].row());
    if (!left || !right)
        return false;
    // Not modal: the table stays usable, and several comparisons can be open.
    auto *dialog = new CompareDialog(*left, *right, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return true;
}

bool MainWindow::showSelectedConnection()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    if (!f) {
        statusBar()->showMessage(tr("Select a flow to show its connection"), 3000);
        return false;
    }
    const flow::FlowId id = f->id;
    const flow::ConnectionId client = f->clientConnection;
    if (m_inspector.frames->showStreamOfFlow(id)) {
        m_inspector.framesDock->show();
        m_inspector.framesDock->raise();
        statusBar()->showMessage(
            tr("Frames of flow %1 on connection #%2").arg(id).arg(m_inspector.frames->connection()),
            5000);
        return true;
    }
    if (client != 0 && m_inspector.connections->selectConnection(client)) {
        m_inspector.connectionsDock->show();
        m_inspector.connectionsDock->raise();
        statusBar()->showMessage(
            tr("Flow %1 crossed connection #%2, which has no frame log (HTTP/1.1)")
                .arg(id)
                .arg(client),
            5000);
        return true;
    }
    statusBar()->showMessage(tr("No connection was recorded for flow %1").arg(id), 5000);
    return false;
}

void MainWindow::noteChange()
{
    m_dirty = true;
    m_autosaveDue = true;
}

bool MainWindow::hasUnsavedCapture() const
{
    return m_dirty && m_store.size() > 0;
}

QString MainWindow::autosavePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return dir.isEmpty() ? QString() : dir + QStringLiteral("/autosave") + kSessionSuffix;
}

bool MainWindow::ownsAutosave()
{
    const QString path = autosavePath();
    if (path.isEmpty())
        return false;
    if (!m_autosaveLock) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        // A lock left by a process that is gone (a crash, a kill) counts as free.
        m_autosaveLock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
        m_autosaveLock->tryLock(0);
    }
    return m_autosaveLock->isLocked();
}

bool MainWindow::autosave()
{
    const QString path = autosavePath();
    if (!m_autosaveDue || !hasUnsavedCapture() || !ownsAutosave())
        return false;
    QDir().mkpath(QFileInfo(path).absolutePath());
    m_store.flush();
    const auto saved = session::saveSession(path, m_store,
                                            m_composer ? m_composer->saveHistory() : QByteArray());
    if (!saved) {
        statusBar()->showMessage(
            tr("Autosave failed: %1").arg(QString::fromStdString(saved.error().message)), 10000);
        return false;
    }
    m_autosaveDue = false;
    return true;
}

void MainWindow::quitWithoutAsking()
{
    autosave();
    m_quitWithoutAsking = true;
    close();
    QCoreApplication::quit();
}

bool MainWindow::offerRecovery()
{
    const QString path = autosavePath();
    if (!ownsAutosave() || !QFileInfo::exists(path))
        return false;
    const QDateTime when = QFileInfo(path).lastModified();
    QMessageBox box(QMessageBox::Question, tr("Recover Capture"),
                    tr("Tunnelscope did not quit normally last time (it was stopped by the system, "
                       "killed or crashed). Its capture was autosaved on %1.\n\nOpen it?")
                        .arg(QLocale().toString(when, QLocale::ShortFormat)),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("recoverBox"));
    QPushButton *open = box.addButton(tr("&Open It"), QMessageBox::AcceptRole);
    box.addButton(tr("&Discard It"), QMessageBox::DestructiveRole);
    box.setDefaultButton(open);
    box.exec();
    if (box.clickedButton() != open) {
        QFile::remove(path);
        return false;
    }
    if (!openFile(path))
        return false;
    // Not a session of the user's: Save asks where, and quitting asks first.
    m_sessionPath.clear();
    updateListeningNote();
    noteChange();
    return true;
}

void MainWindow::recountTunnels()
{
    m_tunnels = 0;
    for (std::size_t row = 0; row < m_store.size(); ++row) {
        if (m_store.at(row).kind == flow::FlowKind::Tunnel)
            ++m_tunnels;
    }
    updateFlowCount();
}

void MainWindow::countNewFlows(qsizetype first, qsizetype last)
{
    for (qsizetype row = first; row <= last && std::size_t(row) < m_store.size(); ++row) {
        if (m_store.at(std::size_t(row)).kind == flow::FlowKind::Tunnel)
            ++m_tunnels;
    }
    m_tunnelCountLabel->setText(
        m_tunnels == 1 ? tr("1 tunnel") : tr("%1 tunnels").arg(QLocale().toString(m_tunnels)));
}

void MainWindow::updateFlowCount()
{
    const int shown = m_model->rowCount();
    const auto total = qulonglong(m_store.size());
    if (m_model->hasFilter() && std::uint64_t(shown) != total)
        m_flowCountLabel->setText(
            tr("%1 of %2 flows").arg(QLocale().toString(shown), QLocale().toString(total)));
    else
        m_flowCountLabel->setText(shown == 1 ? tr("1 flow")
                                             : tr("%1 flows").arg(QLocale().toString(shown)));
    m_tunnelCountLabel->setText(
        m_tunnels == 1 ? tr("1 tunnel") : tr("%1 tunnels").arg(QLocale().toString(m_tunnels)));
}

void MainWindow::updatePausedNote()
{
    const std::uint64_t skipped = m_model->skippedCount();
    if (!m_model->isPaused() && skipped == 0) {
        m_pausedLabel->hide();
        return;
    }
    const QString count = QLocale().toString(qulonglong(skipped));
    m_pausedLabel->setText(m_model->isPaused()
                               ? tr("Paused: %1 new flows not shown").arg(count)
                               : tr("%1 flows not shown (arrived while paused)").arg(count));
    m_pausedLabel->show();
}

void MainWindow::updateResourceUsage()
{
    const std::uint64_t rss = residentBytes();
    const flow::BodyBudget &budget = *m_store.budget();
    m_memoryLabel->setText(tr("Memory %1 (records %2 of %3)")
                               .arg(rss ? FlowTableModel::formatBytes(rss) : tr("unknown"),
                                    FlowTableModel::formatBytes(budget.inMemory.load()),
                                    FlowTableModel::formatBytes(budget.totalMemory.load())));
    m_memoryLabel->setToolTip(
        tr("Resident memory of the process, and what recorded flows and connections hold in "
           "memory against the memory budget: bodies %1, headers %2, frame logs %3. Beyond "
           "the budget, closed connections' frame logs and older flows' bodies and headers go to "
           "disk.")
            .arg(FlowTableModel::formatBytes(budget.bodyMemory()),
                 FlowTableModel::formatBytes(budget.headerMemory.load()),
                 FlowTableModel::formatBytes(budget.logMemory.load())));
    std::uint64_t dropped = 0;
    for (const flow::Connection &c : m_store.connections()) {
        if (c.log)
            dropped += c.log->framesDropped();
    }
    m_descriptorsLabel->setVisible(m_engine.acceptPaused && m_engine.acceptPaused());
    QString droppedText
        = dropped == 1 ? tr("1 frame dropped")
                       : tr("%1 frames dropped").arg(QLocale().toString(qulonglong(dropped)));
    if (const std::uint64_t forBudget = budget.framesDroppedForBudget.load())
        droppedText += tr(" (%1 to stay within the memory budget)")
                           .arg(QLocale().toString(qulonglong(forBudget)));
    m_droppedLabel->setText(droppedText);
}

void MainWindow::followNewRows()
{
    if (m_autoScrollAction->isChecked() && m_model->sortColumn() < 0)
        m_view->scrollToBottom();
}

void MainWindow::showCurrentFlow()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    m_detail->showFlow(f ? f->id : 0);
    updateRowActions();
}

void MainWindow::updateRowActions()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    // Greyed out where they could only say "nothing there".
    const auto hasBody = [f](bool response) {
        const auto &body = response ? f->responseBody : f->requestBody;
        return f->kind == flow::FlowKind::Exchange && body && body->size() > 0;
    };
    m_copyRequestBodyAction->setEnabled(f && hasBody(false));
    m_saveRequestBodyAction->setEnabled(f && hasBody(false));
    m_copyResponseBodyAction->setEnabled(f && hasBody(true));
    m_saveResponseBodyAction->setEnabled(f && hasBody(true));
    m_showConnectionAction->setEnabled(f && (f->clientConnection || f->serverConnection));
    m_compareAction->setEnabled(m_view->selectionModel()->selectedRows().size() == 2);
}

void MainWindow::selectFlow(std::uint64_t id)
{
    const int row = m_model->rowOfFlow(id);
    if (row < 0) {
        statusBar()->showMessage(tr("Flow %1 is not in the table (filtered out or arrived "
                                    "while paused)")
                                     .arg(id),
                                 5000);
        return;
    }
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

void MainWindow::rememberCurrentFlow()
{
    const flow::Flow *f = m_model->flowAt(m_view->currentIndex().row());
    m_currentFlow = f ? f->id : 0;
}

void MainWindow::restoreCurrentFlow()
{
    // A reset (new filter or order, a large batch) keeps the flow the user was looking at.
    const int row = m_currentFlow ? m_model->rowOfFlow(m_currentFlow) : -1;
    if (row < 0) {
        m_detail->showFlow(0); // filtered out: not shown beside a table that lacks it
        return;
    }
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    // The window fits the screen it opens on: at 1280x800 the status bar (the proxy address)
    // stays in sight.
    const QSize available = screen() ? screen()->availableGeometry().size() : QSize(1280, 800);
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(QSize(1280, 800).boundedTo(available));
    restoreState(settings.value(kStateKey).toByteArray());
    m_view->horizontalHeader()->restoreState(settings.value(kHeaderKey).toByteArray());
    m_autoScrollAction->setChecked(settings.value(kAutoScrollKey, true).toBool());
#ifdef TS_HAVE_FILTER
    const QString filter = settings.value(kFilterKey).toString();
    if (!filter.isEmpty()) {
        m_filterEdit->setText(filter);
        applyFilter();
    }
#endif
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    settings.setValue(kHeaderKey, m_view->horizontalHeader()->saveState());
    settings.setValue(kAutoScrollKey, m_autoScrollAction->isChecked());
    settings.setValue(kFilterKey, m_filterEdit->text());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_quitWithoutAsking && hasUnsavedCapture()) {
        QMessageBox box(QMessageBox::Warning, tr("Quit Tunnelscope"),
                        m_store.size() == 1
                            ? tr("The capture (1 flow) has changes that are not saved.")
                            : tr("The capture (%1 flows) has changes that are not saved.")
                                  .arg(QLocale().toString(qulonglong(m_store.size()))),
                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("unsavedBox"));
        box.setInformativeText(tr("Save the capture before quitting?"));
        box.setDefaultButton(QMessageBox::Save);
        const int answer = box.exec();
        if (answer == QMessageBox::Save)
            saveSession(); // asks where when no session file is open yet
        if (answer == QMessageBox::Cancel || (answer == QMessageBox::Save && m_dirty)) {
            event->ignore(); // cancelled, or the save did not happen
            return;
        }
    }
    // Quitting by the user's choice: nothing to recover at the next start. After a signal the
    // autosave stays for offerRecovery().
    if (!m_quitWithoutAsking && ownsAutosave())
        QFile::remove(autosavePath());
    saveSettings();
    QMainWindow::closeEvent(event);
}

} // namespace ts::ui
