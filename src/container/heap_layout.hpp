// The shared format of a Dict and of a List: a header page, then two copies of the
// container, each a Boost.Interprocess managed heap (segment manager, rbtree_best_fit
// allocator, offset pointers only) that holds the container's root object.
//
//   offset 0                      HeapLayout (object header, lock, phase word, sizes)
//   offset kCopiesOffset          copy A: a managed heap of `capacity` bytes, in a
//                                 reservation of `reserved` bytes
//   offset kCopiesOffset+reserved copy B: the same
//
// The file is created at its full size (both reservations) but only the pages in use are
// allocated: tmpfs files are sparse. A copy grows inside its reservation, so no process
// ever has to move its mapping.
//
// Crash consistency (see MirroredHeap): a writer changes A, then B, and says in `phase`
// which one it is changing; the other one is intact at every instruction.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/rlock_layout.hpp"

namespace mproc::core::container {

// Version 1: the root types of dict.cpp and list.cpp, built with the Boost version in
// `boost_version` (the node layouts of Boost's containers are part of the format).
inline constexpr std::uint32_t kHeapLayoutVersion = 1;

// phase: which copy a writer is changing. A dead writer leaves the other one intact.
inline constexpr std::uint32_t kPhaseIdle = 0;
inline constexpr std::uint32_t kPhaseWritingA = 1;  // B is intact
inline constexpr std::uint32_t kPhaseWritingB = 2;  // A is intact (and holds the new state)

inline constexpr std::size_t kCopiesOffset = 4096;
inline constexpr std::size_t kPageSize = 4096;

struct HeapLayout {
    shm::ObjectHeader header;
    sync::RLockState lock;  // guards everything below and both copies
    std::atomic<std::uint32_t> phase;
    std::uint32_t boost_version;   // BOOST_VERSION of the creator, checked on open
    std::uint64_t reserved_bytes;  // each copy's reservation (max_size, page-rounded)
    std::uint64_t root_offset;     // the root object, from the start of a copy (same in both)
    // Counters, under the lock: calls that changed the container, copies restored after a
    // dead writer, and growths.
    std::atomic<std::uint64_t> writes;
    std::atomic<std::uint64_t> recoveries;
    std::atomic<std::uint64_t> growths;
    std::uint64_t reserved[4];

    static shm::ObjectType type(shm::Kind kind, std::size_t size = 0) {
        return {kind, kHeapLayoutVersion, size, kind == shm::Kind::kDict ? "dict" : "list", true};
    }
};

static_assert(std::is_standard_layout_v<HeapLayout>);
static_assert(sizeof(HeapLayout) == 160, "the layout is part of the shared format");
static_assert(sizeof(HeapLayout) <= kCopiesOffset);

}  // namespace mproc::core::container
