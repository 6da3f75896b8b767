#include "core/tls/tls_session.h"

#include "core/tls/certificate_authority.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <cstdio>

namespace ts::tls {

namespace {

std::string opensslErrors()
{
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty())
            out += "; ";
        const char *reason = ERR_reason_error_string(e);
        out += reason ? reason : buf;
    }
    return out;
}

bool isIpLiteral(const std::string &name)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, name.c_str(), buf) == 1
           || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

std::string alpnWire(const std::vector<std::string> &protocols)
{
    std::string wire;
    for (const std::string &p : protocols) {
        if (p.empty() || p.size() > 255)
            continue;
        wire += char(p.size());
        wire += p;
    }
    return wire;
}

std::vector<std::string> alpnList(const unsigned char *in, unsigned int length)
{
    std::vector<std::string> out;
    unsigned int i = 0;
    while (i < length) {
        const unsigned int n = in[i++];
        if (n == 0 || i + n > length)
            break;
        out.emplace_back(reinterpret_cast<const char *>(in + i), n);
        i += n;
    }
    return out;
}

void keyLogCallback(const SSL *ssl, const char *line)
{
    if (auto *log = static_cast<KeyLog *>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))))
        log->write(line);
}

// Alerts a client sends when it does not accept the certificate we showed it.
bool isCertificateRejection(unsigned long error)
{
    if (ERR_GET_LIB(error) != ERR_LIB_SSL)
        return false;
    switch (ERR_GET_REASON(error)) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
        return true;
    default:
        return false;
    }
}

} // namespace

int selectAlpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
               unsigned int inlen, void *)
{
    auto *session = static_cast<TlsSession *>(SSL_get_app_data(ssl));
    if (!session)
        return SSL_TLSEXT_ERR_NOACK;
    session->m_details.alpnOffered = alpnList(in, inlen);
    for (const std::string &wanted : session->m_alpnAccept) {
        unsigned int i = 0;
        while (i < inlen) {
            const unsigned int n = in[i];
            if (n == 0 || i + 1 + n > inlen)
                break;
            if (n == wanted.size()
                && wanted.compare(0, n, reinterpret_cast<const char *>(in + i + 1), n) == 0) {
                *out = in + i + 1;
                *outlen = static_cast<unsigned char>(n);
                return SSL_TLSEXT_ERR_OK;
            }
            i += 1 + n;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

// ---------------------------------------------------------------------------------- KeyLog

KeyLog::KeyLog(std::string path) : m_path(std::move(path))
{}

void KeyLog::write(const char *line)
{
    std::lock_guard lock(m_mutex);
    if (std::FILE *f = std::fopen(m_path.c_str(), "a")) {
        std::fputs(line, f);
        std::fputc('\n', f);
        std::fclose(f);
    }
}

// ------------------------------------------------------------------------------ TlsContext

Result<std::shared_ptr<TlsContext>> TlsContext::client(const ClientOptions &options)
{
    std::shared_ptr<TlsContext> c(new TlsContext);
    c->m_ctx = SSL_CTX_new(TLS_client_method());
    if (!c->m_ctx)
        return Error{"tls.context", "cannot create a TLS client context: " + opensslErrors()};
    SSL_CTX_set_verify(c->m_ctx, SSL_VERIFY_NONE, nullptr); // checked after the handshake
    // The system store later (loadSystemRoots()); the files named here now, so that a wrong
    // name is an error at start.
    c->m_wantsSystemRoots = true;
    for (const std::string &file : options.extraRootFiles) {
        if (SSL_CTX_load_verify_locations(c->m_ctx, file.c_str(), nullptr) != 1)
            return Error{"tls.roots",
                         "cannot load trusted certificates from " + file + ": " + opensslErrors()};
    }
    c->m_keyLog = options.keyLog;
    if (c->m_keyLog) {
        SSL_CTX_set_app_data(c->m_ctx, c->m_keyLog.get());
        SSL_CTX_set_keylog_callback(c->m_ctx, keyLogCallback);
    }
    return c;
}

Result<std::shared_ptr<TlsContext>> TlsContext::server(const ServerOptions &options)
{
    std::shared_ptr<TlsContext> c(new TlsContext);
    c->m_ctx = SSL_CTX_new(TLS_server_method());
    if (!c->m_ctx)
        return Error{"tls.context", "cannot create a TLS server context: " + opensslErrors()};
    SSL_CTX_set_alpn_select_cb(c->m_ctx, selectAlpn, nullptr);
    // Minted certificates change with the names; there is nothing to resume across them.
    SSL_CTX_set_session_cache_mode(c->m_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c->m_ctx, 0);
    c->m_keyLog = options.keyLog;
    if (c->m_keyLog) {
        SSL_CTX_set_app_data(c->m_ctx, c->m_keyLog.get());
        SSL_CTX_set_keylog_callback(c->m_ctx, keyLogCallback);
    }
    return c;
}

void TlsContext::loadSystemRoots() const
{
    std::call_once(m_systemRoots, [this] {
        // Adds the default file and directory to the store; failing leaves the other roots in
        // place, and the verification of a server then says what was missing.
        if (SSL_CTX_set_default_verify_paths(m_ctx) != 1)
            ERR_clear_error();
    });
}

TlsContext::~TlsContext()
{
    SSL_CTX_free(m_ctx);
}

// ------------------------------------------------------------------------------ TlsSession

Result<std::unique_ptr<TlsSession>> TlsSession::client(std::shared_ptr<TlsContext> context,
                                                       const ClientParams &params, MonoTime now)
{
    ERR_clear_error();
    std::unique_ptr<TlsSession> s(new TlsSession);
    s->m_context = std::move(context);
    s->m_isClient = true;
    s->m_verify = params.verify;
    s->m_started = now;
    s->m_details.sni = params.sni;
    s->m_details.alpnOffered = params.alpn;
    s->m_ssl = SSL_new(s->m_context->get());
    if (!s->m_ssl)
        return Error{"tls.session", "cannot create a TLS session: " + opensslErrors()};
    s->m_in = BIO_new(BIO_s_mem());
    s->m_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->m_in, -1);
    SSL_set_bio(s->m_ssl, s->m_in, s->m_out);
    SSL_set_app_data(s->m_ssl, s.get());
    SSL_set_connect_state(s->m_ssl);
    if (!params.sni.empty())
        SSL_set_tlsext_host_name(s->m_ssl, params.sni.c_str());
    if (!params.verifyName.empty()) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(s->m_ssl);
        if (isIpLiteral(params.verifyName))
            X509_VERIFY_PARAM_set1_ip_asc(vp, params.verifyName.c_str());
        else
            SSL_set1_host(s->m_ssl, params.verifyName.c_str());
    }
    const std::string wire = alpnWire(params.alpn);
    if (!wire.empty())
        SSL_set_alpn_protos(s->m_ssl, reinterpret_cast<const unsigned char *>(wire.data()),
                            unsigned(wire.size()));
    s->pump(nullptr, now); // writes the ClientHello
    if (s->failed())
        return Error{"tls.handshake", s->m_error};
    return s;
}

Result<std::unique_ptr<TlsSession>> TlsSession::server(std::shared_ptr<TlsContext> context,
                                                       const ServerParams &params, MonoTime now)
{
    ERR_clear_error();
    std::unique_ptr<TlsSession> s(new TlsSession);
    s->m_context = std::move(context);
    s->m_certificate = params.certificate;
    s->m_alpnAccept = params.alpnAccept;
    s->m_started = now;
    s->m_ssl = SSL_new(s->m_context->get());
    if (!s->m_ssl)
        return Error{"tls.session", "cannot create a TLS session: " + opensslErrors()};
    if (SSL_use_certificate(s->m_ssl, params.certificate->certificate()) != 1
        || SSL_use_PrivateKey(s->m_ssl, params.certificate->key()) != 1)
        return Error{"tls.certificate", "cannot use the minted certificate: " + opensslErrors()};
    if (X509 *issuer = params.certificate->issuer())
        SSL_add1_chain_cert(s->m_ssl, issuer);
    s->m_in = BIO_new(BIO_s_mem());
    s->m_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->m_in, -1);
    SSL_set_bio(s->m_ssl, s->m_in, s->m_out);
    SSL_set_app_data(s->m_ssl, s.get());
    SSL_set_accept_state(s->m_ssl);
    return s;
}

TlsSession::~TlsSession()
{
    SSL_free(m_ssl); // frees the BIOs too
}

void TlsSession::receive(std::string_view ciphertext, std::string &plaintext, MonoTime now)
{
    if (failed())
        return;
    if (!ciphertext.empty())
        BIO_write(m_in, ciphertext.data(), int(ciphertext.size()));
    pump(&plaintext, now);
}

void TlsSession::send(std::string_view plaintext)
{
    if (failed() || plaintext.empty())
        return;
    if (!m_handshakeDone) {
        m_pendingPlaintext.append(plaintext);
        return;
    }
    ERR_clear_error();
    std::size_t written = 0;
    if (SSL_write_ex(m_ssl, plaintext.data(), plaintext.size(), &written) != 1)
        fail("TLS write failed: " + opensslErrors());
}

void TlsSession::shutdown()
{
    if (m_ssl && m_handshakeDone && !failed()) {
        ERR_clear_error();
        SSL_shutdown(m_ssl);
    }
}

std::string TlsSession::takeCiphertext()
{
    std::string out;
    const std::size_t pending = BIO_ctrl_pending(m_out);
    if (pending == 0)
        return out;
    out.resize(pending);
    const int n = BIO_read(m_out, out.data(), int(pending));
    out.resize(n > 0 ? std::size_t(n) : 0);
    return out;
}

bool TlsSession::hasCiphertext() const
{
    return BIO_ctrl_pending(m_out) > 0;
}

void TlsSession::pump(std::string *plaintext, MonoTime now)
{
    ERR_clear_error();
    if (!m_handshakeDone) {
        const int r = SSL_do_handshake(m_ssl);
        if (r == 1) {
            onHandshakeDone(now);
        } else {
            const int e = SSL_get_error(m_ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                const unsigned long first = ERR_peek_error();
                if (!m_isClient && isCertificateRejection(first))
                    m_peerRejectedCertificate = true;
                std::string why = opensslErrors();
                if (why.empty())
                    why = e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL
                              ? "the peer ended the handshake"
                              : "error " + std::to_string(e);
                fail("TLS handshake failed: " + why);
                return;
            }
            return;
        }
    }
    flushPending();
    if (!plaintext)
        return;
    char buf[16 * 1024];
    for (;;) {
        std::size_t n = 0;
        if (SSL_read_ex(m_ssl, buf, sizeof buf, &n) == 1) {
            plaintext->append(buf, n);
            continue;
        }
        const int e = SSL_get_error(m_ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            m_peerClosed = true;
            break;
        }
        fail("TLS read failed: " + opensslErrors());
        break;
    }
}

void TlsSession::flushPending()
{
    if (m_pendingPlaintext.empty())
        return;
    std::string pending = std::move(m_pendingPlaintext);
    m_pendingPlaintext.clear();
    send(pending);
}

void TlsSession::fail(const std::string &what)
{
    if (m_error.empty())
        m_error = what;
}

void TlsSession::onHandshakeDone(MonoTime now)
{
    m_handshakeDone = true;
    m_details.handshakeMicros = now - m_started;
    m_details.version = SSL_get_version(m_ssl);
    m_details.cipher = SSL_get_cipher_name(m_ssl);
    const unsigned char *alpn = nullptr;
    unsigned int alpnLength = 0;
    SSL_get0_alpn_selected(m_ssl, &alpn, &alpnLength);
    m_details.alpn.assign(reinterpret_cast<const char *>(alpn), alpnLength);
    if (!m_isClient) {
        if (const char *name = SSL_get_servername(m_ssl, TLSEXT_NAMETYPE_host_name))
            m_details.sni = name;
        return;
    }
    if (STACK_OF(X509) *chain = SSL_get_peer_cert_chain(m_ssl))
        for (int i = 0; i < sk_X509_num(chain); ++i)
            m_details.peerChain.push_back(describe(sk_X509_value(chain, i)));
    const long result = SSL_get_verify_result(m_ssl);
    m_details.verified = result == X509_V_OK && !m_details.peerChain.empty();
    if (!m_details.verified)
        m_details.verifyError = m_details.peerChain.empty()
                                    ? std::string("the server sent no certificate")
                                    : std::string(X509_verify_cert_error_string(result));
}

} // namespace ts::tls
