#include "ui/detail/message_view.h"

#include "ui/detail/body_view.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
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

void MessageView::clear()
{
    m_headers->setRowCount(0);
    m_trailers->setRowCount(0);
    m_tabs->setTabVisible(2, false);
    m_forwarded->setRowCount(0);
    m_tabs->setTabVisible(3, false);
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
