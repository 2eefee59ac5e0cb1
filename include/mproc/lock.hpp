// mproc/lock.hpp -- mproc::Lock, a lock in shared memory, like multiprocessing.Lock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mproc/error.hpp"
#include "mproc/lockable.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

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
class Lock : public detail::lockable<Lock, mproc_lock_t, mproc_lock_acquire, mproc_lock_release> {
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

    // Opens an existing lock; never blocks. Throws not_found_error, kind_error,
    // version_error.
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
