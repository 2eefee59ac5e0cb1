// The shared state of a robust mutex: the word a Lock, an RLock, a Condition's own lock
// and a Barrier's guard are built on.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace mproc::core::sync {

struct RobustMutexState {
    // 0 when free; else the owner's pid in the low 30 bits, and kWaitersBit when a thread
    // may be asleep on it (so release makes no wake system call when nobody sleeps).
    // The pid is what lets a waiter find a dead owner: see RobustMutex::acquire.
    std::atomic<std::uint32_t> word;
    // The kernel thread id of the thread that last acquired it: ownership checks for
    // RLock and Condition.
    std::atomic<std::uint32_t> owner_tid;
};

inline constexpr std::uint32_t kPidMask = (1u << 30) - 1;  // pid_max is at most 2^22
inline constexpr std::uint32_t kWaitersBit = 1u << 31;

static_assert(std::is_standard_layout_v<RobustMutexState>);
static_assert(sizeof(RobustMutexState) == 8);

}  // namespace mproc::core::sync
