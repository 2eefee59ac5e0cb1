// What each kind's own layout says about an object, for mproc_object_inspect: the lock's
// holder, a queue's depth and positions, a semaphore's value... Read from a read-only
// mapping through BoundedView, trusting no field.
#pragma once

#include <cstdint>

#include "inspect/bounded_view.hpp"
#include "inspect/object_info.hpp"
#include "shm/object_header.hpp"
#include "shm/process_start.hpp"

namespace mproc::core::inspect {

// What the header of each kind must say.
struct KindFacts {
    const char *name;              // "lock", as kind_name reports it
    std::uint32_t layout_version;  // the version this library reads
    std::uint64_t size;            // bytes of a kind of fixed size; 0 for a variable size
};

// The facts of kind number `kind`, or nullptr if no kind has that number.
const KindFacts *kind_facts(std::uint32_t kind) noexcept;

// 1 alive, 0 dead, -1 cannot tell.
Alive to_alive(shm::Liveness liveness) noexcept;

// Fills the per-kind fields of `info` (holder_pid, holder_alive, depth, capacity, puts,
// gets, and owner_dead's share from the layout) for an object of `kind` whose header
// checked out and whose first `object_size` bytes (header.size) are in `view`. A field
// out of range sets info.status (kCorrupt, or kVersion for a container of another Boost
// version) and info.problem, and the fields after it stay unset.
void read_kind_details(const BoundedView &view, std::uint64_t object_size, shm::Kind kind,
                       ObjectInfo &info);

}  // namespace mproc::core::inspect
