#pragma once

#include "core/flow/flow.h"

#include <QWidget>

class QPlainTextEdit;
class QTableWidget;
class QTabWidget;

namespace ts::ui {

class BodyView;
class GraphQlView;

// One message of an exchange (the request or the response): its headers as they arrived at
// the proxy, as they went on (with the proxy's changes marked), its head as raw text, its
// trailers, its query parameters and cookies (request: Cookie; response: Set-Cookie with
// the attributes), its form fields and GraphQL operations, and its body.
class MessageView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MessageView)

public:
    enum class Side { Request, Response };
    explicit MessageView(Side side, QWidget *parent = nullptr);
    ~MessageView() override;

    // `reloadBody` false keeps the body as shown (the flow changed, its body did not).
    void showFlow(const flow::Flow &flow, bool reloadBody);
    void clear();

    BodyView *bodyView() const { return m_body; }
    QTableWidget *headersTable() const { return m_headers; }
    // The message as it went on to the other side (the request to the server, the response to
    // the client), each field marked unchanged, added or removed by the proxy.
    QTableWidget *forwardedTable() const { return m_forwarded; }
    QString rawText() const;
    // The request's query parameters (percent-decoded) and the cookies of either message; each
    // tab shows only when the message has some.
    QTableWidget *queryTable() const { return m_query; }
    QTableWidget *cookiesTable() const { return m_cookies; }
    QTableWidget *formTable() const { return m_form; } // urlencoded form fields
    // The request's GraphQL operations (null on the response side); shown when there are some.
    GraphQlView *graphQlView() const { return m_graphql; }
    bool isTabShown(QWidget *tab) const;

private:
    int fillForwarded(const flow::HeaderList &received, const flow::HeaderList &forwarded);

    Side m_side;
    QTabWidget *m_tabs = nullptr;
    QTableWidget *m_headers = nullptr;
    QTableWidget *m_forwarded = nullptr;
    QPlainTextEdit *m_raw = nullptr;
    QTableWidget *m_trailers = nullptr;
    QTableWidget *m_query = nullptr;
    QTableWidget *m_cookies = nullptr;
    QTableWidget *m_form = nullptr;
    GraphQlView *m_graphql = nullptr;
    BodyView *m_body = nullptr;
};

} // namespace ts::ui
