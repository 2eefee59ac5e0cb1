// Whether a process that owns something in shared memory is still alive.
#pragma once

#include <cstdint>

namespace mproc::core::sync {

// False once process `pid` has died, including while it is a zombie that its parent has
// not reaped yet (kill(pid, 0) alone would call a zombie alive, and a parent that waits
// on a lock its killed child held would then wait forever). A system call or two: only
// for slow paths. Limits: a pid reused by a new process reads as alive; pids are those of
// the caller's pid namespace.
bool process_is_alive(std::uint32_t pid) noexcept;

}  // namespace mproc::core::sync
