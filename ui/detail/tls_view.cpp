#include "ui/detail/tls_view.h"

#include <QDateTime>
#include <QHeaderView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ts::ui {

namespace {

QString joined(const std::vector<std::string> &items)
{
    QStringList list;
    for (const std::string &s : items)
        list.append(QString::fromStdString(s));
    return list.join(QStringLiteral(", "));
}

QTreeWidgetItem *addRow(QTreeWidgetItem *parent, const QString &name, const QString &value)
{
    auto *item = new QTreeWidgetItem(parent);
    item->setText(0, name);
    item->setText(1, value);
    item->setToolTip(1, value);
    return item;
}

QString date(WallMillis ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
                        .toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))
                  : QString();
}

void addSide(QTreeWidgetItem *root, const QString &title, const flow::TlsSide *side,
             bool serverSide)
{
    auto *top = addRow(root, title, QString());
    QFont bold = top->font(0);
    bold.setBold(true);
    top->setFont(0, bold);
    if (!side || !side->used) {
        top->setText(1, TlsView::tr("no TLS"));
        return;
    }
    if (!side->failure.empty())
        addRow(top, TlsView::tr("Failure"), QString::fromStdString(side->failure));
    addRow(top, TlsView::tr("SNI"), QString::fromStdString(side->sni));
    addRow(top, TlsView::tr("ALPN offered"), joined(side->alpnOffered));
    addRow(top, TlsView::tr("ALPN chosen"), QString::fromStdString(side->alpn));
    addRow(top, TlsView::tr("Version"), QString::fromStdString(side->version));
    addRow(top, TlsView::tr("Cipher"), QString::fromStdString(side->cipher));
    if (side->handshakeMicros >= 0)
        addRow(top, TlsView::tr("Handshake"),
               TlsView::tr("%1 ms").arg(double(side->handshakeMicros) / 1000.0, 0, 'f', 1));
    if (serverSide)
        addRow(
            top, TlsView::tr("Verification"),
            side->verified
                ? TlsView::tr("verified")
                : TlsView::tr("not verified: %1").arg(QString::fromStdString(side->verifyError)));
    if (side->chain.empty())
        return;
    auto *chain = addRow(top,
                         serverSide ? TlsView::tr("Server's certificate chain")
                                    : TlsView::tr("Certificate shown to the client"),
                         TlsView::tr("%n certificate(s)", nullptr, int(side->chain.size())));
    for (const flow::CertificateSummary &c : side->chain) {
        auto *cert = addRow(chain, QString::fromStdString(c.subject), QString());
        addRow(cert, TlsView::tr("Subject"), QString::fromStdString(c.subject));
        addRow(cert, TlsView::tr("Issuer"), QString::fromStdString(c.issuer));
        if (!c.names.empty())
            addRow(cert, TlsView::tr("Names"), joined(c.names));
        addRow(cert, TlsView::tr("Valid"),
               TlsView::tr("%1 to %2").arg(date(c.notBefore), date(c.notAfter)));
        if (!c.keyType.empty())
            addRow(cert, TlsView::tr("Key"), QString::fromStdString(c.keyType));
        if (!c.serial.empty())
            addRow(cert, TlsView::tr("Serial"), QString::fromStdString(c.serial));
        addRow(cert, TlsView::tr("SHA-256"), QString::fromStdString(c.sha256));
    }
}

} // namespace

TlsView::TlsView(QWidget *parent) : QWidget(parent), m_tree(new QTreeWidget(this))
{
    m_tree->setObjectName(QStringLiteral("tlsTree"));
    m_tree->setHeaderLabels({tr("Field"), tr("Value")});
    m_tree->header()->resizeSection(0, 220);
    m_tree->setUniformRowHeights(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tree);
}

TlsView::~TlsView() = default;

void TlsView::clear()
{
    m_tree->clear();
}

void TlsView::showFlow(const flow::Flow &f)
{
    m_tree->clear();
    QTreeWidgetItem *root = m_tree->invisibleRootItem();
    addSide(root, tr("Client side (client \u2194 proxy)"), f.clientTls.get(), false);
    addSide(root, tr("Server side (proxy \u2194 server)"), f.serverTls.get(), true);
    m_tree->expandToDepth(0);
    for (int i = 0; i < root->childCount(); ++i) {
        // Open the chain too: the certificate is what people come here for.
        QTreeWidgetItem *side = root->child(i);
        for (int j = 0; j < side->childCount(); ++j) {
            if (side->child(j)->childCount() > 0)
                side->child(j)->setExpanded(true);
        }
    }
}

} // namespace ts::ui
