// mproc/condition.hpp -- mproc::Condition, a condition variable in shared memory, like
// multiprocessing.Condition.
#pragma once

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/lock.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/rlock.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A condition variable in POSIX shared memory, attachable by name from any process, like
// multiprocessing.Condition. It works over a lock: an RLock of its own (the default), or a
// Lock / RLock given at creation. The condition records its lock's name, so open() attaches
// both; the Lock or RLock object passed to create() may be closed afterwards.
//
// The condition is itself Lockable (lock(), unlock(), try_lock()...), which locks its lock,
// so `std::unique_lock<mproc::Condition> hold(cond); cond.wait([&] { return ready; });` reads
// as with std::condition_variable_any. Every wait releases the lock (all levels of an RLock),
// sleeps until notified or timed out, and re-acquires the lock before it returns or throws;
// the caller must hold the lock, else not_owner_error (and nothing is released).
//
// Waiters are woken in arrival order; a waiter whose process died is skipped by notify().
// When a wait re-acquires the lock from a process that died holding it, it returns as if
// woken (a spurious wake-up, which every caller must already expect): recheck the state.
// Move-only; the destructor closes the handle; safe to use from many threads at once.
class Condition : public detail::lockable<Condition, mproc_condition_t, mproc_condition_acquire,
                                          mproc_condition_release> {
  public:
    // Creates a condition with an RLock of its own. Throws exists_error,
    // invalid_argument_error, permission_error, system_error.
    static Condition create(std::string_view name, permissions perms = permissions()) {
        return make_own(detail::c_name(name).c_str(), 0, perms);
    }

    // Creates an anonymous condition with an RLock of its own (generated name, inherited by
    // fork(), name removed when this process closes it).
    static Condition create() { return make_own(nullptr, 0, permissions()); }

    // Creates a condition over `lock`, which the caller keeps owning. Throws as above, and
    // bad_handle_error if `lock` holds no handle.
    static Condition create(std::string_view name, const Lock &lock,
                            permissions perms = permissions()) {
        return make_over(detail::c_name(name).c_str(), lock, 0, perms);
    }
    static Condition create(std::string_view name, const RLock &lock,
                            permissions perms = permissions()) {
        return make_over(detail::c_name(name).c_str(), lock, 0, perms);
    }

    // Anonymous conditions over `lock`.
    static Condition create(const Lock &lock) { return make_over(nullptr, lock, 0, permissions()); }
    static Condition create(const RLock &lock) {
        return make_over(nullptr, lock, 0, permissions());
    }

    // Opens the condition named `name`, creating it if there is none (then with an RLock of
    // its own, or over `lock`). An existing condition keeps the lock it was created with.
    static Condition create_or_open(std::string_view name, permissions perms = permissions()) {
        return make_own(detail::c_name(name).c_str(), MPROC_OPEN_EXISTING, perms);
    }
    static Condition create_or_open(std::string_view name, const Lock &lock,
                                    permissions perms = permissions()) {
        return make_over(detail::c_name(name).c_str(), lock, MPROC_OPEN_EXISTING, perms);
    }
    static Condition create_or_open(std::string_view name, const RLock &lock,
                                    permissions perms = permissions()) {
        return make_over(detail::c_name(name).c_str(), lock, MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing condition and its lock. Throws not_found_error (also when its lock
    // is gone), kind_error, version_error; never blocks.
    static Condition open(std::string_view name) {
        mproc_condition_t *h = nullptr;
        detail::check(mproc_condition_open(detail::c_name(name).c_str(), &h));
        return Condition(h);
    }

    // Removes the condition's name (not its lock's). Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_condition_unlink(detail::c_name(name).c_str()));
    }

    Condition(Condition &&) noexcept = default;
    Condition &operator=(Condition &&) noexcept = default;
    ~Condition() = default;

    // ---- the lock: lock / try_lock* / unlock / acquire / release, from detail::lockable ----

    // ---- waiting: the lock must be held ----

    // Blocks until notified (or woken spuriously). Throws not_owner_error, closed_error,
    // full_error (more than MPROC_CONDITION_MAX_WAITERS waiters).
    void wait() { (void)wait_once(forever); }

    // Blocks until notified or `d` passes; false if it timed out. Throws as wait().
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period> &d) {
        return wait_once(d);
    }

    // Blocks until notified or `tp` passes; false if it timed out.
    template <class Clock, class Duration>
    bool wait_until(const std::chrono::time_point<Clock, Duration> &tp) {
        return wait_once(detail::until(tp));
    }

    // Blocks until pred() is true. pred is any callable returning something convertible to
    // bool; it is called with the lock held, first before waiting, then after each wake-up.
    // If pred throws, the wait ends and the exception propagates (the lock is held).
    template <class Predicate>
    void wait(Predicate pred) {
        (void)wait_until_true(forever, pred);
    }

    // Blocks until pred() is true or `d` passes; returns false if pred was still false.
    template <class Rep, class Period, class Predicate>
    bool wait_for(const std::chrono::duration<Rep, Period> &d, Predicate pred) {
        return wait_until_true(d, pred);
    }

    // Blocks until pred() is true or `tp` passes; returns false if pred was still false.
    template <class Clock, class Duration, class Predicate>
    bool wait_until(const std::chrono::time_point<Clock, Duration> &tp, Predicate pred) {
        return wait_until_true(detail::until(tp), pred);
    }

    // Wakes up to n waiters, longest waiting first. The lock must be held, else
    // not_owner_error. Never blocks.
    void notify(unsigned int n = 1) { detail::check(mproc_condition_notify(h_.get(), n)); }

    // Wakes every waiter. The lock must be held.
    void notify_all() { detail::check(mproc_condition_notify_all(h_.get())); }

    std::string name() const { return detail::read_name(mproc_condition_name, h_.get()); }
    mproc_condition_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Condition(mproc_condition_t *h) noexcept : h_(h) {}

    static Condition make_own(const char *name, unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_condition_t *h = nullptr;
        detail::check(mproc_condition_create(name, &opts, &h));
        return Condition(h);
    }

    static Condition make_over(const char *name, const Lock &lock, unsigned int flags,
                               permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_condition_t *h = nullptr;
        detail::check(mproc_condition_create_with_lock(name, lock.handle(), &opts, &h));
        return Condition(h);
    }

    static Condition make_over(const char *name, const RLock &lock, unsigned int flags,
                               permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_condition_t *h = nullptr;
        detail::check(mproc_condition_create_with_rlock(name, lock.handle(), &opts, &h));
        return Condition(h);
    }

    // One wait; true unless it timed out. EOWNERDEAD means "woken or timed out, and the
    // lock was re-acquired from a dead owner": reported as a wake-up, since callers must
    // recheck their state after any wake-up anyway.
    bool wait_once(timeout limit) {
        const int rc = mproc_condition_wait(h_.get(), limit.seconds());
        switch (rc) {
            case MPROC_OK:
            case MPROC_EOWNERDEAD:
                return true;
            case MPROC_ETIMEDOUT:
                return false;
            default:
                detail::throw_error(rc);
        }
    }

    // The predicate and what it threw, for the C callback: no exception may cross the C ABI,
    // so it is caught in the callback, ends the wait, and is rethrown here.
    template <class Predicate>
    struct predicate_call {
        Predicate *pred;
        std::exception_ptr thrown;

        static int invoke(void *arg) noexcept {
            auto *self = static_cast<predicate_call *>(arg);
            try {
                return static_cast<bool>((*self->pred)()) ? 1 : 0;
            } catch (...) {
                self->thrown = std::current_exception();
                return 1;
            }
        }
    };

    template <class Predicate>
    bool wait_until_true(timeout limit, Predicate &pred) {
        const auto start = std::chrono::steady_clock::now();
        predicate_call<Predicate> call{&pred, nullptr};
        timeout left = limit;
        for (;;) {
            const int rc = mproc_condition_wait_for(h_.get(), &predicate_call<Predicate>::invoke,
                                                    &call, left.seconds());
            if (call.thrown) std::rethrow_exception(call.thrown);
            if (rc == MPROC_OK) return true;
            if (rc == MPROC_ETIMEDOUT) return false;
            // Taking the lock over from a dead owner ends the C wait early; the predicate
            // decides, in the time that is left.
            if (rc != MPROC_EOWNERDEAD) detail::throw_error(rc);
            if (!limit.is_forever()) {
                left = std::chrono::duration<double>(limit.seconds()) -
                       (std::chrono::steady_clock::now() - start);
            }
        }
    }

    detail::unique_handle<mproc_condition_t, mproc_condition_close> h_;
};

}  // namespace mproc
