// mproc_pool_*: the C face of core::pool::ProcessPool. (mproc_pool_worker_main, which the
// header declares with them, is the worker's entry and lives in the core, in
// src/pool/pool_worker.cpp, so that mproc-worker has it too.)
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "future_handle.hpp"
#include "handle.hpp"
#include "pool/mpi_plugin.hpp"
#include "pool/process_pool.hpp"
#include "task_handle.hpp"

using mproc::core::pool::Backend;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::Outcome;
using mproc::core::pool::PoolOptions;
using mproc::core::pool::ProcessPool;
using mproc::core::process::StartMethod;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;
namespace core = mproc::core;

static_assert(MPROC_START_FORKSERVER == 3, "the pool passes start methods through by value");
static_assert(MPROC_BACKEND_LOCAL == static_cast<int>(Backend::kLocal) &&
                  MPROC_BACKEND_MPI == static_cast<int>(Backend::kMpi),
              "the pool passes backends through by value");

struct mproc_pool : capi::Handle<ProcessPool, 0x504f4f4cu /* POOL */> {
    using Handle::Handle;
};

namespace {

// A caller built against a header from before the MPI fields passes a smaller struct: the
// fields beyond its size keep their defaults.
constexpr std::size_t kOptionsBeforeMpi = offsetof(mproc_pool_options_t, backend);

bool has_field(const mproc_pool_options_t *opts, std::size_t offset, std::size_t size) {
    return opts->size >= offset + size;
}

// The options as the core takes them. Throws core::Error(kInvalid) for a struct that was
// not initialised with mproc_pool_options_init, and kBadHandle for a closed initializer.
PoolOptions read_options(const mproc_pool_options_t *opts) {
    PoolOptions o;
    if (opts == nullptr) return o;
    if (opts->size < kOptionsBeforeMpi || opts->size > (1u << 16)) {
        throw core::Error(core::kInvalid, "pool options: size field is " +
                                              std::to_string(opts->size) +
                                              "; initialise with mproc_pool_options_init()");
    }
    o.processes = opts->processes;
    o.method = static_cast<StartMethod>(opts->start_method);
    if (opts->start_method < MPROC_START_DEFAULT || opts->start_method > MPROC_START_FORKSERVER) {
        throw core::Error(core::kInvalid, "pool options: " + std::to_string(opts->start_method) +
                                              " is not a start method");
    }
    if (opts->initializer != nullptr) {
        const mproc_task *init = capi::live(opts->initializer);
        if (init == nullptr) {
            throw core::Error(core::kBadHandle,
                              "pool options: initializer: a closed or wrong-kind task handle");
        }
        o.initializer.emplace(*init->rep);
    }
    o.max_tasks_per_child = opts->max_tasks_per_child;
    o.max_message = opts->max_message;
    if (has_field(opts, offsetof(mproc_pool_options_t, backend), sizeof opts->backend)) {
        if (opts->backend != MPROC_BACKEND_LOCAL && opts->backend != MPROC_BACKEND_MPI) {
            throw core::Error(core::kInvalid, "pool options: " + std::to_string(opts->backend) +
                                                  " is not a backend (MPROC_BACKEND_LOCAL or "
                                                  "MPROC_BACKEND_MPI)");
        }
        o.backend = static_cast<Backend>(opts->backend);
    }
    if (has_field(opts, offsetof(mproc_pool_options_t, mpi_info), sizeof opts->mpi_info) &&
        opts->mpi_info != nullptr) {
        o.mpi_info = opts->mpi_info;
    }
    if (has_field(opts, offsetof(mproc_pool_options_t, mpi_heartbeat_timeout),
                  sizeof opts->mpi_heartbeat_timeout)) {
        o.mpi_heartbeat_timeout = opts->mpi_heartbeat_timeout;
    }
    return o;
}

bool is_text_result(char type) noexcept {
    return type == 's' || type == 'S' || type == 'y' || type == 'Y';
}

// Fills the C result from a successful outcome; data points into the outcome.
void fill_result(const Outcome &outcome, mproc_result_t *result) noexcept {
    const core::task::Result &r = outcome.result;
    const bool text = is_text_result(r.type) && !r.null;
    result->type = r.type;
    result->i = r.i;
    result->u = r.u;
    result->d = r.d;
    result->data = text ? r.bytes.c_str() : nullptr;
    result->len = text ? r.bytes.size() : 0;
}

// The status of a done future, recording its message: MPROC_OK, its error, or
// MPROC_ECANCELLED.
int status_of(const FuturePtr &future, const std::string &label) noexcept {
    const Outcome *o = future->outcome();
    if (o == nullptr) {
        return capi::guarded(
            [&] { return capi::fail(MPROC_ECANCELLED, "process pool: " + label + ": cancelled"); });
    }
    if (o->status != core::kOk) return capi::fail(o->status, o->message);
    return MPROC_OK;
}

std::string label_of(const core::task::Task &task) {
    return "task '" + task.name() + "'";
}

// mproc_pool_apply's result data lives here until the thread's next apply.
thread_local FuturePtr last_apply;

// The tasks of a map call, checked; labels for their future handles.
int collect_tasks(const char *function, const mproc_task_t *const *tasks, std::size_t n,
                  std::vector<const core::task::Task *> *out) noexcept {
    return capi::guarded([&] {
        out->reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const mproc_task *t = capi::live(tasks[i]);
            if (t == nullptr) {
                return capi::fail(MPROC_EBADHANDLE, std::string(function) + ": tasks[" +
                                                        std::to_string(i) +
                                                        "] is NULL, closed or not a task");
            }
            out->push_back(&*t->rep);
        }
        return MPROC_OK;
    });
}

int map_async(const char *function, mproc_pool_t *pool, const mproc_task_t *const *tasks,
              std::size_t n, std::size_t chunksize, mproc_future_t **futures) noexcept {
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if (n > 0 && tasks == nullptr) return capi::null_argument(function, "tasks");
    if (n > 0 && futures == nullptr) return capi::null_argument(function, "futures");
    for (std::size_t i = 0; i < n; ++i)
        futures[i] = nullptr;
    std::vector<const core::task::Task *> list;
    int rc = collect_tasks(function, tasks, n, &list);
    if (rc != MPROC_OK) return rc;
    // The handles first, so that running out of memory queues nothing; then the tasks (all
    // or none); then the handles get their futures, which cannot fail.
    std::vector<std::unique_ptr<mproc_future>> handles;
    rc = capi::guarded([&] {
        handles.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            handles.push_back(
                std::make_unique<mproc_future>(capi::FutureRef{nullptr, label_of(*list[i])}));
        }
        std::vector<FuturePtr> made = h->rep->map(list, chunksize);
        for (std::size_t i = 0; i < n; ++i) {
            handles[i]->rep->future = std::move(made[i]);
            futures[i] = handles[i].release();
        }
        return MPROC_OK;
    });
    return rc;
}

}  // namespace

extern "C" {

int mproc_pool_options_init(mproc_pool_options_t *opts) {
    if (opts == nullptr) return capi::null_argument("mproc_pool_options_init", "opts");
    *opts = mproc_pool_options_t{};
    opts->size = sizeof(mproc_pool_options_t);
    opts->processes = 0;
    opts->start_method = MPROC_START_DEFAULT;
    opts->initializer = nullptr;
    opts->max_tasks_per_child = 0;
    opts->max_message = core::pool::kDefaultMessage;
    opts->backend = MPROC_BACKEND_LOCAL;
    opts->mpi_info = nullptr;
    opts->mpi_heartbeat_timeout = 0;
    return MPROC_OK;
}

int mproc_pool_backend_available(int backend) {
    if (backend == MPROC_BACKEND_LOCAL) return 1;
    if (backend == MPROC_BACKEND_MPI) return core::pool::mpi_plugin_available() ? 1 : 0;
    return 0;
}

int mproc_pool_create(const mproc_pool_options_t *opts, mproc_pool_t **out) {
    return capi::new_handle("mproc_pool_create", out,
                            [&] { return ProcessPool(read_options(opts)); });
}

int mproc_pool_apply_async(mproc_pool_t *pool, const mproc_task_t *task, mproc_future_t **out) {
    const char *function = "mproc_pool_apply_async";
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if (out == nullptr) return capi::null_argument(function, "out");
    const mproc_task *t = capi::live(task);
    if (t == nullptr) return capi::bad_handle(function);
    return capi::guarded([&] {
        auto handle = std::make_unique<mproc_future>(capi::FutureRef{nullptr, label_of(*t->rep)});
        handle->rep->future = h->rep->submit(*t->rep);
        *out = handle.release();
        return MPROC_OK;
    });
}

int mproc_pool_apply(mproc_pool_t *pool, const mproc_task_t *task, double timeout,
                     mproc_result_t *result) {
    const char *function = "mproc_pool_apply";
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    const mproc_task *t = capi::live(task);
    if (t == nullptr) return capi::bad_handle(function);
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    return capi::guarded([&] {
        FuturePtr future = h->rep->submit(*t->rep);
        if (!future->wait(Deadline::after(timeout))) {
            return capi::fail(MPROC_ETIMEDOUT, "process pool: apply: " + label_of(*t->rep) +
                                                   ": timed out (the task goes on)");
        }
        const int rc = status_of(future, label_of(*t->rep));
        if (rc != MPROC_OK) return rc;
        last_apply = std::move(future);
        if (result != nullptr) fill_result(*last_apply->outcome(), result);
        return MPROC_OK;
    });
}

int mproc_pool_map_async(mproc_pool_t *pool, const mproc_task_t *const *tasks, size_t n,
                         size_t chunksize, mproc_future_t **futures) {
    return map_async("mproc_pool_map_async", pool, tasks, n, chunksize, futures);
}

int mproc_pool_map(mproc_pool_t *pool, const mproc_task_t *const *tasks, size_t n, size_t chunksize,
                   double timeout, mproc_future_t **futures) {
    const char *function = "mproc_pool_map";
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    int rc = map_async(function, pool, tasks, n, chunksize, futures);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        // Last first: results come back roughly in order, so this sleeps about once, where
        // waiting on all at once (or in order) would be woken at nearly every completion.
        const Deadline deadline = Deadline::after(timeout);
        for (std::size_t i = n; i-- > 0;) {
            if (!futures[i]->rep->future->wait(deadline)) {
                return capi::fail(MPROC_ETIMEDOUT,
                                  "process pool: map: timed out (the tasks go on)");
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            const int status = status_of(futures[i]->rep->future, futures[i]->name);
            if (status != MPROC_OK) return status;
        }
        return MPROC_OK;
    });
}

int mproc_pool_shutdown(mproc_pool_t *pool) {
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle("mproc_pool_shutdown");
    h->rep->shutdown();
    return MPROC_OK;
}

int mproc_pool_terminate(mproc_pool_t *pool) {
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle("mproc_pool_terminate");
    h->rep->terminate();
    return MPROC_OK;
}

int mproc_pool_join(mproc_pool_t *pool, double timeout) {
    const char *function = "mproc_pool_join";
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    return capi::guarded([&] {
        if (h->rep->join(Deadline::after(timeout)) != core::kOk) {
            return capi::fail(MPROC_ETIMEDOUT, "process pool: join: timed out");
        }
        return MPROC_OK;
    });
}

int mproc_pool_processes(const mproc_pool_t *pool, int *processes) {
    return capi::get_value("mproc_pool_processes", pool, processes,
                           [](const ProcessPool &p) { return p.processes(); });
}

int mproc_pool_worker_pids(mproc_pool_t *pool, int *pids, size_t cap, size_t *n) {
    const char *function = "mproc_pool_worker_pids";
    mproc_pool *h = capi::live(pool);
    if (h == nullptr) return capi::bad_handle(function);
    if (n == nullptr) return capi::null_argument(function, "n");
    if (pids == nullptr && cap > 0) return capi::null_argument(function, "pids");
    return capi::guarded([&] {
        const std::vector<pid_t> running = h->rep->worker_pids();
        *n = running.size();
        const std::size_t written = running.size() < cap ? running.size() : cap;
        for (std::size_t i = 0; i < written; ++i)
            pids[i] = static_cast<int>(running[i]);
        if (running.size() > cap) {
            return capi::fail(MPROC_ETOOBIG, std::string(function) + ": " +
                                                 std::to_string(running.size()) +
                                                 " workers, room for " + std::to_string(cap));
        }
        return MPROC_OK;
    });
}

int mproc_pool_close(mproc_pool_t *pool) {
    if (pool == nullptr) return MPROC_OK;
    return capi::close_handle("mproc_pool_close", pool);
}

}  // extern "C"
