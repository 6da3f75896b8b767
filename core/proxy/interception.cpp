#include "core/proxy/interception.h"

#include "core/proxy/host_patterns.h"
#include "core/proxy/tls_record.h"
#include "core/tls/client_hello.h"
#include "core/tls/tls_session.h"

#include <algorithm>

namespace ts::proxy {

InterceptPlan planInterception(const tls::ClientHello &hello, const InterceptConfig &config,
                               const std::string &host, std::uint16_t port)
{
    InterceptPlan plan;
    const std::string name = hello.serverName.empty() ? host : hello.serverName;
    if (!config.enabled || !config.ca)
        return plan;
    if (config.passthrough && config.passthrough->matches(name)) {
        plan.passReason = "passed through: " + name + " is on the pass-through list";
        return plan;
    }
    for (const std::string &p : hello.alpn)
        if (p == "http/1.1" || p == "h2")
            plan.alpnOffer = {"h2", "http/1.1"};
    if (!hello.alpn.empty() && plan.alpnOffer.empty()) {
        std::string offered;
        for (const std::string &p : hello.alpn)
            offered += (offered.empty() ? "" : ", ") + p;
        plan.passReason = "passed through: the client offered only " + offered;
        return plan;
    }
    plan.intercept = true;
    plan.target = Target{"https", name, port, {}};
    plan.sni = hello.serverName.empty() ? (isIpLiteral(host) ? "" : host) : hello.serverName;
    plan.verifyName = name;
    plan.verify = config.verifyServers && !(config.insecure && config.insecure->matches(name));
    return plan;
}

std::vector<std::string> leafNames(const std::string &host, const tls::TlsDetails *origin)
{
    std::vector<std::string> names{host};
    if (!origin || origin->peerChain.empty())
        return names;
    const tls::CertificateInfo &leaf = origin->peerChain.front();
    for (const auto *list : {&leaf.dnsNames, &leaf.ipAddresses})
        for (const std::string &n : *list)
            if (names.size() < 64)
                names.push_back(n);
    return names;
}

std::vector<std::string> clientAlpn(const std::vector<std::string> &offered, bool originUsable)
{
    std::vector<std::string> accept;
    if (std::find(offered.begin(), offered.end(), "h2") != offered.end() && originUsable)
        accept.push_back("h2");
    accept.push_back("http/1.1");
    return accept;
}

} // namespace ts::proxy
