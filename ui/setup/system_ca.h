#pragma once

#include <QString>

namespace ts::ui {

// Shell commands that put the interception CA into Debian's system trust store (which
// OpenSSL, GnuTLS, curl, wget, Python and most command-line tools read) and take it out again.
// Tunnelscope never runs them: they need root, and a CA there is trusted by the whole system.
struct SystemCaCommands
{
    // /usr/local/share/ca-certificates is the directory for local CAs; the file must end in
    // .crt (PEM inside) for update-ca-certificates to take it.
    static QString storedFile()
    {
        return QStringLiteral("/usr/local/share/ca-certificates/tunnelscope.crt");
    }
    static QString install(const QString &caFile);
    static QString remove();
};

} // namespace ts::ui
