// List: a list of byte strings in shared memory, like the list of multiprocessing's
// Manager without its server. Indexes count from the end when negative and slices clamp,
// as in Python. Every call is atomic and crash-consistent (MirroredHeap); the callbacks
// run under the lock and must not call the list.
//
// Expected outcomes are Status values (kOk, kNotFound for an index out of range,
// kTimedOut, kClosed, kOverflow); failures throw Error (kFull, kInvalid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "container/dict.hpp"
#include "container/heap_object.hpp"
#include "container/mirrored_heap.hpp"
#include "error.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::container {

// name(), acquire(), release(), memory() and close() come from HeapObject.
class SharedList : public HeapObject {
  public:
    static SharedList create(std::string_view name, const HeapSizes &sizes,
                             const shm::CreateOptions &options);
    static SharedList open(std::string_view name);
    static void unlink(std::string_view name);

    Status append(std::string_view item, const sync::Deadline &deadline);
    // Appends n items, all or nothing.
    Status extend(const std::string_view *items, std::size_t n, const sync::Deadline &deadline);
    // out(item) under the lock; kNotFound out of range.
    Status get(std::int64_t index, BytesOut out, const sync::Deadline &deadline);
    Status set(std::int64_t index, std::string_view item, const sync::Deadline &deadline);
    // Before index, clamped to [0, size] (Python's list.insert).
    Status insert(std::int64_t index, std::string_view item, const sync::Deadline &deadline);
    // Removes the item; out (may be empty) gets it first. kNotFound out of range or empty.
    Status pop(std::int64_t index, BytesOut out, const sync::Deadline &deadline);
    Status size(std::size_t *n, const sync::Deadline &deadline);
    // out(item) for items [start, stop) after Python's clamping, under the lock.
    Status slice(std::int64_t start, std::int64_t stop, BytesOut out,
                 const sync::Deadline &deadline);
    // Replaces the clamped range [start, stop) by n items, all or nothing.
    Status set_slice(std::int64_t start, std::int64_t stop, const std::string_view *items,
                     std::size_t n, const sync::Deadline &deadline);

  private:
    explicit SharedList(MirroredHeap heap) : HeapObject(std::move(heap)) {}
};

}  // namespace mproc::core::container
