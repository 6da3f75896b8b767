#include "core/engine/splice_relay.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace ts::engine {

namespace {
constexpr std::size_t kChunk = 1 << 20; // splice asks for up to this; the pipe takes what fits
constexpr int kRoundsPerWakeup = 16;    // fairness between the connections of one thread
} // namespace

SpliceRelay::SpliceRelay(TcpSocket &client, TcpSocket &server)
{
    m_up.source = &client;
    m_up.sink = &server;
    m_down.source = &server;
    m_down.sink = &client;
}

SpliceRelay::~SpliceRelay()
{
    if (m_started) {
        for (Direction *d : {&m_up, &m_down}) {
            d->source->setExternalIo(nullptr, nullptr);
            if (d->sourceEof)
                d->source->markReadEof();
        }
    }
    for (Direction *d : {&m_up, &m_down})
        for (int fd : d->pipe)
            if (fd >= 0)
                ::close(fd);
}

int SpliceRelay::pipeCeiling()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 1 << 20;
    return int(std::min<rlim_t>(limit.rlim_cur, 1 << 22) / 8);
}

bool SpliceRelay::start()
{
    for (Direction *d : {&m_up, &m_down})
        if (::pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
            return closePipes();
    // Pipes cost four descriptors a tunnel on top of its two sockets: at a limit of 1024 that
    // ends at 170 tunnels. The kernel hands out the lowest free descriptor, so a pipe end this
    // high means an eighth of the limit is in use: from there on tunnels copy through user
    // space (two descriptors each), and the proxy degrades instead of running out: about 440
    // tunnels at 1024.
    if (std::max(m_up.pipe[1], m_down.pipe[1]) >= pipeCeiling())
        return closePipes();
    m_started = true;
    TcpSocket &client = *m_up.source;
    TcpSocket &server = *m_up.sink;
    client.setExternalIo([this] { pump(m_up); }, [this] { pump(m_down); });
    server.setExternalIo([this] { pump(m_down); }, [this] { pump(m_up); });
    client.setReading(true);
    server.setReading(true);
    pump(m_up); // bytes may be waiting already
    pump(m_down);
    return true;
}

bool SpliceRelay::closePipes()
{
    for (Direction *d : {&m_up, &m_down})
        for (int &fd : d->pipe) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
        }
    return false;
}

void SpliceRelay::pump(Direction &d)
{
    const bool clientSide = &d == &m_up; // the source of trouble when reading fails
    for (int round = 0; round < kRoundsPerWakeup; ++round) {
        // Empty the pipe into the sink first; only an empty pipe takes more.
        while (d.inPipe > 0) {
            const ssize_t n = ::splice(d.pipe[0], nullptr, d.sink->fd(), nullptr, d.inPipe,
                                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d.inPipe -= std::size_t(n);
                d.moved += std::uint64_t(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                d.sink->setWantWrite(true); // back-pressure: wait for the sink, stop reading
                d.source->setReading(false);
                return;
            }
            if (onError)
                onError(!clientSide, QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
        d.sink->setWantWrite(false);
        if (d.sourceEof) {
            if (!d.finished) {
                d.finished = true;
                d.sink->shutdownWrite();
                const auto &done = clientSide ? onClientEof : onServerEof;
                if (done)
                    done();
            }
            return;
        }
        d.source->setReading(true);
        const ssize_t n = ::splice(d.source->fd(), nullptr, d.pipe[1], nullptr, kChunk,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            d.inPipe += std::size_t(n);
            continue;
        }
        if (n == 0) {
            d.sourceEof = true;
            d.source->setReading(false);
            continue; // pass the EOF on once drained
        }
        if (errno == EAGAIN || errno == EINTR)
            return;
        if (onError)
            onError(clientSide, QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    // The round budget ran out (fairness to the thread's other connections). Come back when
    // the sink takes more, which is at once as a rule: the source may never wake us again (its
    // EOF may be what the last round read, with reading stopped), and the pipe may hold bytes.
    d.sink->setWantWrite(true);
}

} // namespace ts::engine
