// mproc_process_pool_bench: the per-task cost of a process pool's map over trivial tasks,
// mproc against Python's multiprocessing.Pool.map, in one run:
//
//   - mproc, spawn pool, task reference libc abs "i(i)" (library NULL): what any language
//     can submit;
//   - mproc, fork pool, a function-pointer task;
//   - python3, fork context, Pool.map(abs, range(n)).
//
// each with chunksize 1 (one message per task each way: the pool's own overhead) and the
// automatic chunksize (n / (4 * processes), as Python). Pools have one worker per usable
// CPU and are started and warmed up outside the timing; a repetition is one map of n tasks
// from submission to the last result read (mproc: futures closed too; Python: the result
// list built). The tasks' handles are made once, outside the timing, as Python's range() is.
// The target: Python's time per task at least 10x mproc's with chunksize 1.
//
// `--quick` does about 1/10 of the work (a CI smoke run).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_pool.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {
namespace {

constexpr double kTarget = 10.0;  // python / mproc per task, chunksize 1, at least
constexpr double kMapTimeoutS = 120;

struct Config {
    long tasks = 20000;
    int reps = 7;
    double python_deadline_s = 300.0;

    void make_quick() {
        tasks = 2000;
        reps = 3;
        python_deadline_s = 120.0;
    }
};

// A pool of `processes` workers started with `method`, and its n tasks.
bool setup_peer(PoolPeer &p, int method, PoolTasks kind, long n, int processes) {
    mproc_pool_options_t o;
    mproc_pool_options_init(&o);
    o.processes = processes;
    o.start_method = method;
    return p.setup(o, kind, n);
}

void note_failure(const Row &r) {
    if (!r.missing.empty()) g_failures.push_back(r.key + ": " + r.missing);
}

void section(const Config &cfg, std::size_t chunksize, int processes, const char *letter) {
    const std::string mode = chunksize == 0 ? "automatic" : std::to_string(chunksize);
    PoolPeer ref{
        Row{"mproc spawn pool, task reference abs \"i(i)\" (library NULL)", "mproc", {}, ""}};
    PoolPeer fn{Row{"mproc fork pool, function-pointer task", "mproc-fn", {}, ""}};
    const bool ref_ok =
        setup_peer(ref, MPROC_START_SPAWN, PoolTasks::abs_reference, cfg.tasks, processes);
    const bool fn_ok = setup_peer(fn, MPROC_START_FORK, PoolTasks::function, cfg.tasks, processes);
    // Warm-up: every worker started and through one map; then interleaved repetitions.
    if (ref_ok) ref.map_once(chunksize, kMapTimeoutS);
    if (fn_ok) fn.map_once(chunksize, kMapTimeoutS);
    for (int rep = 0; rep < cfg.reps; ++rep) {
        for (PoolPeer *p : {&ref, &fn}) {
            if (!p->row.missing.empty()) continue;
            const double us = p->map_once(chunksize, kMapTimeoutS);
            if (us >= 0) p->row.samples.add(us);
        }
    }
    const Row py =
        python_row("python fork Pool.map(abs, range(n)), chunksize " + mode, "python",
                   run_python(kPythonPoolMapScript,
                              {cfg.tasks, cfg.reps, processes, static_cast<long>(chunksize)},
                              cfg.python_deadline_s));
    std::printf(
        "\n%s. Pool map of %ld trivial tasks, chunksize %s, %d worker(s), us per task:\n"
        "   best of %d maps (+1 untimed first) each\n",
        letter, cfg.tasks, mode.c_str(), processes, cfg.reps);
    for (const Row *r : std::vector<const Row *>{&ref.row, &fn.row, &py})
        print_row(*r, "us/task");
    for (const Row *m : {&ref.row, &fn.row}) {
        const std::string verdict =
            chunksize == 1 ? ratio_verdict(py, *m, ">=", kTarget) : ratio_line(py, *m);
        std::printf("process pool map chunksize %s (%s): %s %s us/task | python %s us/task -> %s\n",
                    mode.c_str(), m->key == "mproc" ? "task reference, spawn" : "function, fork",
                    m->key.c_str(), m->has_value() ? fmt(m->best()).c_str() : m->value("").c_str(),
                    py.has_value() ? fmt(py.best()).c_str() : py.value("").c_str(),
                    verdict.c_str());
    }
    std::fflush(stdout);
    for (const Row *r : std::vector<const Row *>{&ref.row, &fn.row, &py})
        note_failure(*r);
}

constexpr BenchProgram kProgram{
    "mproc process pool bench", "mproc-ppbench",
    "  Measures the per-task cost of mproc's process pool map (task references in a spawn\n"
    "  pool, function pointers in a fork pool) against Python's multiprocessing.Pool.map.\n",
    "about 1/10 of the tasks (smoke run)"};

void run_sections(const Config &cfg, const std::string &) {
    int processes = 1;
    mproc_cpu_count(&processes);
    section(cfg, 1, processes, "A");
    section(cfg, 0, processes, "B");
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
