// tls_load: a small HTTPS load generator for bench/run.sh. OpenSSL directly, no Qt.
//
//   tls_load --target HOST:PORT --cafile FILE [--proxy HOST:PORT] [--path /1k]
//            [--connections N] [--duration SEC] [--requests-per-connection M] [--timeout SEC]
//
// One thread per connection, blocking sockets. Each thread opens a connection (TCP connect; with
// --proxy, "CONNECT HOST:PORT" to the proxy and a 2xx answer; then a TLS handshake that verifies
// the chain against --cafile and the host name), sends HTTP/1.1 GETs one at a time and reads
// each response (Content-Length bodies only), and after M requests (M = 0: never) closes and
// opens a new one. M = 1 is one handshake per request, so handshakes/s. The run stops starting
// requests after --duration; every socket operation has --timeout, so the run is bounded.
//
// Before the load it makes one preflight connection and request; if that fails (no route, the
// proxy refuses, the certificate is not trusted, not a 200) it says why and exits 1. Bad
// arguments exit 2. Errors during the run are counted, not fatal. The last line is for scripts:
//   TLS_LOAD_RESULT requests=N rps=R handshakes=H hps=R req_p50_ms=X req_p99_ms=X
//                   setup_p50_ms=X setup_p99_ms=X errors=E non2xx=S elapsed_s=T cpu_pct=C
// (cpu_pct: tls_load's own user + system CPU during the load, in % of one core)

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct HostPort
{
    std::string host; // without brackets
    std::string port;
    bool isIp = false;
    std::string authority() const
    {
        return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
    }
};

struct Options
{
    HostPort target;
    HostPort proxy;
    bool viaProxy = false;
    std::string cafile;
    std::string path = "/";
    int connections = 1;
    double duration = 10;
    long requestsPerConnection = 0;
    double timeout = 5;
};

[[noreturn]] void usage(const char *why, int code = 2)
{
    if (why)
        std::fprintf(stderr, "tls_load: %s\n", why);
    std::fprintf(stderr, "usage: tls_load --target HOST:PORT --cafile FILE [--proxy HOST:PORT] "
                         "[--path /1k]\n"
                         "                [--connections N] [--duration SEC (<= 60)]\n"
                         "                [--requests-per-connection M (0 = keep-alive)] "
                         "[--timeout SEC]\n");
    std::exit(code);
}

bool parseHostPort(const std::string &text, HostPort &out)
{
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon)
            return false;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.size() > 5
        || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })
        || std::stoi(port) < 1 || std::stoi(port) > 65535)
        return false;
    unsigned char buf[sizeof(in6_addr)];
    out.host = host;
    out.port = port;
    out.isIp
        = inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
    return true;
}

double parseNumber(const char *name, const char *text, double lo, double hi)
{
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi)) {
        char why[200];
        std::snprintf(why, sizeof why, "%s wants a number in %g..%g, not '%s'", name, lo, hi, text);
        usage(why);
    }
    return v;
}

Options parseOptions(int argc, char **argv)
{
    Options o;
    bool haveTarget = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help")
            usage(nullptr, 0);
        if (i + 1 >= argc)
            usage(("missing value for " + std::string(a)).c_str());
        const char *v = argv[++i];
        if (a == "--target") {
            if (!parseHostPort(v, o.target))
                usage("--target wants HOST:PORT");
            haveTarget = true;
        } else if (a == "--proxy") {
            if (!parseHostPort(v, o.proxy))
                usage("--proxy wants HOST:PORT");
            o.viaProxy = true;
        } else if (a == "--cafile") {
            o.cafile = v;
        } else if (a == "--path") {
            o.path = v;
            if (o.path.empty() || o.path[0] != '/'
                || o.path.find_first_of(" \r\n\t") != std::string::npos)
                usage("--path wants an origin-form path like /1k");
        } else if (a == "--connections") {
            o.connections = static_cast<int>(parseNumber("--connections", v, 1, 1024));
        } else if (a == "--duration") {
            o.duration = parseNumber("--duration", v, 0.1, 60);
        } else if (a == "--requests-per-connection") {
            o.requestsPerConnection
                = static_cast<long>(parseNumber("--requests-per-connection", v, 0, 1e9));
        } else if (a == "--timeout") {
            o.timeout = parseNumber("--timeout", v, 0.1, 30);
        } else {
            usage(("unknown option " + std::string(a)).c_str());
        }
    }
    if (!haveTarget)
        usage("--target is required");
    if (o.cafile.empty())
        usage("--cafile is required");
    return o;
}

// --- errors --------------------------------------------------------------------------------

enum Kind { kConnect, kProxy, kTls, kHttp, kIo, kTimeout, kKinds };
constexpr const char *kKindNames[kKinds] = {"connect", "proxy", "tls", "http", "io", "timeout"};

struct Failure
{
    Kind kind = kIo;
    std::string message;
};

std::string opensslErrors()
{
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty())
            out += "; ";
        out += buf;
    }
    return out;
}

// --- the shared setup ----------------------------------------------------------------------

struct Endpoint
{
    sockaddr_storage addr{};
    socklen_t len = 0;
};

std::vector<Endpoint> resolve(const HostPort &hp, std::string &why)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *res = nullptr;
    const int rc = getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &res);
    std::vector<Endpoint> out;
    if (rc != 0) {
        why = "cannot resolve " + hp.host + ": " + gai_strerror(rc);
        return out;
    }
    for (addrinfo *ai = res; ai; ai = ai->ai_next) {
        Endpoint e;
        std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
        e.len = ai->ai_addrlen;
        out.push_back(e);
    }
    freeaddrinfo(res);
    return out;
}

struct Shared
{
    Options opt;
    SSL_CTX *ctx = nullptr;
    Endpoint endpoint;        // the first address that worked in the preflight (proxy or target)
    std::string request;      // keep-alive request
    std::string closeRequest; // the last request on a connection: Connection: close
};

// --- one connection ------------------------------------------------------------------------

class Connection
{
public:
    explicit Connection(const Shared &s) : m_s(s) {}
    ~Connection() { close(); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // TCP connect to `e` (+ CONNECT) + TLS handshake.
    bool open(const Endpoint &e, Failure &f);
    // One GET; false on any failure (the connection is then unusable). status is the HTTP
    // status; serverCloses when the response said Connection: close.
    bool get(bool last, int &status, std::size_t &bodyBytes, bool &serverCloses, Failure &f);
    void close();
    SSL *ssl() const { return m_ssl; }

private:
    bool fail(Failure &f, Kind kind, std::string message)
    {
        f.kind = kind;
        f.message = std::move(message);
        return false;
    }
    bool sysFail(Failure &f, Kind kind, const std::string &what)
    {
        const int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS)
            return fail(f, kTimeout, what + ": timed out");
        return fail(f, kind, what + ": " + std::strerror(e));
    }
    bool sslFail(Failure &f, int ret, const std::string &what);
    bool proxyConnect(Failure &f);
    int readSome(Failure &f); // into m_buf; >0 bytes, else failure

    const Shared &m_s;
    int m_fd = -1;
    SSL *m_ssl = nullptr;
    std::string m_buf;
};

bool Connection::sslFail(Failure &f, int ret, const std::string &what)
{
    const int err = SSL_get_error(m_ssl, ret);
    const int savedErrno = errno;
    std::string detail = opensslErrors();
    // A blocking socket only "wants" more when SO_RCVTIMEO/SO_SNDTIMEO ran out.
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return fail(f, kTimeout, what + ": timed out");
    if (err == SSL_ERROR_SYSCALL && detail.empty()) {
        if (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK)
            return fail(f, kTimeout, what + ": timed out");
        detail = savedErrno ? std::strerror(savedErrno) : "unexpected end of stream";
    } else if (err == SSL_ERROR_ZERO_RETURN) {
        detail = "closed by the peer (close_notify)";
    }
    return fail(f, what == "TLS handshake" ? kTls : kIo,
                what + ": " + (detail.empty() ? "SSL error " + std::to_string(err) : detail));
}

void Connection::close()
{
    if (m_ssl) {
        SSL_shutdown(m_ssl); // one close_notify, no wait for the peer's
        SSL_free(m_ssl);
        m_ssl = nullptr;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_buf.clear();
    ERR_clear_error();
}

bool Connection::proxyConnect(Failure &f)
{
    const std::string authority = m_s.opt.target.authority();
    const std::string req = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority
                            + "\r\nUser-Agent: tls_load\r\n\r\n";
    std::size_t done = 0;
    while (done < req.size()) {
        const ssize_t n = ::send(m_fd, req.data() + done, req.size() - done, MSG_NOSIGNAL);
        if (n <= 0)
            return sysFail(f, kProxy, "CONNECT send");
        done += static_cast<std::size_t>(n);
    }
    // Read up to the end of the answer's header; a proxy says nothing more before TLS starts.
    std::string head;
    char buf[1024];
    while (head.find("\r\n\r\n") == std::string::npos) {
        if (head.size() > 16384)
            return fail(f, kProxy, "CONNECT answer header too long");
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n < 0)
            return sysFail(f, kProxy, "CONNECT answer");
        if (n == 0)
            return fail(f, kProxy, "the proxy closed the connection after CONNECT");
        head.append(buf, static_cast<std::size_t>(n));
    }
    const auto end = head.find("\r\n\r\n") + 4;
    const std::string line = head.substr(0, head.find("\r\n"));
    if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0 || line[9] != '2')
        return fail(f, kProxy, "CONNECT refused: " + line);
    if (end != head.size())
        return fail(f, kProxy, "bytes after the CONNECT answer before TLS");
    return true;
}

bool Connection::open(const Endpoint &e, Failure &f)
{
    close();
    m_fd = ::socket(e.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0)
        return sysFail(f, kConnect, "socket");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(m_s.opt.timeout);
    tv.tv_usec = static_cast<suseconds_t>((m_s.opt.timeout - static_cast<double>(tv.tv_sec)) * 1e6);
    // On Linux SO_SNDTIMEO bounds connect() too.
    setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&e.addr), e.len) != 0)
        return sysFail(f, kConnect,
                       "connect to "
                           + (m_s.opt.viaProxy ? m_s.opt.proxy : m_s.opt.target).authority());
    if (m_s.opt.viaProxy && !proxyConnect(f))
        return false;

    m_ssl = SSL_new(m_s.ctx);
    if (!m_ssl)
        return fail(f, kTls, "SSL_new: " + opensslErrors());
    SSL_set_fd(m_ssl, m_fd);
    const HostPort &t = m_s.opt.target;
    if (t.isIp) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(m_ssl), t.host.c_str());
    } else {
        SSL_set_tlsext_host_name(m_ssl, t.host.c_str());
        SSL_set1_host(m_ssl, t.host.c_str());
    }
    const int rc = SSL_connect(m_ssl);
    if (rc != 1) {
        const long verify = SSL_get_verify_result(m_ssl);
        if (verify != X509_V_OK) {
            opensslErrors();
            return fail(f, kTls,
                        std::string("TLS handshake: certificate not trusted: ")
                            + X509_verify_cert_error_string(verify));
        }
        return sslFail(f, rc, "TLS handshake");
    }
    return true;
}

int Connection::readSome(Failure &f)
{
    char buf[16384];
    const int n = SSL_read(m_ssl, buf, sizeof buf);
    if (n <= 0) {
        sslFail(f, n, "read");
        return -1;
    }
    m_buf.append(buf, static_cast<std::size_t>(n));
    return n;
}

bool iequalsPrefix(std::string_view line, std::string_view name)
{
    if (line.size() < name.size())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i])
            return false;
    return true;
}

std::string_view trim(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

bool Connection::get(bool last, int &status, std::size_t &bodyBytes, bool &serverCloses, Failure &f)
{
    const std::string &req = last ? m_s.closeRequest : m_s.request;
    const int w = SSL_write(m_ssl, req.data(), static_cast<int>(req.size()));
    if (w <= 0)
        return sslFail(f, w, "write");

    std::size_t headEnd;
    while ((headEnd = m_buf.find("\r\n\r\n")) == std::string::npos) {
        if (m_buf.size() > 65536)
            return fail(f, kHttp, "response header too long");
        if (readSome(f) < 0)
            return false;
    }
    const std::string_view head(m_buf.data(), headEnd);
    // Status line: HTTP/1.x NNN reason
    if (head.size() < 12 || head.compare(0, 7, "HTTP/1.") != 0 || head[8] != ' ')
        return fail(f, kHttp, "bad status line");
    status = std::atoi(std::string(head.substr(9, 3)).c_str());
    long long length = -1;
    serverCloses = head.compare(0, 8, "HTTP/1.0") == 0;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
        const std::size_t start = pos + 2;
        const std::size_t next = head.find("\r\n", start);
        const std::string_view line
            = head.substr(start, (next == std::string_view::npos ? head.size() : next) - start);
        if (iequalsPrefix(line, "content-length:")) {
            const std::string value(trim(line.substr(15)));
            char *end = nullptr;
            length = std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || *end || length < 0)
                return fail(f, kHttp, "bad Content-Length");
        } else if (iequalsPrefix(line, "transfer-encoding:")) {
            return fail(f, kHttp, "Transfer-Encoding is not supported (Content-Length only)");
        } else if (iequalsPrefix(line, "connection:")) {
            std::string value(trim(line.substr(11)));
            for (char &c : value)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (value.find("close") != std::string::npos)
                serverCloses = true;
        }
        pos = next;
    }
    if (status / 100 == 1)
        return fail(f, kHttp, "1xx responses are not supported");
    if (status == 204 || status == 304)
        length = 0;
    if (length < 0)
        return fail(f, kHttp, "response without Content-Length");
    const std::size_t total = headEnd + 4 + static_cast<std::size_t>(length);
    while (m_buf.size() < total)
        if (readSome(f) < 0)
            return false;
    bodyBytes = static_cast<std::size_t>(length);
    m_buf.erase(0, total); // anything left would be an unasked-for response: a protocol error
    if (!m_buf.empty())
        return fail(f, kHttp, "bytes after the response");
    return true;
}

// --- the run -------------------------------------------------------------------------------

struct Stats
{
    std::vector<std::uint32_t> requestUs; // per completed request
    std::vector<std::uint32_t> setupUs;   // per completed connection setup (incl. CONNECT, TLS)
    std::uint64_t requests = 0;           // completed, any status
    std::uint64_t non2xx = 0;
    std::uint64_t handshakes = 0;
    std::uint64_t bodyBytes = 0;
    std::uint64_t errors[kKinds] = {};
};

std::mutex g_firstErrorMutex;
std::string g_firstError[kKinds];

void noteError(Stats &st, const Failure &f)
{
    ++st.errors[f.kind];
    std::lock_guard lock(g_firstErrorMutex);
    if (g_firstError[f.kind].empty())
        g_firstError[f.kind] = f.message;
}

std::uint32_t micros(Clock::duration d)
{
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return static_cast<std::uint32_t>(std::clamp<long long>(us, 0, UINT32_MAX));
}

void worker(const Shared &s, const std::atomic<bool> &stop, std::latch &go, Stats &st)
{
    st.requestUs.reserve(1 << 16);
    Connection c(s);
    go.wait();
    const long perConnection = s.opt.requestsPerConnection;
    while (!stop.load(std::memory_order_relaxed)) {
        Failure f;
        const auto t0 = Clock::now();
        if (!c.open(s.endpoint, f)) {
            noteError(st, f);
            c.close();
            std::this_thread::sleep_for(std::chrono::milliseconds(10)); // no hot loop on errors
            continue;
        }
        st.setupUs.push_back(micros(Clock::now() - t0));
        ++st.handshakes;
        for (long n = 0;
             (perConnection == 0 || n < perConnection) && !stop.load(std::memory_order_relaxed);
             ++n) {
            const bool last = perConnection != 0 && n + 1 == perConnection;
            int status = 0;
            std::size_t body = 0;
            bool serverCloses = false;
            const auto r0 = Clock::now();
            if (!c.get(last, status, body, serverCloses, f)) {
                noteError(st, f);
                break;
            }
            st.requestUs.push_back(micros(Clock::now() - r0));
            ++st.requests;
            st.bodyBytes += body;
            if (status / 100 != 2)
                ++st.non2xx;
            if (serverCloses)
                break;
        }
        c.close();
    }
}

double percentileMs(std::vector<std::uint32_t> &v, double p)
{
    if (v.empty())
        return 0;
    const std::size_t k
        = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * (v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] / 1000.0;
}

double cpuSeconds() // user + system time of this process so far
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval &tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

std::string subjectCn(X509 *cert, bool issuer)
{
    if (!cert)
        return "?";
    X509_NAME *name = issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert);
    char buf[256] = "?";
    X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof buf);
    return buf;
}

} // namespace

int main(int argc, char **argv)
{
    std::signal(SIGPIPE, SIG_IGN); // OpenSSL writes with write(); a reset peer is an error
    Shared s;
    s.opt = parseOptions(argc, argv);
    const Options &o = s.opt;

    s.ctx = SSL_CTX_new(TLS_client_method());
    if (!s.ctx) {
        std::fprintf(stderr, "tls_load: SSL_CTX_new: %s\n", opensslErrors().c_str());
        return 1;
    }
    SSL_CTX_set_min_proto_version(s.ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(s.ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_session_cache_mode(s.ctx, SSL_SESS_CACHE_OFF); // every handshake a full one
    static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(s.ctx, alpn, sizeof alpn);
    if (SSL_CTX_load_verify_locations(s.ctx, o.cafile.c_str(), nullptr) != 1) {
        std::fprintf(stderr, "tls_load: cannot load --cafile %s: %s\n", o.cafile.c_str(),
                     opensslErrors().c_str());
        return 1;
    }
    const std::string hostHeader
        = o.target.port == "443"
              ? (o.target.host.find(':') != std::string::npos ? "[" + o.target.host + "]"
                                                              : o.target.host)
              : o.target.authority();
    s.request = "GET " + o.path + " HTTP/1.1\r\nHost: " + hostHeader
                + "\r\nUser-Agent: tls_load\r\nAccept: */*\r\n\r\n";
    s.closeRequest = "GET " + o.path + " HTTP/1.1\r\nHost: " + hostHeader
                     + "\r\nUser-Agent: tls_load\r\nAccept: */*\r\nConnection: close\r\n\r\n";

    // Preflight: find the address that answers, and prove the whole path works once.
    std::string why;
    const auto endpoints = resolve(o.viaProxy ? o.proxy : o.target, why);
    if (endpoints.empty()) {
        std::fprintf(stderr, "tls_load: %s\n", why.c_str());
        return 1;
    }
    Failure f;
    bool ok = false;
    {
        Connection c(s);
        for (const Endpoint &e : endpoints) {
            if (c.open(e, f)) {
                s.endpoint = e;
                ok = true;
                break;
            }
            if (f.kind != kConnect)
                break; // reached it, and it said no: trying another address will not help
        }
        if (ok) {
            int status = 0;
            std::size_t body = 0;
            bool closes = false;
            const std::string protocol = SSL_get_version(c.ssl());
            const std::string cipher = SSL_get_cipher_name(c.ssl());
            X509 *peer = SSL_get1_peer_certificate(c.ssl());
            const std::string cn = subjectCn(peer, false), issuer = subjectCn(peer, true);
            X509_free(peer);
            ok = c.get(true, status, body, closes, f);
            if (ok && status != 200) {
                ok = false;
                f.kind = kHttp;
                f.message = "preflight GET " + o.path + " answered " + std::to_string(status);
            }
            if (ok)
                std::fprintf(stderr,
                             "tls_load: preflight ok: %s %s, certificate CN=%s issued by "
                             "CN=%s, %zu byte body\n",
                             protocol.c_str(), cipher.c_str(), cn.c_str(), issuer.c_str(), body);
        }
    }
    if (!ok) {
        std::fprintf(stderr, "tls_load: preflight failed (%s): %s\n", kKindNames[f.kind],
                     f.message.c_str());
        return 1;
    }

    // The load.
    std::vector<Stats> stats(static_cast<std::size_t>(o.connections));
    std::atomic<bool> stop{false};
    std::latch go(1);
    std::mutex doneMutex;
    std::condition_variable doneCv;
    int finished = 0;
    std::vector<std::thread> threads;
    threads.reserve(stats.size());
    for (Stats &st : stats)
        threads.emplace_back([&, stp = &st] {
            worker(s, stop, go, *stp);
            std::lock_guard lock(doneMutex);
            ++finished;
            doneCv.notify_all();
        });
    const double cpuStart = cpuSeconds();
    const auto start = Clock::now();
    go.count_down();
    std::this_thread::sleep_until(start + std::chrono::duration<double>(o.duration));
    stop = true;
    {
        // Every socket call is bounded by --timeout; a handshake is a few of them.
        std::unique_lock lock(doneMutex);
        const auto limit = Clock::now() + std::chrono::duration<double>(4 * o.timeout + 5);
        if (!doneCv.wait_until(lock, limit, [&] { return finished == o.connections; })) {
            std::fprintf(stderr, "tls_load: %d of %d connections stuck after the run; giving up\n",
                         o.connections - finished, o.connections);
            std::fflush(stderr);
            std::_Exit(3);
        }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpuPercent = 100.0 * (cpuSeconds() - cpuStart) / elapsed; // of one core
    for (std::thread &t : threads)
        t.join();

    Stats all;
    for (Stats &st : stats) {
        all.requestUs.insert(all.requestUs.end(), st.requestUs.begin(), st.requestUs.end());
        all.setupUs.insert(all.setupUs.end(), st.setupUs.begin(), st.setupUs.end());
        all.requests += st.requests;
        all.non2xx += st.non2xx;
        all.handshakes += st.handshakes;
        all.bodyBytes += st.bodyBytes;
        for (int k = 0; k < kKinds; ++k)
            all.errors[k] += st.errors[k];
    }
    std::uint64_t errors = 0;
    for (std::uint64_t e : all.errors)
        errors += e;
    const double rps = static_cast<double>(all.requests) / elapsed;
    const double hps = static_cast<double>(all.handshakes) / elapsed;
    const double rq50 = percentileMs(all.requestUs, 50), rq99 = percentileMs(all.requestUs, 99);
    const double su50 = percentileMs(all.setupUs, 50), su99 = percentileMs(all.setupUs, 99);

    std::printf(
        "tls_load: https://%s%s%s%s, %d connections, %s, %.1f s\n", o.target.authority().c_str(),
        o.path.c_str(), o.viaProxy ? " via proxy " : "",
        o.viaProxy ? o.proxy.authority().c_str() : "", o.connections,
        o.requestsPerConnection == 0
            ? "keep-alive"
            : (std::to_string(o.requestsPerConnection) + " request(s) per connection").c_str(),
        elapsed);
    std::printf("  requests     %10llu  %10.1f/s   non-2xx %llu, body %.1f MB/s\n",
                static_cast<unsigned long long>(all.requests), rps,
                static_cast<unsigned long long>(all.non2xx),
                static_cast<double>(all.bodyBytes) / elapsed / 1e6);
    std::printf("  handshakes   %10llu  %10.1f/s\n",
                static_cast<unsigned long long>(all.handshakes), hps);
    std::printf("  request ms   p50 %.3f  p99 %.3f\n", rq50, rq99);
    std::printf("  setup ms     p50 %.3f  p99 %.3f   (TCP connect%s + TLS handshake)\n", su50, su99,
                o.viaProxy ? " + CONNECT" : "");
    std::printf("  tls_load CPU %.0f%% of one core (it shares the machine with what it measures)\n",
                cpuPercent);
    std::printf("  errors       %llu", static_cast<unsigned long long>(errors));
    for (int k = 0; k < kKinds; ++k)
        if (all.errors[k])
            std::printf("  %s %llu", kKindNames[k], static_cast<unsigned long long>(all.errors[k]));
    std::printf("\n");
    for (int k = 0; k < kKinds; ++k)
        if (!g_firstError[k].empty())
            std::printf("  first %s error: %s\n", kKindNames[k], g_firstError[k].c_str());
    std::printf("TLS_LOAD_RESULT requests=%llu rps=%.1f handshakes=%llu hps=%.1f req_p50_ms=%.3f "
                "req_p99_ms=%.3f setup_p50_ms=%.3f setup_p99_ms=%.3f errors=%llu non2xx=%llu "
                "elapsed_s=%.2f cpu_pct=%.0f\n",
                static_cast<unsigned long long>(all.requests), rps,
                static_cast<unsigned long long>(all.handshakes), hps, rq50, rq99, su50, su99,
                static_cast<unsigned long long>(errors),
                static_cast<unsigned long long>(all.non2xx), elapsed, cpuPercent);
    SSL_CTX_free(s.ctx);
    return all.requests > 0 ? 0 : 1;
}
