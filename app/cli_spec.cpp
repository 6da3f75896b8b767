#include "app/cli_spec.h"

#include <QCommandLineParser>

#include <cstdlib>

namespace ts::app {

using namespace Qt::StringLiterals;

const QCommandLineOption &CommandSpec::option(QStringView name) const
{
    for (const QCommandLineOption &o : options) {
        if (o.names().contains(name))
            return o;
    }
    std::abort(); // a typo in the code, not user input
}

void CommandSpec::applyTo(QCommandLineParser &parser) const
{
    parser.setApplicationDescription(description);
    parser.addOptions(options);
    for (const Positional &p : positionals)
        parser.addPositionalArgument(p.name, p.description);
}

CommandSpec mainCommand()
{
    CommandSpec spec;
    spec.command = u"tunnelscope"_s;
    spec.summary = u"intercepting HTTP proxy debugger"_s;
    spec.description = QStringLiteral(
        "Tunnelscope: an intercepting proxy debugger. Point a browser, curl or an app at the "
        "listen address and watch every flow.");
    spec.options.append(QCommandLineOption({QStringLiteral("h"), QStringLiteral("help")},
                                           QStringLiteral("Show this help and exit.")));
    spec.options.append(QCommandLineOption({QStringLiteral("v"), QStringLiteral("version")},
                                           QStringLiteral("Show the version and exit.")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("headless"),
        QStringLiteral("No window: print one line per completed flow to standard output.")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("listen"),
        QStringLiteral("Listen on HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one)."),
        QStringLiteral("HOST:PORT")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("har"),
        QStringLiteral("With --headless: write a HAR 1.2 file of all exchanges on exit."),
        QStringLiteral("FILE")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("workers"), QStringLiteral("Worker threads (default: cores, at most 4)."),
        QStringLiteral("N")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("connect-timeout"),
        QStringLiteral("Seconds for name lookup and connect before 504 (default 10)."),
        QStringLiteral("SEC")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("response-timeout"),
        QStringLiteral("Seconds of server silence while a response is due before 504 (default "
                       "60)."),
        QStringLiteral("SEC")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("idle-timeout"),
        QStringLiteral("Seconds a tunnel may stay idle before it is closed (default 300)."),
        QStringLiteral("SEC")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("max-request-line"),
        QStringLiteral("Longest request line in bytes, else 414 (default 8192)."),
        QStringLiteral("BYTES")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("max-header-bytes"),
        QStringLiteral("Largest header section in bytes, else 431 (default 65536)."),
        QStringLiteral("BYTES")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("max-header-fields"),
        QStringLiteral("Most header fields in a message, else 431 (default 100)."),
        QStringLiteral("N")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("body-memory"),
        QStringLiteral("MiB of recorded flows (bodies, headers, frame logs) kept in memory; "
                       "beyond it bodies and closed connections' frame logs spill to disk "
                       "(default 256)."),
        QStringLiteral("MIB")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("body-cap"),
        QStringLiteral("KiB of one body kept in memory before it spills to disk (default 1024)."),
        QStringLiteral("KIB")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("body-record-limit"),
        QStringLiteral("MiB of one body recorded at all; the rest passes through uncounted in "
                       "the record (default 256)."),
        QStringLiteral("MIB")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("frame-log"),
        QStringLiteral("HTTP/2 frames kept per connection; older ones are dropped and counted "
                       "(default 10000)."),
        QStringLiteral("N")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("h2-max-streams"),
        QStringLiteral("Concurrent streams an HTTP/2 client may open on one connection "
                       "(default 128)."),
        QStringLiteral("N")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("listen-https"),
        QStringLiteral("Also listen for clients that speak TLS to the proxy itself (an HTTPS "
                       "proxy: curl -x https://..., Chromium --proxy-server=https://...)."),
        QStringLiteral("HOST:PORT")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("socks"),
        QStringLiteral("Also listen for SOCKS5 clients on HOST:PORT, or PORT on 127.0.0.1 (curl "
                       "--socks5-hostname, Chromium --proxy-server=socks5://...)."),
        QStringLiteral("HOST:PORT")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("socks-auth"),
        QStringLiteral("With --socks: require this RFC 1929 username and password."),
        QStringLiteral("USER:PASS")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("ca-dir"),
        QStringLiteral("Directory of the interception CA (default: ~/.config/Tunnelscope/ca/, "
                       "where a CA in ~/.config/Tunnelscope/Tunnelscope/ca/ of an earlier "
                       "version is moved). Created with a new CA when empty."),
        QStringLiteral("DIR")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("export-ca"),
        QStringLiteral("Write the CA certificate to FILE (DER for .der/.cer, else PEM) and "
                       "exit. The private key never leaves the CA directory."),
        QStringLiteral("FILE")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("regenerate-ca"),
        QStringLiteral("Replace the CA with a new one before starting (clients must trust the "
                       "new certificate).")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("no-intercept"),
        QStringLiteral("Do not decrypt TLS: every tunnel is relayed as it is.")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("passthrough"),
        QStringLiteral("Never intercept hosts matching PATTERN (a glob like *.bank.example, or "
                       "re:REGEX). Repeatable."),
        QStringLiteral("PATTERN")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("passthrough-rejecting"),
        QStringLiteral("Pass a host through from then on when its client rejects the "
                       "certificate (pinning, untrusted CA).")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("insecure-upstream"),
        QStringLiteral("Do not verify servers' certificates (the result is still recorded).")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("insecure-host"),
        QStringLiteral("Do not verify the certificates of hosts matching PATTERN. Repeatable."),
        QStringLiteral("PATTERN")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("upstream-ca"),
        QStringLiteral("Trust the PEM certificates in FILE for servers, besides the system's. "
                       "Repeatable."),
        QStringLiteral("FILE")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("upstream"),
        QStringLiteral("Send server-side connections through the upstream proxy URL: "
                       "http://, https://, socks5:// or socks5h://, with user:password@ when it "
                       "wants credentials. Repeat for a chain, first hop first."),
        QStringLiteral("URL")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("upstream-rule"),
        QStringLiteral("Hosts matching GLOB (globs separated by commas) go through the chain "
                       "URL,URL... instead, or direct. Repeatable; the first match wins."),
        QStringLiteral("GLOB=CHAIN")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("pac-rules"),
        QStringLiteral("Hosts the proxy auto-config file at http://LISTEN/proxy.pac sends through "
                       "the proxy: globs separated by commas, !GLOB for direct; the first match "
                       "wins. Repeatable. Default: every host but loopback."),
        QStringLiteral("GLOBS")));
    spec.options.append(QCommandLineOption(
        QStringLiteral("keylog"),
        QStringLiteral("Append TLS keys of both sides to FILE in NSS key log format, for "
                       "Wireshark (also: the SSLKEYLOGFILE environment variable)."),
        QStringLiteral("FILE")));
    spec.examples = {
        {u"tunnelscope"_s, u"Start the window with the proxy on 127.0.0.1:8080."_s},
        {u"curl -x http://127.0.0.1:8080 --cacert ca.pem https://example.test/"_s,
         u"Send a request through it; ca.pem is the CA written by --export-ca."_s},
        {u"tunnelscope --headless --listen 127.0.0.1:0 --har flows.har"_s,
         u"Run without a window on a free port, one line per flow, a HAR file on exit."_s},
        {u"tunnelscope --export-ca ca.pem"_s,
         u"Write the interception CA's certificate for clients to trust."_s},
    };
    return spec;
}

CommandSpec sendCommand()
{
    CommandSpec spec;
    spec.command = u"tunnelscope send"_s;
    spec.summary = u"send one request through a Tunnelscope engine"_s;
    spec.description
        = u"Send one request through a Tunnelscope engine of its own and print the response. "
          "The engine records the flow, walks the --via chain and does TLS to https origins."_s;
    spec.options.append(QCommandLineOption({u"help"_s}, u"Show this help and exit."_s));
    spec.options.append(QCommandLineOption(
        u"via"_s,
        u"Go through this upstream proxy (http://, https://, socks5://, socks5h://, with "
        "user:password@ when needed). Repeat for a chain, first hop first."_s,
        u"URL"_s));
    spec.options.append(
        QCommandLineOption(u"http2"_s, u"Send with HTTP/2 (to the engine; it speaks to the origin "
                                       "what the origin chooses)."_s));
    spec.options.append(
        QCommandLineOption(u"insecure"_s, u"Do not verify the https origin's certificate."_s));
    spec.options.append(QCommandLineOption(
        u"upstream-ca"_s, u"Trust the PEM certificates in FILE for servers."_s, u"FILE"_s));
    spec.options.append(QCommandLineOption({u"X"_s, u"request"_s},
                                           u"The method (default GET, or "
                                           "POST with -d)."_s,
                                           u"METHOD"_s));
    spec.options.append(QCommandLineOption({u"H"_s, u"header"_s},
                                           u"A request header. Repeatable."_s, u"Name: value"_s));
    spec.options.append(
        QCommandLineOption({u"d"_s, u"data"_s},
                           u"The body: DATA as it is, @FILE for a file's bytes, @- for "
                           "standard input."_s,
                           u"DATA"_s));
    spec.options.append(
        QCommandLineOption(u"ca-dir"_s, u"Directory of the interception CA."_s, u"DIR"_s));
    spec.options.append(QCommandLineOption(
        u"timeout"_s, u"Seconds for the whole exchange (default 60)."_s, u"SEC"_s));
    spec.positionals = {{u"URL"_s, u"http:// or https:// URL to send to."_s}};
    spec.examples = {
        {u"tunnelscope send --via http://127.0.0.1:3128 -X POST -H 'Content-Type: "
         "application/json' -d @body.json https://api.example.test/items"_s,
         u"POST a file's bytes through an upstream proxy."_s},
        {u"tunnelscope send --http2 --insecure https://self-signed.example.test/"_s,
         u"Speak HTTP/2 and accept any certificate from the origin."_s},
    };
    return spec;
}

} // namespace ts::app
