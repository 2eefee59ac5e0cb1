// mproc_sync_bench: mproc's synchronisation objects against their peers, measured side by
// side in one run (see design.md, "Peers it must beat").
//
//   A. Uncontended acquire + release of a lock, ns per pair: mproc's Lock through the C ABI,
//      a robust process-shared pthread mutex, Boost.Interprocess interprocess_mutex, and
//      Python's multiprocessing.Lock. Target: mproc within 1.5x of the robust pthread mutex.
//   B. Cross-process wake-up round trip (ping-pong), us per round trip: mproc Event,
//      Semaphore and Condition, Boost interprocess_condition, Python multiprocessing.Event,
//      and a busy-wait spin ping-pong as the floor. Target: mproc at least 10x faster than
//      Boost's interprocess_condition.
//   C. The same peers (less the spin), but the answer comes only after the waiter has gone
//      to sleep in the kernel: us from the signal to the waiter's return. No target; it shows
//      how much of B comes from mproc's spin-then-futex waits never reaching the futex.
//
// This is a measurement, not a test: it exits 0 whether or not a target is met, and non-zero
// only for a bad command line. `--quick` does about 1/20 of the work (a CI smoke run).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_pingpong.hpp"
#include "bench_process.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"
#include "peers_python.hpp"
#include "peers_uncontended.hpp"
#include "peers_wakeup.hpp"

namespace mproc_bench {
namespace {

constexpr double kUncontendedTarget = 1.5;  // mproc / robust pthread, at most
constexpr double kWakeupTarget = 10.0;      // Boost condition / mproc, at least

struct Config {
    // A: C++ peers are cheap per pair, so many pairs keep timer and loop noise negligible;
    // Python is ~10x slower per pair and gets fewer.
    int lock_reps = 5;
    long lock_pairs = 2000000;
    int py_lock_reps = 3;
    long py_lock_pairs = 200000;
    // B: each repetition is a fresh pair of processes; repetitions of all peers are
    // interleaved, so a burst of outside load hurts every peer alike rather than one.
    int rt_reps = 3;
    long rt_rounds = 20000;  // plus 10% untimed warm-up rounds in every run
    long spin_rounds = 50000;
    // C: every wake-up costs a 200 us sleep of the signaller on top, so fewer of them.
    int sleep_reps = 3;
    long sleep_rounds = 1000;
    int py_rt_reps = 3;
    long py_rt_rounds = 2000;
    long py_rt_warm = 200;
    // The longest one pair of processes or one python3 run may take; a run takes about a
    // second, so only a hang gets there, and the whole program still ends in bounded time.
    double run_deadline_s = 15.0;

    void make_quick() {
        lock_pairs /= 20;
        py_lock_pairs /= 20;
        rt_rounds /= 20;
        spin_rounds /= 20;
        sleep_rounds /= 20;
        py_rt_rounds /= 20;
        py_rt_warm /= 20;
        run_deadline_s = 10.0;
    }
};

// ---- A. Uncontended ------------------------------------------------------------------

void section_uncontended(const Config &cfg, const std::string &prefix) {
    std::printf(
        "\nA. Uncontended acquire+release in one process, ns per pair\n"
        "   best of %d x %ld pairs per C/C++ peer (median in brackets), repetitions "
        "interleaved;\n   python: best of %d x %ld pairs inside the interpreter\n",
        cfg.lock_reps, cfg.lock_pairs, cfg.py_lock_reps, cfg.py_lock_pairs);

    // Pinned to one CPU so that a migration in the middle of a repetition does not count.
    const std::vector<int> cpus = usable_cpus();
    if (!cpus.empty()) pin_to_cpu(cpus.front());

    struct Entry {
        Row row;
        std::unique_ptr<UncontendedPeer> peer;
    };
    std::vector<Entry> peers;
    peers.push_back(
        {{"mproc Lock via C ABI (named; mproc_lock_acquire(l,-1)+release)", "mproc", {}, ""},
         std::make_unique<MprocLockPeer>(prefix + "lock")});
    peers.push_back(
        {{"pthread mutex PROCESS_SHARED+ROBUST in a MAP_SHARED mmap", "pthread-robust", {}, ""},
         std::make_unique<PthreadRobustPeer>()});
    peers.push_back(
        {{"boost interprocess_mutex (= pthread PROCESS_SHARED, not robust)", "boost", {}, ""},
         std::make_unique<BoostMutexPeer>()});

    for (Entry &e : peers) {
        if (!e.peer->prepare()) e.row.missing = "failed (could not create the lock)";
    }
    auto run_once = [](Entry &e, long pairs) {
        double v = -1;
        try {
            v = e.peer->run(pairs);
        } catch (const std::exception &ex) {
            std::fprintf(stderr, "%s: %s\n", e.row.label.c_str(), ex.what());
        }
        if (v < 0) e.row.missing = "failed (a lock call returned an error)";
        return v;
    };
    for (Entry &e : peers) {  // warm-up: page faults, caches, branch predictors, CPU clock
        if (e.row.missing.empty()) run_once(e, cfg.lock_pairs / 5);
    }
    for (int rep = 0; rep < cfg.lock_reps; ++rep) {
        for (Entry &e : peers) {
            if (!e.row.missing.empty()) continue;
            const double v = run_once(e, cfg.lock_pairs);
            if (v >= 0) e.row.samples.add(v);
        }
    }
    // Objects released and names unlinked before anything else runs.
    for (Entry &e : peers) {
        e.peer.reset();
    }

    const PythonResult py =
        run_python(kPythonLockScript, {cfg.py_lock_pairs, cfg.py_lock_reps}, cfg.run_deadline_s);
    const Row py_row =
        python_row("python multiprocessing.Lock (SemLock; incl. loop overhead)", "python", py);
    pin_to_cpus(cpus);

    for (const Entry &e : peers)
        print_row(e.row, "ns");
    print_row(py_row, "ns");

    const Row &m = peers[0].row;
    const Row &p = peers[1].row;
    std::string verdict = "n/a";
    if (m.has_value() && p.has_value()) {
        const double ratio = m.samples.best() / p.samples.best();
        verdict = fmt(ratio) + "x (target <= " + fmt_target(kUncontendedTarget) +
                  "x: " + (ratio <= kUncontendedTarget ? "met" : "MISSED") + ")";
    }
    std::printf("uncontended lock: %s  -> mproc/pthread-robust = %s\n",
                summary({&peers[0].row, &peers[1].row, &peers[2].row, &py_row}, "ns").c_str(),
                verdict.c_str());
}

// ---- B and C. Wake-ups across processes -----------------------------------------------

void section_wakeup(const Config &cfg, const std::string &prefix) {
    // Two different CPUs when there are two: a wake-up then crosses cores, as between real
    // cooperating processes, and the spin floor is possible at all. Every peer is pinned the
    // same way so that they are compared under the same conditions.
    const std::vector<int> cpus = usable_cpus();
    const bool two_cpus = cpus.size() >= 2;
    const int cpu_a = two_cpus ? cpus[0] : -1;
    const int cpu_b = two_cpus ? cpus[1] : -1;

    struct Entry {
        std::unique_ptr<PingPongPeer> peer;
        Row rt;     // B: round trip
        Row sleep;  // C: wake-up of a sleeping waiter
        long rt_rounds;
    };
    auto entry = [](std::unique_ptr<PingPongPeer> peer, const char *label, const char *key,
                    long rt_rounds) {
        return Entry{std::move(peer), Row{label, key, {}, ""}, Row{label, key, {}, ""}, rt_rounds};
    };
    std::vector<Entry> peers;
    peers.push_back(entry(std::make_unique<MprocEventPeer>(prefix),
                          "mproc Event x2 (set / wait / clear), opened by name", "mproc-event",
                          cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<MprocSemaphorePeer>(prefix),
                          "mproc Semaphore x2 (release / acquire), opened by name", "mproc-sem",
                          cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<MprocConditionPeer>(prefix),
                          "mproc Condition (own RLock) + turn variable, opened by name",
                          "mproc-cond", cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<BoostConditionPeer>(),
                          "boost interprocess_condition+mutex (= pthread cond PROCESS_SHARED)",
                          "boost-cond", cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<SpinPeer>(),
                          "spin floor: two atomics, busy wait, no syscall", "spin floor",
                          cfg.spin_rounds));
    Entry &event = peers[0], &sem = peers[1], &cond = peers[2], &boost = peers[3];
    Entry &spin = peers[4];
    if (!two_cpus) spin.rt.missing = "skipped (needs two CPUs)";
    // A waiter that spins through B's 200 us pause tells nothing about sleeping waiters, and
    // on a virtual machine a long PAUSE loop gets its vCPU descheduled (pause-loop exiting),
    // which makes the number noise: the spin floor is measured in B only.
    spin.sleep.missing = "not measured";

    for (Entry &e : peers) {
        if (e.rt.missing.empty() && !e.peer->prepare())
            e.rt.missing = e.sleep.missing = "failed (could not create the objects)";
    }
    auto measure = [&](Mode mode, int reps) {
        for (int rep = 0; rep < reps; ++rep) {
            for (Entry &e : peers) {
                Row &row = mode == Mode::round_trip ? e.rt : e.sleep;
                if (!row.missing.empty()) continue;
                const long rounds = mode == Mode::round_trip ? e.rt_rounds : cfg.sleep_rounds;
                std::string why;
                const double v =
                    run_ping_pong(*e.peer, mode, rounds, cpu_a, cpu_b, cfg.run_deadline_s, why);
                if (v < 0)
                    row.missing = "failed (" + why + ")";  // no more runs of a broken peer
                else
                    row.samples.add(v);
            }
        }
    };
    measure(Mode::round_trip, cfg.rt_reps);
    measure(Mode::sleeping_waiter, cfg.sleep_reps);
    // The parent's handles closed and names unlinked before anything else runs.
    for (Entry &e : peers) {
        e.peer.reset();
    }
    const PythonResult py = run_python(
        kPythonEventScript, {cfg.py_rt_rounds, cfg.py_rt_reps, cfg.py_rt_warm, cpu_a, cpu_b},
        cfg.run_deadline_s);
    const Row py_row =
        python_row("python multiprocessing.Event x2 (set / wait / clear)", "python-event", py);

    std::printf(
        "\nB. Cross-process wake-up round trip (ping-pong of two forked processes; the\n"
        "   answer comes at once), us per round trip\n");
    if (two_cpus)
        std::printf("   A pinned to CPU %d, B to CPU %d; ", cpu_a, cpu_b);
    else
        std::printf("   only one usable CPU, not pinned; ");
    std::printf(
        "best of %d runs x %ld round trips (spin: %ld), runs interleaved;\n"
        "   python: best of %d x %ld round trips in one run\n",
        cfg.rt_reps, cfg.rt_rounds, cfg.spin_rounds, cfg.py_rt_reps, cfg.py_rt_rounds);
    for (const Entry &e : peers) {
        print_row(e.rt, "us");
    }
    print_row(py_row, "us");
    std::string verdict = "n/a";
    if (event.rt.has_value() && boost.rt.has_value()) {
        const double ratio = boost.rt.samples.best() / event.rt.samples.best();
        verdict = fmt(ratio) + "x (target >= " + fmt_target(kWakeupTarget) +
                  "x: " + (ratio >= kWakeupTarget ? "met" : "MISSED") + ")";
    }
    std::printf("wake-up round trip: %s  -> boost-cond/mproc-event = %s\n",
                summary({&event.rt, &sem.rt, &cond.rt, &boost.rt, &py_row, &spin.rt}, "us").c_str(),
                verdict.c_str());
    std::printf("  also: %s, %s\n", ratio_line(boost.rt, sem.rt).c_str(),
                ratio_line(boost.rt, cond.rt).c_str());

    std::printf(
        "\nC. Wake-up of a sleeping waiter across processes, us from signal to the waiter's\n"
        "   return (one wake-up, not a round trip): B answers %.0f us after being woken, so the\n"
        "   waiter has stopped spinning and sleeps in the kernel; best of %d runs x %ld wake-ups,\n"
        "   same pinning. No target: a futex wake against a futex wake; set against B, it shows\n"
        "   how much of B's ratio comes from mproc answering while the waiter still spins\n",
        static_cast<double>(kSleeperDelayNs) / 1000.0, cfg.sleep_reps, cfg.sleep_rounds);
    for (const Entry &e : peers) {
        if (&e != &spin) print_row(e.sleep, "us");
    }
    std::printf("sleeping-waiter wake-up: %s  -> %s (no target)\n",
                summary({&event.sleep, &sem.sleep, &cond.sleep, &boost.sleep}, "us").c_str(),
                ratio_line(boost.sleep, event.sleep).c_str());
}

constexpr BenchProgram kProgram{
    "mproc sync bench", "mproc-bench",
    "  Measures mproc's Lock and wake-ups against a robust pthread mutex,\n  "
    "Boost.Interprocess, Python multiprocessing and a spin floor.\n",
    "about 1/20 of the iterations (smoke run)"};

void run_sections(const Config &cfg, const std::string &prefix) {
    section_uncontended(cfg, prefix);
    std::fflush(stdout);
    section_wakeup(cfg, prefix);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
