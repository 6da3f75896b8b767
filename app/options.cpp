#include "app/options.h"

#include "app/cli_spec.h"
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
    const CommandSpec spec = mainCommand();
    spec.applyTo(parser);
    const QCommandLineOption &help = spec.option(u"help"_s);
    const QCommandLineOption &version = spec.option(u"version"_s);
    const QCommandLineOption &headless = spec.option(u"headless"_s);
    const QCommandLineOption &listen = spec.option(u"listen"_s);
    const QCommandLineOption &har = spec.option(u"har"_s);
    const QCommandLineOption &workers = spec.option(u"workers"_s);
    const QCommandLineOption &connectTimeout = spec.option(u"connect-timeout"_s);
    const QCommandLineOption &responseTimeout = spec.option(u"response-timeout"_s);
    const QCommandLineOption &idleTimeout = spec.option(u"idle-timeout"_s);
    const QCommandLineOption &maxRequestLine = spec.option(u"max-request-line"_s);
    const QCommandLineOption &maxHeaderBytes = spec.option(u"max-header-bytes"_s);
    const QCommandLineOption &maxHeaderFields = spec.option(u"max-header-fields"_s);
    const QCommandLineOption &bodyMemory = spec.option(u"body-memory"_s);
    const QCommandLineOption &bodyCap = spec.option(u"body-cap"_s);
    const QCommandLineOption &bodyRecord = spec.option(u"body-record-limit"_s);
    const QCommandLineOption &frameLog = spec.option(u"frame-log"_s);
    const QCommandLineOption &h2Streams = spec.option(u"h2-max-streams"_s);
    const QCommandLineOption &listenHttps = spec.option(u"listen-https"_s);
    const QCommandLineOption &socksListen = spec.option(u"socks"_s);
    const QCommandLineOption &socksAuth = spec.option(u"socks-auth"_s);
    const QCommandLineOption &caDir = spec.option(u"ca-dir"_s);
    const QCommandLineOption &exportCa = spec.option(u"export-ca"_s);
    const QCommandLineOption &regenerateCa = spec.option(u"regenerate-ca"_s);
    const QCommandLineOption &noIntercept = spec.option(u"no-intercept"_s);
    const QCommandLineOption &passthrough = spec.option(u"passthrough"_s);
    const QCommandLineOption &passthroughRejecting = spec.option(u"passthrough-rejecting"_s);
    const QCommandLineOption &insecure = spec.option(u"insecure-upstream"_s);
    const QCommandLineOption &insecureHost = spec.option(u"insecure-host"_s);
    const QCommandLineOption &upstreamCa = spec.option(u"upstream-ca"_s);
    const QCommandLineOption &upstreamProxy = spec.option(u"upstream"_s);
    const QCommandLineOption &upstreamRule = spec.option(u"upstream-rule"_s);
    const QCommandLineOption &keylog = spec.option(u"keylog"_s);
    const QCommandLineOption &pacRules = spec.option(u"pac-rules"_s);

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
    if (parser.isSet(pacRules)) {
        std::vector<std::string> entries;
        for (const QString &entry : parser.values(pacRules))
            entries.push_back(entry.toStdString());
        auto rules = proxy::PacRules::parse(entries);
        if (!rules)
            return fail(QString::fromStdString(rules.error().message));
        o.engine.pacRules = std::move(*rules);
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
