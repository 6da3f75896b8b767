#include "app/headless.h"
#include "app/options.h"

#include "core/engine/engine.h"
#include "core/flow/flow_store.h"
#include "core/tls/certificate_authority.h"

#ifdef TS_HAVE_GUI
#include "ui/app_resources.h"
#include "ui/main_window.h"
#include <QApplication>
#endif
#include <QCoreApplication>

#include <cstdio>
#include <memory>

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const ts::app::ParseOutcome parsed = ts::app::parseOptions(arguments);
    if (!parsed.options) {
        std::FILE *to = parsed.exitCode == 0 ? stdout : stderr;
        std::fprintf(to, "%s%s\n", parsed.exitCode == 0 ? "" : "tunnelscope: ",
                     qPrintable(parsed.message.trimmed()));
        return parsed.exitCode;
    }
    const ts::app::Options &options = *parsed.options;

    QCoreApplication::setOrganizationName(QStringLiteral("Tunnelscope"));
    QCoreApplication::setApplicationName(QStringLiteral("Tunnelscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TS_VERSION));

    // CA chores need no application, and must work without a display.
    if (!options.exportCaPath.isEmpty() || options.regenerateCa) {
        const QString dir = ts::engine::Engine::caDirectory(options.engine);
        auto ca = ts::tls::CertificateAuthority::openOrCreate(dir.toStdString());
        if (!ca) {
            std::fprintf(stderr, "tunnelscope: %s\n", ca.error().message.c_str());
            return 1;
        }
        if (options.regenerateCa) {
            if (auto r = (*ca)->regenerate(); !r) {
                std::fprintf(stderr, "tunnelscope: %s\n", r.error().message.c_str());
                return 1;
            }
            std::fprintf(stderr, "tunnelscope: made a new CA in %s (SHA-256 %s)\n", qPrintable(dir),
                         (*ca)->info().sha256.c_str());
        }
        if (!options.exportCaPath.isEmpty()) {
            if (auto r = (*ca)->exportCertificate(options.exportCaPath.toStdString()); !r) {
                std::fprintf(stderr, "tunnelscope: %s\n", r.error().message.c_str());
                return 1;
            }
            std::fprintf(stderr, "tunnelscope: wrote the CA certificate to %s\n",
                         qPrintable(options.exportCaPath));
            return 0;
        }
    }

    // Qt's own UNIX event dispatcher instead of glib's, which costs noticeably more per socket
    // wake-up; nothing here needs glib's loop.
    qputenv("QT_NO_GLIB", "1");
    std::unique_ptr<QCoreApplication> app;
#ifdef TS_HAVE_GUI
    if (!options.headless) {
        app = std::make_unique<QApplication>(argc, argv);
        ts::ui::setUpApplication(*app);
    }
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);

    ts::flow::FlowStore store;
    auto budget = store.budget();
    if (options.bodyMemoryBytes)
        budget->totalMemory = options.bodyMemoryBytes;
    if (options.bodyCapBytes)
        budget->perBodyMemory = options.bodyCapBytes;
    if (options.bodyRecordBytes)
        budget->perBodyRecorded = options.bodyRecordBytes;

    ts::engine::Engine engine(options.engine, store);
    if (const auto started = engine.start(); !started) {
        std::fprintf(stderr, "tunnelscope: %s\n", started.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "tunnelscope: listening on %s\n", qPrintable(engine.listenAddress()));
    if (!engine.httpsListenAddress().isEmpty())
        std::fprintf(stderr, "tunnelscope: listening on %s for HTTPS proxy clients\n",
                     qPrintable(engine.httpsListenAddress()));
    if (!engine.socksListenAddress().isEmpty())
        std::fprintf(stderr, "tunnelscope: SOCKS5 on %s%s\n",
                     qPrintable(engine.socksListenAddress()),
                     options.engine.socksCredentials ? " (username/password required)" : "");
    // Upstream chains as they will be used (passwords shown as ***).
    for (const auto &rule : options.engine.upstream.rules()) {
        std::string patterns;
        for (const std::string &p : rule.patterns)
            patterns += (patterns.empty() ? "" : ", ") + p;
        std::fprintf(stderr, "tunnelscope: upstream for %s: %s%s\n", patterns.c_str(),
                     rule.chain.direct() ? "" : "via ", rule.chain.display().c_str());
    }
    if (const auto &chain = options.engine.upstream.defaultChain(); !chain.direct())
        std::fprintf(stderr, "tunnelscope: upstream%s: via %s\n",
                     options.engine.upstream.rules().empty() ? "" : " for other hosts",
                     chain.display().c_str());
    if (const auto ca = engine.certificateAuthority()) {
        std::fprintf(stderr, "tunnelscope: CA %s/ca.pem (SHA-256 %s)\n", ca->directory().c_str(),
                     ca->info().sha256.c_str());
        for (const std::string &notice : ca->notices())
            std::fprintf(stderr, "tunnelscope: %s\n", notice.c_str());
    }
    std::fflush(stderr);

    if (options.headless)
        return ts::app::runHeadless(options, engine, store);

#ifdef TS_HAVE_GUI
    ts::app::installQuitOnSignals();
    ts::ui::MainWindow window(store, {engine.listenAddress()});
    window.show();
    const int code = QApplication::exec();
    engine.stop();
    return code;
#else
    return 0;
#endif
}
