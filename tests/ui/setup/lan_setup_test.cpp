// Which addresses a phone on the network can reach the proxy at, for each kind of listen
// address; loopback (the default) gives none.
#include "ui/setup/lan_setup.h"

#include <QTest>

using ts::ui::LanSetup;
using namespace Qt::StringLiterals;

class LanSetupTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reachable_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("the default") << u"127.0.0.1"_s << QStringList();
        QTest::newRow("loopback v6") << u"[::1]"_s << QStringList();
        QTest::newRow("localhost") << u"localhost"_s << QStringList();
        QTest::newRow("one LAN address") << u"192.168.1.20"_s << QStringList{u"192.168.1.20"_s};
        QTest::newRow("a v6 address") << u"[fd00::5]"_s << QStringList{u"[fd00::5]"_s};
        QTest::newRow("all IPv4") << u"0.0.0.0"_s << QStringList{u"192.168.1.20"_s, u"10.0.0.7"_s};
        QTest::newRow("all") << u"[::]"_s
                             << QStringList{u"192.168.1.20"_s, u"10.0.0.7"_s, u"[fd00::5]"_s};
    }

    void reachable()
    {
        QFETCH(QString, listen);
        QFETCH(QStringList, expected);
        const QList<QHostAddress> local{QHostAddress(u"192.168.1.20"_s),
                                        QHostAddress(u"10.0.0.7"_s), QHostAddress(u"fd00::5"_s)};
        QCOMPARE(LanSetup::reachable(listen, local), expected);
    }

    void localAddressesAreNeverLoopback()
    {
        const auto addresses = LanSetup::localAddresses();
        bool seenV6 = false;
        for (const QHostAddress &a : addresses) {
            QVERIFY(!a.isLoopback());
            QVERIFY(!a.isLinkLocal());
            if (a.protocol() == QAbstractSocket::IPv6Protocol)
                seenV6 = true;
            else
                QVERIFY2(!seenV6, "IPv4 addresses come first");
        }
    }
};

QTEST_GUILESS_MAIN(LanSetupTest)
#include "lan_setup_test.moc"
