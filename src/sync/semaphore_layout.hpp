// The shared format of a Semaphore (bounded or not).
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"

namespace mproc::core::sync {

struct SemaphoreLayout {
    shm::ObjectHeader header;
    std::atomic<std::uint32_t> value;  // the futex word
    // Threads that are (about to be) asleep on value: release wakes only if non-zero.
    // A waiter killed while asleep leaves it too high, which costs only wake calls.
    std::atomic<std::uint32_t> sleepers;
    std::uint32_t bound;  // 0 = unbounded; else the initial value, which release never passes
    std::uint32_t reserved;

    static shm::ObjectType type() {
        return {shm::Kind::kSemaphore, 1, sizeof(SemaphoreLayout), "semaphore"};
    }
};

inline constexpr std::uint32_t kSemaphoreValueMax = 0x7fffffffu;

static_assert(std::is_standard_layout_v<SemaphoreLayout>);

}  // namespace mproc::core::sync
