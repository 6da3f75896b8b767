#include "app/send.h"

#include "app/cli_spec.h"
#include "core/engine/engine.h"
#include "core/engine/request_sender.h"
#include "core/flow/flow_store.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

#include <algorithm>
#include <cstdio>

namespace ts::app {

using namespace Qt::StringLiterals;

namespace {

int usageError(const QString &message)
{
    std::fprintf(stderr, "tunnelscope send: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int runSend(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(u"Tunnelscope"_s);
    QCoreApplication::setApplicationName(u"Tunnelscope"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(TS_VERSION));
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);

    QCommandLineParser parser;
    const CommandSpec spec = sendCommand();
    spec.applyTo(parser);
    const QCommandLineOption &help = spec.option(u"help"_s);
    const QCommandLineOption &via = spec.option(u"via"_s);
    const QCommandLineOption &http2 = spec.option(u"http2"_s);
    const QCommandLineOption &insecure = spec.option(u"insecure"_s);
    const QCommandLineOption &upstreamCa = spec.option(u"upstream-ca"_s);
    const QCommandLineOption &method = spec.option(u"request"_s);
    const QCommandLineOption &header = spec.option(u"header"_s);
    const QCommandLineOption &data = spec.option(u"data"_s);
    const QCommandLineOption &caDir = spec.option(u"ca-dir"_s);
    const QCommandLineOption &timeout = spec.option(u"timeout"_s);

    QStringList arguments = app.arguments();
    arguments.removeAt(1); // "send"
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(help)) {
        std::printf("%s",
                    qPrintable(parser.helpText().replace(u"Usage: "_s + arguments.constFirst(),
                                                         u"Usage: tunnelscope send"_s)));
        return 0;
    }
    if (parser.positionalArguments().size() != 1)
        return usageError(u"wants exactly one URL (see tunnelscope send --help)"_s);

    engine::ComposedRequest request;
    request.url = parser.positionalArguments().constFirst();
    request.http2 = parser.isSet(http2);
    if (auto url = engine::splitUrl(request.url); !url)
        return usageError(QString::fromStdString(url.error().message));
    for (const QString &h : parser.values(header)) {
        const qsizetype colon = h.indexOf(u':');
        if (colon <= 0)
            return usageError(u"-H wants 'Name: value', not '"_s + h + u'\'');
        request.headers.append({h.left(colon).trimmed(), h.mid(colon + 1).trimmed()});
    }
    if (parser.isSet(data)) {
        const QString d = parser.value(data);
        if (d == u"@-") {
            QFile in;
            if (!in.open(stdin, QIODevice::ReadOnly))
                return usageError(u"cannot read standard input"_s);
            request.body = in.readAll();
        } else if (d.startsWith(u'@')) {
            QFile in(d.mid(1));
            if (!in.open(QIODevice::ReadOnly))
                return usageError(u"cannot read "_s + d.mid(1) + u": "_s + in.errorString());
            request.body = in.readAll();
        } else {
            request.body = d.toUtf8();
        }
        const bool typed
            = std::any_of(request.headers.cbegin(), request.headers.cend(), [](const auto &h) {
                  return h.first.compare(u"content-type", Qt::CaseInsensitive) == 0;
              });
        if (!typed) // as curl does
            request.headers.append({u"Content-Type"_s, u"application/x-www-form-urlencoded"_s});
    }
    request.method = parser.isSet(method) ? parser.value(method)
                     : parser.isSet(data) ? u"POST"_s
                                          : u"GET"_s;

    upstream::ChainSpec chain;
    for (const QString &hop : parser.values(via)) {
        auto parsed = upstream::Hop::parse(hop.toStdString());
        if (!parsed)
            return usageError(u"--via: "_s + QString::fromStdString(parsed.error().message));
        chain.hops.push_back(std::move(*parsed));
    }
    if (chain.hops.size() > upstream::ChainSpec::kMaxHops)
        return usageError(u"--via: at most %1 hops"_s.arg(upstream::ChainSpec::kMaxHops));
    int timeoutMs = 60'000;
    if (parser.isSet(timeout)) {
        bool ok = false;
        const uint s = parser.value(timeout).toUInt(&ok);
        if (!ok || s == 0 || s > 86400)
            return usageError(u"--timeout wants whole seconds from 1 to 86400"_s);
        timeoutMs = int(s) * 1000;
    }

    // A private engine of one worker; its listener (loopback, a free port) goes unused: the
    // request is a client connection inside it.
    engine::EngineConfig config;
    config.caDirectory = parser.value(caDir);
    config.extraRoots = parser.values(upstreamCa);
    config.timeouts.response = MonoTime(timeoutMs) * kMillisecond;
    config.verifyServers = !parser.isSet(insecure);
    config.listenHost = u"127.0.0.1"_s;
    config.listenPort = 0;
    config.workers = 1;

    flow::FlowStore store;
    engine::Engine private_(config, store);
    if (auto started = private_.start(); !started) {
        std::fprintf(stderr, "tunnelscope send: %s\n", started.error().message.c_str());
        return 1;
    }
    engine::RequestSender sender;
    sender.setEngine(&private_);
    engine::ComposeOptions options;
    options.upstream = upstream::ChainRules{};
    options.upstream->setDefaultChain(chain);
    options.verifyServers = config.verifyServers;
    options.timeoutMs = timeoutMs + 5'000; // the engine's 504 comes first
    sender.setOptions(std::move(options));
    engine::ComposedResponse response;
    QObject::connect(&sender, &engine::RequestSender::finished, &app,
                     [&response](int, const engine::ComposedResponse &r) {
                         response = r;
                         QCoreApplication::quit();
                     });
    sender.send(request);
    QCoreApplication::exec();
    private_.stop();

    if (!response.ok()) {
        std::fprintf(stderr, "tunnelscope send: %s\n", qPrintable(response.error));
        return 1;
    }
    if (response.fromProxy()) {
        std::fprintf(stderr,
                     "tunnelscope send: no response from the origin (the engine answered "
                     "%d): %s\n",
                     response.status, qPrintable(response.proxyError()));
        return 1;
    }
    QByteArray out = response.protocol.toUtf8() + ' ' + QByteArray::number(response.status);
    if (!response.reason.isEmpty())
        out += ' ' + response.reason.toUtf8();
    out += '\n';
    for (const auto &[name, value] : response.headers)
        out += name.toUtf8() + ": " + value.toUtf8() + '\n';
    out += '\n';
    out += response.body;
    std::fwrite(out.constData(), 1, std::size_t(out.size()), stdout);
    std::fflush(stdout);
    std::fprintf(stderr, "tunnelscope send: %d in %lld ms%s%s\n", response.status,
                 response.timings.complete / 1000, chain.direct() ? "" : " via ",
                 chain.direct() ? "" : chain.display().c_str());
    return 0;
}

} // namespace ts::app
