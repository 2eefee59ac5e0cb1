// mproc/thread_pool.hpp -- mproc::ThreadPool, threads of this process that run tasks, like
// concurrent.futures.ThreadPoolExecutor.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/future.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/task.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A pool of threads that run tasks (function pointers or task references) in the order
// submitted, each with an mproc::Future. Mainly for tasks that are references or C
// functions already; C++ code with lambdas has std::async.
//
// Move-only. The destructor shuts the pool down, waits for the queued and running tasks and
// joins the threads (Python's `with ThreadPoolExecutor()`); destroying the pool from one of
// its own threads (in a task or a callback) cannot wait for itself, so the pool is then left
// alive rather than freed under it. A moved-from pool holds no handle and every call on it
// throws bad_handle_error. Safe to use from many threads at once.
class ThreadPool {
  public:
    // Starts `workers` threads (0: mproc_cpu_count()). Throws invalid_argument_error
    // (negative or over 4096), system_error (a thread cannot be created),
    // out_of_memory_error.
    explicit ThreadPool(int workers = 0) {
        mproc_thread_pool_t *h = nullptr;
        detail::check(mproc_thread_pool_create(workers, &h));
        h_.reset(h);
    }

    ThreadPool(ThreadPool &&) noexcept = default;
    ThreadPool &operator=(ThreadPool &&) noexcept = default;
    ~ThreadPool() = default;

    // Queues `task` (copied: the caller may change or destroy it) and returns its future.
    // Never blocks. Throws invalid_argument_error (task incomplete), closed_error (after
    // shutdown), bad_handle_error (a moved-from pool or task), out_of_memory_error.
    Future submit(const Task &task) {
        mproc_future_t *f = nullptr;
        detail::check(mproc_thread_pool_submit(h_.get(), task.handle(), &f));
        return Future(f);
    }

    // Submits every task, in order, and returns their futures (Executor.submit for each).
    // Throws as submit(); the futures of the tasks queued before a failure are cancelled.
    std::vector<Future> submit_all(const std::vector<Task> &tasks) {
        std::vector<Future> futures;
        futures.reserve(tasks.size());
        try {
            for (const Task &t : tasks)
                futures.push_back(submit(t));
        } catch (...) {
            for (Future &f : futures)
                (void)mproc_future_cancel(f.handle(), nullptr);
            throw;
        }
        return futures;
    }

    // Runs every task and waits up to `limit` for all of them, like list(executor.map(...)):
    // the results in the order of the tasks. Throws the error of the first failed task in
    // order (with its message), timeout_error, closed_error, invalid_argument_error (an
    // incomplete task), bad_handle_error. After an error the other tasks go on.
    std::vector<task_result> map(const std::vector<Task> &tasks, timeout limit = forever) {
        std::vector<const mproc_task_t *> hs;
        hs.reserve(tasks.size());
        for (const Task &t : tasks)
            hs.push_back(t.handle());
        std::vector<mproc_future_t *> raw(tasks.size(), nullptr);
        const int rc =
            mproc_thread_pool_map(h_.get(), hs.data(), hs.size(), limit.seconds(), raw.data());
        std::vector<Future> futures;  // owns the handles whatever happens next
        futures.reserve(raw.size());
        for (mproc_future_t *f : raw)
            futures.emplace_back(f);
        detail::check(rc);
        std::vector<task_result> results;
        results.reserve(futures.size());
        for (const Future &f : futures)
            results.push_back(f.result(timeout(std::chrono::seconds(0))));
        return results;
    }

    // Stops accepting tasks (later submits throw closed_error). cancel_pending cancels the
    // tasks not started yet; wait waits for the running and remaining tasks and for the
    // threads. Calling it again is fine. Throws invalid_argument_error (wait from one of
    // the pool's own threads), bad_handle_error.
    void shutdown(bool wait = true, bool cancel_pending = false) {
        detail::check(mproc_thread_pool_shutdown(h_.get(), wait ? 1 : 0, cancel_pending ? 1 : 0));
    }

    // The number of threads. Throws bad_handle_error.
    int workers() const {
        int n = 0;
        detail::check(mproc_thread_pool_workers(h_.get(), &n));
        return n;
    }

    // The C handle, still owned by the pool (nullptr once moved from or closed).
    mproc_thread_pool_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Shuts down, waits and frees the pool now. Throws invalid_argument_error from one of
    // its own threads (nothing changes). Does nothing on a moved-from or closed pool.
    void close() {
        if (mproc_thread_pool_t *h = h_.get()) {
            detail::check(mproc_thread_pool_close(h));
            (void)h_.release();
        }
    }

  private:
    detail::unique_handle<mproc_thread_pool_t, mproc_thread_pool_close> h_;
};

}  // namespace mproc
