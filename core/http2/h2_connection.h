#pragma once

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/http2/protocol_limits.h"
#include "core/http2/records.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

struct nghttp2_session;

namespace ts::http2 {

using StreamId = std::int32_t;
// Lower-case names, pseudo-header fields first, as on the wire.
using Fields = std::vector<std::pair<std::string, std::string>>;

// ---- What the connection reports after receive().
struct HeadersReceived // a request (server role), a response or 1xx (client role), or trailers
{
    StreamId stream = 0;
    Fields fields;
    bool endStream = false;
    bool trailers = false;
};
struct DataReceived // flow control: give the bytes back with consume() once they are taken
{
    StreamId stream = 0;
    std::string data;
};
struct StreamEnded // the peer sent END_STREAM
{
    StreamId stream = 0;
};
struct StreamClosed // both directions done, or reset (code != 0)
{
    StreamId stream = 0;
    std::uint32_t code = 0;
    // The stream's wire bytes both ways, as wireBytes() gave them last.
    std::uint64_t wireIn = 0;
    std::uint64_t wireOut = 0;
};
struct SendWindowOpened // a stream's queued output fell below the limit: send more
{
    StreamId stream = 0;
};
struct GoAwayReceived
{
    StreamId lastStream = 0;
    std::uint32_t code = 0;
    std::string debug;
};
struct ConnectionFailed // protocol error or a limit crossed: GOAWAY is queued, then close
{
    std::string reason;
};
struct SettingsReceived // the peer's SETTINGS arrived (connectProtocolAllowed() may change)
{
};

using H2Event = std::variant<HeadersReceived, DataReceived, StreamEnded, StreamClosed,
                             SendWindowOpened, GoAwayReceived, ConnectionFailed, SettingsReceived>;

// One HTTP/2 connection, client or server role, through nghttp2 (framing, HPACK, flow
// control, stream states). Sans-IO: receive() takes the peer's bytes and reports events,
// takeOutput() gives the bytes to send. Every frame both ways and every change of a stream's
// state is handed to a RecordSink. HTTP semantics stay with the caller.
class H2Connection
{
public:
    enum class Role { Client, Server };

    static Result<std::unique_ptr<H2Connection>> create(Role role, const ProtocolLimits &limits,
                                                        std::shared_ptr<RecordSink> records,
                                                        MonoTime openedAt);
    ~H2Connection();
    H2Connection(const H2Connection &) = delete;
    H2Connection &operator=(const H2Connection &) = delete;

    void receive(std::string_view bytes, MonoTime now, std::vector<H2Event> &events);
    // Events raised while sending (SendWindowOpened, StreamClosed after a local reset).
    void pollEvents(std::vector<H2Event> &events);
    // Frames ready to go out (SETTINGS first, then whatever was submitted or is due).
    std::string takeOutput(MonoTime now);
    // Nothing more will be read or written: the connection can be closed.
    bool finished() const;
    bool failed() const { return !m_failure.empty(); }
    const std::string &failure() const { return m_failure; }

    // Client role: a new stream, or an error (e.g. the peer's stream limit is reached).
    Result<StreamId> submitRequest(const Fields &fields, bool endStream);
    // Server role: the final response (or a 1xx when `informational`).
    Result<void> submitResponse(StreamId stream, const Fields &fields, bool endStream,
                                bool informational = false);
    // Body bytes for a stream whose headers were submitted without endStream; sent as the
    // peer's window allows. end(): no more data; trailers are sent instead of END_STREAM on
    // the last DATA when given.
    void submitData(StreamId stream, std::string_view data);
    void endStream(StreamId stream, const Fields &trailers = {});
    void resetStream(StreamId stream, std::uint32_t code);
    void goAway(std::uint32_t code, std::string_view reason);
    // Gives `bytes` of a stream's received DATA back to the peer's window.
    void consume(StreamId stream, std::size_t bytes);

    // A stream's messages as they crossed the wire so far: the bytes of its HEADERS,
    // CONTINUATION and DATA frames, frame headers included, received (in) and sent (out).
    // Zero for a stream that is closed: StreamClosed carries its final counts.
    struct Wire
    {
        std::uint64_t in = 0;
        std::uint64_t out = 0;
    };
    Wire wireBytes(StreamId stream) const;
    // Bytes submitted on the stream and not yet framed.
    std::size_t queued(StreamId stream) const;
    bool streamOpen(StreamId stream) const;
    // The peer's SETTINGS allowed extended CONNECT (RFC 8441).
    bool connectProtocolAllowed() const;
    bool peerSettingsReceived() const { return m_peerSettings; }
    std::uint32_t openStreams() const;
    // The peer's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says otherwise).
    std::uint32_t peerMaxConcurrentStreams() const;
    // Where the records go (null: nowhere).
    const std::shared_ptr<RecordSink> &records() const { return m_records; }

    // Called from nghttp2's callbacks (free functions in the .cpp); not for other callers.
    struct Callbacks;

private:
    struct Outgoing
    {
        std::deque<std::string> chunks; // submitted, not yet framed, in order
        std::size_t offset = 0;         // into chunks.front()
        std::size_t queued = 0;         // bytes in chunks, less offset
        bool ended = false;             // no more data will be submitted
        bool deferred = false;
        bool wasFull = false; // queued() was over the limit: report SendWindowOpened
        Fields trailers;
        std::size_t headerBytes = 0; // received header list size so far
        std::uint64_t wireIn = 0;    // frame bytes of the stream's messages (wireBytes())
        std::uint64_t wireOut = 0;
        Fields fields; // headers being received
        bool eofSent = false;
        std::string state; // as last recorded
    };

    H2Connection(Role role, const ProtocolLimits &limits, std::shared_ptr<RecordSink> records,
                 MonoTime openedAt);
    Outgoing &stream(StreamId id) { return m_streams[id]; }
    void fail(std::string reason, std::uint32_t code);
    void transition(StreamId id, std::string state);
    std::int64_t micros() const { return m_now - m_openedAt; }
    void updateWindows(nghttp2_session *session, StreamId id);
    StreamEvent streamEvent(StreamEvent::Kind kind, StreamId id) const; // stamped now
    void record(FrameRecord frame);
    void record(StreamEvent event);

    Role m_role;
    ProtocolLimits m_limits;
    std::shared_ptr<RecordSink> m_records;
    MonoTime m_openedAt;
    MonoTime m_now = 0;
    nghttp2_session *m_session = nullptr;
    std::map<StreamId, Outgoing> m_streams;
    std::vector<H2Event> *m_events = nullptr; // during receive()
    std::vector<FrameRecord> m_pendingIn;     // frames begun, not yet fully received
    std::uint64_t m_pendingWire = 0;          // their wire bytes, for the stream once complete
    StreamId m_highestPeerStream = 0;         // server role: the largest id a HEADERS named
    std::string m_failure;
    std::string m_lastLibraryError;
    std::vector<H2Event> m_later; // raised outside receive(), handed out with the next call
    bool m_peerSettings = false;
    bool m_settingsAcked = false; // the peer acknowledged our SETTINGS
    RateCounter m_settings, m_pings, m_resets, m_empty, m_priority;
    RateCounter m_decodedHeaders; // bytes, not frames
};

} // namespace ts::http2
