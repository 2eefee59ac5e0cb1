// mproc/barrier.hpp -- mproc::Barrier, a barrier in shared memory for a fixed number of
// parties, like threading.Barrier across processes.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A barrier in POSIX shared memory, attachable by name from any process, like
// threading.Barrier: each of `parties` threads (in any processes) calls wait(), and all are
// released together once the last one arrives. It is then reusable for the next round.
//
// It breaks -- every waiter and every later wait() throws broken_barrier_error until
// reset() -- when abort() is called, when a wait times out, when the action fails, or when
// the process running the action dies. Move-only; the destructor closes the handle; safe to
// use from many threads at once (except set_action, see there).
class Barrier {
  public:
    // Creates a barrier for `parties` (1 .. MPROC_BARRIER_MAX_PARTIES) parties. Throws
    // invalid_argument_error (0 parties, bad name), too_big_error, exists_error,
    // permission_error, system_error.
    static Barrier create(std::string_view name, unsigned int parties,
                          permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), parties, 0, perms);
    }

    // Creates an anonymous barrier (generated name, inherited by fork(), name removed when
    // this process closes it).
    static Barrier create(unsigned int parties) { return make(nullptr, parties, 0, permissions()); }

    // Opens the barrier named `name`, creating it for `parties` if there is none (the
    // parties of an existing one are kept).
    static Barrier create_or_open(std::string_view name, unsigned int parties,
                                  permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), parties, MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing barrier. Throws not_found_error, kind_error, version_error.
    static Barrier open(std::string_view name) {
        mproc_barrier_t *h = nullptr;
        detail::check(mproc_barrier_open(detail::c_name(name).c_str(), &h));
        return Barrier(h);
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_barrier_unlink(detail::c_name(name).c_str()));
    }

    Barrier(Barrier &&) noexcept = default;
    // The old handle is closed before its action is freed, so the C side never holds a
    // pointer to a dead std::function.
    Barrier &operator=(Barrier &&other) noexcept {
        if (this != &other) {
            h_ = std::move(other.h_);
            action_ = std::move(other.action_);
        }
        return *this;
    }
    ~Barrier() = default;

    // Blocks until all parties have called wait(), or up to `limit`. Returns this party's
    // arrival index, 0 .. parties()-1 (like Python's, unique per round).
    //
    // Throws broken_barrier_error if the barrier is or becomes broken; timeout_error if this
    // call timed out (the barrier is then broken for everyone, as in Python); closed_error.
    // If this call ran the action and the action threw, that exception propagates from here
    // (as in Python) and the other parties get broken_barrier_error.
    unsigned int wait(timeout limit = forever) {
        action_error() = nullptr;
        unsigned int index = 0;
        const int rc = mproc_barrier_wait(h_.get(), limit.seconds(), &index);
        if (rc != MPROC_OK) {
            if (std::exception_ptr e = std::exchange(action_error(), nullptr)) {
                std::rethrow_exception(e);
            }
            detail::throw_error(rc);
        }
        return index;
    }

    // Sets the action that runs once all parties have arrived, before any is released. It
    // runs in the thread of the last party to arrive, if that party waits on a handle whose
    // action is set (each handle has its own; set it in every process that may arrive last).
    // An action that throws breaks the barrier. An empty function removes the action.
    // Not safe while a wait() on this object is in progress in another thread.
    void set_action(std::function<void()> action) {
        std::unique_ptr<std::function<void()>> next;
        if (action) next = std::make_unique<std::function<void()>>(std::move(action));
        detail::check(mproc_barrier_set_action(h_.get(), next ? &run_action : nullptr, next.get()));
        action_ = std::move(next);
    }

    // Returns the barrier to its empty, unbroken state; parties waiting now get
    // broken_barrier_error.
    void reset() { detail::check(mproc_barrier_reset(h_.get())); }

    // Breaks the barrier: waiters and later wait() calls get broken_barrier_error until
    // reset().
    void abort() { detail::check(mproc_barrier_abort(h_.get())); }

    // The number of parties the barrier was created for.
    unsigned int parties() const {
        unsigned int n = 0;
        detail::check(mproc_barrier_parties(h_.get(), &n));
        return n;
    }

    // The number of parties waiting now (a snapshot).
    unsigned int n_waiting() const {
        unsigned int n = 0;
        detail::check(mproc_barrier_n_waiting(h_.get(), &n));
        return n;
    }

    // Whether the barrier is broken.
    bool broken() const {
        int b = 0;
        detail::check(mproc_barrier_broken(h_.get(), &b));
        return b != 0;
    }

    std::string name() const { return detail::read_name(mproc_barrier_name, h_.get()); }
    mproc_barrier_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Barrier(mproc_barrier_t *h) noexcept : h_(h) {}

    static Barrier make(const char *name, unsigned int parties, unsigned int flags,
                        permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_barrier_t *h = nullptr;
        detail::check(mproc_barrier_create(name, parties, &opts, &h));
        return Barrier(h);
    }

    // What the action threw in this thread. The action runs inside this thread's
    // mproc_barrier_wait, so wait() can hand the exception to its caller.
    static std::exception_ptr &action_error() noexcept {
        static thread_local std::exception_ptr thrown;
        return thrown;
    }

    // The C callback: no exception may cross the C ABI, so a throwing action is reported as
    // a failure (which breaks the barrier) and its exception kept for wait().
    static int run_action(void *arg) noexcept {
        try {
            (*static_cast<std::function<void()> *>(arg))();
            return 0;
        } catch (...) {
            action_error() = std::current_exception();
            return 1;
        }
    }

    // Declared before h_ so that it is destroyed after the handle is closed. Heap-allocated
    // so that its address, given to the C side, survives moves of the Barrier.
    std::unique_ptr<std::function<void()>> action_;
    detail::unique_handle<mproc_barrier_t, mproc_barrier_close> h_;
};

}  // namespace mproc
