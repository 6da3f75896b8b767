#pragma once

#include "core/base/limits.h"
#include "core/base/time.h"
#include "core/flow/flow.h"
#include "core/ws/parser.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ts::proxy {

// Records the messages of one relayed WebSocket into its flow (issue 14): each direction's
// bytes, as relayed, go through a ws::FrameParser, and every whole data message, ping, pong and
// close becomes a flow::WebSocketMessage in Chrome's HAR form. Sans-IO and passive: it never
// changes or holds back the relayed bytes; a protocol error only stops the recording.
class WebSocketRecorder
{
public:
    // For an upgraded exchange (a 101 or an RFC 8441 2xx) whose flow holds the handshake:
    // permessage-deflate as its Sec-WebSocket-Extensions fields agreed. Null when the
    // exchange is not a WebSocket.
    static std::unique_ptr<WebSocketRecorder> forHandshake(const flow::Flow &flow,
                                                           WsRecordLimits limits = {});

    WebSocketRecorder(const flow::Flow &flow, WsRecordLimits limits);
    ~WebSocketRecorder();
    WebSocketRecorder(const WebSocketRecorder &) = delete;
    WebSocketRecorder &operator=(const WebSocketRecorder &) = delete;

    void clientBytes(std::string_view bytes, MonoTime now); // "send"
    void serverBytes(std::string_view bytes, MonoTime now); // "receive"

    // Before the flow is published: gives it the messages when some were added since the last
    // call (a new shared vector; the published ones stay as they were), and the counters.
    void update(flow::Flow &flow);

private:
    struct Direction
    {
        explicit Direction(ws::ParserOptions options) : parser(std::move(options)) {}
        ws::FrameParser parser;
        std::string message;   // the current data message, up to maxMessageBytes
        std::uint64_t cut = 0; // its bytes past that
        std::vector<ws::Event> events;
    };

    void feed(Direction &d, bool fromClient, std::string_view bytes, MonoTime now);
    void add(bool fromClient, MonoTime now, int opcode, std::string_view payload, bool truncated);
    void stop(std::string why);

    WsRecordLimits m_limits;
    WallMillis m_startedWall = 0;
    MonoTime m_startedMono = 0;
    std::optional<Direction> m_client;
    std::optional<Direction> m_server;
    flow::WebSocketMessages m_messages;
    std::uint64_t m_bytes = 0; // data kept in m_messages
    // The store's memory budget (the flow's bodies'): what m_messages and each published copy
    // of it hold is charged to it, and no message is kept while it is over.
    std::shared_ptr<flow::BodyBudget> m_budget;
    std::uint64_t m_charged = 0; // m_messages' share
    std::uint64_t m_dropped = 0;
    std::uint64_t m_truncated = 0;
    std::string m_error;
    bool m_changed = false;
};

} // namespace ts::proxy
