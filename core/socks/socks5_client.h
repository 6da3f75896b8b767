#pragma once

#include "core/base/result.h"
#include "core/socks/socks5.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ts::socks {

// The client side of a SOCKS5 handshake (RFC 1928, RFC 1929), sans-IO: reaches one target
// through a SOCKS5 proxy hop with CONNECT. Proxy bytes in, bytes for the proxy out, until the
// tunnel is established or the hop has failed. README.md beside this file has the event ->
// action table.
class Socks5Client
{
public:
    struct Target
    {
        std::string host; // a domain name or an IP literal (IPv6 with or without brackets)
        std::uint16_t port = 0;
        // socks5h: a domain name goes to the proxy, which resolves it. Without (socks5), `host`
        // must be an IP literal the caller has resolved. IP literals go as IPv4/IPv6 either way.
        bool sendDomain = true;
    };

    // The address the proxy reports in its successful reply (the proxy's side of the tunnel).
    struct Bound
    {
        AddressType atyp = AddressType::IPv4;
        std::string host; // IPv4 dotted, IPv6 as RFC 5952, or the domain bytes as sent
        std::uint16_t port = 0;

        bool operator==(const Bound &) const = default;
    };

    enum class Status {
        NeedMore,    // waiting for the proxy; send `toServer` first
        Established, // the tunnel is up: bytes after `consumed` are the target's
        Failed,      // error() names the cause; close
    };

    struct Output
    {
        Status status = Status::NeedMore;
        std::string toServer;     // bytes to write to the proxy now (authentication, request)
        std::size_t consumed = 0; // input bytes used; after Established the rest is the tunnel's
    };

    // Fails ("socks.invalid-target") when the target cannot be put in a request: a domain name
    // without sendDomain, or one that is empty or longer than 255 bytes; or when a username or
    // password is longer than 255 bytes.
    static Result<Socks5Client> create(Target target,
                                       std::optional<Credentials> credentials = std::nullopt);

    // What to send as soon as the connection to the proxy is up: offers no authentication, and
    // username/password when there are credentials.
    std::string greeting() const;

    // Consumes proxy bytes; all of them while the handshake goes on, up to the end of the reply
    // when it succeeds, and up to the byte that decided a failure. Consumes nothing once
    // Established or Failed. The concatenated outputs do not depend on how the input is split.
    Output feed(std::string_view input);
    // The proxy closed its side. Before Established this fails the hop; otherwise nothing.
    Output feedEof();

    Status status() const;
    const Error &error() const; // when Failed
    // The REP field of the proxy's reply, once one arrived (Succeeded when Established).
    std::optional<ReplyCode> replyCode() const { return m_reply; }
    // The method the proxy chose (NoAcceptableMethods until it has answered).
    AuthMethod method() const { return m_method; }
    const Bound &bound() const { return m_bound; } // when Established
    const Target &target() const { return m_target; }

private:
    enum class Phase { Method, Auth, Reply, Established, Failed };

    Socks5Client() = default;
    std::size_t advance(Output &out);
    std::size_t advanceMethod(Output &out);
    std::size_t advanceAuth(Output &out);
    std::size_t advanceReply(Output &out);
    std::size_t fail(std::string code, std::string message);

    Target m_target;
    std::optional<Credentials> m_credentials;
    std::string m_request; // the CONNECT request, encoded once
    Phase m_phase = Phase::Method;
    std::string m_message; // the current message from the proxy so far
    AuthMethod m_method = AuthMethod::NoAcceptableMethods;
    std::optional<ReplyCode> m_reply;
    Bound m_bound;
    Error m_error;
};

} // namespace ts::socks
