// mproc/rlock.hpp -- mproc::RLock, a recursive lock in shared memory, like
// multiprocessing.RLock.
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

// A recursive lock in POSIX shared memory, attachable by name from any process, like
// multiprocessing.RLock: the thread that owns it may acquire it again, and it is free once
// released as many times as acquired. Only the owning thread may release it.
//
// Satisfies Lockable and TimedLockable (std::lock_guard, std::unique_lock,
// std::scoped_lock); lock() treats a lock taken over from a dead owner process as acquired.
// Move-only; the destructor closes the handle; safe to use from many threads at once.
class RLock
    : public detail::lockable<RLock, mproc_rlock_t, mproc_rlock_acquire, mproc_rlock_release> {
  public:
    // Creates a new, free lock. Throws exists_error, invalid_argument_error,
    // permission_error, system_error.
    static RLock create(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), 0, perms);
    }

    // Creates an anonymous lock (generated name, inherited by fork(), name removed when this
    // process closes it).
    static RLock create() { return make(nullptr, 0, permissions()); }

    // Opens the lock named `name`, creating it if there is none. Throws kind_error,
    // version_error if the name holds something else.
    static RLock create_or_open(std::string_view name, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing lock. Throws not_found_error, kind_error, version_error.
    static RLock open(std::string_view name) {
        mproc_rlock_t *h = nullptr;
        detail::check(mproc_rlock_open(detail::c_name(name).c_str(), &h));
        return RLock(h);
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_rlock_unlink(detail::c_name(name).c_str()));
    }

    RLock(RLock &&) noexcept = default;
    RLock &operator=(RLock &&) noexcept = default;
    ~RLock() = default;

    // The recursion level if the calling thread owns the lock, else 0.
    unsigned int count() const {
        unsigned int n = 0;
        detail::check(mproc_rlock_count(h_.get(), &n));
        return n;
    }

    // Whether the calling thread owns the lock.
    bool is_owned() const {
        int owned = 0;
        detail::check(mproc_rlock_is_owned(h_.get(), &owned));
        return owned != 0;
    }

    std::string name() const { return detail::read_name(mproc_rlock_name, h_.get()); }
    mproc_rlock_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit RLock(mproc_rlock_t *h) noexcept : h_(h) {}

    static RLock make(const char *name, unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_rlock_t *h = nullptr;
        detail::check(mproc_rlock_create(name, &opts, &h));
        return RLock(h);
    }

    detail::unique_handle<mproc_rlock_t, mproc_rlock_close> h_;
};

}  // namespace mproc
