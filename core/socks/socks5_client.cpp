#include "core/socks/socks5_client.h"
#include "core/socks/wire.h"

#include <algorithm>
#include <utility>

// Same shape as the server (socks5_server.cpp): advanceX() decides what it can on the bytes of
// the current message and returns 0 when it acted, or the length the message must reach first;
// feed() never copies past that length.

namespace ts::socks {

using wire::byteAt;

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hexByte(std::uint8_t b)
{
    return std::string("0x") + kHex[b >> 4] + kHex[b & 0xf];
}

// What a first byte that is not 0x05 suggests the peer really is.
std::string notSocks5(std::uint8_t first)
{
    std::string text
        = "SOCKS5 proxy answered the greeting with version " + hexByte(first) + ", not 0x05";
    if (first == 'H')
        text += " (it looks like an HTTP server)";
    else if (first == 0x15 || first == 0x16)
        text += " (it looks like a TLS server)";
    else if (first == 0x00 || first == 0x04)
        text += " (a SOCKS4 server?)";
    return text;
}

} // namespace

Result<Socks5Client> Socks5Client::create(Target target, std::optional<Credentials> credentials)
{
    if (credentials) {
        if (credentials->username.size() > kMaxFieldLength)
            return Error{"socks.invalid-target",
                         "a SOCKS5 username must be at most 255 bytes long"};
        if (credentials->password.size() > kMaxFieldLength)
            return Error{"socks.invalid-target",
                         "a SOCKS5 password must be at most 255 bytes long"};
    }
    Result<std::string> address = encodeAddress(target.host, target.port, target.sendDomain);
    if (!address) {
        std::string message = address.error().message;
        if (!target.sendDomain)
            message += ": without remote name resolution (socks5, not socks5h) the target must "
                       "be resolved first";
        return Error{"socks.invalid-target", std::move(message)};
    }
    Socks5Client client;
    client.m_target = std::move(target);
    client.m_credentials = std::move(credentials);
    client.m_request = std::string("\x05\x01\x00", 3) + *address;
    return client;
}

std::string Socks5Client::greeting() const
{
    if (m_credentials)
        return std::string("\x05\x02\x00\x02", 4);
    return std::string("\x05\x01\x00", 3);
}

Socks5Client::Output Socks5Client::feed(std::string_view input)
{
    Output out;
    while (m_phase == Phase::Method || m_phase == Phase::Auth || m_phase == Phase::Reply) {
        const std::size_t need = advance(out);
        if (need == 0)
            continue;
        const std::size_t take = std::min(need - m_message.size(), input.size() - out.consumed);
        if (take == 0)
            break;
        m_message.append(input.substr(out.consumed, take));
        out.consumed += take;
    }
    out.status = status();
    return out;
}

Socks5Client::Output Socks5Client::feedEof()
{
    const char *during = nullptr;
    switch (m_phase) {
    case Phase::Method:
        during = "before answering the greeting";
        break;
    case Phase::Auth:
        during = "before answering the username/password authentication";
        break;
    case Phase::Reply:
        during = "before replying to the CONNECT request";
        break;
    case Phase::Established:
    case Phase::Failed:
        break;
    }
    if (during)
        fail("socks.closed", std::string("SOCKS5 proxy closed the connection ") + during);
    Output out;
    out.status = status();
    return out;
}

Socks5Client::Status Socks5Client::status() const
{
    switch (m_phase) {
    case Phase::Established:
        return Status::Established;
    case Phase::Failed:
        return Status::Failed;
    case Phase::Method:
    case Phase::Auth:
    case Phase::Reply:
        break;
    }
    return Status::NeedMore;
}

const Error &Socks5Client::error() const
{
    return m_error;
}

std::size_t Socks5Client::advance(Output &out)
{
    switch (m_phase) {
    case Phase::Method:
        return advanceMethod(out);
    case Phase::Auth:
        return advanceAuth(out);
    case Phase::Reply:
        return advanceReply(out);
    case Phase::Established:
    case Phase::Failed:
        break;
    }
    return 0;
}

std::size_t Socks5Client::fail(std::string code, std::string message)
{
    m_error = Error{std::move(code), std::move(message)};
    m_phase = Phase::Failed;
    m_message.clear();
    return 0;
}

// VER METHOD
std::size_t Socks5Client::advanceMethod(Output &out)
{
    const std::string_view m = m_message;
    if (m.size() < 1)
        return 1;
    if (byteAt(m, 0) != kSocksVersion)
        return fail("socks.protocol", notSocks5(byteAt(m, 0)));
    if (m.size() < 2)
        return 2;
    const auto method = static_cast<AuthMethod>(byteAt(m, 1));
    m_method = method;
    m_message.clear();
    switch (method) {
    case AuthMethod::NoAuthentication:
        out.toServer += m_request;
        m_phase = Phase::Reply;
        return 0;
    case AuthMethod::UsernamePassword:
        if (!m_credentials) {
            return fail("socks.auth-required",
                        "SOCKS5 proxy asks for a username and password; none are configured");
        }
        out.toServer += static_cast<char>(kAuthVersion);
        out.toServer += static_cast<char>(m_credentials->username.size());
        out.toServer += m_credentials->username;
        out.toServer += static_cast<char>(m_credentials->password.size());
        out.toServer += m_credentials->password;
        m_phase = Phase::Auth;
        return 0;
    case AuthMethod::NoAcceptableMethods:
        if (!m_credentials) {
            return fail("socks.no-acceptable-method",
                        "SOCKS5 proxy accepts none of the offered authentication methods (no "
                        "authentication); it probably needs a username and password");
        }
        return fail("socks.no-acceptable-method",
                    "SOCKS5 proxy accepts none of the offered authentication methods (no "
                    "authentication, username/password)");
    case AuthMethod::Gssapi:
        break;
    }
    return fail("socks.protocol", "SOCKS5 proxy chose authentication method "
                                      + hexByte(static_cast<std::uint8_t>(method))
                                      + ", which was not offered");
}

// VER STATUS (RFC 1929). VER is not checked: some servers send 0x05 there, and the status
// byte alone says what happened.
std::size_t Socks5Client::advanceAuth(Output &out)
{
    if (m_message.size() < 2)
        return 2;
    if (byteAt(m_message, 1) != 0) {
        return fail("socks.auth-refused", "SOCKS5 proxy refused the username/password for user '"
                                              + wire::printable(m_credentials->username) + "'");
    }
    m_message.clear();
    out.toServer += m_request;
    m_phase = Phase::Reply;
    return 0;
}

// VER REP RSV ATYP BND.ADDR BND.PORT. RSV is not checked (it carries nothing).
std::size_t Socks5Client::advanceReply(Output &)
{
    const std::string_view m = m_message;
    if (m.size() < 1)
        return 1;
    if (byteAt(m, 0) != kSocksVersion) {
        return fail("socks.protocol",
                    "SOCKS5 proxy replied with version " + hexByte(byteAt(m, 0)) + ", not 0x05");
    }
    if (m.size() < 2)
        return 2;
    const auto code = static_cast<ReplyCode>(byteAt(m, 1));
    m_reply = code;
    if (code != ReplyCode::Succeeded) {
        return fail("socks.reply", "SOCKS5 proxy answered: " + std::string(replyText(code)) + " ("
                                       + std::to_string(byteAt(m, 1)) + ")");
    }
    if (m.size() < 4)
        return 4;
    const std::uint8_t atyp = byteAt(m, wire::kAtypOffset);
    if (!wire::knownAddressType(atyp)) {
        return fail("socks.protocol",
                    "SOCKS5 proxy replied with an unknown address type " + hexByte(atyp));
    }
    const auto type = static_cast<AddressType>(atyp);
    std::uint8_t domainLength = 0;
    if (type == AddressType::Domain) {
        if (m.size() < 5)
            return 5;
        domainLength = byteAt(m, 4);
    }
    const std::size_t total = wire::messageLength(type, domainLength);
    if (m.size() < total)
        return total;
    m_bound = Bound{type, wire::hostOf(m, type), wire::portOf(m)};
    m_message.clear();
    m_phase = Phase::Established;
    return 0;
}

} // namespace ts::socks
