#include "core/tls/certificate_authority.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace ts::tls {

namespace {

constexpr const char *kCertificateFile = "ca.pem";
constexpr const char *kKeyFile = "ca-key.pem";
constexpr long kDay = 24 * 60 * 60;
constexpr std::size_t kMaxCommonName = 64;           // ub-common-name, RFC 5280
constexpr std::size_t kMaxCertificateFile = 1 << 20; // a CA file is a few KiB
constexpr std::size_t kMaxKeyFile = 64 << 10;

struct Free
{
    void operator()(X509 *p) const { X509_free(p); }
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
    void operator()(BIO *p) const { BIO_free(p); }
    void operator()(X509_NAME *p) const { X509_NAME_free(p); }
    void operator()(BIGNUM *p) const { BN_free(p); }
    // ASN1_INTEGER, ASN1_OCTET_STRING and ASN1_BIT_STRING are all this one type.
    void operator()(ASN1_STRING *p) const { ASN1_STRING_free(p); }
    void operator()(BASIC_CONSTRAINTS *p) const { BASIC_CONSTRAINTS_free(p); }
    void operator()(AUTHORITY_KEYID *p) const { AUTHORITY_KEYID_free(p); }
    void operator()(GENERAL_NAMES *p) const { GENERAL_NAMES_free(p); }
    void operator()(GENERAL_NAME *p) const { GENERAL_NAME_free(p); }
    void operator()(EXTENDED_KEY_USAGE *p) const { EXTENDED_KEY_USAGE_free(p); }
    void operator()(X509_PUBKEY *p) const { X509_PUBKEY_free(p); }
};
template<typename T>
using Owned = std::unique_ptr<T, Free>;

// The thread's OpenSSL error queue as one line, emptied.
std::string opensslErrors()
{
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text.empty() ? std::string("no detail from OpenSSL") : text;
}

// Leaves the thread's OpenSSL error queue empty however the function returns: TLS code on the
// same worker thread reads SSL_get_error(), which a stale entry would turn into SSL_ERROR_SSL.
struct ClearErrorsOnExit
{
    ClearErrorsOnExit() { ERR_clear_error(); }
    ~ClearErrorsOnExit() { ERR_clear_error(); }
    ClearErrorsOnExit(const ClearErrorsOnExit &) = delete;
    ClearErrorsOnExit &operator=(const ClearErrorsOnExit &) = delete;
};

// A name as given, fit for a one-line message.
std::string printable(const std::string &text)
{
    std::string out;
    for (const char c : text.substr(0, 256))
        out += c >= 0x20 && c < 0x7F ? c : '?';
    return out;
}

Error cryptoError(const std::string &what)
{
    return Error{"tls.ca.crypto", what + ": " + opensslErrors()};
}

Error ioError(const std::string &path, const std::string &what, int error = errno)
{
    return Error{"tls.ca.io", path + ": " + what + ": " + std::strerror(error)};
}

std::string joinPath(const std::string &directory, const char *name)
{
    return directory.empty() || directory.back() == '/' ? directory + name : directory + "/" + name;
}

std::string bioText(BIO *bio)
{
    char *data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, std::size_t(length)) : std::string();
}

std::string toPem(X509 *certificate)
{
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1)
        return {};
    return bioText(bio.get());
}

std::string toDer(X509 *certificate)
{
    const int length = i2d_X509(certificate, nullptr);
    if (length <= 0)
        return {};
    std::string der(std::size_t(length), '\0');
    auto *out = reinterpret_cast<unsigned char *>(der.data());
    i2d_X509(certificate, &out);
    return der;
}

// PKCS#8 PEM, unencrypted: the file's protection is its mode and its directory's.
std::string keyToPem(EVP_PKEY *key)
{
    Owned<BIO> bio(BIO_new(BIO_s_secmem()));
    if (!bio
        || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return bioText(bio.get());
}

void wipe(std::string &secret)
{
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

std::time_t toTime(const ASN1_TIME *t)
{
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

std::string dateText(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return text;
}

// ---- files -------------------------------------------------------------------------------

void syncDirectoryOf(const std::string &path)
{
    const auto slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// mkdir -p, new directories 0700 whatever the umask. Existing ones are left as they are.
Result<void> makeDirectories(const std::string &directory)
{
    if (directory.empty())
        return Error{"tls.ca.io", "no directory given for the certificate authority"};
    for (std::size_t end = 1; end <= directory.size(); ++end) {
        if (end != directory.size() && directory[end] != '/')
            continue;
        const std::string prefix = directory.substr(0, end);
        if (::mkdir(prefix.c_str(), 0700) == 0) {
            if (::chmod(prefix.c_str(), 0700) != 0)
                return ioError(prefix, "cannot set mode 0700");
        } else if (errno != EEXIST) {
            return ioError(prefix, "cannot create directory");
        }
    }
    struct stat st
    {
    };
    if (::stat(directory.c_str(), &st) != 0)
        return ioError(directory, "cannot open directory");
    if (!S_ISDIR(st.st_mode))
        return Error{"tls.ca.io", directory + ": not a directory"};
    return {};
}

// Writes `data` to a new temporary file beside `path` (created 0600 with O_EXCL by mkostemp,
// then given `mode`), synced. Returns the temporary's name.
Result<std::string> writeTemporary(const std::string &path, std::string_view data, mode_t mode)
{
    std::string name = path + ".XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        return ioError(path, "cannot create a temporary file beside it");
    auto fail = [&](const char *what) -> Result<std::string> {
        const int error = errno;
        ::close(fd);
        ::unlink(name.c_str());
        return ioError(name, what, error);
    };
    if (mode != 0600 && ::fchmod(fd, mode) != 0)
        return fail("cannot set the file mode");
    for (std::size_t done = 0; done < data.size();) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail("cannot write");
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0)
        return fail("cannot sync");
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(name.c_str());
        return ioError(name, "cannot write", error);
    }
    return name;
}

// Moves a temporary into place. Without `replace`, an existing file wins (link() fails with
// EEXIST) and the temporary is dropped: two first runs at once do not overwrite each other.
Result<void> commit(const std::string &temporary, const std::string &path, bool replace)
{
    if (replace) {
        if (::rename(temporary.c_str(), path.c_str()) != 0) {
            const int error = errno;
            ::unlink(temporary.c_str());
            return ioError(path, "cannot replace", error);
        }
    } else {
        const int linked = ::link(temporary.c_str(), path.c_str());
        const int error = errno;
        ::unlink(temporary.c_str());
        if (linked != 0)
            return error == EEXIST ? Error{"tls.ca.exists", path + ": appeared meanwhile"}
                                   : ioError(path, "cannot create", error);
    }
    syncDirectoryOf(path);
    return {};
}

Result<void> writeFile(const std::string &path, std::string_view data, mode_t mode)
{
    auto temporary = writeTemporary(path, data, mode);
    if (!temporary)
        return temporary.error();
    return commit(*temporary, path, true);
}

Result<std::string> readAll(int fd, const std::string &path, std::size_t limit)
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ioError(path, "cannot read");
        if (n == 0)
            return data;
        data.append(buffer, std::size_t(n));
        if (data.size() > limit) {
            wipe(data);
            return Error{"tls.ca.corrupt", path + ": too large for a certificate or key file"};
        }
    }
}

bool exists(const std::string &path)
{
    struct stat st
    {
    };
    return ::lstat(path.c_str(), &st) == 0;
}

// ---- keys and certificates ----------------------------------------------------------------

Owned<EVP_PKEY> newP256Key()
{
    return Owned<EVP_PKEY>(EVP_EC_gen("P-256"));
}

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
std::vector<unsigned char> keyIdentifier(EVP_PKEY *key)
{
    X509_PUBKEY *raw = nullptr;
    if (X509_PUBKEY_set(&raw, key) != 1)
        return {};
    Owned<X509_PUBKEY> pub(raw);
    const unsigned char *bits = nullptr;
    int length = 0;
    if (X509_PUBKEY_get0_param(nullptr, &bits, &length, nullptr, pub.get()) != 1)
        return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLength = 0;
    if (EVP_Digest(bits, std::size_t(length), digest, &digestLength, EVP_sha1(), nullptr) != 1)
        return {};
    return {digest, digest + digestLength};
}

// A positive serial of at most 127 bits from the CSPRNG, never zero (RFC 5280 4.1.2.2; the
// CA/Browser Forum asks for at least 64 random bits).
bool setRandomSerial(X509 *certificate)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return false;
    bytes[0] &= 0x7F;
    bytes[15] |= 0x01;
    Owned<BIGNUM> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn)
        return false;
    Owned<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    return serial && X509_set_serialNumber(certificate, serial.get()) == 1;
}

bool addExtension(X509 *certificate, int nid, void *value, bool critical)
{
    return X509_add1_ext_i2d(certificate, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1;
}

bool addBasicConstraints(X509 *certificate, bool ca)
{
    Owned<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
    if (!bc)
        return false;
    bc->ca = ca ? 0xFF : 0;
    if (ca) {
        bc->pathlen = ASN1_INTEGER_new(); // pathlen:0, freed with bc
        if (!bc->pathlen || ASN1_INTEGER_set(bc->pathlen, 0) != 1)
            return false;
    }
    return addExtension(certificate, NID_basic_constraints, bc.get(), true);
}

bool addKeyUsage(X509 *certificate, std::initializer_list<int> bits)
{
    Owned<ASN1_BIT_STRING> usage(ASN1_BIT_STRING_new());
    if (!usage)
        return false;
    for (const int bit : bits)
        if (ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1)
            return false;
    return addExtension(certificate, NID_key_usage, usage.get(), true);
}

bool addKeyIdentifiers(X509 *certificate, const std::vector<unsigned char> &subjectKeyId,
                       const std::vector<unsigned char> &authorityKeyId)
{
    Owned<ASN1_OCTET_STRING> ski(ASN1_OCTET_STRING_new());
    if (!ski || subjectKeyId.empty()
        || ASN1_OCTET_STRING_set(ski.get(), subjectKeyId.data(), int(subjectKeyId.size())) != 1
        || !addExtension(certificate, NID_subject_key_identifier, ski.get(), false))
        return false;
    if (authorityKeyId.empty())
        return true;
    Owned<AUTHORITY_KEYID> aki(AUTHORITY_KEYID_new());
    if (!aki || !(aki->keyid = ASN1_OCTET_STRING_new())
        || ASN1_OCTET_STRING_set(aki->keyid, authorityKeyId.data(), int(authorityKeyId.size()))
               != 1)
        return false;
    return addExtension(certificate, NID_authority_key_identifier, aki.get(), false);
}

bool addNameEntry(X509_NAME *name, const char *field, const std::string &value)
{
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char *>(value.data()),
                                      int(value.size()), -1, 0)
           == 1;
}

// Ed25519/Ed448 sign without a separate digest; everything else with SHA-256.
const EVP_MD *digestFor(EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? nullptr : EVP_sha256();
}

std::string machineName()
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    std::string name;
    for (const char *p = host; *p; ++p)
        if (std::isalnum(static_cast<unsigned char>(*p)) || *p == '-' || *p == '.' || *p == '_')
            name += *p;
    return name.empty() ? std::string("unknown host") : name;
}

Result<Owned<X509>> makeCaCertificate(EVP_PKEY *key)
{
    Owned<X509> ca(X509_new());
    if (!ca)
        return cryptoError("cannot create the CA certificate");
    const std::time_t now = std::time(nullptr);
    const std::string prefix = "Tunnelscope CA (";
    std::string host = machineName();
    host.resize(std::min(host.size(), kMaxCommonName - prefix.size() - 1));
    Owned<X509_NAME> subject(X509_NAME_new());
    const auto keyId = keyIdentifier(key);
    // OU tells an old CA from a regenerated one in a trust store's list.
    if (!subject || !addNameEntry(subject.get(), "O", "Tunnelscope")
        || !addNameEntry(subject.get(), "OU", "created " + dateText(now))
        || !addNameEntry(subject.get(), "CN", prefix + host + ")")
        || X509_set_version(ca.get(), X509_VERSION_3) != 1 || !setRandomSerial(ca.get())
        || X509_set_subject_name(ca.get(), subject.get()) != 1
        || X509_set_issuer_name(ca.get(), subject.get()) != 1
        || !ASN1_TIME_set(X509_getm_notBefore(ca.get()), now - kDay)
        || !ASN1_TIME_set(X509_getm_notAfter(ca.get()),
                          now - kDay + std::time_t(CertificateAuthority::kCaValidityDays) * kDay)
        || X509_set_pubkey(ca.get(), key) != 1 || !addBasicConstraints(ca.get(), true)
        || !addKeyUsage(ca.get(), {5, 6}) // keyCertSign, cRLSign
        || !addKeyIdentifiers(ca.get(), keyId, keyId)
        || X509_sign(ca.get(), key, digestFor(key)) <= 0)
        return cryptoError("cannot create the CA certificate");
    return ca;
}

// ---- names --------------------------------------------------------------------------------

struct LeafName
{
    std::string text; // normalised
    bool ip = false;
};

bool validDnsName(const std::string &name)
{
    if (name.empty() || name.size() > 253)
        return false;
    std::size_t labels = 0;
    std::size_t start = 0;
    for (;;) {
        const auto dot = name.find('.', start);
        const std::string_view label(name.data() + start,
                                     (dot == std::string::npos ? name.size() : dot) - start);
        if (label.empty() || label.size() > 63)
            return false;
        if (label == "*") {
            if (labels != 0) // a wildcard is the whole leftmost label only
                return false;
        } else {
            for (const char c : label)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
                    return false;
        }
        ++labels;
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    // "*.com" would be refused by every client anyway; ask for two labels under a wildcard.
    return name.rfind("*.", 0) != 0 || labels >= 3;
}

std::optional<LeafName> normaliseName(std::string_view raw)
{
    while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t'))
        raw.remove_prefix(1);
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t'))
        raw.remove_suffix(1);
    const bool bracketed = raw.size() > 2 && raw.front() == '[' && raw.back() == ']';
    if (bracketed)
        raw = raw.substr(1, raw.size() - 2);
    const std::string text(raw);
    unsigned char address[16];
    char canonical[INET6_ADDRSTRLEN] = {};
    if (text.find(':') != std::string::npos) {
        if (::inet_pton(AF_INET6, text.c_str(), address) != 1
            || !::inet_ntop(AF_INET6, address, canonical, sizeof canonical))
            return std::nullopt;
        return LeafName{canonical, true};
    }
    if (bracketed)
        return std::nullopt;
    if (::inet_pton(AF_INET, text.c_str(), address) == 1
        && ::inet_ntop(AF_INET, address, canonical, sizeof canonical))
        return LeafName{canonical, true};
    std::string dns = text;
    if (!dns.empty() && dns.back() == '.')
        dns.pop_back();
    for (char &c : dns)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    if (!validDnsName(dns))
        return std::nullopt;
    return LeafName{dns, false};
}

bool addSubjectAltNames(X509 *certificate, const std::vector<LeafName> &names)
{
    Owned<GENERAL_NAMES> san(sk_GENERAL_NAME_new_null());
    if (!san)
        return false;
    for (const LeafName &name : names) {
        Owned<GENERAL_NAME> entry(GENERAL_NAME_new());
        if (!entry)
            return false;
        if (name.ip) {
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name.text.c_str());
            if (!ip)
                return false;
            GENERAL_NAME_set0_value(entry.get(), GEN_IPADD, ip);
        } else {
            ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
            if (!dns || ASN1_STRING_set(dns, name.text.data(), int(name.text.size())) != 1) {
                ASN1_IA5STRING_free(dns);
                return false;
            }
            GENERAL_NAME_set0_value(entry.get(), GEN_DNS, dns);
        }
        if (sk_GENERAL_NAME_push(san.get(), entry.get()) <= 0)
            return false;
        entry.release();
    }
    return addExtension(certificate, NID_subject_alt_name, san.get(), false);
}

bool addServerAuth(X509 *certificate)
{
    Owned<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
    if (!eku || sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth)) <= 0)
        return false;
    return addExtension(certificate, NID_ext_key_usage, eku.get(), false);
}

} // namespace

// ---- Signer -------------------------------------------------------------------------------

// One CA generation: its certificate and key, the leaf key every leaf it signs shares (a fresh
// P-256 key per leaf would add ~0.1 ms for nothing: leaves never leave this process), and what
// each mint would otherwise recompute.
struct CertificateAuthority::Signer
{
    ~Signer()
    {
        X509_free(ca);
        EVP_PKEY_free(caKey);
        EVP_PKEY_free(leafKey);
    }

    X509 *ca = nullptr;
    EVP_PKEY *caKey = nullptr;
    EVP_PKEY *leafKey = nullptr;
    std::vector<unsigned char> caKeyId;
    std::vector<unsigned char> leafKeyId;
    std::time_t caNotBefore = 0;
    std::time_t caNotAfter = 0;
    std::string certificatePath; // for messages
};

namespace {

Result<std::shared_ptr<const CertificateAuthority::Signer>>
makeSigner(Owned<X509> ca, Owned<EVP_PKEY> caKey, const std::string &certificatePath)
{
    auto signer = std::make_shared<CertificateAuthority::Signer>();
    Owned<EVP_PKEY> leafKey = newP256Key();
    if (!leafKey)
        return cryptoError("cannot generate the leaf key");
    signer->leafKeyId = keyIdentifier(leafKey.get());
    // Leaves point at the CA's own subjectKeyIdentifier when it has one (a CA made elsewhere
    // may have used another method than a SHA-1 of the key).
    if (const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca.get())) {
        const unsigned char *data = ASN1_STRING_get0_data(ski);
        signer->caKeyId.assign(data, data + ASN1_STRING_length(ski));
    } else {
        signer->caKeyId = keyIdentifier(caKey.get());
    }
    if (signer->leafKeyId.empty() || signer->caKeyId.empty())
        return cryptoError("cannot compute key identifiers");
    signer->caNotBefore = toTime(X509_get0_notBefore(ca.get()));
    signer->caNotAfter = toTime(X509_get0_notAfter(ca.get()));
    signer->certificatePath = certificatePath;
    // Fill OpenSSL's cached extension data now, before other threads share the certificate.
    X509_check_purpose(ca.get(), -1, 0);
    signer->ca = ca.release();
    signer->caKey = caKey.release();
    signer->leafKey = leafKey.release();
    return std::shared_ptr<const CertificateAuthority::Signer>(std::move(signer));
}

} // namespace

// ---- LeafCertificate ----------------------------------------------------------------------

LeafCertificate::LeafCertificate(X509 *certificate, EVP_PKEY *key, X509 *issuer)
    : m_certificate(certificate), m_key(key), m_issuer(issuer)
{}

LeafCertificate::~LeafCertificate()
{
    X509_free(m_certificate);
    EVP_PKEY_free(m_key);
    X509_free(m_issuer);
}

std::string LeafCertificate::pem() const
{
    return toPem(m_certificate);
}

std::string LeafCertificate::chainPem() const
{
    return toPem(m_certificate) + toPem(m_issuer);
}

std::string LeafCertificate::der() const
{
    return toDer(m_certificate);
}

std::string LeafCertificate::keyPem() const
{
    return keyToPem(m_key);
}

CertificateInfo LeafCertificate::info() const
{
    return describe(m_certificate);
}

namespace {

Result<Owned<X509>> mint(const CertificateAuthority::Signer &s, const std::vector<LeafName> &names,
                         std::time_t now)
{
    if (s.caNotAfter <= now)
        return Error{"tls.ca.expired", s.certificatePath + ": the CA certificate expired on "
                                           + dateText(s.caNotAfter) + "; regenerate it"};
    // A day back for clients whose clocks are behind; never outside the CA's own validity.
    const std::time_t notBefore = std::max(now - kDay, s.caNotBefore);
    const std::time_t notAfter = std::min(
        notBefore + std::time_t(CertificateAuthority::kLeafValidityDays) * kDay, s.caNotAfter);

    Owned<X509> leaf(X509_new());
    Owned<X509_NAME> subject(X509_NAME_new());
    if (!leaf || !subject)
        return cryptoError("cannot mint a certificate");
    const std::string &first = names.front().text;
    if (!addNameEntry(subject.get(), "CN", first.substr(0, kMaxCommonName))
        || X509_set_version(leaf.get(), X509_VERSION_3) != 1 || !setRandomSerial(leaf.get())
        || X509_set_subject_name(leaf.get(), subject.get()) != 1
        || X509_set_issuer_name(leaf.get(), X509_get_subject_name(s.ca)) != 1
        || !ASN1_TIME_set(X509_getm_notBefore(leaf.get()), notBefore)
        || !ASN1_TIME_set(X509_getm_notAfter(leaf.get()), notAfter)
        || X509_set_pubkey(leaf.get(), s.leafKey) != 1 || !addBasicConstraints(leaf.get(), false)
        || !addKeyUsage(leaf.get(), {0}) // digitalSignature: ECDHE signs, nothing is encrypted
        || !addServerAuth(leaf.get()) || !addKeyIdentifiers(leaf.get(), s.leafKeyId, s.caKeyId)
        || !addSubjectAltNames(leaf.get(), names)
        || X509_sign(leaf.get(), s.caKey, digestFor(s.caKey)) <= 0)
        return cryptoError("cannot mint a certificate for " + first);
    // Fill OpenSSL's cached extension data now, before other threads share the certificate.
    X509_check_purpose(leaf.get(), -1, 0);
    return leaf;
}

struct Loaded
{
    Owned<X509> ca;
    Owned<EVP_PKEY> key;
    std::vector<std::string> notices;
};

Result<Loaded> loadFiles(const std::string &certificatePath, const std::string &keyPath)
{
    Loaded loaded;

    // The key: never through a symlink, a regular file, 0600 (repaired, and said, if looser).
    const int keyFd = ::open(keyPath.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (keyFd < 0)
        return ioError(keyPath, "cannot open the CA key");
    struct stat st
    {
    };
    if (::fstat(keyFd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(keyFd);
        return Error{"tls.ca.corrupt", keyPath + ": not a regular file"};
    }
    if (st.st_mode & 07077) { // readable, writable or runnable by others, or set-id
        if (::fchmod(keyFd, 0600) != 0) {
            const int error = errno;
            ::close(keyFd);
            return ioError(keyPath,
                           "the CA key has mode " + std::to_string(st.st_mode & 07777)
                               + " and cannot be set to 0600; refusing to use it",
                           error);
        }
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        loaded.notices.push_back(keyPath + ": mode was " + mode + ", set to 0600");
    }
    auto keyText = readAll(keyFd, keyPath, kMaxKeyFile);
    ::close(keyFd);
    if (!keyText)
        return keyText.error();
    {
        Owned<BIO> bio(BIO_new_mem_buf(keyText->data(), int(keyText->size())));
        loaded.key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : nullptr);
        wipe(*keyText);
    }
    if (!loaded.key)
        return Error{"tls.ca.corrupt",
                     keyPath + ": not a PEM private key (" + opensslErrors() + ")"};

    const int certificateFd = ::open(certificatePath.c_str(), O_RDONLY | O_CLOEXEC);
    if (certificateFd < 0)
        return ioError(certificatePath, "cannot open the CA certificate");
    auto certificateText = readAll(certificateFd, certificatePath, kMaxCertificateFile);
    ::close(certificateFd);
    if (!certificateText)
        return certificateText.error();
    {
        Owned<BIO> bio(BIO_new_mem_buf(certificateText->data(), int(certificateText->size())));
        loaded.ca.reset(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    }
    if (!loaded.ca)
        return Error{"tls.ca.corrupt",
                     certificatePath + ": not a PEM certificate (" + opensslErrors() + ")"};
    if (X509_check_ca(loaded.ca.get()) <= 0)
        return Error{"tls.ca.corrupt",
                     certificatePath + ": not a CA certificate (basicConstraints CA:TRUE)"};
    if (X509_check_private_key(loaded.ca.get(), loaded.key.get()) != 1) {
        ERR_clear_error();
        return Error{"tls.ca.mismatch", keyPath + " is not the key of the certificate in "
                                            + certificatePath
                                            + "; restore the pair or delete both for a new CA"};
    }
    const std::time_t notAfter = toTime(X509_get0_notAfter(loaded.ca.get()));
    const std::time_t now = std::time(nullptr);
    if (notAfter <= now)
        loaded.notices.push_back(certificatePath + ": the CA expired on " + dateText(notAfter)
                                 + "; regenerate it");
    else if (notAfter - now < 30 * kDay)
        loaded.notices.push_back(certificatePath + ": the CA expires on " + dateText(notAfter)
                                 + "; regenerate it soon");
    return loaded;
}

} // namespace

// ---- CertificateAuthority ------------------------------------------------------------------

CertificateAuthority::~CertificateAuthority() = default;

namespace {

// A new CA key and certificate, encoded for their files.
struct NewCa
{
    Owned<EVP_PKEY> key;
    Owned<X509> ca;
    std::string keyText; // PEM; wipe() once written
    std::string certificateText;
};

Result<NewCa> newCa()
{
    Owned<EVP_PKEY> key = newP256Key();
    if (!key)
        return cryptoError("cannot generate the CA key");
    auto ca = makeCaCertificate(key.get());
    if (!ca)
        return ca.error();
    NewCa fresh{std::move(key), std::move(*ca), {}, {}};
    fresh.keyText = keyToPem(fresh.key.get());
    fresh.certificateText = toPem(fresh.ca.get());
    if (fresh.keyText.empty() || fresh.certificateText.empty())
        return cryptoError("cannot encode the CA");
    return fresh;
}

} // namespace

Result<std::unique_ptr<CertificateAuthority>>
CertificateAuthority::openOrCreate(const std::string &directory)
{
    const ClearErrorsOnExit clearErrors;
    if (auto made = makeDirectories(directory); !made)
        return made.error();
    const std::string certificatePath = joinPath(directory, kCertificateFile);
    const std::string keyPath = joinPath(directory, kKeyFile);
    std::unique_ptr<CertificateAuthority> authority(new CertificateAuthority);
    authority->m_directory = directory;

    const bool haveCertificate = exists(certificatePath);
    const bool haveKey = exists(keyPath);
    if (!haveCertificate && !haveKey) {
        // First run: a new CA, the key written first. If another process got there first,
        // link() says so and its CA is loaded below instead.
        auto fresh = newCa();
        if (!fresh)
            return fresh.error();
        auto keyTemporary = writeTemporary(keyPath, fresh->keyText, 0600);
        wipe(fresh->keyText);
        if (!keyTemporary)
            return keyTemporary.error();
        auto keyCommitted = commit(*keyTemporary, keyPath, false);
        if (keyCommitted) {
            auto certificateTemporary
                = writeTemporary(certificatePath, fresh->certificateText, 0644);
            if (!certificateTemporary)
                return certificateTemporary.error();
            if (auto committed = commit(*certificateTemporary, certificatePath, false); !committed)
                return committed.error();
            auto signer = makeSigner(std::move(fresh->ca), std::move(fresh->key), certificatePath);
            if (!signer)
                return signer.error();
            authority->m_signer = std::move(*signer);
            return authority;
        }
        if (keyCommitted.error().code != "tls.ca.exists")
            return keyCommitted.error();
    } else if (!haveKey) {
        return Error{"tls.ca.missing", keyPath + ": missing, though " + certificatePath
                                           + " exists; restore it or delete both for a new CA"};
    } else if (!haveCertificate) {
        return Error{"tls.ca.missing", certificatePath + ": missing, though " + keyPath
                                           + " exists; restore it or delete both for a new CA"};
    }

    auto loaded = loadFiles(certificatePath, keyPath);
    if (!loaded)
        return loaded.error();
    authority->m_notices = std::move(loaded->notices);
    auto signer = makeSigner(std::move(loaded->ca), std::move(loaded->key), certificatePath);
    if (!signer)
        return signer.error();
    authority->m_signer = std::move(*signer);
    return authority;
}

Result<void> CertificateAuthority::regenerate()
{
    std::lock_guard fileLock(m_fileMutex);
    const ClearErrorsOnExit clearErrors;
    const std::string certificatePath = joinPath(m_directory, kCertificateFile);
    const std::string keyPath = joinPath(m_directory, kKeyFile);
    auto fresh = newCa();
    if (!fresh)
        return fresh.error();

    // Both files written aside first, so a failure leaves the old pair whole; then two renames.
    auto keyTemporary = writeTemporary(keyPath, fresh->keyText, 0600);
    wipe(fresh->keyText);
    if (!keyTemporary)
        return keyTemporary.error();
    auto certificateTemporary = writeTemporary(certificatePath, fresh->certificateText, 0644);
    if (!certificateTemporary) {
        ::unlink(keyTemporary->c_str());
        return certificateTemporary.error();
    }
    auto signer = makeSigner(std::move(fresh->ca), std::move(fresh->key), certificatePath);
    if (!signer) {
        ::unlink(keyTemporary->c_str());
        ::unlink(certificateTemporary->c_str());
        return signer.error();
    }
    if (auto committed = commit(*keyTemporary, keyPath, true); !committed) {
        ::unlink(certificateTemporary->c_str());
        return committed.error();
    }
    if (auto committed = commit(*certificateTemporary, certificatePath, true); !committed)
        return committed.error();

    std::lock_guard lock(m_mutex);
    m_retired.push_back(std::move(m_signer));
    m_signer = std::move(*signer);
    m_lru.clear();
    m_cache.clear();
    return {};
}

std::shared_ptr<const CertificateAuthority::Signer> CertificateAuthority::signer() const
{
    std::lock_guard lock(m_mutex);
    return m_signer;
}

std::string CertificateAuthority::certificatePem() const
{
    return toPem(signer()->ca);
}

std::string CertificateAuthority::certificateDer() const
{
    return toDer(signer()->ca);
}

Result<void> CertificateAuthority::exportCertificate(const std::string &path) const
{
    const ClearErrorsOnExit clearErrors;
    const auto slash = path.rfind('/');
    const auto dot = path.rfind('.');
    std::string extension;
    if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
        extension = path.substr(dot + 1);
    for (char &c : extension)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    const bool der = extension == "der" || extension == "cer";
    const std::string data = der ? certificateDer() : certificatePem();
    if (data.empty())
        return cryptoError("cannot encode the CA certificate");
    return writeFile(path, data, 0644);
}

CertificateInfo CertificateAuthority::info() const
{
    return describe(signer()->ca);
}

std::vector<std::string> CertificateAuthority::notices() const
{
    return m_notices;
}

X509 *CertificateAuthority::certificate() const
{
    return signer()->ca;
}

EVP_PKEY *CertificateAuthority::key() const
{
    return signer()->caKey;
}

std::size_t CertificateAuthority::cachedLeafCount() const
{
    std::lock_guard lock(m_mutex);
    return m_cache.size();
}

Result<std::shared_ptr<const LeafCertificate>>
CertificateAuthority::leafFor(const std::vector<std::string> &names)
{
    if (names.empty())
        return Error{"tls.ca.name", "no host name to mint a certificate for"};
    std::vector<LeafName> normalised;
    normalised.reserve(std::min(names.size(), kMaxLeafNames));
    for (std::size_t i = 0; i < names.size() && normalised.size() < kMaxLeafNames; ++i) {
        auto name = normaliseName(names[i]);
        if (!name) {
            if (i == 0)
                return Error{"tls.ca.name", "cannot mint a certificate for \"" + printable(names[0])
                                                + "\": not a host name or IP address"};
            continue; // a mirrored name we cannot use; the client asked for the first
        }
        const bool seen = std::any_of(normalised.begin(), normalised.end(),
                                      [&](const LeafName &n) { return n.text == name->text; });
        if (!seen)
            normalised.push_back(std::move(*name));
    }

    std::vector<std::string> sorted;
    sorted.reserve(normalised.size());
    for (const LeafName &n : normalised)
        sorted.push_back(n.text);
    std::sort(sorted.begin(), sorted.end());
    std::string key;
    for (const std::string &n : sorted) {
        key += n;
        key += '\n';
    }

    std::shared_ptr<const Signer> current;
    {
        std::lock_guard lock(m_mutex);
        if (auto hit = m_cache.find(key); hit != m_cache.end()) {
            m_lru.splice(m_lru.begin(), m_lru, hit->second);
            return hit->second->second;
        }
        current = m_signer;
    }

    // Minted outside the lock, so threads mint in parallel; signing only reads the keys.
    const ClearErrorsOnExit clearErrors;
    auto minted = mint(*current, normalised, std::time(nullptr));
    if (!minted)
        return minted.error();
    // The leaf key and the CA certificate are shared by reference count with every leaf.
    if (EVP_PKEY_up_ref(current->leafKey) != 1)
        return cryptoError("cannot keep the leaf key");
    Owned<EVP_PKEY> leafKey(current->leafKey);
    if (X509_up_ref(current->ca) != 1)
        return cryptoError("cannot keep the CA certificate");
    Owned<X509> issuer(current->ca);
    std::shared_ptr<const LeafCertificate> leaf(
        new LeafCertificate(minted->release(), leafKey.release(), issuer.release()));

    std::lock_guard lock(m_mutex);
    if (m_signer != current)
        return leaf; // regenerated meanwhile: not cached under the new CA
    if (auto hit = m_cache.find(key); hit != m_cache.end()) {
        // Another thread minted the same names meanwhile; everyone gets its leaf.
        m_lru.splice(m_lru.begin(), m_lru, hit->second);
        return hit->second->second;
    }
    m_lru.emplace_front(key, leaf);
    m_cache.emplace(std::move(key), m_lru.begin());
    if (m_lru.size() > kLeafCacheCapacity) {
        m_cache.erase(m_lru.back().first);
        m_lru.pop_back();
    }
    return leaf;
}

} // namespace ts::tls
