// mproc_soak: producers, consumers, lockers and pool workers run for a set time while the
// parent SIGKILLs random ones and starts replacements; at the end every object must still
// work and the ledgers, the bitmap of received messages and the objects' counters must
// balance (see accounting.cpp for the slack each kill allows). Exit 0 if every check
// passes, 1 if one fails, 2 for bad options or a failure to set up, 77 (skipped) under
// ThreadSanitizer, which does not follow forked processes.
//
//   mproc_soak [--seconds N] [--seed S] [--producers N] [--consumers N] [--lockers N]
//              [--pool-workers N] [--json] [--spare-young-workers]
#include <signal.h>
#include <unistd.h>

#include <mproc/lock.hpp>
#include <mproc/queue.hpp>
#include <mproc/shared_value.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <thread>

#include "final.hpp"
#include "message.hpp"
#include "participants.hpp"
#include "report.hpp"

#if defined(__SANITIZE_THREAD__)
#define SOAK_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SOAK_UNDER_TSAN 1
#endif
#endif

namespace {

using namespace std::chrono_literals;
using soak::Options;

volatile sig_atomic_t g_interrupted = 0;

void on_signal(int) {
    g_interrupted = 1;
}

void usage(std::FILE *out) {
    std::fprintf(out,
                 "usage: mproc_soak [--seconds N] [--seed S] [--producers N] [--consumers N]\n"
                 "                  [--lockers N] [--pool-workers N] [--json]\n"
                 "                  [--spare-young-workers]\n"
                 "  --seconds N        how long the chaos runs (default 60)\n"
                 "  --seed S           seed of every random choice (default: from the clock)\n"
                 "  --producers N      queue producers, 1..%d (default 2)\n"
                 "  --consumers N      queue consumers, 1..%d (default 2)\n"
                 "  --lockers N        lock users, 0..%d (default 2)\n"
                 "  --pool-workers N   process pool workers, 0..%d (default 2; 0: no pool)\n"
                 "  --json             print the report as JSON too\n"
                 "  --spare-young-workers  kill only pool workers up for 1 s or more (by\n"
                 "                     default workers that are still starting are killed too)\n",
                 soak::kMaxRole, soak::kMaxRole, soak::kMaxRole, soak::kMaxPoolPids / 2);
}

bool parse_number(const char *text, double low, double high, double *out) {
    char *end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(v) || v < low || v > high) return false;
    *out = v;
    return true;
}

// Fills *o from argv; false (with a message) on a bad option.
bool parse(int argc, char **argv, Options *o) {
    o->seed =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    for (int k = 1; k < argc; ++k) {
        const std::string arg = argv[k];
        if (arg == "--json") {
            o->json = true;
            continue;
        }
        if (arg == "--spare-young-workers") {
            o->spare_young_workers = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            std::exit(0);
        }
        if (arg != "--seconds" && arg != "--seed" && arg != "--producers" && arg != "--consumers" &&
            arg != "--lockers" && arg != "--pool-workers") {
            std::fprintf(stderr, "mproc_soak: unknown option %s\n", arg.c_str());
            usage(stderr);
            return false;
        }
        if (k + 1 >= argc) {
            std::fprintf(stderr, "mproc_soak: %s: missing value\n", arg.c_str());
            return false;
        }
        const char *value = argv[++k];
        double v = 0;
        bool ok = true;
        if (arg == "--seconds") {
            ok = parse_number(value, 0.5, 7 * 24 * 3600, &v);
            o->seconds = v;
        } else if (arg == "--seed") {
            char *end = nullptr;
            o->seed = std::strtoull(value, &end, 10);
            ok = end != value && *end == '\0';
        } else if (arg == "--producers" || arg == "--consumers") {
            ok = parse_number(value, 1, soak::kMaxRole, &v) && v == std::floor(v);
            (arg == "--producers" ? o->producers : o->consumers) = static_cast<int>(v);
        } else if (arg == "--lockers") {
            ok = parse_number(value, 0, soak::kMaxRole, &v) && v == std::floor(v);
            o->lockers = static_cast<int>(v);
        } else {  // --pool-workers
            ok = parse_number(value, 0, soak::kMaxPoolPids / 2, &v) && v == std::floor(v);
            o->pool_workers = static_cast<int>(v);
        }
        if (!ok) {
            std::fprintf(stderr, "mproc_soak: %s: bad value '%s'\n", arg.c_str(), value);
            return false;
        }
    }
    return true;
}

// Removes the run's named objects however main ends (not in the children: they _exit).
class ObjectNames {
  public:
    explicit ObjectNames(const soak::Names &names) : names_(names) {}
    ~ObjectNames() { (void)remove(); }

    // Removes the names; true if all three were there to remove.
    bool remove() noexcept {
        const int q = mproc_queue_unlink(names_.queue.c_str());
        const int l = mproc_lock_unlink(names_.lock.c_str());
        const int a = mproc_array_unlink(names_.counter.c_str());
        return q == MPROC_OK && l == MPROC_OK && a == MPROC_OK;
    }
    ObjectNames(const ObjectNames &) = delete;
    ObjectNames &operator=(const ObjectNames &) = delete;

  private:
    const soak::Names &names_;
};

// Producer records for the whole run: the initial ones, a replacement per producer kill
// (the chaos kills about 20 processes a second at most, a quarter of them producers) and
// per kMaxSeq messages. The bitmap costs only the pages written.
std::uint32_t records_for(const Options &o) {
    const double per_second = 8.0 + o.producers;
    return static_cast<std::uint32_t>(64 + o.producers + o.seconds * per_second);
}

int run(const Options &o) {
    const std::string prefix = "soak-" + std::to_string(getpid()) + "-";
    const soak::Names names{prefix + "queue", prefix + "lock", prefix + "counter"};
    soak::SharedLedger shared(records_for(o));
    ObjectNames cleanup(names);
    {
        // Small, so that producers often wait on a full queue and find dead readers' slots.
        mproc::Queue::create(names.queue, 64, soak::kMaxMessage);
        mproc::Lock::create(names.lock);
        // value, ~value: whole.
        mproc::Array<std::uint64_t>::create_from(names.counter, {0, ~std::uint64_t{0}}, false);
    }  // closed here: the parent keeps no handle while it forks
    std::printf("mproc_soak: %.0f s, seed %llu, objects %s*\n", o.seconds,
                static_cast<unsigned long long>(o.seed), prefix.c_str());
    std::fflush(stdout);

    std::mt19937_64 rng(o.seed);
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(o.seconds);
    soak::Participants participants(shared, names, o);
    participants.start_all();
    while (std::chrono::steady_clock::now() < end && g_interrupted == 0) {
        // Every 5 to 100 ms: sometimes in the middle of a call, sometimes between calls.
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 96));
        participants.reap_exited();
        participants.chaos_step(rng);
    }
    const double chaos_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    participants.stop();
    const soak::FinalState state = soak::final_operations(shared, names);
    const double total_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    soak::Report report;
    soak::build_report(shared, o, participants.stats(), chaos_seconds, total_seconds, state,
                       report);
    if (g_interrupted != 0) report.check("not interrupted", false, "stopped early by a signal");
    report.check("objects removed", cleanup.remove(),
                 names.queue + ", " + names.lock + ", " + names.counter + " unlinked");
    report.print_text(stdout);
    if (o.json) report.print_json(stdout);
    return report.passed() ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    Options options;
    if (!parse(argc, argv, &options)) return 2;
#ifdef SOAK_UNDER_TSAN
    std::printf("mproc_soak: skipped under ThreadSanitizer (it does not follow forks)\n");
    return 77;
#endif
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
        return run(options);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "mproc_soak: %s\n", e.what());
        return 2;
    }
}
