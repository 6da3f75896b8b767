#include "core/engine/request_sender.h"

#include "core/base/time.h"
#include "core/engine/engine.h"
#include "core/flow/connection_log.h"
#include "core/http1/message.h"
#include "core/http1/parser.h"
#include "core/http2/h2_connection.h"
#include "core/proxy/http_proxy_session.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTimer>

namespace ts::engine {

using namespace Qt::StringLiterals;

namespace {

const QByteArray kProxyMarker = "\n\nTunnelscope: "_ba;

bool isConnectionSpecific(const QString &name)
{
    // Fields that describe one hop (RFC 9110 §7.6.1): HTTP/2 forbids them (RFC 9113 §8.2.2),
    // and over HTTP/1.1 the proxy drops them anyway; the framing is ours to set.
    static const QStringList names{u"connection"_s,        u"keep-alive"_s, u"proxy-connection"_s,
                                   u"transfer-encoding"_s, u"upgrade"_s,    u"te"_s};
    return names.contains(name, Qt::CaseInsensitive);
}

bool wantsLength(const QString &method, const QByteArray &body)
{
    return !body.isEmpty() || method == u"POST" || method == u"PUT" || method == u"PATCH";
}

QString defaultAuthority(const SplitUrl &url)
{
    const bool defaultPort
        = (url.scheme == u"http" && url.port == 80) || (url.scheme == u"https" && url.port == 443);
    const QString host = url.host.contains(u':') ? QString(u'[' + url.host + u']') : url.host;
    return defaultPort ? host : QString(host + u':' + QString::number(url.port));
}

} // namespace

bool ComposedResponse::fromProxy() const
{
    if (!ok())
        return false;
    const QString field = QString::fromLatin1(proxy::kLocalErrorField);
    return std::any_of(headers.begin(), headers.end(), [&field](const auto &h) {
        return h.first.compare(field, Qt::CaseInsensitive) == 0;
    });
}

QString ComposedResponse::proxyError() const
{
    if (!fromProxy())
        return {};
    // The body is "502 Bad Gateway\n\nTunnelscope: <why>\n" (HttpProxySession::failExchange).
    const qsizetype at = body.indexOf(kProxyMarker);
    return QString::fromUtf8(at < 0 ? body : body.mid(at + kProxyMarker.size())).trimmed();
}

Result<SplitUrl> splitUrl(const QString &text)
{
    SplitUrl out;
    const QString url = text.trimmed();
    const qsizetype sep = url.indexOf(u"://");
    if (sep <= 0)
        return Error{"url.scheme",
                     "the URL needs http:// or https:// in front: " + url.toStdString()};
    out.scheme = url.left(sep).toLower();
    if (out.scheme != u"http" && out.scheme != u"https")
        return Error{"url.scheme", "only http and https URLs can be sent, not "
                                       + out.scheme.toStdString() + "://"};
    qsizetype end = sep + 3;
    while (end < url.size() && url.at(end) != u'/' && url.at(end) != u'?' && url.at(end) != u'#')
        ++end;
    out.authority = url.mid(sep + 3, end - sep - 3);
    if (out.authority.contains(u'@'))
        return Error{"url.userinfo", "user names in the URL are not sent: use an Authorization "
                                     "header"};
    QString rest = url.mid(end);
    if (const qsizetype hash = rest.indexOf(u'#'); hash >= 0)
        rest.truncate(hash);
    out.path = rest.isEmpty() || rest.startsWith(u'?') ? u'/' + rest : rest;
    if (out.path.contains(u' '))
        return Error{"url.space", "the URL has a space in it: write it as %20"};

    QString host = out.authority;
    QString port;
    if (host.startsWith(u'[')) {
        const qsizetype close = host.indexOf(u']');
        if (close < 0)
            return Error{"url.host", "unclosed [ in the URL's host"};
        port = host.mid(close + 1);
        host = host.mid(1, close - 1);
        if (!port.isEmpty() && !port.startsWith(u':'))
            return Error{"url.host", "junk after ] in the URL's host"};
        port = port.mid(1);
    } else if (const qsizetype colon = host.lastIndexOf(u':'); colon >= 0) {
        port = host.mid(colon + 1);
        host.truncate(colon);
    }
    if (host.isEmpty())
        return Error{"url.host", "the URL has no host"};
    out.host = host.toLower();
    if (port.isEmpty()) {
        out.port = out.scheme == u"https" ? 443 : 80;
    } else {
        bool ok = false;
        const uint p = port.toUInt(&ok);
        if (!ok || p == 0 || p > 65535)
            return Error{"url.port", "bad port in the URL: " + port.toStdString()};
        out.port = quint16(p);
    }
    return out;
}

// ---------------------------------------------------------------------------- one exchange

// One request on a connection of its own to the engine: write it, read the answer, report.
class RequestSender::Exchange final : public QObject
{
public:
    Exchange(RequestSender &owner, int id, ComposedRequest request)
        : m_owner(owner), m_id(id), m_request(std::move(request))
    {
        m_response.protocol = m_request.http2 ? u"HTTP/2"_s : u"HTTP/1.1"_s;
    }

    void start(const QString &host, quint16 port, int timeoutMs)
    {
        m_clock.start();
        auto url = splitUrl(m_request.url);
        if (!url) {
            finish(QString::fromStdString(url.error().message));
            return;
        }
        m_url = *url;
        if (m_request.method.trimmed().isEmpty()) {
            finish(u"no method"_s);
            return;
        }
        if (m_request.http2 && !prepareHttp2())
            return;
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this, timeoutMs] {
            finish(u"no complete response within %1 s"_s.arg(timeoutMs / 1000.0));
        });
        m_timer.start(timeoutMs);
        connect(&m_socket, &QTcpSocket::connected, this, [this] { onConnected(); });
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
        connect(&m_socket, &QTcpSocket::bytesWritten, this, [this] { onBytesWritten(); });
        connect(&m_socket, &QTcpSocket::errorOccurred, this,
                [this](QAbstractSocket::SocketError e) { onSocketError(e); });
        m_socket.connectToHost(host, port);
    }

private:
    qint64 micros() const { return m_clock.nsecsElapsed() / 1000; }

    bool prepareHttp2()
    {
        auto conn = http2::H2Connection::create(
            http2::H2Connection::Role::Client, http2::ProtocolLimits{},
            std::make_shared<flow::ConnectionLog>(), monotonicNow());
        if (!conn) {
            finish(QString::fromStdString(conn.error().message));
            return false;
        }
        m_h2 = std::move(*conn);
        return true;
    }

    std::string http1Bytes() const
    {
        http1::RequestHead head;
        head.method = m_request.method.trimmed().toStdString();
        head.target = QString(m_url.scheme + u"://" + m_url.authority + m_url.path).toStdString();
        bool hasHost = false;
        bool hasLength = false;
        for (const auto &[name, value] : m_request.headers) {
            if (name.trimmed().isEmpty())
                continue;
            if (name.compare(u"transfer-encoding", Qt::CaseInsensitive) == 0)
                continue; // the body goes with a Content-Length
            http1::Header h{name.trimmed().toStdString(), value.toStdString()};
            if (name.compare(u"host", Qt::CaseInsensitive) == 0)
                hasHost = true;
            if (name.compare(u"content-length", Qt::CaseInsensitive) == 0) {
                if (hasLength)
                    continue;
                hasLength = true;
                h.value = std::to_string(m_request.body.size());
            }
            head.headers.push_back(std::move(h));
        }
        if (!hasHost)
            head.headers.insert(head.headers.begin(),
                                {"Host", defaultAuthority(m_url).toStdString()});
        if (!hasLength && wantsLength(m_request.method, m_request.body))
            head.headers.push_back({"Content-Length", std::to_string(m_request.body.size())});
        return http1::serialize(head) + m_request.body.toStdString();
    }

    http2::Fields http2Fields() const
    {
        http2::Fields fields{{":method", m_request.method.trimmed().toStdString()},
                             {":scheme", m_url.scheme.toStdString()},
                             {":authority", defaultAuthority(m_url).toStdString()},
                             {":path", m_url.path.toStdString()}};
        bool hasLength = false;
        for (const auto &[name, value] : m_request.headers) {
            const QString n = name.trimmed().toLower();
            if (n.isEmpty() || n.startsWith(u':') || n == u"host" || isConnectionSpecific(n))
                continue;
            if (n == u"content-length") {
                if (hasLength)
                    continue;
                hasLength = true;
                fields.emplace_back("content-length", std::to_string(m_request.body.size()));
                continue;
            }
            fields.emplace_back(n.toStdString(), value.toStdString());
        }
        if (!hasLength && wantsLength(m_request.method, m_request.body))
            fields.emplace_back("content-length", std::to_string(m_request.body.size()));
        return fields;
    }

    void onConnected()
    {
        m_response.timings.connect = micros();
        const QHostAddress local = m_socket.localAddress();
        const QString host = local.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QString(u'[' + local.toString() + u']')
                                 : local.toString();
        m_response.clientAddress = host + u':' + QString::number(m_socket.localPort());
        if (!m_h2) {
            m_http1.expectResponseTo(m_request.method.trimmed().toStdString());
            write(http1Bytes());
            return;
        }
        const bool hasBody = !m_request.body.isEmpty();
        auto stream = m_h2->submitRequest(http2Fields(), !hasBody);
        if (!stream) {
            finish(QString::fromStdString(stream.error().message));
            return;
        }
        m_stream = *stream;
        if (hasBody) {
            m_h2->submitData(m_stream, std::string_view(m_request.body.constData(),
                                                        std::size_t(m_request.body.size())));
            m_h2->endStream(m_stream);
        }
        flushH2();
    }

    void write(const std::string &bytes)
    {
        if (bytes.empty())
            return;
        m_unwritten += qint64(bytes.size());
        m_socket.write(bytes.data(), qint64(bytes.size()));
    }

    void flushH2() { write(m_h2->takeOutput(monotonicNow())); }

    void onBytesWritten()
    {
        if (m_socket.bytesToWrite() > 0 || m_response.timings.requestSent >= 0)
            return;
        // HTTP/2: the request is out when its stream's data is framed and written.
        if (m_h2 && (m_h2->queued(m_stream) > 0))
            return;
        m_response.timings.requestSent = micros();
    }

    void onReadyRead()
    {
        const QByteArray bytes = m_socket.readAll();
        if (bytes.isEmpty() || m_done)
            return;
        if (m_response.timings.firstByte < 0)
            m_response.timings.firstByte = micros();
        const std::string_view view(bytes.constData(), std::size_t(bytes.size()));
        if (m_h2)
            readH2(view);
        else
            readHttp1(view);
    }

    void readHttp1(std::string_view view)
    {
        m_buffer.append(view);
        std::vector<http1::ResponseEvent> events;
        const std::size_t used = m_http1.feed(m_buffer, events);
        handleHttp1(events); // the events' data views point into m_buffer
        m_buffer.erase(0, used);
    }

    void handleHttp1(const std::vector<http1::ResponseEvent> &events)
    {
        for (const auto &event : events) {
            if (m_done)
                return;
            if (const auto *head = std::get_if<http1::ResponseHeadEvent>(&event)) {
                if (head->informational)
                    continue;
                m_response.status = head->head.status;
                m_response.reason = QString::fromStdString(head->head.reason);
                for (const http1::Header &h : head->head.headers)
                    m_response.headers.append(
                        {QString::fromStdString(h.name), QString::fromStdString(h.value)});
            } else if (const auto *data = std::get_if<http1::BodyData>(&event)) {
                m_response.body.append(data->data.data(), qsizetype(data->data.size()));
            } else if (std::holds_alternative<http1::MessageEnd>(event)) {
                finish({});
            } else if (const auto *error = std::get_if<http1::ParseError>(&event)) {
                finish(u"the engine's response cannot be parsed: "_s
                       + QString::fromStdString(error->reason));
            }
        }
    }

    void readH2(std::string_view view)
    {
        std::vector<http2::H2Event> events;
        m_h2->receive(view, monotonicNow(), events);
        for (const auto &event : events) {
            if (m_done)
                return;
            if (const auto *h = std::get_if<http2::HeadersReceived>(&event)) {
                if (h->stream != m_stream || h->trailers)
                    continue;
                int status = 0;
                ComposedHeaders headers;
                for (const auto &[name, value] : h->fields) {
                    if (name == ":status")
                        status = std::atoi(value.c_str());
                    else if (!name.starts_with(':'))
                        headers.append(
                            {QString::fromStdString(name), QString::fromStdString(value)});
                }
                if (status >= 100 && status < 200)
                    continue;
                m_response.status = status;
                m_response.headers = std::move(headers);
                if (h->endStream)
                    finish({});
            } else if (const auto *d = std::get_if<http2::DataReceived>(&event)) {
                if (d->stream == m_stream)
                    m_response.body.append(d->data.data(), qsizetype(d->data.size()));
                m_h2->consume(d->stream, d->data.size());
            } else if (const auto *e = std::get_if<http2::StreamEnded>(&event)) {
                if (e->stream == m_stream)
                    finish(m_response.status ? QString()
                                             : u"the stream ended without a response"_s);
            } else if (const auto *c = std::get_if<http2::StreamClosed>(&event)) {
                if (c->stream == m_stream && c->code != 0)
                    finish(u"the engine reset the stream (HTTP/2 error code %1)"_s.arg(c->code));
            } else if (const auto *g = std::get_if<http2::GoAwayReceived>(&event)) {
                if (g->lastStream < m_stream)
                    finish(u"the engine refused the stream (GOAWAY %1)"_s.arg(
                        QString::fromStdString(g->debug)));
            } else if (const auto *f = std::get_if<http2::ConnectionFailed>(&event)) {
                finish(u"HTTP/2 with the engine failed: "_s + QString::fromStdString(f->reason));
            }
        }
        if (!m_done)
            flushH2();
    }

    void onSocketError(QAbstractSocket::SocketError error)
    {
        if (m_done)
            return;
        if (error == QAbstractSocket::RemoteHostClosedError) {
            if (!m_h2) {
                // A close-delimited body ends here; anything else is cut short.
                std::vector<http1::ResponseEvent> events;
                m_http1.feedEof(events);
                handleHttp1(events);
            }
            if (!m_done)
                finish(u"the engine closed the connection before the response was complete"_s);
            return;
        }
        finish(u"cannot talk to the composer's engine at %1:%2: %3"_s.arg(
            m_socket.peerName(), QString::number(m_socket.peerPort()), m_socket.errorString()));
    }

    void finish(const QString &error)
    {
        if (m_done)
            return;
        m_done = true;
        m_timer.stop();
        m_response.error = error;
        m_response.timings.complete = micros();
        if (m_response.timings.requestSent < 0 && m_response.timings.firstByte >= 0)
            m_response.timings.requestSent = m_response.timings.firstByte;
        m_socket.disconnect(this);
        m_socket.abort();
        // The owner deletes this exchange: after this call nothing of it may run.
        QMetaObject::invokeMethod(
            &m_owner,
            [owner = &m_owner, id = m_id, r = m_response] { owner->onExchangeDone(id, r); },
            Qt::QueuedConnection);
    }

    RequestSender &m_owner;
    int m_id;
    ComposedRequest m_request;
    SplitUrl m_url;
    QTcpSocket m_socket;
    QTimer m_timer;
    QElapsedTimer m_clock;
    ComposedResponse m_response;
    http1::ResponseParser m_http1;
    std::string m_buffer;
    std::unique_ptr<http2::H2Connection> m_h2;
    http2::StreamId m_stream = 0;
    qint64 m_unwritten = 0;
    bool m_done = false;
};

// ---------------------------------------------------------------------------- RequestSender

RequestSender::RequestSender(QObject *parent) : QObject(parent)
{}

RequestSender::~RequestSender() = default;

void RequestSender::setProxy(const QString &host, quint16 port)
{
    m_host = host;
    m_port = port;
}

int RequestSender::send(const ComposedRequest &request)
{
    const int id = m_nextId++;
    start(id, request);
    return id;
}

int RequestSender::sendMany(const ComposedRequest &request, int count, int concurrency)
{
    const int first = m_nextId;
    m_concurrency = std::max(1, concurrency);
    for (int i = 0; i < std::max(1, count); ++i)
        m_queue.push_back({m_nextId++, request});
    startQueued();
    return first;
}

void RequestSender::cancelAll()
{
    m_queue.clear();
    m_active.clear();
}

void RequestSender::start(int id, const ComposedRequest &request)
{
    auto exchange = std::make_unique<Exchange>(*this, id, request);
    Exchange *e = exchange.get();
    m_active.emplace(id, std::move(exchange));
    e->start(m_host, m_port, m_timeoutMs);
}

void RequestSender::startQueued()
{
    while (!m_queue.empty() && int(m_active.size()) < m_concurrency) {
        Queued next = std::move(m_queue.front());
        m_queue.pop_front();
        start(next.id, next.request);
    }
}

void RequestSender::onExchangeDone(int id, const ComposedResponse &response)
{
    const auto it = m_active.find(id);
    if (it == m_active.end())
        return; // cancelled
    m_active.erase(it);
    Q_EMIT finished(id, response);
    startQueued();
    if (m_active.empty() && m_queue.empty())
        Q_EMIT idle();
}

// ---------------------------------------------------------------------------- ComposerEngine

ComposerEngine::ComposerEngine(flow::FlowStore &store, QObject *parent)
    : QObject(parent), m_store(store)
{}

ComposerEngine::~ComposerEngine()
{
    stop();
}

EngineConfig ComposerEngine::configFor(const EngineConfig &base, ChainChoice choice,
                                       const upstream::ChainSpec &hops, bool verifyServers)
{
    EngineConfig c = base;
    switch (choice) {
    case ChainChoice::Direct:
        c.upstream = upstream::ChainRules{};
        break;
    case ChainChoice::ProxyOwn:
        break;
    case ChainChoice::Custom:
        c.upstream = upstream::ChainRules{};
        c.upstream.setDefaultChain(hops);
        break;
    }
    c.verifyServers = verifyServers;
    return c;
}

Result<void> ComposerEngine::start(EngineConfig config)
{
    stop();
    // Only the composer talks to this engine: loopback, a free port, one worker.
    config.listenHost = u"127.0.0.1"_s;
    config.listenPort = 0;
    config.httpsListenHost.clear();
    config.httpsListenPort = 0;
    config.socksListenHost.clear();
    config.socksListenPort = 0;
    config.socksCredentials.reset();
    config.workers = 1;
    m_config = config;
    auto engine = std::make_unique<Engine>(std::move(config), m_store);
    if (auto started = engine->start(); !started)
        return started;
    const QString address = engine->listenAddress();
    const qsizetype colon = address.lastIndexOf(u':');
    m_host = u"127.0.0.1"_s;
    m_port = quint16(address.mid(colon + 1).toUInt());
    m_engine = std::move(engine);
    return {};
}

void ComposerEngine::stop()
{
    if (m_engine)
        m_engine->stop();
    m_engine.reset();
    m_port = 0;
}

bool ComposerEngine::running() const
{
    return m_engine && m_engine->running();
}

} // namespace ts::engine
