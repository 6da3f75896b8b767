#include "core/flow/flow_store.h"
#include "core/session/session_file.h"
#include "ui/main_window.h"

#include <QAbstractButton>
#include <QApplication>
#include <QFile>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace ts::flow;
using ts::ui::MainWindow;
using namespace Qt::StringLiterals;

namespace {

void publishFlows(FlowStore &store, FlowId first, FlowId last)
{
    for (FlowId id = first; id <= last; ++id) {
        Flow f;
        f.id = id;
        f.state = FlowState::Complete;
        f.scheme = "http";
        f.host = "example.com";
        f.port = 80;
        f.method = "GET";
        f.path = "/" + std::to_string(id);
        f.status = 200;
        store.publish(f);
    }
    store.flush();
}

// Answers the next modal message box with the button of `role` (and notes that one came).
void answerNextBox(QMessageBox::StandardButton button, bool *asked)
{
    QTimer::singleShot(0, qApp, [button, asked] {
        QTRY_VERIFY(qobject_cast<QMessageBox *>(QApplication::activeModalWidget()));
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        *asked = true;
        box->button(button)->click();
    });
}

std::size_t flowsIn(const QString &path)
{
    auto opened = ts::session::openSession(path, std::make_shared<BodyBudget>());
    return opened ? opened->flows.size() : 0;
}

} // namespace

// Issue 17, defect 4: quitting threw the capture away, without a word.
class MainWindowQuitTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings and the autosave stay in tests
        QCoreApplication::setOrganizationName(u"TunnelscopeTest"_s);
        QCoreApplication::setApplicationName(u"MainWindowQuitTest"_s);
        QSettings().clear();
    }
    void init() { QFile::remove(MainWindow::autosavePath()); }
    void cleanupTestCase()
    {
        QSettings().clear();
        QFile::remove(MainWindow::autosavePath());
    }

    void closingWithUnsavedCaptureAsks()
    {
        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        publishFlows(store, 1, 3);
        QVERIFY(window.hasUnsavedCapture());

        bool asked = false;
        answerNextBox(QMessageBox::Cancel, &asked);
        QVERIFY(!window.close());
        QVERIFY(asked);
        QVERIFY(window.isVisible());

        asked = false;
        answerNextBox(QMessageBox::Discard, &asked);
        QVERIFY(window.close());
        QVERIFY(asked);
        QVERIFY(!QFile::exists(MainWindow::autosavePath()));
    }

    void saveFromTheQuestion()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"capture.tss"_s);
        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        publishFlows(store, 1, 2);
        QVERIFY(window.saveSessionTo(path));
        QVERIFY(!window.hasUnsavedCapture());
        publishFlows(store, 3, 4);
        bool asked = false;
        answerNextBox(QMessageBox::Save, &asked);
        QVERIFY(window.close());
        QVERIFY(asked);
        QCOMPARE(flowsIn(path), std::size_t(4));
    }

    void nothingNewClosesWithoutAQuestion()
    {
        FlowStore store;
        MainWindow window(store, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close()); // nothing recorded: no box (a box would block this test)
    }

    void aSignalAutosavesAndTheNextStartOffersIt()
    {
        {
            FlowStore store;
            MainWindow window(store, {});
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            publishFlows(store, 1, 5);
            window.quitWithoutAsking(); // SIGTERM: no question, nobody may be there
            QVERIFY(!window.isVisible());
        }
        QCOMPARE(flowsIn(MainWindow::autosavePath()), std::size_t(5));

        {
            FlowStore store;
            MainWindow window(store, {});
            bool asked = false;
            QTimer::singleShot(0, qApp, [&asked] {
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                QVERIFY(box);
                QCOMPARE(box->objectName(), u"recoverBox"_s);
                asked = true;
                for (QAbstractButton *b : box->buttons())
                    if (b->text() == u"&Open It"_s)
                        b->click();
            });
            QVERIFY(window.offerRecovery());
            QVERIFY(asked);
            QCOMPARE(store.size(), std::size_t(5));
            QVERIFY(window.hasUnsavedCapture()); // recovered, not saved anywhere of the user's
            QVERIFY(window.sessionPath().isEmpty());

            // A second Tunnelscope meanwhile leaves the first one's autosave alone.
            FlowStore second;
            MainWindow other(second, {});
            QVERIFY(!other.offerRecovery()); // no box: it would block here
            publishFlows(second, 1, 1);
            QVERIFY(!other.autosave());
        }

        // Discarding it at the next start removes it.
        FlowStore other;
        MainWindow again(other, {});
        QVERIFY(QFile::exists(MainWindow::autosavePath()));
        QTimer::singleShot(0, qApp, [] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            for (QAbstractButton *b : box->buttons())
                if (b->text() == u"&Discard It"_s)
                    b->click();
        });
        QVERIFY(!again.offerRecovery());
        QVERIFY(!QFile::exists(MainWindow::autosavePath()));
        QCOMPARE(other.size(), std::size_t(0));
    }

    void autosaveWritesOnlyWhatChanged()
    {
        FlowStore store;
        MainWindow window(store, {});
        QVERIFY(!window.autosave()); // nothing recorded
        publishFlows(store, 1, 2);
        QVERIFY(window.autosave());
        QVERIFY(!window.autosave()); // nothing new since
        publishFlows(store, 3, 3);
        QVERIFY(window.autosave());
        QCOMPARE(flowsIn(MainWindow::autosavePath()), std::size_t(3));
    }
};

QTEST_MAIN(MainWindowQuitTest)
#include "main_window_quit_test.moc"
