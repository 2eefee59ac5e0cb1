// Who has a file mapped: the processes whose /proc/<pid>/maps names it. For the `users`
// of an inspected object; reads /proc, so it is for tools, never for a fast path.
#pragma once

#include <sys/types.h>

namespace mproc::core::inspect {

// The number of processes with at least one mapping of the file whose device and inode
// are `dev` and `ino` (as fstat gives them), or -1 if /proc cannot be read at all.
// Processes whose maps we may not read (another user's) or that exit meanwhile are not
// counted, so the answer is a lower bound.
int count_mapping_processes(dev_t dev, ino_t ino) noexcept;

}  // namespace mproc::core::inspect
