#include "ui/detail/message_view.h"

#include "ui/detail/body_content.h"
#include "ui/detail/body_view.h"
#include "ui/detail/graphql_view.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace ts::ui {

namespace {

QTableWidget *makeHeaderTable(const QString &name, QWidget *parent)
{
    auto *table = new QTableWidget(0, 2, parent);
    table->setObjectName(name);
    table->setHorizontalHeaderLabels({MessageView::tr("Name"), MessageView::tr("Value")});
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    table->horizontalHeader()->resizeSection(0, 200);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(false);
    table->setAlternatingRowColors(true);
    table->setShowGrid(false);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    return table;
}

void fillHeaders(QTableWidget *table, const flow::HeaderList &headers)
{
    table->setRowCount(int(headers.size()));
    for (int i = 0; i < int(headers.size()); ++i) {
        auto *name = new QTableWidgetItem(QString::fromStdString(headers[std::size_t(i)].first));
        auto *value = new QTableWidgetItem(QString::fromStdString(headers[std::size_t(i)].second));
        value->setToolTip(value->text());
        table->setItem(i, 0, name);
        table->setItem(i, 1, value);
    }
}

std::string headerValue(const flow::HeaderList &headers, std::string_view name)
{
    std::string joined;
    for (const auto &[n, v] : headers) {
        if (QLatin1String(n.data(), qsizetype(n.size()))
                .compare(QLatin1String(name.data(), qsizetype(name.size())), Qt::CaseInsensitive)
            == 0) {
            if (!joined.empty())
                joined += ", ";
            joined += v;
        }
    }
    return joined;
}

void setRow(QTableWidget *table, int row, const QStringList &cells)
{
    for (int column = 0; column < int(cells.size()); ++column) {
        auto *item = new QTableWidgetItem(cells[column]);
        item->setToolTip(cells[column]);
        table->setItem(row, column, item);
    }
}

// "a=1&b=x%20y+z" -> (a, 1), (b, x y z): as a form or a browser writes a query.
QList<QStringList> formFields(const QByteArray &query)
{
    QList<QStringList> rows;
    for (QByteArray pair : query.split('&')) {
        if (pair.isEmpty())
            continue;
        pair.replace('+', ' ');
        const qsizetype equals = pair.indexOf('=');
        const QByteArray name = equals < 0 ? pair : pair.left(equals);
        const QByteArray value = equals < 0 ? QByteArray() : pair.mid(equals + 1);
        rows.append({QUrl::fromPercentEncoding(name), QUrl::fromPercentEncoding(value)});
    }
    return rows;
}

QList<QStringList> queryParameters(const std::string &path)
{
    const std::size_t question = path.find('?');
    if (question == std::string::npos)
        return {};
    QByteArray query = QByteArray::fromStdString(path.substr(question + 1));
    query.truncate(query.indexOf('#') >= 0 ? query.indexOf('#') : query.size());
    return formFields(query);
}

// multipart/form-data: a row per part, its name and its text (or, for a file, its file name
// and size). `boundary` from the Content-Type; empty result when the body does not parse.
QList<QStringList> multipartFields(const QByteArray &body, const QByteArray &boundary)
{
    QList<QStringList> rows;
    const QByteArray delimiter = "--" + boundary;
    qsizetype at = body.indexOf(delimiter);
    while (at >= 0) {
        at += delimiter.size();
        if (body.mid(at, 2) == "--")
            break; // the closing delimiter
        const qsizetype headEnd = body.indexOf("\r\n\r\n", at);
        const qsizetype next
            = body.indexOf(QByteArray("\r\n").append(delimiter), headEnd < 0 ? at : headEnd);
        if (headEnd < 0 || next < 0)
            break;
        const QByteArray head = body.mid(at, headEnd - at);
        const QByteArray content = body.mid(headEnd + 4, next - headEnd - 4);
        // Content-Disposition: form-data; name="field"; filename="a.png"
        const auto parameter = [&head](const QByteArray &name) {
            const QByteArray key = name + "=\"";
            const qsizetype from = head.indexOf(key);
            if (from < 0)
                return QString();
            const qsizetype end = head.indexOf('"', from + key.size());
            return QString::fromUtf8(head.mid(from + key.size(), end - from - key.size()));
        };
        const QString filename = parameter("filename");
        rows.append({parameter("name"),
                     head.contains("filename=\"")
                         ? MessageView::tr("(file %1, %2 bytes)").arg(filename).arg(content.size())
                         : QString::fromUtf8(content)});
        at = body.indexOf(delimiter, next);
    }
    return rows;
}

// Form bodies larger than this are not split into fields (the body view still shows them).
constexpr std::uint64_t kMaxFormBytes = 1 << 20;

bool sameName(const std::string &a, const std::string &b)
{
    return QLatin1String(a.data(), qsizetype(a.size()))
               .compare(QLatin1String(b.data(), qsizetype(b.size())), Qt::CaseInsensitive)
           == 0;
}

} // namespace

MessageView::MessageView(Side side, QWidget *parent)
    : QWidget(parent)
    , m_side(side)
    , m_tabs(new QTabWidget(this))
    , m_raw(new QPlainTextEdit(this))
    , m_body(new BodyView(this))
{
    const QString prefix
        = side == Side::Request ? QStringLiteral("request") : QStringLiteral("response");
    m_headers = makeHeaderTable(prefix + QStringLiteral("Headers"), this);
    m_trailers = makeHeaderTable(prefix + QStringLiteral("Trailers"), this);
    m_query = makeHeaderTable(prefix + QStringLiteral("Query"), this);
    m_cookies = makeHeaderTable(prefix + QStringLiteral("Cookies"), this);
    m_form = makeHeaderTable(prefix + QStringLiteral("Form"), this);
    if (side == Side::Response) { // Set-Cookie: the attributes too
        m_cookies->setColumnCount(3);
        m_cookies->setHorizontalHeaderLabels({tr("Name"), tr("Value"), tr("Attributes")});
        m_cookies->horizontalHeader()->resizeSection(1, 200);
    }
    m_forwarded = new QTableWidget(0, 3, this);
    m_forwarded->setObjectName(prefix + QStringLiteral("Forwarded"));
    m_forwarded->setHorizontalHeaderLabels({tr("Change"), tr("Name"), tr("Value")});
    m_forwarded->verticalHeader()->hide();
    m_forwarded->horizontalHeader()->setStretchLastSection(true);
    m_forwarded->horizontalHeader()->resizeSection(1, 200);
    m_forwarded->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_forwarded->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_forwarded->setWordWrap(false);
    m_forwarded->setShowGrid(false);
    m_forwarded->verticalHeader()->setDefaultSectionSize(m_forwarded->fontMetrics().height() + 6);
    m_raw->setObjectName(prefix + QStringLiteral("Raw"));
    m_raw->setReadOnly(true);
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_body->setObjectName(prefix + QStringLiteral("Body"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_headers, tr("Headers"));
    m_tabs->addTab(m_raw, tr("Raw"));
    m_tabs->addTab(m_trailers, tr("Trailers"));
    m_tabs->addTab(m_forwarded, QString());
    m_tabs->addTab(m_query, tr("Query"));
    m_tabs->addTab(m_cookies, tr("Cookies"));
    m_tabs->addTab(m_form, tr("Form"));
    if (side == Side::Request) {
        m_graphql = new GraphQlView(this);
        m_graphql->setObjectName(prefix + QStringLiteral("GraphQl"));
        m_tabs->addTab(m_graphql, tr("GraphQL"));
    }

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_tabs);
    splitter->addWidget(m_body);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
    clear();
}

MessageView::~MessageView() = default;

bool MessageView::isTabShown(QWidget *tab) const
{
    return m_tabs->isTabVisible(m_tabs->indexOf(tab));
}

void MessageView::clear()
{
    m_headers->setRowCount(0);
    m_trailers->setRowCount(0);
    m_tabs->setTabVisible(2, false);
    m_forwarded->setRowCount(0);
    m_tabs->setTabVisible(3, false);
    m_query->setRowCount(0);
    m_tabs->setTabVisible(m_tabs->indexOf(m_query), false);
    m_cookies->setRowCount(0);
    m_tabs->setTabVisible(m_tabs->indexOf(m_cookies), false);
    m_form->setRowCount(0);
    m_tabs->setTabVisible(m_tabs->indexOf(m_form), false);
    if (m_graphql) {
        m_graphql->clear();
        m_tabs->setTabVisible(m_tabs->indexOf(m_graphql), false);
    }
    m_raw->clear();
    m_body->clear();
    m_body->hide();
}

void MessageView::showFlow(const flow::Flow &f, bool reloadBody)
{
    const bool request = m_side == Side::Request;
    const flow::HeaderList &headers = request ? f.requestHeaders : f.responseHeaders;
    const flow::HeaderList &trailers = request ? f.requestTrailers : f.responseTrailers;
    fillHeaders(m_headers, headers);
    fillHeaders(m_trailers, trailers);
    m_tabs->setTabVisible(2, !trailers.empty());
    const flow::HeaderList &forwarded = request ? f.serverRequestHeaders : f.clientResponseHeaders;
    if (forwarded.empty()) {
        m_forwarded->setRowCount(0);
        m_tabs->setTabVisible(3, false);
    } else {
        const int changes = fillForwarded(headers, forwarded);
        const QString version = QString::fromStdString(
            request ? (f.serverProtocol.empty() ? f.clientProtocol : f.serverProtocol)
                    : f.clientProtocol);
        const QString title = request ? tr("To server, %1") : tr("To client, %1");
        m_tabs->setTabText(3,
                           title.arg(version)
                               + (changes ? tr(" (%1 changed)").arg(changes) : tr(" (unchanged)")));
        m_tabs->setTabToolTip(3, request ? tr("The request as the proxy sent it to the server")
                                         : tr("The response as the proxy sent it to the client"));
        m_tabs->setTabVisible(3, true);
    }

    // Query parameters (the request's) and cookies, each tab only when there are some.
    const QList<QStringList> query = request ? queryParameters(f.path) : QList<QStringList>();
    m_query->setRowCount(int(query.size()));
    for (int i = 0; i < int(query.size()); ++i)
        setRow(m_query, i, query[i]);
    m_tabs->setTabVisible(m_tabs->indexOf(m_query), !query.isEmpty());
    QList<QStringList> cookies;
    for (const auto &[name, value] : headers) {
        const QString text = QString::fromStdString(value);
        if (request && sameName(name, "cookie")) {
            // "a=1; b=2": one row per cookie.
            for (const QString &pair : text.split(u';', Qt::SkipEmptyParts)) {
                const QString trimmed = pair.trimmed();
                const qsizetype equals = trimmed.indexOf(u'=');
                cookies.append({equals < 0 ? trimmed : trimmed.left(equals),
                                equals < 0 ? QString() : trimmed.mid(equals + 1)});
            }
        } else if (!request && sameName(name, "set-cookie")) {
            // "id=42; Path=/; HttpOnly": the cookie, then its attributes as sent.
            const qsizetype semicolon = text.indexOf(u';');
            const QString pair = (semicolon < 0 ? text : text.left(semicolon)).trimmed();
            const qsizetype equals = pair.indexOf(u'=');
            cookies.append({equals < 0 ? pair : pair.left(equals),
                            equals < 0 ? QString() : pair.mid(equals + 1),
                            semicolon < 0 ? QString() : text.mid(semicolon + 1).trimmed()});
        }
    }
    m_cookies->setRowCount(int(cookies.size()));
    for (int i = 0; i < int(cookies.size()); ++i)
        setRow(m_cookies, i, cookies[i]);
    m_tabs->setTabVisible(m_tabs->indexOf(m_cookies), !cookies.isEmpty());

    // The fields of a form, urlencoded or multipart (a small body, read from memory or the
    // spill file).
    QList<QStringList> form;
    const auto &formBody = request ? f.requestBody : f.responseBody;
    const QString type = QString::fromStdString(headerValue(headers, "content-type"));
    const bool urlencoded
        = type.startsWith(u"application/x-www-form-urlencoded", Qt::CaseInsensitive);
    const bool multipart = type.startsWith(u"multipart/form-data", Qt::CaseInsensitive);
    if ((urlencoded || multipart) && headerValue(headers, "content-encoding").empty() && formBody
        && formBody->recordedSize() > 0 && formBody->recordedSize() <= kMaxFormBytes) {
        const QByteArray bytes = QByteArray::fromStdString(formBody->read());
        if (urlencoded) {
            form = formFields(bytes);
        } else {
            const qsizetype b = type.indexOf(u"boundary=", 0, Qt::CaseInsensitive);
            QString boundary = b < 0 ? QString() : type.mid(b + 9).section(u';', 0, 0).trimmed();
            if (boundary.size() > 1 && boundary.startsWith(u'"') && boundary.endsWith(u'"'))
                boundary = boundary.mid(1, boundary.size() - 2);
            if (!boundary.isEmpty())
                form = multipartFields(bytes, boundary.toUtf8());
        }
    }
    m_form->setRowCount(int(form.size()));
    for (int i = 0; i < int(form.size()); ++i)
        setRow(m_form, i, form[i]);
    m_tabs->setTabVisible(m_tabs->indexOf(m_form), !form.isEmpty());

    // GraphQL operations in the request body (decoded; small bodies only, complete ones).
    if (m_graphql) {
        std::optional<std::vector<GraphQlOperation>> operations;
        // What GraphQL clients send: JSON, application/graphql, text/plain (no CORS
        // preflight) or no type at all; anything else is not read for it.
        const bool candidate = type.isEmpty() || type.contains(u"json", Qt::CaseInsensitive)
                               || type.contains(u"graphql", Qt::CaseInsensitive)
                               || type.startsWith(u"text/plain", Qt::CaseInsensitive);
        if (candidate && formBody && formBody->recordedSize() > 0
            && formBody->recordedSize() <= kMaxFormBytes) {
            const BodyContent content = loadBody(
                *formBody, headerValue(headers, "content-encoding"), kMaxFormBytes, kMaxFormBytes);
            if (!content.partial && content.decodeError.isEmpty())
                operations = graphQlOperations(content.bytes, type);
        }
        if (operations)
            m_graphql->showOperations(std::move(*operations));
        else
            m_graphql->clear();
        m_tabs->setTabVisible(m_tabs->indexOf(m_graphql), operations.has_value());
    }

    // The head as text, in HTTP/1.1 form whatever version carried it.
    QString raw;
    if (request) {
        raw = QString::fromStdString(f.method + " " + (f.path.empty() ? "/" : f.path) + " "
                                     + f.clientProtocol);
    } else if (f.status > 0) {
        raw = QString::fromStdString(
            (f.serverProtocol.empty() ? std::string("HTTP/1.1") : f.serverProtocol) + " "
            + std::to_string(f.status) + (f.reason.empty() ? "" : " " + f.reason));
    }
    for (const auto &[name, value] : headers)
        raw += QLatin1Char('\n') + QString::fromStdString(name + ": " + value);
    if (!trailers.empty()) {
        raw += QLatin1Char('\n') + QLatin1Char('\n') + tr("Trailers:");
        for (const auto &[name, value] : trailers)
            raw += QLatin1Char('\n') + QString::fromStdString(name + ": " + value);
    }
    m_raw->setPlainText(raw);

    // Without a body the headers get all the room.
    const auto &shownBody = request ? f.requestBody : f.responseBody;
    m_body->setVisible(shownBody && shownBody->size() > 0);
    if (reloadBody) {
        const auto &body = request ? f.requestBody : f.responseBody;
        m_body->setBody(body, QString::fromStdString(headerValue(headers, "content-type")),
                        headerValue(headers, "content-encoding"));
    }
}

int MessageView::fillForwarded(const flow::HeaderList &received, const flow::HeaderList &forwarded)
{
    // A field is unchanged when the other side carried it with the same value (names compared
    // without case: HTTP/2 lowercases them); the rest was added or removed on the way.
    std::vector<bool> matched(received.size(), false);
    struct Row
    {
        QString change;
        const std::pair<std::string, std::string> *field;
    };
    std::vector<Row> rows;
    int changes = 0;
    for (const auto &field : forwarded) {
        bool found = false;
        for (std::size_t i = 0; i < received.size() && !found; ++i) {
            if (!matched[i] && received[i].second == field.second
                && sameName(received[i].first, field.first))
                matched[i] = found = true;
        }
        rows.push_back({found ? QString() : tr("added"), &field});
        changes += found ? 0 : 1;
    }
    for (std::size_t i = 0; i < received.size(); ++i) {
        if (!matched[i]) {
            rows.push_back({tr("removed"), &received[i]});
            ++changes;
        }
    }
    m_forwarded->setRowCount(int(rows.size()));
    const QColor addedColor(0x1b, 0x7f, 0x2a);
    const QColor removedColor(0xb0, 0x20, 0x20);
    for (int r = 0; r < int(rows.size()); ++r) {
        const Row &row = rows[std::size_t(r)];
        auto *change = new QTableWidgetItem(row.change);
        auto *name = new QTableWidgetItem(QString::fromStdString(row.field->first));
        auto *value = new QTableWidgetItem(QString::fromStdString(row.field->second));
        value->setToolTip(value->text());
        if (!row.change.isEmpty()) {
            const bool removed = row.change == tr("removed");
            for (QTableWidgetItem *item : {change, name, value}) {
                item->setForeground(removed ? removedColor : addedColor);
                if (removed) {
                    QFont font = item->font();
                    font.setStrikeOut(true);
                    item->setFont(font);
                }
            }
        }
        m_forwarded->setItem(r, 0, change);
        m_forwarded->setItem(r, 1, name);
        m_forwarded->setItem(r, 2, value);
    }
    m_forwarded->resizeColumnToContents(0);
    return changes;
}

QString MessageView::rawText() const
{
    return m_raw->toPlainText();
}

} // namespace ts::ui
