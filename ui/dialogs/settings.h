#pragma once

#include "core/base/result.h"
#include "core/upstream/chain.h"

#include <QCoreApplication>
#include <QMap>
#include <QString>
#include <QStringList>

class QSettings;

namespace ts::ui {

// What the settings dialog edits, as kept in QSettings. Numbers are plain integers so a value
// typed out of range can be held, shown and explained (validate()) rather than clamped.
struct Settings
{
    Q_DECLARE_TR_FUNCTIONS(Settings)

public:
    // QSettings keys; also the names validate() and changedKeys() use.
    static constexpr const char *kListenHost = "proxy/listenHost";
    static constexpr const char *kListenPort = "proxy/listenPort";
    static constexpr const char *kHttpsPort = "proxy/httpsPort";
    static constexpr const char *kIntercept = "tls/intercept";
    static constexpr const char *kPassthrough = "tls/passthrough";
    static constexpr const char *kVerifyUpstream = "tls/verifyUpstream";
    static constexpr const char *kBodyMemoryMiB = "memory/bodyMemoryMiB";
    static constexpr const char *kBodyCapKiB = "memory/bodyCapKiB";
    static constexpr const char *kFrameLogFrames = "memory/frameLogFrames";
    static constexpr const char *kUpstreamHops = "upstream/hops";
    static constexpr const char *kUpstreamRules = "upstream/rules";
    static constexpr const char *kAppearance = "ui/appearance";

    // Bounds, the same as the command line's where it has the option.
    static constexpr qint64 kMaxBodyMemoryMiB = 1 << 20;
    static constexpr qint64 kMaxBodyCapKiB = 1 << 20;
    static constexpr qint64 kMinFrameLogFrames = 100;
    static constexpr qint64 kMaxFrameLogFrames = 10'000'000;

    QString listenHost = QStringLiteral("127.0.0.1");
    qint64 listenPort = 8080;
    qint64 httpsPort = 0; // 0: no HTTPS proxy listener
    bool intercept = true;
    QStringList passthrough; // host globs or re:REGEX, one per entry
    bool verifyUpstream = true;
    qint64 bodyMemoryMiB = 256;    // recorded flows kept in memory; then they spill to disk
    qint64 bodyCapKiB = 1024;      // of one body
    qint64 frameLogFrames = 10000; // frames kept per connection
    // Upstream proxies (--upstream, --upstream-rule): the default chain, hop 1 first, as hop
    // URLs (http://, https://, socks5://, socks5h://, with optional user:password@), and
    // rules "GLOB[, GLOB]=CHAIN" that pick another chain (or "direct") per destination host,
    // first match winning. Both empty: every connection is direct.
    QStringList upstreamHops;
    QStringList upstreamRules;
    // The window's colours: "system" (the desktop's palette), "light" or "dark".
    QString appearance = QStringLiteral("system");

    // Missing keys keep the defaults above.
    static Settings load(QSettings &settings);
    void save(QSettings &settings) const;
    // Key -> what is wrong with its value, in words for the person who typed it. Empty: valid.
    QMap<QString, QString> validate() const;
    // The keys whose values differ.
    static QStringList changedKeys(const Settings &before, const Settings &after);
    // upstreamRules and upstreamHops as the engine takes them; the error (passwords redacted)
    // when validate() would complain about either.
    Result<upstream::ChainRules> upstreamChains() const;

    bool operator==(const Settings &) const = default;
};

// Why a pass-through pattern cannot work ("" when it can): a glob of host-name characters
// with * and ?, or re: and a regular expression the proxy accepts.
QString passthroughPatternError(const QString &pattern);

// Why an upstream hop URL or a rule ("GLOB=CHAIN") cannot work ("" when it can); the input is
// quoted with its password replaced by "***".
QString upstreamHopError(const QString &url);
QString upstreamRuleError(const QString &rule);
// A hop URL or a rule as the dialog shows it: passwords replaced by "***".
QString upstreamDisplay(const QString &entry);

} // namespace ts::ui
