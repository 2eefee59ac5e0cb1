// mproc/lockable.hpp -- what Lock, RLock and Condition share as locks: the standard
// Lockable / TimedLockable members and Python's acquire(timeout) / release(), written once
// over the object's C acquire and release functions.
#pragma once

#include <chrono>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/timeout.hpp"

namespace mproc {

// What a Python-style acquire(timeout) of a Lock, RLock or Condition got.
enum class acquire_result {
    acquired,    // the lock is held by the caller
    timed_out,   // the timeout passed; the lock is not held
    owner_died,  // the lock is held by the caller, taken over from a process that died
                 // holding it: the data it protects may be half-updated
};

namespace detail {

// CRTP base: Derived has `Handle *handle() const`; Acquire / Release are its C functions.
template <class Derived, class Handle, int (*Acquire)(Handle *, double), int (*Release)(Handle *)>
class lockable {
  public:
    // Blocks until the lock is held. A lock taken over from a dead owner process counts as
    // acquired. Throws closed_error if the object is closed meanwhile.
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
    void unlock() noexcept { (void)Release(self().handle()); }

    // Python's acquire(timeout=...): blocks up to `limit` (default forever) and says how it
    // went, instead of throwing on a timeout. Throws closed_error, invalid_argument_error.
    acquire_result acquire(timeout limit = forever) {
        const int rc = Acquire(self().handle(), limit.seconds());
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

    // Releases the lock; never blocks. Throws not_owner_error if the caller may not release
    // it (a Lock that is not held; an RLock or Condition lock the calling thread does not
    // own).
    void release() { detail::check(Release(self().handle())); }

  private:
    const Derived &self() const noexcept { return static_cast<const Derived &>(*this); }
};

}  // namespace detail
}  // namespace mproc
