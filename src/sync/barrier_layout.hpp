// The shared format of a Barrier.
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/robust_mutex_layout.hpp"

namespace mproc::core::sync {

struct BarrierLayout {
    shm::ObjectHeader header;
    // Guards the fields below. It is robust, and every critical section computes first and
    // then stores, so a process killed inside one leaves a consistent state behind.
    RobustMutexState guard;
    // The futex word waiters sleep on; bumped by every trip, break and reset.
    std::atomic<std::uint32_t> epoch;
    std::uint32_t parties;
    std::atomic<std::uint32_t> generation;  // one per filling of the barrier
    std::atomic<std::uint32_t> arrived;     // parties in the current generation
    std::atomic<std::uint32_t> broken;      // 1 until reset
    // The process running the action for the current generation (0 if none): if it dies
    // there, the waiters break the barrier instead of waiting for ever.
    std::atomic<std::uint32_t> action_pid;
    // Bit (g % 64) set if generation g ended by reset or break, not by a trip: a waiter of
    // generation g that wakes after g ended learns from it whether it passed.
    std::atomic<std::uint64_t> ended_broken;

    static shm::ObjectType type() {
        return {shm::Kind::kBarrier, 1, sizeof(BarrierLayout), "barrier"};
    }
};

inline constexpr std::uint32_t kBarrierMaxParties = 0xffffu;

static_assert(std::is_standard_layout_v<BarrierLayout>);

}  // namespace mproc::core::sync
