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

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<long>(arg));
}

// One pool and its n tasks, made once.
struct MprocPeer {
    explicit MprocPeer(Row r) : row(std::move(r)) {}
    MprocPeer(const MprocPeer &) = delete;
    MprocPeer &operator=(const MprocPeer &) = delete;

    Row row;
    mproc_pool_t *pool = nullptr;
    std::vector<mproc_task_t *> tasks;
    std::vector<mproc_future_t *> futures;

    ~MprocPeer() {
        if (pool != nullptr) mproc_pool_close(pool);
        for (mproc_task_t *t : tasks)
            mproc_task_close(t);
    }

    bool fail(const std::string &why) {
        row.missing = "failed (" + why + ")";
        return false;
    }

    bool setup(int method, bool function_tasks, long n, int processes) {
        mproc_pool_options_t o;
        mproc_pool_options_init(&o);
        o.processes = processes;
        o.start_method = method;
        int rc = mproc_pool_create(&o, &pool);
        if (rc != MPROC_OK) return fail(api_error("mproc_pool_create", rc));
        tasks.assign(static_cast<std::size_t>(n), nullptr);
        futures.assign(static_cast<std::size_t>(n), nullptr);
        for (long k = 0; k < n; ++k) {
            mproc_task_t *&t = tasks[static_cast<std::size_t>(k)];
            if (function_tasks) {
                rc = mproc_task_from_function(return_arg, reinterpret_cast<void *>(k), &t);
                if (rc != MPROC_OK) return fail(api_error("mproc_task_from_function", rc));
            } else {
                rc = mproc_task_create(nullptr, "abs", "i(i)", &t);
                if (rc == MPROC_OK) rc = mproc_task_arg_int(t, -k);
                if (rc != MPROC_OK) return fail(api_error("mproc_task_create", rc));
            }
        }
        return true;
    }

    // One map of all the tasks: microseconds per task, or -1 (row.missing says why).
    double map_once(std::size_t chunksize) {
        const std::size_t n = tasks.size();
        const int64_t t0 = now_ns();
        int rc = mproc_pool_map(pool, tasks.data(), n, chunksize, kMapTimeoutS, futures.data());
        long long sum = 0;
        for (std::size_t k = 0; rc == MPROC_OK && k < n; ++k) {
            mproc_result_t r;
            rc = mproc_future_result(futures[k], 0, &r);
            sum += r.i;
        }
        const std::string why = rc == MPROC_OK ? "" : api_error("mproc_pool_map", rc);
        mproc_futures_close(futures.data(), n);
        const int64_t t1 = now_ns();
        if (rc != MPROC_OK) {
            fail(why);
            return -1;
        }
        const long long want = static_cast<long long>(n) * static_cast<long long>(n - 1) / 2;
        if (sum != want) {
            fail("wrong results: sum " + std::to_string(sum) + ", expected " +
                 std::to_string(want));
            return -1;
        }
        return static_cast<double>(t1 - t0) / 1e3 / static_cast<double>(n);
    }
};

// argv: tasks, repetitions, processes, chunksize (0: automatic). Prints us per task.
constexpr const char *kPythonMapScript = R"PY(
import multiprocessing as mp, sys, time
n, reps, procs, chunk = (int(a) for a in sys.argv[1:5])
ctx = mp.get_context("fork")
out = []
with ctx.Pool(procs) as pool:
    pool.map(abs, range(-100, 0), chunksize=1)  # warm up: workers started and busy once
    for i in range(reps):
        t0 = time.perf_counter_ns()
        r = pool.map(abs, range(0, -n, -1), chunksize=chunk if chunk > 0 else None)
        t = time.perf_counter_ns() - t0
        if sum(r) != n * (n - 1) // 2:
            raise SystemExit("python pool: wrong results")
        out.append(t / 1000.0 / n)
print("RESULT", *out)
)PY";

void note_failure(const Row &r) {
    if (!r.missing.empty()) g_failures.push_back(r.key + ": " + r.missing);
}

void section(const Config &cfg, std::size_t chunksize, int processes, const char *letter) {
    const std::string mode = chunksize == 0 ? "automatic" : std::to_string(chunksize);
    MprocPeer ref{
        Row{"mproc spawn pool, task reference abs \"i(i)\" (library NULL)", "mproc", {}, ""}};
    MprocPeer fn{Row{"mproc fork pool, function-pointer task", "mproc-fn", {}, ""}};
    const bool ref_ok = ref.setup(MPROC_START_SPAWN, false, cfg.tasks, processes);
    const bool fn_ok = fn.setup(MPROC_START_FORK, true, cfg.tasks, processes);
    // Warm-up: every worker started and through one map; then interleaved repetitions.
    if (ref_ok) ref.map_once(chunksize);
    if (fn_ok) fn.map_once(chunksize);
    for (int rep = 0; rep < cfg.reps; ++rep) {
        for (MprocPeer *p : {&ref, &fn}) {
            if (!p->row.missing.empty()) continue;
            const double us = p->map_once(chunksize);
            if (us >= 0) p->row.samples.add(us);
        }
    }
    const Row py = python_row(
        "python fork Pool.map(abs, range(n)), chunksize " + mode, "python",
        run_python(kPythonMapScript, {cfg.tasks, cfg.reps, processes, static_cast<long>(chunksize)},
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
