// mproc/future.hpp -- mproc::Future, the eventual outcome of a task handed to a pool (like
// concurrent.futures.Future), and the free functions mproc::wait and mproc::wait_any over
// several futures (concurrent.futures.wait and as_completed).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/task.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// What mproc::wait waits for (concurrent.futures' FIRST_COMPLETED, FIRST_EXCEPTION,
// ALL_COMPLETED).
enum class return_when {
    first_completed = MPROC_FIRST_COMPLETED,  // any future done
    first_exception = MPROC_FIRST_EXCEPTION,  // any failed or cancelled, or else all done
    all_completed = MPROC_ALL_COMPLETED,      // every future done
};

// The outcome of a task that a pool runs: pending, then running, then finished (with a
// result or an error), or cancelled before it ran. Made by the pools (ThreadPool::submit);
// move-only, and the destructor releases the caller's reference only: the task goes on
// (cancel() stops one that has not started). Safe to use from many threads at once, but not
// while it is being destroyed. A moved-from future holds no handle and every call on it
// throws bad_handle_error.
class Future {
  public:
    Future() noexcept = default;
    // Takes ownership of a handle a C call returned (nullptr: an empty future).
    explicit Future(mproc_future_t *adopted) noexcept : h_(adopted) {}

    Future(Future &&) noexcept = default;
    Future &operator=(Future &&) noexcept = default;
    ~Future() = default;

    // Waits up to `limit` for the future to be done (finished, failed or cancelled): true
    // once it is, false at the timeout. A task that failed is still "done". Throws
    // bad_handle_error.
    bool wait(timeout limit = forever) const {
        const int rc = mproc_future_wait(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    // Never block. Throw bad_handle_error.
    bool done() const { return flag(mproc_future_done); }
    bool running() const { return flag(mproc_future_running); }
    bool cancelled() const { return flag(mproc_future_cancelled); }

    // Cancels the task if it has not started (its callbacks run now, in this thread): true,
    // and true again later. False once it runs or finished, as Future.cancel. Never blocks.
    bool cancel() {
        int did = 0;
        detail::check(mproc_future_cancel(h_.get(), &did));
        return did != 0;
    }

    // Waits up to `limit` for the outcome and returns the task's result, copied. Throws the
    // task's error with its message (not_found_error for a missing symbol,
    // broken_barrier_error for a dead worker process...), cancelled_error, timeout_error
    // (the future is unchanged), bad_handle_error.
    task_result result(timeout limit = forever) const {
        mproc_result_t r{};
        detail::check(mproc_future_result(h_.get(), limit.seconds(), &r));
        return task_result(r);
    }

    // Waits up to `limit` like result(), then returns the task's error code: MPROC_OK (0)
    // if it succeeded, its MPROC_E* code if it failed (mproc_last_error() has the message),
    // MPROC_ECANCELLED if it was cancelled. Throws timeout_error, bad_handle_error.
    int exception(timeout limit = forever) const {
        int code = MPROC_OK;
        detail::check(mproc_future_exception(h_.get(), limit.seconds(), &code));
        return code;
    }

    // Calls fn(future) once the future is done: at once in this thread if it is done
    // already, else in the thread that completes or cancels it (a pool's thread), in the
    // order added. The Future that fn gets is valid during the call only (do not move it
    // away or keep it). Exceptions thrown by fn are swallowed, as Python logs and ignores
    // them. fn must not block for long nor wait for other futures of the same thread pool.
    // Throws out_of_memory_error, bad_handle_error.
    void add_done_callback(std::function<void(Future &)> fn) {
        auto owned = std::make_unique<std::function<void(Future &)>>(std::move(fn));
        // The C side owns it from here until the one call, which frees it; a failed add
        // never calls it, so it is taken back.
        void *arg = owned.release();
        const int rc = mproc_future_add_done_callback(h_.get(), &Future::trampoline, arg);
        if (rc != MPROC_OK) {
            owned.reset(static_cast<std::function<void(Future &)> *>(arg));
            detail::throw_error(rc);
        }
    }

    // The C handle, still owned by the future (nullptr once moved from or closed).
    mproc_future_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }
    // Releases the handle now (the task goes on); does nothing on an empty future.
    void close() { h_.close(); }
    // Gives the handle up without closing it.
    mproc_future_t *release() noexcept { return h_.release(); }

  private:
    bool flag(int (*get)(const mproc_future_t *, int *)) const {
        int v = 0;
        detail::check(get(h_.get(), &v));
        return v != 0;
    }

    static void trampoline(mproc_future_t *f, void *arg) noexcept {
        std::unique_ptr<std::function<void(Future &)>> fn(
            static_cast<std::function<void(Future &)> *>(arg));
        Future view(f);  // borrowed: released below, never closed
        try {
            (*fn)(view);
        } catch (...) {
        }
        (void)view.release();
    }

    detail::unique_handle<mproc_future_t, mproc_future_close> h_;
};

// What mproc::wait found: the indices of the futures done when it returned, and of those
// not done, each in increasing order.
struct wait_result {
    std::vector<std::size_t> done;
    std::vector<std::size_t> not_done;
};

namespace detail {

inline std::vector<mproc_future_t *> handles_of(const std::vector<Future> &futures) {
    std::vector<mproc_future_t *> hs;
    hs.reserve(futures.size());
    for (const Future &f : futures)
        hs.push_back(f.handle());
    return hs;
}

}  // namespace detail

// Waits up to `limit` until `when` holds over `futures` (concurrent.futures.wait): as
// there, a timeout is no error; the result says which are done. Throws
// invalid_argument_error (an empty future in the list), bad_handle_error.
inline wait_result wait(const std::vector<Future> &futures,
                        return_when when = return_when::all_completed, timeout limit = forever) {
    const std::vector<mproc_future_t *> hs = detail::handles_of(futures);
    const int rc =
        mproc_futures_wait(hs.data(), hs.size(), static_cast<int>(when), limit.seconds(), nullptr);
    if (rc != MPROC_ETIMEDOUT) detail::check(rc);
    wait_result r;
    for (std::size_t i = 0; i < futures.size(); ++i) {
        (futures[i].done() ? r.done : r.not_done).push_back(i);
    }
    return r;
}

// Waits up to `limit` for any of `futures` to be done and returns the lowest index of one
// that is, or std::nullopt at the timeout. As concurrent.futures.as_completed: take that
// future out of the list and call again. Throws invalid_argument_error (an empty list, an
// empty future in it), bad_handle_error.
inline std::optional<std::size_t> wait_any(const std::vector<Future> &futures,
                                           timeout limit = forever) {
    const std::vector<mproc_future_t *> hs = detail::handles_of(futures);
    std::size_t index = 0;
    const int rc = mproc_futures_wait_any(hs.data(), hs.size(), limit.seconds(), &index);
    if (rc == MPROC_ETIMEDOUT) return std::nullopt;
    detail::check(rc);
    return index;
}

}  // namespace mproc
