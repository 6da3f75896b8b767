#include "core/engine/config_folder.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace ts::engine {

using namespace Qt::StringLiterals;

QString configFolder()
{
    return QDir::cleanPath(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
                           + u'/' + QCoreApplication::organizationName());
}

QString legacyConfigFolder()
{
    return QDir::cleanPath(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
                           + u'/' + QCoreApplication::organizationName() + u'/'
                           + QCoreApplication::applicationName());
}

QString migratedPath(const QString &name, QString *notice)
{
    const QString folder = configFolder();
    const QString target = folder + u'/' + name;
    const QString legacy = legacyConfigFolder();
    if (legacy == folder)
        return target;
    const QString source = legacy + u'/' + name;
    const QFileInfo sourceInfo(source);
    if (!sourceInfo.exists() && !sourceInfo.isSymLink())
        return target;
    if (QFileInfo::exists(target))
        return target; // already moved, or made anew: the config folder's copy wins

    const QByteArray from = QFile::encodeName(source);
    const QByteArray to = QFile::encodeName(target);
    // The config folder exists (the legacy one is inside it); private like the CA's own.
    ::mkdir(QFile::encodeName(folder).constData(), 0700);
    if (std::rename(from.constData(), to.constData()) != 0) {
        if (notice)
            *notice = u"could not move %1 to %2 (%3); using it where it is"_s.arg(
                source, target, QString::fromLocal8Bit(std::strerror(errno)));
        return source;
    }
    // Gone once empty (rmdir refuses a folder that still holds anything).
    QDir().rmdir(legacy);
    return target;
}

} // namespace ts::engine
