// mproc_thread_pool_*: the C face of core::pool::ThreadPool. Futures are handed out as
// mproc_future handles (future_handle.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "future_handle.hpp"
#include "pool/thread_pool.hpp"
#include "process/current_process.hpp"
#include "task_handle.hpp"

using mproc::core::pool::FuturePtr;
using mproc::core::pool::ThreadPool;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;
namespace core = mproc::core;

namespace mproc::capi {

// What a pool handle holds: the pool lives at a fixed address (its workers point to it).
struct ThreadPoolRef {
    std::unique_ptr<ThreadPool> pool;

    ThreadPool *operator->() const noexcept { return pool.get(); }
    std::string name() const { return "thread pool"; }
    void close() noexcept {}
};

}  // namespace mproc::capi

struct mproc_thread_pool : capi::Handle<capi::ThreadPoolRef, 0x54504f4cu /* TPOL */> {
    using Handle::Handle;
};

namespace {

// "task 'libm.so.6:cos'": what the future's messages call its task. Made on every submit,
// so a function task (whose name() formats two pointers) is just "function task".
std::string label_of(const core::task::Task &task) {
    if (task.is_function()) return "function task";
    std::string label;
    const std::string &library = task.library();
    label.reserve(8 + library.size() + task.symbol().size());
    label += "task '";
    if (!library.empty()) {
        label += library;
        label += ':';
    }
    label += task.symbol();
    label += '\'';
    return label;
}

// A handle for a future just queued; on failure (no memory) the task is cancelled, so
// that nothing runs that the caller cannot see.
mproc_future *future_handle(const FuturePtr &future, const core::task::Task &task) {
    try {
        return new mproc_future(capi::FutureRef{future, label_of(task)});
    } catch (...) {
        future->cancel();
        throw;
    }
}

}  // namespace

extern "C" {

int mproc_thread_pool_create(int workers, mproc_thread_pool_t **out) {
    const char *function = "mproc_thread_pool_create";
    if (out == nullptr) return capi::null_argument(function, "out");
    if (workers < 0 || workers > ThreadPool::kMaxWorkers) {
        return capi::fail(MPROC_EINVAL, std::string(function) + ": workers is " +
                                            std::to_string(workers) + " (0 for the CPU count, " +
                                            "or 1 to " + std::to_string(ThreadPool::kMaxWorkers) +
                                            ")");
    }
    return capi::new_handle(function, out, [&] {
        const int n = workers == 0 ? core::process::cpu_count() : workers;
        return capi::ThreadPoolRef{std::make_unique<ThreadPool>(n < 1 ? 1 : n)};
    });
}

int mproc_thread_pool_submit(mproc_thread_pool_t *pool, const mproc_task_t *task,
                             mproc_future_t **out) {
    const char *function = "mproc_thread_pool_submit";
    mproc_thread_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    const mproc_task *t = capi::live(task);
    if (t == nullptr) return capi::bad_handle(function);
    if (out == nullptr) return capi::null_argument(function, "out");
    return capi::guarded([&] {
        const core::task::Task &copy = *t->rep;
        *out = future_handle((*h->rep)->submit(copy), copy);
        return MPROC_OK;
    });
}

int mproc_thread_pool_map(mproc_thread_pool_t *pool, const mproc_task_t *const *tasks, size_t n,
                          double timeout, mproc_future_t **futures) {
    const char *function = "mproc_thread_pool_map";
    mproc_thread_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if (n > 0 && tasks == nullptr) return capi::null_argument(function, "tasks");
    if (n > 0 && futures == nullptr) return capi::null_argument(function, "futures");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    for (std::size_t i = 0; i < n; ++i)
        futures[i] = nullptr;
    std::vector<const core::task::Task *> chosen;
    int rc = capi::guarded([&] {
        chosen.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (tasks[i] == nullptr) {
                return capi::fail(MPROC_EINVAL, std::string(function) + ": tasks[" +
                                                    std::to_string(i) + "] is NULL");
            }
            const mproc_task *t = capi::live(tasks[i]);
            if (t == nullptr) return capi::bad_handle(function);
            chosen.push_back(&*t->rep);
        }
        std::vector<core::task::Task> copies;
        copies.reserve(n);
        for (const core::task::Task *t : chosen)
            copies.push_back(*t);
        // All queued or none, so a failure here leaves nothing to cancel.
        std::vector<FuturePtr> queued = (*h->rep)->submit_all(std::move(copies));
        try {
            for (std::size_t i = 0; i < n; ++i)
                futures[i] = future_handle(queued[i], *chosen[i]);
        } catch (...) {
            for (const FuturePtr &f : queued)
                f->cancel();
            mproc_futures_close(futures, n);
            throw;
        }
        return MPROC_OK;
    });
    if (rc != MPROC_OK) return rc;
    // Results in order, as Executor.map yields them: the first failure in order is the
    // call's; later tasks go on (the caller has their futures).
    const Deadline deadline = Deadline::after(timeout);
    for (std::size_t i = 0; i < n; ++i) {
        const FuturePtr &f = futures[i]->rep->future;
        if (!f->wait(deadline)) {
            return capi::guarded([&] {
                return capi::fail(MPROC_ETIMEDOUT,
                                  std::string(function) + ": timed out waiting for " +
                                      futures[i]->name + " (item " + std::to_string(i) + " of " +
                                      std::to_string(n) + ")");
            });
        }
        int code = MPROC_OK;
        const int got = mproc_future_exception(futures[i], 0, &code);
        if (got != MPROC_OK) return got;
        if (code != MPROC_OK) return code;  // its message is this thread's last error already
    }
    return MPROC_OK;
}

int mproc_thread_pool_shutdown(mproc_thread_pool_t *pool, int wait, int cancel_pending) {
    mproc_thread_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle("mproc_thread_pool_shutdown");
    return capi::guarded([&] {
        (*h->rep)->shutdown(wait != 0, cancel_pending != 0);
        return MPROC_OK;
    });
}

int mproc_thread_pool_workers(const mproc_thread_pool_t *pool, int *workers) {
    return capi::get_value("mproc_thread_pool_workers", pool, workers,
                           [](const capi::ThreadPoolRef &p) { return p->workers(); });
}

// Not capi::close_handle: from one of the pool's own threads it fails and frees nothing.
int mproc_thread_pool_close(mproc_thread_pool_t *pool) {
    const char *function = "mproc_thread_pool_close";
    mproc_thread_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if ((*h->rep)->is_pool_thread()) {
        return capi::fail(MPROC_EINVAL, std::string(function) +
                                            ": called from one of the pool's own threads, "
                                            "which cannot wait for the pool");
    }
    std::uint32_t expected = mproc_thread_pool::kTag;
    if (!h->tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        return capi::bad_handle(function);  // closed by another thread just now
    }
    h->rep.reset();  // shuts down, waits for the tasks and joins the threads
    capi::quarantine(h, [](void *shell) { delete static_cast<mproc_thread_pool *>(shell); });
    return MPROC_OK;
}

}  // extern "C"
