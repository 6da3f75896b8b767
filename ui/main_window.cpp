#include "ui/main_window.h"

#include "core/flow/flow_store.h"
#include "core/flow/har.h"
#include "ui/models/flow_table_model.h"

#include <QAction>
#include <QCloseEvent>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>

namespace ts::ui {

namespace {

const QString kGeometryKey = QStringLiteral("MainWindow/geometry");
const QString kStateKey = QStringLiteral("MainWindow/state");
const QString kHeaderKey = QStringLiteral("MainWindow/flowTableHeader");
const QString kAutoScrollKey = QStringLiteral("MainWindow/autoScroll");

} // namespace

MainWindow::MainWindow(flow::FlowStore &store, QStringList listenAddresses, QWidget *parent)
    : QMainWindow(parent)
    , m_store(store)
    , m_listenAddresses(std::move(listenAddresses))
    , m_model(new FlowTableModel(store, this))
    , m_view(new QTableView(this))
{
    setWindowTitle(tr("Tunnelscope"));
    setUpTable();
    setCentralWidget(m_view);

    m_listeningLabel = new QLabel(this);
    m_listeningLabel->setObjectName(QStringLiteral("listeningLabel"));
    m_listeningLabel->setText(m_listenAddresses.isEmpty()
                                  ? tr("Not listening")
                                  : tr("Listening on %1").arg(m_listenAddresses.join(u", ")));
    m_flowCountLabel = new QLabel(this);
    m_flowCountLabel->setObjectName(QStringLiteral("flowCountLabel"));
    statusBar()->addWidget(m_listeningLabel, 1);
    statusBar()->addPermanentWidget(m_flowCountLabel);
    updateFlowCount();

    createMenus();

    // Once per batch, not per flow: the model inserts a whole batch with one rowsInserted.
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateFlowCount);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &MainWindow::followNewRows);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updateFlowCount);

    restoreSettings();
}

MainWindow::~MainWindow() = default;

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
    const QFontMetrics metrics = m_view->fontMetrics();
    const auto fit = [&](const QString &sample) {
        return metrics.horizontalAdvance(sample) + 20;
    };
    using M = FlowTableModel;
    columns->resizeSection(M::NumberColumn, fit(QStringLiteral("00000")));
    columns->resizeSection(M::TimeColumn, fit(QStringLiteral("00:00:00.000")));
    columns->resizeSection(M::ClientColumn, fit(QStringLiteral("127.0.0.1:65535")));
    columns->resizeSection(M::MethodColumn, fit(QStringLiteral("OPTIONS")));
    columns->resizeSection(M::HostColumn, fit(QStringLiteral("accounts.example.com:8443")));
    columns->resizeSection(M::StatusColumn, fit(tr("Status")));
    columns->resizeSection(M::SizeColumn, fit(QStringLiteral("\u2191 99.9 KiB  \u2193 99.9 MiB")));
    columns->resizeSection(M::DurationColumn, fit(QStringLiteral("99999 ms")));
    columns->resizeSection(M::ErrorColumn, fit(QStringLiteral("connect: connection refused")));
    columns->setSectionResizeMode(M::PathColumn, QHeaderView::Stretch);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *exportHar = file->addAction(tr("&Export HAR\u2026"));
    exportHar->setObjectName(QStringLiteral("exportHarAction"));
    connect(exportHar, &QAction::triggered, this, &MainWindow::askAndExportHar);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setObjectName(QStringLiteral("quitAction"));
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_autoScrollAction = view->addAction(tr("&Auto-scroll to new flows"));
    m_autoScrollAction->setObjectName(QStringLiteral("autoScrollAction"));
    m_autoScrollAction->setCheckable(true);
    m_autoScrollAction->setChecked(true);
}

void MainWindow::askAndExportHar()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export HAR"), dir + QStringLiteral("/flows.har"),
                                       tr("HTTP Archive (*.har);;All files (*)"));
    if (path.isEmpty())
        return;
    const auto written = flow::writeHar(m_store, path);
    if (!written) {
        QMessageBox::warning(this, tr("Export HAR"),
                             QString::fromStdString(written.error().message));
        return;
    }
    statusBar()->showMessage(tr("Exported to %1").arg(path), 5000);
}

void MainWindow::updateFlowCount()
{
    const int count = m_model->rowCount();
    m_flowCountLabel->setText(count == 1 ? tr("1 flow")
                                         : tr("%1 flows").arg(QLocale().toString(count)));
}

void MainWindow::followNewRows()
{
    if (m_autoScrollAction->isChecked())
        m_view->scrollToBottom();
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1280, 800);
    restoreState(settings.value(kStateKey).toByteArray());
    m_view->horizontalHeader()->restoreState(settings.value(kHeaderKey).toByteArray());
    m_autoScrollAction->setChecked(settings.value(kAutoScrollKey, true).toBool());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    settings.setValue(kHeaderKey, m_view->horizontalHeader()->saveState());
    settings.setValue(kAutoScrollKey, m_autoScrollAction->isChecked());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

} // namespace ts::ui
