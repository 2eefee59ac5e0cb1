// The per-object counters of ObjectHeader: bumped on slow paths only (a call that found
// the object busy, a deadline, a dead owner), so the uncontended paths stay as they are.
// Relaxed: they are statistics, read by `mproc show` and mproc_object_inspect.
#pragma once

#include <atomic>

#include "error.hpp"
#include "shm/object_header.hpp"

namespace mproc::core::shm {

// A call that could not complete at once and went to its waiting path.
inline void count_wait(ObjectHeader &header) noexcept {
    header.waits.fetch_add(1, std::memory_order_relaxed);
}

// A call that returned because its deadline passed (a try-once call that found the
// object busy included).
inline void count_timeout(ObjectHeader &header) noexcept {
    header.timeouts.fetch_add(1, std::memory_order_relaxed);
}

// A takeover from a process that died holding something: a lock, a queue slot.
inline void count_owner_dead(ObjectHeader &header) noexcept {
    header.owner_dead.fetch_add(1, std::memory_order_relaxed);
}

// A call that went to its waiting path and ended with `status`: counts the wait, and a
// timeout or a takeover from a dead owner. Returns `status`.
inline Status count_waited(ObjectHeader &header, Status status) noexcept {
    count_wait(header);
    if (status == kTimedOut) count_timeout(header);
    if (status == kOwnerDead) count_owner_dead(header);
    return status;
}

}  // namespace mproc::core::shm
