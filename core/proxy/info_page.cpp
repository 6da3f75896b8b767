#include "core/proxy/info_page.h"

#include "core/tls/certificate_authority.h"

namespace ts::proxy {

namespace {

std::string htmlEscape(std::string_view in)
{
    std::string out;
    for (char c : in) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

std::string infoPage(const InfoPage &in)
{
    const std::string proxy = htmlEscape(in.address);
    const std::string scheme = in.tls ? "https" : "http";
    const tls::CertificateAuthority *ca = in.ca;
    std::string page
        = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Tunnelscope</title>"
          "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;"
          "padding:0 1em}pre,code{background:#f2f2f2;padding:.1em .3em;border-radius:3px}"
          "pre{padding:.5em;overflow-x:auto}h2{margin-top:1.5em}</style></head><body>\n"
          "<h1>Tunnelscope</h1>\n"
          "<p>This address is a proxy, not a web server. Point your HTTP client at it and every "
          "request shows up in Tunnelscope.</p>\n"
          "<h2>curl</h2>\n<pre>curl -x "
          + scheme + "://" + proxy + " http://example.com/\ncurl -x " + scheme + "://" + proxy
          + " --cacert tunnelscope-ca.pem https://example.com/</pre>\n"
            "<h2>Terminal</h2>\n<pre>export http_proxy="
          + scheme + "://" + proxy + " https_proxy=" + scheme + "://" + proxy
          + " no_proxy=localhost,127.0.0.1,::1"
          + (ca ? "\n# With tunnelscope-ca.pem (below) in this directory: Node adds it to its "
                  "roots,\n# OpenSSL, Python requests and curl want the system's roots with it.\n"
                  "cat /etc/ssl/certs/ca-certificates.crt tunnelscope-ca.pem &gt; "
                  "tunnelscope-bundle.pem\nexport NODE_EXTRA_CA_CERTS=$PWD/tunnelscope-ca.pem\n"
                  "export SSL_CERT_FILE=$PWD/tunnelscope-bundle.pem "
                  "REQUESTS_CA_BUNDLE=$PWD/tunnelscope-bundle.pem "
                  "CURL_CA_BUNDLE=$PWD/tunnelscope-bundle.pem"
                : "")
          + "</pre>\n<h2>Chromium</h2>\n<pre>chromium --proxy-server=" + scheme + "://" + proxy
          + "</pre>\n<h2>Proxy auto-config</h2>\n<p>Browsers and desktops that take a PAC URL "
            "(automatic proxy configuration): <a href=\"/proxy.pac\"><code>"
          + scheme + "://" + proxy + "/proxy.pac</code></a></p>\n";
    if (ca) {
        const tls::CertificateInfo info = ca->info();
        page += "<h2>Trust the certificate authority</h2>\n"
                "<p>HTTPS is decrypted with certificates signed by this Tunnelscope CA. Install it "
                "where your client looks for trusted roots, only on machines you debug with.</p>\n"
                "<p><a href=\"/ca.pem\">Download tunnelscope-ca.pem</a> &middot; "
                "<a href=\"/ca.der\">tunnelscope-ca.der</a></p>\n<p>"
                + htmlEscape(info.subject) + "<br>SHA-256 <code>" + info.sha256
                + "</code></p>\n<dl>\n"
                  "<dt>Chromium / Chrome (Linux)</dt><dd>Settings &rarr; Privacy and security "
                  "&rarr; Security &rarr; Manage certificates &rarr; Authorities &rarr; Import "
                  "the .pem and tick &ldquo;Trust this certificate for identifying "
                  "websites&rdquo;. Or: <code>certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n "
                  "tunnelscope -i tunnelscope-ca.pem</code></dd>\n"
                  "<dt>Firefox</dt><dd>Settings &rarr; Privacy &amp; Security &rarr; "
                  "Certificates &rarr; View Certificates &rarr; Authorities &rarr; Import, then "
                  "tick &ldquo;Trust this CA to identify websites&rdquo;.</dd>\n"
                  "<dt>Debian / Ubuntu (system store, curl, most tools)</dt><dd><code>sudo cp "
                  "tunnelscope-ca.pem /usr/local/share/ca-certificates/tunnelscope.crt &amp;&amp; "
                  "sudo update-ca-certificates</code></dd>\n"
                  "<dt>macOS</dt><dd><code>sudo security add-trusted-cert -d -r trustRoot -k "
                  "/Library/Keychains/System.keychain tunnelscope-ca.pem</code></dd>\n"
                  "<dt>Windows</dt><dd><code>certutil -addstore -f Root "
                  "tunnelscope-ca.der</code> (as administrator), or double-click the .der file "
                  "&rarr; Install Certificate &rarr; Local Machine &rarr; Trusted Root "
                  "Certification Authorities.</dd>\n</dl>\n";
    }
    // A phone or tablet reaches the proxy on a LAN address only when the user chose to listen
    // on one: the page then names that address, the one the device used.
    const std::size_t colon = in.address.rfind(':');
    const std::string host = htmlEscape(in.address.substr(0, colon));
    const std::string port = colon == std::string::npos ? "" : in.address.substr(colon + 1);
    page += "<h2>Phone or tablet</h2>\n<p>On the same network, with Tunnelscope listening on an "
            "address the device can reach (not 127.0.0.1): in the Wi-Fi network's settings set "
            "the proxy to <em>manual</em>, server <code>"
            + host + "</code>, port <code>" + htmlEscape(port)
            + "</code>, or to <em>automatic</em> with the PAC URL above.</p>\n";
    if (ca)
        page += "<dl>\n<dt>Android</dt><dd>Download <a href=\"/ca.pem\">tunnelscope-ca.pem</a>, "
                "then Settings &rarr; Security &rarr; Encryption &amp; credentials &rarr; Install "
                "a certificate &rarr; CA certificate. Apps trust it only when they opt in to user "
                "CAs; browsers do.</dd>\n<dt>iPhone / iPad</dt><dd>Open <a href=\"/ca.pem\">"
                "tunnelscope-ca.pem</a> in Safari, install the profile in Settings &rarr; General "
                "&rarr; VPN &amp; Device Management, then turn on full trust in Settings &rarr; "
                "General &rarr; About &rarr; Certificate Trust Settings.</dd>\n</dl>\n";
    page += "</body></html>\n";
    return page;
}

} // namespace ts::proxy
