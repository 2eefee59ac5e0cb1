// mproc_thread_pool_bench: mproc's thread pool against Python's
// concurrent.futures.ThreadPoolExecutor, measured side by side in one run, through the
// public C API only. Both pools have the same number of workers (kWorkers).
//
//   A. submit + result, one task at a time, us per task: mproc_thread_pool_submit,
//      mproc_future_result, mproc_future_close of a function-pointer task that returns 0,
//      and of a task reference to libc's abs(0) ("i(i)", library NULL), against Python's
//      executor.submit(f).result(). Target: Python / mproc >= 20x.
//   B. a batch: submit N tasks, then wait for all (mproc_futures_wait ALL_COMPLETED, then
//      close them), us per task, against Python's [submit(f) ...] + wait(fs). Same target.
//
// Each repetition times a run of many tasks and is one sample (us per task): the best
// sample is what the ratios use, the median shows the noise. A measurement, not a test: it
// exits 0 whether or not a target is met, 1 if a measurement failed, 2 for a bad command
// line. `--quick` does about 1/10 of the work (a CI smoke run).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {
namespace {

constexpr double kTarget = 20.0;  // python / mproc, at least
constexpr int kWorkers = 2;       // threads of either pool
constexpr double kWaitS = 30;     // a task that takes longer is a failed measurement

struct Config {
    int reps = 15;         // samples per peer
    int one_tasks = 4000;  // tasks per sample, one at a time
    int batch_tasks = 20000;
    int py_reps = 7;
    int py_one_tasks = 2000;
    int py_batch_tasks = 5000;
    double python_deadline_s = 120.0;

    void make_quick() {
        for (int *v : {&reps, &one_tasks, &batch_tasks, &py_reps, &py_one_tasks, &py_batch_tasks})
            *v = std::max(2, *v / 10);
        python_deadline_s = 60.0;
    }
};

void note_failure(const Row &r) {
    if (!r.missing.empty() && r.missing.rfind("skipped", 0) != 0)
        g_failures.push_back(r.key + " in \"" + r.label + "\": " + r.missing);
}

int return_zero(void *) {
    return 0;
}

// `n` tasks, each submitted and waited for before the next: us per task, or -1.
double one_by_one(mproc_thread_pool_t *pool, const mproc_task_t *task, int n, std::string &why) {
    const int64_t t0 = now_ns();
    for (int i = 0; i < n; ++i) {
        mproc_future_t *f = nullptr;
        int rc = mproc_thread_pool_submit(pool, task, &f);
        if (rc != MPROC_OK) {
            why = api_error("mproc_thread_pool_submit", rc);
            return -1;
        }
        mproc_result_t r;
        rc = mproc_future_result(f, kWaitS, &r);
        mproc_future_close(f);
        if (rc != MPROC_OK) {
            why = api_error("mproc_future_result", rc);
            return -1;
        }
        if (r.i != 0) {
            why = "the task returned " + std::to_string(r.i);
            return -1;
        }
    }
    return static_cast<double>(now_ns() - t0) / 1e3 / n;
}

// `n` tasks submitted, then all waited for and closed: us per task, or -1.
double batch(mproc_thread_pool_t *pool, const mproc_task_t *task, int n, std::string &why) {
    std::vector<mproc_future_t *> futures(static_cast<size_t>(n), nullptr);
    const int64_t t0 = now_ns();
    for (int i = 0; i < n; ++i) {
        const int rc = mproc_thread_pool_submit(pool, task, &futures[static_cast<size_t>(i)]);
        if (rc != MPROC_OK) {
            why = api_error("mproc_thread_pool_submit", rc);
            mproc_futures_close(futures.data(), futures.size());
            return -1;
        }
    }
    size_t done = 0;
    const int rc =
        mproc_futures_wait(futures.data(), futures.size(), MPROC_ALL_COMPLETED, kWaitS, &done);
    mproc_futures_close(futures.data(), futures.size());
    const int64_t t1 = now_ns();
    if (rc != MPROC_OK) {
        why = api_error("mproc_futures_wait", rc);
        return -1;
    }
    return static_cast<double>(t1 - t0) / 1e3 / n;
}

// argv: repetitions, tasks per repetition, workers, mode (0: one by one, 1: batch).
// Prints us per task for each repetition, after one untimed warm-up.
constexpr const char *kPythonScript = R"PY(
import sys, time
from concurrent.futures import ThreadPoolExecutor, wait
reps, n, workers, mode = (int(a) for a in sys.argv[1:5])

def f():
    return 0

out = []
with ThreadPoolExecutor(max_workers=workers) as ex:
    for i in range(reps + 1):
        t0 = time.perf_counter_ns()
        if mode == 0:
            for _ in range(n):
                if ex.submit(f).result() != 0:
                    raise SystemExit("bad result")
        else:
            fs = [ex.submit(f) for _ in range(n)]
            wait(fs)
        t = time.perf_counter_ns() - t0
        if i > 0:
            out.append(t / 1000.0 / n)
print("RESULT", *out)
)PY";

using Runner = double (*)(mproc_thread_pool_t *, const mproc_task_t *, int, std::string &);

struct Peer {
    Row row;
    const mproc_task_t *task;
};

// One section: the mproc peers interleaved over `reps` rounds (after one warm-up), then
// Python; prints the rows and the summary line.
void section(const Config &cfg, const char *title, const char *line, Runner run, int tasks,
             int py_tasks, int mode, mproc_thread_pool_t *pool, std::vector<Peer> peers) {
    for (int rep = -1; rep < cfg.reps; ++rep) {
        for (Peer &p : peers) {
            if (!p.row.missing.empty()) continue;
            std::string why;
            const double v = run(pool, p.task, tasks, why);
            if (v < 0)
                p.row.missing = "failed (" + why + ")";
            else if (rep >= 0)
                p.row.samples.add(v);
        }
    }
    const Row py = python_row(
        "python ThreadPoolExecutor(" + std::to_string(kWorkers) + ")", "python",
        run_python(kPythonScript, {cfg.py_reps, py_tasks, kWorkers, mode}, cfg.python_deadline_s));
    std::printf(
        "\n%s, us per task: best of %d runs of %d tasks (+1 untimed), %d workers;\n"
        "   python: best of %d runs of %d tasks (+1 untimed)\n",
        title, cfg.reps, tasks, kWorkers, cfg.py_reps, py_tasks);
    for (const Peer &p : peers)
        print_row(p.row, "us");
    print_row(py, "us");
    for (const Peer &p : peers) {
        const Row &m = p.row;
        const std::string verdict = ratio_verdict(py, m, ">=", kTarget);
        std::printf("%s [%s]: mproc %s | python %s -> %s\n", line, m.label.c_str(),
                    m.value("us").c_str(), py.value("us").c_str(), verdict.c_str());
        note_failure(m);
    }
    std::fflush(stdout);
    note_failure(py);
}

constexpr BenchProgram kProgram{
    "mproc thread pool bench", "mproc-tpbench",
    "  Measures mproc's thread pool (submit + result, one by one and in a batch) against\n"
    "  Python's concurrent.futures.ThreadPoolExecutor.\n",
    "about 1/10 of the tasks and repetitions (smoke run)"};

void run_sections(const Config &cfg, const std::string &) {
    mproc_thread_pool_t *pool = nullptr;
    int rc = mproc_thread_pool_create(kWorkers, &pool);
    if (rc != MPROC_OK) {
        g_failures.push_back(api_error("mproc_thread_pool_create", rc));
        return;
    }
    mproc_task_t *fn_task = nullptr, *ref_task = nullptr;
    Row fn_row{"function task", "mproc", {}, ""};
    Row ref_row{"task reference abs(0)", "mproc", {}, ""};
    if ((rc = mproc_task_from_function(return_zero, nullptr, &fn_task)) != MPROC_OK)
        fn_row.missing = "failed (" + api_error("mproc_task_from_function", rc) + ")";
    if ((rc = mproc_task_create(nullptr, "abs", "i(i)", &ref_task)) != MPROC_OK) {
        ref_row.missing = "failed (" + api_error("mproc_task_create", rc) + ")";
    } else if ((rc = mproc_task_arg_int(ref_task, 0)) != MPROC_OK) {
        ref_row.missing = "failed (" + api_error("mproc_task_arg_int", rc) + ")";
    }
    std::vector<Peer> peers{{fn_row, fn_task}, {ref_row, ref_task}};

    section(cfg, "A. submit + result, one task at a time", "thread pool submit+result (1 by 1)",
            one_by_one, cfg.one_tasks, cfg.py_one_tasks, 0, pool, peers);
    section(cfg, "B. submit a batch, then wait for all", "thread pool batch submit+wait", batch,
            cfg.batch_tasks, cfg.py_batch_tasks, 1, pool, peers);

    mproc_thread_pool_close(pool);
    mproc_task_close(fn_task);
    mproc_task_close(ref_task);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
