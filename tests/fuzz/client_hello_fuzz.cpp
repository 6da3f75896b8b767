// Fuzz target for sniffTls and parseClientHello (STYLE.md 8).
//
// Input: the stream as a client sends it, or "B" followed by a ClientHello body, which the
// target wraps in a handshake header and records of a size derived from the input, so that
// mutations reach the extensions without having to fix up three outer lengths.
//
// Checks, any failure aborts:
//  - the result is well formed (Invalid/NeedMore carry no hello, Complete no error; fields agree
//    with the extension list);
//  - a prefix at a split point derived from the input (and, for short inputs, every prefix)
//    gives NeedMore or exactly the whole stream's result;
//  - a Complete hello is NeedMore one byte short of its `length`, and the same hello from its
//    own bytes alone;
//  - its handshake message cut into records of another size gives the same hello.

#include "core/tls/client_hello.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace ts::tls;
using Status = ClientHelloResult::Status;

[[noreturn]] void violation(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "client_hello_fuzz: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok)
        violation(what);
}

std::string describe(const ClientHelloResult &r)
{
    std::string out = "status=" + std::to_string(static_cast<int>(r.status)) + " error=" + r.error
                      + " length=" + std::to_string(r.hello.length) + " sni=" + r.hello.serverName
                      + " alpn=" + std::to_string(r.hello.alpn.size())
                      + " extensions=" + std::to_string(r.hello.extensions.size());
    return out;
}

void same(const ClientHelloResult &a, const ClientHelloResult &b, const char *what)
{
    if (!(a == b))
        violation(what, describe(a) + "\n" + describe(b));
}

std::uint64_t hash(std::string_view data)
{
    std::uint64_t h = 1469598103934665603u;
    for (const char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
    return h;
}

std::uint8_t byteAt(std::string_view s, std::size_t i)
{
    return static_cast<std::uint8_t>(s[i]);
}

// The message in handshake records of at most `size` bytes.
std::string chunked(std::string_view message, std::size_t size)
{
    std::string out;
    for (std::size_t at = 0; at < message.size(); at += size) {
        const std::size_t n = std::min(size, message.size() - at);
        out += '\x16';
        out += '\x03';
        out += '\x03';
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xff);
        out.append(message.substr(at, n));
    }
    return out;
}

// The handshake message carried by the first `length` bytes, which the parser found to be
// well-formed records.
std::string messageOf(std::string_view stream, std::size_t length, std::size_t &recordCount)
{
    std::string message;
    recordCount = 0;
    for (std::size_t pos = 0; pos < length; ++recordCount) {
        const std::size_t n = std::size_t(byteAt(stream, pos + 3)) << 8 | byteAt(stream, pos + 4);
        message.append(stream.substr(pos + 5, n));
        pos += 5 + n;
    }
    return message;
}

bool contains(const std::vector<std::uint16_t> &v, std::uint16_t x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

void checkWellFormed(const ClientHelloResult &r, std::string_view stream)
{
    if (r.status != Status::Complete) {
        check(r.hello == ClientHello(), "a hello without Complete");
        check((r.status == Status::Invalid) == !r.error.empty(), "error text and status disagree");
        if (r.status == Status::Invalid)
            check(r.error.rfind("ClientHello: ", 0) == 0, "error without its prefix");
        return;
    }
    const ClientHello &h = r.hello;
    check(r.error.empty(), "Complete with an error");
    check(h.length >= 5 + 4 + 2 + 32 + 1 + 4 + 2 && h.length <= stream.size(),
          "length out of range");
    check(!h.cipherSuites.empty(), "no cipher suites");
    check(h.serverName.empty() != contains(h.extensions, kExtServerName), "SNI vs extension");
    check(h.alpn.empty() != contains(h.extensions, kExtAlpn), "ALPN vs extension");
    check(h.supportedVersions.empty() != contains(h.extensions, kExtSupportedVersions),
          "supported_versions vs extension");
    check(h.hasEncryptedClientHello == contains(h.extensions, kExtEncryptedClientHello),
          "ECH flag vs extension");
    check(!h.serverNameIsIpLiteral || !h.serverName.empty(), "IP literal flag without a name");
    check(h.serverName.find('\0') == std::string::npos, "NUL in SNI");
    check(h.serverName.empty() || h.serverName.back() != '.', "trailing dot kept");
    for (const std::string &p : h.alpn)
        check(!p.empty(), "empty ALPN name");
    check(sniffTls(stream) == Sniff::Tls, "Complete but not sniffed as TLS");
}

void fuzzStream(std::string_view stream)
{
    const ClientHelloResult whole = parseClientHello(stream);
    checkWellFormed(whole, stream);
    if (stream.size() >= 5 && sniffTls(stream) == Sniff::NotTls)
        check(whole.status == Status::Invalid, "five bytes that are not TLS, but not Invalid");

    const std::uint64_t h = hash(stream);
    const std::size_t k = static_cast<std::size_t>(h % (stream.size() + 1));
    const ClientHelloResult prefix = parseClientHello(stream.substr(0, k));
    checkWellFormed(prefix, stream.substr(0, k));
    if (prefix.status != Status::NeedMore)
        same(prefix, whole, "a prefix disagrees with the whole stream");
    if (stream.size() <= 256) {
        for (std::size_t i = 0; i < stream.size(); ++i) {
            const ClientHelloResult p = parseClientHello(stream.substr(0, i));
            if (p.status != Status::NeedMore)
                same(p, whole, "a short prefix disagrees with the whole stream");
        }
    }

    if (whole.status != Status::Complete)
        return;
    const std::size_t length = whole.hello.length;
    check(parseClientHello(stream.substr(0, length - 1)).status == Status::NeedMore,
          "Complete before the last byte");
    same(parseClientHello(stream.substr(0, length)), whole, "the hello alone parses differently");

    std::size_t records = 0;
    const std::string message = messageOf(stream, length, records);
    check(length == message.size() + 5 * records, "length is not the records' size");
    const std::size_t size = 1 + static_cast<std::size_t>((h >> 24) % message.size());
    const std::string again = chunked(message, std::min(size, kMaxRecordFragment));
    ClientHelloResult refragmented = parseClientHello(again);
    check(refragmented.status == Status::Complete, "refragmented hello not Complete");
    check(refragmented.hello.length == again.size(), "refragmented length");
    refragmented.hello.length = length;
    same(refragmented, whole, "refragmented hello parses differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    if (!input.empty() && input[0] == 'B') {
        const std::string_view body = input.substr(1);
        if (body.size() > kMaxClientHelloSize)
            return 0;
        std::string message = "\x01";
        message += static_cast<char>(body.size() >> 16);
        message += static_cast<char>((body.size() >> 8) & 0xff);
        message += static_cast<char>(body.size() & 0xff);
        message.append(body);
        const std::size_t recordSize = 1 + static_cast<std::size_t>(hash(body) % message.size());
        fuzzStream(chunked(message, std::min(recordSize, kMaxRecordFragment)));
        return 0;
    }
    fuzzStream(input);
    return 0;
}
