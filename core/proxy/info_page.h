#pragma once

#include <string>

namespace ts::tls {
class CertificateAuthority;
}

namespace ts::proxy {

// The page the proxy answers a request for itself with (origin-form GET /): how to point
// curl, a terminal, Chromium, a desktop (PAC) and a phone at the proxy, and how to trust its
// CA when it intercepts TLS.
struct InfoPage
{
    std::string address; // host:port as the client reached the proxy
    bool tls = false;    // the client speaks TLS to the proxy (HTTPS listener)
    const tls::CertificateAuthority *ca = nullptr; // null: no interception, no CA section
};
std::string infoPage(const InfoPage &page);

} // namespace ts::proxy
