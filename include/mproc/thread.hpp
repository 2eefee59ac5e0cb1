// mproc/thread.hpp -- mproc::Thread, a thread that runs an mproc::Task and keeps its result,
// like threading.Thread.
#pragma once

#include <optional>
#include <string>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/task.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

namespace detail {

// What the destructor of an mproc::Thread does with its handle: wait for a started thread
// to finish (a thread never started, or the calling thread itself, makes the join fail at
// once), then free it. Errors are dropped: it runs in a destructor.
inline int thread_join_and_close(mproc_thread_t *t) {
    (void)mproc_thread_join(t, -1.0);
    return mproc_thread_close(t);
}

}  // namespace detail

// A thread that runs a task, like threading.Thread, and keeps the task's result for
// result(). Mainly for tasks that are references (library, symbol, signature) or function
// pointers already; C++ code with lambdas has std::thread.
//
// Move-only. The destructor (and move assignment over a thread) JOINS a started thread --
// it blocks until the task returns -- and then frees it, as std::jthread does (never
// std::thread's std::terminate); make sure the task can finish. A thread destroyed from
// inside its own task cannot be joined, and its object is then leaked rather than freed
// under it. A moved-from thread holds no handle and every call on it throws
// bad_handle_error. Safe to use from many threads at once.
class Thread {
  public:
    // Creates (does not start) a thread for `target` (copied). name std::nullopt:
    // "Thread-N". Throws invalid_argument_error (target incomplete: fewer arguments than
    // its signature; name over MPROC_PROCESS_NAME_MAX bytes), bad_handle_error (a moved-from
    // task), out_of_memory_error.
    explicit Thread(const Task &target, std::optional<std::string> name = std::nullopt) {
        std::string n;
        if (name) n = detail::c_string("thread name", *name);
        mproc_thread_t *h = nullptr;
        detail::check(mproc_thread_create(target.handle(), name ? n.c_str() : nullptr, &h));
        h_.reset(h);
    }

    Thread(Thread &&) noexcept = default;
    Thread &operator=(Thread &&) noexcept = default;
    ~Thread() = default;

    // Starts the thread, which calls the task once. Throws invalid_argument_error (started
    // already), system_error (pthread_create failed), bad_handle_error.
    void start() { detail::check(mproc_thread_start(h_.get())); }

    // Blocks until the task has returned. Throws invalid_argument_error (not started, or
    // called from the thread itself), bad_handle_error.
    void join() { detail::check(mproc_thread_join(h_.get(), -1.0)); }

    // Waits up to `limit` for the task to return: false if it still runs at the timeout
    // (where Python's join returns None with is_alive() still true), true once it
    // finished. A zero or negative limit only looks. Throws as join().
    bool join(timeout limit) {
        const int rc = mproc_thread_join(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    // Whether the task runs: true between start() and the end of the task. Never blocks.
    // Throws bad_handle_error.
    bool is_alive() const {
        int alive = 0;
        detail::check(mproc_thread_is_alive(h_.get(), &alive));
        return alive != 0;
    }

    // The kernel thread id (gettid) once started; std::nullopt before. Throws
    // bad_handle_error.
    std::optional<unsigned long long> ident() const {
        unsigned long long id = 0;
        const int rc = mproc_thread_ident(h_.get(), &id);
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return id;
    }

    // The given name, or "Thread-N". Throws bad_handle_error.
    std::string name() const {
        char buf[MPROC_PROCESS_NAME_MAX + 1];
        detail::check(mproc_thread_name(h_.get(), buf, sizeof buf));
        return std::string(buf);
    }

    // The task's result once the thread finished; std::nullopt before start() and while
    // the task runs. Never blocks. If the task could not be loaded or called, throws that
    // error instead (not_found_error for a missing library or symbol, with its message), on
    // every call. Throws bad_handle_error.
    std::optional<task_result> result() const {
        mproc_result_t r{};
        const int rc = mproc_thread_result(h_.get(), &r);
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return task_result(r);
    }

    // The C handle, still owned by the thread (nullptr once moved from or closed).
    mproc_thread_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Frees the object now. A started thread must have been joined: while the task runs it
    // throws invalid_argument_error and keeps everything. Does nothing on a moved-from or
    // closed thread.
    void close() {
        if (mproc_thread_t *h = h_.get()) {
            detail::check(mproc_thread_close(h));
            (void)h_.release();
        }
    }

  private:
    detail::unique_handle<mproc_thread_t, detail::thread_join_and_close> h_;
};

}  // namespace mproc
