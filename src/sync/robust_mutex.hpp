// A mutex in shared memory that survives the death of its owner: the algorithm behind
// Lock and RLock (and the internal guards of Condition and Barrier).
//
// Uncontended acquire and release are one atomic instruction each. A contended acquire
// spins briefly, sets the waiters bit and sleeps on the word with futex. Every 20 ms (and
// once before its first sleep) a waiter checks whether the owner process is alive; if it
// died, the waiter takes the lock over with one compare-and-swap and reports kOwnerDead.
// So a process killed at any instruction never wedges the lock: either its
// compare-and-swap happened (it owns the lock and its death is detected) or it did not.
#pragma once

#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/futex.hpp"
#include "sync/process_identity.hpp"
#include "sync/robust_mutex_layout.hpp"
#include "sync/wait_gate.hpp"

namespace mproc::core::sync {

class RobustMutex {
  public:
    explicit RobustMutex(RobustMutexState &state) noexcept : state_(&state) {}

    // Takes a free mutex with one compare-and-swap; false if it is held. No system call.
    // Inline: this is the whole uncontended path.
    bool try_acquire_free() noexcept { return try_take(0, current_pid()); }

    // kOk, kOwnerDead (acquired from a dead owner), kTimedOut, or kClosed (gate closed;
    // gate may be null).
    Status acquire(const Deadline &deadline, const WaitGate *gate) noexcept;

    // kOk, or kNotOwner if the mutex was not held. Wakes one sleeper if there may be one.
    Status release() noexcept {
        state_->owner_tid.store(0, std::memory_order_relaxed);
        std::uint32_t previous = state_->word.exchange(0, std::memory_order_release);
        if (previous == 0) return kNotOwner;
        if (previous & kWaitersBit) futex_wake(state_->word, 1);
        return kOk;
    }

    bool locked() const noexcept { return state_->word.load(std::memory_order_relaxed) != 0; }

    // Held, and acquired last by the calling thread of the calling process.
    bool held_by_caller() const noexcept;

    // Wakes every sleeper (for close()).
    void wake_all() noexcept;

  private:
    bool try_take(std::uint32_t expected, std::uint32_t desired) noexcept {
        if (!state_->word.compare_exchange_strong(expected, desired, std::memory_order_acquire,
                                                  std::memory_order_relaxed)) {
            return false;
        }
        state_->owner_tid.store(current_tid(), std::memory_order_relaxed);
        return true;
    }

    RobustMutexState *state_;
};

}  // namespace mproc::core::sync
