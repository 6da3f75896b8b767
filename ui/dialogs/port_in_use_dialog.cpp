#include "ui/dialogs/port_in_use_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFormLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTcpServer>
#include <QVBoxLayout>

#include <unistd.h>

namespace ts::ui {

namespace {

// The inodes of sockets listening on `port`, from /proc/net/tcp and tcp6 (state 0A: LISTEN).
QList<QByteArray> listeningInodes(quint16 port)
{
    QList<QByteArray> inodes;
    const QByteArray hexPort = QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // the column names
        while (!file.atEnd()) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            const QList<QByteArray> fields = file.readLine().simplified().split(' ');
            if (fields.size() < 10 || fields[3] != "0A")
                continue;
            const QByteArray &local = fields[1]; // "0100007F:1F90", "[IPv6 hex]:1F90"
            if (local.mid(local.lastIndexOf(':') + 1) == hexPort)
                inodes << fields[9];
        }
    }
    return inodes;
}

} // namespace

QString portHolder(quint16 port)
{
    const QList<QByteArray> inodes = listeningInodes(port);
    if (inodes.isEmpty())
        return {};
    QStringList targets;
    for (const QByteArray &inode : inodes)
        targets << QStringLiteral("socket:[%1]").arg(QString::fromLatin1(inode));
    const QDir proc(QStringLiteral("/proc"));
    for (const QString &pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool number = false;
        pid.toUInt(&number);
        if (!number)
            continue;
        // Readable only for this user's processes: others stay unnamed.
        const QDir fds(proc.filePath(pid + QStringLiteral("/fd")));
        for (const QString &fd : fds.entryList(QDir::System | QDir::NoDotAndDotDot)) {
            // readlink(2), not QFile::symLinkTarget: "socket:[N]" is not a path to resolve.
            char target[64];
            const ssize_t length = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(),
                                              target, sizeof target);
            if (length <= 0 || !targets.contains(QString::fromLatin1(target, qsizetype(length))))
                continue;
            QFile comm(proc.filePath(pid + QStringLiteral("/comm")));
            const QString name = comm.open(QIODevice::ReadOnly)
                                     ? QString::fromLocal8Bit(comm.readAll().trimmed())
                                     : QString();
            return name.isEmpty() ? PortInUseDialog::tr("PID %1").arg(pid)
                                  : PortInUseDialog::tr("%1 (PID %2)").arg(name, pid);
        }
    }
    return {};
}

quint16 findFreePort(const QHostAddress &address, quint16 from)
{
    quint32 port = std::max<quint32>(from, 1024);
    for (int tries = 0; tries < 400; ++tries, ++port) {
        if (port > 65535)
            port = 1024;
        QTcpServer probe;
        if (probe.listen(address, quint16(port)))
            return quint16(port);
    }
    return 0;
}

bool offerAnotherPort(engine::EngineConfig &config, const QString &error)
{
    struct Listen
    {
        QString what;
        const QString &host;
        quint16 &port;
    };
    const Listen listeners[] = {
        {PortInUseDialog::tr("the proxy"), config.listenHost, config.listenPort},
        {PortInUseDialog::tr("the HTTPS proxy"), config.httpsListenHost, config.httpsListenPort},
        {PortInUseDialog::tr("SOCKS5"), config.socksListenHost, config.socksListenPort},
    };
    for (const Listen &l : listeners) {
        if (l.host.isEmpty() || l.port == 0)
            continue;
        const QHostAddress address(l.host == u"localhost" ? QStringLiteral("127.0.0.1") : l.host);
        QTcpServer probe;
        if (probe.listen(address, l.port)
            || probe.serverError() != QAbstractSocket::AddressInUseError)
            continue;
        PortInUseDialog dialog(l.what, address, l.port,
                               PortInUseDialog::tr("address already in use"));
        if (dialog.exec() != QDialog::Accepted)
            return false;
        l.port = dialog.port();
        return true;
    }
    QMessageBox::critical(nullptr, PortInUseDialog::tr("Tunnelscope"),
                          PortInUseDialog::tr("Tunnelscope cannot start.\n\n%1").arg(error));
    return false;
}

PortInUseDialog::PortInUseDialog(const QString &what, const QHostAddress &address, quint16 busyPort,
                                 const QString &error, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Port in use"));
    const QString holder = portHolder(busyPort);
    const QString where = address.protocol() == QAbstractSocket::IPv6Protocol
                              ? QStringLiteral("[%1]:%2").arg(address.toString()).arg(busyPort)
                              : QStringLiteral("%1:%2").arg(address.toString()).arg(busyPort);
    QString text = holder.isEmpty()
                       ? tr("Tunnelscope cannot listen on %1 for %2: %3.\n\nAnother program "
                            "(perhaps another Tunnelscope) holds the port.")
                             .arg(where, what, error)
                       : tr("Tunnelscope cannot listen on %1 for %2: %3.\n\n%4 holds the port.")
                             .arg(where, what, error, holder);
    text += QStringLiteral("\n\n")
            + tr("Start on another port? Clients must then be pointed at that port; "
                 "Edit \u2192 Preferences keeps a port for the next starts.");
    m_message = new QLabel(text, this);
    m_message->setObjectName(QStringLiteral("portInUseMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("portSpinBox"));
    m_port->setRange(1, 65535);
    m_port->setValue(findFreePort(address, quint16(busyPort + 1)));

    auto *form = new QFormLayout;
    form->addRow(tr("Port:"), m_port);

    auto *buttons = new QDialogButtonBox(this);
    QPushButton *start = buttons->addButton(tr("Start on This Port"), QDialogButtonBox::AcceptRole);
    start->setObjectName(QStringLiteral("startButton"));
    start->setDefault(true);
    QPushButton *quit = buttons->addButton(tr("Quit"), QDialogButtonBox::RejectRole);
    quit->setObjectName(QStringLiteral("quitButton"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_message);
    layout->addLayout(form);
    layout->addWidget(buttons);
    setMinimumWidth(fontMetrics().averageCharWidth() * 60);
}

PortInUseDialog::~PortInUseDialog() = default;

quint16 PortInUseDialog::port() const
{
    return quint16(m_port->value());
}

QString PortInUseDialog::messageText() const
{
    return m_message->text();
}

} // namespace ts::ui
