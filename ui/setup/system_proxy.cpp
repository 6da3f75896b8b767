#include "ui/setup/system_proxy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <unistd.h>

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

const QString kGnomeProxy = u"org.gnome.system.proxy"_s;
const QString kGnomeHttp = u"org.gnome.system.proxy.http"_s;
const QString kGnomeHttps = u"org.gnome.system.proxy.https"_s;
const QString kKdeFile = u"kioslaverc"_s;
const QString kKdeGroup = u"Proxy Settings"_s;

QByteArray readSmallFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(4096).trimmed() : QByteArray();
}

// Changes with every boot: a process id from an earlier boot names nobody.
QString bootId()
{
    return QString::fromLatin1(readSmallFile(u"/proc/sys/kernel/random/boot_id"_s));
}

// The journal's process runs: the same boot, alive, and a Tunnelscope (the same program name
// as this one), not some other program that got the id since.
bool journalOwnerRuns(qint64 pid, const QString &boot)
{
    if (pid <= 0 || boot != bootId())
        return false;
    if (::kill(pid_t(pid), 0) != 0 && errno != EPERM)
        return false;
    return readSmallFile(u"/proc/%1/comm"_s.arg(pid)) == readSmallFile(u"/proc/self/comm"_s);
}

QString desktopName(SystemProxy::Desktop desktop)
{
    return desktop == SystemProxy::Desktop::Gnome ? u"gnome"_s : u"kde"_s;
}

} // namespace

QString SystemProxy::kdeTool(const QString &kind) const
{
    for (const QString &version : {u"6"_s, u"5"_s}) {
        const QString path = m_runner.find(kind + version);
        if (!path.isEmpty())
            return path;
    }
    return {};
}

QList<SystemProxy::Desktop> SystemProxy::available() const
{
    QList<Desktop> desktops;
    if (!m_runner.find(u"gsettings"_s).isEmpty())
        desktops << Desktop::Gnome;
    if (!kdeTool(u"kwriteconfig"_s).isEmpty() && !kdeTool(u"kreadconfig"_s).isEmpty())
        desktops << Desktop::Kde;
    return desktops;
}

Result<void> SystemProxy::run(const QString &program, const QStringList &arguments)
{
    const CommandRunner::Outcome outcome = m_runner.run(program, arguments);
    if (outcome.ok())
        return {};
    return Error{
        "setup.command",
        tr("%1 failed: %2")
            .arg(program + u' ' + arguments.join(u' '),
                 outcome.error.isEmpty() ? tr("exit code %1").arg(outcome.exitCode) : outcome.error)
            .toStdString()};
}

Result<void> SystemProxy::enable(Desktop desktop, const QString &host, quint16 port)
{
    if (isActive(desktop))
        return {}; // already ours: keep the first saved values
    Result<void> r = desktop == Desktop::Gnome ? enableGnome(host, port) : enableKde(host, port);
    if (!r)
        restore(desktop); // whatever was written before the failure goes back
    return r;
}

Result<void> SystemProxy::enableGnome(const QString &host, quint16 port)
{
    const QString gsettings = m_runner.find(u"gsettings"_s);
    if (gsettings.isEmpty())
        return Error{"setup.missing", tr("gsettings is not installed").toStdString()};
    // GVariant text, as gsettings get prints and gsettings set parses.
    const QString quotedHost = u'\'' + QString(host).remove(u'\'') + u'\'';
    const QList<std::pair<QStringList, QString>> wanted = {
        {{kGnomeHttp, u"host"_s}, quotedHost},
        {{kGnomeHttp, u"port"_s}, QString::number(port)},
        {{kGnomeHttps, u"host"_s}, quotedHost},
        {{kGnomeHttps, u"port"_s}, QString::number(port)},
        {{kGnomeProxy, u"ignore-hosts"_s}, u"['localhost', '127.0.0.0/8', '::1']"_s},
        {{kGnomeProxy, u"mode"_s}, u"'manual'"_s}, // last: the switch, once the rest is there
    };
    QList<Saved> saved;
    for (const auto &[location, value] : wanted) {
        const CommandRunner::Outcome read
            = m_runner.run(gsettings, QStringList{u"get"_s} + location);
        if (!read.ok())
            return Error{"setup.command", tr("gsettings cannot read %1: %2")
                                              .arg(location.join(u' '), read.error)
                                              .toStdString()};
        saved.append({Desktop::Gnome, location, read.output, true});
    }
    // Saved before the first write: a failure half-way is undone by restore().
    m_saved += saved;
    if (auto r = writeJournal(); !r)
        return r;
    for (const auto &[location, value] : wanted) {
        if (auto r = run(gsettings, QStringList{u"set"_s} + location + QStringList{value}); !r)
            return r;
    }
    return {};
}

Result<void> SystemProxy::enableKde(const QString &host, quint16 port)
{
    const QString write = kdeTool(u"kwriteconfig"_s);
    const QString read = kdeTool(u"kreadconfig"_s);
    if (write.isEmpty() || read.isEmpty())
        return Error{"setup.missing",
                     tr("kwriteconfig5 and kreadconfig5 are not installed").toStdString()};
    // KDE writes a manual proxy as "http://host port".
    const QString proxy = u"http://"_s + host + u' ' + QString::number(port);
    const QList<std::pair<QString, QString>> wanted = {
        {u"httpProxy"_s, proxy},
        {u"httpsProxy"_s, proxy},
        {u"NoProxyFor"_s, u"localhost,127.0.0.1,::1"_s},
        {u"ProxyType"_s, u"1"_s}, // 1: manual; last, once the rest is there
    };
    QList<Saved> saved;
    for (const auto &[key, value] : wanted) {
        const QStringList location = {kKdeFile, kKdeGroup, key};
        const CommandRunner::Outcome outcome
            = m_runner.run(read, {u"--file"_s, kKdeFile, u"--group"_s, kKdeGroup, u"--key"_s, key});
        if (!outcome.ok())
            return Error{"setup.command",
                         tr("%1 cannot read %2: %3").arg(read, key, outcome.error).toStdString()};
        saved.append({Desktop::Kde, location, outcome.output, !outcome.output.isEmpty()});
    }
    m_saved += saved;
    if (auto r = writeJournal(); !r)
        return r;
    for (const auto &[key, value] : wanted) {
        if (auto r
            = run(write, {u"--file"_s, kKdeFile, u"--group"_s, kKdeGroup, u"--key"_s, key, value});
            !r)
            return r;
    }
    notifyKde();
    return {};
}

bool SystemProxy::isActive(Desktop desktop) const
{
    return std::any_of(m_saved.cbegin(), m_saved.cend(),
                       [desktop](const Saved &s) { return s.desktop == desktop; });
}

Result<void> SystemProxy::restoreAll()
{
    Result<void> gnome = restore(Desktop::Gnome);
    Result<void> kde = restore(Desktop::Kde);
    return gnome ? kde : gnome;
}

Result<void> SystemProxy::restore(Desktop desktop)
{
    Result<void> result;
    // The reverse order: the mode switch goes back first.
    for (auto it = m_saved.crbegin(); it != m_saved.crend(); ++it) {
        if (it->desktop != desktop)
            continue;
        Result<void> r;
        if (desktop == Desktop::Gnome) {
            r = run(m_runner.find(u"gsettings"_s),
                    QStringList{u"set"_s} + it->location + QStringList{it->value});
        } else {
            const QStringList where = {u"--file"_s,        it->location.at(0), u"--group"_s,
                                       it->location.at(1), u"--key"_s,         it->location.at(2)};
            r = run(kdeTool(u"kwriteconfig"_s),
                    where + QStringList{it->present ? it->value : u"--delete"_s});
        }
        if (!r && result)
            result = r; // the first failure is reported; the rest is still tried
    }
    m_saved.removeIf([desktop](const Saved &s) { return s.desktop == desktop; });
    writeJournal(); // what failed to go back is reported now; the journal cannot do better
    if (desktop == Desktop::Kde)
        notifyKde();
    return result;
}

Result<void> SystemProxy::writeJournal() const
{
    if (m_journal.isEmpty())
        return {};
    if (m_saved.isEmpty()) {
        QFile::remove(m_journal);
        return {};
    }
    QJsonArray saved;
    for (const Saved &s : m_saved)
        saved.append(QJsonObject{{u"desktop"_s, desktopName(s.desktop)},
                                 {u"location"_s, QJsonArray::fromStringList(s.location)},
                                 {u"value"_s, s.value},
                                 {u"present"_s, s.present}});
    const QJsonObject journal{
        {u"pid"_s, QCoreApplication::applicationPid()}, {u"boot"_s, bootId()}, {u"saved"_s, saved}};
    QDir().mkpath(QFileInfo(m_journal).path());
    QSaveFile file(m_journal);
    const QByteArray bytes = QJsonDocument(journal).toJson();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Error{"setup.journal",
                     tr("cannot write %1 (%2), which puts the system proxy back after a crash")
                         .arg(m_journal, file.errorString())
                         .toStdString()};
    return {};
}

Result<QList<SystemProxy::Desktop>> SystemProxy::recover()
{
    QList<Desktop> desktops;
    QFile file(m_journal);
    if (m_journal.isEmpty() || !file.open(QIODevice::ReadOnly))
        return desktops;
    const QJsonObject journal = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    if (journalOwnerRuns(journal.value(u"pid"_s).toInteger(), journal.value(u"boot"_s).toString()))
        return desktops; // that Tunnelscope puts it back itself
    QList<Saved> left;
    const QJsonArray saved = journal.value(u"saved"_s).toArray();
    for (const QJsonValue &v : saved) {
        const QJsonObject o = v.toObject();
        const QString name = o.value(u"desktop"_s).toString();
        const QStringList location = o.value(u"location"_s).toVariant().toStringList();
        if ((name != u"gnome"_s && name != u"kde"_s)
            || location.size() != (name == u"gnome"_s ? 2 : 3))
            continue; // not something this version wrote
        const Desktop desktop = name == u"gnome"_s ? Desktop::Gnome : Desktop::Kde;
        left.append({desktop, location, o.value(u"value"_s).toString(),
                     o.value(u"present"_s).toBool(true)});
        if (!desktops.contains(desktop))
            desktops.append(desktop);
    }
    // In front of anything this process set itself: restore() goes from the back.
    m_saved = left + m_saved;
    Result<void> result;
    for (const Desktop desktop : std::as_const(desktops)) {
        if (Result<void> r = restore(desktop); !r && result)
            result = r;
    }
    writeJournal(); // gone, unless this process has a setting of its own to keep
    if (!result)
        return result.error();
    return desktops;
}

void SystemProxy::notifyKde()
{
    // Running KDE applications reread kioslaverc when told so.
    if (const QString dbus = m_runner.find(u"dbus-send"_s); !dbus.isEmpty())
        m_runner.run(dbus, {u"--type=signal"_s, u"/KIO/Scheduler"_s,
                            u"org.kde.KIO.Scheduler.reparseSlaveConfiguration"_s, u"string:"_s});
}

} // namespace ts::ui
