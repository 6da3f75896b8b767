#include "core/http2/h2_connection.h"

#include "core/http2/frame_text.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace ts::http2 {

constexpr std::size_t kFrameHeader = 9; // RFC 9113 §4.1

namespace {

// Queued output is kept in chunks of up to this (a DATA frame's default maximum size).
constexpr std::size_t kChunkBytes = 16 * 1024;

std::string printable(const std::uint8_t *data, std::size_t length)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < length; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

void appendField(std::string &out, std::string_view name, std::string_view value)
{
    if (!out.empty())
        out += ", ";
    out += name;
    out += ": ";
    // Credentials for a proxy never appear in clear in a recording.
    out += name == "proxy-authorization" ? std::string_view("(redacted)") : value;
}

std::string fieldsText(const Fields &fields)
{
    std::size_t size = 0;
    for (const auto &[name, value] : fields)
        size += name.size() + value.size() + 4;
    std::string out;
    out.reserve(size);
    for (const auto &[name, value] : fields)
        appendField(out, name, value);
    return out;
}

std::string nvText(const nghttp2_nv *nva, std::size_t count)
{
    std::size_t size = 0;
    for (std::size_t i = 0; i < count; ++i)
        size += nva[i].namelen + nva[i].valuelen + 4;
    std::string out;
    out.reserve(size);
    for (std::size_t i = 0; i < count; ++i)
        appendField(
            out, std::string_view(reinterpret_cast<const char *>(nva[i].name), nva[i].namelen),
            std::string_view(reinterpret_cast<const char *>(nva[i].value), nva[i].valuelen));
    return out;
}

// The decoded part of a frame's summary (the header fields are added by the caller).
std::string frameSummary(const nghttp2_frame *frame)
{
    const nghttp2_frame_hd &hd = frame->hd;
    switch (hd.type) {
    case NGHTTP2_DATA:
        return std::to_string(hd.length) + " bytes"
               + ((hd.flags & NGHTTP2_FLAG_END_STREAM) ? ", END_STREAM" : "");
    case NGHTTP2_PRIORITY:
        return "depends on " + std::to_string(frame->priority.pri_spec.stream_id) + ", weight "
               + std::to_string(frame->priority.pri_spec.weight)
               + (frame->priority.pri_spec.exclusive ? ", exclusive" : "");
    case NGHTTP2_RST_STREAM:
        return errorCodeName(frame->rst_stream.error_code);
    case NGHTTP2_SETTINGS: {
        if (hd.flags & NGHTTP2_FLAG_ACK)
            return "ACK";
        std::string out;
        for (std::size_t i = 0; i < frame->settings.niv; ++i) {
            if (!out.empty())
                out += ", ";
            out += settingName(frame->settings.iv[i].settings_id) + "="
                   + std::to_string(frame->settings.iv[i].value);
        }
        return out.empty() ? "(no values)" : out;
    }
    case NGHTTP2_PING:
        return std::string((hd.flags & NGHTTP2_FLAG_ACK) ? "ACK " : "")
               + printable(frame->ping.opaque_data, 8);
    case NGHTTP2_GOAWAY:
        return errorCodeName(frame->goaway.error_code) + ", last stream "
               + std::to_string(frame->goaway.last_stream_id)
               + (frame->goaway.opaque_data_len
                      ? ", \""
                            + std::string(reinterpret_cast<const char *>(frame->goaway.opaque_data),
                                          std::min<std::size_t>(frame->goaway.opaque_data_len, 200))
                            + "\""
                      : std::string());
    case NGHTTP2_WINDOW_UPDATE:
        return "+" + std::to_string(frame->window_update.window_size_increment);
    case NGHTTP2_PRIORITY_UPDATE: {
        const auto *p = static_cast<const nghttp2_ext_priority_update *>(frame->ext.payload);
        if (!p)
            return {};
        return "stream " + std::to_string(p->stream_id) + ": "
               + std::string(reinterpret_cast<const char *>(p->field_value), p->field_value_len);
    }
    case NGHTTP2_ORIGIN: {
        const auto *o = static_cast<const nghttp2_ext_origin *>(frame->ext.payload);
        std::string out;
        for (std::size_t i = 0; o && i < o->nov; ++i)
            out += (i ? ", " : "")
                   + std::string(reinterpret_cast<const char *>(o->ov[i].origin),
                                 o->ov[i].origin_len);
        return out;
    }
    case NGHTTP2_ALTSVC: {
        const auto *a = static_cast<const nghttp2_ext_altsvc *>(frame->ext.payload);
        if (!a)
            return {};
        return std::string(reinterpret_cast<const char *>(a->field_value), a->field_value_len);
    }
    default:
        return {};
    }
}

} // namespace

// nghttp2's callbacks: free functions that cast user_data back to the connection (STYLE.md 5).
struct H2Connection::Callbacks
{
    static H2Connection &self(void *userData) { return *static_cast<H2Connection *>(userData); }

    static int onBeginFrame(nghttp2_session *, const nghttp2_frame_hd *hd, void *userData)
    {
        H2Connection &c = self(userData);
        if (hd->type != NGHTTP2_CONTINUATION) {
            for (FrameRecord &f : c.m_pendingIn)
                c.record(std::move(f));
            c.m_pendingIn.clear();
            c.m_pendingWire = 0;
        }
        // A message's wire size: its HEADERS, CONTINUATION and DATA frames, frame headers
        // included; credited to the stream once the frame is complete (onFrameRecv).
        if (hd->stream_id > 0
            && (hd->type == NGHTTP2_HEADERS || hd->type == NGHTTP2_CONTINUATION
                || hd->type == NGHTTP2_DATA))
            c.m_pendingWire += kFrameHeader + hd->length;
        FrameRecord f;
        f.micros = c.micros();
        f.inbound = true;
        f.type = hd->type;
        f.flags = hd->flags;
        f.stream = std::uint32_t(hd->stream_id);
        f.length = hd->length;
        if (hd->type > NGHTTP2_PRIORITY_UPDATE || hd->type == 0xb || hd->type == 0xd
            || hd->type == 0xe || hd->type == 0xf)
            f.summary = "unknown frame type, ignored";
        c.m_pendingIn.push_back(std::move(f));

        // RFC 9113 §5.1.1: a peer's new stream id must be larger than every one it opened
        // before. nghttp2 ignores the HEADERS of a lower id it no longer remembers; that is a
        // connection error (HEADERS on a stream it does remember, trailers or not, is its own).
        if (hd->type == NGHTTP2_HEADERS && c.m_role == Role::Server && hd->stream_id > 0) {
            if (hd->stream_id <= c.m_highestPeerStream
                && !nghttp2_session_find_stream(c.m_session, hd->stream_id)) {
                c.fail("HTTP/2 protocol error: HEADERS opens stream "
                           + std::to_string(hd->stream_id) + " after stream "
                           + std::to_string(c.m_highestPeerStream)
                           + " (RFC 9113 section 5.1.1: stream ids only grow)",
                       NGHTTP2_PROTOCOL_ERROR);
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
            c.m_highestPeerStream = std::max(c.m_highestPeerStream, hd->stream_id);
        }

        // Floods: each kind of cheap-to-send, costly-to-answer frame has a bound.
        const ProtocolLimits &l = c.m_limits;
        const MonoTime now = c.m_now;
        const char *flood = nullptr;
        std::uint32_t limit = 0;
        switch (hd->type) {
        case NGHTTP2_SETTINGS:
            if (!(hd->flags & NGHTTP2_FLAG_ACK)
                && c.m_settings.add(now, l.floodWindow, l.maxSettingsPerWindow))
                flood = "SETTINGS", limit = l.maxSettingsPerWindow;
            break;
        case NGHTTP2_PING:
            if (!(hd->flags & NGHTTP2_FLAG_ACK)
                && c.m_pings.add(now, l.floodWindow, l.maxPingsPerWindow))
                flood = "PING", limit = l.maxPingsPerWindow;
            break;
        case NGHTTP2_RST_STREAM:
            if (c.m_resets.add(now, l.floodWindow, l.maxResetsPerWindow))
                flood = "RST_STREAM", limit = l.maxResetsPerWindow;
            break;
        case NGHTTP2_PRIORITY:
        case NGHTTP2_PRIORITY_UPDATE:
            if (c.m_priority.add(now, l.floodWindow, l.maxPriorityPerWindow))
                flood = "PRIORITY", limit = l.maxPriorityPerWindow;
            break;
        case NGHTTP2_DATA:
            if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM)
                && c.m_empty.add(now, l.floodWindow, l.maxEmptyFramesPerWindow))
                flood = "empty DATA", limit = l.maxEmptyFramesPerWindow;
            break;
        case NGHTTP2_HEADERS:
        case NGHTTP2_CONTINUATION:
            if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM)
                && c.m_empty.add(now, l.floodWindow, l.maxEmptyFramesPerWindow))
                flood = "empty HEADERS/CONTINUATION", limit = l.maxEmptyFramesPerWindow;
            break;
        default:
            break;
        }
        if (flood) {
            c.fail(std::string(flood) + " flood: more than " + std::to_string(limit) + " frames in "
                       + std::to_string(l.floodWindow / kSecond) + " s",
                   NGHTTP2_ENHANCE_YOUR_CALM);
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return 0;
    }

    static int onBeginHeaders(nghttp2_session *, const nghttp2_frame *frame, void *userData)
    {
        H2Connection &c = self(userData);
        Outgoing &s = c.stream(frame->hd.stream_id);
        s.fields.clear();
        s.headerBytes = 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            c.transition(frame->hd.stream_id, "open");
        return 0;
    }

    static int onHeader(nghttp2_session *, const nghttp2_frame *frame, const std::uint8_t *name,
                        std::size_t nameLength, const std::uint8_t *value, std::size_t valueLength,
                        std::uint8_t, void *userData)
    {
        H2Connection &c = self(userData);
        if (frame->hd.type != NGHTTP2_HEADERS)
            return 0; // PUSH_PROMISE: push is disabled; nghttp2 refuses them
        Outgoing &s = c.stream(frame->hd.stream_id);
        // RFC 9113 §6.5.2: name + value + 32 per field.
        const std::size_t fieldBytes = nameLength + valueLength + 32;
        const ProtocolLimits &l = c.m_limits;
        if (c.m_decodedHeaders.add(c.m_now, l.floodWindow, l.maxDecodedHeaderBytesPerWindow,
                                   fieldBytes)) {
            c.fail("header list amplification: more than "
                       + std::to_string(l.maxDecodedHeaderBytesPerWindow) + " decoded bytes in "
                       + std::to_string(l.floodWindow / kSecond) + " s",
                   NGHTTP2_ENHANCE_YOUR_CALM);
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        s.headerBytes += fieldBytes;
        if (s.headerBytes > c.m_limits.maxHeaderListBytes) {
            c.transition(frame->hd.stream_id, "refused: header list over "
                                                  + std::to_string(c.m_limits.maxHeaderListBytes)
                                                  + " bytes");
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // nghttp2 resets the stream
        }
        s.fields.emplace_back(std::string(reinterpret_cast<const char *>(name), nameLength),
                              std::string(reinterpret_cast<const char *>(value), valueLength));
        return 0;
    }

    static int onDataChunk(nghttp2_session *session, std::uint8_t, std::int32_t streamId,
                           const std::uint8_t *data, std::size_t length, void *userData)
    {
        H2Connection &c = self(userData);
        // The connection window is always given back at once: what a stream may hold is
        // bounded by its own window, which the caller returns with consume().
        nghttp2_session_consume_connection(session, length);
        StreamEvent in = c.streamEvent(StreamEvent::Kind::DataIn, streamId);
        in.bytes = length;
        c.record(std::move(in));
        if (!c.m_events)
            return 0;
        if (!c.m_events->empty()) {
            if (auto *last = std::get_if<DataReceived>(&c.m_events->back());
                last && last->stream == streamId) {
                last->data.append(reinterpret_cast<const char *>(data), length);
                return 0;
            }
        }
        c.m_events->push_back(
            DataReceived{streamId, std::string(reinterpret_cast<const char *>(data), length)});
        return 0;
    }

    static int onFrameRecv(nghttp2_session *session, const nghttp2_frame *frame, void *userData)
    {
        H2Connection &c = self(userData);
        const nghttp2_frame_hd &hd = frame->hd;
        std::string summary = frameSummary(frame);
        const bool endStream = (hd.flags & NGHTTP2_FLAG_END_STREAM)
                               && (hd.type == NGHTTP2_DATA || hd.type == NGHTTP2_HEADERS);
        if (hd.type == NGHTTP2_HEADERS) {
            Outgoing &s = c.stream(hd.stream_id);
            summary = fieldsText(s.fields);
            // RFC 8441 §3: :protocol only after the client saw our ENABLE_CONNECT_PROTOCOL;
            // its SETTINGS ACK, which must come first on the wire, proves that it did.
            if (c.m_role == Role::Server && !c.m_settingsAcked
                && frame->headers.cat == NGHTTP2_HCAT_REQUEST
                && std::any_of(s.fields.begin(), s.fields.end(),
                               [](const auto &f) { return f.first == ":protocol"; })) {
                c.transition(hd.stream_id, "refused: :protocol before the SETTINGS ACK");
                nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, hd.stream_id,
                                          NGHTTP2_PROTOCOL_ERROR);
                s.fields.clear();
                for (FrameRecord &f : c.m_pendingIn) {
                    if (f.type == hd.type && f.stream == std::uint32_t(hd.stream_id))
                        f.summary = summary + " (refused: :protocol before SETTINGS ACK)";
                    c.record(std::move(f));
                }
                c.m_pendingIn.clear();
                return 0;
            }
            // Trailers carry no pseudo-header fields; every other header block does.
            const bool trailers = frame->headers.cat == NGHTTP2_HCAT_HEADERS
                                  && std::none_of(s.fields.begin(), s.fields.end(),
                                                  [](const auto &f) { return f.first[0] == ':'; });
            if (c.m_events)
                c.m_events->push_back(
                    HeadersReceived{hd.stream_id, std::move(s.fields), endStream, trailers});
            s.fields.clear();
        } else if (hd.type == NGHTTP2_SETTINGS && (hd.flags & NGHTTP2_FLAG_ACK)) {
            c.m_settingsAcked = true;
        } else if (hd.type == NGHTTP2_SETTINGS && !(hd.flags & NGHTTP2_FLAG_ACK)) {
            c.m_peerSettings = true;
            if (c.m_events)
                c.m_events->push_back(SettingsReceived{});
        } else if (hd.type == NGHTTP2_GOAWAY) {
            if (c.m_events)
                c.m_events->push_back(GoAwayReceived{
                    frame->goaway.last_stream_id, frame->goaway.error_code,
                    std::string(reinterpret_cast<const char *>(frame->goaway.opaque_data),
                                frame->goaway.opaque_data_len)});
        }
        if (endStream) {
            c.transition(hd.stream_id, "half-closed (remote)");
            if (hd.type == NGHTTP2_DATA && c.m_events)
                c.m_events->push_back(StreamEnded{hd.stream_id});
        }
        if (hd.stream_id && (hd.type == NGHTTP2_DATA || hd.type == NGHTTP2_WINDOW_UPDATE))
            c.updateWindows(session, hd.stream_id);
        if (hd.type == NGHTTP2_HEADERS || hd.type == NGHTTP2_DATA)
            if (const auto it = c.m_streams.find(hd.stream_id); it != c.m_streams.end())
                it->second.wireIn += std::exchange(c.m_pendingWire, 0);
        // Complete the record begun in onBeginFrame; CONTINUATION records follow it.
        for (FrameRecord &f : c.m_pendingIn)
            if (f.type == hd.type && f.stream == std::uint32_t(hd.stream_id)) {
                f.summary = std::move(summary);
                break;
            }
        for (FrameRecord &f : c.m_pendingIn)
            c.record(std::move(f));
        c.m_pendingIn.clear();
        return 0;
    }

    static int onInvalidFrame(nghttp2_session *, const nghttp2_frame *frame, int error,
                              void *userData)
    {
        H2Connection &c = self(userData);
        for (FrameRecord &f : c.m_pendingIn) {
            if (f.type == frame->hd.type && f.stream == std::uint32_t(frame->hd.stream_id))
                f.summary = std::string("invalid: ") + nghttp2_strerror(error);
            c.record(std::move(f));
        }
        c.m_pendingIn.clear();
        return 0;
    }

    static int onFrameSend(nghttp2_session *session, const nghttp2_frame *frame, void *userData)
    {
        H2Connection &c = self(userData);
        const nghttp2_frame_hd &hd = frame->hd;
        FrameRecord f;
        f.micros = c.micros();
        f.type = hd.type;
        f.flags = hd.flags;
        f.stream = std::uint32_t(hd.stream_id);
        f.length = hd.length;
        if (hd.type == NGHTTP2_HEADERS) {
            f.summary = nvText(frame->headers.nva, frame->headers.nvlen);
            if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
                c.transition(hd.stream_id, "open");
        } else {
            f.summary = frameSummary(frame);
        }
        c.record(std::move(f));
        if (const auto it = c.m_streams.find(hd.stream_id); it != c.m_streams.end()) {
            if (hd.type == NGHTTP2_DATA) {
                it->second.wireOut += kFrameHeader + hd.length;
            } else if (hd.type == NGHTTP2_HEADERS) {
                // A header block over the peer's frame size went as CONTINUATION frames.
                const std::size_t max = std::max<std::uint32_t>(
                    16384,
                    nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_FRAME_SIZE));
                const std::size_t frames = std::max<std::size_t>(1, (hd.length + max - 1) / max);
                it->second.wireOut += hd.length + kFrameHeader * frames;
            }
        }
        if (hd.type == NGHTTP2_DATA) {
            StreamEvent out = c.streamEvent(StreamEvent::Kind::DataOut, hd.stream_id);
            out.bytes = hd.length;
            c.record(std::move(out));
            c.updateWindows(session, hd.stream_id);
        }
        if ((hd.flags & NGHTTP2_FLAG_END_STREAM)
            && (hd.type == NGHTTP2_DATA || hd.type == NGHTTP2_HEADERS))
            c.transition(hd.stream_id, "half-closed (local)");
        return 0;
    }

    static int onStreamClose(nghttp2_session *, std::int32_t streamId, std::uint32_t code,
                             void *userData)
    {
        H2Connection &c = self(userData);
        c.transition(streamId, code ? "reset: " + errorCodeName(code) : std::string("closed"));
        StreamEvent closedEvent = c.streamEvent(StreamEvent::Kind::Closed, streamId);
        closedEvent.code = code;
        c.record(std::move(closedEvent));
        StreamClosed closed{streamId, code};
        if (const auto it = c.m_streams.find(streamId); it != c.m_streams.end()) {
            closed.wireIn = it->second.wireIn;
            closed.wireOut = it->second.wireOut;
            c.m_streams.erase(it);
        }
        c.m_later.push_back(closed);
        return 0;
    }

    static ssize_t readData(nghttp2_session *session, std::int32_t streamId, std::uint8_t *buf,
                            std::size_t length, std::uint32_t *flags, nghttp2_data_source *,
                            void *userData)
    {
        H2Connection &c = self(userData);
        auto it = c.m_streams.find(streamId);
        if (it == c.m_streams.end())
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        Outgoing &s = it->second;
        std::size_t n = 0;
        while (n < length && !s.chunks.empty()) {
            const std::string &front = s.chunks.front();
            const std::size_t take = std::min(length - n, front.size() - s.offset);
            std::memcpy(buf + n, front.data() + s.offset, take);
            n += take;
            s.offset += take;
            if (s.offset == front.size()) {
                s.chunks.pop_front();
                s.offset = 0;
            }
        }
        s.queued -= n;
        if (s.wasFull && s.queued < c.m_limits.maxBufferedPerStream / 2) {
            s.wasFull = false;
            c.m_later.push_back(SendWindowOpened{streamId});
        }
        if (n == 0 && !s.ended) {
            s.deferred = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        if (s.ended && s.queued == 0) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            s.eofSent = true;
            if (!s.trailers.empty()) {
                *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
                std::vector<nghttp2_nv> nva = toNv(s.trailers);
                nghttp2_submit_trailer(session, streamId, nva.data(), nva.size());
            }
        }
        return ssize_t(n);
    }

    static int onError(nghttp2_session *, int, const char *message, std::size_t length,
                       void *userData)
    {
        H2Connection &c = self(userData);
        c.m_lastLibraryError.assign(message, length);
        return 0;
    }

    static std::vector<nghttp2_nv> toNv(const Fields &fields)
    {
        std::vector<nghttp2_nv> nva;
        nva.reserve(fields.size());
        for (const auto &[name, value] : fields)
            nva.push_back({reinterpret_cast<std::uint8_t *>(const_cast<char *>(name.data())),
                           reinterpret_cast<std::uint8_t *>(const_cast<char *>(value.data())),
                           name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
        return nva;
    }
};

H2Connection::H2Connection(Role role, const ProtocolLimits &limits,
                           std::shared_ptr<RecordSink> records, MonoTime openedAt)
    : m_role(role)
    , m_limits(limits)
    , m_records(std::move(records))
    , m_openedAt(openedAt)
    , m_now(openedAt)
{}

H2Connection::~H2Connection()
{
    nghttp2_session_del(m_session);
}

Result<std::unique_ptr<H2Connection>> H2Connection::create(Role role, const ProtocolLimits &limits,
                                                           std::shared_ptr<RecordSink> records,
                                                           MonoTime openedAt)
{
    std::unique_ptr<H2Connection> c(new H2Connection(role, limits, std::move(records), openedAt));

    nghttp2_session_callbacks *callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0)
        return Error{"h2.init", "cannot allocate nghttp2 callbacks"};
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &Callbacks::onBeginFrame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::onDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::onFrameRecv);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks,
                                                                 &Callbacks::onInvalidFrame);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::onFrameSend);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::onStreamClose);
    nghttp2_session_callbacks_set_error_callback2(callbacks, &Callbacks::onError);

    nghttp2_option *option = nullptr;
    if (nghttp2_option_new(&option) != 0) {
        nghttp2_session_callbacks_del(callbacks);
        return Error{"h2.init", "cannot allocate nghttp2 options"};
    }
    nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_option_set_max_continuations(option, limits.maxContinuations);
    nghttp2_option_set_builtin_recv_extension_type(option, NGHTTP2_ALTSVC);
    nghttp2_option_set_builtin_recv_extension_type(option, NGHTTP2_ORIGIN);
    nghttp2_option_set_builtin_recv_extension_type(option, NGHTTP2_PRIORITY_UPDATE);
    // Until the peer's SETTINGS say otherwise, assume the RFC's recommended minimum.
    nghttp2_option_set_peer_max_concurrent_streams(option, 100);

    int rv = role == Role::Server
                 ? nghttp2_session_server_new2(&c->m_session, callbacks, c.get(), option)
                 : nghttp2_session_client_new2(&c->m_session, callbacks, c.get(), option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0)
        return Error{"h2.init", std::string("nghttp2: ") + nghttp2_strerror(rv)};

    std::vector<nghttp2_settings_entry> settings{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.streamWindow},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits.maxHeaderListBytes},
    };
    if (role == Role::Server)
        settings.push_back({NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1});
    else
        settings.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
    rv = nghttp2_submit_settings(c->m_session, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
    if (rv == 0)
        rv = nghttp2_session_set_local_window_size(c->m_session, NGHTTP2_FLAG_NONE, 0,
                                                   std::int32_t(limits.connectionWindow));
    if (rv != 0)
        return Error{"h2.init", std::string("nghttp2: ") + nghttp2_strerror(rv)};
    return c;
}

void H2Connection::receive(std::string_view bytes, MonoTime now, std::vector<H2Event> &events)
{
    m_now = now;
    for (H2Event &e : m_later)
        events.push_back(std::move(e));
    m_later.clear();
    if (failed() || bytes.empty())
        return;
    m_events = &events;
    const ssize_t rv = nghttp2_session_mem_recv(
        m_session, reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
    m_events = nullptr;
    for (H2Event &e : m_later)
        events.push_back(std::move(e));
    m_later.clear();
    if (rv < 0 && !failed()) {
        std::string why
            = m_lastLibraryError.empty() ? nghttp2_strerror(int(rv)) : m_lastLibraryError;
        fail("HTTP/2 protocol error: " + why, NGHTTP2_PROTOCOL_ERROR);
    }
    if (failed())
        events.push_back(ConnectionFailed{m_failure});
}

void H2Connection::pollEvents(std::vector<H2Event> &events)
{
    for (H2Event &e : m_later)
        events.push_back(std::move(e));
    m_later.clear();
}

std::string H2Connection::takeOutput(MonoTime now)
{
    m_now = now;
    std::string out;
    for (;;) {
        const std::uint8_t *data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(m_session, &data);
        if (n <= 0) {
            if (n < 0 && !failed())
                fail(std::string("HTTP/2 send error: ") + nghttp2_strerror(int(n)),
                     NGHTTP2_INTERNAL_ERROR);
            break;
        }
        out.append(reinterpret_cast<const char *>(data), std::size_t(n));
    }
    return out;
}

bool H2Connection::finished() const
{
    return !nghttp2_session_want_read(m_session) && !nghttp2_session_want_write(m_session);
}

void H2Connection::fail(std::string reason, std::uint32_t code)
{
    if (failed())
        return;
    m_failure = std::move(reason);
    const std::int32_t last = nghttp2_session_get_last_proc_stream_id(m_session);
    // One GOAWAY carrying the reason; receive() reads nothing more after a failure.
    nghttp2_submit_goaway(m_session, NGHTTP2_FLAG_NONE, last, code,
                          reinterpret_cast<const std::uint8_t *>(m_failure.data()),
                          std::min<std::size_t>(m_failure.size(), 256));
}

void H2Connection::transition(StreamId id, std::string state)
{
    if (id <= 0)
        return;
    // Only changes are recorded. Half-closed one way and then the other is closed, which
    // on_stream_close records.
    const auto it = m_streams.find(id);
    if (it != m_streams.end()) {
        const std::string &last = it->second.state;
        if (last == state
            || (last.rfind("half-closed", 0) == 0 && state.rfind("half-closed", 0) == 0))
            return;
        it->second.state = state;
    }
    StreamEvent event = streamEvent(StreamEvent::Kind::State, id);
    event.state = std::move(state);
    record(std::move(event));
}

StreamEvent H2Connection::streamEvent(StreamEvent::Kind kind, StreamId id) const
{
    StreamEvent event;
    event.kind = kind;
    event.micros = micros();
    event.stream = std::uint32_t(id);
    return event;
}

void H2Connection::record(FrameRecord frame)
{
    if (m_records)
        m_records->frame(std::move(frame));
}

void H2Connection::record(StreamEvent event)
{
    if (m_records)
        m_records->stream(std::move(event));
}

void H2Connection::updateWindows(nghttp2_session *session, StreamId id)
{
    const std::int32_t local = nghttp2_session_get_stream_local_window_size(session, id);
    const std::int32_t remote = nghttp2_session_get_stream_remote_window_size(session, id);
    StreamEvent event = streamEvent(StreamEvent::Kind::Windows, id);
    event.localWindow = local;
    event.remoteWindow = remote;
    record(std::move(event));
}

Result<StreamId> H2Connection::submitRequest(const Fields &fields, bool endStream)
{
    std::vector<nghttp2_nv> nva = Callbacks::toNv(fields);
    nghttp2_data_provider provider{};
    provider.read_callback = &Callbacks::readData;
    const std::int32_t id = nghttp2_submit_request(m_session, nullptr, nva.data(), nva.size(),
                                                   endStream ? nullptr : &provider, nullptr);
    if (id < 0)
        return Error{"h2.submit", std::string("cannot open a stream: ") + nghttp2_strerror(id)};
    Outgoing &s = stream(id);
    s.ended = endStream;
    return StreamId(id);
}

Result<void> H2Connection::submitResponse(StreamId id, const Fields &fields, bool endStream,
                                          bool informational)
{
    std::vector<nghttp2_nv> nva = Callbacks::toNv(fields);
    int rv = 0;
    if (informational) {
        rv = nghttp2_submit_headers(m_session, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(),
                                    nva.size(), nullptr);
    } else {
        nghttp2_data_provider provider{};
        provider.read_callback = &Callbacks::readData;
        rv = nghttp2_submit_response(m_session, id, nva.data(), nva.size(),
                                     endStream ? nullptr : &provider);
        if (rv == 0)
            stream(id).ended = endStream;
    }
    if (rv != 0)
        return Error{"h2.submit", std::string("cannot answer stream ") + std::to_string(id) + ": "
                                      + nghttp2_strerror(rv)};
    return {};
}

void H2Connection::submitData(StreamId id, std::string_view data)
{
    auto it = m_streams.find(id);
    if (it == m_streams.end() || it->second.ended || data.empty())
        return;
    Outgoing &s = it->second;
    // Chunks, not one string: a string grown past the limit by appends doubles its capacity,
    // and a stream stalled at a zero window held 2.1 MB for a 1 MiB bound. Small pieces join
    // the last chunk so a body of one-byte writes does not cost a chunk each.
    if (!s.chunks.empty() && s.chunks.back().size() + data.size() <= kChunkBytes)
        s.chunks.back().append(data);
    else
        s.chunks.emplace_back(data);
    s.queued += data.size();
    if (s.queued >= m_limits.maxBufferedPerStream)
        s.wasFull = true;
    if (s.deferred) {
        s.deferred = false;
        nghttp2_session_resume_data(m_session, id);
    }
}

void H2Connection::endStream(StreamId id, const Fields &trailers)
{
    auto it = m_streams.find(id);
    if (it == m_streams.end() || it->second.ended)
        return;
    Outgoing &s = it->second;
    s.ended = true;
    s.trailers = trailers;
    if (s.deferred) {
        s.deferred = false;
        nghttp2_session_resume_data(m_session, id);
    }
}

void H2Connection::resetStream(StreamId id, std::uint32_t code)
{
    nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, id, code);
}

void H2Connection::goAway(std::uint32_t code, std::string_view reason)
{
    const std::int32_t last = nghttp2_session_get_last_proc_stream_id(m_session);
    nghttp2_submit_goaway(m_session, NGHTTP2_FLAG_NONE, last, code,
                          reinterpret_cast<const std::uint8_t *>(reason.data()), reason.size());
}

void H2Connection::consume(StreamId id, std::size_t bytes)
{
    if (bytes && nghttp2_session_find_stream(m_session, id))
        nghttp2_session_consume_stream(m_session, id, bytes);
}

std::size_t H2Connection::queued(StreamId id) const
{
    auto it = m_streams.find(id);
    return it == m_streams.end() ? 0 : it->second.queued;
}

bool H2Connection::streamOpen(StreamId id) const
{
    return m_streams.count(id) != 0 && nghttp2_session_find_stream(m_session, id) != nullptr;
}

bool H2Connection::connectProtocolAllowed() const
{
    return nghttp2_session_get_remote_settings(m_session, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL)
           == 1;
}

H2Connection::Wire H2Connection::wireBytes(StreamId id) const
{
    const auto it = m_streams.find(id);
    return it == m_streams.end() ? Wire{} : Wire{it->second.wireIn, it->second.wireOut};
}

std::uint32_t H2Connection::peerMaxConcurrentStreams() const
{
    return nghttp2_session_get_remote_settings(m_session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

std::uint32_t H2Connection::openStreams() const
{
    return std::uint32_t(m_streams.size());
}

} // namespace ts::http2
