#include "core/tls/certificate_info.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <ctime>
#include <memory>

namespace ts::tls {

namespace {

std::string nameText(const X509_NAME *name)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, std::size_t(len));
}

WallMillis timeMillis(const ASN1_TIME *t)
{
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return WallMillis(timegm(&tm)) * 1000;
}

} // namespace

CertificateInfo describe(X509 *certificate)
{
    CertificateInfo info;
    if (!certificate)
        return info;
    info.subject = nameText(X509_get_subject_name(certificate));
    info.issuer = nameText(X509_get_issuer_name(certificate));
    info.notBefore = timeMillis(X509_get0_notBefore(certificate));
    info.notAfter = timeMillis(X509_get0_notAfter(certificate));

    if (auto *names = static_cast<GENERAL_NAMES *>(
            X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr))) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
            const GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
            if (n->type == GEN_DNS) {
                const auto *s = n->d.dNSName;
                info.dnsNames.emplace_back(reinterpret_cast<const char *>(ASN1_STRING_get0_data(s)),
                                           std::size_t(ASN1_STRING_length(s)));
            } else if (n->type == GEN_IPADD) {
                const ASN1_OCTET_STRING *ip = n->d.iPAddress;
                const int len = ASN1_STRING_length(ip);
                char text[INET6_ADDRSTRLEN] = {};
                if ((len == 4 || len == 16)
                    && inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text,
                                 sizeof text))
                    info.ipAddresses.emplace_back(text);
            }
        }
        GENERAL_NAMES_free(names);
    }

    if (const ASN1_INTEGER *serial = X509_get0_serialNumber(certificate)) {
        if (BIGNUM *bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
            if (char *hex = BN_bn2hex(bn)) {
                info.serialHex = hex;
                OPENSSL_free(hex);
            }
            BN_free(bn);
        }
    }

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) == 1) {
        static const char hexDigits[] = "0123456789ABCDEF";
        for (unsigned int i = 0; i < length; ++i) {
            if (i)
                info.sha256 += ':';
            info.sha256 += hexDigits[digest[i] >> 4];
            info.sha256 += hexDigits[digest[i] & 15];
        }
    }

    if (EVP_PKEY *key = X509_get0_pubkey(certificate)) {
        const int bits = EVP_PKEY_get_bits(key);
        if (EVP_PKEY_is_a(key, "EC")) {
            char group[64] = {};
            std::size_t glen = 0;
            EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen);
            info.keyType
                = std::string("EC ") + (std::string(group) == "prime256v1" ? "P-256" : group);
        } else if (EVP_PKEY_is_a(key, "RSA")) {
            info.keyType = "RSA " + std::to_string(bits);
        } else {
            info.keyType
                = std::string(EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?")
                  + " " + std::to_string(bits);
        }
    }
    info.isCa = X509_check_ca(certificate) > 0;
    return info;
}

} // namespace ts::tls
