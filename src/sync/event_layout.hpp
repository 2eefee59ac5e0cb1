// The shared format of an Event.
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"

namespace mproc::core::sync {

struct EventLayout {
    shm::ObjectHeader header;
    // The futex word: bit 0 is the flag, the bits above count the sets. A waiter that saw
    // the flag clear returns as soon as the word changes, so a set followed at once by a
    // clear still wakes it (only set changes a clear word).
    std::atomic<std::uint32_t> state;
    std::atomic<std::uint32_t> sleepers;  // as in SemaphoreLayout

    static shm::ObjectType type() { return {shm::Kind::kEvent, 1, sizeof(EventLayout), "event"}; }
};

static_assert(std::is_standard_layout_v<EventLayout>);

}  // namespace mproc::core::sync
