#include "core/socks/socks5_server.h"
#include "core/socks/wire.h"

#include <algorithm>
#include <utility>

// Each phase reads one message into m_message. advanceX() looks at what has arrived, applies
// every rule it can decide on those bytes, and either acts (and returns 0) or returns the
// length the message must reach before it can decide anything more. feed() copies input only
// up to that length, so every decision is taken on the same bytes however the input was split.

namespace ts::socks {

using wire::byteAt;

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hexByte(std::uint8_t b)
{
    return std::string("0x") + kHex[b >> 4] + kHex[b & 0xf];
}

// Compares without stopping at the first difference, so timing says nothing about how much of
// a guess was right.
bool sameSecret(std::string_view a, std::string_view b)
{
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
        const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
        diff |= x ^ y;
    }
    return diff == 0;
}

std::string versionMessage(std::uint8_t version)
{
    if (version == 4)
        return "SOCKS version 4 is not supported";
    return "not a SOCKS5 greeting: the first byte is " + hexByte(version) + ", not 0x05";
}

// "no authentication, GSSAPI, 0x80": the distinct methods offered, in order, at most eight.
std::string offeredText(std::string_view methods)
{
    std::string out;
    std::string seen;
    for (const char m : methods) {
        if (seen.find(m) != std::string::npos)
            continue;
        if (seen.size() == 8) {
            out += ", ...";
            break;
        }
        seen += m;
        if (!out.empty())
            out += ", ";
        const auto method = static_cast<AuthMethod>(static_cast<std::uint8_t>(m));
        if (method == AuthMethod::NoAuthentication || method == AuthMethod::Gssapi
            || method == AuthMethod::UsernamePassword)
            out += authMethodText(method);
        else
            out += hexByte(static_cast<std::uint8_t>(m));
    }
    return out.empty() ? "none" : out;
}

bool acceptable(Command command, const AcceptedCommands &accepted)
{
    switch (command) {
    case Command::Connect:
        return accepted.connect;
    case Command::Bind:
        return accepted.bind;
    case Command::UdpAssociate:
        return accepted.udpAssociate;
    }
    return false;
}

bool knownCommand(std::uint8_t cmd)
{
    return cmd >= static_cast<std::uint8_t>(Command::Connect)
           && cmd <= static_cast<std::uint8_t>(Command::UdpAssociate);
}

// A domain name goes to a resolver and into flow records: no CTL, no space, no DEL.
bool validDomain(std::string_view name)
{
    return std::all_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
    });
}

} // namespace

Socks5Server::Socks5Server(std::optional<Credentials> required, AcceptedCommands accepted)
    : m_required(std::move(required)), m_accepted(accepted)
{}

Socks5Server::Output Socks5Server::feed(std::string_view input)
{
    Output out;
    while (m_phase == Phase::Greeting || m_phase == Phase::Auth || m_phase == Phase::Request) {
        const std::size_t need = advance(out);
        if (need == 0)
            continue; // acted: next message, or finished
        const std::size_t take = std::min(need - m_message.size(), input.size() - out.consumed);
        if (take == 0)
            break;
        m_message.append(input.substr(out.consumed, take));
        out.consumed += take;
    }
    out.status = status();
    return out;
}

Socks5Server::Output Socks5Server::feedEof()
{
    Output out;
    const char *during = nullptr;
    switch (m_phase) {
    case Phase::Greeting:
        during = "before its SOCKS5 greeting was complete";
        break;
    case Phase::Auth:
        during = "during SOCKS5 username/password authentication";
        break;
    case Phase::Request:
        during = "before its SOCKS5 request was complete";
        break;
    case Phase::Done:
    case Phase::Failed:
        break;
    }
    if (during)
        fail(out, "socks.closed", std::string("the client closed the connection ") + during);
    out.status = status();
    return out;
}

Socks5Server::Status Socks5Server::status() const
{
    switch (m_phase) {
    case Phase::Done:
        return Status::Request;
    case Phase::Failed:
        return Status::Failed;
    case Phase::Greeting:
    case Phase::Auth:
    case Phase::Request:
        break;
    }
    return Status::NeedMore;
}

const Socks5Server::Request &Socks5Server::request() const
{
    return m_request;
}

const Error &Socks5Server::error() const
{
    return m_error;
}

std::string Socks5Server::reply(ReplyCode code, std::string_view boundHost, std::uint16_t boundPort)
{
    std::string out;
    out += static_cast<char>(kSocksVersion);
    out += static_cast<char>(code);
    out += '\0';
    Result<std::string> address = encodeAddress(boundHost, boundPort, true);
    if (!address)
        address = encodeAddress("0.0.0.0", boundPort, false);
    out += *address;
    return out;
}

std::size_t Socks5Server::advance(Output &out)
{
    switch (m_phase) {
    case Phase::Greeting:
        return advanceGreeting(out);
    case Phase::Auth:
        return advanceAuth(out);
    case Phase::Request:
        return advanceRequest(out);
    case Phase::Done:
    case Phase::Failed:
        break;
    }
    return 0;
}

std::size_t Socks5Server::fail(Output &out, std::string code, std::string message,
                               std::string toClient)
{
    out.toClient += toClient;
    m_error = Error{std::move(code), std::move(message)};
    m_phase = Phase::Failed;
    m_message.clear();
    return 0;
}

// VER NMETHODS METHODS
std::size_t Socks5Server::advanceGreeting(Output &out)
{
    const std::string_view m = m_message;
    if (m.size() < 1)
        return 1;
    if (byteAt(m, 0) != kSocksVersion)
        return fail(out, "socks.version", versionMessage(byteAt(m, 0)));
    if (m.size() < 2)
        return 2;
    const std::size_t total = 2 + byteAt(m, 1);
    if (m.size() < total)
        return total;

    const std::string_view methods = m.substr(2);
    const auto offers = [&](AuthMethod method) {
        return methods.find(static_cast<char>(method)) != std::string_view::npos;
    };
    AuthMethod chosen = AuthMethod::NoAcceptableMethods;
    if (offers(AuthMethod::UsernamePassword))
        chosen = AuthMethod::UsernamePassword;
    if (!m_required && offers(AuthMethod::NoAuthentication))
        chosen = AuthMethod::NoAuthentication;

    out.toClient += static_cast<char>(kSocksVersion);
    out.toClient += static_cast<char>(chosen);
    if (chosen == AuthMethod::NoAcceptableMethods) {
        return fail(out, "socks.no-acceptable-method",
                    m_required ? "the client did not offer username/password authentication, "
                                 "which this proxy requires (offered: "
                                     + offeredText(methods) + ")"
                               : "the client offered no authentication method this proxy "
                                 "supports (offered: "
                                     + offeredText(methods) + ")");
    }
    m_method = chosen;
    m_message.clear();
    m_phase = chosen == AuthMethod::UsernamePassword ? Phase::Auth : Phase::Request;
    return 0;
}

// VER ULEN UNAME PLEN PASSWD (RFC 1929)
std::size_t Socks5Server::advanceAuth(Output &out)
{
    const std::string_view m = m_message;
    if (m.size() < 1)
        return 1;
    if (byteAt(m, 0) != kAuthVersion) {
        return fail(out, "socks.auth-version",
                    "SOCKS5 username/password authentication version " + hexByte(byteAt(m, 0))
                        + " is not supported (expected 0x01)");
    }
    if (m.size() < 2)
        return 2;
    const std::size_t usernameLength = byteAt(m, 1);
    if (m.size() < 3 + usernameLength)
        return 3 + usernameLength;
    const std::size_t total = 3 + usernameLength + byteAt(m, 2 + usernameLength);
    if (m.size() < total)
        return total;

    m_username = std::string(m.substr(2, usernameLength));
    const std::string_view password = m.substr(3 + usernameLength);
    if (m_required) {
        // Both compared in full, whatever the first says.
        const bool userOk = sameSecret(m_username, m_required->username);
        const bool passwordOk = sameSecret(password, m_required->password);
        if (!(userOk && passwordOk)) {
            return fail(out, "socks.auth-failed",
                        "wrong username or password for user '" + wire::printable(m_username) + "'",
                        std::string("\x01\x01", 2));
        }
    }
    out.toClient += std::string("\x01\x00", 2);
    m_message.clear();
    m_phase = Phase::Request;
    return 0;
}

// VER CMD RSV ATYP DST.ADDR DST.PORT
std::size_t Socks5Server::advanceRequest(Output &out)
{
    const std::string_view m = m_message;
    if (m.size() < 1)
        return 1;
    if (byteAt(m, 0) != kSocksVersion) {
        return fail(out, "socks.version",
                    "SOCKS5 request with version " + hexByte(byteAt(m, 0)) + ", not 0x05");
    }
    if (m.size() < 2)
        return 2;
    const std::uint8_t cmd = byteAt(m, 1);
    if (!knownCommand(cmd) || !acceptable(static_cast<Command>(cmd), m_accepted)) {
        const std::string name = knownCommand(cmd)
                                     ? std::string(commandText(static_cast<Command>(cmd)))
                                     : "command " + hexByte(cmd);
        return fail(out, "socks.command-not-supported", "SOCKS5 " + name + " is not supported",
                    reply(ReplyCode::CommandNotSupported));
    }
    if (m.size() < 3)
        return 3;
    if (byteAt(m, 2) != 0) {
        return fail(out, "socks.bad-request",
                    "SOCKS5 request with a non-zero reserved byte (" + hexByte(byteAt(m, 2)) + ")",
                    reply(ReplyCode::GeneralFailure));
    }
    if (m.size() < 4)
        return 4;
    const std::uint8_t atyp = byteAt(m, wire::kAtypOffset);
    if (!wire::knownAddressType(atyp)) {
        return fail(out, "socks.address-type-not-supported",
                    "SOCKS5 address type " + hexByte(atyp) + " is not supported",
                    reply(ReplyCode::AddressTypeNotSupported));
    }
    const auto type = static_cast<AddressType>(atyp);
    std::uint8_t domainLength = 0;
    if (type == AddressType::Domain) {
        if (m.size() < 5)
            return 5;
        domainLength = byteAt(m, 4);
        if (domainLength == 0) {
            return fail(out, "socks.bad-request", "SOCKS5 request with an empty domain name",
                        reply(ReplyCode::GeneralFailure));
        }
    }
    const std::size_t total = wire::messageLength(type, domainLength);
    if (m.size() < total)
        return total;

    std::string host = wire::hostOf(m, type);
    if (type == AddressType::Domain && !validDomain(host)) {
        return fail(out, "socks.bad-request",
                    "SOCKS5 request with a space or control character in the domain name '"
                        + wire::printable(host) + "'",
                    reply(ReplyCode::GeneralFailure));
    }
    m_request = Request{static_cast<Command>(cmd), type, std::move(host), wire::portOf(m)};
    m_message.clear();
    m_phase = Phase::Done;
    return 0;
}

} // namespace ts::socks
