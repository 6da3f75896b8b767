#pragma once

#include "core/base/limits.h"
#include "core/base/time.h"
#include "core/upstream/chain.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ts::tls {
class TlsContext;
class TlsSession;
} // namespace ts::tls

namespace ts::http1 {
class ResponseParser;
} // namespace ts::http1

namespace ts::socks {
class Socks5Client;
} // namespace ts::socks

namespace ts::upstream {

// Why a chain could not be walked, and which hop it was. Messages name the hop by its
// redacted URL and count hops from 1: "hop 2 (http://127.0.0.1:3129) answered 407 Proxy
// Authentication Required".
struct HopFailure
{
    enum class Kind {
        Refused,      // the TCP connection to hop 1 failed (the caller reports it)
        NotResolved,  // a name a socks5:// hop needs as an address did not resolve
        AuthRequired, // 407 from an http(s) hop; a SOCKS5 hop wants or refused credentials
        Denied,       // any other non-2xx answer to CONNECT
        SocksReply,   // a SOCKS5 hop's reply other than "succeeded" (socksReply holds it)
        Tls,          // the TLS handshake with an https hop failed, or its certificate is bad
        Protocol,     // a hop answered something that is not HTTP/1.1 or SOCKS5
        Closed,       // the connection closed before the chain was through
        Timeout,      // a hop did not answer within Options::hopTimeout
    };

    std::size_t hopIndex = 0; // into ChainSpec::hops (zero-based; messages say hopIndex + 1)
    std::string hop;          // the hop's redacted display()
    Kind kind = Kind::Protocol;
    std::string message;
    int httpStatus = 0;                     // AuthRequired, Denied
    std::optional<std::uint8_t> socksReply; // SocksReply: the REP byte, when a reply came
};

std::string_view kindName(HopFailure::Kind kind); // "refused", "auth-required", ...

// Per-hop times, all in the `now` the caller passes in; -1 when not reached.
struct HopTiming
{
    MonoTime started = -1; // the bytes for this hop were sent (the tunnel to it existed)
    MonoTime tlsDone = -1; // https hops: the handshake finished and the certificate was checked
    MonoTime through = -1; // the hop answered success: the tunnel through it is open
};

// Walks an upstream proxy chain for ONE server-side TCP connection, sans-IO. The caller opens
// TCP to hop 1 (or to the destination for a direct chain), then calls start(); from then on it
// writes takeWire() to the socket and passes everything it reads to receive(). Each hop is
// reached through the ones before it (CONNECT inside CONNECT, SOCKS inside CONNECT, TLS to an
// https hop inside the tunnel to it). Once established() the connector is a transparent byte
// path to the destination: sendApp(plaintext) -> takeWire(), receive(wire) -> takeApp(),
// through whatever TLS layers to https hops there are. See README.md for the event table.
class ChainConnector
{
public:
    enum class Mode {
        Tunnel,  // CONNECT (or SOCKS CONNECT) through every hop to the destination
        Forward, // when the last hop is http(s): stop once it is reached, for absolute-form
                 // requests (plain http:// destinations). Other chains tunnel as usual.
    };
    struct Options
    {
        ChainSpec chain;
        std::string host; // the destination; IPv6 literals without brackets
        std::uint16_t port = 0;
        Mode mode = Mode::Tunnel;
        // For https hops: the roots their certificates are checked against. Required when
        // the chain has an https hop.
        std::shared_ptr<tls::TlsContext> tlsContext;
        bool insecure = false;             // do not check https hops' certificates
        MonoTime hopTimeout = kNoDeadline; // per hop, from the moment its bytes are sent
        Http1Limits limits;                // for the CONNECT answers
    };
    enum class State {
        Idle,        // before start()
        Connecting,  // walking the chain
        NeedAddress, // a socks5:// hop needs addressNeeded() resolved (see provideAddress)
        Established, // transparent, or forwarding() to the last hop
        Failed,      // failure() says why; nothing more happens
    };

    explicit ChainConnector(Options options);
    ~ChainConnector();
    ChainConnector(const ChainConnector &) = delete;
    ChainConnector &operator=(const ChainConnector &) = delete;

    // ---- events
    void start(MonoTime now);                                  // TCP to the first hop is up
    void connectFailed(std::string_view reason, MonoTime now); // ... or could not be made
    void receive(std::string_view wire, MonoTime now);         // bytes read from the socket
    void receiveEof(MonoTime now);                             // the socket's peer closed
    void tick(MonoTime now);                                   // deadline() has passed
    // The answer to addressNeeded(): an IPv4/IPv6 literal, or the lookup failed.
    void provideAddress(std::string_view address, MonoTime now);
    void addressFailed(std::string_view reason, MonoTime now);

    // Application bytes to the destination (or, forwarding, to the last hop). Before the
    // chain is established they are held and go out right after the last handshake.
    void sendApp(std::string_view plaintext);
    // close_notify on every TLS layer (innermost first); the caller shuts the socket after
    // writing takeWire().
    void shutdown();

    // ---- output
    std::string takeWire(); // bytes to write to the socket, in order
    bool hasWire() const { return !m_wire.empty(); }
    std::string takeApp(); // plaintext from the destination (leftover handshake bytes first)
    bool hasApp() const { return !m_app.empty(); }
    MonoTime deadline() const; // when tick() is due; kNoDeadline when nothing is awaited

    // ---- state
    State state() const { return m_state; }
    bool established() const { return m_state == State::Established; }
    bool failed() const { return m_state == State::Failed; }
    const HopFailure &failure() const { return m_failure; }
    const std::string &addressNeeded() const { return m_addressNeeded; }
    // A TLS layer to an https hop received close_notify: the tunnel is over.
    bool peerClosed() const;
    // No TLS layer: once established and takeApp() is drained, the socket is the destination's
    // byte stream as it is (the engine may relay it with splice()).
    bool plainPath() const;

    // Forward mode reached the last hop: send absolute-form requests to it, adding a
    // Proxy-Authorization field with proxyAuthorization() when that is not empty. The value
    // holds the hop's credentials: never record or log it.
    bool forwarding() const { return m_forwarding; }
    std::string proxyAuthorization() const;

    const ChainSpec &chain() const { return m_options.chain; }
    const std::vector<HopTiming> &timings() const { return m_timings; }
    // "via http://127.0.0.1:3128 → socks5h://127.0.0.1:1080" (passwords redacted), "direct".
    std::string summary() const;

    // "Basic " + base64(user ":" password) for an http(s) hop with credentials, else empty.
    static std::string basicAuthorization(const Hop &hop);

private:
    enum class Stage { None, TlsHandshake, ConnectReply, Socks };
    struct Layer; // one TLS session to an https hop

    std::string nextAuthority(std::size_t hop) const;
    std::string nextHost(std::size_t hop) const;
    std::uint16_t nextPort(std::size_t hop) const;
    void beginHop(std::size_t hop, MonoTime now);
    void negotiate(std::size_t hop, MonoTime now);
    void startSocks(std::size_t hop, const std::string &host);
    void hopThrough(std::size_t hop, MonoTime now);
    void becomeEstablished();
    void advance(MonoTime now);
    bool advanceTls(MonoTime now);
    bool advanceConnectReply(MonoTime now);
    bool advanceSocks(MonoTime now);
    void failSocks(std::size_t hop);
    void sendInner(std::string_view bytes);
    void flushLayers();
    bool checkLayers();
    void fail(std::size_t hop, HopFailure::Kind kind, std::string message);
    std::string hopName(std::size_t hop) const;

    Options m_options;
    State m_state = State::Idle;
    Stage m_stage = Stage::None;
    std::size_t m_hop = 0; // the hop being negotiated
    bool m_forwarding = false;
    HopFailure m_failure;
    std::vector<HopTiming> m_timings;
    MonoTime m_hopDeadline = kNoDeadline;
    std::string m_addressNeeded;

    std::vector<std::unique_ptr<Layer>> m_layers; // outermost first
    std::unique_ptr<http1::ResponseParser> m_parser;
    std::unique_ptr<socks::Socks5Client> m_socks;

    std::string m_wire;    // to the socket
    std::string m_inner;   // plaintext inside every layer, not yet taken by the current stage
    std::string m_app;     // established: for the caller
    std::string m_pending; // sendApp() before established
};

} // namespace ts::upstream
