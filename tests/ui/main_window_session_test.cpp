#include "core/engine/engine.h"
#include "core/flow/flow_store.h"
#include "ui/composer/composer_pane.h"
#include "ui/detail/flow_detail_pane.h"
#include "ui/detail/message_view.h"
#include "ui/main_window.h"
#include "ui/models/flow_table_model.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>

using namespace ts::flow;
using ts::ui::EngineControls;
using ts::ui::MainWindow;
using ts::ui::Settings;
using namespace Qt::StringLiterals;

namespace {

void publishExchanges(FlowStore &store, FlowId first, FlowId last)
{
    for (FlowId id = first; id <= last; ++id) {
        Flow f;
        f.id = id;
        f.state = FlowState::Complete;
        f.startedWall = 1'700'000'000'000 + ts::WallMillis(id) * 1000;
        f.scheme = id % 2 ? "https" : "http";
        f.host = "example.com";
        f.port = id % 2 ? 443 : 80;
        f.method = id == 3 ? "POST" : "GET";
        f.path = "/items/" + std::to_string(id);
        f.clientProtocol = "HTTP/1.1";
        f.serverProtocol = "HTTP/1.1";
        f.requestHeaders = {{"Host", "example.com"},
                            {"Accept", "application/json"},
                            {"X-Trace", std::to_string(id * 7)}};
        f.status = id == 4 ? 404 : 200;
        f.reason = id == 4 ? "Not Found" : "OK";
        f.responseHeaders = {{"Content-Type", "text/plain"}, {"Server", "test"}};
        store.publish(f);
    }
    store.flush();
}

QTableView *table(const MainWindow &window)
{
    return window.findChild<QTableView *>(u"flowTable"_s);
}

// Every cell's text, row by row: what the user sees.
QList<QStringList> cells(const MainWindow &window)
{
    const QAbstractItemModel *model = table(window)->model();
    QList<QStringList> rows;
    for (int row = 0; row < model->rowCount(); ++row) {
        QStringList line;
        for (int column = 0; column < model->columnCount(); ++column)
            line << model->index(row, column).data().toString();
        rows << line;
    }
    return rows;
}

QList<QStringList> requestHeaderRows(const MainWindow &window)
{
    const QTableWidget *headers
        = window.findChild<ts::ui::FlowDetailPane *>()->requestView()->headersTable();
    QList<QStringList> rows;
    for (int row = 0; row < headers->rowCount(); ++row) {
        QStringList line;
        for (int column = 0; column < headers->columnCount(); ++column)
            line << (headers->item(row, column) ? headers->item(row, column)->text() : QString());
        rows << line;
    }
    return rows;
}

// A drag carrying one local file, delivered to the window; returns whether it was accepted.
bool dragOnto(MainWindow &window, const QString &path, bool drop)
{
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint at = window.rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    enter.setAccepted(false);
    QCoreApplication::sendEvent(&window, &enter);
    if (!enter.isAccepted() || !drop)
        return enter.isAccepted();
    QDropEvent dropped(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    dropped.setAccepted(false);
    QCoreApplication::sendEvent(&window, &dropped);
    return dropped.isAccepted();
}

} // namespace

// The window's File menu and Preferences, offscreen: a saved session reopens as it was, HAR
// goes out and comes back, settings reach the engine through EngineControls, a dropped file
// opens. (That a kill while saving leaves the old file readable is core/session's
// killedWhileSaving, tests/core/session/session_file_test.cpp.)
class MainWindowSessionTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings goes to a test location
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowSessionTest"_s);
        QSettings().clear();
    }
    void cleanup() { QSettings().clear(); }

    void savedSessionReopensIdentical()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"recorded.tss"_s);
        QList<QStringList> before;
        QList<QStringList> headersBefore;
        {
            FlowStore store;
            publishExchanges(store, 1, 6);
            MainWindow window(store, {u"127.0.0.1:8080"_s});
            window.selectFlow(3);
            headersBefore = requestHeaderRows(window);
            QVERIFY(window.saveSessionTo(path));
            QCOMPARE(window.sessionPath(), path);
            QVERIFY(window.windowTitle().startsWith(u"recorded.tss"_s));
            before = cells(window);
        }
        QCOMPARE(before.size(), 6);
        QCOMPARE(headersBefore.size(), 3);

        FlowStore store;
        publishExchanges(store, 1, 2); // replaced: a session is opened, not added
        EngineControls engine;
        MainWindow window(store, {u"127.0.0.1:8080"_s}, engine);
        QVERIFY(window.openFile(path));
        QCOMPARE(cells(window), before);
        // Live flows that arrive next get ids past the session's.
        QCOMPARE(store.ids()->lastFlow.load(), 6u);
        QCOMPARE(store.ids()->newFlowId(), 7u);
        window.selectFlow(3);
        QCOMPARE(window.findChild<ts::ui::FlowDetailPane *>()->flowId(), 3u);
        QCOMPARE(requestHeaderRows(window), headersBefore);
        QVERIFY(window.windowTitle().startsWith(u"recorded.tss"_s));
        // The status bar says the proxy keeps recording into the opened session.
        QVERIFY(
            window.findChild<QLabel *>(u"listeningLabel"_s)->text().contains(u"recorded.tss"_s));
    }

    void unwritableSessionPathSavesToATemporaryFile()
    {
        FlowStore store;
        publishExchanges(store, 1, 3);
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        // The warning is modal: read and close it from the event loop it runs.
        QString text;
        QTimer::singleShot(0, &window, [&text] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                text = box->text();
                box->accept();
            }
        });
        QVERIFY(!window.saveSessionTo(u"/nonexistent-dir-for-tunnelscope/s.tss"_s));
        QVERIFY2(text.contains(u"saved to "_s), qPrintable(text));
        const QString fallback = text.section(u"saved to "_s, 1).section(u" instead"_s, 0, 0);
        QVERIFY2(QFile::exists(fallback), qPrintable(fallback));
        FlowStore reopened;
        MainWindow other(reopened, {u"127.0.0.1:8080"_s});
        QVERIFY(other.openFile(fallback));
        QCOMPARE(reopened.size(), std::size_t(3));
        QFile::remove(fallback);
        QVERIFY(window.sessionPath().isEmpty()); // the path asked for is not taken as saved
    }

    void statusBarSaysWhenOutOfDescriptors()
    {
        FlowStore store;
        bool paused = false;
        EngineControls engine;
        engine.acceptPaused = [&paused] {
            return paused;
        };
        MainWindow window(store, {u"127.0.0.1:8080"_s}, engine);
        window.show();
        auto *label = window.findChild<QLabel *>(u"descriptorsLabel"_s);
        QVERIFY(label);
        QVERIFY(!label->isVisible());
        paused = true;
        QTRY_VERIFY_WITH_TIMEOUT(label->isVisible(), 10000); // polled with the memory figures
        paused = false;
        QTRY_VERIFY_WITH_TIMEOUT(!label->isVisible(), 10000);
    }

    void harExportImportRoundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"flows.har"_s);
        FlowStore store;
        publishExchanges(store, 1, 5);
        MainWindow window(store, {});
        QVERIFY(window.exportHar(path));

        FlowStore other;
        MainWindow again(other, {});
        QVERIFY(again.importHar(path));
        QCOMPARE(other.size(), store.size());
        using M = ts::ui::FlowTableModel;
        const QAbstractItemModel *a = table(window)->model();
        const QAbstractItemModel *b = table(again)->model();
        for (int row = 0; row < 5; ++row) {
            for (int column : {int(M::MethodColumn), int(M::HostColumn), int(M::PathColumn),
                               int(M::StatusColumn), int(M::SchemeColumn)})
                QCOMPARE(b->index(row, column).data(), a->index(row, column).data());
        }
        // Imported flows take the store's next ids, and live ones count on after them.
        QCOMPARE(other.at(0).id, 1u);
        QCOMPARE(other.at(4).id, 5u);
        QCOMPARE(other.ids()->newFlowId(), 6u);
        QVERIFY(again.importHar(path)); // imported again: after those
        QCOMPARE(other.at(5).id, 7u);
        QCOMPARE(other.at(0).requestHeaders, store.at(0).requestHeaders);
    }

    void settingsApplyCallsTheEngine()
    {
        FlowStore store;
        QStringList calls;
        EngineControls engine;
        engine.setIntercepting = [&](bool on) {
            calls << u"intercept %1"_s.arg(on);
        };
        engine.setPassthrough = [&](const QStringList &patterns) {
            calls << u"passthrough %1"_s.arg(patterns.join(u','));
            return QString();
        };
        engine.setVerifyServers = [&](bool on) {
            calls << u"verify %1"_s.arg(on);
        };
        engine.setFrameLogCapacity = [&](std::size_t n) {
            calls << u"frames %1"_s.arg(n);
        };
        engine.setUpstream = [&](const ts::upstream::ChainRules &rules) {
            calls << u"upstream %1 / %2"_s.arg(
                QString::fromStdString(rules.defaultChain().display()),
                QString::fromStdString(rules.chainFor("10.0.0.1").display()));
        };
        engine.intercepting = true;
        MainWindow window(store, {u"127.0.0.1:8080"_s}, engine);

        Settings next = window.settings();
        next.intercept = false;
        next.passthrough = {u"*.bank.example"_s, u" "_s, u"re:^pay\\."_s};
        next.verifyUpstream = false;
        next.frameLogFrames = 500;
        next.bodyMemoryMiB = 64;
        next.bodyCapKiB = 256;
        next.listenPort = 9090;
        next.upstreamHops = {u"http://alice:pw@127.0.0.1:3128"_s, u"socks5h://127.0.0.1:1080"_s};
        next.upstreamRules = {u"10.* = direct"_s};
        const QStringList restart = window.applySettings(next);
        QCOMPARE(restart, QStringList{QLatin1String(Settings::kListenPort)});
        QCOMPARE(calls, (QStringList{u"intercept 0"_s, u"passthrough *.bank.example,re:^pay\\."_s,
                                     u"verify 0"_s, u"frames 500"_s,
                                     u"upstream http://alice:***@127.0.0.1:3128 \u2192 "
                                     "socks5h://127.0.0.1:1080 / direct"_s}));
        QCOMPARE(store.budget()->totalMemory.load(), 64ull << 20);
        QCOMPARE(store.budget()->perBodyMemory.load(), 256ull << 10);
        QVERIFY(!window.findChild<QAction *>(u"interceptAction"_s)->isChecked());
        QCOMPARE(window.settings(), next);
        // Saved, and told (without a modal box) what waits for a restart.
        QSettings saved;
        QCOMPARE(Settings::load(saved), next);
        auto *box = window.findChild<QMessageBox *>(u"settingsAppliedBox"_s);
        QVERIFY(box);
        QVERIFY(box->text().contains(u"restart"_s));
        box->close();

        // The toolbar's toggle uses the same hook and the same saved key.
        calls.clear();
        window.findChild<QAction *>(u"interceptAction"_s)->trigger();
        QCOMPARE(calls, QStringList{u"intercept 1"_s});
        QVERIFY(QSettings().value(QLatin1String(Settings::kIntercept)).toBool());

        // Nothing changed: nothing called.
        calls.clear();
        QVERIFY(window.applySettings(window.settings()).isEmpty());
        QVERIFY(calls.isEmpty());
    }

    void settingsWithoutHooksWaitForRestart()
    {
        FlowStore store;
        MainWindow window(store, {u"127.0.0.1:8080"_s});
        Settings next = window.settings();
        next.intercept = false;
        next.bodyMemoryMiB = 32;
        next.upstreamHops = {u"http://127.0.0.1:3128"_s};
        const QStringList restart = window.applySettings(next);
        QCOMPARE(restart, (QStringList{QLatin1String(Settings::kIntercept),
                                       QLatin1String(Settings::kUpstreamHops)}));
        QCOMPARE(store.budget()->totalMemory.load(), 32ull << 20); // the store's: always live
    }

    void commandLineValuesAreNotSavedUnlessEdited()
    {
        // The window starts with --listen's port in effect; editing only the frame log size
        // saves only that.
        FlowStore store;
        EngineControls engine;
        engine.settings.listenPort = 9999;
        MainWindow window(store, {u"127.0.0.1:9999"_s}, engine);
        Settings next = window.settings();
        next.frameLogFrames = 2000;
        window.applySettings(next);
        QSettings saved;
        QCOMPARE(Settings::load(saved).frameLogFrames, 2000);
        QCOMPARE(Settings::load(saved).listenPort, Settings{}.listenPort);
        if (auto *box = window.findChild<QMessageBox *>(u"settingsAppliedBox"_s))
            box->close();
    }

    void editAndReplayGoThroughTheComposer()
    {
        FlowStore store;
        publishExchanges(store, 1, 3);
        EngineControls engine;
        engine.config = std::make_shared<const ts::engine::EngineConfig>();
        ts::engine::Engine running(*engine.config, store); // not started: nothing is sent
        engine.engine = &running;
        MainWindow window(store, {u"127.0.0.1:8080"_s}, engine);
        auto *pane = window.findChild<ts::ui::ComposerPane *>();
        QVERIFY(pane);
        QVERIFY(window.findChild<QAction *>(u"replayAction"_s));
        window.selectFlow(3);
        window.findChild<QAction *>(u"editReplayAction"_s)->trigger();
        QCOMPARE(pane->request().method, u"POST"_s);
        QCOMPARE(pane->request().url, u"https://example.com/items/3"_s);
        QVERIFY(window.findChild<QDockWidget *>(u"composerDock"_s)->isVisibleTo(&window));

        // Its history travels in the session file.
        QTemporaryDir dir;
        const QString path = dir.filePath(u"with-history.tss"_s);
        const QByteArray history = pane->saveHistory();
        QVERIFY(window.saveSessionTo(path));
        FlowStore other;
        MainWindow again(other, {}, engine);
        QVERIFY(again.openFile(path));
        QCOMPARE(again.findChild<ts::ui::ComposerPane *>()->saveHistory(), history);
    }

    void droppedHarFileOpens()
    {
        QTemporaryDir dir;
        const QString har = dir.filePath(u"dropped.har"_s);
        {
            FlowStore source;
            publishExchanges(source, 1, 4);
            MainWindow exporter(source, {});
            QVERIFY(exporter.exportHar(har));
        }
        const QString text = dir.filePath(u"notes.txt"_s);
        QFile notes(text);
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not a capture");
        notes.close();

        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.acceptDrops());
        QVERIFY(!dragOnto(window, text, false)); // no drop indicator for other files
        QVERIFY(dragOnto(window, dir.filePath(u"s.tss"_s), false));
        QVERIFY(dragOnto(window, har, true));
        QTRY_COMPARE(table(window)->model()->rowCount(), 4);
        QCOMPARE(store.at(3).path, "/items/4");
    }
};

QTEST_MAIN(MainWindowSessionTest)
#include "main_window_session_test.moc"
