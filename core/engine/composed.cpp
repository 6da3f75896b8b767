#include "core/engine/composed.h"

#include "core/proxy/http_proxy_session.h"

namespace ts::engine {

using namespace Qt::StringLiterals;

namespace {

const QByteArray kProxyMarker = "\n\nTunnelscope: "_ba;

} // namespace

bool ComposedResponse::fromProxy() const
{
    if (!ok())
        return false;
    const QString field = QString::fromLatin1(proxy::kLocalErrorField);
    return std::any_of(headers.begin(), headers.end(), [&field](const auto &h) {
        return h.first.compare(field, Qt::CaseInsensitive) == 0;
    });
}

QString ComposedResponse::proxyError() const
{
    if (!fromProxy())
        return {};
    // The body is "502 Bad Gateway\n\nTunnelscope: <why>\n" (HttpStream::fail).
    const qsizetype at = body.indexOf(kProxyMarker);
    return QString::fromUtf8(at < 0 ? body : body.mid(at + kProxyMarker.size())).trimmed();
}

Result<SplitUrl> splitUrl(const QString &text)
{
    SplitUrl out;
    const QString url = text.trimmed();
    const qsizetype sep = url.indexOf(u"://");
    if (sep <= 0)
        return Error{"url.scheme",
                     "the URL needs http:// or https:// in front: " + url.toStdString()};
    out.scheme = url.left(sep).toLower();
    if (out.scheme != u"http" && out.scheme != u"https")
        return Error{"url.scheme", "only http and https URLs can be sent, not "
                                       + out.scheme.toStdString() + "://"};
    qsizetype end = sep + 3;
    while (end < url.size() && url.at(end) != u'/' && url.at(end) != u'?' && url.at(end) != u'#')
        ++end;
    out.authority = url.mid(sep + 3, end - sep - 3);
    if (out.authority.contains(u'@'))
        return Error{"url.userinfo", "user names in the URL are not sent: use an Authorization "
                                     "header"};
    QString rest = url.mid(end);
    if (const qsizetype hash = rest.indexOf(u'#'); hash >= 0)
        rest.truncate(hash);
    out.path = rest.isEmpty() || rest.startsWith(u'?') ? u'/' + rest : rest;
    if (out.path.contains(u' '))
        return Error{"url.space", "the URL has a space in it: write it as %20"};

    QString host = out.authority;
    QString port;
    if (host.startsWith(u'[')) {
        const qsizetype close = host.indexOf(u']');
        if (close < 0)
            return Error{"url.host", "unclosed [ in the URL's host"};
        port = host.mid(close + 1);
        host = host.mid(1, close - 1);
        if (!port.isEmpty() && !port.startsWith(u':'))
            return Error{"url.host", "junk after ] in the URL's host"};
        port = port.mid(1);
    } else if (const qsizetype colon = host.lastIndexOf(u':'); colon >= 0) {
        port = host.mid(colon + 1);
        host.truncate(colon);
    }
    if (host.isEmpty())
        return Error{"url.host", "the URL has no host"};
    out.host = host.toLower();
    if (port.isEmpty()) {
        out.port = out.scheme == u"https" ? 443 : 80;
    } else {
        bool ok = false;
        const uint p = port.toUInt(&ok);
        if (!ok || p == 0 || p > 65535)
            return Error{"url.port", "bad port in the URL: " + port.toStdString()};
        out.port = quint16(p);
    }
    return out;
}

} // namespace ts::engine
