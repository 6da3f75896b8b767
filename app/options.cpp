#include "app/options.h"

#include "core/flow/har.h"
#include "core/upstream/chain.h"

#include <QCommandLineParser>
#include <QThread>

#include <functional>

namespace ts::app {

using namespace Qt::StringLiterals;

namespace {

bool parseHostPort(const QString &text, QString &host, quint16 &port)
{
    QString h;
    QString p;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0 || close + 1 >= text.size() || text.at(close + 1) != u':')
            return false;
        h = text.mid(1, close - 1);
        p = text.mid(close + 2);
    } else {
        const qsizetype colon = text.lastIndexOf(u':');
        if (colon <= 0)
            return false;
        h = text.left(colon);
        p = text.mid(colon + 1);
    }
    bool ok = false;
    const uint value = p.toUInt(&ok);
    if (!ok || value > 65535 || h.isEmpty())
        return false;
    host = h;
    port = quint16(value);
    return true;
}

} // namespace

ParseOutcome parseOptions(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Tunnelscope: an intercepting proxy debugger. Point a browser, curl or an app at the "
        "listen address and watch every flow."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version and exit."));
    const QCommandLineOption headless(
        QStringLiteral("headless"),
        QStringLiteral("No window: print one line per completed flow to standard output."));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QStringLiteral("Listen on HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one)."),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption har(
        QStringLiteral("har"),
        QStringLiteral("With --headless: write a HAR 1.2 file of all exchanges on exit."),
        QStringLiteral("FILE"));
    const QCommandLineOption workers(QStringLiteral("workers"),
                                     QStringLiteral("Worker threads (default: cores, at most 4)."),
                                     QStringLiteral("N"));
    const QCommandLineOption connectTimeout(
        QStringLiteral("connect-timeout"),
        QStringLiteral("Seconds for name lookup and connect before 504 (default 10)."),
        QStringLiteral("SEC"));
    const QCommandLineOption responseTimeout(
        QStringLiteral("response-timeout"),
        QStringLiteral("Seconds of server silence while a response is due before 504 (default "
                       "60)."),
        QStringLiteral("SEC"));
    const QCommandLineOption idleTimeout(
        QStringLiteral("idle-timeout"),
        QStringLiteral("Seconds a tunnel may stay idle before it is closed (default 300)."),
        QStringLiteral("SEC"));
    const QCommandLineOption maxRequestLine(
        QStringLiteral("max-request-line"),
        QStringLiteral("Longest request line in bytes, else 414 (default 8192)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption maxHeaderBytes(
        QStringLiteral("max-header-bytes"),
        QStringLiteral("Largest header section in bytes, else 431 (default 65536)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption maxHeaderFields(
        QStringLiteral("max-header-fields"),
        QStringLiteral("Most header fields in a message, else 431 (default 100)."),
        QStringLiteral("N"));
    const QCommandLineOption bodyMemory(
        QStringLiteral("body-memory"),
        QStringLiteral("MiB of recorded bodies kept in memory before they spill to disk "
                       "(default 256)."),
        QStringLiteral("MIB"));
    const QCommandLineOption bodyCap(
        QStringLiteral("body-cap"),
        QStringLiteral("KiB of one body kept in memory before it spills to disk (default 1024)."),
        QStringLiteral("KIB"));
    const QCommandLineOption bodyRecord(
        QStringLiteral("body-record-limit"),
        QStringLiteral("MiB of one body recorded at all; the rest passes through uncounted in "
                       "the record (default 256)."),
        QStringLiteral("MIB"));
    const QCommandLineOption frameLog(
        QStringLiteral("frame-log"),
        QStringLiteral("HTTP/2 frames kept per connection; older ones are dropped and counted "
                       "(default 10000)."),
        QStringLiteral("N"));
    const QCommandLineOption h2Streams(
        QStringLiteral("h2-max-streams"),
        QStringLiteral("Concurrent streams an HTTP/2 client may open on one connection "
                       "(default 128)."),
        QStringLiteral("N"));
    const QCommandLineOption listenHttps(
        QStringLiteral("listen-https"),
        QStringLiteral("Also listen for clients that speak TLS to the proxy itself (an HTTPS "
                       "proxy: curl -x https://..., Chromium --proxy-server=https://...)."),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption socksListen(
        QStringLiteral("socks"),
        QStringLiteral("Also listen for SOCKS5 clients on HOST:PORT, or PORT on 127.0.0.1 (curl "
                       "--socks5-hostname, Chromium --proxy-server=socks5://...)."),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption socksAuth(
        QStringLiteral("socks-auth"),
        QStringLiteral("With --socks: require this RFC 1929 username and password."),
        QStringLiteral("USER:PASS"));
    const QCommandLineOption caDir(
        QStringLiteral("ca-dir"),
        QStringLiteral("Directory of the interception CA (default: the config directory's "
                       "ca/). Created with a new CA when empty."),
        QStringLiteral("DIR"));
    const QCommandLineOption exportCa(
        QStringLiteral("export-ca"),
        QStringLiteral("Write the CA certificate to FILE (DER for .der/.cer, else PEM) and "
                       "exit. The private key never leaves the CA directory."),
        QStringLiteral("FILE"));
    const QCommandLineOption regenerateCa(
        QStringLiteral("regenerate-ca"),
        QStringLiteral("Replace the CA with a new one before starting (clients must trust the "
                       "new certificate)."));
    const QCommandLineOption noIntercept(
        QStringLiteral("no-intercept"),
        QStringLiteral("Do not decrypt TLS: every tunnel is relayed as it is."));
    const QCommandLineOption passthrough(
        QStringLiteral("passthrough"),
        QStringLiteral("Never intercept hosts matching PATTERN (a glob like *.bank.example, or "
                       "re:REGEX). Repeatable."),
        QStringLiteral("PATTERN"));
    const QCommandLineOption passthroughRejecting(
        QStringLiteral("passthrough-rejecting"),
        QStringLiteral("Pass a host through from then on when its client rejects the "
                       "certificate (pinning, untrusted CA)."));
    const QCommandLineOption insecure(
        QStringLiteral("insecure-upstream"),
        QStringLiteral("Do not verify servers' certificates (the result is still recorded)."));
    const QCommandLineOption insecureHost(
        QStringLiteral("insecure-host"),
        QStringLiteral("Do not verify the certificates of hosts matching PATTERN. Repeatable."),
        QStringLiteral("PATTERN"));
    const QCommandLineOption upstreamCa(
        QStringLiteral("upstream-ca"),
        QStringLiteral("Trust the PEM certificates in FILE for servers, besides the system's. "
                       "Repeatable."),
        QStringLiteral("FILE"));
    const QCommandLineOption upstreamProxy(
        QStringLiteral("upstream"),
        QStringLiteral("Send server-side connections through the upstream proxy URL: "
                       "http://, https://, socks5:// or socks5h://, with user:password@ when it "
                       "wants credentials. Repeat for a chain, first hop first."),
        QStringLiteral("URL"));
    const QCommandLineOption upstreamRule(
        QStringLiteral("upstream-rule"),
        QStringLiteral("Hosts matching GLOB (globs separated by commas) go through the chain "
                       "URL,URL... instead, or direct. Repeatable; the first match wins."),
        QStringLiteral("GLOB=CHAIN"));
    const QCommandLineOption keylog(
        QStringLiteral("keylog"),
        QStringLiteral("Append TLS keys of both sides to FILE in NSS key log format, for "
                       "Wireshark (also: the SSLKEYLOGFILE environment variable)."),
        QStringLiteral("FILE"));
    parser.addOptions({help,
                       version,
                       headless,
                       listen,
                       har,
                       workers,
                       connectTimeout,
                       responseTimeout,
                       idleTimeout,
                       maxRequestLine,
                       maxHeaderBytes,
                       maxHeaderFields,
                       bodyMemory,
                       bodyCap,
                       bodyRecord,
                       frameLog,
                       h2Streams,
                       listenHttps,
                       socksListen,
                       socksAuth,
                       caDir,
                       exportCa,
                       regenerateCa,
                       noIntercept,
                       passthrough,
                       passthroughRejecting,
                       insecure,
                       insecureHost,
                       upstreamCa,
                       upstreamProxy,
                       upstreamRule,
                       keylog});

    ParseOutcome outcome;
    auto fail = [&](const QString &message) {
        outcome.exitCode = 2;
        outcome.message = message;
        return outcome;
    };
    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (parser.isSet(help)) {
        // Parsed before any application exists, so Qt cannot know the program's name.
        outcome.message = parser.helpText().replace(u"<executable_name>"_s, u"tunnelscope"_s);
        return outcome;
    }
    if (parser.isSet(version)) {
        outcome.message = QStringLiteral("Tunnelscope " TS_VERSION);
        return outcome;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(u"unexpected argument '"_s + parser.positionalArguments().first() + u'\'');

    Options o;
    o.headless = parser.isSet(headless);
    if (parser.isSet(listen)
        && !parseHostPort(parser.value(listen), o.engine.listenHost, o.engine.listenPort))
        return fail(u"--listen wants HOST:PORT, not '"_s + parser.value(listen) + u'\'');
    if (parser.isSet(listenHttps)
        && !parseHostPort(parser.value(listenHttps), o.engine.httpsListenHost,
                          o.engine.httpsListenPort))
        return fail(u"--listen-https wants HOST:PORT, not '"_s + parser.value(listenHttps) + u'\'');
    if (parser.isSet(socksListen)) {
        const QString value = parser.value(socksListen);
        bool portOnly = false;
        const uint port = value.toUInt(&portOnly);
        if (portOnly && port <= 65535) {
            o.engine.socksListenHost = QStringLiteral("127.0.0.1");
            o.engine.socksListenPort = quint16(port);
        } else if (!parseHostPort(value, o.engine.socksListenHost, o.engine.socksListenPort)) {
            return fail(u"--socks wants HOST:PORT or PORT, not '"_s + value + u'\'');
        }
    }
    if (parser.isSet(socksAuth)) {
        if (!parser.isSet(socksListen))
            return fail(QStringLiteral("--socks-auth goes with --socks"));
        // The password is never echoed back, not even in an error.
        const QByteArray value = parser.value(socksAuth).toUtf8();
        const qsizetype colon = value.indexOf(':');
        if (colon < 0)
            return fail(QStringLiteral("--socks-auth wants USER:PASS"));
        socks::Credentials credentials{value.left(colon).toStdString(),
                                       value.mid(colon + 1).toStdString()};
        if (credentials.username.size() > socks::kMaxFieldLength
            || credentials.password.size() > socks::kMaxFieldLength)
            return fail(QStringLiteral("--socks-auth: the username and the password are at most "
                                       "255 bytes each (RFC 1929)"));
        o.engine.socksCredentials = std::move(credentials);
    }
    o.engine.caDirectory = parser.value(caDir);
    o.exportCaPath = parser.value(exportCa);
    o.regenerateCa = parser.isSet(regenerateCa);
    o.engine.intercept = !parser.isSet(noIntercept);
    o.engine.passthrough = parser.values(passthrough);
    o.engine.passthroughRejecting = parser.isSet(passthroughRejecting);
    o.engine.verifyServers = !parser.isSet(insecure);
    o.engine.insecureHosts = parser.values(insecureHost);
    o.engine.extraRoots = parser.values(upstreamCa);
    o.engine.keyLogFile = parser.value(keylog);
    if (parser.isSet(upstreamProxy) || parser.isSet(upstreamRule)) {
        // Rules first, in order; the --upstream hops are the default chain (ChainRules syntax:
        // an entry without "GLOB=" is the default). Errors quote the input with passwords
        // replaced by "***".
        std::vector<std::string> entries;
        for (const QString &rule : parser.values(upstreamRule)) {
            // The "=" must come before any "scheme://" (a password may hold one).
            const qsizetype equals = rule.indexOf(u'=');
            const qsizetype scheme = rule.indexOf(u"://"_s);
            if (equals <= 0 || (scheme >= 0 && equals > scheme))
                return fail(u"--upstream-rule wants GLOB=CHAIN, not '"_s
                            + QString::fromStdString(upstream::redactUrl(rule.toStdString()))
                            + u'\'');
            entries.push_back(rule.toStdString());
        }
        if (parser.isSet(upstreamProxy))
            entries.push_back(parser.values(upstreamProxy).join(u", "_s).toStdString());
        auto rules = upstream::ChainRules::parse(entries);
        if (!rules)
            return fail(u"upstream proxies: "_s + QString::fromStdString(rules.error().message));
        o.engine.upstream = std::move(*rules);
        o.upstreamHops = parser.values(upstreamProxy);
        o.upstreamRules = parser.values(upstreamRule);
    }
    if (parser.isSet(har)) {
        if (!o.headless)
            return fail(QStringLiteral("--har goes with --headless (in the window, use File > "
                                       "Export)"));
        o.harPath = parser.value(har);
        // Found out now, not after hours of capture that then have nowhere to go.
        if (const auto writable = flow::checkWritable(o.harPath); !writable)
            return fail(u"--har: "_s + QString::fromStdString(writable.error().message));
    }

    // Positive whole numbers, each with a bound and where it goes.
    struct Number
    {
        const QCommandLineOption &option;
        quint64 max;
        std::function<void(quint64)> apply;
    };
    const Number numbers[] = {
        {workers, 64,
         [&](quint64 v) {
             o.engine.workers = int(v);
         }},
        {connectTimeout, 3600,
         [&](quint64 v) {
             o.engine.timeouts.connect = MonoTime(v) * kSecond;
         }},
        {responseTimeout, 86400,
         [&](quint64 v) {
             o.engine.timeouts.response = MonoTime(v) * kSecond;
         }},
        {idleTimeout, 86400,
         [&](quint64 v) {
             o.engine.timeouts.tunnelIdle = MonoTime(v) * kSecond;
         }},
        {maxRequestLine, 1 << 20,
         [&](quint64 v) {
             o.engine.http1.maxStartLine = v;
         }},
        {maxHeaderBytes, 16 << 20,
         [&](quint64 v) {
             o.engine.http1.maxHeaderBytes = v;
         }},
        {maxHeaderFields, 10000,
         [&](quint64 v) {
             o.engine.http1.maxHeaderCount = v;
         }},
        {bodyMemory, 1 << 20,
         [&](quint64 v) {
             o.bodyMemoryBytes = v << 20;
         }},
        {bodyCap, 1 << 20,
         [&](quint64 v) {
             o.bodyCapBytes = v << 10;
         }},
        {bodyRecord, 1 << 20,
         [&](quint64 v) {
             o.bodyRecordBytes = v << 20;
         }},
        {frameLog, 10'000'000,
         [&](quint64 v) {
             o.engine.frameLogCapacity = v;
         }},
        {h2Streams, 10000,
         [&](quint64 v) {
             o.engine.http2.maxConcurrentStreams = std::uint32_t(v);
         }},
    };
    for (const Number &n : numbers) {
        if (!parser.isSet(n.option))
            continue;
        bool ok = false;
        const quint64 value = parser.value(n.option).toULongLong(&ok);
        if (!ok || value == 0 || value > n.max)
            return fail(u"--"_s + n.option.names().constFirst()
                        + u" wants a whole number from 1 to "_s + QString::number(n.max)
                        + u", not '"_s + parser.value(n.option) + u'\'');
        n.apply(value);
    }
    outcome.options = std::move(o);
    return outcome;
}

} // namespace ts::app
