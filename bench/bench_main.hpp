// What every benchmark program's main does: parse [--quick], print the header with the
// library version and the load average, run its sections with a name prefix that carries
// the pid (so side-by-side runs never collide), list the measurements that failed and print
// the footer.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "bench_clock.hpp"
#include "bench_process.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

struct BenchProgram {
    const char *title;        // "mproc sync bench"
    const char *name_prefix;  // "mproc-bench": shared names are <prefix>.<pid>.<...>
    const char *description;  // the usage text's lines after the first
    const char *quick_help;   // what --quick does
};

// A program's whole main: `Config` holds its settings, full by default, and its make_quick()
// switches them to a smoke run; `run` gets them and the name prefix and runs the sections.
// Returns the exit status: 2 for a bad command line, 1 if a measurement failed (g_failures),
// else 0.
template <class Config>
int bench_main(int argc, char **argv, const BenchProgram &program,
               void (*run)(const Config &cfg, const std::string &prefix)) {
    auto usage = [&](int rc) {
        std::fprintf(rc == 0 ? stdout : stderr, "usage: %s [--quick]\n%s  --quick  %s\n", argv[0],
                     program.description, program.quick_help);
        return rc;
    };
    Config cfg;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            cfg.make_quick();
            quick = true;
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            return usage(0);
        } else {
            return usage(2);
        }
    }
    const std::string prefix =
        std::string(program.name_prefix) + "." + std::to_string(getpid()) + ".";
    const int64_t t0 = now_ns();
    std::printf("%s: libmproc %s (header %s), %zu usable CPU(s), load average %s, %s run\n",
                program.title, mproc_version(), MPROC_VERSION_STRING, usable_cpus().size(),
                load_average().c_str(), quick ? "quick" : "full");
    std::fflush(stdout);
    run(cfg, prefix);
    if (!g_failures.empty()) {
        std::printf("\n%zu measurement(s) failed:\n", g_failures.size());
        for (const std::string &f : g_failures)
            std::printf("  %s\n", f.c_str());
    }
    std::printf(
        "\ndone in %.1f s, load average now %s (a measurement, not a test: targets are "
        "reported, not enforced)\n",
        static_cast<double>(now_ns() - t0) / 1e9, load_average().c_str());
    return g_failures.empty() ? 0 : 1;
}

}  // namespace mproc_bench
