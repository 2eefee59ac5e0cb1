// mproc/semaphore.hpp -- mproc::Semaphore and mproc::BoundedSemaphore, counting semaphores in
// shared memory, like multiprocessing.Semaphore and multiprocessing.BoundedSemaphore.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A counting semaphore in POSIX shared memory, attachable by name from any process, like
// multiprocessing.Semaphore. acquire() takes one unit, waiting while the value is 0;
// release(n) gives n back from any thread of any process.
//
// Also BasicLockable/TimedLockable (lock() = acquire(), unlock() = release()), so
// std::lock_guard<mproc::Semaphore> holds one unit for a scope.
// Move-only; the destructor closes the handle; safe to use from many threads at once.
class Semaphore {
  public:
    // Creates a semaphore with `value` units (at most MPROC_SEMAPHORE_VALUE_MAX, else
    // too_big_error). Throws exists_error, invalid_argument_error, permission_error,
    // system_error.
    static Semaphore create(std::string_view name, unsigned int value = 1,
                            permissions perms = permissions()) {
        return Semaphore(
            make(mproc_semaphore_create, detail::c_name(name).c_str(), value, 0, perms));
    }

    // Creates an anonymous semaphore (generated name, inherited by fork(), name removed when
    // this process closes it).
    static Semaphore create(unsigned int value = 1) {
        return Semaphore(make(mproc_semaphore_create, nullptr, value, 0, permissions()));
    }

    // Opens the semaphore named `name`, creating it with `value` if there is none (the value
    // of an existing one is kept). Throws kind_error, version_error.
    static Semaphore create_or_open(std::string_view name, unsigned int value = 1,
                                    permissions perms = permissions()) {
        return Semaphore(make(mproc_semaphore_create, detail::c_name(name).c_str(), value,
                              MPROC_OPEN_EXISTING, perms));
    }

    // Opens an existing semaphore, bounded or not. Throws not_found_error, kind_error,
    // version_error; never blocks.
    static Semaphore open(std::string_view name) { return Semaphore(open_handle(name)); }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_semaphore_unlink(detail::c_name(name).c_str()));
    }

    Semaphore(Semaphore &&) noexcept = default;
    Semaphore &operator=(Semaphore &&) noexcept = default;
    ~Semaphore() = default;

    // Takes one unit, blocking up to `limit` (default forever) while the value is 0.
    // Returns false on timeout. Throws closed_error, invalid_argument_error.
    bool acquire(timeout limit = forever) {
        const int rc = mproc_semaphore_acquire(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    // Gives back n (>= 1) units and wakes up to n waiters; never blocks. Throws
    // overflow_error if a bounded semaphore would go above its bound (nothing is released),
    // invalid_argument_error for n == 0.
    void release(unsigned int n = 1) { detail::check(mproc_semaphore_release(h_.get(), n)); }

    // The current value (a snapshot: other processes may change it at once).
    unsigned int value() const {
        unsigned int v = 0;
        detail::check(mproc_semaphore_value(h_.get(), &v));
        return v;
    }

    // The bound of a bounded semaphore, 0 for an unbounded one.
    unsigned int bound() const {
        unsigned int b = 0;
        detail::check(mproc_semaphore_bound(h_.get(), &b));
        return b;
    }

    // Lockable spelling of acquire() / release(1).
    void lock() { (void)acquire(forever); }
    bool try_lock() { return acquire(std::chrono::seconds(0)); }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period> &d) {
        return acquire(d);
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration> &tp) {
        return acquire(detail::until(tp));
    }
    // Never throws (see Lock::unlock): a failed release -- above the bound of a bounded
    // semaphore, or on a closed handle -- is dropped. release() reports it.
    void unlock() noexcept { (void)mproc_semaphore_release(h_.get(), 1); }

    std::string name() const { return detail::read_name(mproc_semaphore_name, h_.get()); }
    mproc_semaphore_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  protected:
    explicit Semaphore(mproc_semaphore_t *h) noexcept : h_(h) {}

    using create_fn = int (*)(const char *, unsigned int, const mproc_options_t *,
                              mproc_semaphore_t **);

    static mproc_semaphore_t *make(create_fn create, const char *name, unsigned int value,
                                   unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_semaphore_t *h = nullptr;
        detail::check(create(name, value, &opts, &h));
        return h;
    }

    static mproc_semaphore_t *open_handle(std::string_view name) {
        mproc_semaphore_t *h = nullptr;
        detail::check(mproc_semaphore_open(detail::c_name(name).c_str(), &h));
        return h;
    }

  private:
    detail::unique_handle<mproc_semaphore_t, mproc_semaphore_close> h_;
};

// A semaphore whose value never goes above its initial value, like
// multiprocessing.BoundedSemaphore: a release() past the bound throws overflow_error, which
// catches "released more often than acquired" bugs. A BoundedSemaphore is a Semaphore.
class BoundedSemaphore : public Semaphore {
  public:
    // Creates a bounded semaphore with `value` units, which is also its bound.
    static BoundedSemaphore create(std::string_view name, unsigned int value = 1,
                                   permissions perms = permissions()) {
        return BoundedSemaphore(
            make(mproc_bounded_semaphore_create, detail::c_name(name).c_str(), value, 0, perms));
    }

    // Creates an anonymous bounded semaphore.
    static BoundedSemaphore create(unsigned int value = 1) {
        return BoundedSemaphore(
            make(mproc_bounded_semaphore_create, nullptr, value, 0, permissions()));
    }

    // Opens the bounded semaphore named `name`, creating it if there is none. Throws
    // kind_error if the name holds an unbounded semaphore.
    static BoundedSemaphore create_or_open(std::string_view name, unsigned int value = 1,
                                           permissions perms = permissions()) {
        return checked(
            BoundedSemaphore(make(mproc_bounded_semaphore_create, detail::c_name(name).c_str(),
                                  value, MPROC_OPEN_EXISTING, perms)));
    }

    // Opens an existing bounded semaphore. Throws kind_error if the name holds an unbounded
    // one (open it as a Semaphore instead), and as Semaphore::open.
    static BoundedSemaphore open(std::string_view name) {
        return checked(BoundedSemaphore(open_handle(name)));
    }

    BoundedSemaphore(BoundedSemaphore &&) noexcept = default;
    BoundedSemaphore &operator=(BoundedSemaphore &&) noexcept = default;
    ~BoundedSemaphore() = default;

  private:
    explicit BoundedSemaphore(mproc_semaphore_t *h) noexcept : Semaphore(h) {}

    // The C ABI opens either variant by one call; the bound tells them apart. On a throw
    // `sem` closes the handle it was given.
    static BoundedSemaphore checked(BoundedSemaphore sem) {
        if (sem.bound() == 0) {
            detail::throw_error(MPROC_EKIND, "semaphore '" + sem.name() + "' is not bounded");
        }
        return sem;
    }
};

}  // namespace mproc
