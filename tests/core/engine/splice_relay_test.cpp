// SpliceRelay between real sockets (socketpairs, no network): the bytes arrive in order and
// each side's EOF is passed on, whatever round of the relay's per-wakeup budget reads it.
#include "core/engine/splice_relay.h"
#include "core/engine/tcp_socket.h"

#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using namespace ts::engine;

namespace {

struct Pair
{
    int app = -1;   // the test's end (a client or a server program)
    int proxy = -1; // the end the relay's TcpSocket adopts
    Pair()
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0)
            qFatal("socketpair: %s", std::strerror(errno));
        app = fds[0];
        proxy = fds[1];
    }
    ~Pair()
    {
        if (app >= 0)
            ::close(app);
    }
};

// Reads what has arrived; true once the peer's EOF was read.
bool drain(int fd, std::string &into)
{
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, std::size_t(n));
            continue;
        }
        return n == 0;
    }
}

// The callbacks a socket owner sets; the relay's sockets must not call them, but they exist.
void quiet(TcpSocket &s)
{
    s.onData = [](std::string_view) {
    };
    s.onEof = [] {
    };
    s.onError = [](const QString &) {
    };
    s.onDrained = [] {
    };
    s.onClosed = [] {
    };
}

} // namespace

class SpliceRelayTest : public QObject
{
    Q_OBJECT

private slots:
    // The server sent everything and closed before the relay started, in many small segments
    // (each takes a pipe slot, so a round moves a few): across these counts the EOF is read in
    // every round of the budget, the last one included, and must reach the client each time.
    void serverEofReachesTheClientWhateverRoundReadsIt_data()
    {
        QTest::addColumn<int>("writes");
        for (int n = 1; n <= 300; n += 1)
            QTest::newRow(qPrintable(QString::number(n))) << n;
    }
    void serverEofReachesTheClientWhateverRoundReadsIt()
    {
        QFETCH(int, writes);
        Pair client, server;
        std::string sent;
        for (int i = 0; i < writes; ++i) {
            const std::string piece = std::to_string(i) + ";";
            const ssize_t n = ::write(server.app, piece.data(), piece.size());
            if (n < 0 && errno == EAGAIN)
                break; // the socket buffer is full: fewer segments, still a valid case
            QCOMPARE(n, ssize_t(piece.size()));
            sent += piece;
        }
        ::shutdown(server.app, SHUT_WR);

        TcpSocket clientSocket, serverSocket;
        quiet(clientSocket);
        quiet(serverSocket);
        QVERIFY(clientSocket.adopt(client.proxy));
        QVERIFY(serverSocket.adopt(server.proxy));
        SpliceRelay relay(clientSocket, serverSocket);
        relay.onClientEof = [] {
        };
        relay.onError = [](bool, const QString &message) {
            qWarning() << message;
        };
        bool serverEof = false;
        relay.onServerEof = [&] {
            serverEof = true;
        };
        QVERIFY(relay.start());

        std::string got;
        bool eof = false;
        QTRY_VERIFY_WITH_TIMEOUT((eof = eof || drain(client.app, got)), 10000);
        QCOMPARE(got, sent);
        QVERIFY(serverEof);
        QCOMPARE(relay.serverToClient(), std::uint64_t(sent.size()));
    }

    // The same for the client's EOF towards the server.
    void clientEofReachesTheServer()
    {
        Pair client, server;
        std::string sent;
        for (int i = 0; i < 300; ++i) {
            const std::string piece = "c" + std::to_string(i);
            const ssize_t n = ::write(client.app, piece.data(), piece.size());
            if (n < 0 && errno == EAGAIN)
                break;
            QCOMPARE(n, ssize_t(piece.size()));
            sent += piece;
        }
        ::shutdown(client.app, SHUT_WR);
        TcpSocket clientSocket, serverSocket;
        quiet(clientSocket);
        quiet(serverSocket);
        QVERIFY(clientSocket.adopt(client.proxy));
        QVERIFY(serverSocket.adopt(server.proxy));
        SpliceRelay relay(clientSocket, serverSocket);
        relay.onClientEof = [] {
        };
        relay.onError = [](bool, const QString &message) {
            qWarning() << message;
        };
        QVERIFY(relay.start());
        std::string got;
        bool eof = false;
        QTRY_VERIFY_WITH_TIMEOUT((eof = eof || drain(server.app, got)), 10000);
        QCOMPARE(got, sent);
    }
};

QTEST_GUILESS_MAIN(SpliceRelayTest)
#include "splice_relay_test.moc"
