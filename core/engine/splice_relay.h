#pragma once

#include "core/engine/tcp_socket.h"

#include <QString>

#include <cstdint>
#include <functional>

namespace ts::engine {

// Moves bytes between two connected sockets with splice() through a pipe per direction, so
// a raw tunnel's bytes never pass through user space. Half-close is passed on once the pipe
// towards that side is empty. Bounded: at most one pipe's capacity in flight per direction.
class SpliceRelay
{
public:
    SpliceRelay(TcpSocket &client, TcpSocket &server);
    ~SpliceRelay();
    SpliceRelay(const SpliceRelay &) = delete;
    SpliceRelay &operator=(const SpliceRelay &) = delete;

    // False when pipes cannot be made, or only above pipeCeiling(); nothing has changed then
    // (the caller copies instead).
    bool start();
    // Pipe descriptors at or above this number are not used: an eighth of the soft limit.
    static int pipeCeiling();

    std::uint64_t clientToServer() const { return m_up.moved; }
    std::uint64_t serverToClient() const { return m_down.moved; }

    std::function<void()> onClientEof; // the client's EOF was passed on to the server
    std::function<void()> onServerEof;
    std::function<void(bool clientSide, const QString &message)> onError;

private:
    struct Direction
    {
        TcpSocket *source = nullptr;
        TcpSocket *sink = nullptr;
        int pipe[2] = {-1, -1};
        std::size_t inPipe = 0;
        std::uint64_t moved = 0;
        bool sourceEof = false;
        bool finished = false; // EOF passed on
    };
    void pump(Direction &d);
    bool closePipes(); // always false

    Direction m_up;   // client -> server
    Direction m_down; // server -> client
    bool m_started = false;
};

} // namespace ts::engine
