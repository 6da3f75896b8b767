#pragma once

// Runs tests/core/ws/wsproto_peer.py (python3-wsproto as a reference peer) from a Qt Test.

#include <QProcess>
#include <QStringList>
#include <QtGlobal>

#include <string>
#include <string_view>

namespace ts::ws::test {

inline std::string toHex(std::string_view s)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : s) {
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0xf];
    }
    return out;
}

inline std::string fromHex(std::string_view hex)
{
    std::string out;
    const auto nibble = [](char c) {
        return c <= '9' ? c - '0' : c - 'a' + 10;
    };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    return out;
}

// Runs the script with /usr/bin/python3 (where Debian's python3-wsproto imports), `input` on
// its stdin. False, with a warning, when it cannot run: the caller fails the test.
inline bool runPeer(const QStringList &args, const std::string &input, std::string &output)
{
    // ctest sets TS_SOURCE_DIR; run by hand, the script is found beside this header.
    const QByteArray dir = qgetenv("TS_SOURCE_DIR");
    std::string script = std::string(__FILE__);
    script = script.substr(0, script.rfind('/') + 1) + "wsproto_peer.py";
    if (!dir.isEmpty())
        script = dir.toStdString() + "/tests/core/ws/wsproto_peer.py";
    QProcess p;
    QStringList all{QString::fromStdString(script)};
    all += args;
    p.start(QStringLiteral("/usr/bin/python3"), all);
    if (!p.waitForStarted(10000))
        return false;
    p.write(input.data(), qint64(input.size()));
    p.closeWriteChannel();
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("wsproto_peer.py failed (is python3-wsproto installed?): %s",
                 p.readAllStandardError().constData());
        return false;
    }
    output = p.readAllStandardOutput().toStdString();
    return true;
}

} // namespace ts::ws::test
