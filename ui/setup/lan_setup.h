#pragma once

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>

namespace ts::ui {

// Where a phone or another computer on the network reaches the proxy. The proxy listens on
// 127.0.0.1 unless the user chose otherwise; only then is there anything to reach.
class LanSetup
{
public:
    // "127.0.0.1", "::1", "localhost" (brackets allowed).
    static bool isLoopback(const QString &listenHost);
    // The addresses other devices can use for a listener on `listenHost`: none for loopback,
    // every one of `local` for a wildcard (0.0.0.0: IPv4 only; [::]: all), else the host
    // itself. As URL hosts: IPv6 in brackets.
    static QStringList reachable(const QString &listenHost, const QList<QHostAddress> &local);
    // This machine's addresses on interfaces that are up, without loopback and link-local
    // ones; IPv4 first.
    static QList<QHostAddress> localAddresses();
};

} // namespace ts::ui
