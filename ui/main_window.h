#pragma once

#include <QMainWindow>
#include <QStringList>

class QAction;
class QLabel;
class QTableView;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

class FlowTableModel;

// The application window: the live flows table, what the proxy listens on and how many flows
// it has seen. The store is passed in (no singletons), so a test can drive it with a FlowStore
// of its own.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(flow::FlowStore &store, QStringList listenAddresses, QWidget *parent = nullptr);
    ~MainWindow() override;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void setUpTable();
    void askAndExportHar();
    void updateFlowCount();
    void followNewRows();
    void restoreSettings();
    void saveSettings() const;

    flow::FlowStore &m_store;
    QStringList m_listenAddresses;
    FlowTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_listeningLabel = nullptr;
    QLabel *m_flowCountLabel = nullptr;
    QAction *m_autoScrollAction = nullptr;
};

} // namespace ts::ui
