// mproc/lock.hpp -- mproc::Lock, a lock in shared memory, like multiprocessing.Lock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// What a Python-style acquire(timeout) of a Lock, RLock or Condition got.
enum class acquire_result {
    acquired,    // the lock is held by the caller
    timed_out,   // the timeout passed; the lock is not held
    owner_died,  // the lock is held by the caller, taken over from a process that died
                 // holding it: the data it protects may be half-updated
};

// A non-recursive lock in POSIX shared memory, attachable by name from any process, like
// multiprocessing.Lock. Any thread of any process may release it once it is held.
//
// Satisfies the standard Lockable and TimedLockable requirements, so std::lock_guard,
// std::unique_lock and std::scoped_lock work with it. lock() treats a lock taken over from
// a dead owner as acquired; use acquire() to learn that it happened. unlock() never throws;
// release() is the same operation with errors reported.
//
// Move-only. The destructor closes the handle (never the name, unless the lock is anonymous
// and this process created it; see mproc_lock_close); a moved-from Lock holds no handle and
// every call on it throws bad_handle_error. Safe to use from many threads at once.
class Lock {
  public:
    // Creates a new, unlocked lock named `name`. Throws exists_error if the name is taken,
    // invalid_argument_error for a bad name, permission_error, system_error.
    static Lock create(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), 0, perms);
    }

    // Creates an anonymous lock: it has a generated name(), is inherited by fork()ed
    // children, and its name is removed when this process closes it.
    static Lock create() { return make(nullptr, 0, permissions()); }

    // Opens the lock named `name`, creating it (unlocked) if there is none. Throws
    // kind_error / version_error if the name holds another kind of object.
    static Lock create_or_open(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing lock. Throws not_found_error, kind_error, version_error,
    // timeout_error (its creator is still initialising it after a few seconds).
    static Lock open(std::string_view name) {
        mproc_lock_t *h = nullptr;
        detail::check(mproc_lock_open(detail::c_name(name).c_str(), &h));
        return Lock(h);
    }

    // Removes the name; processes that have the lock open keep using it. Throws
    // not_found_error, kind_error (the name holds another kind of object; nothing removed).
    static void unlink(std::string_view name) {
        detail::check(mproc_lock_unlink(detail::c_name(name).c_str()));
    }

    Lock(Lock &&) noexcept = default;
    Lock &operator=(Lock &&) noexcept = default;
    ~Lock() = default;

    // Blocks until the lock is held by the caller. A lock whose owner process died is taken
    // over and counts as acquired. Throws closed_error if close() is called meanwhile.
    void lock() { (void)acquire(forever); }

    // Takes the lock if it is free; never blocks. true also for a taken-over lock.
    bool try_lock() { return acquire(std::chrono::seconds(0)) != acquire_result::timed_out; }

    // Blocks up to `d` for the lock; false if it was not acquired in time.
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period> &d) {
        return acquire(d) != acquire_result::timed_out;
    }

    // Blocks until `tp` (on its own clock) at most; false if it was not acquired in time.
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration> &tp) {
        return try_lock_for(detail::until(tp));
    }

    // Releases the lock; never blocks, never throws. The standard wrappers call it from
    // destructors, also while an exception such as closed_error unwinds the stack, where a
    // throw would end in std::terminate; so a failure (the lock was not held, the handle was
    // closed) is dropped here. Call release() to have it reported.
    void unlock() noexcept { (void)mproc_lock_release(h_.get()); }

    // Python's acquire(timeout=...): blocks up to `limit` (default forever) and says how it
    // went, instead of throwing on a timeout. Throws closed_error, invalid_argument_error.
    acquire_result acquire(timeout limit = forever) {
        const int rc = mproc_lock_acquire(h_.get(), limit.seconds());
        switch (rc) {
            case MPROC_OK:
                return acquire_result::acquired;
            case MPROC_ETIMEDOUT:
                return acquire_result::timed_out;
            case MPROC_EOWNERDEAD:
                return acquire_result::owner_died;
            default:
                detail::throw_error(rc);
        }
    }

    // Releases the lock, waking one waiter; never blocks. Throws not_owner_error if the lock
    // is not held.
    void release() { detail::check(mproc_lock_release(h_.get())); }

    // Whether anyone, in any process, holds the lock now (a snapshot).
    bool locked() const {
        int held = 0;
        detail::check(mproc_lock_locked(h_.get(), &held));
        return held != 0;
    }

    // The name the lock can be opened by (the generated one for an anonymous lock).
    std::string name() const { return detail::read_name(mproc_lock_name, h_.get()); }

    // The C handle, for mixing with the C API. Stays owned by this object.
    mproc_lock_t *handle() const noexcept { return h_.get(); }

    // false after a move or close().
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now instead of in the destructor. Calls blocked on this object in
    // other threads wake up with closed_error; later calls throw bad_handle_error.
    void close() { h_.close(); }

  private:
    explicit Lock(mproc_lock_t *h) noexcept : h_(h) {}

    static Lock make(const char *name, unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_lock_t *h = nullptr;
        detail::check(mproc_lock_create(name, &opts, &h));
        return Lock(h);
    }

    detail::unique_handle<mproc_lock_t, mproc_lock_close> h_;
};

}  // namespace mproc
