// The number of items of a Dict or List, read from a mapped copy of its heap without
// taking its lock: for mproc_object_inspect's depth.
#pragma once

#include <cstdint>

#include "inspect/bounded_view.hpp"
#include "shm/object_header.hpp"

namespace mproc::core::inspect {

// *items = the size of the dict or list (`kind`) whose root object starts `root_at` bytes
// into `view`. false if the root object does not lie inside the view or is misaligned: then
// nothing is read. The count is one load of the container's size field, so it is safe
// while a writer works (it may be a moment old); nothing behind an offset pointer is read.
bool container_items(const BoundedView &view, shm::Kind kind, std::uint64_t root_at,
                     std::uint64_t *items) noexcept;

}  // namespace mproc::core::inspect
