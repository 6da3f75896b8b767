#include "app/headless.h"
#include "app/options.h"
#include "app/send.h"

#include "core/engine/engine.h"
#include "core/flow/flow_store.h"
#include "core/tls/certificate_authority.h"

#ifdef TS_HAVE_GUI
#include "ui/app_resources.h"
#include "ui/dialogs/port_in_use_dialog.h"
#include "ui/dialogs/settings.h"
#include "ui/error_text.h"
#include "ui/main_window.h"
#include <QApplication>
#include <QSettings>
#endif
#include <QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#ifdef TS_HAVE_GUI
namespace {

// Whether the command line gives option `name` ("--listen 1.2.3.4:80" or "--listen=...").
bool given(const QStringList &arguments, const QString &name)
{
    const QString option = QStringLiteral("--") + name;
    return std::any_of(arguments.begin(), arguments.end(), [&](const QString &a) {
        return a == option || a.startsWith(option + QLatin1Char('='));
    });
}

// The preferences saved by Edit > Preferences, under the command line: an option given there
// wins over the saved value. Returns the settings in effect. The headless mode does not read
// them: a terminal or CI run does what its command line says.
ts::ui::Settings applySavedSettings(const QStringList &arguments, ts::app::Options &options)
{
    QSettings qsettings;
    ts::ui::Settings s = ts::ui::Settings::load(qsettings);
    if (const auto errors = s.validate(); !errors.isEmpty()) {
        std::fprintf(stderr, "tunnelscope: ignoring saved preferences (%s: %s)\n",
                     qPrintable(errors.firstKey()), qPrintable(errors.first()));
        s = {};
    }
    ts::engine::EngineConfig &e = options.engine;
    if (given(arguments, QStringLiteral("listen"))) {
        s.listenHost = e.listenHost;
        s.listenPort = e.listenPort;
    } else {
        e.listenHost = s.listenHost;
        e.listenPort = quint16(s.listenPort);
    }
    if (given(arguments, QStringLiteral("listen-https"))) {
        s.httpsPort = e.httpsListenPort;
    } else if (s.httpsPort != 0) {
        e.httpsListenHost = e.listenHost;
        e.httpsListenPort = quint16(s.httpsPort);
    }
    if (given(arguments, QStringLiteral("no-intercept")))
        s.intercept = false;
    else
        e.intercept = s.intercept;
    if (given(arguments, QStringLiteral("passthrough")))
        s.passthrough = e.passthrough;
    else
        e.passthrough = s.passthrough;
    if (given(arguments, QStringLiteral("insecure-upstream")))
        s.verifyUpstream = false;
    else
        e.verifyServers = s.verifyUpstream;
    if (given(arguments, QStringLiteral("upstream"))
        || given(arguments, QStringLiteral("upstream-rule"))) {
        s.upstreamHops = options.upstreamHops;
        s.upstreamRules = options.upstreamRules;
    } else if (auto chains = s.upstreamChains()) {
        e.upstream = std::move(*chains); // validate() passed: it parses
    }
    if (given(arguments, QStringLiteral("body-memory")))
        s.bodyMemoryMiB = qint64(options.bodyMemoryBytes >> 20);
    else
        options.bodyMemoryBytes = quint64(s.bodyMemoryMiB) << 20;
    if (given(arguments, QStringLiteral("body-cap")))
        s.bodyCapKiB = qint64(options.bodyCapBytes >> 10);
    else
        options.bodyCapBytes = quint64(s.bodyCapKiB) << 10;
    return s;
}

} // namespace
#endif

int main(int argc, char *argv[])
{
    // `tunnelscope send ...`: the composer on the command line, with options of its own.
    if (argc > 1 && std::strcmp(argv[1], "send") == 0)
        return ts::app::runSend(argc, argv);

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
    ts::app::Options options = *parsed.options;

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
#ifdef TS_HAVE_GUI
    ts::ui::Settings settings;
    if (!options.headless)
        settings = applySavedSettings(arguments, options);
    if (!options.headless)
        ts::ui::applyAppearance(settings.appearance); // "system": as the platform has it
#endif

    ts::flow::FlowStore store;
    auto budget = store.budget();
    if (options.bodyMemoryBytes)
        budget->totalMemory = options.bodyMemoryBytes;
    if (options.bodyCapBytes)
        budget->perBodyMemory = options.bodyCapBytes;
    if (options.bodyRecordBytes)
        budget->perBodyRecorded = options.bodyRecordBytes;

    std::optional<ts::engine::Engine> started;
    for (;;) {
        ts::engine::Engine &engine = started.emplace(options.engine, store);
#ifdef TS_HAVE_GUI
        if (!options.headless)
            engine.setFrameLogCapacity(std::size_t(settings.frameLogFrames));
#endif
        const auto result = engine.start();
        if (result)
            break;
        std::fprintf(stderr, "tunnelscope: %s\n", result.error().message.c_str());
#ifdef TS_HAVE_GUI
        // Started from the desktop there is no terminal: the window must say it.
        if (!options.headless
            && ts::ui::offerAnotherPort(options.engine, ts::ui::errorText(result.error())))
            continue;
#endif
        return 1;
    }
    ts::engine::Engine &engine = *started;
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
    // What the window may change while the proxy runs (Edit > Preferences, the toolbar).
    ts::ui::EngineControls controls;
    controls.intercepting = options.engine.intercept;
    controls.setIntercepting = [&engine](bool on) {
        engine.setInterceptEnabled(on);
    };
    controls.setPassthrough = [&engine](const QStringList &patterns) {
        const auto set = engine.setPassthrough(patterns);
        return set ? QString() : QString::fromStdString(set.error().message);
    };
    controls.setVerifyServers = [&engine](bool verify) {
        engine.setVerifyServers(verify);
    };
    controls.setUpstream = [&engine](const ts::upstream::ChainRules &rules) {
        engine.setUpstream(rules);
    };
    controls.setFrameLogCapacity = [&engine](std::size_t frames) {
        engine.setFrameLogCapacity(frames);
    };
    controls.acceptPaused = [&engine] {
        return engine.acceptPaused();
    };
    controls.ca = engine.certificateAuthority();
    controls.engine = &engine;
    controls.config = std::make_shared<const ts::engine::EngineConfig>(engine.config());
    // What is in effect: with --listen HOST:0 that is the port the system chose.
    const auto portOf = [](const QString &address) {
        return address.mid(address.lastIndexOf(QLatin1Char(':')) + 1).toLongLong();
    };
    settings.listenPort = portOf(engine.listenAddress());
    if (!engine.httpsListenAddress().isEmpty())
        settings.httpsPort = portOf(engine.httpsListenAddress());
    controls.settings = settings;
    QStringList listening{engine.listenAddress()};
    if (!engine.httpsListenAddress().isEmpty())
        listening << engine.httpsListenAddress() + QStringLiteral(" (HTTPS)");
    ts::ui::MainWindow window(store, listening, std::move(controls));
    // SIGTERM (logout, kill) and Ctrl-C in a terminal: no question nobody may be there to
    // answer; the capture is autosaved and offered back at the next start.
    ts::app::installQuitOnSignals([&window] { window.quitWithoutAsking(); });
    window.show();
    window.recoverSystemProxy();
    window.offerRecovery();
    const int code = QApplication::exec();
    engine.stop();
    return code;
#else
    return 0;
#endif
}
