// Dict: a dict of byte-string keys and values in shared memory, in insertion order, like
// the dict of multiprocessing's Manager without its server. Every call is atomic and
// crash-consistent (MirroredHeap); the callbacks that hand data out run under the lock and
// must not call the dict.
//
// Expected outcomes are Status values (kOk, kNotFound, kEmpty, kTimedOut, kClosed,
// kOverflow); failures throw Error (kTooBig for a key over kMaxKey, kFull when the dict
// cannot grow enough, kInvalid).
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "container/function_ref.hpp"
#include "container/heap_object.hpp"
#include "container/mirrored_heap.hpp"
#include "error.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::container {

inline constexpr std::size_t kMaxKey = 1u << 16;

using BytesOut = FunctionRef<void(std::string_view)>;
using ItemOut = FunctionRef<void(std::string_view key, std::string_view value)>;
using Item = std::pair<std::string_view, std::string_view>;

// name(), acquire(), release(), memory() and close() come from HeapObject.
class SharedDict : public HeapObject {
  public:
    static SharedDict create(std::string_view name, const HeapSizes &sizes,
                             const shm::CreateOptions &options);
    static SharedDict open(std::string_view name);
    static void unlink(std::string_view name);

    // d[key] = value (a new key goes last; an existing one keeps its place).
    Status set(std::string_view key, std::string_view value, const sync::Deadline &deadline);
    // out(value) under the lock; kNotFound.
    Status get(std::string_view key, BytesOut out, const sync::Deadline &deadline);
    Status contains(std::string_view key, bool *found, const sync::Deadline &deadline);
    // Inserts value if the key is absent (*inserted = true); out (may be empty) gets the
    // value the key has afterwards.
    Status setdefault(std::string_view key, std::string_view value, bool *inserted, BytesOut out,
                      const sync::Deadline &deadline);
    // Removes the key; out (may be empty) gets its value first. kNotFound.
    Status pop(std::string_view key, BytesOut out, const sync::Deadline &deadline);
    // Removes the last inserted key; out (may be empty) gets it first. kEmpty.
    Status popitem(ItemOut out, const sync::Deadline &deadline);
    Status size(std::size_t *n, const sync::Deadline &deadline);
    Status clear(const sync::Deadline &deadline);
    // Sets n items in order, all or nothing.
    Status update(const Item *items, std::size_t n, const sync::Deadline &deadline);
    // Calls out(key, value) for every item in insertion order, under the lock (a
    // snapshot).
    Status for_each(ItemOut out, const sync::Deadline &deadline);

  private:
    explicit SharedDict(MirroredHeap heap) : HeapObject(std::move(heap)) {}
    // Throws kTooBig for a key over kMaxKey.
    void check_key(std::string_view key, const char *verb) const;
};

}  // namespace mproc::core::container
