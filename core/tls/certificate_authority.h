#pragma once

#include "core/base/result.h"
#include "core/tls/certificate_info.h"

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

using X509 = struct x509_st;
using EVP_PKEY = struct evp_pkey_st;

namespace ts::tls {

class CertificateAuthority;

// A certificate minted for intercepted hosts, with the private key that goes with it. Immutable
// and shared between sessions on any thread.
class LeafCertificate
{
public:
    ~LeafCertificate();
    LeafCertificate(const LeafCertificate &) = delete;
    LeafCertificate &operator=(const LeafCertificate &) = delete;

    // Owned by this object; valid as long as it lives. Pass to SSL_use_certificate and friends,
    // which take their own references.
    X509 *certificate() const { return m_certificate; }
    EVP_PKEY *key() const { return m_key; }
    X509 *issuer() const { return m_issuer; } // the CA certificate, for the chain

    std::string pem() const;      // the leaf certificate
    std::string chainPem() const; // leaf, then the CA
    std::string der() const;      // the leaf certificate, DER
    // The leaf private key (PKCS#8 PEM), for handing to GnuTLS (QUIC) in process only.
    std::string keyPem() const;
    CertificateInfo info() const;

private:
    friend class CertificateAuthority;
    LeafCertificate(X509 *certificate, EVP_PKEY *key, X509 *issuer); // adopts all three

    X509 *m_certificate = nullptr;
    EVP_PKEY *m_key = nullptr;
    X509 *m_issuer = nullptr;
};

// The interception CA: one EC P-256 key and self-signed certificate kept in a directory
// (ca.pem, ca-key.pem mode 0600), and the leaf certificates it mints per host, cached.
// Thread-safe: leafFor and the accessors may be called from any thread at the same time.
// See README.md "Certificate authority" for the certificate profiles and the decisions.
class CertificateAuthority
{
public:
    static constexpr std::size_t kLeafCacheCapacity = 1000; // leaves kept, least recently used out
    static constexpr std::size_t kMaxLeafNames = 256; // SAN entries per leaf; the rest dropped
    static constexpr int kCaValidityDays = 3652;      // ~10 years
    static constexpr int kLeafValidityDays = 397;     // CA/Browser Forum and Chromium: <= 398

    // Opens the CA in `directory` (created 0700, with missing parents, if it does not exist):
    // ca.pem and ca-key.pem. Creates a new CA when neither file exists. A key file open to
    // group or others is set back to 0600 (see notices()). A broken, missing or mismatched file
    // is an error that names it; nothing is overwritten then.
    static Result<std::unique_ptr<CertificateAuthority>> openOrCreate(const std::string &directory);

    ~CertificateAuthority();
    CertificateAuthority(const CertificateAuthority &) = delete;
    CertificateAuthority &operator=(const CertificateAuthority &) = delete;

    // A new CA key, certificate and leaf key, replacing the files; the leaf cache is emptied.
    // On failure the CA in use stays as it was.
    Result<void> regenerate();

    std::string certificatePem() const;
    std::string certificateDer() const;
    // Writes the CA certificate (never the key): DER for ".der" and ".cer", PEM otherwise
    // (".pem", ".crt": what update-ca-certificates, Firefox and Chromium import).
    Result<void> exportCertificate(const std::string &path) const;
    CertificateInfo info() const;
    std::string directory() const { return m_directory; }
    // Things openOrCreate repaired or wants said (a key file mode fixed, a CA near expiry),
    // one line each, for the log.
    std::vector<std::string> notices() const;

    // A leaf certificate for `names`: the first is the host the client asked for and becomes
    // the subject CN; the rest (e.g. mirrored from the real server's certificate) follow in the
    // SAN. Each name is a DNS name (a leading "*." wildcard allowed) or an IP literal (IPv6 with
    // or without brackets). Names are normalised (lower case, no trailing dot, canonical IP
    // text) and de-duplicated; an invalid first name is an error, invalid extra names are
    // dropped. Cached by the normalised name *set*, so the same names in another order give the
    // same object (whose CN is the first name of the call that minted it).
    Result<std::shared_ptr<const LeafCertificate>> leafFor(const std::vector<std::string> &names);
    std::size_t cachedLeafCount() const;

    // The current CA certificate and key. They stay valid as long as this object lives, even
    // across regenerate() (then they are the previous CA's).
    X509 *certificate() const;
    EVP_PKEY *key() const;

    struct Signer; // the CA certificate and key, the leaf key, precomputed key identifiers

private:
    CertificateAuthority() = default;
    std::shared_ptr<const Signer> signer() const;
    void install(std::shared_ptr<const Signer> signer); // caller holds m_mutex

    using Lru = std::list<std::pair<std::string, std::shared_ptr<const LeafCertificate>>>;

    std::string m_directory;
    std::vector<std::string> m_notices;

    std::mutex m_fileMutex;     // one regenerate() at a time, so the files stay a pair
    mutable std::mutex m_mutex; // guards everything below
    std::shared_ptr<const Signer> m_signer;
    std::vector<std::shared_ptr<const Signer>> m_retired; // keeps certificate()/key() valid
    Lru m_lru;                                            // most recently used first
    std::unordered_map<std::string, Lru::iterator> m_cache;
};

} // namespace ts::tls
