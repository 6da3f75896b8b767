#pragma once

#include "core/base/limits.h"
#include "core/base/result.h"
#include "core/ws/frame.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ts::ws {

// permessage-deflate (RFC 7692): what the two sides agreed in Sec-WebSocket-Extensions, an
// inflater per direction for showing messages (the relayed bytes stay as they were), and a
// deflater for messages the proxy writes itself. zlib stays inside deflate.cpp.

// One element of a Sec-WebSocket-Extensions value (RFC 6455 §9.1), names lower-cased and
// quoted values unquoted.
struct ExtensionParam
{
    std::string name;
    std::optional<std::string> value;
    bool operator==(const ExtensionParam &) const = default;
};

struct Extension
{
    std::string name;
    std::vector<ExtensionParam> params;
    bool operator==(const Extension &) const = default;
};

// Parses a Sec-WebSocket-Extensions value (several fields joined with ", "). "ws.bad-extensions"
// names the offending spot.
Result<std::vector<Extension>> parseExtensions(std::string_view value);

// How one side compresses its messages: the receiver keeps its inflater's window from message
// to message unless noContextTakeover, and the sender's LZ77 window is at most
// 2^maxWindowBits bytes.
struct DeflateParams
{
    bool noContextTakeover = false;
    int maxWindowBits = 15;
    bool operator==(const DeflateParams &) const = default;
};

// A client's offer element of permessage-deflate (RFC 7692 §7.1).
struct DeflateOffer
{
    bool serverNoContextTakeover = false;
    bool clientNoContextTakeover = false;
    std::optional<int> serverMaxWindowBits;
    bool clientMaxWindowBits = false;            // the client can take a limit from the server
    std::optional<int> clientMaxWindowBitsValue; // ... and says the one it will use anyway
    std::string problem; // why a server has to decline this element; empty when it is valid
};

// The permessage-deflate elements of a client's header, valid or not (see `problem`).
Result<std::vector<DeflateOffer>> parseDeflateOffers(std::string_view offerHeader);

// What the server's response settled, per sender.
struct DeflateAgreement
{
    DeflateParams
        client; // the client's messages: client_no_context_takeover, client_max_window_bits
    DeflateParams
        server; // the server's messages: server_no_context_takeover, server_max_window_bits
    bool operator==(const DeflateAgreement &) const = default;
};

struct Negotiated
{
    std::optional<DeflateAgreement> deflate; // none: messages are not compressed
    // Extensions the server accepted that this codec does not know: their frames can only be
    // relayed as opaque bytes, not parsed.
    std::vector<std::string> unknown;
};

// Checks the server's Sec-WebSocket-Extensions response against the client's offer, as a client
// must (RFC 7692 §7.1): one permessage-deflate element at most, known parameters each at most
// once with valid values, client_max_window_bits only when offered, and an answer that fits
// one of the offer's valid elements. "ws.bad-extensions" says which rule broke: a client
// fails the connection then.
Result<Negotiated> negotiate(std::string_view offerHeader, std::string_view responseHeader);

// The response parameters that say `agreement` (for a proxy that answers the client itself).
std::string responseHeader(const DeflateAgreement &agreement);

// Inflates the compressed messages of one sender, message by message, keeping the LZ77 window
// across messages unless the sender agreed to no context takeover. It always inflates with the
// largest window: any stream a sender may legally make inflates (a sender that used a larger
// window than it agreed is not detected).
class Inflater
{
public:
    explicit Inflater(DeflateParams params, std::uint64_t maxOutput = WsLimits{}.maxInflatedBytes);
    ~Inflater();
    Inflater(Inflater &&) noexcept;
    Inflater &operator=(Inflater &&) noexcept;

    // Inflates the next compressed bytes of the current message and appends what they give to
    // `out`. On an error `out` still gets what came before it: corrupt data is 1007, a message
    // inflating past maxOutput is 1009 (`out` then ends at exactly maxOutput bytes).
    std::optional<WsError> inflate(std::string_view compressed, std::string &out);
    // The message's last frame was read: inflates the 00 00 ff ff its sender stripped
    // (RFC 7692 §7.2.2) and gets ready for the next message.
    std::optional<WsError> finish(std::string &out);
    // inflate() and finish() in one go, for a whole message's payload.
    Result<std::string> inflateMessage(std::string_view payload);

    std::uint64_t messageBytes() const; // inflated so far in the current message

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Compresses messages the proxy writes into one direction, so that the receiver, which keeps
// its window under context takeover, inflates them. `params` are those of the sender whose
// place the proxy takes (agreement.client towards the server, agreement.server towards the
// client).
//
// Under context takeover the receiver's window holds what the original sender sent. Relayed
// frames stay untouched, so observe() each compressed message the sender sent (inflated) to
// keep this model of the window in step. After the proxy sent a compressed message of its own
// the sender's next compressed messages no longer fit the receiver's window: from then on the
// relay has to re-compress them with compress() too. Sending injected messages uncompressed
// (RSV1 clear) never touches either window (RFC 7692 §6) and needs none of this.
class Deflater
{
public:
    explicit Deflater(DeflateParams params);
    ~Deflater();
    Deflater(Deflater &&) noexcept;
    Deflater &operator=(Deflater &&) noexcept;

    void observe(std::string_view inflatedMessage);
    // The payload to send in a message whose first frame has RSV1 set (the trailing
    // 00 00 ff ff removed). "ws.deflate" when zlib fails (out of memory).
    Result<std::string> compress(std::string_view message);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace ts::ws
