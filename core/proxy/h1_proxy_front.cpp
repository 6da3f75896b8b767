#include "core/proxy/h1_proxy_front.h"

#include "core/proxy/stream_h1.h"

#include <algorithm>

namespace ts::proxy {

using namespace ts::http1;

H1ProxyFront::H1ProxyFront(Connection &connection, StreamServers &servers,
                           const SessionContext &context, flow::Connection &record)
    : m_connection(connection)
    , m_servers(servers)
    , m_context(context)
    , m_record(record)
    , m_parser(context.http1)
{}

H1ProxyFront::~H1ProxyFront() = default;

// ---------------------------------------------------------------------------- requests

void H1ProxyFront::clientData(std::string_view data, MonoTime now, std::vector<Command> &out)
{
    if (m_eof)
        return;
    m_input.append(data);
    pump(now, out);
}

void H1ProxyFront::clientEof(MonoTime now, std::vector<Command> &out)
{
    m_eof = true;
    if (m_exchange) {
        if (!m_exchange->requestComplete()) {
            // Let the parser see the end: a close-delimited nothing, or a truncated request.
            std::vector<RequestEvent> events;
            m_parser.feedEof(events);
            m_exchange->abort("the client closed the connection before the request was complete",
                              now, out);
            m_connection.closeClient(false, "client closed", now, out);
        }
        // Otherwise the response is still due: send it, then close (streamCompleted).
        return;
    }
    m_connection.closeClient(false, "client closed", now, out);
}

void H1ProxyFront::pump(MonoTime now, std::vector<Command> &out)
{
    std::vector<RequestEvent> events;
    while (m_connection.serving()) {
        // One exchange at a time: a pipelined request waits until the previous response is out.
        if (m_exchange && m_exchange->requestComplete())
            break;
        if (m_inputPos == m_input.size())
            break;
        if (!m_exchange && m_record.flows == 0 && m_inputPos == 0 && !m_context.carried) {
            // HTTP/2 with prior knowledge (RFC 9113 §3.3) starts with the connection preface.
            // Its first line says the client speaks h2; the rest is HTTP/2's to judge, so a
            // preface that goes wrong after it gets GOAWAY PROTOCOL_ERROR (§3.4), not a 400.
            static constexpr std::string_view firstLine = "PRI * HTTP/2.0\r\n";
            const std::size_t n = std::min(m_input.size(), firstLine.size());
            if (std::string_view(m_input).substr(0, n) == firstLine.substr(0, n)) {
                if (n < firstLine.size())
                    break; // wait for the rest of the line
                m_connection.startH2(now, out);
                return;
            }
        }
        if (!m_exchange && m_headStartedAt < 0)
            m_headStartedAt = now;
        events.clear();
        const std::size_t used
            = m_parser.feed(std::string_view(m_input).substr(m_inputPos), events);
        m_inputPos += used;
        for (RequestEvent &e : events) {
            onRequestEvent(e, now, out);
            if (!m_connection.serving())
                break;
        }
        if (used == 0 && events.empty())
            break;
    }
    if (m_inputPos > 0 && (m_inputPos == m_input.size() || m_inputPos > 64 * 1024)) {
        m_input.erase(0, m_inputPos);
        m_inputPos = 0;
    }
    // An idle keep-alive connection should not keep the room its last burst of input needed.
    if (m_input.empty() && m_input.capacity() > 4096)
        std::string().swap(m_input);
    updatePause(out);
}

void H1ProxyFront::updatePause(std::vector<Command> &out)
{
    if (!m_connection.serving())
        return;
    std::size_t held = m_input.size() - m_inputPos;
    if (m_exchange)
        held += m_exchange->heldBytes();
    const bool pause = held >= m_context.proxy.maxBufferedClientInput;
    if (pause != m_paused) {
        m_paused = pause;
        if (pause)
            out.push_back(PauseClient{});
        else
            out.push_back(ResumeClient{});
    }
}

void H1ProxyFront::unpause(std::vector<Command> &out)
{
    if (m_paused) {
        m_paused = false;
        out.push_back(ResumeClient{});
    }
}

void H1ProxyFront::onRequestEvent(RequestEvent &event, MonoTime now, std::vector<Command> &out)
{
    if (auto *head = std::get_if<RequestHeadEvent>(&event)) {
        m_headStartedAt = -1;
        newStream(now).requestHead(*head, nullptr, now, out);
        return;
    }
    if (auto *error = std::get_if<ParseError>(&event)) {
        // Record what was wrong on a flow of its own, answer, and close: after a framing error
        // nothing on this connection can be trusted.
        if (m_exchange && m_exchange->flow().status == 0 && !m_exchange->headSent())
            m_exchange->requestFailed(error->status, error->reason, now, out);
        else if (m_exchange)
            m_exchange->abort("invalid request body: " + error->reason, now, out);
        else
            newStream(now).requestFailed(error->status, error->reason, now, out);
        m_connection.closeClient(false, "invalid request", now, out);
        return;
    }
    if (!m_exchange)
        return;
    if (auto *body = std::get_if<BodyData>(&event))
        m_exchange->requestBody(body->data, out);
    else if (auto *trailers = std::get_if<TrailersEvent>(&event))
        m_exchange->requestTrailers(trailers->trailers);
    else if (auto *end = std::get_if<MessageEnd>(&event))
        m_exchange->requestEnd(end->wireSize, now, out);
}

HttpStream &H1ProxyFront::newStream(MonoTime now)
{
    m_exchange = std::make_unique<HttpStream>(static_cast<StreamClient &>(*this), m_servers,
                                              m_context, now);
    m_responseChunked = false;
    m_closeAfter = false;
    ++m_record.flows;
    return *m_exchange;
}

std::string H1ProxyFront::takeInput()
{
    std::string rest = m_input.substr(m_inputPos);
    m_input.clear();
    m_inputPos = 0;
    return rest;
}

HttpStream &H1ProxyFront::tunnelStream()
{
    return *m_leftStreams.back();
}

void H1ProxyFront::leave()
{
    m_leftStreams.push_back(std::move(m_exchange));
}

void H1ProxyFront::endEvent(std::vector<Command> &out)
{
    // An exchange's intermediate milestones (request seen, connected, response head) are
    // published once per event, not once each: a fast exchange costs one copy, not three.
    if (m_exchange && m_exchange->takeDirty())
        out.push_back(PublishFlow{std::make_shared<flow::Flow>(m_exchange->flow())});
    m_leftStreams.clear();
}

// ---------------------------------------------------------------------------- timeouts

void H1ProxyFront::tick(MonoTime now, MonoTime lastActivity, std::vector<Command> &out)
{
    const Timeouts &t = m_context.timeouts;
    if (m_exchange) {
        m_exchange->tick(now, out);
        return;
    }
    if (m_headStartedAt >= 0 && now >= m_headStartedAt + t.requestHead) {
        m_headStartedAt = -1;
        newStream(now).requestFailed(
            408, "the request head was not complete within " + secondsText(t.requestHead), now,
            out);
        m_connection.closeClient(false, "request head timeout", now, out);
        return;
    }
    if (m_headStartedAt < 0 && m_inputPos == m_input.size() && now >= lastActivity + t.clientIdle)
        m_connection.closeClient(false, "idle keep-alive connection", now, out);
}

MonoTime H1ProxyFront::deadline(MonoTime lastActivity) const
{
    if (m_exchange)
        return m_exchange->deadline();
    const Timeouts &t = m_context.timeouts;
    if (m_headStartedAt >= 0)
        return m_headStartedAt + t.requestHead;
    return lastActivity + t.clientIdle;
}

// ---------------------------------------------------------------------------- responses

void H1ProxyFront::clientInterim(HttpStream &, const ResponseHead &head, std::vector<Command> &out)
{
    m_connection.sendClient(serialize(head), out);
}

void H1ProxyFront::clientHead(HttpStream &stream, ResponseHead &&head, BodyFraming framing,
                              std::vector<Command> &out)
{
    flow::Flow &f = stream.flow();
    if (stream.clientIs10())
        head.version = Version::Http10;
    if (head.status == 101) {
        head.headers.push_back({"Connection", "Upgrade"});
        for (const auto &[name, value] : f.responseHeaders)
            if (equalsIgnoreCase(name, "upgrade")) {
                head.headers.push_back({"Upgrade", value});
                break;
            }
    } else {
        if (framing == BodyFraming::Chunked || framing == BodyFraming::UntilClose) {
            if (stream.clientIs10()) {
                m_closeAfter = true; // HTTP/1.0 has no chunked: delimit by closing
            } else {
                m_responseChunked = true;
                head.headers.push_back({"Transfer-Encoding", "chunked"});
            }
        }
        if (!stream.requestComplete())
            m_closeAfter = true; // answered before the request ended: cannot resync
        const bool keepAlive = stream.clientKeepAlive() && !m_closeAfter && !m_eof;
        if (!keepAlive)
            head.headers.push_back({"Connection", "close"});
        else if (stream.clientIs10())
            head.headers.push_back({"Connection", "keep-alive"});
        m_closeAfter = !keepAlive;
    }
    std::string bytes = serialize(head);
    f.clientResponseWireBytes = bytes.size();
    f.clientResponseHeaders = toList(std::move(head.headers));
    m_connection.sendClient(std::move(bytes), out);
}

void H1ProxyFront::clientBody(HttpStream &stream, std::string_view data, std::vector<Command> &out)
{
    std::string bytes = m_responseChunked ? chunk(data) : std::string(data);
    stream.flow().clientResponseWireBytes += bytes.size();
    m_connection.sendClient(std::move(bytes), out);
}

void H1ProxyFront::clientEnd(HttpStream &stream, std::vector<Command> &out)
{
    if (!m_responseChunked)
        return;
    flow::Flow &f = stream.flow();
    std::string bytes = lastChunk(toHeaders(f.responseTrailers));
    f.clientResponseWireBytes += bytes.size();
    m_connection.sendClient(std::move(bytes), out);
}

void H1ProxyFront::clientLocal(HttpStream &stream, ResponseHead &head, std::string body, bool close,
                               const std::string &error, std::vector<Command> &out)
{
    m_closeAfter = close || !stream.clientKeepAlive();
    if (m_context.tunnelTarget && stream.isConnect()) {
        out.push_back(TunnelRefused{head.status, stream.connectFailure(), error});
        return;
    }
    if (m_closeAfter)
        head.headers.push_back({"Connection", "close"});
    m_connection.sendClient(serialize(head) + body, out);
}

void H1ProxyFront::clientConnectEstablished(HttpStream &, std::vector<Command> &out)
{
    if (m_context.tunnelTarget)
        out.push_back(TunnelEstablished{});
    else
        m_connection.sendClient(std::string("HTTP/1.1 200 Connection established\r\n\r\n"), out);
}

void H1ProxyFront::clientPump(MonoTime now, std::vector<Command> &out)
{
    pump(now, out);
}

void H1ProxyFront::streamCompleted(HttpStream &stream, MonoTime now, std::vector<Command> &out)
{
    const bool close
        = m_closeAfter || !stream.clientKeepAlive() || !stream.requestComplete() || m_eof;
    leave();
    if (close) {
        m_connection.closeClient(false, "response complete", now, out);
        return;
    }
    pump(now, out); // a pipelined request may be waiting
}

void H1ProxyFront::streamAborted(HttpStream &, const std::string &error, MonoTime now,
                                 std::vector<Command> &out)
{
    leave();
    m_connection.closeClient(true, error, now, out);
}

void H1ProxyFront::streamTunnel(HttpStream &, std::string toClient, MonoTime now,
                                std::vector<Command> &out)
{
    leave();
    m_connection.startTunnel(std::move(toClient), now, out);
}

} // namespace ts::proxy
