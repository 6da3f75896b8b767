#include "core/session/session_file.h"

#include "core/flow/flow_store.h"
#include "core/session/crc32.h"

#include <QBuffer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <set>

#include <csignal>
#include <random>

#include <sys/wait.h>
#include <unistd.h>

using namespace ts;
using namespace ts::flow;
using namespace ts::session;
using namespace Qt::StringLiterals;

namespace {

// QVERIFY2 evaluates its message even when the check passes, and error() of a good Result
// throws.
template<typename R>
const char *why(const R &result)
{
    return result.ok() ? "" : result.error().message.c_str();
}

std::shared_ptr<Body> bodyOf(const std::shared_ptr<BodyBudget> &budget, std::string_view bytes)
{
    auto body = std::make_shared<Body>(budget);
    body->append(bytes);
    return body;
}

std::string pattern(std::size_t size, unsigned seed)
{
    std::string s(size, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (char &c : s) {
        x = x * 1664525u + 1013904223u;
        c = char(x >> 24);
    }
    return s;
}

std::shared_ptr<const TlsSide> tlsSide(const std::string &sni, bool server)
{
    TlsSide t;
    t.used = true;
    t.sni = sni;
    t.alpnOffered = {"h2", "http/1.1"};
    t.alpn = "h2";
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    CertificateSummary leaf{"CN=" + sni,          "CN=Example CA", {sni, "www." + sni, "192.0.2.7"},
                            1700000000000,        1731536000000,   "0A:1B",
                            std::string(64, 'f'), "EC P-256"};
    CertificateSummary ca{"CN=Example CA",      "CN=Example Root", {},
                          1600000000000,        1900000000000,     "01",
                          std::string(64, 'a'), "RSA 2048"};
    t.chain = {leaf, ca};
    t.handshakeMicros = server ? 18250 : 4100;
    t.verified = server;
    t.verifyError = server ? "" : "self-signed";
    t.failure = "";
    return std::make_shared<const TlsSide>(std::move(t));
}

// A recorded session: an h2 client connection with a frame log that dropped frames, its
// server connection with TLS, an intercepted tunnel and exchanges in it sharing its TLS
// records, a plain exchange with trailers, a body spilled past perBodyMemory, a truncated
// one, a binary one, a failed exchange and an open one.
void fill(FlowStore &store)
{
    const auto budget = store.budget();
    budget->perBodyMemory = 64 * 1024;
    budget->perBodyRecorded = 512 * 1024;

    const auto clientTls = tlsSide("example.com", false);
    const auto serverTls = tlsSide("example.com", true);

    Connection client;
    client.id = 7;
    client.side = Side::Client;
    client.protocol = "h2";
    client.clientAddress = "127.0.0.1:53412";
    client.listenAddress = "127.0.0.1:8080";
    client.tls = clientTls;
    client.log = std::make_shared<ConnectionLog>(4, 3);
    for (int i = 0; i < 10; ++i) {
        client.log->addFrame({1000 * i, i % 2 == 0, std::uint8_t(i % 10), std::uint8_t(i),
                              std::uint32_t(i / 2 * 2 + 1), std::uint32_t(100 + i),
                              "frame " + std::to_string(i) + " \xe2\x9c\x93"});
    }
    for (std::uint32_t id : {1u, 3u, 5u, 7u}) { // four streams, capacity three: 1 goes
        client.log->editStream(id, [&](StreamRecord &s) {
            s.flow = id + 1;
            s.summary = "GET /s" + std::to_string(id);
            s.history = {{10, "open"}, {20, "half-closed (remote)"}, {35, "closed"}};
            s.bytesIn = id * 10;
            s.bytesOut = id * 20;
            s.localWindow = 65535 - std::int32_t(id);
            s.remoteWindow = -5;
            s.resetCode = id == 5 ? 8 : -1;
            s.closed = id != 7;
        });
    }
    client.openedWall = 1700000000000;
    client.bytesIn = 12345;
    client.bytesOut = 67890;
    client.flows = 4;
    store.publish(client);

    Connection server;
    server.id = 8;
    server.side = Side::Server;
    server.protocol = "HTTP/1.1";
    server.clientAddress = "10.0.0.2:40000";
    server.target = "example.com:443";
    server.peerAddress = "93.184.216.34:443";
    server.parent = 7;
    server.tls = serverTls;
    server.openedWall = 1700000000100;
    server.closedWall = 1700000009000;
    server.bytesIn = 5;
    server.bytesOut = 6;
    server.flows = 2;
    server.closeReason = "idle";
    store.publish(server);

    Flow tunnel;
    tunnel.id = 1;
    tunnel.kind = FlowKind::Tunnel;
    tunnel.state = FlowState::Complete;
    tunnel.clientConnection = 7;
    tunnel.clientAddress = "127.0.0.1:53412";
    tunnel.startedWall = 1700000000000;
    tunnel.startedMono = 123456789;
    tunnel.host = "example.com";
    tunnel.port = 443;
    tunnel.serverAddress = "93.184.216.34:443";
    tunnel.method = "CONNECT";
    tunnel.path = "example.com:443";
    tunnel.bytesClientToServer = 1000;
    tunnel.bytesServerToClient = 200000;
    tunnel.closedWall = 1700000009000;
    tunnel.closeReason = "client closed";
    tunnel.intercepted = true;
    tunnel.clientTls = clientTls;
    tunnel.serverTls = serverTls;
    tunnel.timings = {-1, 1500, -1, -1, 9000000};
    store.publish(tunnel);

    Flow get;
    get.id = 2;
    get.state = FlowState::Complete;
    get.clientConnection = 7;
    get.clientAddress = "127.0.0.1:53412";
    get.startedWall = 1700000000200;
    get.startedMono = 123456999;
    get.scheme = "https";
    get.host = "example.com";
    get.port = 443;
    get.serverAddress = "93.184.216.34:443";
    get.serverReused = true;
    get.upstream = "via http://127.0.0.1:3128 → socks5h://127.0.0.1:1080";
    get.method = "GET";
    get.path = "/big?x=1";
    get.clientProtocol = "HTTP/2";
    get.serverProtocol = "HTTP/1.1";
    get.requestHeaders = {{"user-agent", "test"}, {"accept", "*/*"}};
    get.status = 200;
    get.reason = "OK";
    get.responseHeaders = {{"Content-Type", "application/octet-stream"}};
    get.responseBody = bodyOf(budget, pattern(200 * 1024, 1)); // spills: over 64 KiB
    get.requestWireBytes = 80;
    get.responseWireBytes = 205000;
    get.timings = {100, 200, 300, 4000, 90000};
    get.intercepted = true;
    get.parent = 1;
    get.clientTls = clientTls;
    get.serverTls = serverTls;
    get.clientStream = 3;
    get.serverStream = 0;
    get.serverConnection = 8;
    // An imported entry's WebSocket messages (a double's every bit must survive), and the
    // user's marks.
    get.webSocketMessages = std::make_shared<const ts::flow::WebSocketMessages>(
        ts::flow::WebSocketMessages{{true, 1700000000.123456789, 1, "hello"},
                                    {false, 1700000000.5, 2, "AAEC/w=="},
                                    {false, 0.1, 8, ""}});
    get.webSocketDropped = 12;
    get.webSocketTruncated = 2;
    get.webSocketError = "the server broke the protocol (1002): reserved opcode 0x3";
    get.marks = {true, ts::flow::MarkColor::Green, "slow: ask the CDN team\nline two"};
    store.publish(get);

    Flow post;
    post.id = 3;
    post.state = FlowState::Complete;
    post.clientConnection = 7;
    post.startedWall = 1700000000300;
    post.scheme = "https";
    post.host = "example.com";
    post.port = 443;
    post.method = "POST";
    post.path = "/upload";
    post.clientProtocol = "HTTP/2";
    post.serverProtocol = "HTTP/1.1";
    post.requestHeaders = {{"content-type", "application/octet-stream"}};
    post.requestTrailers = {{"grpc-status", "0"}};
    post.requestBody = bodyOf(budget, pattern(600 * 1024, 2)); // truncated at 512 KiB
    post.requestBody->append("and more");                      // seen, not kept
    post.status = 201;
    post.reason = "Created";
    post.responseHeaders = {{"content-length", "3"}};
    post.responseTrailers = {{"x-checksum", "abc"}, {"x-empty", ""}};
    post.responseBody = bodyOf(budget, std::string("\0\xff\x01", 3));
    post.intercepted = true;
    post.parent = 1;
    post.clientTls = clientTls;
    post.serverTls = serverTls;
    post.clientStream = 5;
    post.serverConnection = 8;
    store.publish(post);

    Flow failed;
    failed.id = 4;
    failed.state = FlowState::Failed;
    failed.clientConnection = 9;
    failed.scheme = "http";
    failed.host = "nowhere.invalid";
    failed.port = 80;
    failed.method = "GET";
    failed.path = "/";
    failed.requestBody = std::make_shared<Body>(budget); // empty, but there
    failed.status = 502;
    failed.responseFromProxy = true;
    failed.error = "Cannot resolve nowhere.invalid: host not found";
    failed.timings = {-1, -1, -1, -1, 2500};
    store.publish(failed);

    Flow open;
    open.id = 5;
    open.state = FlowState::Open;
    open.clientConnection = 9;
    open.scheme = "http";
    open.host = "::1";
    open.port = 8000;
    open.method = "PUT";
    open.path = "/stream";
    open.requestBody = bodyOf(budget, "partial");
    store.publish(open);
    store.flush();
}

void compareBody(const std::shared_ptr<Body> &a, const std::shared_ptr<Body> &b)
{
    QCOMPARE(bool(a), bool(b));
    if (!a)
        return;
    QCOMPARE(a->size(), b->size());
    QCOMPARE(a->recordedSize(), b->recordedSize());
    QCOMPARE(a->truncated(), b->truncated());
    QVERIFY(a->read() == b->read());
}

void compareTls(const std::shared_ptr<const TlsSide> &a, const std::shared_ptr<const TlsSide> &b)
{
    QCOMPARE(bool(a), bool(b));
    if (!a)
        return;
    QCOMPARE(a->used, b->used);
    QCOMPARE(a->sni, b->sni);
    QCOMPARE(a->alpnOffered, b->alpnOffered);
    QCOMPARE(a->alpn, b->alpn);
    QCOMPARE(a->version, b->version);
    QCOMPARE(a->cipher, b->cipher);
    QCOMPARE(a->chain.size(), b->chain.size());
    for (std::size_t i = 0; i < a->chain.size(); ++i) {
        const CertificateSummary &x = a->chain[i];
        const CertificateSummary &y = b->chain[i];
        QCOMPARE(x.subject, y.subject);
        QCOMPARE(x.issuer, y.issuer);
        QCOMPARE(x.names, y.names);
        QCOMPARE(x.notBefore, y.notBefore);
        QCOMPARE(x.notAfter, y.notAfter);
        QCOMPARE(x.serial, y.serial);
        QCOMPARE(x.sha256, y.sha256);
        QCOMPARE(x.keyType, y.keyType);
    }
    QCOMPARE(a->handshakeMicros, b->handshakeMicros);
    QCOMPARE(a->verified, b->verified);
    QCOMPARE(a->verifyError, b->verifyError);
    QCOMPARE(a->failure, b->failure);
}

void compareFlow(const Flow &a, const Flow &b)
{
    QCOMPARE(a.id, b.id);
    QCOMPARE(a.kind, b.kind);
    QCOMPARE(a.state, b.state);
    QCOMPARE(a.clientConnection, b.clientConnection);
    QCOMPARE(a.clientAddress, b.clientAddress);
    QCOMPARE(a.startedWall, b.startedWall);
    QCOMPARE(a.startedMono, b.startedMono);
    QCOMPARE(a.scheme, b.scheme);
    QCOMPARE(a.host, b.host);
    QCOMPARE(a.port, b.port);
    QCOMPARE(a.serverAddress, b.serverAddress);
    QCOMPARE(a.serverReused, b.serverReused);
    QCOMPARE(a.method, b.method);
    QCOMPARE(a.path, b.path);
    QCOMPARE(a.clientProtocol, b.clientProtocol);
    QCOMPARE(a.serverProtocol, b.serverProtocol);
    QVERIFY(a.requestHeaders == b.requestHeaders);
    QVERIFY(a.requestTrailers == b.requestTrailers);
    QCOMPARE(a.status, b.status);
    QCOMPARE(a.reason, b.reason);
    QVERIFY(a.responseHeaders == b.responseHeaders);
    QVERIFY(a.responseTrailers == b.responseTrailers);
    compareBody(a.requestBody, b.requestBody);
    compareBody(a.responseBody, b.responseBody);
    QCOMPARE(a.requestWireBytes, b.requestWireBytes);
    QCOMPARE(a.responseWireBytes, b.responseWireBytes);
    QCOMPARE(a.responseFromProxy, b.responseFromProxy);
    QCOMPARE(a.timings.lookup, b.timings.lookup);
    QCOMPARE(a.timings.connect, b.timings.connect);
    QCOMPARE(a.timings.requestSent, b.timings.requestSent);
    QCOMPARE(a.timings.firstByte, b.timings.firstByte);
    QCOMPARE(a.timings.complete, b.timings.complete);
    QCOMPARE(a.bytesClientToServer, b.bytesClientToServer);
    QCOMPARE(a.bytesServerToClient, b.bytesServerToClient);
    QCOMPARE(a.closedWall, b.closedWall);
    QCOMPARE(a.closeReason, b.closeReason);
    QCOMPARE(a.intercepted, b.intercepted);
    QCOMPARE(a.parent, b.parent);
    compareTls(a.clientTls, b.clientTls);
    compareTls(a.serverTls, b.serverTls);
    QCOMPARE(a.clientStream, b.clientStream);
    QCOMPARE(a.serverStream, b.serverStream);
    QCOMPARE(a.serverConnection, b.serverConnection);
    QCOMPARE(a.error, b.error);
    QCOMPARE(a.upstream, b.upstream);
    QCOMPARE(bool(a.webSocketMessages), bool(b.webSocketMessages));
    if (a.webSocketMessages)
        QVERIFY(*a.webSocketMessages == *b.webSocketMessages);
    QCOMPARE(a.webSocketDropped, b.webSocketDropped);
    QCOMPARE(a.webSocketTruncated, b.webSocketTruncated);
    QCOMPARE(a.webSocketError, b.webSocketError);
    QVERIFY(a.marks == b.marks);
}

void compareConnection(const Connection &a, const Connection &b)
{
    QCOMPARE(a.id, b.id);
    QCOMPARE(a.side, b.side);
    QCOMPARE(a.protocol, b.protocol);
    QCOMPARE(a.clientAddress, b.clientAddress);
    QCOMPARE(a.listenAddress, b.listenAddress);
    QCOMPARE(a.target, b.target);
    QCOMPARE(a.peerAddress, b.peerAddress);
    QCOMPARE(a.parent, b.parent);
    compareTls(a.tls, b.tls);
    QCOMPARE(bool(a.log), bool(b.log));
    if (a.log) {
        QCOMPARE(a.log->frameCapacity(), b.log->frameCapacity());
        QCOMPARE(a.log->streamCapacity(), b.log->streamCapacity());
        QCOMPARE(a.log->framesSeen(), b.log->framesSeen());
        QCOMPARE(a.log->framesDropped(), b.log->framesDropped());
        const auto fa = a.log->frames();
        const auto fb = b.log->frames();
        QCOMPARE(fa.size(), fb.size());
        for (std::size_t i = 0; i < fa.size(); ++i) {
            QCOMPARE(fa[i].micros, fb[i].micros);
            QCOMPARE(fa[i].inbound, fb[i].inbound);
            QCOMPARE(fa[i].type, fb[i].type);
            QCOMPARE(fa[i].flags, fb[i].flags);
            QCOMPARE(fa[i].stream, fb[i].stream);
            QCOMPARE(fa[i].length, fb[i].length);
            QCOMPARE(fa[i].summary, fb[i].summary);
        }
        const auto sa = a.log->streams();
        const auto sb = b.log->streams();
        QCOMPARE(sa.size(), sb.size());
        for (std::size_t i = 0; i < sa.size(); ++i) {
            QCOMPARE(sa[i].id, sb[i].id);
            QCOMPARE(sa[i].flow, sb[i].flow);
            QCOMPARE(sa[i].summary, sb[i].summary);
            QCOMPARE(sa[i].history.size(), sb[i].history.size());
            for (std::size_t h = 0; h < sa[i].history.size(); ++h) {
                QCOMPARE(sa[i].history[h].micros, sb[i].history[h].micros);
                QCOMPARE(sa[i].history[h].state, sb[i].history[h].state);
            }
            QCOMPARE(sa[i].bytesIn, sb[i].bytesIn);
            QCOMPARE(sa[i].bytesOut, sb[i].bytesOut);
            QCOMPARE(sa[i].localWindow, sb[i].localWindow);
            QCOMPARE(sa[i].remoteWindow, sb[i].remoteWindow);
            QCOMPARE(sa[i].resetCode, sb[i].resetCode);
            QCOMPARE(sa[i].closed, sb[i].closed);
        }
    }
    QCOMPARE(a.openedWall, b.openedWall);
    QCOMPARE(a.closedWall, b.closedWall);
    QCOMPARE(a.bytesIn, b.bytesIn);
    QCOMPARE(a.bytesOut, b.bytesOut);
    QCOMPARE(a.flows, b.flows);
    QCOMPARE(a.closeReason, b.closeReason);
}

void compareStore(const FlowStore &store, const SessionData &data)
{
    QCOMPARE(data.flows.size(), store.size());
    for (std::size_t i = 0; i < store.size(); ++i) {
        compareFlow(store.at(i), data.flows[i]);
        if (QTest::currentTestFailed())
            QFAIL(qPrintable(u"flow %1 differs"_s.arg(i)));
    }
    QCOMPARE(data.connections.size(), store.connections().size());
    for (std::size_t i = 0; i < data.connections.size(); ++i)
        compareConnection(store.connections()[i], data.connections[i]);
}

QByteArray sessionBytes(const FlowStore &store, const QByteArray &history)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    const auto written = writeSession(buffer, store, history);
    if (!written)
        qFatal("writeSession: %s", written.error().message.c_str());
    return buffer.data();
}

Result<SessionData> readBytes(const QByteArray &bytes, std::shared_ptr<BodyBudget> budget = {})
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return readSession(buffer, std::move(budget));
}

void putU32(QByteArray &b, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b.append(char((v >> (8 * i)) & 0xFF));
}

// One record as the format frames it, for hand-made files.
QByteArray record(std::uint32_t type, const QByteArray &payload)
{
    QByteArray r;
    putU32(r, type);
    putU32(r, std::uint32_t(payload.size()));
    r += payload;
    putU32(r, crc32(0, r.constData(), std::size_t(r.size())));
    return r;
}

// The header and the META record of a session, with the END record cut off (20 bytes of
// header; the END record is the last 12 + 24 bytes).
QByteArray withoutEnd(const QByteArray &session)
{
    return session.first(session.size() - 36);
}

QByteArray endRecord(std::uint64_t flows, std::uint64_t connections, std::uint64_t records)
{
    QByteArray p;
    for (std::uint64_t v : {flows, connections, records}) {
        putU32(p, std::uint32_t(v));
        putU32(p, std::uint32_t(v >> 32));
    }
    return record(9, p);
}

} // namespace

class SessionFileTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip()
    {
        FlowStore store;
        fill(store);
        QVERIFY(store.at(1).responseBody->spilled());
        QVERIFY(store.at(2).requestBody->truncated());

        QTemporaryDir dir;
        const QString path = dir.filePath(u"s.tss"_s);
        const QByteArray history("composer\0history", 16);
        const auto saved = saveSession(path, store, history);
        QVERIFY2(saved, why(saved));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{u"s.tss"_s});

        auto budget = std::make_shared<BodyBudget>();
        budget->perBodyMemory = 64 * 1024;
        const auto opened = openSession(path, budget);
        QVERIFY2(opened, why(opened));
        compareStore(store, *opened);
        QCOMPARE(opened->composerHistory, history);
        QCOMPARE(opened->creator.substr(0, 12), std::string("Tunnelscope "));
        QVERIFY(opened->savedWall > 0);
        QVERIFY(opened->flows[1].responseBody->spilled());

        // Shared TLS records stay shared.
        const auto &flows = opened->flows;
        QCOMPARE(flows[0].clientTls.get(), flows[1].clientTls.get());
        QCOMPARE(flows[1].serverTls.get(), flows[2].serverTls.get());
        QCOMPARE(flows[0].clientTls.get(), opened->connections[0].tls.get());
        QVERIFY(flows[0].clientTls.get() != flows[0].serverTls.get());

        // Read back and written again, the records are the same bytes: nothing was lost or
        // moved between fields. (The header and META record, with the save time, differ.)
        QBuffer again;
        again.open(QIODevice::WriteOnly);
        QVERIFY(writeSession(again, *opened));
        const QByteArray first = sessionBytes(store, history);
        const auto metaEnd = [](const QByteArray &b) {
            const auto length = std::uint32_t(static_cast<unsigned char>(b[24]))
                                | std::uint32_t(static_cast<unsigned char>(b[25])) << 8;
            return qsizetype(20 + 8 + length + 4);
        };
        QCOMPARE(again.data().size(), first.size());
        QVERIFY(again.data().sliced(metaEnd(first)) == first.sliced(metaEnd(first)));

        // Into a store: everything appears at once.
        FlowStore loaded;
        const auto intoStore = openSession(path, loaded.budget());
        QVERIFY(intoStore);
        int added = 0;
        connect(&loaded, &FlowStore::flowsAdded, this, [&] { ++added; });
        QCOMPARE(loadSession(*intoStore, loaded), history);
        QCOMPARE(added, 1);
        QCOMPARE(loaded.size(), store.size());
        QCOMPARE(loaded.find(3)->parent, FlowId(1));
        QCOMPARE(loaded.connections().size(), std::size_t(2));
        QVERIFY(loaded.at(1).responseBody->read() == store.at(1).responseBody->read());
    }

    // Records the store moved to its spill file to stay within the memory budget (a closed
    // connection's log, older bodies and header lists) are saved as they were recorded.
    void spilledRecordsSaveAsRecorded()
    {
        FlowStore inMemory;
        fill(inMemory);
        const QByteArray expected = sessionBytes(inMemory, {});

        FlowStore spilled;
        fill(spilled);
        Connection client = *spilled.connection(7);
        client.log->closed(); // a closed connection's log may go
        spilled.publish(client);
        spilled.budget()->totalMemory = 1; // nothing fits
        spilled.flush();
        QVERIFY(spilled.connection(7)->log->spilled());
        QVERIFY(spilled.budget()->headerMemory.load() == 0);
        QVERIFY(spilled.budget()->spill->size() > 0);

        const QByteArray saved = sessionBytes(spilled, {});
        const auto metaEnd = [](const QByteArray &b) {
            const auto length = std::uint32_t(static_cast<unsigned char>(b[24]))
                                | std::uint32_t(static_cast<unsigned char>(b[25])) << 8;
            return qsizetype(20 + 8 + length + 4);
        };
        QCOMPARE(saved.size(), expected.size());
        QVERIFY(saved.sliced(metaEnd(saved)) == expected.sliced(metaEnd(expected)));
    }

    // TS_FUZZ_SEED_DIR=tests/fuzz/corpus/session_file refreshes the fuzz seeds: a small
    // session with every kind of record, and an empty one.
    void fuzzSeeds()
    {
        const QString seeds = qEnvironmentVariable("TS_FUZZ_SEED_DIR");
        if (seeds.isEmpty())
            QSKIP("TS_FUZZ_SEED_DIR is not set");
        FlowStore store;
        fill(store);
        for (std::size_t row = 0; row < store.size(); ++row) {
            Flow f = store.at(row); // small bodies: seeds stay a few KiB
            for (auto *body : {&f.requestBody, &f.responseBody}) {
                if (*body && (*body)->recordedSize() > 100) {
                    auto small = bodyOf(store.budget(), (*body)->read(0, 100));
                    small->appendUnrecorded((*body)->size() - 100);
                    *body = small;
                }
            }
            store.publish(f);
        }
        store.flush();
        FlowStore empty;
        for (const auto &[name, bytes] :
             {std::pair(u"everything.tss"_s, sessionBytes(store, "composer history")),
              std::pair(u"empty.tss"_s, sessionBytes(empty, {}))}) {
            QFile seed(seeds + u'/' + name);
            QVERIFY(seed.open(QIODevice::WriteOnly) && seed.write(bytes) == bytes.size());
        }
    }

    void emptySession()
    {
        FlowStore store;
        const auto opened = readBytes(sessionBytes(store, {}));
        QVERIFY2(opened, why(opened));
        QVERIFY(opened->flows.empty());
        QVERIFY(opened->connections.empty());
        QVERIFY(opened->composerHistory.isEmpty());
        // Header, META (creator, save time), END.
        QCOMPARE(sessionBytes(store, {}).size(),
                 qsizetype(20 + (12 + 4 + opened->creator.size() + 8) + (12 + 24)));
    }

    // Cut anywhere, the file is reported as damaged (or not a session, inside the magic);
    // never read as a shorter session.
    void truncatedEverywhere()
    {
        FlowStore store;
        fill(store);
        const QByteArray whole = sessionBytes(store, QByteArray(3000, 'h'));
        QVERIFY(whole.size() > 700 * 1024);
        std::vector<qsizetype> cuts;
        for (qsizetype cut = 0; cut < whole.size(); cut += 1024)
            cuts.push_back(cut);
        for (qsizetype cut : {1, 7, 8, 19, 20, 21, 35, 36}) // inside and around the header
            cuts.push_back(cut);
        cuts.push_back(whole.size() - 1);
        for (qsizetype cut : cuts) {
            const auto opened = readBytes(whole.first(cut));
            QVERIFY2(!opened, qPrintable(u"a file cut at %1 bytes opened"_s.arg(cut)));
            const QString message = QString::fromStdString(opened.error().message);
            if (cut < 8)
                QVERIFY2(message.startsWith(u"Not a Tunnelscope session"_s), qPrintable(message));
            else
                QVERIFY2(message.contains(u"damaged at byte"_s) && message.contains(u"truncated"_s),
                         qPrintable(message));
        }
        QVERIFY(readBytes(whole));
    }

    void damagedBytes()
    {
        FlowStore store;
        fill(store);
        const QByteArray whole = sessionBytes(store, "history");
        std::mt19937 random(7);
        for (int i = 0; i < 300; ++i) {
            QByteArray bad = whole;
            const qsizetype at = qsizetype(random() % std::uint32_t(whole.size()));
            bad[at] = char(bad[at] ^ (1 + random() % 255));
            const auto opened = readBytes(bad);
            QVERIFY2(!opened, qPrintable(u"a file damaged at %1 opened"_s.arg(at)));
            const QString message = QString::fromStdString(opened.error().message);
            if (at < 8)
                continue; // the magic: "not a session"
            const QRegularExpressionMatch m
                = QRegularExpression(u"damaged at byte (\\d+)"_s).match(message);
            QVERIFY2(m.hasMatch(), qPrintable(message));
            QVERIFY2(m.captured(1).toLongLong() <= at, qPrintable(message)); // at or before
        }
    }

    void foreignFiles()
    {
        const auto zip = readBytes(QByteArray("PK\x03\x04 some zip file, long enough........"));
        QVERIFY(!zip);
        QCOMPARE(zip.error().code, std::string("session.foreign"));
        QVERIFY(
            QString::fromStdString(zip.error().message).startsWith(u"Not a Tunnelscope session"_s));
        const auto har = readBytes(R"({"log": {"version": "1.2", "entries": []}})");
        QVERIFY(!har);
        QVERIFY(QString::fromStdString(har.error().message).contains(u"HAR"_s));
        QVERIFY(!readBytes({}));

        QTemporaryDir dir;
        const auto missing = openSession(dir.filePath(u"none.tss"_s), nullptr);
        QVERIFY(!missing);
        QVERIFY(QString::fromStdString(missing.error().message).contains(u"none.tss"_s));
    }

    // A format 1 session (32-bit stream ids, 8-bit frame types), kept as it was saved: it
    // still opens, every frame and stream as it was.
    void readsFormat1()
    {
        QFile file(qEnvironmentVariable("TS_SOURCE_DIR")
                   + u"/tests/core/session/data/format1.tss"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QCOMPARE(int(bytes[8]), 1);
        const auto opened = readBytes(bytes);
        QVERIFY2(opened, why(opened));
        const auto client = std::find_if(opened->connections.begin(), opened->connections.end(),
                                         [](const Connection &c) { return c.id == 7; });
        QVERIFY(client != opened->connections.end() && client->log);
        const std::vector<FrameRecord> frames = client->log->frames();
        QCOMPARE(frames.size(), std::size_t(4)); // the newest of ten
        for (std::size_t k = 0; k < frames.size(); ++k) {
            const std::uint64_t i = 6 + k;
            QCOMPARE(frames[k].type, i);
            QCOMPARE(frames[k].stream, i / 2 * 2 + 1);
            QCOMPARE(frames[k].length, 100 + i);
        }
        std::vector<std::uint64_t> streams;
        for (const StreamRecord &r : client->log->streams())
            streams.push_back(r.id);
        QCOMPARE(streams, (std::vector<std::uint64_t>{3, 5, 7}));
        std::set<std::uint64_t> carried;
        for (const Flow &f : opened->flows)
            carried.insert(f.clientStream);
        QVERIFY(carried.count(3) && carried.count(5));
        // Older files have no marks and no WebSocket messages.
        for (const Flow &f : opened->flows) {
            QVERIFY(f.marks.empty());
            QVERIFY(!f.webSocketMessages);
        }
    }

    // HTTP/3's widths: 62-bit stream ids and varint frame types survive a save.
    void keepsHttp3Widths()
    {
        FlowStore store;
        Connection c;
        c.id = 9;
        c.side = Side::Client;
        c.protocol = "HTTP/3";
        c.log = std::make_shared<ConnectionLog>();
        const std::uint64_t big = (std::uint64_t(1) << 62) - 1;
        c.log->addFrame({5, true, 0x21, 0, big, std::uint64_t(1) << 40, "reserved frame type"});
        c.log->editStream(big, [&](StreamRecord &r) { r.summary = "GET /"; });
        store.publish(c);
        Flow f;
        f.id = 1;
        f.method = "GET";
        f.clientConnection = 9;
        f.clientStream = big;
        store.publish(f);
        store.flush();
        const auto opened = readBytes(sessionBytes(store, {}));
        QVERIFY2(opened, why(opened));
        QCOMPARE(opened->connections.size(), std::size_t(1));
        const FrameRecord frame = opened->connections[0].log->frames().at(0);
        QCOMPARE(frame.type, std::uint64_t(0x21));
        QCOMPARE(frame.stream, big);
        QCOMPARE(frame.length, std::uint64_t(1) << 40);
        QCOMPARE(opened->connections[0].log->streams().at(0).id, big);
        QCOMPARE(opened->flows.at(0).clientStream, big);
    }

    void newerVersion()
    {
        FlowStore store;
        QByteArray bytes = sessionBytes(store, {});
        bytes[8] = 3; // format version 3, header CRC made to match
        QByteArray header = bytes.first(16);
        putU32(header, crc32(0, header.constData(), 16));
        bytes.replace(0, 20, header);
        const auto opened = readBytes(bytes);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, std::string("session.newer"));
        QVERIFY2(QString::fromStdString(opened.error().message).contains(u"newer version"_s),
                 opened.error().message.c_str());

        // The version without the CRC fixed: damage, not a newer file.
        QByteArray damaged = sessionBytes(store, {});
        damaged[8] = 3;
        QCOMPARE(readBytes(damaged).error().code, std::string("session.damaged"));
    }

    // A later revision of format 1 may add records: optional ones are skipped, others say the
    // file needs a newer version.
    void unknownRecords()
    {
        FlowStore store;
        const QByteArray base = withoutEnd(sessionBytes(store, {}));
        const QByteArray optional = base + record(0x1234, "later") + endRecord(0, 0, 2);
        QVERIFY2(readBytes(optional), why(readBytes(optional)));
        const auto required = readBytes(base + record(200, "later") + endRecord(0, 0, 2));
        QVERIFY(!required);
        QCOMPARE(required.error().code, std::string("session.newer"));
        // Bytes after the end record, a missing record, a record with an impossible length.
        QVERIFY(!readBytes(sessionBytes(store, {}) + "x"));
        QVERIFY(!readBytes(base + endRecord(0, 0, 5)));
        QByteArray huge = base;
        putU32(huge, 7);
        putU32(huge, 0xFFFFFFF0u);
        QVERIFY(QString::fromStdString(readBytes(huge).error().message).contains(u"length"_s));
    }

    // Opened with a smaller budget, bodies are cut at its perBodyRecorded like recorded ones.
    void openWithSmallBudget()
    {
        FlowStore store;
        fill(store);
        auto small = std::make_shared<BodyBudget>();
        small->perBodyRecorded = 1000;
        small->perBodyMemory = 100;
        const auto opened = readBytes(sessionBytes(store, {}), small);
        QVERIFY2(opened, why(opened));
        const auto &body = opened->flows[1].responseBody;
        QCOMPARE(body->size(), store.at(1).responseBody->size());
        QCOMPARE(body->recordedSize(), std::uint64_t(1000));
        QVERIFY(body->truncated());
        QVERIFY(body->read() == store.at(1).responseBody->read(0, 1000));
    }

    void failedSaveKeepsOldFile()
    {
        FlowStore store;
        fill(store);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"s.tss"_s);
        QVERIFY(saveSession(path, store, "old"));
        QVERIFY(!saveSession(dir.filePath(u"no/such/dir/s.tss"_s), store, {}));

        // A read-only directory: the temporary file cannot be made; the old file stays.
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner);
        const bool root = ::geteuid() == 0;
        const auto denied = saveSession(path, store, "new");
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        if (!root)
            QVERIFY(!denied);
        const auto opened = openSession(path, nullptr);
        QVERIFY(opened);
        QCOMPARE(opened->composerHistory, root ? QByteArray("new") : QByteArray("old"));
    }

    // A child saves a large session to one path over and over and is killed at random
    // moments: the file there must always open, as one complete session.
    void killedWhileSaving()
    {
        FlowStore store;
        const auto budget = store.budget();
        for (FlowId id = 1; id <= 300; ++id) {
            Flow f;
            f.id = id;
            f.state = FlowState::Complete;
            f.scheme = "http";
            f.host = "example.com";
            f.port = 80;
            f.method = "GET";
            f.path = "/" + std::to_string(id);
            f.status = 200;
            f.responseBody = bodyOf(budget, pattern(64 * 1024, unsigned(id)));
            store.publish(f);
        }
        store.flush();

        QTemporaryDir dir;
        const QString path = dir.filePath(u"s.tss"_s);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(saveSession(path, store, "generation 0"));
        const qint64 saveMicros = std::max<qint64>(timer.nsecsElapsed() / 1000, 1000);

        std::mt19937 random(20240301);
        long long lastGeneration = 0;
        int sawNew = 0;
        for (int round = 1; round <= 20; ++round) {
            const pid_t child = ::fork();
            QVERIFY(child >= 0);
            if (child == 0) {
                ::alarm(60); // never outlive a test that died
                for (long long g = round * 100000LL;; ++g) {
                    if (!saveSession(path, store, "generation " + QByteArray::number(g)))
                        ::_exit(3);
                }
            }
            ::usleep(useconds_t(random() % std::uint32_t(saveMicros * 3)));
            ::kill(child, SIGKILL);
            int status = 0;
            ::waitpid(child, &status, 0);
            QVERIFY2(WIFSIGNALED(status), "the child stopped by itself: a save failed");

            auto opened = openSession(path, nullptr);
            QVERIFY2(opened, why(opened));
            const QByteArray history = opened->composerHistory;
            QVERIFY2(history.startsWith("generation "), history.constData());
            const long long generation = history.mid(11).toLongLong();
            QVERIFY(generation >= lastGeneration);
            sawNew += generation != lastGeneration;
            lastGeneration = generation;
            QCOMPARE(opened->flows.size(), store.size());
            for (std::size_t i = 0; i < store.size(); i += 37)
                QVERIFY(opened->flows[i].responseBody->read() == store.at(i).responseBody->read());
        }
        // The child does nothing but save, so every kill lands inside a save (or before the
        // first one began).
        qInfo("one save takes %lld us; %d of 20 kills left a newer session in place", saveMicros,
              sawNew);
    }
};

QTEST_GUILESS_MAIN(SessionFileTest)
#include "session_file_test.moc"
