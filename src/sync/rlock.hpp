// RLock: a recursive lock in shared memory, like multiprocessing.RLock: owner-recursive,
// released only by its owner (a thread of a process), robust to the owner's death.
#pragma once

#include <cstdint>
#include <string_view>

#include "error.hpp"
#include "sync/recursive_mutex.hpp"
#include "sync/rlock_layout.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class RLock : public SharedObject<RLockLayout> {
  public:
    static RLock create(std::string_view name, const shm::CreateOptions &options);
    static RLock open(std::string_view name);

    RLock(RLock &&) noexcept = default;

    // kOk, kOwnerDead (acquired at level 1), kTimedOut, kClosed, kOverflow.
    Status acquire(const Deadline &deadline) noexcept;
    // kOk, or kNotOwner if the calling thread does not own it.
    Status release() noexcept { return mutex().release(); }
    // The recursion level if the calling thread owns the lock, else 0.
    std::uint32_t count() const noexcept { return mutex().level_of_caller(); }
    bool is_owned() const noexcept { return mutex().held_by_caller(); }

    void close() noexcept;

    RecursiveMutex mutex() const noexcept { return RecursiveMutex(layout_->rlock); }

  private:
    explicit RLock(shm::Segment segment) : SharedObject(std::move(segment)) {}
};

}  // namespace mproc::core::sync
