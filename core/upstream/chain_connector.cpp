#include "core/upstream/chain_connector.h"

#include "core/http1/parser.h"
#include "core/socks/socks5_client.h"
#include "core/tls/tls_session.h"

#include <utility>

namespace ts::upstream {

namespace {

std::string base64(std::string_view in)
{
    static constexpr char kAlphabet[]
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16
                           | unsigned(static_cast<unsigned char>(in[i + 1])) << 8
                           | unsigned(static_cast<unsigned char>(in[i + 2]));
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (const std::size_t rest = in.size() - i) {
        unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16;
        if (rest == 2)
            v |= unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::string seconds(MonoTime micros)
{
    if (micros % kSecond == 0)
        return std::to_string(micros / kSecond) + " s";
    return std::to_string(micros / kMillisecond) + " ms";
}

} // namespace

std::string_view kindName(HopFailure::Kind kind)
{
    switch (kind) {
    case HopFailure::Kind::Refused:
        return "refused";
    case HopFailure::Kind::NotResolved:
        return "not-resolved";
    case HopFailure::Kind::AuthRequired:
        return "auth-required";
    case HopFailure::Kind::Denied:
        return "denied";
    case HopFailure::Kind::SocksReply:
        return "socks-reply";
    case HopFailure::Kind::Tls:
        return "tls";
    case HopFailure::Kind::Protocol:
        return "protocol";
    case HopFailure::Kind::Closed:
        return "closed";
    case HopFailure::Kind::Timeout:
        return "timeout";
    }
    return "?";
}

struct ChainConnector::Layer
{
    std::unique_ptr<tls::TlsSession> tls;
    std::size_t hop = 0; // the https hop this session talks to
};

ChainConnector::ChainConnector(Options options)
    : m_options(std::move(options)), m_timings(m_options.chain.hops.size())
{}

ChainConnector::~ChainConnector() = default;

std::string ChainConnector::basicAuthorization(const Hop &hop)
{
    if (!hop.isHttp() || !hop.hasCredentials)
        return {};
    return "Basic " + base64(hop.username + ":" + hop.password);
}

std::string ChainConnector::proxyAuthorization() const
{
    return m_forwarding ? basicAuthorization(m_options.chain.hops.back()) : std::string();
}

std::string ChainConnector::summary() const
{
    return m_options.chain.direct() ? std::string("direct") : "via " + m_options.chain.display();
}

std::string ChainConnector::hopName(std::size_t hop) const
{
    return "hop " + std::to_string(hop + 1) + " (" + m_options.chain.hops[hop].display() + ")";
}

std::string ChainConnector::nextHost(std::size_t hop) const
{
    const auto &hops = m_options.chain.hops;
    return hop + 1 < hops.size() ? hops[hop + 1].host : m_options.host;
}

std::uint16_t ChainConnector::nextPort(std::size_t hop) const
{
    const auto &hops = m_options.chain.hops;
    return hop + 1 < hops.size() ? hops[hop + 1].port : m_options.port;
}

std::string ChainConnector::nextAuthority(std::size_t hop) const
{
    return authorityOf(nextHost(hop), nextPort(hop));
}

bool ChainConnector::peerClosed() const
{
    for (const auto &layer : m_layers)
        if (layer->tls->peerClosed())
            return true;
    return false;
}

bool ChainConnector::plainPath() const
{
    return m_layers.empty();
}

MonoTime ChainConnector::deadline() const
{
    return m_state == State::Connecting || m_state == State::NeedAddress ? m_hopDeadline
                                                                         : kNoDeadline;
}

std::string ChainConnector::takeWire()
{
    return std::exchange(m_wire, {});
}

std::string ChainConnector::takeApp()
{
    return std::exchange(m_app, {});
}

// ------------------------------------------------------------------------------------ events

void ChainConnector::start(MonoTime now)
{
    if (m_state != State::Idle)
        return;
    m_state = State::Connecting;
    if (m_options.chain.direct()) {
        becomeEstablished();
        return;
    }
    beginHop(0, now);
    advance(now);
}

void ChainConnector::connectFailed(std::string_view reason, MonoTime)
{
    if (m_state != State::Idle)
        return;
    if (m_options.chain.direct()) {
        m_state = State::Failed;
        m_failure = {0,
                     {},
                     HopFailure::Kind::Refused,
                     authorityOf(m_options.host, m_options.port)
                         + " could not be reached: " + std::string(reason),
                     0,
                     std::nullopt};
        return;
    }
    fail(0, HopFailure::Kind::Refused,
         hopName(0) + " could not be reached: " + std::string(reason));
}

void ChainConnector::receive(std::string_view wire, MonoTime now)
{
    if (m_state == State::Idle || m_state == State::Failed)
        return;
    if (m_layers.empty() && m_state == State::Established) {
        m_app.append(wire);
        return;
    }
    std::string data(wire);
    for (auto &layer : m_layers) {
        std::string plain;
        layer->tls->receive(data, plain, now);
        data = std::move(plain);
    }
    flushLayers(); // handshake records and alerts the sessions want to send
    if (!checkLayers())
        return;
    if (m_state == State::Established) {
        m_app += data;
        return;
    }
    m_inner += data;
    advance(now);
}

void ChainConnector::receiveEof(MonoTime)
{
    if (m_state != State::Connecting && m_state != State::NeedAddress)
        return;
    const char *during = "before the tunnel through it was open";
    switch (m_stage) {
    case Stage::TlsHandshake:
        during = "during the TLS handshake";
        break;
    case Stage::ConnectReply:
        during = "before it answered CONNECT";
        break;
    case Stage::Socks:
        during = "during the SOCKS5 handshake";
        break;
    case Stage::None:
        break;
    }
    fail(m_hop, HopFailure::Kind::Closed, hopName(m_hop) + ": the connection closed " + during);
}

void ChainConnector::tick(MonoTime now)
{
    if (now < deadline())
        return;
    if (m_state == State::NeedAddress) {
        fail(m_hop, HopFailure::Kind::NotResolved,
             hopName(m_hop) + ": the address of " + m_addressNeeded + " was not found within "
                 + seconds(m_options.hopTimeout));
        return;
    }
    fail(m_hop, HopFailure::Kind::Timeout,
         hopName(m_hop) + " did not answer within " + seconds(m_options.hopTimeout));
}

void ChainConnector::provideAddress(std::string_view address, MonoTime now)
{
    if (m_state != State::NeedAddress)
        return;
    if (!isIpLiteral(address)) {
        addressFailed("'" + std::string(address) + "' is not an IP address", now);
        return;
    }
    m_state = State::Connecting;
    m_addressNeeded.clear();
    startSocks(m_hop, std::string(address));
    advance(now);
}

void ChainConnector::addressFailed(std::string_view reason, MonoTime)
{
    if (m_state != State::NeedAddress)
        return;
    fail(m_hop, HopFailure::Kind::NotResolved,
         hopName(m_hop) + " needs the address of " + m_addressNeeded
             + ", which was not found: " + std::string(reason));
}

void ChainConnector::sendApp(std::string_view plaintext)
{
    if (m_state == State::Failed)
        return;
    if (m_state == State::Established)
        sendInner(plaintext);
    else
        m_pending.append(plaintext);
}

void ChainConnector::shutdown()
{
    for (std::size_t i = m_layers.size(); i-- > 0;) {
        m_layers[i]->tls->shutdown();
        flushLayers(); // the inner close_notify travels inside the outer layers, before theirs
    }
}

// ------------------------------------------------------------------------------- the walk

void ChainConnector::beginHop(std::size_t hop, MonoTime now)
{
    m_hop = hop;
    m_timings[hop].started = now;
    m_hopDeadline = m_options.hopTimeout == kNoDeadline ? kNoDeadline : now + m_options.hopTimeout;
    const Hop &h = m_options.chain.hops[hop];
    if (h.scheme != HopScheme::Https) {
        negotiate(hop, now);
        return;
    }
    if (!m_options.tlsContext) {
        fail(hop, HopFailure::Kind::Tls, hopName(hop) + ": no TLS context to reach it with");
        return;
    }
    tls::TlsSession::ClientParams params;
    params.sni = isIpLiteral(h.host) ? std::string() : h.host;
    params.verifyName = h.host;
    params.alpn = {"http/1.1"}; // the CONNECT below is HTTP/1.1
    params.verify = !m_options.insecure;
    auto session = tls::TlsSession::client(m_options.tlsContext, params, now);
    if (!session.ok()) {
        fail(hop, HopFailure::Kind::Tls, hopName(hop) + ": " + session.error().message);
        return;
    }
    auto layer = std::make_unique<Layer>();
    layer->tls = std::move(*session);
    layer->hop = hop;
    m_layers.push_back(std::move(layer));
    m_stage = Stage::TlsHandshake;
    // Whatever came after the previous hop's answer is already this session's ciphertext.
    if (!m_inner.empty()) {
        std::string plain;
        m_layers.back()->tls->receive(std::exchange(m_inner, {}), plain, now);
        m_inner = std::move(plain);
    }
    flushLayers(); // the ClientHello, through the layers outside this one
    checkLayers();
}

// The byte path to `hop` is up (TLS done for an https hop): ask it for the next one.
void ChainConnector::negotiate(std::size_t hop, MonoTime now)
{
    const Hop &h = m_options.chain.hops[hop];
    const bool last = hop + 1 == m_options.chain.hops.size();
    if (last && h.isHttp() && m_options.mode == Mode::Forward) {
        m_forwarding = true;
        m_timings[hop].through = now;
        becomeEstablished();
        return;
    }
    if (h.isHttp()) {
        const std::string authority = nextAuthority(hop);
        std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
        const std::string credentials = basicAuthorization(h);
        if (!credentials.empty())
            request += "Proxy-Authorization: " + credentials + "\r\n";
        request += "\r\n";
        m_parser = std::make_unique<http1::ResponseParser>(m_options.limits);
        m_parser->expectResponseTo("CONNECT");
        m_stage = Stage::ConnectReply;
        sendInner(request);
        return;
    }
    std::string host = nextHost(hop);
    if (h.scheme == HopScheme::Socks5 && !isIpLiteral(host)) {
        // socks5:// sends addresses, and a name becomes one only through the caller's lookup.
        m_stage = Stage::None;
        m_state = State::NeedAddress;
        m_addressNeeded = std::move(host);
        return;
    }
    startSocks(hop, host);
}

void ChainConnector::startSocks(std::size_t hop, const std::string &host)
{
    const Hop &h = m_options.chain.hops[hop];
    std::optional<socks::Credentials> credentials;
    if (h.hasCredentials)
        credentials = socks::Credentials{h.username, h.password};
    auto client = socks::Socks5Client::create({host, nextPort(hop), h.scheme == HopScheme::Socks5h},
                                              std::move(credentials));
    if (!client.ok()) {
        fail(hop, HopFailure::Kind::Protocol, hopName(hop) + ": " + client.error().message);
        return;
    }
    m_socks = std::make_unique<socks::Socks5Client>(std::move(*client));
    m_stage = Stage::Socks;
    sendInner(m_socks->greeting());
}

void ChainConnector::hopThrough(std::size_t hop, MonoTime now)
{
    m_timings[hop].through = now;
    m_parser.reset();
    m_socks.reset();
    if (hop + 1 < m_options.chain.hops.size())
        beginHop(hop + 1, now);
    else
        becomeEstablished();
}

void ChainConnector::becomeEstablished()
{
    m_state = State::Established;
    m_stage = Stage::None;
    m_hopDeadline = kNoDeadline;
    m_app += std::exchange(m_inner, {}); // bytes that came right behind the last answer
    if (!m_pending.empty())
        sendInner(std::exchange(m_pending, {}));
}

void ChainConnector::advance(MonoTime now)
{
    while (m_state == State::Connecting) {
        bool moved = false;
        switch (m_stage) {
        case Stage::TlsHandshake:
            moved = advanceTls(now);
            break;
        case Stage::ConnectReply:
            moved = advanceConnectReply(now);
            break;
        case Stage::Socks:
            moved = advanceSocks(now);
            break;
        case Stage::None:
            break;
        }
        if (!moved)
            return;
    }
}

bool ChainConnector::advanceTls(MonoTime now)
{
    const tls::TlsSession &session = *m_layers.back()->tls;
    if (!session.handshakeDone())
        return false;
    if (!m_options.insecure && !session.details().verified) {
        fail(m_hop, HopFailure::Kind::Tls,
             hopName(m_hop)
                 + ": its certificate does not verify: " + session.details().verifyError);
        return false;
    }
    m_timings[m_hop].tlsDone = now;
    negotiate(m_hop, now);
    return true;
}

bool ChainConnector::advanceConnectReply(MonoTime now)
{
    std::vector<http1::ResponseEvent> events;
    const std::size_t consumed = m_parser->feed(m_inner, events);
    for (const http1::ResponseEvent &event : events) {
        if (const auto *error = std::get_if<http1::ParseError>(&event)) {
            fail(m_hop, HopFailure::Kind::Protocol,
                 hopName(m_hop) + " answered CONNECT with a malformed response: " + error->reason);
            return false;
        }
        const auto *head = std::get_if<http1::ResponseHeadEvent>(&event);
        if (!head || head->informational)
            continue;
        const int status = head->head.status;
        if (status >= 200 && status < 300)
            continue; // the parser is upgraded: the tunnel is open
        const std::string answer
            = std::to_string(status) + (head->head.reason.empty() ? "" : " " + head->head.reason);
        const Hop &h = m_options.chain.hops[m_hop];
        if (status == 407) {
            fail(m_hop, HopFailure::Kind::AuthRequired,
                 hopName(m_hop) + " answered " + answer
                     + (h.hasCredentials ? " (the credentials were not accepted)"
                                         : " (no credentials configured)"));
        } else {
            fail(m_hop, HopFailure::Kind::Denied,
                 hopName(m_hop) + " refused CONNECT to " + nextAuthority(m_hop) + ": " + answer);
        }
        m_failure.httpStatus = status;
        return false;
    }
    m_inner.erase(0, consumed);
    if (!m_parser->upgraded())
        return false;
    hopThrough(m_hop, now);
    return true;
}

bool ChainConnector::advanceSocks(MonoTime now)
{
    const socks::Socks5Client::Output out = m_socks->feed(m_inner);
    m_inner.erase(0, out.consumed);
    if (!out.toServer.empty())
        sendInner(out.toServer);
    switch (out.status) {
    case socks::Socks5Client::Status::NeedMore:
        return false;
    case socks::Socks5Client::Status::Failed:
        failSocks(m_hop);
        return false;
    case socks::Socks5Client::Status::Established:
        break;
    }
    hopThrough(m_hop, now);
    return true;
}

void ChainConnector::failSocks(std::size_t hop)
{
    const Error &error = m_socks->error();
    const auto reply = m_socks->replyCode();
    if (error.code == "socks.reply" && reply) {
        fail(hop, HopFailure::Kind::SocksReply,
             hopName(hop) + " refused CONNECT to " + nextAuthority(hop) + ": "
                 + std::string(socks::replyText(*reply)) + " (SOCKS reply "
                 + std::to_string(unsigned(*reply)) + ")");
        m_failure.socksReply = std::uint8_t(*reply);
        return;
    }
    HopFailure::Kind kind = HopFailure::Kind::Protocol;
    if (error.code == "socks.auth-required" || error.code == "socks.auth-refused"
        || error.code == "socks.no-acceptable-method")
        kind = HopFailure::Kind::AuthRequired;
    else if (error.code == "socks.closed")
        kind = HopFailure::Kind::Closed;
    fail(hop, kind, hopName(hop) + ": " + error.message);
}

// ------------------------------------------------------------------------------ the layers

// Bytes at the innermost level (to the hop being negotiated, or to the destination) go out
// through every TLS layer, innermost first.
void ChainConnector::sendInner(std::string_view bytes)
{
    if (m_layers.empty()) {
        m_wire.append(bytes);
        return;
    }
    m_layers.back()->tls->send(bytes);
    flushLayers();
}

// Ciphertext a layer produced is plaintext for the layer outside it; the outermost writes the
// socket.
void ChainConnector::flushLayers()
{
    for (std::size_t i = m_layers.size(); i-- > 0;) {
        tls::TlsSession &session = *m_layers[i]->tls;
        if (!session.hasCiphertext())
            continue;
        std::string ciphertext = session.takeCiphertext();
        if (i == 0)
            m_wire += ciphertext;
        else
            m_layers[i - 1]->tls->send(ciphertext);
    }
}

// A failed TLS layer fails the chain, naming its hop. Returns false then.
bool ChainConnector::checkLayers()
{
    for (const auto &layer : m_layers) {
        const tls::TlsSession &session = *layer->tls;
        if (session.failed()) {
            fail(layer->hop, HopFailure::Kind::Tls, hopName(layer->hop) + ": " + session.error());
            return false;
        }
        if (session.peerClosed() && m_state != State::Established) {
            fail(layer->hop, HopFailure::Kind::Closed,
                 hopName(layer->hop) + " closed its TLS session before the tunnel was open");
            return false;
        }
    }
    return true;
}

void ChainConnector::fail(std::size_t hop, HopFailure::Kind kind, std::string message)
{
    if (m_state == State::Failed)
        return;
    m_state = State::Failed;
    m_stage = Stage::None;
    m_hopDeadline = kNoDeadline;
    m_failure = HopFailure{
        hop, m_options.chain.hops[hop].display(), kind, std::move(message), 0, std::nullopt};
    m_pending.clear();
    m_inner.clear();
    m_parser.reset();
    m_socks.reset();
}

} // namespace ts::upstream
