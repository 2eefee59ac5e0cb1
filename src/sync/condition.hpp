// Condition: a condition variable in shared memory, like multiprocessing.Condition, over
// a Lock, an RLock, or an RLock of its own. Waiters are woken oldest first; the death of a
// waiter never swallows a notification meant for a live one (see condition_layout.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "error.hpp"
#include "sync/condition_layout.hpp"
#include "sync/deadline.hpp"
#include "sync/lock.hpp"
#include "sync/rlock.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class Condition : public SharedObject<ConditionLayout> {
  public:
    static Condition create(std::string_view name, const shm::CreateOptions &options);
    static Condition create_with(std::string_view name, const Lock &lock,
                                 const shm::CreateOptions &options);
    static Condition create_with(std::string_view name, const RLock &rlock,
                                 const shm::CreateOptions &options);
    // Opens the condition and, by the name it recorded, its lock.
    static Condition open(std::string_view name);

    Condition(Condition &&) noexcept = default;

    Status acquire(const Deadline &deadline) noexcept;
    Status release() noexcept;

    // kOk (notified), kTimedOut, kNotOwner, kFull, kOwnerDead, kClosed (lock not held).
    Status wait(const Deadline &deadline) noexcept;
    // kOk once predicate(arg) != 0, kTimedOut, or an error of wait().
    Status wait_for(int (*predicate)(void *), void *arg, const Deadline &deadline) noexcept;
    // kOk or kNotOwner. Wakes up to n waiters, oldest first.
    Status notify(std::uint32_t n) noexcept;

    void close() noexcept;

  private:
    explicit Condition(shm::Segment segment);
    static Condition create_over(std::string_view name, ConditionLockKind kind,
                                 const std::string &lock_name, const shm::CreateOptions &options);

    bool lock_held_by_caller() const noexcept;
    // Releases the lock fully for a wait; returns the RLock level to restore.
    std::uint32_t release_for_wait() noexcept;
    Status reacquire_after_wait(std::uint32_t level) noexcept;

    int claim_slot() noexcept;
    // The high-water mark of claimed slots, bounded by the array.
    std::uint32_t slots_in_use() const noexcept;
    // True if it woke (or marked) a waiter; false if there was none left to notify.
    bool notify_oldest() noexcept;

    ConditionLockKind kind_;
    std::optional<Lock> lock_;
    std::optional<RLock> rlock_;
};

}  // namespace mproc::core::sync
