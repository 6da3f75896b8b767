#include "ui/setup/lan_setup.h"

#include <QNetworkInterface>

#include <algorithm>

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

QString unbracketed(const QString &host)
{
    return host.startsWith(u'[') && host.endsWith(u']') ? host.mid(1, host.size() - 2) : host;
}

QString urlHost(const QHostAddress &a)
{
    return a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']'
                                                         : a.toString();
}

} // namespace

bool LanSetup::isLoopback(const QString &listenHost)
{
    const QString host = unbracketed(listenHost);
    return host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0
           || QHostAddress(host).isLoopback();
}

QStringList LanSetup::reachable(const QString &listenHost, const QList<QHostAddress> &local)
{
    const QString host = unbracketed(listenHost);
    if (isLoopback(host))
        return {};
    const QHostAddress address(host);
    const bool anyV4 = address == QHostAddress(QHostAddress::AnyIPv4);
    if (!anyV4 && address != QHostAddress(QHostAddress::AnyIPv6))
        return {address.isNull() ? host : urlHost(address)};
    QStringList out;
    for (const QHostAddress &a : local) {
        if (anyV4 && a.protocol() != QAbstractSocket::IPv4Protocol)
            continue;
        out << urlHost(a);
    }
    return out;
}

QList<QHostAddress> LanSetup::localAddresses()
{
    QList<QHostAddress> out;
    const auto interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &i : interfaces) {
        const auto flags = i.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp)
            || !flags.testFlag(QNetworkInterface::IsRunning)
            || flags.testFlag(QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry &e : i.addressEntries()) {
            const QHostAddress a = e.ip();
            if (a.isLoopback() || a.isLinkLocal())
                continue;
            QHostAddress plain = a;
            plain.setScopeId({});
            out << plain;
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const QHostAddress &a, const QHostAddress &b) {
        return a.protocol() == QAbstractSocket::IPv4Protocol
               && b.protocol() != QAbstractSocket::IPv4Protocol;
    });
    return out;
}

} // namespace ts::ui
