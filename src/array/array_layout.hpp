// The shared format of a Value and of an Array: one layout for both (a Value is an array
// of length 1 under its own kind, so a name always says which of the two it holds).
//
//   offset 0            ArrayLayout (the header, the description, the lock)
//   offset items_offset length items of itemsize bytes, back to back
//
// items_offset is a multiple of 64 and every item's size is 1, 2, 4 or 8, so item i lies
// at a multiple of its own size: aligned for the atomic operations, and for a C pointer
// to the item's type. The size of the object depends on the length, so the type has no
// fixed size: opening checks these fields against the size of the segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "shm/object_header.hpp"
#include "shm/segment.hpp"
#include "sync/rlock_layout.hpp"

namespace mproc::core::array {

inline constexpr std::uint32_t kArrayLayoutVersion = 1;

struct ArrayLayout {
    shm::ObjectHeader header;
    std::uint8_t typecode;   // the ASCII type code, one of find_typecode's
    std::uint8_t itemsize;   // bytes per item: the type code's size, checked on open
    std::uint8_t with_lock;  // 1: `lock` is the object's RLock (get_lock()); 0: raw
    std::uint8_t reserved0;
    std::uint32_t items_offset;  // from the start of the object
    std::uint64_t length;        // items; 1 for a Value
    // Unused (zero) in a raw object. Only the lock's owner touches the items under it; the
    // layout fields above are written once, before the object is published.
    sync::RLockState lock;
    std::uint64_t reserved[4];

    static shm::ObjectType type(shm::Kind kind, std::size_t size = 0) {
        return {kind, kArrayLayoutVersion, size, kind == shm::Kind::kValue ? "value" : "array",
                true};
    }
};

// Where the items start; a cache line of its own, away from the lock word.
inline constexpr std::size_t kItemsOffset = 128;

static_assert(std::is_standard_layout_v<ArrayLayout>);
static_assert(sizeof(ArrayLayout) == kItemsOffset, "the layout is part of the shared format");
static_assert(kItemsOffset % 64 == 0);

}  // namespace mproc::core::array
