// Fuzz target for HTTP/2 from a client (STYLE.md 8): the input's bytes are what an h2 client
// sends after the connection preface, fed to a whole client session (HttpProxySession ->
// H2ProxyFront -> H2Connection, and a child session per stream). Every server the streams
// ask for connects and answers a small HTTP/1.1 response, so requests run to their end.
//
// The bytes go in three pieces, split at points derived from the input. Checked: nothing
// crashes or reads out of bounds (the libFuzzer build runs under ASan and UBSan); every
// command names a server the session asked for; every published flow has an id; the output
// to the client stays bounded by what came in; and after the client is gone, the session is
// closed and asks for no more wake-ups.

#include "core/proxy/http_proxy_session.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts;
using namespace ts::proxy;

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "h2_front_fuzz: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok)
        violation(what);
}

SessionContext context()
{
    SessionContext c;
    c.connectionId = 1;
    c.clientAddress = "127.0.0.1:5000";
    c.listenAddress = "127.0.0.1:8080";
    c.bodies = std::make_shared<flow::BodyBudget>();
    // Small bounds, so that the fuzzer reaches them.
    c.http2.maxConcurrentStreams = 8;
    c.http2.maxHeaderListBytes = 4096;
    return c;
}

struct Run
{
    HttpProxySession session{context(), 1'000'000};
    MonoTime now = 1'000'000;
    std::set<ServerId> opened;
    std::uint64_t toClient = 0;

    void handle(const Event &event)
    {
        std::vector<Command> out;
        session.handle(event, now, out);
        carryOut(out);
    }

    void carryOut(std::vector<Command> &out)
    {
        // Commands may open servers; answer them once this batch is looked at.
        std::vector<ServerId> connect;
        for (const Command &c : out) {
            if (const auto *open = std::get_if<OpenServer>(&c)) {
                check(opened.insert(open->id).second, "a server id was opened twice");
                connect.push_back(open->id);
            } else if (const auto *send = std::get_if<SendToServer>(&c)) {
                check(opened.count(send->id) != 0, "bytes for a server never opened");
            } else if (const auto *data = std::get_if<SendToClient>(&c)) {
                toClient += data->data.size();
            } else if (const auto *flow = std::get_if<PublishFlow>(&c)) {
                check(flow->flow && flow->flow->id != 0, "a flow without an id");
            }
        }
        for (const ServerId id : connect) {
            handle(ServerConnected{id, "127.0.0.1:9", false, now, now});
            handle(ServerData{id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view frames(reinterpret_cast<const char *>(data), size);
    // The preface and an empty SETTINGS frame, then the input's frames.
    std::string input("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0", 33);
    input.append(frames);

    Run run;
    {
        std::vector<Command> out;
        run.session.start(run.now, out);
        run.carryOut(out);
    }
    const std::size_t a = size ? data[0] % (input.size() + 1) : 0;
    const std::size_t b = size > 1 ? a + data[size - 1] % (input.size() - a + 1) : input.size();
    for (const auto &[from, to] :
         {std::pair(std::size_t(0), a), std::pair(a, b), std::pair(b, input.size())}) {
        if (to > from && !run.session.closed())
            run.handle(ClientData{std::string_view(input).substr(from, to - from)});
        run.now += kSecond;
    }
    if (!run.session.closed())
        run.handle(Tick{});
    // SETTINGS, WINDOW_UPDATEs, answers and GOAWAY: bounded by what came in, whatever it was.
    check(run.toClient <= 65536 + 64 * input.size(), "output out of proportion to the input");
    if (!run.session.closed())
        run.handle(ClientGone{"fuzz input ended"});
    check(run.session.closed(), "still open after the client is gone");
    return 0;
}
