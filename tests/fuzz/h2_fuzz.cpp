// Fuzz target for HTTP/2 from a client to the proxy (STYLE.md 8): the bytes a client sends on
// the plain listener go to an HttpProxySession, which sniffs the preface and hands them to the
// H2ProxyFront (the h2 server translator over nghttp2) and an HttpStream per stream. Every
// server a stream asks for connects and answers a small HTTP/1.1 response, so requests run to
// their end through the stream layer.
//
// Input: the client's bytes (a seed starts with the connection preface). They are fed whole,
// then split at a point derived from the input; the proxy must not crash either way, and
// - every command names a server the session opened, and every published flow has an id;
// - the output to the client stays in proportion to the input;
// - once the client is gone the session is closed;
// - the header bytes recorded in published flows stay within the per-window bound on decoded
//   header bytes (ProtocolLimits::maxDecodedHeaderBytesPerWindow), however much HPACK lets a
//   few input bytes expand to: the amplification bound;
// - no frame summary in the connection's log is longer than the log's cap (plus its note).

#include "core/flow/log_feed.h"
#include "core/http2/protocol_limits.h"
#include "core/proxy/http_proxy_session.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace ts;
using namespace ts::proxy;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "h2_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

SessionContext context()
{
    SessionContext c;
    c.connectionId = 1;
    c.clientAddress = "127.0.0.1:5000";
    c.listenAddress = "127.0.0.1:8080";
    c.bodies = std::make_shared<flow::BodyBudget>();
    return c;
}

struct Outcome
{
    std::uint64_t recordedHeaderBytes = 0; // over the newest version of each flow
};

Outcome run(const std::vector<std::string_view> &pieces)
{
    constexpr MonoTime now = 1'000'000;
    HttpProxySession session(context(), now);
    std::vector<Command> out;
    session.start(now, out);
    std::map<flow::FlowId, std::uint64_t> headerBytes;
    std::vector<std::shared_ptr<flow::LogFeed>> feeds;
    std::set<ServerId> opened;
    std::uint64_t toClient = 0;
    std::uint64_t in = 0;
    Outcome o;
    // Carries out what the session asked: servers connect and answer at once.
    const std::function<void()> drain = [&] {
        std::vector<ServerId> connect;
        for (const Command &c : std::exchange(out, {})) {
            if (const auto *p = std::get_if<PublishFlow>(&c)) {
                if (!p->flow || p->flow->id == 0)
                    violation("a flow without an id");
                std::uint64_t bytes = 0;
                for (const auto &[name, value] : p->flow->requestHeaders)
                    bytes += name.size() + value.size() + 32;
                headerBytes[p->flow->id] = bytes;
            } else if (const auto *pc = std::get_if<PublishConnection>(&c)) {
                if (pc->connection.feed)
                    feeds.push_back(pc->connection.feed);
            } else if (const auto *open = std::get_if<OpenServer>(&c)) {
                if (!opened.insert(open->id).second)
                    violation("a server id opened twice");
                connect.push_back(open->id);
            } else if (const auto *send = std::get_if<SendToServer>(&c)) {
                if (!opened.count(send->id))
                    violation("bytes for a server never opened");
            } else if (const auto *data = std::get_if<SendToClient>(&c)) {
                toClient += data->data.size();
            }
        }
        for (const ServerId id : connect) {
            session.handle(ServerConnected{id, "127.0.0.1:9", false, now, now}, now, out);
            session.handle(ServerData{id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}, now,
                           out);
            drain();
        }
    };
    drain();
    for (std::string_view piece : pieces) {
        in += piece.size();
        session.handle(ClientData{piece}, now, out);
        drain();
    }
    session.handle(ClientEof{}, now, out);
    drain();
    if (!session.closed()) {
        session.handle(ClientGone{"fuzz input ended"}, now, out);
        drain();
    }
    if (!session.closed())
        violation("still open after the client is gone");
    // SETTINGS, WINDOW_UPDATEs, answers and GOAWAY: bounded by what came in, whatever it was.
    if (toClient > 65536 + 64 * in)
        violation("output out of proportion to the input", std::to_string(toClient));
    for (const auto &[id, bytes] : headerBytes)
        o.recordedHeaderBytes += bytes;
    for (const auto &feed : feeds)
        for (const flow::FrameRecord &f : feed->take().frames)
            if (f.summary.size() > flow::ConnectionLog::kMaxSummaryBytes + 64)
                violation("a frame summary over the cap", f.summary.substr(0, 200));
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const Outcome whole = run({input});
    // One field may still be counted after the bound is crossed, and the pseudo-header fields
    // recorded as flow fields are rebuilt from the request: allow one maximal header list more.
    const http2::ProtocolLimits limits;
    if (whole.recordedHeaderBytes
        > limits.maxDecodedHeaderBytesPerWindow + 2 * std::uint64_t(limits.maxHeaderListBytes))
        violation("recorded header bytes over the decoded bound",
                  std::to_string(whole.recordedHeaderBytes));
    if (size > 1) {
        std::size_t split = 0;
        for (std::size_t i = 0; i < std::min<std::size_t>(size, 16); ++i)
            split = split * 31 + data[i];
        split = 1 + split % (size - 1);
        // The frames sent back may differ (nghttp2 returns window as it reads), the bounds not.
        const Outcome halves = run({input.substr(0, split), input.substr(split)});
        if (halves.recordedHeaderBytes
            > limits.maxDecodedHeaderBytesPerWindow + 2 * std::uint64_t(limits.maxHeaderListBytes))
            violation("recorded header bytes over the decoded bound (split input)",
                      std::to_string(halves.recordedHeaderBytes));
    }
    return 0;
}
