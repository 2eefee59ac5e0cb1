// The pool benches' peers (mproc_process_pool_bench, mproc_mpi_pool_bench): an mproc
// process pool with its n trivial tasks made once, timed over one map of all of them, and
// Python's multiprocessing.Pool.map over the same work in a python3 script.
//
// A repetition is one map of n tasks from submission to the last result read (mproc:
// futures closed too; Python: the result list built). Task k returns k and the sum is
// checked, so a pool that loses or mixes results fails the measurement instead of looking
// fast. The tasks' handles are made once, outside the timing, as Python's range() is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench_clock.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

// What the pool runs: libc's abs through a task reference "i(i)" (library NULL: what any
// language, and a worker on another host, can submit), or a function pointer (fork pools).
enum class PoolTasks { abs_reference, function };

inline int pool_return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<long>(arg));
}

// One pool and its n tasks, made once.
struct PoolPeer {
    explicit PoolPeer(Row r) : row(std::move(r)) {}
    PoolPeer(const PoolPeer &) = delete;
    PoolPeer &operator=(const PoolPeer &) = delete;

    Row row;
    mproc_pool_t *pool = nullptr;
    std::vector<mproc_task_t *> tasks;
    std::vector<mproc_future_t *> futures;

    // Pool.close() then join: the workers exit on their own (closing an unjoined pool
    // terminates them instead). False if they did not within timeout_s.
    bool stop(double timeout_s) {
        if (pool == nullptr) return true;
        mproc_pool_shutdown(pool);
        return mproc_pool_join(pool, timeout_s) == MPROC_OK;
    }

    ~PoolPeer() {
        if (pool != nullptr) mproc_pool_close(pool);
        for (mproc_task_t *t : tasks)
            mproc_task_close(t);
    }

    bool fail(const std::string &why) {
        row.missing = "failed (" + why + ")";
        return false;
    }

    // Starts the pool (every worker is then started, not yet warm) and makes the tasks.
    // False (row.missing says why) on failure.
    bool setup(const mproc_pool_options_t &options, PoolTasks kind, long n) {
        int rc = mproc_pool_create(&options, &pool);
        if (rc != MPROC_OK) return fail(api_error("mproc_pool_create", rc));
        tasks.assign(static_cast<std::size_t>(n), nullptr);
        futures.assign(static_cast<std::size_t>(n), nullptr);
        for (long k = 0; k < n; ++k) {
            mproc_task_t *&t = tasks[static_cast<std::size_t>(k)];
            if (kind == PoolTasks::function) {
                rc = mproc_task_from_function(pool_return_arg, reinterpret_cast<void *>(k), &t);
                if (rc != MPROC_OK) return fail(api_error("mproc_task_from_function", rc));
            } else {
                rc = mproc_task_create(nullptr, "abs", "i(i)", &t);
                if (rc == MPROC_OK) rc = mproc_task_arg_int(t, -k);
                if (rc != MPROC_OK) return fail(api_error("mproc_task_create", rc));
            }
        }
        return true;
    }

    // One map of all the tasks (chunksize 0: automatic): microseconds per task, or -1
    // (row.missing says why).
    double map_once(std::size_t chunksize, double timeout_s) {
        const std::size_t n = tasks.size();
        const int64_t t0 = now_ns();
        int rc = mproc_pool_map(pool, tasks.data(), n, chunksize, timeout_s, futures.data());
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

// Python's Pool.map(abs, range(0, -n, -1)) in a fork-context pool, for run_python. argv:
// tasks, repetitions, processes, chunksize (0: automatic). Prints us per task, one value
// per repetition, after one untimed warm-up map.
constexpr const char *kPythonPoolMapScript = R"PY(
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

}  // namespace mproc_bench
