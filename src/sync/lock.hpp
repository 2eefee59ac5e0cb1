// Lock: a non-recursive lock in shared memory, like multiprocessing.Lock. Any thread of
// any process may release a held Lock. Robust: see robust_mutex.hpp.
#pragma once

#include <string_view>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/lock_layout.hpp"
#include "sync/robust_mutex.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class Lock : public SharedObject<LockLayout> {
  public:
    static Lock create(std::string_view name, const shm::CreateOptions &options);
    static Lock open(std::string_view name);

    Lock(Lock &&) noexcept = default;

    // kOk, kOwnerDead (acquired), kTimedOut, kClosed.
    Status acquire(const Deadline &deadline) noexcept;
    // kOk, or kNotOwner if the lock is not held.
    Status release() noexcept { return mutex().release(); }
    bool locked() const noexcept { return mutex().locked(); }

    // Wakes the calls blocked on this handle (they return kClosed) and waits for them.
    void close() noexcept;

    RobustMutex mutex() const noexcept { return RobustMutex(layout_->mutex); }

  private:
    explicit Lock(shm::Segment segment) : SharedObject(std::move(segment)) {}
};

}  // namespace mproc::core::sync
