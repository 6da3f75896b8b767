#include "core/proxy/tls_record.h"

#include "core/tls/tls_session.h"

namespace ts::proxy {

namespace {

flow::CertificateSummary summary(const tls::CertificateInfo &c)
{
    flow::CertificateSummary s;
    s.subject = c.subject;
    s.issuer = c.issuer;
    s.names = c.dnsNames;
    s.names.insert(s.names.end(), c.ipAddresses.begin(), c.ipAddresses.end());
    s.notBefore = c.notBefore;
    s.notAfter = c.notAfter;
    s.serial = c.serialHex;
    s.sha256 = c.sha256;
    s.keyType = c.keyType;
    return s;
}

} // namespace

bool isIpLiteral(const std::string &host)
{
    return host.find(':') != std::string::npos
           || (!host.empty() && host.find_first_not_of("0123456789.") == std::string::npos);
}

void record(flow::TlsSide &side, const tls::TlsSession &session)
{
    const tls::TlsDetails &d = session.details();
    side.used = true;
    if (!d.sni.empty())
        side.sni = d.sni;
    if (!d.alpnOffered.empty())
        side.alpnOffered = d.alpnOffered;
    side.alpn = d.alpn;
    side.version = d.version;
    side.cipher = d.cipher;
    side.handshakeMicros = d.handshakeMicros;
    if (!d.peerChain.empty()) {
        side.chain.clear();
        for (const tls::CertificateInfo &c : d.peerChain)
            side.chain.push_back(summary(c));
    }
    side.verified = d.verified;
    side.verifyError = d.verifyError;
    if (session.failed())
        side.failure = session.error();
}

} // namespace ts::proxy
