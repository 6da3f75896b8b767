#pragma once

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/tls/certificate_info.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using BIO = struct bio_st;

namespace ts::tls {

class LeafCertificate;

// Appends NSS key log lines (SSLKEYLOGFILE format) to a file; shared by every session.
class KeyLog
{
public:
    explicit KeyLog(std::string path);
    void write(const char *line);
    const std::string &path() const { return m_path; }

private:
    std::mutex m_mutex;
    std::string m_path;
};

// One SSL_CTX for each role, shared by all sessions of that role. A client context reads the
// system trust store (tens of milliseconds: every certificate in ca-certificates.crt is parsed)
// only when first needed, by the first session made from it or by loadSystemRoots() on a
// thread of the caller's choosing, so that starting the proxy never waits for it.
class TlsContext
{
public:
    struct ClientOptions
    {
        std::vector<std::string> extraRootFiles; // PEM files trusted besides the system store
        std::shared_ptr<KeyLog> keyLog;
    };
    struct ServerOptions
    {
        std::shared_ptr<KeyLog> keyLog;
    };

    static Result<std::shared_ptr<TlsContext>> client(const ClientOptions &options);
    static Result<std::shared_ptr<TlsContext>> server(const ServerOptions &options);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    // The context, ready for SSL_new: a client context has its system roots by then (the
    // first call may wait for them).
    SSL_CTX *get() const
    {
        if (m_wantsSystemRoots)
            loadSystemRoots();
        return m_ctx;
    }
    const std::shared_ptr<KeyLog> &keyLog() const { return m_keyLog; }
    // Reads the system trust store into a client context now, once; thread-safe. Every
    // session made from the context is made after it (get() waits for it).
    void loadSystemRoots() const;

private:
    TlsContext() = default;
    SSL_CTX *m_ctx = nullptr;
    std::shared_ptr<KeyLog> m_keyLog;
    bool m_wantsSystemRoots = false; // set once before the context is shared
    mutable std::once_flag m_systemRoots;
};

// What a handshake settled, for the flow record.
struct TlsDetails
{
    std::string sni;
    std::vector<std::string> alpnOffered;
    std::string alpn;    // negotiated, empty when none
    std::string version; // "TLSv1.3"
    std::string cipher;
    std::vector<CertificateInfo> peerChain; // the peer's certificates, leaf first
    bool verified = false;                  // client role: the chain and name were checked and good
    std::string verifyError;                // client role: why not, when checked
    MonoTime handshakeMicros = -1;
};

// One TLS endpoint driven through memory BIOs: ciphertext in -> plaintext out, plaintext in ->
// ciphertext out. No socket, no clock but the `now` it is given. Sessions stack: an outer
// session's plaintext may be an inner session's ciphertext.
class TlsSession
{
public:
    struct ClientParams
    {
        std::string sni;               // empty: no SNI (IP targets)
        std::string verifyName;        // host name or IP literal the certificate must match
        std::vector<std::string> alpn; // offered, in order
        bool verify = true; // check the chain and the name (the result is recorded either way)
    };
    struct ServerParams
    {
        std::shared_ptr<const LeafCertificate> certificate;
        std::vector<std::string> alpnAccept; // select the first of the client's offers found here
    };

    static Result<std::unique_ptr<TlsSession>> client(std::shared_ptr<TlsContext> context,
                                                      const ClientParams &params, MonoTime now);
    static Result<std::unique_ptr<TlsSession>> server(std::shared_ptr<TlsContext> context,
                                                      const ServerParams &params, MonoTime now);
    ~TlsSession();
    TlsSession(const TlsSession &) = delete;
    TlsSession &operator=(const TlsSession &) = delete;

    // Ciphertext from the peer. Decrypted application data is appended to `plaintext`.
    void receive(std::string_view ciphertext, std::string &plaintext, MonoTime now);
    // Application data to the peer; held until the handshake is done.
    void send(std::string_view plaintext);
    // close_notify.
    void shutdown();
    // Ciphertext to write to the peer (handshake records, application data, alerts).
    std::string takeCiphertext();
    bool hasCiphertext() const;

    bool handshakeDone() const { return m_handshakeDone; }
    bool failed() const { return !m_error.empty(); }
    const std::string &error() const { return m_error; }
    bool peerClosed() const { return m_peerClosed; }
    // The handshake failed because of an alert the peer sent about our certificate (unknown CA,
    // bad certificate...): "the client rejected the certificate".
    bool peerRejectedCertificate() const { return m_peerRejectedCertificate; }
    const TlsDetails &details() const { return m_details; }

private:
    TlsSession() = default;
    void pump(std::string *plaintext, MonoTime now);
    void flushPending();
    void fail(const std::string &what);
    void onHandshakeDone(MonoTime now);

    std::shared_ptr<TlsContext> m_context;
    std::shared_ptr<const LeafCertificate> m_certificate;
    SSL *m_ssl = nullptr;
    BIO *m_in = nullptr;  // ciphertext from the peer
    BIO *m_out = nullptr; // ciphertext to the peer
    bool m_isClient = false;
    bool m_verify = true;
    bool m_handshakeDone = false;
    bool m_peerClosed = false;
    bool m_peerRejectedCertificate = false;
    std::string m_error;
    std::string m_pendingPlaintext; // written before the handshake finished
    std::vector<std::string> m_alpnAccept;
    MonoTime m_started = 0;
    TlsDetails m_details;

    friend int selectAlpn(SSL *, const unsigned char **, unsigned char *, const unsigned char *,
                          unsigned int, void *);
};

} // namespace ts::tls
