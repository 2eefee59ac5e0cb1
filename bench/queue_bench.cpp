// mproc_queue_bench: mproc's Queue against the other ways to move messages between
// processes on one machine, measured side by side in one run (see design.md, "Peers it must
// beat", and issue 4).
//
//   A. Throughput, messages per second, of 64-byte and 4-KiB messages from 1 producer to 1
//      consumer process and from 2 to 2: mproc Queue, Boost.Interprocess message_queue,
//      a Unix socketpair, Python's multiprocessing.Queue (and Pipe, 1 -> 1). Targets, 1 -> 1:
//      64 B at least 3x Boost's and 50x Python's Queue; 4 KiB at least 2x Boost's.
//   B. Round trip (ping-pong) of a 64-byte message between two processes, us: mproc (two
//      Queues), Boost (two message_queues), a socketpair, Python's Pipe, and a busy-wait
//      spin over shared memory as the floor. Targets: at least 20x faster than Boost, and
//      within 20x of the spin floor.
//
// What each transport is exactly: peers_queue_channels.hpp. This is a measurement, not a
// test: it exits 0 whether or not a target is met, and non-zero only for a bad command line.
// `--quick` does about 1/20 of the work (a CI smoke run).
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_pingpong.hpp"
#include "bench_process.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"
#include "peers_queue_latency.hpp"
#include "peers_queue_python.hpp"
#include "peers_queue_throughput.hpp"

namespace mproc_bench {
namespace {

constexpr double kSmallVsBoost = 3.0;       // 64 B 1 -> 1: mproc / Boost, at least
constexpr double kSmallVsPython = 50.0;     // 64 B 1 -> 1: mproc / Python Queue, at least
constexpr double kLargeVsBoost = 2.0;       // 4 KiB 1 -> 1: mproc / Boost, at least
constexpr double kRoundTripVsBoost = 20.0;  // Boost / mproc round trip, at least
constexpr double kRoundTripVsFloor = 20.0;  // mproc / spin floor round trip, at most

constexpr size_t kCapacity = 1024;  // messages, for mproc's and Boost's queues alike

struct Config {
    // A: repetitions of all peers are interleaved, each a fresh set of processes over the
    // same queue, after one untimed warm-up run (page faults, caches, CPU clock).
    int tp_reps = 3;
    long small_messages = 500000;  // 64 B, in all (2 -> 2: half per producer)
    long large_messages = 100000;  // 4 KiB
    int py_tp_reps = 3;
    long py_messages = 20000;  // python is ~100x slower per message
    // B: as in mproc_sync_bench.
    int rt_reps = 3;
    long rt_rounds = 20000;  // plus 10% untimed warm-up rounds in every run
    long spin_rounds = 50000;
    int py_rt_reps = 3;
    long py_rt_rounds = 5000;
    long py_rt_warm = 500;
    // The longest one set of processes or one python3 run may take; only a hang gets near
    // it, and the whole program still ends in bounded time.
    double run_deadline_s = 20.0;

    void make_quick() {
        small_messages /= 20;
        large_messages /= 20;
        py_messages /= 20;
        rt_rounds /= 20;
        spin_rounds /= 20;
        py_rt_rounds /= 20;
        py_rt_warm /= 20;
        run_deadline_s = 10.0;
    }
};

// A python row of rates: messages/s per repetition from the script, k/s here.
Row python_rate_row(std::string label, std::string key, const PythonResult &p) {
    Row r = python_row(std::move(label), std::move(key), p);
    for (double &v : r.samples.values)
        v /= 1000.0;
    r.higher_is_better = true;
    return r;
}

std::string size_name(size_t size) {
    return size >= 1024 && size % 1024 == 0 ? std::to_string(size / 1024) + " KiB"
                                            : std::to_string(size) + " B";
}

// ---- A. Throughput --------------------------------------------------------------------

void throughput_case(const Config &cfg, const std::string &prefix, size_t size, int pairs) {
    const std::vector<int> all = usable_cpus();
    // 1 -> 1: producer and consumer on two different CPUs, as for every peer. 2 -> 2: four
    // processes share the CPUs as the scheduler sees fit (pinning two spinning processes to
    // one CPU would measure the pinning, not the transport).
    std::vector<int> cpus;
    if (pairs == 1 && all.size() >= 2) cpus = {all[0], all[1]};

    StreamShape shape;
    shape.pairs = pairs;
    shape.size = size;
    shape.messages = size <= 64 ? cfg.small_messages : cfg.large_messages;
    shape.capacity = kCapacity;

    const std::string tag = prefix + std::to_string(size) + "x" + std::to_string(pairs) + ".";
    struct Entry {
        Row row;
        std::unique_ptr<StreamPeer> peer;
    };
    auto entry = [](const char *label, const char *key, std::unique_ptr<StreamPeer> peer) {
        Row r{label, key, {}, ""};
        r.higher_is_better = true;
        return Entry{r, std::move(peer)};
    };
    std::vector<Entry> peers;
    peers.push_back(entry("mproc Queue put / get, opened by name", "mproc",
                          std::make_unique<MprocStreamPeer>(tag + "mproc")));
    peers.push_back(entry("boost message_queue send / receive, opened by name", "boost",
                          std::make_unique<BoostStreamPeer>(tag + "boost")));
    peers.push_back(entry(pairs == 1 ? "socketpair SOCK_STREAM, 4-byte length frames"
                                     : "socketpair SOCK_STREAM, 4-byte frames, one per pair",
                          "socketpair", std::make_unique<SocketStreamPeer>()));

    for (Entry &e : peers) {
        if (!e.peer->prepare(shape)) e.row.missing = "failed (could not create the transport)";
    }
    auto run_once = [&](Entry &e, const StreamShape &s) {
        std::string why;
        const double v = run_stream(*e.peer, s, cpus, cfg.run_deadline_s, why);
        if (v < 0) e.row.missing = "failed (" + why + ")";  // no more runs of a broken peer
        return v;
    };
    StreamShape warm = shape;
    warm.messages = shape.messages / 10;
    for (Entry &e : peers) {
        if (e.row.missing.empty()) run_once(e, warm);
    }
    for (int rep = 0; rep < cfg.tp_reps; ++rep) {
        for (Entry &e : peers) {
            if (!e.row.missing.empty()) continue;
            const double v = run_once(e, shape);
            if (v >= 0) e.row.samples.add(v / 1000.0);
        }
    }
    // Handles closed and names removed before anything else runs.
    for (Entry &e : peers) {
        e.peer.reset();
    }

    std::vector<long> py_args{pairs, cfg.py_messages, static_cast<long>(size), cfg.py_tp_reps};
    for (int i = 0; i < 2 * pairs; ++i)
        py_args.push_back(static_cast<size_t>(i) < cpus.size() ? cpus[static_cast<size_t>(i)] : -1);
    // The script's first argument is the kind: 0 a Queue, 1 a Pipe.
    auto run_py = [&](long kind) {
        std::vector<long> args{kind};
        args.insert(args.end(), py_args.begin(), py_args.end());
        return run_python(kPythonStreamScript, args, cfg.run_deadline_s);
    };
    const Row py_queue = python_rate_row("python multiprocessing.Queue put / get of bytes",
                                         "python-queue", run_py(0));
    Row py_pipe{"python multiprocessing.Pipe send_bytes / recv_bytes", "python-pipe", {}, ""};
    py_pipe.higher_is_better = true;
    if (pairs == 1)
        py_pipe = python_rate_row(py_pipe.label, py_pipe.key, run_py(1));
    else
        py_pipe.missing = "not measured (a Pipe is point to point)";

    const std::string sz = size_name(size);
    std::printf("\n  %s, %d -> %d: best of %d x %ld messages (python: best of %d x %ld); ",
                sz.c_str(), pairs, pairs, cfg.tp_reps, shape.messages, cfg.py_tp_reps,
                cfg.py_messages);
    if (!cpus.empty())
        std::printf("producer on CPU %d, consumer on CPU %d\n", cpus[0], cpus[1]);
    else
        std::printf("not pinned\n");
    for (const Entry &e : peers)
        print_row(e.row, "k/s");
    print_row(py_queue, "k/s");
    if (pairs == 1) print_row(py_pipe, "k/s");

    const Row &m = peers[0].row, &b = peers[1].row, &s = peers[2].row;
    std::vector<const Row *> rows{&m, &b, &s, &py_queue};
    if (pairs == 1) rows.push_back(&py_pipe);
    std::string ratios;
    if (pairs == 1 && size <= 64) {
        ratios = ratio_verdict(m, b, ">=", kSmallVsBoost) + ", " +
                 ratio_verdict(m, py_queue, ">=", kSmallVsPython) + "; also " + ratio_line(m, s) +
                 ", " + ratio_line(m, py_pipe);
    } else if (pairs == 1) {
        ratios = ratio_verdict(m, b, ">=", kLargeVsBoost) + "; also " + ratio_line(m, s) + ", " +
                 ratio_line(m, py_queue) + ", " + ratio_line(m, py_pipe);
    } else {
        ratios = ratio_line(m, b) + ", " + ratio_line(m, s) + ", " + ratio_line(m, py_queue) +
                 " (no target)";
    }
    std::printf("throughput %s %d->%d: %s  -> %s\n", sz.c_str(), pairs, pairs,
                summary(rows, "k/s").c_str(), ratios.c_str());
    std::fflush(stdout);
}

void section_throughput(const Config &cfg, const std::string &prefix) {
    std::printf(
        "\nA. Throughput, thousands of messages per second (k/s), from the first put to the last\n"
        "   get; mproc and boost queues hold %zu messages of the message size; each run is a\n"
        "   fresh set of forked processes, runs of the C++ peers interleaved after one warm-up\n",
        kCapacity);
    std::fflush(stdout);
    for (size_t size : {size_t{64}, size_t{4096}}) {
        for (int pairs : {1, 2})
            throughput_case(cfg, prefix, size, pairs);
    }
}

// ---- B. Round trip --------------------------------------------------------------------

void section_round_trip(const Config &cfg, const std::string &prefix) {
    const std::vector<int> cpus = usable_cpus();
    const bool two_cpus = cpus.size() >= 2;
    const int cpu_a = two_cpus ? cpus[0] : -1;
    const int cpu_b = two_cpus ? cpus[1] : -1;

    struct Entry {
        std::unique_ptr<PingPongPeer> peer;
        Row row;
        long rounds;
    };
    auto entry = [](std::unique_ptr<PingPongPeer> peer, const char *label, const char *key,
                    long rounds) {
        return Entry{std::move(peer), Row{label, key, {}, ""}, rounds};
    };
    std::vector<Entry> peers;
    peers.push_back(entry(std::make_unique<MprocQueuePingPong>(prefix + "rt.", kCapacity),
                          "mproc Queue x2 (put / get), opened by name", "mproc", cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<BoostQueuePingPong>(prefix + "rt-boost.", kCapacity),
                          "boost message_queue x2 (send / receive), opened by name", "boost",
                          cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<SocketPingPong>(),
                          "socketpair SOCK_STREAM, 4-byte length frames, blocking read",
                          "socketpair", cfg.rt_rounds));
    peers.push_back(entry(std::make_unique<MessageSpinPeer>(),
                          "spin floor: 64 B copied + sequence number, busy wait", "spin floor",
                          cfg.spin_rounds));
    Entry &mproc = peers[0], &boost = peers[1], &sock = peers[2], &spin = peers[3];
    if (!two_cpus) spin.row.missing = "skipped (needs two CPUs)";

    for (Entry &e : peers) {
        if (e.row.missing.empty() && !e.peer->prepare())
            e.row.missing = "failed (could not create the objects)";
    }
    for (int rep = 0; rep < cfg.rt_reps; ++rep) {
        for (Entry &e : peers) {
            if (!e.row.missing.empty()) continue;
            std::string why;
            const double v = run_ping_pong(*e.peer, Mode::round_trip, e.rounds, cpu_a, cpu_b,
                                           cfg.run_deadline_s, why);
            if (v < 0)
                e.row.missing = "failed (" + why + ")";
            else
                e.row.samples.add(v);
        }
    }
    for (Entry &e : peers) {
        e.peer.reset();
    }
    const PythonResult py = run_python(kPythonPipePingPongScript,
                                       {cfg.py_rt_rounds, cfg.py_rt_reps, cfg.py_rt_warm,
                                        static_cast<long>(kPingSize), cpu_a, cpu_b},
                                       cfg.run_deadline_s);
    const Row py_row =
        python_row("python multiprocessing.Pipe send_bytes / recv_bytes", "python-pipe", py);

    std::printf("\nB. Round trip of a 64-byte message between two forked processes, us\n");
    if (two_cpus)
        std::printf("   A pinned to CPU %d, B to CPU %d; ", cpu_a, cpu_b);
    else
        std::printf("   only one usable CPU, not pinned; ");
    std::printf(
        "best of %d runs x %ld round trips (spin: %ld), runs interleaved;\n"
        "   python: best of %d x %ld round trips in one run\n",
        cfg.rt_reps, cfg.rt_rounds, cfg.spin_rounds, cfg.py_rt_reps, cfg.py_rt_rounds);
    for (const Entry &e : peers)
        print_row(e.row, "us");
    print_row(py_row, "us");
    std::printf("round trip 64 B: %s  -> %s, %s; also %s, %s\n",
                summary({&mproc.row, &boost.row, &sock.row, &py_row, &spin.row}, "us").c_str(),
                ratio_verdict(boost.row, mproc.row, ">=", kRoundTripVsBoost).c_str(),
                ratio_verdict(mproc.row, spin.row, "<=", kRoundTripVsFloor).c_str(),
                ratio_line(sock.row, mproc.row).c_str(), ratio_line(py_row, mproc.row).c_str());
}

constexpr BenchProgram kProgram{
    "mproc queue bench", "mproc-qbench",
    "  Measures mproc's Queue against Boost.Interprocess message_queue, a Unix\n  socketpair, "
    "Python multiprocessing Queue / Pipe and a spin floor.\n",
    "about 1/20 of the messages (smoke run)"};

void run_sections(const Config &cfg, const std::string &prefix) {
    section_throughput(cfg, prefix);
    std::fflush(stdout);
    section_round_trip(cfg, prefix);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
