#pragma once

// A proxy layer driven as a transcript, in the spirit of mitmproxy's Playbook
// (test/mitmproxy/proxy/tutils.py): events go in with a chosen `now`, the exact commands the
// layer answers with come out, and a test asserts them. No sockets, no threads, no clock.
// The transcript tests of tests/core/proxy/ share it; each adds what its protocol needs (an
// HTTP/2 client to pump, a SOCKS5 greeting).

#include "core/proxy/http_proxy_session.h"

#include <QTest>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ts::proxy::testing {

inline constexpr MonoTime kStart = 1'000'000;

// Connection 7 from 127.0.0.1:5000 to a plain listener on 127.0.0.1:8080.
inline SessionContext baseContext()
{
    SessionContext c;
    c.connectionId = 7;
    c.clientAddress = "127.0.0.1:5000";
    c.listenAddress = "127.0.0.1:8080";
    c.bodies = std::make_shared<flow::BodyBudget>();
    return c;
}

template<typename T>
std::vector<T> only(const std::vector<Command> &commands)
{
    std::vector<T> r;
    for (const Command &c : commands)
        if (const T *p = std::get_if<T>(&c))
            r.push_back(*p);
    return r;
}

class Playbook
{
public:
    explicit Playbook(SessionContext context = baseContext(), MonoTime start = kStart)
        : now(start), session(std::make_unique<HttpProxySession>(std::move(context), start))
    {
        session->start(now, last);
        out = last;
    }

    MonoTime now;
    std::unique_ptr<HttpProxySession> session;
    std::vector<Command> out;  // every command since the start (or clear())
    std::vector<Command> last; // the latest event's

    std::vector<Command> &feed(const Event &e)
    {
        last.clear();
        session->handle(e, now, last);
        out.insert(out.end(), last.begin(), last.end());
        return last;
    }
    std::vector<Command> &client(std::string_view bytes) { return feed(ClientData{bytes}); }
    std::vector<Command> &server(ServerId id, std::string_view bytes)
    {
        return feed(ServerData{id, bytes});
    }
    void clear()
    {
        out.clear();
        last.clear();
    }

    // Commands of a type: since the start (all), or of the latest event (latest, one).
    template<typename T>
    std::vector<T> all() const
    {
        return only<T>(out);
    }
    template<typename T>
    std::vector<T> latest() const
    {
        return only<T>(last);
    }
    template<typename T>
    T one() const
    {
        const auto r = latest<T>();
        if (r.size() != 1)
            qFatal("expected one command of the type, got %d", int(r.size()));
        return r.front();
    }

    // Bytes the latest event sent the client, or a server (0: any).
    std::string toClient() const
    {
        std::string s;
        for (const auto &c : latest<SendToClient>())
            s += c.data;
        return s;
    }
    std::string toServer(ServerId id = 0) const
    {
        std::string s;
        for (const auto &c : latest<SendToServer>())
            if (id == 0 || c.id == id)
                s += c.data;
        return s;
    }
    bool clientClosed() const { return !all<CloseClient>().empty(); }
    std::vector<flow::Flow> flows() const
    {
        std::vector<flow::Flow> r;
        for (const auto &p : all<PublishFlow>())
            r.push_back(*p.flow);
        return r;
    }
    flow::Flow lastFlow() const { return flows().back(); }
};

} // namespace ts::proxy::testing
