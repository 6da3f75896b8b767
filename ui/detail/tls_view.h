#pragma once

#include "core/flow/flow.h"

#include <QWidget>

class QTreeWidget;

namespace ts::ui {

// Both TLS sides of a flow: client side (the client and the proxy) and server side (the proxy
// and the server): SNI, ALPN offered and chosen, version, cipher, handshake time, and on the
// server side the verification result and the certificate chain.
class TlsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsView)

public:
    explicit TlsView(QWidget *parent = nullptr);
    ~TlsView() override;

    void showFlow(const flow::Flow &flow);
    void clear();
    QTreeWidget *tree() const { return m_tree; }

private:
    QTreeWidget *m_tree = nullptr;
};

} // namespace ts::ui
