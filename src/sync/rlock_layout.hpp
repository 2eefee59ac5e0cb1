// The shared format of an RLock.
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/robust_mutex_layout.hpp"

namespace mproc::core::sync {

// The state of a recursive lock; also embedded in a Condition that has a lock of its own.
struct RLockState {
    RobustMutexState mutex;
    // Recursion level; written only by the owning thread.
    std::atomic<std::uint32_t> count;
    std::uint32_t reserved;
};

struct RLockLayout {
    shm::ObjectHeader header;
    RLockState rlock;

    static shm::ObjectType type() { return {shm::Kind::kRLock, 1, sizeof(RLockLayout), "rlock"}; }
};

static_assert(std::is_standard_layout_v<RLockLayout>);

}  // namespace mproc::core::sync
