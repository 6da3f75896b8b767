// The proxy's own page: written for the address the client reached.
#include "core/proxy/info_page.h"

#include <QTest>

using namespace ts::proxy;

class InfoPageTest final : public QObject
{
    Q_OBJECT

private slots:
    void namesTheAddressTheClientReached()
    {
        const std::string page = infoPage({"192.168.1.20:8080", false, nullptr});
        QVERIFY(page.find("curl -x http://192.168.1.20:8080 http://example.com/")
                != std::string::npos);
        QVERIFY(page.find("http://192.168.1.20:8080/proxy.pac") != std::string::npos);
        // A phone's Wi-Fi settings take the host and the port apart.
        QVERIFY(page.find("server <code>192.168.1.20</code>, port <code>8080</code>")
                != std::string::npos);
        QVERIFY(page.find("Trust the certificate authority") == std::string::npos); // no CA
    }

    void httpsListenerAndIpv6()
    {
        const std::string page = infoPage({"[fd00::5]:8443", true, nullptr});
        QVERIFY(page.find("curl -x https://[fd00::5]:8443") != std::string::npos);
        QVERIFY(page.find("server <code>[fd00::5]</code>, port <code>8443</code>")
                != std::string::npos);
    }

    void escapesWhatItShows()
    {
        const std::string page = infoPage({"<b>x</b>:1", false, nullptr});
        QVERIFY(page.find("<b>x</b>") == std::string::npos);
        QVERIFY(page.find("&lt;b&gt;x&lt;/b&gt;") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(InfoPageTest)
#include "info_page_test.moc"
