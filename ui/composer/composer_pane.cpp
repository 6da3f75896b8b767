#include "ui/composer/composer_pane.h"

#include "core/flow/flow.h"
#include "core/flow/flow_store.h"
#include "ui/detail/body_content.h"
#include "ui/detail/json_format.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr std::size_t kMaxHistory = 500;
constexpr int kHistoryVersion = 1;

// Fields a captured request carried for its hop only, or that the composer derives itself
// (Host comes from the URL).
bool dropWhenEditing(const std::string &name, const QStringList &connectionTokens)
{
    static const QStringList names{u"connection"_s,
                                   u"proxy-connection"_s,
                                   u"keep-alive"_s,
                                   u"te"_s,
                                   u"trailer"_s,
                                   u"transfer-encoding"_s,
                                   u"upgrade"_s,
                                   u"host"_s,
                                   u"proxy-authorization"_s,
                                   u"proxy-authenticate"_s,
                                   u"http2-settings"_s};
    const QString n = QString::fromStdString(name);
    return n.startsWith(u':') || names.contains(n, Qt::CaseInsensitive)
           || connectionTokens.contains(n, Qt::CaseInsensitive);
}

QString millis(qint64 micros)
{
    return micros < 0 ? u"–"_s : QString::number(double(micros) / 1000.0, 'f', 1) + u" ms"_s;
}

QJsonArray pairsToJson(const QList<QPair<QString, QString>> &pairs)
{
    QJsonArray out;
    for (const auto &[name, value] : pairs)
        out.append(QJsonArray{name, value});
    return out;
}

} // namespace

ComposerPane::ComposerPane(engine::Engine *engine, engine::EngineConfig mainConfig, QWidget *parent)
    : QWidget(parent), m_mainConfig(std::move(mainConfig))
{
    setObjectName(u"composerPane"_s);
    m_sender = new engine::RequestSender(this);
    m_sender->setEngine(engine);
    connect(m_sender, &engine::RequestSender::finished, this, &ComposerPane::onFinished);
    connect(m_sender, &engine::RequestSender::idle, this, [this] {
        m_send->setEnabled(true);
        m_sendMany->setEnabled(true);
        if (m_batch) {
            m_batch = false;
            m_status->setText(tr("Sent %n request(s): ", nullptr, m_batchOk + m_batchFailed)
                              + tr("%1 answered, %2 failed").arg(m_batchOk).arg(m_batchFailed)
                              + u"  —  "_s + m_status->text());
            Q_EMIT batchFinished(m_batchOk, m_batchFailed);
        }
    });
    buildUi();
}

ComposerPane::~ComposerPane()
{
    m_sender->cancelAll();
}

// ---------------------------------------------------------------------------- widgets

void ComposerPane::buildUi()
{
    // Request line.
    m_method = new QComboBox;
    m_method->setObjectName(u"method"_s);
    m_method->setEditable(true);
    m_method->addItems(
        {u"GET"_s, u"POST"_s, u"PUT"_s, u"PATCH"_s, u"DELETE"_s, u"HEAD"_s, u"OPTIONS"_s});
    m_url = new QLineEdit;
    m_url->setObjectName(u"url"_s);
    m_url->setPlaceholderText(tr("https://example.com/path"));
    m_version = new QComboBox;
    m_version->setObjectName(u"version"_s);
    m_version->addItem(tr("HTTP/1.1"));
    m_version->addItem(tr("HTTP/2"));
    m_send = new QPushButton(tr("Send"));
    m_send->setObjectName(u"send"_s);
    m_send->setDefault(true);
    connect(m_send, &QPushButton::clicked, this, &ComposerPane::send);
    connect(m_url, &QLineEdit::returnPressed, this, &ComposerPane::send);
    auto *line = new QHBoxLayout;
    line->addWidget(m_method);
    line->addWidget(m_url, 1);
    line->addWidget(m_version);
    line->addWidget(m_send);

    m_count = new QSpinBox;
    m_count->setObjectName(u"count"_s);
    m_count->setRange(1, 100000);
    m_count->setValue(10);
    m_count->setPrefix(tr("× "));
    m_concurrency = new QSpinBox;
    m_concurrency->setObjectName(u"concurrency"_s);
    m_concurrency->setRange(1, 256);
    m_concurrency->setValue(4);
    m_concurrency->setPrefix(tr("at once: "));
    m_sendMany = new QPushButton(tr("Send N times"));
    m_sendMany->setObjectName(u"sendMany"_s);
    connect(m_sendMany, &QPushButton::clicked, this,
            [this] { sendMany(m_count->value(), m_concurrency->value()); });
    auto *many = new QHBoxLayout;
    many->addStretch(1);
    many->addWidget(m_count);
    many->addWidget(m_concurrency);
    many->addWidget(m_sendMany);

    // Headers.
    m_headers = new QTableWidget(0, 2);
    m_headers->setObjectName(u"headers"_s);
    m_headers->setHorizontalHeaderLabels({tr("Name"), tr("Value")});
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->verticalHeader()->hide();
    auto tableEditor = [this](QTableWidget *table) {
        auto *w = new QWidget;
        auto *add = new QPushButton(tr("Add"));
        add->setObjectName(table->objectName() + u"Add"_s);
        auto *remove = new QPushButton(tr("Remove"));
        remove->setObjectName(table->objectName() + u"Remove"_s);
        connect(add, &QPushButton::clicked, table, [table] {
            // Items first: editItem() on an empty cell opens nothing.
            const int row = table->rowCount();
            table->insertRow(row);
            table->setItem(row, 0, new QTableWidgetItem);
            table->setItem(row, 1, new QTableWidgetItem);
            table->setCurrentCell(row, 0);
            table->setFocus();
            table->editItem(table->item(row, 0));
        });
        connect(remove, &QPushButton::clicked, table, [table] {
            if (table->currentRow() >= 0)
                table->removeRow(table->currentRow());
        });
        auto *buttons = new QHBoxLayout;
        buttons->addWidget(add);
        buttons->addWidget(remove);
        buttons->addStretch(1);
        auto *v = new QVBoxLayout(w);
        v->setContentsMargins(0, 0, 0, 0);
        v->addWidget(table);
        v->addLayout(buttons);
        return w;
    };

    // Body: none, text, a file, or a url-encoded form.
    m_bodyKind = new QComboBox;
    m_bodyKind->setObjectName(u"bodyKind"_s);
    m_bodyKind->addItems({tr("No body"), tr("Text"), tr("File"), tr("Form (url-encoded)")});
    m_bodyStack = new QStackedWidget;
    m_bodyStack->addWidget(new QWidget);
    m_bodyText = new QPlainTextEdit;
    m_bodyText->setObjectName(u"bodyText"_s);
    m_bodyStack->addWidget(m_bodyText);
    auto *filePage = new QWidget;
    m_bodyFile = new QLineEdit;
    m_bodyFile->setObjectName(u"bodyFile"_s);
    auto *browse = new QPushButton(tr("Choose…"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Body from a file"));
        if (!path.isEmpty())
            m_bodyFile->setText(path);
    });
    auto *fileRow = new QHBoxLayout(filePage);
    fileRow->addWidget(m_bodyFile, 1);
    fileRow->addWidget(browse);
    fileRow->setAlignment(Qt::AlignTop);
    m_bodyStack->addWidget(filePage);
    m_form = new QTableWidget(0, 2);
    m_form->setObjectName(u"form"_s);
    m_form->setHorizontalHeaderLabels({tr("Key"), tr("Value")});
    m_form->horizontalHeader()->setStretchLastSection(true);
    m_form->verticalHeader()->hide();
    m_bodyStack->addWidget(tableEditor(m_form));
    connect(m_bodyKind, &QComboBox::currentIndexChanged, m_bodyStack,
            &QStackedWidget::setCurrentIndex);
    auto *bodyPage = new QWidget;
    auto *bodyLayout = new QVBoxLayout(bodyPage);
    bodyLayout->addWidget(m_bodyKind);
    bodyLayout->addWidget(m_bodyStack, 1);

    // Chain and TLS.
    auto *chainPage = new QWidget;
    m_chainGroup = new QButtonGroup(chainPage);
    m_chainDirect = new QRadioButton(tr("Direct (no upstream proxy)"));
    m_chainDirect->setObjectName(u"chainDirect"_s);
    m_chainOwn = new QRadioButton(tr("The proxy's own upstream rules"));
    m_chainOwn->setObjectName(u"chainOwn"_s);
    m_chainCustom = new QRadioButton(tr("Through these hops, first hop first:"));
    m_chainCustom->setObjectName(u"chainCustom"_s);
    m_chainGroup->addButton(m_chainDirect);
    m_chainGroup->addButton(m_chainOwn);
    m_chainGroup->addButton(m_chainCustom);
    m_chainOwn->setChecked(true);
    m_hops = new QPlainTextEdit;
    m_hops->setObjectName(u"hops"_s);
    m_hops->setPlaceholderText(tr("http://127.0.0.1:3128\nsocks5h://user:password@10.0.0.2:1080"));
    m_hops->setEnabled(false);
    m_verify = new QCheckBox(tr("Verify origin certificates"));
    m_verify->setObjectName(u"verify"_s);
    m_verify->setChecked(m_mainConfig.verifyServers);
    connect(m_chainGroup, &QButtonGroup::buttonToggled, this,
            [this] { m_hops->setEnabled(m_chainCustom->isChecked()); });
    auto *chainLayout = new QVBoxLayout(chainPage);
    chainLayout->addWidget(m_chainDirect);
    chainLayout->addWidget(m_chainOwn);
    chainLayout->addWidget(m_chainCustom);
    chainLayout->addWidget(m_hops, 1);
    chainLayout->addWidget(m_verify);

    auto *requestTabs = new QTabWidget;
    requestTabs->setObjectName(u"requestTabs"_s);
    requestTabs->addTab(tableEditor(m_headers), tr("Headers"));
    requestTabs->addTab(bodyPage, tr("Body"));
    requestTabs->addTab(chainPage, tr("Chain"));

    auto *requestSide = new QWidget;
    auto *requestLayout = new QVBoxLayout(requestSide);
    requestLayout->setContentsMargins(0, 0, 0, 0);
    requestLayout->addLayout(many);
    requestLayout->addWidget(requestTabs, 1);

    // Response.
    m_status = new QLabel(tr("Nothing sent yet."));
    m_status->setObjectName(u"status"_s);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_timings = new QLabel;
    m_timings->setObjectName(u"timings"_s);
    m_responseHeaders = new QTableWidget(0, 2);
    m_responseHeaders->setObjectName(u"responseHeaders"_s);
    m_responseHeaders->setHorizontalHeaderLabels({tr("Name"), tr("Value")});
    m_responseHeaders->horizontalHeader()->setStretchLastSection(true);
    m_responseHeaders->verticalHeader()->hide();
    m_responseHeaders->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_responseBody = new QPlainTextEdit;
    m_responseBody->setObjectName(u"responseBody"_s);
    m_responseBody->setReadOnly(true);
    auto *responseTabs = new QTabWidget;
    responseTabs->addTab(m_responseBody, tr("Body"));
    responseTabs->addTab(m_responseHeaders, tr("Headers"));
    auto *responseSide = new QWidget;
    auto *responseLayout = new QVBoxLayout(responseSide);
    responseLayout->setContentsMargins(0, 0, 0, 0);
    responseLayout->addWidget(m_status);
    responseLayout->addWidget(m_timings);
    responseLayout->addWidget(responseTabs, 1);

    // History: choosing an entry puts its request back in the fields.
    m_historyList = new QListWidget;
    m_historyList->setObjectName(u"history"_s);
    // Time and status at the ends stay readable; the whole line is in the tooltip.
    m_historyList->setTextElideMode(Qt::ElideMiddle);
    connect(m_historyList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int row = m_historyList->row(item);
        if (row >= 0 && std::size_t(row) < m_history.size())
            setRequest(m_history[m_history.size() - 1 - std::size_t(row)].request);
    });
    auto *historySide = new QWidget;
    auto *historyLayout = new QVBoxLayout(historySide);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    historyLayout->addWidget(new QLabel(tr("History")));
    historyLayout->addWidget(m_historyList, 1);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(historySide);
    split->addWidget(requestSide);
    split->addWidget(responseSide);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 3);
    // The request line spans the pane: in a three-way split the URL got 30-60 px.
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(line);
    layout->addWidget(split, 1);
}

QList<QPair<QString, QString>> ComposerPane::tableRows(const QTableWidget *table)
{
    QList<QPair<QString, QString>> rows;
    for (int r = 0; r < table->rowCount(); ++r) {
        const QTableWidgetItem *name = table->item(r, 0);
        const QTableWidgetItem *value = table->item(r, 1);
        const QString n = name ? name->text().trimmed() : QString();
        if (!n.isEmpty())
            rows.append({n, value ? value->text() : QString()});
    }
    return rows;
}

void ComposerPane::setTableRows(QTableWidget *table, const QList<QPair<QString, QString>> &rows)
{
    table->setRowCount(0);
    table->setRowCount(int(rows.size()));
    for (int r = 0; r < rows.size(); ++r) {
        table->setItem(r, 0, new QTableWidgetItem(rows[r].first));
        table->setItem(r, 1, new QTableWidgetItem(rows[r].second));
    }
}

// ---------------------------------------------------------------------------- the request

QByteArray ComposerPane::bodyBytes(QString *error) const
{
    switch (BodyKind(m_bodyKind->currentIndex())) {
    case BodyKind::None:
        return {};
    case BodyKind::Text:
        if (m_haveFlowBody && !m_bodyText->document()->isModified())
            return m_flowBody;
        return m_bodyText->toPlainText().toUtf8();
    case BodyKind::File: {
        QFile file(m_bodyFile->text());
        if (!file.open(QIODevice::ReadOnly)) {
            if (error)
                *error = tr("Cannot read the body file %1: %2")
                             .arg(m_bodyFile->text(), file.errorString());
            return {};
        }
        return file.readAll();
    }
    case BodyKind::Form: {
        QByteArray out;
        for (const auto &[key, value] : tableRows(m_form)) {
            if (!out.isEmpty())
                out += '&';
            out += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
        }
        return out;
    }
    }
    return {};
}

engine::ComposedRequest ComposerPane::request() const
{
    engine::ComposedRequest r;
    r.method = m_method->currentText().trimmed().toUpper();
    r.url = m_url->text().trimmed();
    if (!r.url.isEmpty() && !r.url.contains(u"://"_s))
        r.url.prepend(u"http://"_s); // as curl does
    r.headers = tableRows(m_headers);
    r.body = bodyBytes(nullptr);
    r.http2 = m_version->currentIndex() == 1;
    if (m_bodyKind->currentIndex() == int(BodyKind::Form)
        && std::none_of(r.headers.cbegin(), r.headers.cend(), [](const auto &h) {
               return h.first.compare(u"content-type", Qt::CaseInsensitive) == 0;
           }))
        r.headers.append({u"Content-Type"_s, u"application/x-www-form-urlencoded"_s});
    return r;
}

void ComposerPane::setRequest(const engine::ComposedRequest &request)
{
    m_method->setCurrentText(request.method);
    m_url->setText(request.url);
    m_version->setCurrentIndex(request.http2 ? 1 : 0);
    setTableRows(m_headers, request.headers);
    m_bodyText->setPlainText(QString::fromUtf8(request.body));
    m_bodyText->document()->setModified(false);
    // Bytes that are not UTF-8 would not survive the text box: keep them as they are.
    m_flowBody = request.body;
    m_haveFlowBody = !request.body.isEmpty();
    setBodyKind(request.body.isEmpty() ? BodyKind::None : BodyKind::Text);
    // The response shown belonged to the previous request.
    m_lastResponse = {};
    m_status->setText(tr("Nothing sent yet."));
    m_timings->clear();
    m_responseHeaders->setRowCount(0);
    m_responseBody->clear();
}

void ComposerPane::editFlow(const flow::Flow &flow)
{
    QStringList connectionTokens;
    for (const auto &[name, value] : flow.requestHeaders)
        if (QString::fromStdString(name).compare(u"connection", Qt::CaseInsensitive) == 0)
            for (const QString &t : QString::fromStdString(value).split(u','))
                connectionTokens.append(t.trimmed());
    engine::ComposedRequest r;
    r.method = QString::fromStdString(flow.method);
    r.url = QString::fromStdString(flow.url());
    for (const auto &[name, value] : flow.requestHeaders)
        if (!dropWhenEditing(name, connectionTokens))
            r.headers.append({QString::fromStdString(name), QString::fromStdString(value)});
    if (flow.requestBody)
        r.body = QByteArray::fromStdString(flow.requestBody->read());
    r.http2 = flow.clientProtocol == "HTTP/2";
    setRequest(r);
}

void ComposerPane::replayFlow(const flow::Flow &flow)
{
    editFlow(flow);
    send();
}

void ComposerPane::setBodyKind(BodyKind kind)
{
    m_bodyKind->setCurrentIndex(int(kind));
}

void ComposerPane::setBodyFile(const QString &path)
{
    m_bodyFile->setText(path);
}

void ComposerPane::setFormFields(const QList<QPair<QString, QString>> &fields)
{
    setTableRows(m_form, fields);
}

// ---------------------------------------------------------------------------- chain

void ComposerPane::setChain(ChainChoice choice, const QStringList &hops)
{
    m_hops->setPlainText(hops.join(u'\n'));
    switch (choice) {
    case ChainChoice::Direct:
        m_chainDirect->setChecked(true);
        break;
    case ChainChoice::ProxyOwn:
        m_chainOwn->setChecked(true);
        break;
    case ChainChoice::Custom:
        m_chainCustom->setChecked(true);
        break;
    }
}

void ComposerPane::setVerifyServers(bool verify)
{
    m_verify->setChecked(verify);
}

bool ComposerPane::readOptions(QString &error)
{
    ChainChoice choice = ChainChoice::ProxyOwn;
    if (m_chainDirect->isChecked())
        choice = ChainChoice::Direct;
    else if (m_chainCustom->isChecked())
        choice = ChainChoice::Custom;
    upstream::ChainSpec hops;
    if (choice == ChainChoice::Custom) {
        const QStringList lines = m_hops->toPlainText().split(u'\n', Qt::SkipEmptyParts);
        for (const QString &l : lines) {
            if (l.trimmed().isEmpty())
                continue;
            auto hop = upstream::Hop::parse(l.trimmed().toStdString());
            if (!hop) {
                error = tr("Chain: %1").arg(QString::fromStdString(hop.error().message));
                return false;
            }
            hops.hops.push_back(std::move(*hop));
        }
        if (hops.hops.size() > upstream::ChainSpec::kMaxHops) {
            error = tr("Chain: at most %1 hops").arg(upstream::ChainSpec::kMaxHops);
            return false;
        }
    }
    engine::ComposeOptions options;
    switch (choice) {
    case ChainChoice::Direct:
        options.upstream = upstream::ChainRules{};
        break;
    case ChainChoice::ProxyOwn:
        break; // the engine's rules, live
    case ChainChoice::Custom:
        options.upstream = upstream::ChainRules{};
        options.upstream->setDefaultChain(hops);
        break;
    }
    options.verifyServers = m_verify->isChecked();
    m_sender->setOptions(std::move(options));
    return true;
}

// ---------------------------------------------------------------------------- sending

bool ComposerPane::busy() const
{
    return m_sender->pending() > 0;
}

void ComposerPane::send()
{
    dispatch(request(), 1, 1);
}

void ComposerPane::sendMany(int count, int concurrency)
{
    dispatch(request(), count, concurrency);
}

void ComposerPane::dispatch(const engine::ComposedRequest &req, int count, int concurrency)
{
    if (busy())
        return;
    QString error;
    bodyBytes(&error);
    if (error.isEmpty()) {
        if (auto url = engine::splitUrl(req.url); !url)
            error = QString::fromStdString(url.error().message);
    }
    if (error.isEmpty())
        readOptions(error);
    if (!error.isEmpty()) {
        showError(error);
        return;
    }
    addHistory(req);
    m_send->setEnabled(false);
    m_sendMany->setEnabled(false);
    m_status->setText(count > 1 ? tr("Sending %n request(s)…", nullptr, count) : tr("Sending…"));
    m_batch = count > 1;
    m_batchOk = m_batchFailed = 0;
    const int first = count > 1 ? m_sender->sendMany(req, count, concurrency) : m_sender->send(req);
    for (int i = 0; i < count; ++i)
        m_historyOf[first + i] = m_history.size() - 1;
}

void ComposerPane::onFinished(int id, const engine::ComposedResponse &response)
{
    (response.ok() ? m_batchOk : m_batchFailed) += 1;
    if (const auto it = m_historyOf.find(id); it != m_historyOf.end()) {
        if (it->second < m_history.size()) {
            HistoryEntry &entry = m_history[it->second];
            entry.status = response.status;
            entry.error = response.ok() ? QString() : response.error;
            entry.millis = response.timings.complete / 1000;
            refreshHistoryRow(it->second);
            Q_EMIT historyChanged();
        }
        m_historyOf.erase(it);
    }
    showResponse(response);
}

void ComposerPane::showError(const QString &message)
{
    m_status->setText(message);
    m_timings->clear();
    m_responseHeaders->setRowCount(0);
    m_responseBody->clear();
}

void ComposerPane::showResponse(const engine::ComposedResponse &response)
{
    m_lastResponse = response;
    if (!response.ok()) {
        showError(tr("No response: %1").arg(response.error));
    } else {
        QString status = response.protocol + u' ' + QString::number(response.status);
        if (!response.reason.isEmpty())
            status += u' ' + response.reason;
        if (response.fromProxy())
            status += u"  —  "_s + tr("from the proxy: %1").arg(response.proxyError());
        m_status->setText(status);
        setTableRows(m_responseHeaders, response.headers);
        // JSON indented as sent (order and digits kept), anything else as it came.
        QString contentType;
        for (const auto &[name, value] : response.headers)
            if (name.compare(u"content-type", Qt::CaseInsensitive) == 0)
                contentType = value;
        const std::string bytes = response.body.toStdString();
        std::optional<std::string> pretty;
        if (classifyBody(contentType, bytes) == ::ts::ui::BodyKind::Json)
            pretty = prettyJson(bytes);
        m_responseBody->setPlainText(pretty ? QString::fromStdString(*pretty)
                                            : QString::fromUtf8(response.body));
    }
    const auto &t = response.timings;
    m_timings->setText(tr("connect %1 · sent %2 · first byte %3 · complete %4")
                           .arg(millis(t.connect), millis(t.requestSent), millis(t.firstByte),
                                millis(t.complete)));
    Q_EMIT responseShown(response);
}

// ---------------------------------------------------------------------------- history

void ComposerPane::addHistory(const engine::ComposedRequest &request)
{
    if (m_history.size() >= kMaxHistory) {
        // Oldest first out; the ids still waiting point one entry lower.
        m_history.erase(m_history.begin());
        delete m_historyList->takeItem(m_historyList->count() - 1);
        for (auto it = m_historyOf.begin(); it != m_historyOf.end();) {
            if (it->second == 0) {
                it = m_historyOf.erase(it);
            } else {
                --it->second;
                ++it;
            }
        }
    }
    m_history.push_back({request, QDateTime::currentDateTime(), 0, {}, -1});
    m_historyList->insertItem(0, QString());
    refreshHistoryRow(m_history.size() - 1);
    Q_EMIT historyChanged();
}

void ComposerPane::refreshHistoryRow(std::size_t index)
{
    const HistoryEntry &e = m_history[index];
    QListWidgetItem *item = m_historyList->item(int(m_history.size() - 1 - index));
    if (!item)
        return;
    QString result = e.status            ? QString::number(e.status)
                     : e.error.isEmpty() ? u"…"_s
                                         : tr("failed");
    item->setText(u"%1  %2 %3  %4"_s.arg(e.sentAt.toString(u"HH:mm:ss"_s), e.request.method,
                                         e.request.url, result));
    const QString request = e.request.method + u' ' + e.request.url;
    item->setToolTip(e.error.isEmpty() ? request : request + u'\n' + e.error);
}

QByteArray ComposerPane::saveHistory() const
{
    QJsonArray entries;
    for (const HistoryEntry &e : m_history) {
        QJsonObject o;
        o[u"method"_s] = e.request.method;
        o[u"url"_s] = e.request.url;
        o[u"headers"_s] = pairsToJson(e.request.headers);
        o[u"body"_s] = QString::fromLatin1(e.request.body.toBase64());
        o[u"http2"_s] = e.request.http2;
        o[u"sentAt"_s] = e.sentAt.toMSecsSinceEpoch();
        o[u"status"_s] = e.status;
        o[u"error"_s] = e.error;
        o[u"millis"_s] = e.millis;
        entries.append(o);
    }
    QJsonObject root;
    root[u"composerHistory"_s] = kHistoryVersion;
    root[u"entries"_s] = entries;
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

bool ComposerPane::loadHistory(const QByteArray &blob)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(blob, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()
        || doc.object().value(u"composerHistory"_s).toInt() != kHistoryVersion)
        return false;
    std::vector<HistoryEntry> loaded;
    for (const QJsonValue &v : doc.object().value(u"entries"_s).toArray()) {
        if (!v.isObject())
            return false;
        const QJsonObject o = v.toObject();
        HistoryEntry e;
        e.request.method = o.value(u"method"_s).toString();
        e.request.url = o.value(u"url"_s).toString();
        for (const QJsonValue &h : o.value(u"headers"_s).toArray()) {
            const QJsonArray pair = h.toArray();
            if (pair.size() != 2)
                return false;
            e.request.headers.append({pair.at(0).toString(), pair.at(1).toString()});
        }
        e.request.body = QByteArray::fromBase64(o.value(u"body"_s).toString().toLatin1());
        e.request.http2 = o.value(u"http2"_s).toBool();
        e.sentAt = QDateTime::fromMSecsSinceEpoch(qint64(o.value(u"sentAt"_s).toDouble()));
        e.status = o.value(u"status"_s).toInt();
        e.error = o.value(u"error"_s).toString();
        e.millis = qint64(o.value(u"millis"_s).toDouble(-1));
        loaded.push_back(std::move(e));
    }
    if (loaded.size() > kMaxHistory)
        loaded.erase(loaded.begin(), loaded.end() - std::ptrdiff_t(kMaxHistory));
    m_historyOf.clear();
    m_history = std::move(loaded);
    m_historyList->clear();
    for (std::size_t i = 0; i < m_history.size(); ++i)
        m_historyList->addItem(QString());
    for (std::size_t i = 0; i < m_history.size(); ++i)
        refreshHistoryRow(i);
    Q_EMIT historyChanged();
    return true;
}

void ComposerPane::clearHistory()
{
    m_historyOf.clear();
    m_history.clear();
    m_historyList->clear();
    Q_EMIT historyChanged();
}

} // namespace ts::ui
