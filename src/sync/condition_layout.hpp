// The shared format of a Condition: which lock it is over, and one slot per waiter.
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/name.hpp"
#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/rlock_layout.hpp"

namespace mproc::core::sync {

enum class ConditionLockKind : std::uint32_t { kOwnRLock = 0, kLock = 1, kRLock = 2 };

// A waiter's slot. Each waiter sleeps on its own word, so notify wakes exactly the waiter
// it chose (the oldest live one), and a waiter that died is recognised by its pid and
// skipped instead of swallowing a notification.
struct ConditionWaiter {
    std::atomic<std::uint32_t> state;  // a WaiterState; the futex word
    std::atomic<std::uint32_t> pid;
    std::atomic<std::uint64_t> ticket;  // arrival order
};

enum WaiterState : std::uint32_t {
    kSlotFree = 0,
    kSlotClaimed = 1,   // being filled in by a waiter
    kSlotWaiting = 2,   // waiting, spinning: notify needs no wake system call
    kSlotSleeping = 3,  // waiting in futex_wait: notify must wake it
    kSlotNotified = 4,
};

inline constexpr std::uint32_t kConditionMaxWaiters = 1024;

struct ConditionLayout {
    shm::ObjectHeader header;
    std::uint32_t lock_kind;                  // a ConditionLockKind
    char lock_name[shm::kNameMax + 7];        // NUL-terminated; empty for kOwnRLock
    RLockState own_lock;                      // used for kOwnRLock
    std::atomic<std::uint64_t> next_ticket;   // written under the lock
    std::atomic<std::uint32_t> slots_in_use;  // high-water mark of claimed slots
    std::uint32_t reserved;
    ConditionWaiter waiters[kConditionMaxWaiters];

    static shm::ObjectType type() {
        return {shm::Kind::kCondition, 1, sizeof(ConditionLayout), "condition"};
    }
};

static_assert(std::is_standard_layout_v<ConditionLayout>);
static_assert(sizeof(ConditionWaiter) == 16);

}  // namespace mproc::core::sync
