#include "ui/dialogs/port_in_use_dialog.h"

#include <QApplication>
#include <QMessageBox>
#include <QSpinBox>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

using ts::ui::PortInUseDialog;
using namespace Qt::StringLiterals;

namespace {

// Runs `act` on the modal dialog as soon as it is up.
template<typename Act>
void whenModal(Act act)
{
    QTimer::singleShot(0, qApp, [act] {
        QTRY_VERIFY(QApplication::activeModalWidget());
        act(QApplication::activeModalWidget());
    });
}

} // namespace

// Issue 17, defect 5: a busy listen port gets a dialog that names who holds it and offers a
// free port, instead of a line on stderr and no window.
class PortInUseDialogTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesTheHolderAndOffersAFreePort()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        const quint16 busy = holder.serverPort();

        // This test's own process holds it: /proc names it.
        const QString who = ts::ui::portHolder(busy);
        QVERIFY2(who.endsWith(u"(PID %1)"_s.arg(QCoreApplication::applicationPid())),
                 qPrintable(who));

        PortInUseDialog dialog(u"the proxy"_s, QHostAddress::LocalHost, busy,
                               u"address already in use"_s);
        QVERIFY(dialog.messageText().contains(u"127.0.0.1:%1"_s.arg(busy)));
        QVERIFY(dialog.messageText().contains(who));
        QVERIFY(dialog.port() != busy);
        QTcpServer offered;
        QVERIFY(offered.listen(QHostAddress::LocalHost, dialog.port()));
    }

    void acceptingGivesTheConfigTheNewPort()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        ts::engine::EngineConfig config;
        config.listenHost = u"127.0.0.1"_s;
        config.listenPort = holder.serverPort();
        quint16 offered = 0;
        whenModal([&offered](QWidget *modal) {
            auto *dialog = qobject_cast<PortInUseDialog *>(modal);
            QVERIFY(dialog);
            offered = dialog->port();
            dialog->accept();
        });
        QVERIFY(ts::ui::offerAnotherPort(config, u"cannot listen: address already in use"_s));
        QCOMPARE(config.listenPort, offered);
        QVERIFY(offered != holder.serverPort());
    }

    void quitGivesUp()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        ts::engine::EngineConfig config;
        config.listenHost = u"127.0.0.1"_s;
        config.listenPort = holder.serverPort();
        whenModal([](QWidget *modal) { qobject_cast<QDialog *>(modal)->reject(); });
        QVERIFY(!ts::ui::offerAnotherPort(config, u"address already in use"_s));
        QCOMPARE(config.listenPort, holder.serverPort());
    }

    void anotherFailureIsShownNotSwallowed()
    {
        ts::engine::EngineConfig config;
        config.listenHost = u"127.0.0.1"_s;
        config.listenPort = 0; // never busy: the failure was something else
        QString shown;
        whenModal([&shown](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            shown = box->text();
            box->accept();
        });
        QVERIFY(!ts::ui::offerAnotherPort(config, u"'nowhere' is not an IP address"_s));
        QVERIFY(shown.contains(u"'nowhere' is not an IP address"_s));
    }
};

QTEST_MAIN(PortInUseDialogTest)
#include "port_in_use_dialog_test.moc"
