// The shared format of a Lock.
#pragma once

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/robust_mutex_layout.hpp"

namespace mproc::core::sync {

struct LockLayout {
    shm::ObjectHeader header;
    RobustMutexState mutex;

    static shm::ObjectType type() { return {shm::Kind::kLock, 1, sizeof(LockLayout), "lock"}; }
};

static_assert(std::is_standard_layout_v<LockLayout>);

}  // namespace mproc::core::sync
