#include "core/proxy/websocket_recorder.h"

#include "core/http/fields.h"
#include "core/ws/deflate.h"

#include <algorithm>
#include <utility>

namespace ts::proxy {

namespace {

// All the values of `name` joined with ", " (a list header sent as several fields).
std::string joined(const flow::HeaderList &headers, std::string_view name)
{
    std::string out;
    for (const auto &[n, v] : headers) {
        if (!http::equalsIgnoreCase(n, name))
            continue;
        if (!out.empty())
            out += ", ";
        out += v;
    }
    return out;
}

bool has(const flow::HeaderList &headers, std::string_view name)
{
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto &h) { return http::equalsIgnoreCase(h.first, name); });
}

// Drops a UTF-8 character that a cut at the end of `text` left incomplete.
void trimPartialUtf8(std::string &text)
{
    std::size_t lead = text.size();
    while (lead > 0 && text.size() - lead < 4) {
        const auto b = static_cast<unsigned char>(text[--lead]);
        if ((b & 0xc0) == 0x80)
            continue; // a continuation byte
        const std::size_t need = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (text.size() - lead < need)
            text.resize(lead);
        return;
    }
}

} // namespace

std::unique_ptr<WebSocketRecorder> WebSocketRecorder::forHandshake(const flow::Flow &flow,
                                                                   WsRecordLimits limits)
{
    // Both an HTTP/1.1 upgrade and an RFC 8441 extended CONNECT carry the version field.
    if (!has(flow.requestHeaders, "sec-websocket-version")
        && !http::equalsIgnoreCase(joined(flow.requestHeaders, "upgrade"), "websocket"))
        return nullptr;
    return std::make_unique<WebSocketRecorder>(flow, limits);
}

WebSocketRecorder::WebSocketRecorder(const flow::Flow &flow, WsRecordLimits limits)
    : m_limits(limits)
    , m_startedWall(flow.startedWall)
    , m_startedMono(flow.startedMono)
    , m_budget(flow.responseBody ? flow.responseBody->budget() : nullptr)
{
    const std::string offer = joined(flow.requestHeaders, "sec-websocket-extensions");
    const std::string answer = joined(flow.responseHeaders, "sec-websocket-extensions");
    std::optional<ws::DeflateAgreement> deflate;
    if (!answer.empty()) {
        Result<ws::Negotiated> agreed = ws::negotiate(offer, answer);
        if (!agreed) {
            stop("the extensions cannot be read: " + agreed.error().message);
            return;
        }
        if (!agreed->unknown.empty()) {
            stop("an extension the proxy cannot read was agreed: " + agreed->unknown.front());
            return;
        }
        deflate = agreed->deflate;
    }
    ws::ParserOptions client{ws::Sender::Client, std::nullopt, {}};
    ws::ParserOptions server{ws::Sender::Server, std::nullopt, {}};
    if (deflate) {
        client.deflate = deflate->client;
        server.deflate = deflate->server;
    }
    m_client.emplace(std::move(client));
    m_server.emplace(std::move(server));
}

void WebSocketRecorder::clientBytes(std::string_view bytes, MonoTime now)
{
    if (m_client)
        feed(*m_client, true, bytes, now);
}

void WebSocketRecorder::serverBytes(std::string_view bytes, MonoTime now)
{
    if (m_server)
        feed(*m_server, false, bytes, now);
}

void WebSocketRecorder::feed(Direction &d, bool fromClient, std::string_view bytes, MonoTime now)
{
    d.events.clear();
    d.parser.feed(bytes, d.events);
    for (ws::Event &event : d.events) {
        if (auto *data = std::get_if<ws::DataEvent>(&event)) {
            const std::uint64_t room = m_limits.maxMessageBytes - d.message.size();
            if (data->bytes.size() <= room) {
                d.message += data->bytes;
            } else {
                d.message.append(data->bytes, 0, room);
                d.cut += data->bytes.size() - room;
            }
        } else if (const auto *message = std::get_if<ws::MessageEvent>(&event)) {
            const bool text = message->opcode == ws::Opcode::Text;
            if (text && d.cut > 0)
                trimPartialUtf8(d.message); // the cut may have split a character
            add(fromClient, now, int(message->opcode), d.message, d.cut > 0);
            d.message.clear();
            d.cut = 0;
        } else if (const auto *control = std::get_if<ws::ControlEvent>(&event)) {
            add(fromClient, now, int(control->opcode), control->payload, false);
        } else if (const auto *error = std::get_if<ws::ErrorEvent>(&event)) {
            stop(std::string(fromClient ? "the client" : "the server") + " broke the protocol ("
                 + std::to_string(error->error.closeCode) + "): " + error->error.reason);
            return; // `d` is gone
        }
    }
}

WebSocketRecorder::~WebSocketRecorder()
{
    if (m_budget)
        m_budget->release(m_budget->messageMemory, m_charged);
}

void WebSocketRecorder::add(bool fromClient, MonoTime now, int opcode, std::string_view payload,
                            bool truncated)
{
    m_changed = true;
    // Past this flow's limits, or while the records as a whole are over the memory budget
    // (messages are never spilled): counted, not kept.
    if (m_messages.size() >= m_limits.maxMessages || m_bytes + payload.size() > m_limits.maxBytes
        || (m_budget && m_budget->over())) {
        ++m_dropped;
        return;
    }
    flow::WebSocketMessage m;
    m.fromClient = fromClient;
    // Chrome's form: seconds since the epoch; the flow's start in wall time plus the monotonic
    // time since, so that messages stay in order whatever the wall clock does.
    m.time = double(m_startedWall) / 1e3 + double(now - m_startedMono) / 1e6;
    m.opcode = opcode;
    // Text as it is; every other opcode's payload in base64, as Chrome writes binary ones.
    m.data = opcode == int(ws::Opcode::Text) ? std::string(payload) : http::base64(payload);
    m_bytes += payload.size();
    if (truncated)
        ++m_truncated;
    const std::uint64_t cost = sizeof(flow::WebSocketMessage) + m.data.size();
    m_messages.push_back(std::move(m));
    if (m_budget) {
        m_budget->charge(m_budget->messageMemory, cost);
        m_charged += cost;
    }
}

void WebSocketRecorder::stop(std::string why)
{
    m_error = std::move(why);
    m_changed = true;
    m_client.reset();
    m_server.reset();
}

void WebSocketRecorder::update(flow::Flow &flow)
{
    if (!m_changed)
        return;
    m_changed = false;
    if (!m_messages.empty()) {
        // Each published copy holds the memory too, until the last flow that shares it goes.
        auto copy = std::make_unique<const flow::WebSocketMessages>(m_messages);
        std::shared_ptr<flow::BodyBudget> budget = m_budget;
        const std::uint64_t cost = m_charged;
        if (budget)
            budget->charge(budget->messageMemory, cost);
        flow.webSocketMessages = std::shared_ptr<const flow::WebSocketMessages>(
            copy.release(), [budget, cost](const flow::WebSocketMessages *p) {
                if (budget)
                    budget->release(budget->messageMemory, cost);
                delete p;
            });
    }
    flow.webSocketDropped = m_dropped;
    flow.webSocketTruncated = m_truncated;
    flow.webSocketError = m_error;
}

} // namespace ts::proxy
