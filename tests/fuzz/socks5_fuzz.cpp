// Fuzz target for Socks5Server and Socks5Client (STYLE.md 8).
//
// Input: a mode byte, then the bytes the codec under test receives.
//   "S<bytes>"        server without credentials (CONNECT only) gets the client's bytes
//   "s<bytes>"        server requiring alice / SECRETpw (CONNECT and UDP ASSOCIATE)
//   "C<flags><bytes>" client gets the proxy's bytes. flags bit 0: socks5h (send the domain);
//                     bit 1: credentials alice / SECRETpw; bits 2-3: target example.com:443,
//                     192.0.2.1:80, [2001:db8::1]:8443, a 255-byte domain
//   anything else     both: the server and a socks5h client without credentials get it all
//
// The bytes are fed whole, split in two at a point derived from the input, in three pieces,
// and (when short) one byte at a time; the transcripts (bytes sent, consumed counts, outcome)
// must be identical. Contract invariants are checked on the way: consumed never exceeds the
// input, NeedMore consumes everything, nothing happens after the end, a password never
// appears in a message, results are well formed. A request the server accepted must come out
// the same after the client encodes it again, and a bound IP address the client read must be
// what Socks5Server::reply() encodes. Any difference aborts.

#include "core/socks/socks5_client.h"
#include "core/socks/socks5_server.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ts;
using namespace ts::socks;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "socks5_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what, const std::string &detail = {})
{
    if (!ok)
        violation(what, detail);
}

const Credentials kCredentials{"alice", "SECRETpw"};

std::string hex(std::string_view bytes)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0xf];
    }
    return out;
}

std::uint64_t hash(std::string_view data)
{
    std::uint64_t h = 1469598103934665603u;
    for (const char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    return h;
}

void checkError(const Error &e, std::string_view input)
{
    check(e.code.rfind("socks.", 0) == 0, "error code without its prefix", e.code);
    check(!e.message.empty(), "error without a message", e.code);
    // Messages quote names the peer sent (usernames, domains), so the configured password may
    // appear only when the peer sent those bytes itself. (The transcript tests check that a
    // password the peer sent in its password field never shows.)
    if (e.message.find(kCredentials.password) != std::string::npos)
        check(input.find(kCredentials.password) != std::string_view::npos,
              "a password in an error message", e.message);
}

void checkHost(AddressType type, const std::string &host, bool fromServer)
{
    switch (type) {
    case AddressType::IPv4: {
        const auto bytes = parseIpv4(host);
        check(bytes && formatIpv4(*bytes) == host, "IPv4 host not canonical", host);
        break;
    }
    case AddressType::IPv6: {
        const auto bytes = parseIpv6(host);
        check(bytes && formatIpv6(*bytes) == host, "IPv6 host not canonical", host);
        break;
    }
    case AddressType::Domain:
        check(host.size() <= kMaxFieldLength, "domain too long");
        if (fromServer) {
            check(!host.empty(), "empty domain accepted");
            for (const char c : host)
                check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f, "CTL in domain", host);
        }
        break;
    }
}

// --- server

struct ServerConfig
{
    std::optional<Credentials> credentials;
    AcceptedCommands accepted;
};

std::string runServer(const ServerConfig &config, const std::vector<std::string_view> &pieces,
                      std::string_view all, Socks5Server &server)
{
    std::string sent;
    std::size_t consumed = 0;
    bool done = false;
    for (const std::string_view piece : pieces) {
        if (done)
            break;
        const Socks5Server::Output out = server.feed(piece);
        check(out.consumed <= piece.size(), "server consumed more than given");
        check(out.status == server.status(), "server output status differs from status()");
        sent += out.toClient;
        consumed += out.consumed;
        if (out.status == Socks5Server::Status::NeedMore)
            check(out.consumed == piece.size(), "server NeedMore left input unconsumed");
        else
            done = true;
    }
    // Greeting (257), authentication (513) and request (262) are the most it may read.
    check(consumed <= 257 + 513 + 262, "server consumed more than three messages can hold");
    if (!done) {
        const Socks5Server::Output eof = server.feedEof();
        check(eof.status == Socks5Server::Status::Failed && eof.toClient.empty()
                  && eof.consumed == 0,
              "server EOF before the request did not fail quietly");
    }
    const Socks5Server::Output more = server.feed("\x05\x01\x00");
    check(more.consumed == 0 && more.toClient.empty(), "server did something after the end");

    std::string out = "sent=" + hex(sent) + " consumed=" + std::to_string(consumed)
                      + " method=" + std::to_string(static_cast<int>(server.method()))
                      + " user=" + hex(server.username());
    if (server.status() == Socks5Server::Status::Request) {
        const Socks5Server::Request &r = server.request();
        checkHost(r.atyp, r.host, true);
        check(r.cmd == Command::Connect ? config.accepted.connect
              : r.cmd == Command::Bind  ? config.accepted.bind
                                        : config.accepted.udpAssociate,
              "a command that is not accepted");
        check(sent == std::string("\x05\x00", 2) || sent == std::string("\x05\x02\x01\x00", 4),
              "request without the right answers before it", hex(sent));
        check(!config.credentials || server.username() == config.credentials->username,
              "authenticated with another username");
        out += " request=" + std::to_string(static_cast<int>(r.cmd)) + ','
               + std::to_string(static_cast<int>(r.atyp)) + ',' + hex(r.host) + ','
               + std::to_string(r.port);
    } else {
        check(server.status() == Socks5Server::Status::Failed, "server neither done nor failed");
        checkError(server.error(), all);
        out += " error=" + server.error().code + ':' + server.error().message;
    }
    return out;
}

// The request the server read, encoded again by a client and read by a fresh server, must be
// the same request (a domain that is an IP literal comes back as that address type).
void checkRequestRoundTrip(const Socks5Server::Request &r)
{
    if (r.cmd != Command::Connect)
        return; // the client only speaks CONNECT
    Result<Socks5Client> client = Socks5Client::create({r.host, r.port, true});
    check(client.ok(), "a request's target is not a valid client target", r.host);
    const Socks5Client::Output request = client->feed(std::string("\x05\x00", 2));
    Socks5Server again;
    const Socks5Server::Output out = again.feed(std::string("\x05\x01\x00", 3) + request.toServer);
    check(out.status == Socks5Server::Status::Request, "re-encoded request not accepted",
          hex(request.toServer));
    Socks5Server::Request expected = r;
    if (r.atyp == AddressType::Domain) {
        std::string_view bare = r.host;
        if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']')
            bare = bare.substr(1, bare.size() - 2);
        if (const auto v4 = parseIpv4(r.host)) {
            expected.atyp = AddressType::IPv4;
            expected.host = formatIpv4(*v4);
        } else if (const auto v6 = parseIpv6(bare)) {
            expected.atyp = AddressType::IPv6;
            expected.host = formatIpv6(*v6);
        }
    }
    check(again.request() == expected, "request changed in a round trip", hex(request.toServer));
}

// --- client

struct ClientConfig
{
    Socks5Client::Target target;
    std::optional<Credentials> credentials;
};

ClientConfig clientConfig(std::uint8_t flags)
{
    ClientConfig c;
    c.target.sendDomain = (flags & 1) != 0;
    if (flags & 2)
        c.credentials = kCredentials;
    switch ((flags >> 2) & 3) {
    case 0:
        c.target.host = "example.com";
        c.target.port = 443;
        c.target.sendDomain = true;
        break;
    case 1:
        c.target.host = "192.0.2.1";
        c.target.port = 80;
        break;
    case 2:
        c.target.host = "[2001:db8::1]";
        c.target.port = 8443;
        break;
    default:
        c.target.host = std::string(255, 'd');
        c.target.port = 1;
        c.target.sendDomain = true;
        break;
    }
    return c;
}

std::string runClient(const ClientConfig &config, const std::vector<std::string_view> &pieces,
                      const std::string_view all)
{
    Result<Socks5Client> created = Socks5Client::create(config.target, config.credentials);
    check(created.ok(), "client config rejected");
    Socks5Client &client = *created;
    std::string sent;
    std::size_t consumed = 0;
    bool done = false;
    for (const std::string_view piece : pieces) {
        if (done)
            break;
        const Socks5Client::Output out = client.feed(piece);
        check(out.consumed <= piece.size(), "client consumed more than given");
        check(out.status == client.status(), "client output status differs from status()");
        sent += out.toServer;
        consumed += out.consumed;
        if (out.status == Socks5Client::Status::NeedMore)
            check(out.consumed == piece.size(), "client NeedMore left input unconsumed");
        else
            done = true;
    }
    check(consumed <= 2 + 2 + 262, "client consumed more than three messages can hold");
    if (!done) {
        const Socks5Client::Output eof = client.feedEof();
        check(eof.status == Socks5Client::Status::Failed && eof.toServer.empty()
                  && eof.consumed == 0,
              "client EOF before the reply did not fail quietly");
    }
    const Socks5Client::Output more = client.feed(std::string(10, '\x05'));
    check(more.consumed == 0 && more.toServer.empty(), "client did something after the end");

    std::string out = "sent=" + hex(sent) + " consumed=" + std::to_string(consumed)
                      + " method=" + std::to_string(static_cast<int>(client.method()));
    if (client.replyCode())
        out += " reply=" + std::to_string(static_cast<int>(*client.replyCode()));
    if (client.status() == Socks5Client::Status::Established) {
        const Socks5Client::Bound &b = client.bound();
        check(client.replyCode() == ReplyCode::Succeeded, "established without success");
        checkHost(b.atyp, b.host, false);
        // Its own reply, re-encoded: the same bytes but for RSV, which the client ignores.
        if (b.atyp != AddressType::Domain) {
            const std::string again = Socks5Server::reply(ReplyCode::Succeeded, b.host, b.port);
            check(again.size() <= consumed, "reply longer than the input");
            std::string actual(all.substr(consumed - again.size(), again.size()));
            actual[2] = '\0';
            check(actual == again, "bound address changed in a round trip", hex(actual));
        }
        out += " bound=" + std::to_string(static_cast<int>(b.atyp)) + ',' + hex(b.host) + ','
               + std::to_string(b.port);
    } else {
        check(client.status() == Socks5Client::Status::Failed, "client neither done nor failed");
        checkError(client.error(), all);
        check((client.error().code == "socks.reply")
                  == (client.replyCode() && *client.replyCode() != ReplyCode::Succeeded),
              "reply code and error disagree");
        out += " error=" + client.error().code + ':' + client.error().message;
    }
    return out;
}

// Whole, split at a derived point, in three pieces, and byte by byte when short.
template<typename Run>
std::string compareSplits(std::string_view data, Run run)
{
    const std::string whole = run(std::vector<std::string_view>{data});
    const std::uint64_t h = hash(data);
    const std::size_t k = static_cast<std::size_t>(h % (data.size() + 1));
    const std::size_t j = k + static_cast<std::size_t>((h >> 32) % (data.size() - k + 1));
    const std::vector<std::vector<std::string_view>> splits = {
        {data.substr(0, k), data.substr(k)},
        {data.substr(0, k), data.substr(k, j - k), data.substr(j)},
    };
    for (const auto &pieces : splits) {
        const std::string t = run(pieces);
        if (t != whole)
            violation("split input gave a different transcript",
                      "split at " + std::to_string(k) + "/" + std::to_string(j) + "\n--- whole:\n"
                          + whole + "\n--- split:\n" + t);
    }
    if (data.size() <= 2048) {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < data.size(); ++i)
            bytes.push_back(data.substr(i, 1));
        const std::string t = run(bytes);
        if (t != whole)
            violation("byte-at-a-time input gave a different transcript",
                      "--- whole:\n" + whole + "\n--- bytes:\n" + t);
    }
    return whole;
}

void fuzzServer(const ServerConfig &config, std::string_view data)
{
    compareSplits(data, [&](const std::vector<std::string_view> &pieces) {
        Socks5Server server(config.credentials, config.accepted);
        return runServer(config, pieces, data, server);
    });
    Socks5Server server(config.credentials, config.accepted);
    runServer(config, {data}, data, server);
    if (server.status() == Socks5Server::Status::Request)
        checkRequestRoundTrip(server.request());
}

void fuzzClient(const ClientConfig &config, std::string_view data)
{
    compareSplits(data, [&](const std::vector<std::string_view> &pieces) {
        return runClient(config, pieces, data);
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const char mode = input.empty() ? '\0' : input[0];
    if (mode == 'S') {
        fuzzServer({}, input.substr(1));
    } else if (mode == 's') {
        fuzzServer({kCredentials, AcceptedCommands{true, false, true}}, input.substr(1));
    } else if (mode == 'C' && input.size() >= 2) {
        fuzzClient(clientConfig(static_cast<std::uint8_t>(input[1])), input.substr(2));
    } else {
        fuzzServer({}, input);
        fuzzClient(clientConfig(1), input);
    }
    return 0;
}
