// The recursive-lock algorithm over an RLockState: a RobustMutex plus an owner-only
// recursion count. Used by RLock and by a Condition's own lock.
#pragma once

#include <cstdint>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/rlock_layout.hpp"
#include "sync/robust_mutex.hpp"

namespace mproc::core::sync {

class RecursiveMutex {
  public:
    explicit RecursiveMutex(RLockState &state) noexcept : state_(&state) {}

    // Takes the lock without waiting when that is possible: one more level for its owner,
    // or a free lock with one compare-and-swap. kOk, kOverflow, or kTimedOut if another
    // thread holds it. No system call.
    Status try_enter() noexcept;

    // kOk, kOwnerDead (acquired at level 1), kTimedOut, kClosed, kOverflow.
    Status acquire(const Deadline &deadline, const WaitGate *gate) noexcept;
    // kOk or kNotOwner.
    Status release() noexcept;

    // Releases every level at once (Condition.wait); returns the level to restore, or 0
    // if the caller does not own the lock (nothing is released then).
    std::uint32_t release_all() noexcept;
    // Re-acquires at the given level after release_all. kOk, kOwnerDead, kClosed.
    Status restore(std::uint32_t level, const WaitGate *gate) noexcept;

    bool held_by_caller() const noexcept { return mutex().held_by_caller(); }
    std::uint32_t level_of_caller() const noexcept;
    void wake_all() noexcept { mutex().wake_all(); }

  private:
    RobustMutex mutex() const noexcept { return RobustMutex(state_->mutex); }
    RLockState *state_;
};

}  // namespace mproc::core::sync
