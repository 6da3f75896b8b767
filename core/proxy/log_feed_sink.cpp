#include "core/proxy/log_feed_sink.h"

#include <algorithm>
#include <climits>

namespace ts::proxy {

std::shared_ptr<http2::RecordSink> LogFeedSink::into(std::shared_ptr<flow::LogFeed> feed)
{
    if (!feed)
        return nullptr;
    return std::make_shared<LogFeedSink>(std::move(feed));
}

void LogFeedSink::frame(http2::FrameRecord frame)
{
    m_feed->addFrame(flow::FrameRecord{frame.micros, frame.inbound, frame.type, frame.flags,
                                       frame.stream, frame.length, std::move(frame.summary)});
}

void LogFeedSink::stream(http2::StreamEvent event)
{
    using Kind = http2::StreamEvent::Kind;
    m_feed->editStream(event.stream, [&](flow::StreamRecord &r) {
        switch (event.kind) {
        case Kind::State:
            r.history.push_back({event.micros, std::move(event.state)});
            break;
        case Kind::DataIn:
            r.bytesIn += event.bytes;
            break;
        case Kind::DataOut:
            r.bytesOut += event.bytes;
            break;
        case Kind::Windows:
            // h2 windows are 31-bit (RFC 9113 §6.9.1), what the record (and session format
            // 2) keeps.
            if (event.localWindow >= 0)
                r.localWindow = std::int32_t(std::min<std::int64_t>(event.localWindow, INT32_MAX));
            if (event.remoteWindow >= 0)
                r.remoteWindow
                    = std::int32_t(std::min<std::int64_t>(event.remoteWindow, INT32_MAX));
            break;
        case Kind::Closed:
            r.closed = true;
            if (event.code)
                r.resetCode = std::int32_t(event.code);
            break;
        }
    });
}

void linkStreamFlow(flow::LogFeed *feed, std::uint64_t stream, flow::FlowId flow,
                    std::string summary)
{
    if (!feed)
        return;
    feed->editStream(stream, [&](flow::StreamRecord &r) {
        r.flow = flow;
        if (!summary.empty())
            r.summary = std::move(summary);
    });
}

} // namespace ts::proxy
