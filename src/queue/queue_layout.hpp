// The shared format of a Queue: a header of positions and wake-up counters, then
// `capacity` slots of `slot_stride` bytes, each a QueueSlot followed by the payload.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/robust_mutex_layout.hpp"

namespace mproc::core::queue {

enum class QueueFlavor : std::uint32_t { kQueue = 0, kSimple = 1, kJoinable = 2 };

// A slot serves positions i, i + capacity, i + 2 * capacity, ... Its word holds the
// position it serves now and that position's state, so one atomic load tells a producer
// or a consumer whether the slot is theirs (as the per-slot sequence numbers of Vyukov's
// bounded queue do).
enum SlotState : std::uint64_t {
    kSlotFree = 0,     // empty, waiting for the producer of its position
    kSlotWriting = 1,  // claimed by `writer`, which is copying the message in
    kSlotCounted = 2,  // as kSlotWriting, and counted in `unfinished` (JoinableQueue)
    kSlotReady = 3,    // published: the consumer of its position may take it
    kSlotSkipped = 4,  // no message: cancelled, or its writer died before publishing
};

inline constexpr std::uint64_t slot_word(std::uint64_t position, std::uint64_t state) {
    return position << 3 | state;
}
inline constexpr std::uint64_t word_position(std::uint64_t word) {
    return word >> 3;
}
inline constexpr std::uint64_t word_state(std::uint64_t word) {
    return word & 7;
}

struct QueueSlot {
    std::atomic<std::uint64_t> word;
    // The pids that claimed the slot for its current position, so that a death on either
    // side is recognised (kill at any instruction: each is written before the step that
    // makes it matter).
    std::atomic<std::uint32_t> writer;
    std::atomic<std::uint32_t> reader;
    std::atomic<std::uint64_t> length;
    std::uint64_t reserved;
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
    // Claims are made under these (robust) locks, and only claims: the copies run outside
    // them. A holder killed inside leaves a state the next holder repairs (see queue.cpp).
    // Each lock shares a cache line with the position it guards and nothing else, so a
    // producer and a consumer on two cores do not bounce one line between them.
    alignas(kCacheLine) sync::RobustMutexState producer_lock;
    std::atomic<std::uint64_t> enqueue_pos;  // next position to claim
    alignas(kCacheLine) sync::RobustMutexState consumer_lock;
    std::atomic<std::uint64_t> dequeue_pos;  // next position to take
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
        return {shm::Kind::kQueue, 1, size, "queue", true};
    }
};

static_assert(std::is_standard_layout_v<QueueLayout>);
static_assert(sizeof(QueueSlot) == 32);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace mproc::core::queue
