// The shared format of a Queue: a header of positions and wake-up counters, then
// `capacity` slots of `slot_stride` bytes, each a QueueSlot followed by the payload.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"

namespace mproc::core::queue {

enum class QueueFlavor : std::uint32_t { kQueue = 0, kSimple = 1, kJoinable = 2 };

// A slot serves positions i, i + capacity, i + 2 * capacity, ... (its laps). Its word holds
// the lap it serves now, that position's state and, while a process works on it, that
// process's pid: one atomic load tells a producer or a consumer whether the slot is theirs
// (as the per-slot sequence numbers of Vyukov's bounded queue do), and one compare-and-swap
// both claims it and names the claimer, so a claimer's death is recognised at any
// instruction.
enum SlotState : std::uint64_t {
    kSlotFree = 0,     // empty, waiting for the producer of its position (pid 0)
    kSlotWriting = 1,  // claimed by the producer `pid`, which is copying the message in
    kSlotCounted = 2,  // as kSlotWriting, and counted in `unfinished` (JoinableQueue)
    kSlotReady = 3,    // published: the consumer of its position may take it
    kSlotSkipped = 4,  // no message: cancelled, or its writer died before publishing
    kSlotReading = 5,  // taken by the consumer `pid`, which is copying the message out
};

// Word = lap << 25 | pid << 3 | state. Linux pids are below 2^22 (PID_MAX_LIMIT). Laps are
// compared modulo 2^39: a claim could be fooled only by a thread stalled between its load
// and its compare-and-swap for 2^39 laps of the ring (hours at full speed, on one slot).
inline constexpr unsigned kPidShift = 3;
inline constexpr unsigned kLapShift = 25;
inline constexpr std::uint64_t kPidMask = (std::uint64_t{1} << 22) - 1;
inline constexpr std::uint64_t kLapMask = (std::uint64_t{1} << 39) - 1;

inline constexpr std::uint64_t slot_word(std::uint64_t lap, std::uint64_t state,
                                         std::uint32_t pid = 0) {
    return (lap & kLapMask) << kLapShift | (pid & kPidMask) << kPidShift | state;
}
inline constexpr std::uint64_t word_lap(std::uint64_t word) {
    return word >> kLapShift;
}
inline constexpr std::uint32_t word_pid(std::uint64_t word) {
    return static_cast<std::uint32_t>(word >> kPidShift & kPidMask);
}
inline constexpr std::uint64_t word_state(std::uint64_t word) {
    return word & 7;
}
// How far the slot's lap is ahead of `lap` (modulo 2^39): 0 it serves that lap, 1 it has
// moved on, kLapMask (-1) it still serves the lap before.
inline constexpr std::uint64_t lap_distance(std::uint64_t word, std::uint64_t lap) {
    return (word_lap(word) - lap) & kLapMask;
}

struct QueueSlot {
    std::atomic<std::uint64_t> word;
    std::atomic<std::uint64_t> length;  // of the message, written before it is published
};

inline constexpr std::size_t kCacheLine = 64;

struct QueueLayout {
    shm::ObjectHeader header;
    std::uint64_t capacity;      // maxsize: number of slots
    std::uint64_t max_message;   // payload bytes per slot
    std::uint64_t slot_stride;   // bytes from one slot to the next
    std::uint64_t slots_offset;  // from the start of the object
    std::uint32_t flavor;        // a QueueFlavor
    std::uint32_t reserved0;
    // Where producers and consumers start looking: hints that may lag a few positions
    // behind the slots' truth (see queue.cpp). Each shares a cache line with nothing else,
    // so a producer and a consumer on two cores do not bounce one line between them.
    alignas(kCacheLine) std::atomic<std::uint64_t> enqueue_pos;  // next position to claim
    alignas(kCacheLine) std::atomic<std::uint64_t> dequeue_pos;  // next position to take
    // Wake-up counters (futex words) and the number of threads asleep on each, so that a
    // put or get makes no system call when nobody sleeps.
    alignas(kCacheLine) std::atomic<std::uint32_t> published;  // bumped by publish / skip
    std::atomic<std::uint32_t> consumer_sleepers;
    alignas(kCacheLine) std::atomic<std::uint32_t> freed;  // bumped when a slot is freed
    std::atomic<std::uint32_t> producer_sleepers;
    alignas(kCacheLine) std::atomic<std::uint64_t> unfinished;  // JoinableQueue tasks
    std::atomic<std::uint32_t> all_done;                        // bumped when it reaches 0
    std::atomic<std::uint32_t> join_sleepers;

    // Opening checks the fields against the object's size, so the type has no fixed size.
    static shm::ObjectType type(std::size_t size = 0) {
        return {shm::Kind::kQueue, 2, size, "queue", true};
    }
};

static_assert(std::is_standard_layout_v<QueueLayout>);
static_assert(sizeof(QueueSlot) == 16);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace mproc::core::queue
