#include "ui/dialogs/settings.h"

#include "core/proxy/host_patterns.h"

#include <QHostAddress>
#include <QSettings>

namespace ts::ui {

namespace {

QString key(const char *name)
{
    return QLatin1String(name);
}

QString portError(qint64 port)
{
    if (port < 1 || port > 65535)
        return Settings::tr("A port is a whole number from 1 to 65535.");
    return {};
}

QString rangeError(qint64 value, qint64 min, qint64 max)
{
    if (value < min || value > max)
        return Settings::tr("Enter a whole number from %1 to %2.").arg(min).arg(max);
    return {};
}

} // namespace

QString passthroughPatternError(const QString &pattern)
{
    if (pattern.startsWith(QLatin1String("re:"))) {
        if (pattern.size() == 3)
            return Settings::tr("'re:' needs a regular expression after it.");
        const auto parsed = proxy::HostPatterns::parse({pattern.toStdString()});
        if (!parsed) {
            // "invalid host pattern 're:...': <why>": the pattern is on the line already.
            const std::string &message = parsed.error().message;
            const auto why = message.find("': ");
            return Settings::tr("Not a valid regular expression: %1")
                .arg(QString::fromStdString(why == std::string::npos ? message
                                                                     : message.substr(why + 3)));
        }
        return {};
    }
    if (pattern.contains(QLatin1String("://")) || pattern.contains(QLatin1Char('/')))
        return Settings::tr("'%1' looks like a URL; write the host only, like *.example.com.")
            .arg(pattern);
    for (const QChar c : pattern) {
        const bool hostChar = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z')
                              || (c >= u'0' && c <= u'9') || c == u'-' || c == u'.' || c == u'_'
                              || c == u':' || c == u'*' || c == u'?';
        if (!hostChar)
            return Settings::tr(
                       "'%1' is not a host glob: use letters, digits, '-', '.', '*' and '?' "
                       "(or re:REGEX).")
                .arg(pattern);
    }
    return {};
}

QString upstreamHopError(const QString &url)
{
    const QString trimmed = url.trimmed();
    if (trimmed.isEmpty())
        return Settings::tr("Enter a proxy URL, like http://127.0.0.1:3128.");
    if (const auto hop = upstream::Hop::parse(trimmed.toStdString()); !hop)
        return QString::fromStdString(hop.error().message); // quotes the URL redacted
    return {};
}

QString upstreamRuleError(const QString &rule)
{
    const QString trimmed = rule.trimmed();
    // The "=" must come before any "scheme://" (a password may hold one), as for
    // --upstream-rule: without it the entry would be a second default chain.
    const qsizetype equals = trimmed.indexOf(u'=');
    const qsizetype scheme = trimmed.indexOf(QLatin1String("://"));
    if (equals <= 0 || (scheme >= 0 && equals > scheme))
        return Settings::tr("'%1' is not a rule: write HOST GLOBS = CHAIN, like "
                            "*.corp.example = http://proxy:3128 or 10.* = direct.")
            .arg(upstreamDisplay(trimmed));
    if (const auto rules = upstream::ChainRules::parse({trimmed.toStdString()}); !rules)
        return QString::fromStdString(rules.error().message);
    return {};
}

QString upstreamDisplay(const QString &entry)
{
    return QString::fromStdString(upstream::redactUrl(entry.toStdString()));
}

Result<upstream::ChainRules> Settings::upstreamChains() const
{
    std::vector<std::string> entries;
    for (const QString &rule : upstreamRules) {
        if (const QString error = upstreamRuleError(rule); !error.isEmpty())
            return Error{"upstream.bad-rule", error.toStdString()};
        entries.push_back(rule.trimmed().toStdString());
    }
    QStringList hops;
    for (const QString &hop : upstreamHops) {
        if (const QString error = upstreamHopError(hop); !error.isEmpty())
            return Error{"upstream.bad-url", error.toStdString()};
        hops << hop.trimmed();
    }
    if (!hops.isEmpty())
        entries.push_back(hops.join(QStringLiteral(", ")).toStdString());
    return upstream::ChainRules::parse(entries);
}

Settings Settings::load(QSettings &s)
{
    Settings d;
    Settings out;
    out.listenHost = s.value(key(kListenHost), d.listenHost).toString();
    out.listenPort = s.value(key(kListenPort), d.listenPort).toLongLong();
    out.httpsPort = s.value(key(kHttpsPort), d.httpsPort).toLongLong();
    out.intercept = s.value(key(kIntercept), d.intercept).toBool();
    out.passthrough = s.value(key(kPassthrough), d.passthrough).toStringList();
    out.verifyUpstream = s.value(key(kVerifyUpstream), d.verifyUpstream).toBool();
    out.bodyMemoryMiB = s.value(key(kBodyMemoryMiB), d.bodyMemoryMiB).toLongLong();
    out.bodyCapKiB = s.value(key(kBodyCapKiB), d.bodyCapKiB).toLongLong();
    out.frameLogFrames = s.value(key(kFrameLogFrames), d.frameLogFrames).toLongLong();
    out.appearance = s.value(key(kAppearance), d.appearance).toString();
    out.upstreamHops = s.value(key(kUpstreamHops), d.upstreamHops).toStringList();
    out.upstreamRules = s.value(key(kUpstreamRules), d.upstreamRules).toStringList();
    return out;
}

void Settings::save(QSettings &s) const
{
    s.setValue(key(kListenHost), listenHost);
    s.setValue(key(kListenPort), listenPort);
    s.setValue(key(kHttpsPort), httpsPort);
    s.setValue(key(kIntercept), intercept);
    s.setValue(key(kPassthrough), passthrough);
    s.setValue(key(kVerifyUpstream), verifyUpstream);
    s.setValue(key(kBodyMemoryMiB), bodyMemoryMiB);
    s.setValue(key(kBodyCapKiB), bodyCapKiB);
    s.setValue(key(kFrameLogFrames), frameLogFrames);
    s.setValue(key(kAppearance), appearance);
    s.setValue(key(kUpstreamHops), upstreamHops);
    s.setValue(key(kUpstreamRules), upstreamRules);
}

QMap<QString, QString> Settings::validate() const
{
    QMap<QString, QString> errors;
    auto add = [&](const char *name, const QString &error) {
        if (!error.isEmpty())
            errors.insert(key(name), error);
    };

    const QString host = listenHost.trimmed();
    if (host.isEmpty())
        add(kListenHost, Settings::tr("Enter an address to listen on, like 127.0.0.1."));
    else if (host != QLatin1String("localhost") && QHostAddress(host).isNull())
        add(kListenHost,
            Settings::tr("'%1' is not an IP address (127.0.0.1, ::1, 0.0.0.0 ...).").arg(host));

    add(kListenPort, portError(listenPort));
    if (httpsPort != 0) {
        add(kHttpsPort, portError(httpsPort));
        if (httpsPort == listenPort)
            add(kHttpsPort, Settings::tr("The HTTP listener already uses port %1.").arg(httpsPort));
    }

    QStringList patternErrors;
    for (qsizetype i = 0; i < passthrough.size(); ++i) {
        const QString pattern = passthrough[i].trimmed();
        if (pattern.isEmpty())
            continue;
        if (const QString e = passthroughPatternError(pattern); !e.isEmpty())
            patternErrors << Settings::tr("Line %1: %2").arg(i + 1).arg(e);
    }
    add(kPassthrough, patternErrors.join(QLatin1Char('\n')));

    add(kBodyMemoryMiB, rangeError(bodyMemoryMiB, 1, kMaxBodyMemoryMiB));
    if (const QString e = rangeError(bodyCapKiB, 1, kMaxBodyCapKiB); !e.isEmpty())
        add(kBodyCapKiB, e);
    else if (bodyMemoryMiB >= 1 && bodyCapKiB > bodyMemoryMiB * 1024)
        add(kBodyCapKiB, Settings::tr("One body cannot keep more than the memory budget (%1 KiB).")
                             .arg(bodyMemoryMiB * 1024));
    add(kFrameLogFrames, rangeError(frameLogFrames, kMinFrameLogFrames, kMaxFrameLogFrames));
    if (appearance != u"system" && appearance != u"light" && appearance != u"dark")
        add(kAppearance, Settings::tr("Choose system, light or dark."));

    QStringList hopErrors;
    for (qsizetype i = 0; i < upstreamHops.size(); ++i) {
        if (const QString e = upstreamHopError(upstreamHops[i]); !e.isEmpty())
            hopErrors << Settings::tr("Hop %1: %2").arg(i + 1).arg(e);
    }
    if (upstreamHops.size() > qsizetype(upstream::ChainSpec::kMaxHops))
        hopErrors
            << Settings::tr("A chain has at most %1 hops.").arg(upstream::ChainSpec::kMaxHops);
    add(kUpstreamHops, hopErrors.join(QLatin1Char('\n')));
    QStringList ruleErrors;
    for (qsizetype i = 0; i < upstreamRules.size(); ++i) {
        if (const QString e = upstreamRuleError(upstreamRules[i]); !e.isEmpty())
            ruleErrors << Settings::tr("Rule %1: %2").arg(i + 1).arg(e);
    }
    add(kUpstreamRules, ruleErrors.join(QLatin1Char('\n')));
    return errors;
}

QStringList Settings::changedKeys(const Settings &a, const Settings &b)
{
    QStringList keys;
    auto check = [&](bool differs, const char *name) {
        if (differs)
            keys << key(name);
    };
    check(a.listenHost != b.listenHost, kListenHost);
    check(a.listenPort != b.listenPort, kListenPort);
    check(a.httpsPort != b.httpsPort, kHttpsPort);
    check(a.intercept != b.intercept, kIntercept);
    check(a.passthrough != b.passthrough, kPassthrough);
    check(a.verifyUpstream != b.verifyUpstream, kVerifyUpstream);
    check(a.bodyMemoryMiB != b.bodyMemoryMiB, kBodyMemoryMiB);
    check(a.bodyCapKiB != b.bodyCapKiB, kBodyCapKiB);
    check(a.frameLogFrames != b.frameLogFrames, kFrameLogFrames);
    check(a.upstreamHops != b.upstreamHops, kUpstreamHops);
    check(a.upstreamRules != b.upstreamRules, kUpstreamRules);
    check(a.appearance != b.appearance, kAppearance);
    return keys;
}

} // namespace ts::ui
