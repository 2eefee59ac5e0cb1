// mproc/pool.hpp -- mproc::Pool, worker processes that run tasks, like multiprocessing.Pool
// (see "ProcessPool" in mproc.h for what happens when a worker dies).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/future.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/process.hpp"
#include "mproc/task.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// Where a pool's workers run (MPROC_BACKEND_*): processes on this host, or MPI ranks on
// this host or others (see "Scaling out" in mproc.h).
enum class pool_backend : int { local = MPROC_BACKEND_LOCAL, mpi = MPROC_BACKEND_MPI };

// Options of an mproc::Pool (mproc_pool_options_t).
struct pool_options {
    // Worker processes; 0: cpu_count().
    int processes = 0;
    // How workers start: fork (tasks may be function pointers), spawn (task references
    // only); default_: get_start_method() when the pool is made.
    start_method method = start_method::default_;
    // Run by each worker before its first task; a failure (an error or a non-zero int
    // result) breaks the pool. Copied when the pool is made.
    const Task *initializer = nullptr;
    // A worker is replaced after this many tasks; 0: never.
    unsigned long max_tasks_per_child = 0;
    // The largest encoded task or result, in bytes (64 .. 64 MiB).
    std::size_t max_message = 65536;
    // local, or mpi: the workers are MPI ranks (task references only; `method` must stay
    // default_). Pool::backend_available says whether mpi works here.
    pool_backend backend = pool_backend::local;
    // mpi, dynamic start: MPI_Info keys for MPI_Comm_spawn, "key=value;key=value" (such as
    // "host=a,b"); empty: none.
    std::string mpi_info;
    // mpi: seconds of silence after which a worker rank is lost; 0: 10.
    double mpi_heartbeat_timeout = 0;
};

// A pool of worker processes: apply / apply_async / map / map_async as multiprocessing.Pool,
// with an mproc::Future per task. A task that fails fails its future only; a worker that
// dies fails the task it was running with MPROC_EBROKEN (broken_barrier_error; the
// message names the worker and the signal or exit status) and is replaced.
//
// Move-only. The destructor terminates the workers unless the pool was joined (as leaving
// Python's `with Pool()` does): call shutdown() and join() first to let queued tasks finish.
// Futures outlive the pool; those not done then are cancelled or fail. A moved-from pool
// holds no handle and every call on it throws bad_handle_error. Safe to use from many
// threads at once.
class Pool {
  public:
    // Starts the workers. Throws invalid_argument_error (a bad option; a function-pointer
    // initializer with spawn or mpi), not_found_error (spawn: no mproc-worker; mpi: no
    // plugin or no mproc-mpi-worker), system_error (mpi: MPI failed), out_of_memory_error.
    // Under mpiexec, in ranks 1 .. N-1, an mpi pool's constructor does not return.
    explicit Pool(const pool_options &options = pool_options()) {
        mproc_pool_options_t o;
        detail::check(mproc_pool_options_init(&o));
        o.processes = options.processes;
        o.start_method = static_cast<int>(options.method);
        o.initializer = options.initializer != nullptr ? options.initializer->handle() : nullptr;
        o.max_tasks_per_child = options.max_tasks_per_child;
        o.max_message = options.max_message;
        o.backend = static_cast<int>(options.backend);
        o.mpi_info = options.mpi_info.empty() ? nullptr : options.mpi_info.c_str();
        o.mpi_heartbeat_timeout = options.mpi_heartbeat_timeout;
        mproc_pool_t *h = nullptr;
        detail::check(mproc_pool_create(&o, &h));
        h_.reset(h);
    }

    // Whether pools of `backend` can be made here (mpi: mproc was built with MPI and its
    // plugin loads). Never throws.
    static bool backend_available(pool_backend backend) noexcept {
        return mproc_pool_backend_available(static_cast<int>(backend)) == 1;
    }

    Pool(Pool &&) noexcept = default;
    Pool &operator=(Pool &&) noexcept = default;
    ~Pool() = default;

    // Queues `task` (copied) and returns its future (Pool.apply_async). Never blocks.
    // Throws invalid_argument_error (incomplete; a function-pointer task in a spawn pool),
    // too_big_error (over max_message), closed_error (after shutdown or terminate), the
    // MPROC_EBROKEN error (a broken pool), bad_handle_error.
    Future apply_async(const Task &task) {
        mproc_future_t *f = nullptr;
        detail::check(mproc_pool_apply_async(h_.get(), task.handle(), &f));
        return Future(f);
    }

    // Runs `task` in a worker and waits up to `limit` for its result (Pool.apply). Throws
    // the task's error, timeout_error (the task goes on), and as apply_async.
    task_result apply(const Task &task, timeout limit = forever) {
        mproc_result_t r{};
        detail::check(mproc_pool_apply(h_.get(), task.handle(), limit.seconds(), &r));
        return task_result(r);
    }

    // Queues the tasks in chunks of `chunksize` (0: automatic, as Python) and returns one
    // future per task, in order (Pool.map_async). All or none are queued. Throws as
    // apply_async.
    std::vector<Future> map_async(const std::vector<Task> &tasks, std::size_t chunksize = 0) {
        std::vector<const mproc_task_t *> hs = handles_of(tasks);
        std::vector<mproc_future_t *> raw(tasks.size(), nullptr);
        detail::check(mproc_pool_map_async(h_.get(), hs.data(), hs.size(), chunksize, raw.data()));
        return adopt(raw);
    }

    // Runs every task and waits up to `limit` for all of them (Pool.map): the results in
    // the order of the tasks. Throws the error of the first failed task in order (the
    // others still run), timeout_error, and as map_async.
    std::vector<task_result> map(const std::vector<Task> &tasks, std::size_t chunksize = 0,
                                 timeout limit = forever) {
        std::vector<const mproc_task_t *> hs = handles_of(tasks);
        std::vector<mproc_future_t *> raw(tasks.size(), nullptr);
        const int rc =
            mproc_pool_map(h_.get(), hs.data(), hs.size(), chunksize, limit.seconds(), raw.data());
        std::vector<Future> futures = adopt(raw);  // owns the handles whatever happens next
        detail::check(rc);
        std::vector<task_result> results;
        results.reserve(futures.size());
        for (const Future &f : futures)
            results.push_back(f.result(timeout(std::chrono::seconds(0))));
        return results;
    }

    // Pool.close: no more tasks (closed_error); queued ones still run, then the workers
    // exit. Never blocks.
    void shutdown() { detail::check(mproc_pool_shutdown(h_.get())); }

    // Pool.terminate: kills the workers now; tasks not started are cancelled, running ones
    // fail. Returns once the workers are reaped.
    void terminate() { detail::check(mproc_pool_terminate(h_.get())); }

    // Pool.join: waits up to `limit` for the workers to exit after shutdown() or
    // terminate(): true once they have, false at the timeout. Throws
    // invalid_argument_error (the pool still accepts tasks), bad_handle_error.
    bool join(timeout limit = forever) {
        const int rc = mproc_pool_join(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    // The number of workers the pool keeps.
    int processes() const {
        int n = 0;
        detail::check(mproc_pool_processes(h_.get(), &n));
        return n;
    }

    // The worker processes alive now (for monitoring and tests).
    std::vector<int> worker_pids() const {
        for (;;) {
            std::size_t n = 0;
            const int rc = mproc_pool_worker_pids(h_.get(), nullptr, 0, &n);
            if (rc != MPROC_OK && rc != MPROC_ETOOBIG) detail::check(rc);
            std::vector<int> pids(n + 4);
            const int again = mproc_pool_worker_pids(h_.get(), pids.data(), pids.size(), &n);
            if (again == MPROC_ETOOBIG) continue;  // more workers than a moment ago
            detail::check(again);
            pids.resize(n);
            return pids;
        }
    }

    // The C handle, still owned by the pool (nullptr once moved from or closed).
    mproc_pool_t *handle() const noexcept { return h_.get(); }
    // Terminates (unless joined) and frees the pool now.
    void close() { h_.close(); }

  private:
    static std::vector<const mproc_task_t *> handles_of(const std::vector<Task> &tasks) {
        std::vector<const mproc_task_t *> hs;
        hs.reserve(tasks.size());
        for (const Task &t : tasks)
            hs.push_back(t.handle());
        return hs;
    }

    static std::vector<Future> adopt(const std::vector<mproc_future_t *> &raw) {
        std::vector<Future> futures;
        futures.reserve(raw.size());
        for (mproc_future_t *f : raw)
            futures.emplace_back(f);
        return futures;
    }

    detail::unique_handle<mproc_pool_t, mproc_pool_close> h_;
};

}  // namespace mproc
