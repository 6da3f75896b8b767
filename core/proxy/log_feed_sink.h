#pragma once

#include "core/flow/log_feed.h"
#include "core/http2/records.h"

#include <memory>
#include <string>

namespace ts::proxy {

// Turns a codec's records into the flow layer's: its frames and stream changes go into a
// connection's LogFeed, which the FlowStore takes into the window's log once a batch.
class LogFeedSink final : public http2::RecordSink
{
public:
    explicit LogFeedSink(std::shared_ptr<flow::LogFeed> feed) : m_feed(std::move(feed)) {}
    // A sink into `feed`; null when the feed is (the records go nowhere).
    static std::shared_ptr<http2::RecordSink> into(std::shared_ptr<flow::LogFeed> feed);

    void frame(http2::FrameRecord frame) override;
    void stream(http2::StreamEvent event) override;

private:
    std::shared_ptr<flow::LogFeed> m_feed;
};

// Names the flow a stream carries, and what it is ("GET /a"), in the feed's record of it.
void linkStreamFlow(flow::LogFeed *feed, std::uint64_t stream, flow::FlowId flow,
                    std::string summary);

} // namespace ts::proxy
