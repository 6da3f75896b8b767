#include "core/engine/composed_client.h"

#include "core/base/time.h"
#include "core/flow/connection_log.h"
#include "core/http/fields.h"
#include "core/http1/message.h"

namespace ts::engine {

using namespace Qt::StringLiterals;

namespace {

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

ComposedClient::ComposedClient(qintptr fd, ComposedRequest request, QString clientAddress,
                               int timeoutMs, Done done, QObject *parent)
    : QObject(parent)
    , m_request(std::move(request))
    , m_timeoutMs(timeoutMs)
    , m_done(std::move(done))
    , m_socket(new TcpSocket)
{
    m_response.protocol = m_request.http2 ? u"HTTP/2"_s : u"HTTP/1.1"_s;
    m_response.clientAddress = std::move(clientAddress);
    m_socket->adopt(fd);
}

ComposedClient::~ComposedClient()
{
    // The engine shut down first: whoever asked still hears of it.
    if (!m_finished && m_done) {
        m_response.error = u"the engine stopped"_s;
        m_done(m_response);
    }
}

void ComposedClient::start()
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
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this,
            [this] { finish(u"no complete response within %1 s"_s.arg(m_timeoutMs / 1000.0)); });
    m_timer.start(m_timeoutMs);
    m_socket->onData = [this](std::string_view data) {
        onData(data);
    };
    m_socket->onEof = [this] {
        onEof();
    };
    m_socket->onError = [this](const QString &message) {
        finish(u"the engine's connection failed: "_s + message);
    };
    m_socket->onDrained = [this] {
        // HTTP/2: the request is out when its stream's data is framed and written.
        if (m_response.timings.requestSent < 0 && !(m_h2 && m_h2->queued(m_stream) > 0))
            m_response.timings.requestSent = micros();
    };
    m_response.timings.connect = micros(); // no connect: the pair is connected from the start

    if (!m_request.http2) {
        m_http1.expectResponseTo(m_request.method.trimmed().toStdString());
        write(http1Bytes());
        return;
    }
    auto conn
        = http2::H2Connection::create(http2::H2Connection::Role::Client, http2::ProtocolLimits{},
                                      nullptr, monotonicNow()); // its frames are not shown
    if (!conn) {
        finish(QString::fromStdString(conn.error().message));
        return;
    }
    m_h2 = std::move(*conn);
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
    write(m_h2->takeOutput(monotonicNow()));
}

std::string ComposedClient::http1Bytes() const
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
        head.headers.insert(head.headers.begin(), {"Host", defaultAuthority(m_url).toStdString()});
    if (!hasLength && wantsLength(m_request.method, m_request.body))
        head.headers.push_back({"Content-Length", std::to_string(m_request.body.size())});
    return http1::serialize(head) + m_request.body.toStdString();
}

http2::Fields ComposedClient::http2Fields() const
{
    http2::Fields fields{{":method", m_request.method.trimmed().toStdString()},
                         {":scheme", m_url.scheme.toStdString()},
                         {":authority", defaultAuthority(m_url).toStdString()},
                         {":path", m_url.path.toStdString()}};
    bool hasLength = false;
    for (const auto &[name, value] : m_request.headers) {
        const std::string n = http::lower(name.trimmed().toStdString());
        // Fields that describe one hop (RFC 9110 §7.6.1) have no place in HTTP/2 (RFC 9113
        // §8.2.2); the framing is ours to set.
        if (n.empty() || n[0] == ':' || n == "host" || n == "te" || http::connectionSpecific(n))
            continue;
        if (n == "content-length") {
            if (hasLength)
                continue;
            hasLength = true;
            fields.emplace_back("content-length", std::to_string(m_request.body.size()));
            continue;
        }
        fields.emplace_back(n, value.toStdString());
    }
    if (!hasLength && wantsLength(m_request.method, m_request.body))
        fields.emplace_back("content-length", std::to_string(m_request.body.size()));
    return fields;
}

void ComposedClient::write(std::string bytes)
{
    if (!bytes.empty() && m_socket)
        m_socket->write(std::move(bytes));
}

void ComposedClient::onData(std::string_view data)
{
    if (data.empty() || m_finished)
        return;
    if (m_response.timings.firstByte < 0)
        m_response.timings.firstByte = micros();
    if (m_h2)
        readH2(data);
    else
        readHttp1(data);
}

void ComposedClient::readHttp1(std::string_view data)
{
    m_buffer.append(data);
    std::vector<http1::ResponseEvent> events;
    const std::size_t used = m_http1.feed(m_buffer, events);
    handleHttp1(events); // the events' data views point into m_buffer
    if (!m_finished)
        m_buffer.erase(0, used);
}

void ComposedClient::handleHttp1(const std::vector<http1::ResponseEvent> &events)
{
    for (const auto &event : events) {
        if (m_finished)
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

void ComposedClient::readH2(std::string_view data)
{
    std::vector<http2::H2Event> events;
    m_h2->receive(data, monotonicNow(), events);
    for (const auto &event : events) {
        if (m_finished)
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
                    headers.append({QString::fromStdString(name), QString::fromStdString(value)});
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
                finish(m_response.status ? QString() : u"the stream ended without a response"_s);
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
    if (!m_finished)
        write(m_h2->takeOutput(monotonicNow()));
}

void ComposedClient::onEof()
{
    if (m_finished)
        return;
    if (!m_h2) {
        // A close-delimited body ends here; anything else is cut short.
        std::vector<http1::ResponseEvent> events;
        m_http1.feedEof(events);
        handleHttp1(events);
    }
    if (!m_finished)
        finish(u"the engine closed the connection before the response was complete"_s);
}

void ComposedClient::finish(const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer.stop();
    m_response.error = error;
    m_response.timings.complete = micros();
    if (m_response.timings.requestSent < 0 && m_response.timings.firstByte >= 0)
        m_response.timings.requestSent = m_response.timings.firstByte;
    if (m_socket) {
        m_socket->onData = nullptr;
        m_socket->onEof = nullptr;
        m_socket->onError = nullptr;
        m_socket->onDrained = nullptr;
        m_socket->close();
    }
    if (m_done)
        m_done(m_response);
    m_done = nullptr;
    deleteLater();
}

} // namespace ts::engine
