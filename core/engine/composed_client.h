#pragma once

#include "core/engine/composed.h"
#include "core/engine/tcp_socket.h"
#include "core/http1/parser.h"
#include "core/http2/h2_connection.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

namespace ts::engine {

// The client end of a composed request's synthetic connection (Engine::send): a socket pair
// inside the engine, whose other end the engine serves like any accepted client, so the
// request is recorded as an ordinary flow and takes the engine's own layers. Speaks HTTP/1.1
// in absolute form or HTTP/2 with prior knowledge, reads the answer, and reports it once;
// lives on the worker thread of the connection it talks to.
class ComposedClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposedClient)

public:
    using Done = std::function<void(const ComposedResponse &)>;
    // `clientAddress`: what the engine's side records as the client ("composer #12").
    ComposedClient(qintptr fd, ComposedRequest request, QString clientAddress, int timeoutMs,
                   Done done, QObject *parent = nullptr);
    ~ComposedClient() override;

    void start();

private:
    qint64 micros() const { return m_clock.nsecsElapsed() / 1000; }
    std::string http1Bytes() const;
    http2::Fields http2Fields() const;
    void write(std::string bytes);
    void onData(std::string_view data);
    void readHttp1(std::string_view data);
    void handleHttp1(const std::vector<http1::ResponseEvent> &events);
    void readH2(std::string_view data);
    void onEof();
    void finish(const QString &error);

    ComposedRequest m_request;
    SplitUrl m_url;
    int m_timeoutMs;
    Done m_done;
    TcpSocketPtr m_socket;
    QTimer m_timer;
    QElapsedTimer m_clock;
    ComposedResponse m_response;
    http1::ResponseParser m_http1;
    std::string m_buffer;
    std::unique_ptr<http2::H2Connection> m_h2;
    http2::StreamId m_stream = 0;
    bool m_finished = false;
};

} // namespace ts::engine
