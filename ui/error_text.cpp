#include "ui/error_text.h"

#include <QCoreApplication>

namespace ts::ui {

QString errorHeadline(const std::string &code)
{
    // Each string is spelled out in a translate() call so that lupdate finds it.
    if (code == "listen.failed")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "Tunnelscope cannot listen on that address and port.");
    if (code == "listen.address")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "The address to listen on is not an IP address.");
    if (code == "ca")
        return QCoreApplication::translate(
            "ts::ui::ErrorText",
            "Tunnelscope cannot load or create its certificate authority, the CA it "
            "intercepts HTTPS with.");
    if (code == "tls.ca.io")
        return QCoreApplication::translate(
            "ts::ui::ErrorText", "A file of the certificate authority cannot be read or written.");
    if (code == "tls.ca.corrupt")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "A file of the certificate authority is damaged.");
    if (code == "tls.ca.missing")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "A file of the certificate authority is missing.");
    if (code == "tls.ca.mismatch")
        return QCoreApplication::translate(
            "ts::ui::ErrorText", "The CA's private key does not belong to its certificate.");
    if (code == "tls.ca.expired")
        return QCoreApplication::translate(
            "ts::ui::ErrorText",
            "The CA certificate has expired; tunnelscope --regenerate-ca makes a new one.");
    if (code == "filter.syntax")
        return QCoreApplication::translate("ts::ui::ErrorText", "The filter is not valid.");
    if (code == "session.read")
        return QCoreApplication::translate("ts::ui::ErrorText", "The file cannot be opened.");
    if (code == "session.foreign")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "The file is not a Tunnelscope session.");
    if (code == "session.newer")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "The session was saved by a newer Tunnelscope.");
    if (code == "session.write" || code == "har.write" || code == "file.unwritable")
        return QCoreApplication::translate("ts::ui::ErrorText", "The file cannot be written.");
    if (code == "har.parse" || code == "har.format")
        return QCoreApplication::translate("ts::ui::ErrorText",
                                           "The file is not a HAR file Tunnelscope can read.");
    return {};
}

QString errorText(const Error &error)
{
    const QString detail = QString::fromStdString(error.message);
    const QString headline = errorHeadline(error.code);
    if (headline.isEmpty())
        return detail;
    return detail.isEmpty() ? headline : headline + u'\n' + detail;
}

} // namespace ts::ui
