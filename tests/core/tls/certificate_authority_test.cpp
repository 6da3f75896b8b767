#include "core/tls/certificate_authority.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <thread>

using ts::tls::CertificateAuthority;
using ts::tls::LeafCertificate;
using namespace Qt::StringLiterals;

namespace {

constexpr std::int64_t kDayMillis = 24 * 3600 * 1000LL;

std::string dirOf(const QTemporaryDir &dir, const char *sub = nullptr)
{
    std::string path = dir.path().toStdString();
    if (sub)
        path += std::string("/") + sub;
    return path;
}

std::unique_ptr<CertificateAuthority> open(const std::string &directory)
{
    auto ca = CertificateAuthority::openOrCreate(directory);
    if (!ca.ok())
        qFatal("openOrCreate(%s): %s", directory.c_str(), ca.error().message.c_str());
    return std::move(*ca);
}

std::shared_ptr<const LeafCertificate> leaf(CertificateAuthority &ca,
                                            const std::vector<std::string> &names)
{
    auto l = ca.leafFor(names);
    if (!l.ok())
        qFatal("leafFor(%s): %s", names.front().c_str(), l.error().message.c_str());
    return *l;
}

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const std::string &path, const std::string &data)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

unsigned modeOf(const std::string &path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0)
        return 0xFFFF;
    return st.st_mode & 07777;
}

X509_EXTENSION *extension(X509 *x, int nid)
{
    const int at = X509_get_ext_by_NID(x, nid, -1);
    return at < 0 ? nullptr : X509_get_ext(x, at);
}

bool critical(X509 *x, int nid)
{
    X509_EXTENSION *e = extension(x, nid);
    return e && X509_EXTENSION_get_critical(e) == 1;
}

std::string octets(const ASN1_OCTET_STRING *s)
{
    return s ? std::string(reinterpret_cast<const char *>(ASN1_STRING_get0_data(s)),
                           std::size_t(ASN1_STRING_length(s)))
             : std::string();
}

// X509_verify_cert with only the CA trusted, for a TLS server, for `host` (name or IP).
int verify(X509 *ca, X509 *leafCert, const std::string &host, bool ip)
{
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  X509_STORE_free);
    X509_STORE_add_cert(store.get(), ca);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        X509_STORE_CTX_free);
    X509_STORE_CTX_init(ctx.get(), store.get(), leafCert, nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx.get());
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (X509_verify_cert(ctx.get()) == 1)
        return X509_V_OK;
    return X509_STORE_CTX_get_error(ctx.get());
}

// A CA made the way another tool would, to load: P-256, `days` of validity from `start`.
void writeForeignCa(const std::string &directory, std::time_t start, long days)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("Foreign Test CA"), -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    ASN1_TIME_set(X509_getm_notBefore(x), start);
    ASN1_TIME_set(X509_getm_notAfter(x), start + days * 86400);
    X509_set_pubkey(x, key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                              std::pair{NID_subject_key_identifier, "hash"}}) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, key, EVP_sha256());
    BIO *bio = BIO_new_file((directory + "/ca.pem").c_str(), "w");
    PEM_write_bio_X509(bio, x);
    BIO_free(bio);
    bio = BIO_new_file((directory + "/ca-key.pem").c_str(), "w");
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(bio);
    ::chmod((directory + "/ca-key.pem").c_str(), 0600);
    X509_free(x);
    EVP_PKEY_free(key);
}

} // namespace

// CertificateAuthority: files and modes, the CA and leaf certificate profiles, verification as
// a TLS client would, the leaf cache, regeneration, export, broken files, threads.
class CertificateAuthorityTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createdOnceThenReloaded();
    void modes();
    void looseKeyModeIsRepaired();
    void caProfile();
    void leafProfile_data();
    void leafProfile();
    void longNameTruncatedInCommonNameOnly();
    void badNames();
    void serialsAreUnique();
    void cacheIgnoresOrderAndCase();
    void cacheIsLeastRecentlyUsed();
    void regenerateReplacesCaAndEmptiesCache();
    void exportFormats();
    void brokenFilesNameTheFile_data();
    void brokenFilesNameTheFile();
    void foreignCaCapsLeafValidity();
    void expiredCaRefusesToMint();
    void concurrentLeafFor();
    void mintTime();
};

void CertificateAuthorityTest::createdOnceThenReloaded()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp, "ca");
    std::string fingerprint;
    std::string keyFile;
    {
        auto ca = open(dir);
        fingerprint = ca->info().sha256;
        keyFile = readFile(dir + "/ca-key.pem");
        QVERIFY(!fingerprint.empty());
        QVERIFY(ca->notices().empty());
        QCOMPARE(ca->directory(), dir);
        QCOMPARE(readFile(dir + "/ca.pem"), ca->certificatePem());
        QVERIFY(keyFile.find("-----BEGIN PRIVATE KEY-----") == 0);
    }
    auto again = open(dir);
    QCOMPARE(again->info().sha256, fingerprint);
    QCOMPARE(readFile(dir + "/ca-key.pem"), keyFile); // not rewritten
    QCOMPARE(X509_check_private_key(again->certificate(), again->key()), 1);
    QVERIFY(again->notices().empty());
}

void CertificateAuthorityTest::modes()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp, "config/tunnelscope");
    const mode_t old = ::umask(0); // the modes must not depend on the umask
    auto ca = CertificateAuthority::openOrCreate(dir);
    ::umask(old);
    QVERIFY(ca.ok());
    QCOMPARE(modeOf(dir), 0700u);
    QCOMPARE(modeOf(dirOf(tmp, "config")), 0700u);
    QCOMPARE(modeOf(dir + "/ca-key.pem"), 0600u);
    QCOMPARE(modeOf(dir + "/ca.pem"), 0644u);
    QVERIFY((*ca)->regenerate().ok());
    QCOMPARE(modeOf(dir + "/ca-key.pem"), 0600u);
    // Nothing else is left behind (no temporaries).
    QCOMPARE(QDir(QString::fromStdString(dir)).entryList(QDir::Files | QDir::Hidden).size(), 2);
}

void CertificateAuthorityTest::looseKeyModeIsRepaired()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp);
    const std::string fingerprint = open(dir)->info().sha256;
    QCOMPARE(::chmod((dir + "/ca-key.pem").c_str(), 0644), 0);
    auto ca = open(dir);
    QCOMPARE(modeOf(dir + "/ca-key.pem"), 0600u);
    QCOMPARE(ca->info().sha256, fingerprint);
    QCOMPARE(ca->notices().size(), std::size_t(1));
    QVERIFY(ca->notices()[0].find("0644") != std::string::npos);
    QVERIFY(ca->notices()[0].find("ca-key.pem") != std::string::npos);

    // Stricter than 0600 is fine as it is.
    QCOMPARE(::chmod((dir + "/ca-key.pem").c_str(), 0400), 0);
    auto readOnly = open(dir);
    QCOMPARE(modeOf(dir + "/ca-key.pem"), 0400u);
    QVERIFY(readOnly->notices().empty());
}

void CertificateAuthorityTest::caProfile()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    X509 *x = ca->certificate();
    const auto info = ca->info();
    QVERIFY(info.isCa);
    QCOMPARE(info.keyType, std::string("EC P-256"));
    QCOMPARE(info.subject, info.issuer);
    QVERIFY(info.subject.find("CN=Tunnelscope CA (") != std::string::npos);
    QVERIFY(info.subject.find("O=Tunnelscope") != std::string::npos);
    QCOMPARE(X509_get_version(x), long(X509_VERSION_3));
    QCOMPARE(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    QCOMPARE(X509_verify(x, X509_get0_pubkey(x)), 1); // self-signed

    // basicConstraints critical CA:TRUE pathlen:0
    QVERIFY(critical(x, NID_basic_constraints));
    QVERIFY(X509_get_extension_flags(x) & EXFLAG_CA);
    QCOMPARE(X509_get_pathlen(x), 0L);
    // keyUsage critical keyCertSign + cRLSign, nothing else
    QVERIFY(critical(x, NID_key_usage));
    QCOMPARE(X509_get_key_usage(x), std::uint32_t(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    QVERIFY(X509_get0_subject_key_id(x));
    QCOMPARE(octets(X509_get0_authority_key_id(x)), octets(X509_get0_subject_key_id(x)));
    QVERIFY(!extension(x, NID_ext_key_usage)); // no EKU on the root: it would constrain leaves

    // ~10 years, starting a day back
    const std::int64_t now = std::int64_t(std::time(nullptr)) * 1000;
    QVERIFY(std::abs(info.notBefore - (now - kDayMillis)) < 60'000);
    QCOMPARE((info.notAfter - info.notBefore) / kDayMillis, std::int64_t(3652));
    QCOMPARE(info.serialHex.size() <= 32, true);

    // The key is P-256 on the named curve (what every client accepts).
    char group[64] = {};
    std::size_t len = 0;
    QVERIFY(EVP_PKEY_get_utf8_string_param(ca->key(), "group", group, sizeof group, &len));
    QCOMPARE(std::string(group), std::string("prime256v1"));
}

void CertificateAuthorityTest::leafProfile_data()
{
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QStringList>("dns");
    QTest::addColumn<QStringList>("ips");
    QTest::addColumn<QString>("cn");

    QTest::newRow("dns") << QStringList{u"Example.COM."_s} << QStringList{u"example.com"_s}
                         << QStringList{} << u"example.com"_s;
    QTest::newRow("ipv4") << QStringList{u"192.0.2.7"_s} << QStringList{}
                          << QStringList{u"192.0.2.7"_s} << u"192.0.2.7"_s;
    QTest::newRow("ipv6") << QStringList{u"[2001:DB8:0:0::1]"_s} << QStringList{}
                          << QStringList{u"2001:db8::1"_s} << u"2001:db8::1"_s;
    QTest::newRow("ipv6 loopback")
        << QStringList{u"::1"_s} << QStringList{} << QStringList{u"::1"_s} << u"::1"_s;
    // The client asked for www.example.org; the real server's certificate also named these.
    QTest::newRow("mirrored") << QStringList{u"www.example.org"_s, u"example.org"_s,
                                             u"*.example.org"_s,   u"WWW.example.org"_s,
                                             u"192.0.2.1"_s,       u"2001:db8::2"_s,
                                             u"bad name"_s,        u"*.org"_s}
                              << QStringList{u"www.example.org"_s, u"example.org"_s,
                                             u"*.example.org"_s}
                              << QStringList{u"192.0.2.1"_s, u"2001:db8::2"_s}
                              << u"www.example.org"_s;
}

void CertificateAuthorityTest::leafProfile()
{
    QFETCH(QStringList, names);
    QFETCH(QStringList, dns);
    QFETCH(QStringList, ips);
    QFETCH(QString, cn);

    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    std::vector<std::string> request;
    for (const QString &n : names)
        request.push_back(n.toStdString());
    auto l = leaf(*ca, request);
    QCOMPARE(ERR_peek_error(), 0ul);
    X509 *x = l->certificate();
    const auto info = l->info();

    // SAN carries every usable name, in order; CN is the first.
    std::vector<std::string> wantDns, wantIps;
    for (const QString &n : dns)
        wantDns.push_back(n.toStdString());
    for (const QString &n : ips)
        wantIps.push_back(n.toStdString());
    QCOMPARE(info.dnsNames, wantDns);
    QCOMPARE(info.ipAddresses, wantIps);
    QCOMPARE(info.subject, "CN=" + cn.toStdString());
    QCOMPARE(info.issuer, ca->info().subject);
    QVERIFY(!critical(x, NID_subject_alt_name));

    // CA:FALSE, digitalSignature only (critical), serverAuth only.
    QVERIFY(!info.isCa);
    QVERIFY(critical(x, NID_basic_constraints));
    QVERIFY(!(X509_get_extension_flags(x) & EXFLAG_CA));
    QVERIFY(critical(x, NID_key_usage));
    QCOMPARE(X509_get_key_usage(x), std::uint32_t(KU_DIGITAL_SIGNATURE));
    QCOMPARE(X509_get_extended_key_usage(x), std::uint32_t(XKU_SSL_SERVER));
    QCOMPARE(octets(X509_get0_authority_key_id(x)),
             octets(X509_get0_subject_key_id(ca->certificate())));
    QVERIFY(X509_get0_subject_key_id(x));
    QCOMPARE(X509_get_version(x), long(X509_VERSION_3));
    QCOMPARE(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    QCOMPARE(info.keyType, std::string("EC P-256"));
    QCOMPARE(X509_check_private_key(x, l->key()), 1);
    QVERIFY(l->issuer() == ca->certificate());

    // Validity: a day back, at most 397 days.
    const std::int64_t now = std::int64_t(std::time(nullptr)) * 1000;
    QVERIFY(std::abs(info.notBefore - (now - kDayMillis)) < 60'000);
    QVERIFY(info.notAfter - info.notBefore <= 397 * kDayMillis);
    QVERIFY(info.notAfter - info.notBefore > 396 * kDayMillis);

    // Serial: positive, at most 127 bits, 16 bytes or fewer.
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr);
    QVERIFY(serial);
    QVERIFY(!BN_is_negative(serial) && !BN_is_zero(serial));
    QVERIFY(BN_num_bits(serial) <= 127);
    QVERIFY(BN_num_bits(serial) > 64); // random, so this fails about once in 2^63
    BN_free(serial);

    // Verifies as a TLS server certificate for each of its names, and for no other.
    for (const auto &name : wantDns) {
        const std::string host = name.rfind("*.", 0) == 0 ? "any" + name.substr(1) : name;
        QCOMPARE(verify(ca->certificate(), x, host, false), X509_V_OK);
        QCOMPARE(X509_check_host(x, host.c_str(), host.size(), 0, nullptr), 1);
    }
    for (const auto &ip : wantIps) {
        QCOMPARE(verify(ca->certificate(), x, ip, true), X509_V_OK);
        QCOMPARE(X509_check_ip_asc(x, ip.c_str(), 0), 1);
    }
    QCOMPARE(verify(ca->certificate(), x, "other.test", false), X509_V_ERR_HOSTNAME_MISMATCH);

    // PEM forms parse back to the same certificates.
    const std::string chain = l->chainPem();
    BIO *bio = BIO_new_mem_buf(chain.data(), int(chain.size()));
    X509 *first = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    X509 *second = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    QVERIFY(first && second);
    QCOMPARE(X509_cmp(first, x), 0);
    QCOMPARE(X509_cmp(second, ca->certificate()), 0);
    X509_free(first);
    X509_free(second);
    QCOMPARE(chain.substr(0, l->pem().size()), l->pem());
    QVERIFY(l->keyPem().find("-----BEGIN PRIVATE KEY-----") == 0);
    const std::string der = l->der();
    const auto *p = reinterpret_cast<const unsigned char *>(der.data());
    X509 *fromDer = d2i_X509(nullptr, &p, long(der.size()));
    QVERIFY(fromDer);
    QCOMPARE(X509_cmp(fromDer, x), 0);
    X509_free(fromDer);
}

void CertificateAuthorityTest::longNameTruncatedInCommonNameOnly()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    const std::string name = std::string(60, 'a') + "." + std::string(60, 'b') + ".example";
    auto l = leaf(*ca, {name});
    QCOMPARE(l->info().subject, "CN=" + name.substr(0, 64));
    QCOMPARE(l->info().dnsNames, std::vector<std::string>{name});
    QCOMPARE(verify(ca->certificate(), l->certificate(), name, false), X509_V_OK);
}

void CertificateAuthorityTest::badNames()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    QVERIFY(!ca->leafFor({}).ok());
    for (const std::string &bad : std::vector<std::string>{
             "", "bad name", "a..b", "exa\nmple.com", "*.com", "a.*.example", "[192.0.2.1]",
             "1:2:3", std::string(64, 'x') + ".example", "caf\xC3\xA9.example"}) {
        auto l = ca->leafFor({bad, "good.example"});
        QVERIFY2(!l.ok(), bad.c_str());
        QCOMPARE(l.error().code, std::string("tls.ca.name"));
        QVERIFY(l.error().message.find('\n') == std::string::npos); // one line
    }
    QCOMPARE(ca->cachedLeafCount(), std::size_t(0));
    // Past kMaxLeafNames the rest are dropped; the first is always kept.
    std::vector<std::string> many{"first.example"};
    for (int i = 0; i < 400; ++i)
        many.push_back("n" + std::to_string(i) + ".example");
    auto l = leaf(*ca, many);
    QCOMPARE(l->info().dnsNames.size(), CertificateAuthority::kMaxLeafNames);
    QCOMPARE(l->info().dnsNames.front(), std::string("first.example"));
}

void CertificateAuthorityTest::serialsAreUnique()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    std::set<std::string> serials;
    std::set<std::string> keys;
    for (int i = 0; i < 200; ++i) {
        auto l = leaf(*ca, {"host" + std::to_string(i) + ".example"});
        serials.insert(l->info().serialHex);
        keys.insert(l->keyPem());
    }
    QCOMPARE(serials.size(), std::size_t(200));
    QCOMPARE(keys.size(), std::size_t(1)); // one leaf key per CA
    QVERIFY(serials.count(ca->info().serialHex) == 0);
}

void CertificateAuthorityTest::cacheIgnoresOrderAndCase()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    auto a = leaf(*ca, {"a.example", "b.example", "192.0.2.1"});
    auto b = leaf(*ca, {"192.0.2.1", "B.example.", "a.example", "a.example"});
    QVERIFY(a == b);
    QCOMPARE(a->info().subject, std::string("CN=a.example")); // the first minting's CN
    auto c = leaf(*ca, {"a.example", "b.example"});
    QVERIFY(c != a);
    QCOMPARE(ca->cachedLeafCount(), std::size_t(2));
}

void CertificateAuthorityTest::cacheIsLeastRecentlyUsed()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    const std::size_t capacity = CertificateAuthority::kLeafCacheCapacity;
    auto oldest = leaf(*ca, {"h0.example"});
    auto second = leaf(*ca, {"h1.example"});
    for (std::size_t i = 2; i < capacity; ++i)
        leaf(*ca, {"h" + std::to_string(i) + ".example"});
    QCOMPARE(ca->cachedLeafCount(), capacity);
    QVERIFY(leaf(*ca, {"h0.example"}) == oldest); // used: now the newest
    leaf(*ca, {"one-more.example"});              // evicts h1, the least recently used
    QCOMPARE(ca->cachedLeafCount(), capacity);
    QVERIFY(leaf(*ca, {"h0.example"}) == oldest);
    QVERIFY(leaf(*ca, {"h1.example"}) != second);
    QCOMPARE(ca->cachedLeafCount(), capacity);
}

void CertificateAuthorityTest::regenerateReplacesCaAndEmptiesCache()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp);
    auto ca = open(dir);
    const std::string before = ca->info().sha256;
    X509 *oldCertificate = ca->certificate();
    auto oldLeaf = leaf(*ca, {"example.com"});
    QCOMPARE(ca->cachedLeafCount(), std::size_t(1));

    QVERIFY(ca->regenerate().ok());
    const std::string after = ca->info().sha256;
    QVERIFY(after != before);
    QCOMPARE(ca->cachedLeafCount(), std::size_t(0));
    auto newLeaf = leaf(*ca, {"example.com"});
    QVERIFY(newLeaf != oldLeaf);
    QVERIFY(newLeaf->keyPem() != oldLeaf->keyPem()); // a new leaf key too
    QCOMPARE(verify(ca->certificate(), newLeaf->certificate(), "example.com", false), X509_V_OK);
    QVERIFY(verify(ca->certificate(), oldLeaf->certificate(), "example.com", false) != X509_V_OK);
    // The old leaf and the old CA pointer are still usable.
    QCOMPARE(verify(oldCertificate, oldLeaf->certificate(), "example.com", false), X509_V_OK);
    QCOMPARE(open(dir)->info().sha256, after); // the files were replaced
}

void CertificateAuthorityTest::exportFormats()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp, "ca"));
    const std::string fingerprint = ca->info().sha256;
    for (const std::string name : {"out.pem", "out.crt", "OUT.DER", "out.cer", "noextension"}) {
        const std::string path = dirOf(tmp) + "/" + name;
        QVERIFY(ca->exportCertificate(path).ok());
        const std::string data = readFile(path);
        const bool der = name == "OUT.DER" || name == "out.cer";
        X509 *x = nullptr;
        if (der) {
            QCOMPARE(data, ca->certificateDer());
            const auto *p = reinterpret_cast<const unsigned char *>(data.data());
            x = d2i_X509(nullptr, &p, long(data.size()));
        } else {
            QCOMPARE(data, ca->certificatePem());
            BIO *bio = BIO_new_mem_buf(data.data(), int(data.size()));
            x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
            BIO_free(bio);
        }
        QVERIFY2(x, name.c_str());
        QCOMPARE(ts::tls::describe(x).sha256, fingerprint);
        QVERIFY(data.find("PRIVATE") == std::string::npos);
        X509_free(x);
    }
    auto missing = ca->exportCertificate(dirOf(tmp) + "/no/such/dir/ca.pem");
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().message.find("no/such/dir/ca.pem") != std::string::npos);
}

void CertificateAuthorityTest::brokenFilesNameTheFile_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("named");
    QTest::newRow("garbage ca.pem") << u"garbage-cert"_s << u"ca.pem"_s;
    QTest::newRow("truncated ca.pem") << u"truncate-cert"_s << u"ca.pem"_s;
    QTest::newRow("garbage key") << u"garbage-key"_s << u"ca-key.pem"_s;
    QTest::newRow("empty key") << u"empty-key"_s << u"ca-key.pem"_s;
    QTest::newRow("missing key") << u"missing-key"_s << u"ca-key.pem"_s;
    QTest::newRow("missing ca.pem") << u"missing-cert"_s << u"ca.pem"_s;
    QTest::newRow("other CA's key") << u"swap-key"_s << u"ca-key.pem"_s;
    QTest::newRow("leaf as CA") << u"leaf-cert"_s << u"ca.pem"_s;
    QTest::newRow("key is a directory") << u"dir-key"_s << u"ca-key.pem"_s;
}

void CertificateAuthorityTest::brokenFilesNameTheFile()
{
    QFETCH(QString, damage);
    QFETCH(QString, named);
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp, "ca");
    const std::string other = dirOf(tmp, "other");
    const std::string cert = dir + "/ca.pem";
    const std::string key = dir + "/ca-key.pem";
    {
        auto ca = open(dir);
        auto l = leaf(*ca, {"example.com"});
        auto second = open(other);
        if (damage == u"garbage-cert")
            writeFile(cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
        else if (damage == u"truncate-cert")
            writeFile(cert, readFile(cert).substr(0, 200));
        else if (damage == u"garbage-key")
            writeFile(key, "hello");
        else if (damage == u"empty-key")
            writeFile(key, "");
        else if (damage == u"missing-key")
            ::unlink(key.c_str());
        else if (damage == u"missing-cert")
            ::unlink(cert.c_str());
        else if (damage == u"swap-key")
            writeFile(key, readFile(other + "/ca-key.pem"));
        else if (damage == u"leaf-cert")
            writeFile(cert, l->pem());
        else if (damage == u"dir-key") {
            ::unlink(key.c_str());
            ::mkdir(key.c_str(), 0700);
        }
    }
    const std::string certBefore = readFile(cert);
    auto ca = CertificateAuthority::openOrCreate(dir);
    QVERIFY(!ca.ok());
    const std::string message = ca.error().message;
    QVERIFY2(message.find(dir + "/" + named.toStdString()) != std::string::npos, message.c_str());
    QCOMPARE(readFile(cert), certBefore); // nothing overwritten
    QCOMPARE(ERR_peek_error(), 0ul);      // and nothing left for the thread's TLS code
}

void CertificateAuthorityTest::foreignCaCapsLeafValidity()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp);
    const std::time_t start = std::time(nullptr) - 10 * 86400;
    // Expires in 31 days: a day clear of the 30-day "expires soon" notice, however slowly
    // (under ASan) the test gets from writing the CA to opening it.
    writeForeignCa(dir, start, 41);
    auto ca = open(dir);
    QCOMPARE(ca->info().subject, std::string("CN=Foreign Test CA"));
    QVERIFY(ca->notices().empty());
    auto l = leaf(*ca, {"example.com"});
    QCOMPARE(l->info().notAfter, ca->info().notAfter); // capped at the CA's end
    QCOMPARE(verify(ca->certificate(), l->certificate(), "example.com", false), X509_V_OK);
    // The CA's own SKI (from "hash") is what the leaf points at.
    QCOMPARE(octets(X509_get0_authority_key_id(l->certificate())),
             octets(X509_get0_subject_key_id(ca->certificate())));

    // A CA that began an hour ago: leaves do not start before it.
    QTemporaryDir young;
    writeForeignCa(dirOf(young), std::time(nullptr) - 3600, 100);
    auto youngCa = open(dirOf(young));
    QCOMPARE(leaf(*youngCa, {"example.com"})->info().notBefore, youngCa->info().notBefore);
}

void CertificateAuthorityTest::expiredCaRefusesToMint()
{
    QTemporaryDir tmp;
    const std::string dir = dirOf(tmp);
    writeForeignCa(dir, std::time(nullptr) - 20 * 86400, 10);
    auto ca = open(dir);
    QCOMPARE(ca->notices().size(), std::size_t(1));
    QVERIFY(ca->notices()[0].find("expired") != std::string::npos);
    auto l = ca->leafFor({"example.com"});
    QVERIFY(!l.ok());
    QCOMPARE(l.error().code, std::string("tls.ca.expired"));
    QVERIFY(ca->regenerate().ok());
    QVERIFY(ca->leafFor({"example.com"}).ok());
}

void CertificateAuthorityTest::concurrentLeafFor()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    constexpr int kThreads = 4;
    constexpr int kNames = 150;
    std::atomic<int> failures{0};
    std::vector<std::vector<std::shared_ptr<const LeafCertificate>>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Every thread asks for the same names, in a different order and spelling.
            for (int i = 0; i < kNames; ++i) {
                const int n = (i * (t + 1) * 7) % kNames;
                std::string name = "host" + std::to_string(n) + ".example";
                if (t % 2)
                    name = "HOST" + std::to_string(n) + ".EXAMPLE.";
                auto l = ca->leafFor({name, "shared.example"});
                if (!l.ok() || !l.value()) {
                    ++failures;
                    continue;
                }
                X509_check_host(l.value()->certificate(), "shared.example", 0, 0, nullptr);
                got[std::size_t(t)].push_back(*l);
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(ca->cachedLeafCount(), std::size_t(kNames));
    // Whoever minted first, everyone now gets the cached one, and all of them verify.
    for (int n = 0; n < kNames; ++n) {
        const std::string name = "host" + std::to_string(n) + ".example";
        auto l = leaf(*ca, {"shared.example", name});
        QCOMPARE(verify(ca->certificate(), l->certificate(), name, false), X509_V_OK);
    }

    // leafFor racing regenerate: every leaf is signed by the CA that was current for it.
    std::atomic<bool> stop{false};
    std::thread regenerator([&] {
        for (int i = 0; i < 3 && !stop; ++i)
            if (!ca->regenerate().ok())
                ++failures;
    });
    std::vector<std::thread> minters;
    for (int t = 0; t < kThreads; ++t)
        minters.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto l = ca->leafFor({"r" + std::to_string(t * 100 + i) + ".example"});
                if (!l.ok()
                    || X509_verify(l.value()->certificate(), X509_get0_pubkey(l.value()->issuer()))
                           != 1)
                    ++failures;
            }
        });
    for (auto &thread : minters)
        thread.join();
    stop = true;
    regenerator.join();
    QCOMPARE(failures.load(), 0);
}

void CertificateAuthorityTest::mintTime()
{
    QTemporaryDir tmp;
    auto ca = open(dirOf(tmp));
    constexpr int kCount = 500;
    leaf(*ca, {"warm-up.example"});
    // CPU time as well as wall time: the wall clock also counts other processes on a busy box.
    auto cpuNow = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
    };
    const double cpuStart = cpuNow();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCount; ++i)
        leaf(*ca, {"fresh" + std::to_string(i) + ".example", "192.0.2.9"});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const double cpu = (cpuNow() - cpuStart) / kCount;
    const double micros
        = double(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) / kCount;
    qInfo("mint time: %.1f us wall, %.1f us CPU per fresh leaf (%d leaves)", micros, cpu, kCount);
    const auto cachedStart = std::chrono::steady_clock::now();
    for (int i = 0; i < kCount; ++i)
        leaf(*ca, {"fresh" + std::to_string(i) + ".example", "192.0.2.9"});
    const double cachedMicros = double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - cachedStart)
                                           .count())
                                / 1000.0 / kCount;
    qInfo("cache hit: %.2f us", cachedMicros);
    QVERIFY(micros < 50'000); // a sanity bound only (sanitizers, loaded machines)
}

QTEST_APPLESS_MAIN(CertificateAuthorityTest)
#include "certificate_authority_test.moc"
