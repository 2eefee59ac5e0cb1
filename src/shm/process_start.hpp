// Which process a pid names: its start time, so that a pid the kernel has recycled for a
// new process is not taken for the one that made or used an object.
#pragma once

#include <cstdint>

namespace mproc::core::shm {

// The start time of process `pid` in clock ticks after boot (field 22 of
// /proc/<pid>/stat), or 0 if there is no such process or /proc cannot tell. Reads a
// file: for creation and for tools, never on a fast path.
std::uint64_t process_start_time(std::uint32_t pid) noexcept;

// The calling process's start time (cached; refreshed in a fork child).
std::uint64_t current_process_start_time() noexcept;

enum class Liveness { kAlive, kDead, kUnknown };

// Whether the process that was `pid` started at `start_time` is still running. A zombie
// counts as dead; a live process with that pid but another start time is a recycled pid
// and reads as dead too. start_time 0 (not recorded) falls back to the pid alone.
// kUnknown when /proc and kill() cannot tell (another pid namespace).
Liveness process_liveness(std::uint32_t pid, std::uint64_t start_time) noexcept;

}  // namespace mproc::core::shm
