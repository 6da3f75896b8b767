#include "core/session/session_file.h"

#include "core/flow/flow_store.h"
#include "core/session/crc32.h"
#include "core/session/field_count.h"

#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include <fcntl.h>
#include <unistd.h>

#ifndef TS_VERSION_STRING
#define TS_VERSION_STRING "0.0.0"
#endif

namespace ts::session {

namespace {

using namespace Qt::StringLiterals;
using flow::Body;
using flow::BodyBudget;
using flow::CertificateSummary;
using flow::Connection;
using flow::ConnectionLog;
using flow::Flow;
using flow::FrameRecord;
using flow::HeaderList;
using flow::StreamRecord;
using flow::StreamTransition;
using flow::Timings;
using flow::TlsSide;

// Every field of every record struct is written below. When one of these fails, a field was
// added (or removed): write and read it in the record's functions (append new fields at the
// end of the record, so older files still read), describe it in README.md, then update the
// count here.
static_assert(detail::fieldCount<Flow>() == 50, "flow::Flow changed: save the new field");
static_assert(detail::fieldCount<flow::Marks>() == 3, "flow::Marks changed: save the new field");
static_assert(detail::fieldCount<flow::WebSocketMessage>() == 4,
              "flow::WebSocketMessage changed: save the new field");
static_assert(detail::fieldCount<Timings>() == 5, "flow::Timings changed: save the new field");
static_assert(detail::fieldCount<TlsSide>() == 11, "flow::TlsSide changed: save the new field");
static_assert(detail::fieldCount<CertificateSummary>() == 8,
              "flow::CertificateSummary changed: save the new field");
// (Connection::feed is not saved: it is the engine's channel to the store's log.)
static_assert(detail::fieldCount<Connection>() == 17,
              "flow::Connection changed: save the new field");
static_assert(detail::fieldCount<FrameRecord>() == 7,
              "flow::FrameRecord changed: save the new field");
static_assert(detail::fieldCount<StreamRecord>() == 10,
              "flow::StreamRecord changed: save the new field");
static_assert(detail::fieldCount<StreamTransition>() == 2,
              "flow::StreamTransition changed: save the new field");

// ---------------------------------------------------------------------------------------------
// Format constants (README.md describes them byte by byte)

constexpr char kMagic[8] = {'\x89', 'T', 'S', 'S', '\r', '\n', '\x1a', '\n'};
// Format 2: stream ids, frame types and frame lengths are 64 bits wide (HTTP/3's are varints
// of up to 62 bits). Format 1 files are read as they are.
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::size_t kHeaderSize = 20;          // magic, version, flags, CRC
constexpr std::size_t kRecordHead = 8;           // type, payload length
constexpr std::size_t kRecordTail = 4;           // CRC
constexpr std::uint32_t kMaxPayload = 64u << 20; // larger lengths are damage, not data
constexpr std::size_t kChunk = 1u << 20;         // body and history bytes per record
constexpr std::size_t kBatchBytes = 1u << 20;    // frames/streams per record, roughly

enum RecordType : std::uint32_t {
    kMeta = 1,
    kHistory = 2,
    kTls = 3,
    kConnection = 4,
    kFrames = 5,
    kStreams = 6,
    kFlow = 7,
    kBody = 8,
    kEnd = 9,
};
// Types from here up may be skipped by a reader that does not know them; an unknown type
// below it means the file needs a newer reader.
constexpr std::uint32_t kFirstSkippable = 0x1000;

// ---------------------------------------------------------------------------------------------
// Encoding: little-endian integers, strings as u32 length + bytes, lists as u32 count + items

class Encoder
{
public:
    void u8(std::uint8_t v) { m_out.push_back(char(v)); }
    void u16(std::uint16_t v) { le(v, 2); }
    void u32(std::uint32_t v) { le(v, 4); }
    void u64(std::uint64_t v) { le(v, 8); }
    void i32(std::int32_t v) { le(std::uint32_t(v), 4); }
    void i64(std::int64_t v) { le(std::uint64_t(v), 8); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void str(std::string_view s)
    {
        u32(std::uint32_t(s.size()));
        m_out.append(s);
    }
    void strings(const std::vector<std::string> &list)
    {
        u32(std::uint32_t(list.size()));
        for (const std::string &s : list)
            str(s);
    }
    void headers(const HeaderList &list)
    {
        u32(std::uint32_t(list.size()));
        for (const auto &[name, value] : list) {
            str(name);
            str(value);
        }
    }
    std::string &bytes() { return m_out; }
    std::size_t size() const { return m_out.size(); }

private:
    void le(std::uint64_t v, int n)
    {
        for (int i = 0; i < n; ++i)
            m_out.push_back(char((v >> (8 * i)) & 0xFF));
    }
    std::string m_out;
};

// Reads a record's payload; running past its end sets failed() and yields zeros from then on.
// Bytes left over at the end are fields of a later format revision and are ignored.
class Decoder
{
public:
    explicit Decoder(std::string_view payload, std::uint32_t format = kFormatVersion)
        : m_in(payload), m_format(format)
    {}
    std::uint32_t format() const { return m_format; }
    // A stream id or frame field that format 1 kept in `oldBytes` bytes and format 2 in 8.
    std::uint64_t wide(int oldBytes) { return m_format >= 2 ? le(8) : le(oldBytes); }

    std::uint8_t u8() { return std::uint8_t(le(1)); }
    std::uint16_t u16() { return std::uint16_t(le(2)); }
    std::uint32_t u32() { return std::uint32_t(le(4)); }
    std::uint64_t u64() { return le(8); }
    std::int32_t i32() { return std::int32_t(std::uint32_t(le(4))); }
    std::int64_t i64() { return std::int64_t(le(8)); }
    bool boolean() { return u8() != 0; }
    std::string str()
    {
        const std::uint32_t n = u32();
        if (!need(n))
            return {};
        std::string out(m_in.substr(m_at, n));
        m_at += n;
        return out;
    }
    // A count of items each at least `minItemSize` bytes: a count the payload cannot hold
    // is damage, and must not reserve memory for it.
    std::uint32_t count(std::size_t minItemSize)
    {
        const std::uint32_t n = u32();
        if (minItemSize && n > (m_in.size() - m_at) / minItemSize) {
            m_failed = true;
            return 0;
        }
        return n;
    }
    std::vector<std::string> strings()
    {
        std::vector<std::string> out(count(4));
        for (std::string &s : out)
            s = str();
        return out;
    }
    HeaderList headers()
    {
        HeaderList out(count(8));
        for (auto &[name, value] : out) {
            name = str();
            value = str();
        }
        return out;
    }
    bool failed() const { return m_failed; }
    bool atEnd() const { return m_at >= m_in.size(); }

private:
    bool need(std::size_t n)
    {
        if (m_failed || m_in.size() - m_at < n) {
            m_failed = true;
            return false;
        }
        return true;
    }
    std::uint64_t le(int n)
    {
        if (!need(std::size_t(n)))
            return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v |= std::uint64_t(static_cast<unsigned char>(m_in[m_at + std::size_t(i)])) << (8 * i);
        m_at += std::size_t(n);
        return v;
    }

    std::string_view m_in;
    std::uint32_t m_format = kFormatVersion;
    std::size_t m_at = 0;
    bool m_failed = false;
};

// ---------------------------------------------------------------------------------------------
// Record fields, in file order. Each write* has a read* that mirrors it line by line.

void writeCertificate(Encoder &e, const CertificateSummary &c)
{
    e.str(c.subject);
    e.str(c.issuer);
    e.strings(c.names);
    e.i64(c.notBefore);
    e.i64(c.notAfter);
    e.str(c.serial);
    e.str(c.sha256);
    e.str(c.keyType);
}

CertificateSummary readCertificate(Decoder &d)
{
    CertificateSummary c;
    c.subject = d.str();
    c.issuer = d.str();
    c.names = d.strings();
    c.notBefore = d.i64();
    c.notAfter = d.i64();
    c.serial = d.str();
    c.sha256 = d.str();
    c.keyType = d.str();
    return c;
}

void writeTls(Encoder &e, std::uint32_t index, const TlsSide &t)
{
    e.u32(index);
    e.boolean(t.used);
    e.str(t.sni);
    e.strings(t.alpnOffered);
    e.str(t.alpn);
    e.str(t.version);
    e.str(t.cipher);
    e.u32(std::uint32_t(t.chain.size()));
    for (const CertificateSummary &c : t.chain)
        writeCertificate(e, c);
    e.i64(t.handshakeMicros);
    e.boolean(t.verified);
    e.str(t.verifyError);
    e.str(t.failure);
}

TlsSide readTls(Decoder &d)
{
    TlsSide t;
    t.used = d.boolean();
    t.sni = d.str();
    t.alpnOffered = d.strings();
    t.alpn = d.str();
    t.version = d.str();
    t.cipher = d.str();
    t.chain.resize(d.count(40)); // eight fields: at least 40 bytes a certificate
    for (CertificateSummary &c : t.chain)
        c = readCertificate(d);
    t.handshakeMicros = d.i64();
    t.verified = d.boolean();
    t.verifyError = d.str();
    t.failure = d.str();
    return t;
}

// A body as the flow record describes it; its recorded bytes follow in kBody records.
struct BodyHead
{
    bool present = false;
    std::uint64_t size = 0;     // bytes seen
    std::uint64_t recorded = 0; // bytes kept, and written after the flow record
};

BodyHead headOf(const std::shared_ptr<Body> &body)
{
    if (!body)
        return {};
    // A body may still be growing (an open flow): keep the bytes recorded now, and call the
    // body truncated only when it really is.
    BodyHead h{true, 0, body->recordedSize()};
    h.size = body->truncated() ? std::max(body->size(), h.recorded) : h.recorded;
    return h;
}

void writeBodyHead(Encoder &e, const BodyHead &h)
{
    e.boolean(h.present);
    if (h.present) {
        e.u64(h.size);
        e.u64(h.recorded);
    }
}

BodyHead readBodyHead(Decoder &d)
{
    BodyHead h;
    h.present = d.boolean();
    if (h.present) {
        h.size = d.u64();
        h.recorded = d.u64();
    }
    return h;
}

void writeFlow(Encoder &e, const Flow &f, std::uint32_t clientTls, std::uint32_t serverTls,
               const BodyHead &request, const BodyHead &response)
{
    e.u64(f.id);
    e.u8(std::uint8_t(f.kind));
    e.u8(std::uint8_t(f.state));
    e.u64(f.clientConnection);
    e.str(f.clientAddress);
    e.i64(f.startedWall);
    e.i64(f.startedMono);
    e.str(f.scheme);
    e.str(f.host);
    e.u16(f.port);
    e.str(f.serverAddress);
    e.boolean(f.serverReused);
    e.str(f.method);
    e.str(f.path);
    e.str(f.clientProtocol);
    e.str(f.serverProtocol);
    e.headers(f.requestHeaders);
    e.headers(f.requestTrailers);
    e.i32(f.status);
    e.str(f.reason);
    e.headers(f.responseHeaders);
    e.headers(f.responseTrailers);
    writeBodyHead(e, request);
    writeBodyHead(e, response);
    e.u64(f.requestWireBytes);
    e.u64(f.responseWireBytes);
    e.boolean(f.responseFromProxy);
    e.i64(f.timings.lookup);
    e.i64(f.timings.connect);
    e.i64(f.timings.requestSent);
    e.i64(f.timings.firstByte);
    e.i64(f.timings.complete);
    e.u64(f.bytesClientToServer);
    e.u64(f.bytesServerToClient);
    e.i64(f.closedWall);
    e.str(f.closeReason);
    e.boolean(f.intercepted);
    e.u64(f.parent);
    e.u32(clientTls);
    e.u32(serverTls);
    e.u64(f.clientStream);
    e.u64(f.serverStream);
    e.u64(f.serverConnection);
    e.str(f.error);
    e.str(f.upstream); // appended in format 1's second revision
    // Appended in the third: the other wire of each message.
    e.headers(f.serverRequestHeaders);
    e.headers(f.clientResponseHeaders);
    e.u64(f.serverRequestWireBytes);
    e.u64(f.clientResponseWireBytes);
    // Appended in format 2's second revision: an imported entry's WebSocket messages, then the
    // user's marks (after the wire data, apart from it).
    const std::size_t messages = f.webSocketMessages ? f.webSocketMessages->size() : 0;
    e.u32(std::uint32_t(messages));
    for (std::size_t i = 0; i < messages; ++i) {
        const flow::WebSocketMessage &m = (*f.webSocketMessages)[i];
        e.boolean(m.fromClient);
        std::uint64_t bits = 0;
        static_assert(sizeof bits == sizeof m.time);
        std::memcpy(&bits, &m.time, sizeof bits);
        e.u64(bits);
        e.i32(m.opcode);
        e.str(m.data);
    }
    e.boolean(f.marks.pinned);
    e.u8(std::uint8_t(f.marks.color));
    e.str(f.marks.comment);
    // Appended in the third: what the recording of the messages left out.
    e.u64(f.webSocketDropped);
    e.u64(f.webSocketTruncated);
    e.str(f.webSocketError);
}

struct FlowRead
{
    Flow flow;
    std::uint32_t clientTls = 0;
    std::uint32_t serverTls = 0;
    BodyHead request, response;
};

FlowRead readFlow(Decoder &d)
{
    FlowRead r;
    Flow &f = r.flow;
    f.id = d.u64();
    f.kind = flow::FlowKind(d.u8());
    f.state = flow::FlowState(d.u8());
    f.clientConnection = d.u64();
    f.clientAddress = d.str();
    f.startedWall = d.i64();
    f.startedMono = d.i64();
    f.scheme = d.str();
    f.host = d.str();
    f.port = d.u16();
    f.serverAddress = d.str();
    f.serverReused = d.boolean();
    f.method = d.str();
    f.path = d.str();
    f.clientProtocol = d.str();
    f.serverProtocol = d.str();
    f.requestHeaders = d.headers();
    f.requestTrailers = d.headers();
    f.status = d.i32();
    f.reason = d.str();
    f.responseHeaders = d.headers();
    f.responseTrailers = d.headers();
    r.request = readBodyHead(d);
    r.response = readBodyHead(d);
    f.requestWireBytes = d.u64();
    f.responseWireBytes = d.u64();
    f.responseFromProxy = d.boolean();
    f.timings.lookup = d.i64();
    f.timings.connect = d.i64();
    f.timings.requestSent = d.i64();
    f.timings.firstByte = d.i64();
    f.timings.complete = d.i64();
    f.bytesClientToServer = d.u64();
    f.bytesServerToClient = d.u64();
    f.closedWall = d.i64();
    f.closeReason = d.str();
    f.intercepted = d.boolean();
    f.parent = d.u64();
    r.clientTls = d.u32();
    r.serverTls = d.u32();
    f.clientStream = d.wide(4);
    f.serverStream = d.wide(4);
    f.serverConnection = d.u64();
    f.error = d.str();
    if (!d.atEnd()) // older files end the record here
        f.upstream = d.str();
    if (!d.atEnd()) { // ...or here
        f.serverRequestHeaders = d.headers();
        f.clientResponseHeaders = d.headers();
        f.serverRequestWireBytes = d.u64();
        f.clientResponseWireBytes = d.u64();
    }
    if (!d.atEnd()) { // ...or here
        // Each message is at least 17 bytes: fromClient, time, opcode, the data's length.
        const std::uint32_t messages = d.count(17);
        if (messages > 0) {
            auto list = std::make_shared<flow::WebSocketMessages>(messages);
            for (flow::WebSocketMessage &m : *list) {
                m.fromClient = d.boolean();
                const std::uint64_t bits = d.u64();
                std::memcpy(&m.time, &bits, sizeof bits);
                m.opcode = d.i32();
                m.data = d.str();
            }
            f.webSocketMessages = std::move(list);
        }
        f.marks.pinned = d.boolean();
        const std::uint8_t color = d.u8();
        f.marks.color
            = color < flow::kMarkColorCount ? flow::MarkColor(color) : flow::MarkColor::None;
        f.marks.comment = d.str();
    }
    if (!d.atEnd()) { // ...or here
        f.webSocketDropped = d.u64();
        f.webSocketTruncated = d.u64();
        f.webSocketError = d.str();
    }
    return r;
}

// A connection's log as its record describes it; frames and streams follow in batches.
struct LogHead
{
    bool present = false;
    std::uint64_t frameCapacity = 0;
    std::uint64_t streamCapacity = 0;
    std::uint64_t framesDropped = 0;
    std::uint64_t frames = 0;
    std::uint64_t streams = 0;
};

void writeConnection(Encoder &e, const Connection &c, std::uint32_t tls, const LogHead &log)
{
    e.u64(c.id);
    e.u8(std::uint8_t(c.side));
    e.str(c.protocol);
    e.str(c.clientAddress);
    e.str(c.listenAddress);
    e.str(c.target);
    e.str(c.peerAddress);
    e.u64(c.parent);
    e.u32(tls);
    e.boolean(log.present);
    if (log.present) {
        e.u64(log.frameCapacity);
        e.u64(log.streamCapacity);
        e.u64(log.framesDropped);
        e.u64(log.frames);
        e.u64(log.streams);
    }
    e.i64(c.openedWall);
    e.i64(c.closedWall);
    e.u64(c.bytesIn);
    e.u64(c.bytesOut);
    e.u32(c.flows);
    e.str(c.closeReason);
}

struct ConnectionRead
{
    Connection connection;
    std::uint32_t tls = 0;
    LogHead log;
};

ConnectionRead readConnection(Decoder &d)
{
    ConnectionRead r;
    Connection &c = r.connection;
    c.id = d.u64();
    c.side = flow::Side(d.u8());
    c.protocol = d.str();
    c.clientAddress = d.str();
    c.listenAddress = d.str();
    c.target = d.str();
    c.peerAddress = d.str();
    c.parent = d.u64();
    r.tls = d.u32();
    r.log.present = d.boolean();
    if (r.log.present) {
        r.log.frameCapacity = d.u64();
        r.log.streamCapacity = d.u64();
        r.log.framesDropped = d.u64();
        r.log.frames = d.u64();
        r.log.streams = d.u64();
    }
    c.openedWall = d.i64();
    c.closedWall = d.i64();
    c.bytesIn = d.u64();
    c.bytesOut = d.u64();
    c.flows = d.u32();
    c.closeReason = d.str();
    return r;
}

void writeFrame(Encoder &e, const FrameRecord &f)
{
    e.i64(f.micros);
    e.boolean(f.inbound);
    e.u64(f.type);
    e.u8(f.flags);
    e.u64(f.stream);
    e.u64(f.length);
    e.str(f.summary);
}

FrameRecord readFrame(Decoder &d)
{
    FrameRecord f;
    f.micros = d.i64();
    f.inbound = d.boolean();
    f.type = d.wide(1);
    f.flags = d.u8();
    f.stream = d.wide(4);
    f.length = d.wide(4);
    f.summary = d.str();
    return f;
}

void writeStream(Encoder &e, const StreamRecord &s)
{
    e.u64(s.id);
    e.u64(s.flow);
    e.str(s.summary);
    e.u32(std::uint32_t(s.history.size()));
    for (const StreamTransition &t : s.history) {
        e.i64(t.micros);
        e.str(t.state);
    }
    e.u64(s.bytesIn);
    e.u64(s.bytesOut);
    e.i32(s.localWindow);
    e.i32(s.remoteWindow);
    e.i32(s.resetCode);
    e.boolean(s.closed);
}

StreamRecord readStream(Decoder &d)
{
    StreamRecord s;
    s.id = d.wide(4);
    s.flow = d.u64();
    s.summary = d.str();
    s.history.resize(d.count(12));
    for (StreamTransition &t : s.history) {
        t.micros = d.i64();
        t.state = d.str();
    }
    s.bytesIn = d.u64();
    s.bytesOut = d.u64();
    s.localWindow = d.i32();
    s.remoteWindow = d.i32();
    s.resetCode = d.i32();
    s.closed = d.boolean();
    return s;
}

// ---------------------------------------------------------------------------------------------
// Writer

Error writeFailed(const QString &why)
{
    return Error{"session.write", QString(u"Cannot write the session: "_s + why).toStdString()};
}

class Writer
{
public:
    explicit Writer(QIODevice &out) : m_out(out) {}

    bool header()
    {
        Encoder e;
        e.bytes().append(kMagic, sizeof kMagic);
        e.u32(kFormatVersion);
        e.u32(0); // flags: none defined
        e.u32(crc32(0, e.bytes().data(), e.size()));
        return put(e.bytes().data(), e.size());
    }

    bool record(std::uint32_t type, std::string_view payload)
    {
        if (payload.size() > kMaxPayload) {
            m_error = u"a record of %1 bytes is over the format's limit"_s.arg(payload.size());
            return false;
        }
        Encoder head;
        head.u32(type);
        head.u32(std::uint32_t(payload.size()));
        std::uint32_t crc = crc32(0, head.bytes().data(), head.size());
        crc = crc32(crc, payload.data(), payload.size());
        Encoder tail;
        tail.u32(crc);
        ++m_records;
        return put(head.bytes().data(), head.size()) && put(payload.data(), payload.size())
               && put(tail.bytes().data(), tail.size());
    }

    // Index of a TLS record for `tls`, writing the record the first time; 0 for none. Flows of
    // one tunnel share their TLS records, and the file keeps them shared.
    std::uint32_t tls(const std::shared_ptr<const TlsSide> &tls)
    {
        if (!tls)
            return 0;
        const auto [it, added] = m_tls.try_emplace(tls.get(), std::uint32_t(m_tls.size() + 1));
        if (added) {
            Encoder e;
            writeTls(e, it->second, *tls);
            record(kTls, e.bytes());
        }
        return it->second;
    }

    bool connection(const Connection &c)
    {
        const std::uint32_t tlsIndex = tls(c.tls);
        std::vector<FrameRecord> frames;
        std::vector<StreamRecord> streams;
        LogHead head;
        if (c.log) {
            // One snapshot: the log may still be written by the engine.
            frames = c.log->frames();
            streams = c.log->streams();
            head = {true,
                    c.log->frameCapacity(),
                    c.log->streamCapacity(),
                    c.log->framesDropped(),
                    frames.size(),
                    streams.size()};
            // framesDropped() is read after frames(): frames dropped in between were kept in
            // our snapshot; do not count them twice.
            head.framesDropped = std::min(
                head.framesDropped,
                c.log->framesSeen() - std::min<std::uint64_t>(c.log->framesSeen(), frames.size()));
        }
        Encoder e;
        writeConnection(e, c, tlsIndex, head);
        if (!record(kConnection, e.bytes()))
            return false;
        Encoder batch;
        std::uint32_t inBatch = 0;
        const auto flushBatch = [&](std::uint32_t type) {
            if (inBatch == 0)
                return true;
            Encoder withCount;
            withCount.u32(inBatch);
            withCount.bytes() += batch.bytes();
            batch.bytes().clear();
            inBatch = 0;
            return record(type, withCount.bytes());
        };
        for (const FrameRecord &f : frames) {
            writeFrame(batch, f);
            if (++inBatch, batch.size() >= kBatchBytes && !flushBatch(kFrames))
                return false;
        }
        if (!flushBatch(kFrames))
            return false;
        for (const StreamRecord &s : streams) {
            writeStream(batch, s);
            if (++inBatch, batch.size() >= kBatchBytes && !flushBatch(kStreams))
                return false;
        }
        return flushBatch(kStreams);
    }

    bool flow(const Flow &f)
    {
        const std::uint32_t clientTls = tls(f.clientTls);
        const std::uint32_t serverTls = tls(f.serverTls);
        const BodyHead request = headOf(f.requestBody);
        const BodyHead response = headOf(f.responseBody);
        Encoder e;
        writeFlow(e, f, clientTls, serverTls, request, response);
        if (!record(kFlow, e.bytes()))
            return false;
        return body(f, f.requestBody, request) && body(f, f.responseBody, response);
    }

    bool history(const QByteArray &blob)
    {
        for (qsizetype at = 0; at < blob.size(); at += qsizetype(kChunk)) {
            const qsizetype n = std::min<qsizetype>(qsizetype(kChunk), blob.size() - at);
            if (!record(kHistory, std::string_view(blob.constData() + at, std::size_t(n))))
                return false;
        }
        return true;
    }

    std::uint64_t records() const { return m_records; }
    QString error() const { return m_error.isEmpty() ? m_out.errorString() : m_error; }

private:
    bool body(const Flow &f, const std::shared_ptr<Body> &b, const BodyHead &head)
    {
        for (std::uint64_t at = 0; at < head.recorded; at += kChunk) {
            const std::uint64_t want = std::min<std::uint64_t>(kChunk, head.recorded - at);
            const std::string chunk = b->read(at, want);
            if (chunk.size() != want) {
                m_error = u"cannot read a body of flow %1 back from the spill file"_s.arg(f.id);
                return false;
            }
            if (!record(kBody, chunk))
                return false;
        }
        return true;
    }

    bool put(const char *data, std::size_t size)
    {
        if (!m_error.isEmpty())
            return false;
        if (m_out.write(data, qint64(size)) != qint64(size)) {
            m_error = m_out.errorString();
            if (m_error.isEmpty())
                m_error = u"write failed"_s;
            return false;
        }
        return true;
    }

    QIODevice &m_out;
    std::unordered_map<const TlsSide *, std::uint32_t> m_tls;
    std::uint64_t m_records = 0;
    QString m_error;
};

template<typename FlowAt>
Result<void> writeAll(QIODevice &out, std::size_t flowCount, FlowAt flowAt,
                      const std::vector<Connection> &connections, const QByteArray &history)
{
    Writer w(out);
    if (!w.header())
        return writeFailed(w.error());
    Encoder meta;
    meta.str("Tunnelscope " TS_VERSION_STRING);
    meta.i64(QDateTime::currentMSecsSinceEpoch());
    if (!w.record(kMeta, meta.bytes()) || !w.history(history))
        return writeFailed(w.error());
    for (const Connection &c : connections) {
        if (!w.connection(c))
            return writeFailed(w.error());
    }
    for (std::size_t i = 0; i < flowCount; ++i) {
        if (!w.flow(flowAt(i)))
            return writeFailed(w.error());
    }
    Encoder end;
    end.u64(flowCount);
    end.u64(connections.size());
    end.u64(w.records());
    if (!w.record(kEnd, end.bytes()))
        return writeFailed(w.error());
    return {};
}

// fsync on a directory makes a rename in it durable (POSIX leaves that to the directory).
bool syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

template<typename Write>
Result<void> saveAtomically(const QString &path, Write write)
{
    // QSaveFile writes "<path>.XXXXXX" beside the target and renames it over the target in
    // commit(); until then the old file is untouched.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{"session.write",
                     (u"Cannot write %1: %2"_s.arg(path, file.errorString())).toStdString()};
    if (Result<void> written = write(file); !written) {
        file.cancelWriting();
        return Error{"session.write",
                     (u"%1 (%2)"_s.arg(QString::fromStdString(written.error().message), path))
                         .toStdString()};
    }
    // The bytes must be on disk before the rename makes them the session: otherwise a crash
    // soon after could leave the new name pointing at a file with holes. QSaveFile syncs too in
    // commit(), but says so nowhere in its documentation; this costs nothing when it does.
    if (!file.flush() || ::fsync(file.handle()) != 0) {
        file.cancelWriting();
        return Error{
            "session.write",
            (u"Cannot write %1: the data did not reach the disk"_s.arg(path)).toStdString()};
    }
    if (!file.commit())
        return Error{"session.write",
                     (u"Cannot write %1: %2"_s.arg(path, file.errorString())).toStdString()};
    if (!syncDirectory(QFileInfo(path).absolutePath()))
        return Error{"session.write",
                     (u"Saved %1, but could not sync its directory: a crash now could lose "
                      "the save"_s.arg(path))
                         .toStdString()};
    return {};
}

// ---------------------------------------------------------------------------------------------
// Reader

class Reader
{
public:
    Reader(QIODevice &in, std::shared_ptr<BodyBudget> budget)
        : m_in(in), m_budget(std::move(budget))
    {}

    Result<SessionData> run()
    {
        if (auto ok = header(); !ok)
            return ok.error();
        SessionData data;
        bool sawMeta = false;
        std::uint64_t records = 0;
        std::string payload;
        for (;;) {
            const std::uint64_t at = m_offset;
            std::uint32_t type = 0;
            if (auto ok = next(type, payload); !ok)
                return ok.error();
            Decoder d(payload, m_format);
            if (!sawMeta && type != kMeta)
                return damaged(at, "the first record is not the session's description");
            // Records that continue the one before (bodies, frames, streams) come first.
            if (!m_bodies.empty()) {
                if (type != kBody)
                    return damaged(at, "a body is shorter than its flow record says");
                if (auto ok = bodyChunk(at, payload); !ok)
                    return ok.error();
                ++records;
                continue;
            }
            if (m_log.frames > 0 || m_log.streams > 0) {
                if (auto ok = logBatch(at, type, d); !ok)
                    return ok.error();
                ++records;
                continue;
            }
            switch (type) {
            case kMeta:
                if (sawMeta)
                    return damaged(at, "a second session description");
                sawMeta = true;
                data.creator = d.str();
                data.savedWall = d.i64();
                break;
            case kHistory:
                data.composerHistory.append(payload.data(), qsizetype(payload.size()));
                break;
            case kTls: {
                const std::uint32_t index = d.u32();
                TlsSide tls = readTls(d);
                if (index != m_tls.size() + 1)
                    return damaged(at, "TLS records out of order");
                m_tls.push_back(std::make_shared<const TlsSide>(std::move(tls)));
                break;
            }
            case kConnection: {
                ConnectionRead r = readConnection(d);
                if (d.failed())
                    break;
                if (!tlsRef(r.tls, r.connection.tls))
                    return damaged(at, "a connection names a TLS record that does not exist");
                if (r.log.present) {
                    if (r.log.frameCapacity == 0 || r.log.streamCapacity == 0
                        || r.log.frames > r.log.frameCapacity
                        || r.log.streams > r.log.streamCapacity)
                        return damaged(at, "a connection's log does not fit its capacity");
                    r.connection.log = std::make_shared<ConnectionLog>(
                        std::size_t(r.log.frameCapacity), std::size_t(r.log.streamCapacity));
                    r.connection.log->addDropped(r.log.framesDropped);
                    m_log = r.log;
                    m_logOwner = r.connection.log;
                }
                data.connections.push_back(std::move(r.connection));
                break;
            }
            case kFlow: {
                FlowRead r = readFlow(d);
                if (d.failed())
                    break;
                if (!tlsRef(r.clientTls, r.flow.clientTls)
                    || !tlsRef(r.serverTls, r.flow.serverTls))
                    return damaged(at, "a flow names a TLS record that does not exist");
                if (!startBody(r.request, r.flow.requestBody)
                    || !startBody(r.response, r.flow.responseBody))
                    return damaged(at, "a body's recorded size is larger than its size");
                data.flows.push_back(std::move(r.flow));
                settleBodies();
                break;
            }
            case kBody:
                return damaged(at, "body bytes that belong to no flow");
            case kFrames:
            case kStreams:
                return damaged(at, "frames or streams that belong to no connection");
            case kEnd: {
                const std::uint64_t flows = d.u64();
                const std::uint64_t connections = d.u64();
                const std::uint64_t counted = d.u64();
                if (d.failed())
                    break;
                if (flows != data.flows.size() || connections != data.connections.size()
                    || counted != records)
                    return damaged(at, "records are missing (the end record counts more)");
                if (!m_in.atEnd())
                    return damaged(m_offset, "bytes after the end record");
                return data;
            }
            default:
                if (type < kFirstSkippable)
                    return Error{
                        "session.newer",
                        (u"The session was made by a newer version of Tunnelscope "
                         "(record type %1 at byte %2 is unknown to this version)"_s.arg(type)
                             .arg(at))
                            .toStdString()};
                break; // an optional record this version does not know: skip it
            }
            if (d.failed())
                return damaged(at, "a record is shorter than its fields");
            ++records;
        }
    }

private:
    static Error damaged(std::uint64_t at, const char *what)
    {
        return Error{
            "session.damaged",
            (u"The session file is damaged at byte %1: %2"_s.arg(at).arg(QString::fromUtf8(what)))
                .toStdString()};
    }

    // Reads exactly `size` bytes; false at the end of the file.
    bool readExactly(char *out, std::size_t size)
    {
        std::size_t got = 0;
        while (got < size) {
            const qint64 n = m_in.read(out + got, qint64(size - got));
            if (n <= 0)
                break;
            got += std::size_t(n);
        }
        m_offset += got;
        return got == size;
    }

    Result<void> header()
    {
        char h[kHeaderSize];
        const bool complete = readExactly(h, kHeaderSize);
        if (m_offset < sizeof kMagic || std::memcmp(h, kMagic, sizeof kMagic) != 0) {
            if (m_offset > 0 && (h[0] == '{' || h[0] == '['))
                return Error{"session.foreign",
                             "Not a Tunnelscope session: this looks like JSON (a HAR file? "
                             "import it instead)"};
            return Error{"session.foreign", "Not a Tunnelscope session (its first bytes are not "
                                            "a session file's)"};
        }
        if (!complete)
            return damaged(m_offset, "the file ends inside its header (truncated)");
        Decoder d(std::string_view(h + sizeof kMagic, kHeaderSize - sizeof kMagic));
        const std::uint32_t version = d.u32();
        d.u32(); // flags: none defined yet
        const std::uint32_t crc = d.u32();
        if (crc != crc32(0, h, kHeaderSize - kRecordTail))
            return damaged(0, "the header's checksum does not match");
        if (version > kFormatVersion)
            return Error{"session.newer",
                         (u"The session was made by a newer version of Tunnelscope (session "
                          "format %1; this version reads up to format %2)"_s.arg(version)
                              .arg(kFormatVersion))
                             .toStdString()};
        if (version == 0)
            return damaged(8, "format version 0 does not exist");
        m_format = version;
        return {};
    }

    Result<void> next(std::uint32_t &type, std::string &payload)
    {
        const std::uint64_t at = m_offset;
        char head[kRecordHead];
        if (!readExactly(head, kRecordHead))
            return damaged(at, m_offset == at ? "the file ends before its end record (truncated)"
                                              : "the file ends inside a record (truncated)");
        Decoder d(std::string_view(head, kRecordHead));
        type = d.u32();
        const std::uint32_t length = d.u32();
        if (length > kMaxPayload)
            return damaged(at, "a record's length is impossible");
        // Grows as bytes arrive, so a damaged length in a short file costs no memory.
        payload.clear();
        while (payload.size() < length) {
            const std::size_t was = payload.size();
            const std::size_t step = std::min<std::size_t>(length - was, kChunk);
            payload.resize(was + step);
            if (!readExactly(payload.data() + was, step))
                return damaged(at, "the file ends inside a record (truncated)");
        }
        char tail[kRecordTail];
        if (!readExactly(tail, kRecordTail))
            return damaged(at, "the file ends inside a record (truncated)");
        Decoder t(std::string_view(tail, kRecordTail));
        std::uint32_t crc = crc32(0, head, kRecordHead);
        crc = crc32(crc, payload.data(), payload.size());
        if (t.u32() != crc)
            return damaged(at, "a record's checksum does not match");
        return {};
    }

    bool tlsRef(std::uint32_t index, std::shared_ptr<const TlsSide> &out) const
    {
        if (index == 0)
            return true;
        if (index > m_tls.size())
            return false;
        out = m_tls[index - 1];
        return true;
    }

    // Creates the body the flow record describes and queues it for the kBody records after it.
    bool startBody(const BodyHead &head, std::shared_ptr<Body> &out)
    {
        if (!head.present)
            return true;
        if (head.recorded > head.size)
            return false;
        out = std::make_shared<Body>(m_budget);
        m_bodies.push_back({out, head.recorded, head.size - head.recorded});
        return true;
    }

    // Drops finished bodies from the queue; a body that was truncated when recorded gets its
    // unrecorded bytes counted, so truncated() and size() read as they did.
    void settleBodies()
    {
        while (!m_bodies.empty() && m_bodies.front().remaining == 0) {
            m_bodies.front().body->appendUnrecorded(m_bodies.front().unrecorded);
            m_bodies.erase(m_bodies.begin());
        }
    }

    Result<void> bodyChunk(std::uint64_t at, const std::string &payload)
    {
        PendingBody &b = m_bodies.front();
        if (payload.empty() || payload.size() > b.remaining)
            return damaged(at, "a body is longer than its flow record says");
        b.body->append(payload);
        b.remaining -= payload.size();
        settleBodies();
        return {};
    }

    Result<void> logBatch(std::uint64_t at, std::uint32_t type, Decoder &d)
    {
        const bool frames = m_log.frames > 0;
        if (type != (frames ? kFrames : kStreams))
            return damaged(at, "a connection has fewer frames or streams than its record says");
        const std::uint32_t n = d.count(frames ? 23 : 49);
        if (n == 0 || n > (frames ? m_log.frames : m_log.streams))
            return damaged(at, "a connection has more frames or streams than its record says");
        for (std::uint32_t i = 0; i < n && !d.failed(); ++i) {
            if (frames) {
                m_logOwner->addFrame(readFrame(d));
            } else {
                StreamRecord s = readStream(d);
                m_logOwner->editStream(s.id, [&](StreamRecord &r) { r = std::move(s); });
            }
        }
        if (d.failed())
            return damaged(at, "a record is shorter than its fields");
        (frames ? m_log.frames : m_log.streams) -= n;
        if (m_log.frames == 0 && m_log.streams == 0)
            m_logOwner.reset();
        return {};
    }

    struct PendingBody
    {
        std::shared_ptr<Body> body;
        std::uint64_t remaining;  // recorded bytes still to come
        std::uint64_t unrecorded; // seen but not kept when recorded
    };

    QIODevice &m_in;
    std::shared_ptr<BodyBudget> m_budget;
    std::uint64_t m_offset = 0;
    std::uint32_t m_format = kFormatVersion; // of the file being read
    std::vector<std::shared_ptr<const TlsSide>> m_tls;
    LogHead m_log; // frames and streams still expected for m_logOwner
    std::shared_ptr<ConnectionLog> m_logOwner;
    std::vector<PendingBody> m_bodies; // of the last flow, request first
};

} // namespace

Result<void> writeSession(QIODevice &out, const flow::FlowStore &store,
                          const QByteArray &composerHistory)
{
    return writeAll(
        out, store.size(), [&](std::size_t row) -> const Flow & { return store.at(row); },
        store.connections(), composerHistory);
}

Result<void> writeSession(QIODevice &out, const SessionData &data)
{
    return writeAll(
        out, data.flows.size(), [&](std::size_t i) -> const Flow & { return data.flows[i]; },
        data.connections, data.composerHistory);
}

Result<void> saveSession(const QString &path, const flow::FlowStore &store,
                         const QByteArray &composerHistory)
{
    return saveAtomically(
        path, [&](QIODevice &out) { return writeSession(out, store, composerHistory); });
}

Result<void> saveSession(const QString &path, const SessionData &data)
{
    return saveAtomically(path, [&](QIODevice &out) { return writeSession(out, data); });
}

Result<SessionData> readSession(QIODevice &in, std::shared_ptr<BodyBudget> budget)
{
    if (!budget)
        budget = std::make_shared<BodyBudget>();
    return Reader(in, std::move(budget)).run();
}

Result<SessionData> openSession(const QString &path, std::shared_ptr<BodyBudget> budget)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{"session.read",
                     (u"Cannot open %1: %2"_s.arg(path, file.errorString())).toStdString()};
    auto data = readSession(file, std::move(budget));
    if (!data)
        return Error{data.error().code,
                     QString(QString::fromStdString(data.error().message) + u" ("_s + path + u")"_s)
                         .toStdString()};
    return data;
}

QByteArray loadSession(SessionData data, flow::FlowStore &store)
{
    store.clear();
    for (Connection &c : data.connections)
        store.publish(c);
    for (Flow &f : data.flows)
        store.publish(std::move(f));
    store.flush();
    return std::move(data.composerHistory);
}

} // namespace ts::session
