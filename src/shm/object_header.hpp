// The header every mproc object starts with, in shared memory. Opening a name checks it,
// so a name that holds another kind or layout version of object is an error, never
// undefined behaviour.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace mproc::core::shm {

// "MPROC\0OB" read as little-endian: the first 8 bytes of every mproc object.
inline constexpr std::uint64_t kMagic = 0x424f00434f52504dull;

// state: 0 while the creator initialises (a fresh file is zero-filled), kReady once the
// object may be used. Objects are published under their name only when ready (see
// segment.cpp), so an opener that finds another value finds something that is not ours.
inline constexpr std::uint32_t kReady = 0x59444552u;  // "REDY"

enum class Kind : std::uint32_t {
    kLock = 1,
    kRLock = 2,
    kSemaphore = 3,
    kEvent = 4,
    kCondition = 5,
    kBarrier = 6,
    kQueue = 7,
    kValue = 8,
    kArray = 9,
    kDict = 10,
    kList = 11,
};

struct ObjectHeader {
    std::uint64_t magic;
    std::atomic<std::uint32_t> state;
    std::uint32_t layout_version;
    std::uint32_t kind;         // a Kind
    std::uint32_t header_size;  // sizeof(ObjectHeader) of the creator
    std::uint64_t size;         // bytes of the whole object, header included
    std::int32_t creator_pid;
    std::uint32_t reserved0;
    // When the creator started, in clock ticks after boot (field 22 of /proc/<pid>/stat):
    // with creator_pid it names one process, so a recycled pid does not read as the
    // creator (see shm/process_start.hpp). 0 = unknown (an object made before it existed).
    std::uint64_t creator_start_time;
    // Counters every process bumps on slow paths only (see shm/object_counters.hpp), so
    // the fast paths touch nothing here: calls that had to wait, calls that returned at
    // their deadline, and takeovers from a dead owner (a lock, a queue slot). Modulo 2^32.
    // The header line is written by nobody else after creation, so these share it with
    // read-only fields only.
    std::atomic<std::uint32_t> waits;
    std::atomic<std::uint32_t> timeouts;
    std::atomic<std::uint32_t> owner_dead;
    std::uint32_t reserved1;
};

static_assert(std::is_standard_layout_v<ObjectHeader>);
static_assert(sizeof(ObjectHeader) == 64, "the header is part of the shared format");
static_assert(offsetof(ObjectHeader, creator_start_time) == 40);
static_assert(offsetof(ObjectHeader, waits) == 48);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace mproc::core::shm
