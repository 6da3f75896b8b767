#pragma once

#include "core/base/result.h"
#include "core/socks/socks5.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ts::socks {

// Which RFC 1928 commands a Socks5Server's caller carries out. The codec answers the others
// with "command not supported". (At namespace scope: GCC cannot use a nested class's member
// initializers in a default argument of the enclosing class.)
struct AcceptedCommands
{
    bool connect = true;
    bool bind = false;
    bool udpAssociate = false;
};

// The server side of a SOCKS5 handshake (RFC 1928, RFC 1929), sans-IO: client bytes in, bytes
// for the client and finally the client's request out. It answers the method selection and the
// authentication itself; the final reply (reply()) is the caller's, once it knows whether the
// outbound connection worked. README.md beside this file has the event -> action table.
class Socks5Server
{
public:
    struct Request
    {
        Command cmd = Command::Connect;
        AddressType atyp = AddressType::IPv4;
        std::string host; // IPv4 dotted, IPv6 as RFC 5952 without brackets, or the domain name
        std::uint16_t port = 0;

        bool operator==(const Request &) const = default;
    };

    enum class Status {
        NeedMore, // give it more bytes
        Request,  // request() is complete; send reply() once the outcome is known
        Failed,   // error() says why; send `toClient`, then close
    };

    struct Output
    {
        Status status = Status::NeedMore;
        std::string toClient;     // bytes to write to the client now, in order
        std::size_t consumed = 0; // input bytes used; after a Request the rest is the tunnel's
    };

    // With `required` credentials the client must authenticate with exactly these; without,
    // no authentication is asked for (a client that offers only username/password gets it and
    // any credentials pass).
    explicit Socks5Server(std::optional<Credentials> required = std::nullopt,
                          AcceptedCommands accepted = {});

    // Consumes client bytes. All input is consumed while the handshake goes on (partial
    // messages are kept inside, never more than 513 bytes); it stops right after the request,
    // and on a failure right after the byte that decided it. Once the status is Request or
    // Failed it consumes nothing and returns nothing. The concatenated outputs do not depend on
    // how the input is split across calls.
    Output feed(std::string_view input);
    // The client closed its side. Before the request is complete this fails the handshake
    // (nothing to send); otherwise nothing changes.
    Output feedEof();

    Status status() const;
    const Request &request() const; // when status() is Request
    const Error &error() const;     // when status() is Failed
    // The method chosen (NoAcceptableMethods until the greeting is complete) and, after a
    // username/password authentication, the username the client gave.
    AuthMethod method() const { return m_method; }
    const std::string &username() const { return m_username; }

    // The final reply: VER REP RSV then the bound address. An IPv4 or IPv6 literal (brackets
    // allowed) is sent as such, other text as a domain name; a host that is none of these
    // (empty, longer than 255 bytes) is sent as 0.0.0.0.
    static std::string reply(ReplyCode code, std::string_view boundHost = "0.0.0.0",
                             std::uint16_t boundPort = 0);

private:
    enum class Phase { Greeting, Auth, Request, Done, Failed };

    std::size_t advance(Output &out);
    std::size_t advanceGreeting(Output &out);
    std::size_t advanceAuth(Output &out);
    std::size_t advanceRequest(Output &out);
    std::size_t fail(Output &out, std::string code, std::string message, std::string toClient = {});

    std::optional<Credentials> m_required;
    AcceptedCommands m_accepted;
    Phase m_phase = Phase::Greeting;
    std::string m_message; // the current message so far
    AuthMethod m_method = AuthMethod::NoAcceptableMethods;
    std::string m_username;
    Request m_request;
    Error m_error;
};

} // namespace ts::socks
