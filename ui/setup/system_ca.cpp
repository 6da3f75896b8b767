#include "ui/setup/system_ca.h"

namespace ts::ui {

using namespace Qt::StringLiterals;

QString SystemCaCommands::install(const QString &caFile)
{
    QString quoted = caFile;
    quoted.replace(u"'"_s, u"'\\''"_s);
    return u"sudo install -m 644 '"_s + quoted + u"' "_s + storedFile()
           + u"\nsudo update-ca-certificates"_s;
}

QString SystemCaCommands::remove()
{
    // --fresh rebuilds /etc/ssl/certs from scratch, so no link to the removed file is left.
    return u"sudo rm "_s + storedFile() + u"\nsudo update-ca-certificates --fresh"_s;
}

} // namespace ts::ui
