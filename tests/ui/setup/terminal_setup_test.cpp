// The terminal helper: the variables and the shell snippet, the CA bundle, and which terminal
// it starts with which environment (a fake runner: nothing is started).
#include "ui/setup/system_ca.h"
#include "ui/setup/terminal_setup.h"

#include "fake_runner.h"

#include <QTest>

using namespace ts::ui;
using namespace Qt::StringLiterals;

class TerminalSetupTest final : public QObject
{
    Q_OBJECT

private slots:
    void variablesNameTheProxyAndTheCa()
    {
        const auto v = TerminalSetup::variables(u"http://127.0.0.1:8080"_s, u"/c/ca.pem"_s,
                                                u"/c/bundle.pem"_s);
        const auto value = [&v](const QString &name) {
            for (const auto &[n, set] : v)
                if (n == name)
                    return set;
            return u"<unset>"_s;
        };
        QCOMPARE(value(u"http_proxy"_s), u"http://127.0.0.1:8080"_s);
        QCOMPARE(value(u"https_proxy"_s), u"http://127.0.0.1:8080"_s);
        QCOMPARE(value(u"HTTPS_PROXY"_s), u"http://127.0.0.1:8080"_s);
        QCOMPARE(value(u"no_proxy"_s), u"localhost,127.0.0.1,::1"_s);
        QCOMPARE(value(u"NODE_EXTRA_CA_CERTS"_s), u"/c/ca.pem"_s); // added to Node's
        QCOMPARE(value(u"SSL_CERT_FILE"_s), u"/c/bundle.pem"_s);   // replace the roots
        QCOMPARE(value(u"REQUESTS_CA_BUNDLE"_s), u"/c/bundle.pem"_s);
        QCOMPARE(value(u"CURL_CA_BUNDLE"_s), u"/c/bundle.pem"_s);

        const auto noCa = TerminalSetup::variables(u"http://h:1"_s, {}, {});
        QCOMPARE(noCa.size(), 6); // the proxy variables only
    }

    void snippetQuotesForTheShell()
    {
        const QString text
            = TerminalSetup::snippet({{u"http_proxy"_s, u"http://127.0.0.1:8080"_s},
                                      {u"SSL_CERT_FILE"_s, u"/home/o'neil/$HOME/b.pem"_s}});
        QCOMPARE(text, u"export http_proxy='http://127.0.0.1:8080'\n"
                       "export SSL_CERT_FILE='/home/o'\\''neil/$HOME/b.pem'\n"_s);
    }

    void bundleIsTheSystemRootsThenTheCa()
    {
        QCOMPARE(TerminalSetup::bundle("ROOTS", "CA\n"),
                 QByteArray("ROOTS\n# Tunnelscope interception CA\nCA\n"));
        QCOMPARE(TerminalSetup::bundle({}, "CA\n"),
                 QByteArray("# Tunnelscope interception CA\nCA\n"));
    }

    void opensTheFirstTerminalThereIsWithTheVariables()
    {
        FakeRunner runner;
        QProcessEnvironment base;
        base.insert(u"HOME"_s, u"/home/u"_s);
        const TerminalSetup::Variables v = {{u"http_proxy"_s, u"http://127.0.0.1:8080"_s}};
        QCOMPARE(TerminalSetup::openTerminal(runner, v, base), QString());
        QVERIFY(runner.started.isEmpty());

        runner.installed = {u"xterm"_s, u"konsole"_s};
        QCOMPARE(TerminalSetup::openTerminal(runner, v, base), u"/usr/bin/konsole"_s);
        QCOMPARE(runner.started, QStringList{u"/usr/bin/konsole"_s});
        QCOMPARE(runner.lastEnvironment.value(u"http_proxy"_s), u"http://127.0.0.1:8080"_s);
        QCOMPARE(runner.lastEnvironment.value(u"HOME"_s), u"/home/u"_s);
    }

    void systemCaCommandsInstallAndRemove()
    {
        QCOMPARE(SystemCaCommands::install(u"/home/u/.config/Tunnelscope/ca/ca.pem"_s),
                 u"sudo install -m 644 '/home/u/.config/Tunnelscope/ca/ca.pem' "_s
                 u"/usr/local/share/ca-certificates/tunnelscope.crt\n"_s
                 u"sudo update-ca-certificates"_s);
        QCOMPARE(SystemCaCommands::remove(),
                 u"sudo rm /usr/local/share/ca-certificates/tunnelscope.crt\n"_s
                 u"sudo update-ca-certificates --fresh"_s);
    }
};

QTEST_GUILESS_MAIN(TerminalSetupTest)
#include "terminal_setup_test.moc"
