#pragma once

#include "core/base/time.h"

#include <string>
#include <vector>

using X509 = struct x509_st;

namespace ts::tls {

// What a person wants to know of a certificate, copied out of OpenSSL.
struct CertificateInfo
{
    std::string subject; // one line, RFC 2253
    std::string issuer;
    std::vector<std::string> dnsNames;    // subjectAltName DNS entries
    std::vector<std::string> ipAddresses; // subjectAltName IP entries, text form
    WallMillis notBefore = 0;
    WallMillis notAfter = 0;
    std::string serialHex;
    std::string sha256;  // fingerprint, upper-case hex pairs joined by ':'
    std::string keyType; // "EC P-256", "RSA 2048"
    bool isCa = false;
};

CertificateInfo describe(X509 *certificate);

} // namespace ts::tls
