// mint_bench: how long the interception CA takes to mint a leaf certificate, and to hand out a
// cached one. For bench/run.sh.
//
//   mint_bench [--count N] [--hits N] [--extra-names K]
//
// Creates a fresh CA in a temp directory (removed on exit), mints --count leaves for distinct
// names (each with K more SAN names, as when the real server's names are mirrored; default 2),
// then asks --hits times for leaves already in the cache. Prints mean/p50/p99 wall time of each,
// and this thread's mean CPU time per call (which, on a busy machine, is the wall time without
// the waits for a core), and a machine-readable line per kind:
//   MINT_RESULT kind=mint|hit count=N mean_us=X p50_us=X p99_us=X cpu_us=X

#include "core/tls/certificate_authority.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const char *why, int code = 2)
{
    if (why)
        std::fprintf(stderr, "mint_bench: %s\n", why);
    std::fprintf(stderr, "usage: mint_bench [--count N (1..%zu)] [--hits N] [--extra-names K]\n",
                 ts::tls::CertificateAuthority::kLeafCacheCapacity);
    std::exit(code);
}

long parseCount(const char *name, const char *text, long lo, long hi)
{
    char *end = nullptr;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi) {
        std::fprintf(stderr, "mint_bench: %s wants %ld..%ld\n", name, lo, hi);
        usage(nullptr);
    }
    return v;
}

struct Summary
{
    double mean = 0, p50 = 0, p99 = 0;
    double cpuMean = 0; // this thread's CPU time per call: what is left when the wall time
                        // includes waiting for a busy core
};

double threadCpuMicros()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

Summary summarise(std::vector<double> v, double cpuMicros) // microseconds
{
    Summary s;
    s.cpuMean = cpuMicros / static_cast<double>(std::max<std::size_t>(v.size(), 1));
    if (v.empty())
        return s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    std::sort(v.begin(), v.end());
    auto at = [&](double p) {
        return v[std::min(v.size() - 1, static_cast<std::size_t>(
                                            p / 100.0 * static_cast<double>(v.size() - 1) + 0.5))];
    };
    s.p50 = at(50);
    s.p99 = at(99);
    return s;
}

void report(const char *kind, const char *label, std::size_t count, const Summary &s)
{
    std::printf("  %-18s %6zu x  mean %8.2f us  p50 %8.2f us  p99 %8.2f us  cpu %8.2f us\n", label,
                count, s.mean, s.p50, s.p99, s.cpuMean);
    std::printf("MINT_RESULT kind=%s count=%zu mean_us=%.2f p50_us=%.2f p99_us=%.2f "
                "cpu_us=%.2f\n",
                kind, count, s.mean, s.p50, s.p99, s.cpuMean);
}

} // namespace

int main(int argc, char **argv)
{
    using ts::tls::CertificateAuthority;
    long count = 500;
    long hits = 20000;
    long extraNames = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help")
            usage(nullptr, 0);
        if (i + 1 >= argc)
            usage("an option without its value");
        const char *v = argv[++i];
        if (a == "--count")
            count = parseCount("--count", v, 1,
                               static_cast<long>(CertificateAuthority::kLeafCacheCapacity));
        else if (a == "--hits")
            hits = parseCount("--hits", v, 1, 10'000'000);
        else if (a == "--extra-names")
            extraNames = parseCount("--extra-names", v, 0, 60);
        else
            usage(("unknown option " + std::string(a)).c_str());
    }

    std::string tmpl = (std::filesystem::temp_directory_path() / "ts-mint-bench.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
        std::perror("mint_bench: mkdtemp");
        return 1;
    }
    const std::filesystem::path dir = tmpl;
    struct RemoveDir
    {
        std::filesystem::path path;
        ~RemoveDir()
        {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    } removeDir{dir};

    const auto c0 = Clock::now();
    auto ca = CertificateAuthority::openOrCreate((dir / "ca").string());
    const double createMs = std::chrono::duration<double, std::milli>(Clock::now() - c0).count();
    if (!ca) {
        std::fprintf(stderr, "mint_bench: %s\n", ca.error().message.c_str());
        return 1;
    }
    CertificateAuthority &authority = **ca;

    auto namesFor = [&](long i) {
        const std::string host = "host-" + std::to_string(i) + ".bench.test";
        std::vector<std::string> names{host};
        for (long k = 0; k < extraNames; ++k)
            names.push_back(k == 0 ? "127.0.0.1" : "alt-" + std::to_string(k) + "." + host);
        return names;
    };
    // One mint to warm up whatever OpenSSL initialises lazily; not counted.
    if (auto warm = authority.leafFor({"warm-up.bench.test"}); !warm) {
        std::fprintf(stderr, "mint_bench: %s\n", warm.error().message.c_str());
        return 1;
    }

    std::vector<std::vector<std::string>> names;
    names.reserve(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i)
        names.push_back(namesFor(i));

    std::vector<double> mint;
    mint.reserve(names.size());
    const double mintCpu0 = threadCpuMicros();
    for (const auto &n : names) {
        const auto t0 = Clock::now();
        auto leaf = authority.leafFor(n);
        const auto t1 = Clock::now();
        if (!leaf) {
            std::fprintf(stderr, "mint_bench: %s\n", leaf.error().message.c_str());
            return 1;
        }
        mint.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    const double mintCpu = threadCpuMicros() - mintCpu0;
    if (authority.cachedLeafCount() < names.size()) {
        std::fprintf(stderr, "mint_bench: the cache kept %zu of %zu leaves\n",
                     authority.cachedLeafCount(), names.size());
        return 1;
    }

    std::vector<double> hit;
    hit.reserve(static_cast<std::size_t>(hits));
    const double hitCpu0 = threadCpuMicros();
    for (long i = 0; i < hits; ++i) {
        const auto &n = names[static_cast<std::size_t>(i % count)];
        const auto t0 = Clock::now();
        auto leaf = authority.leafFor(n);
        const auto t1 = Clock::now();
        if (!leaf) {
            std::fprintf(stderr, "mint_bench: %s\n", leaf.error().message.c_str());
            return 1;
        }
        hit.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    const double hitCpu = threadCpuMicros() - hitCpu0;

    std::printf("mint_bench: CA created in %.1f ms; leaves with 1 + %ld names\n", createMs,
                extraNames);
    report("mint", "mint a new leaf", mint.size(), summarise(mint, mintCpu));
    report("hit", "cache hit", hit.size(), summarise(hit, hitCpu));
    return 0;
}
