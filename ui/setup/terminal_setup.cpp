#include "ui/setup/terminal_setup.h"

namespace ts::ui {

using namespace Qt::StringLiterals;

namespace {

// Single quotes keep every character but the single quote itself, written '\''.
QString shellQuote(const QString &value)
{
    QString quoted = value;
    quoted.replace(u"'"_s, u"'\\''"_s);
    return u'\'' + quoted + u'\'';
}

} // namespace

TerminalSetup::Variables TerminalSetup::variables(const QString &proxyUrl, const QString &caFile,
                                                  const QString &bundleFile)
{
    const QString noProxy = u"localhost,127.0.0.1,::1"_s;
    Variables v = {
        {u"http_proxy"_s, proxyUrl}, {u"https_proxy"_s, proxyUrl}, {u"no_proxy"_s, noProxy},
        {u"HTTP_PROXY"_s, proxyUrl}, {u"HTTPS_PROXY"_s, proxyUrl}, {u"NO_PROXY"_s, noProxy},
    };
    if (!bundleFile.isEmpty()) {
        v.append({u"SSL_CERT_FILE"_s, bundleFile});
        v.append({u"REQUESTS_CA_BUNDLE"_s, bundleFile});
        v.append({u"CURL_CA_BUNDLE"_s, bundleFile});
    }
    if (!caFile.isEmpty())
        v.append({u"NODE_EXTRA_CA_CERTS"_s, caFile});
    return v;
}

QString TerminalSetup::snippet(const Variables &variables)
{
    QString text;
    for (const auto &[name, value] : variables)
        text += u"export "_s + name + u'=' + shellQuote(value) + u'\n';
    return text;
}

QByteArray TerminalSetup::bundle(const QByteArray &systemRoots, const QByteArray &caPem)
{
    QByteArray out = systemRoots;
    if (!out.isEmpty() && !out.endsWith('\n'))
        out += '\n';
    out += "# Tunnelscope interception CA\n";
    out += caPem;
    return out;
}

QStringList TerminalSetup::terminals()
{
    return {u"x-terminal-emulator"_s, u"gnome-terminal"_s, u"konsole"_s,
            u"xfce4-terminal"_s,      u"mate-terminal"_s,  u"xterm"_s};
}

QString TerminalSetup::openTerminal(CommandRunner &runner, const Variables &variables,
                                    const QProcessEnvironment &base)
{
    QProcessEnvironment environment = base;
    for (const auto &[name, value] : variables)
        environment.insert(name, value);
    for (const QString &name : terminals()) {
        const QString program = runner.find(name);
        if (!program.isEmpty() && runner.startDetached(program, {}, environment))
            return program;
    }
    return {};
}

} // namespace ts::ui
