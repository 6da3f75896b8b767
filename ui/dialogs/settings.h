#pragma once

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
    qint64 bodyMemoryMiB = 256;    // recorded bodies kept in memory before they spill to disk
    qint64 bodyCapKiB = 1024;      // of one body
    qint64 frameLogFrames = 10000; // frames kept per connection

    // Missing keys keep the defaults above.
    static Settings load(QSettings &settings);
    void save(QSettings &settings) const;
    // Key -> what is wrong with its value, in words for the person who typed it. Empty: valid.
    QMap<QString, QString> validate() const;
    // The keys whose values differ.
    static QStringList changedKeys(const Settings &before, const Settings &after);

    bool operator==(const Settings &) const = default;
};

// Why a pass-through pattern cannot work ("" when it can): a glob of host-name characters
// with * and ?, or re: and a regular expression the proxy accepts.
QString passthroughPatternError(const QString &pattern);

} // namespace ts::ui
