// What the calling process is, as mproc names it (multiprocessing.current_process() and
// parent_process()), and the CPUs it may run on (os.process_cpu_count()).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace mproc::core::process {

// The longest Process or Thread name, in bytes without the NUL (MPROC_PROCESS_NAME_MAX).
inline constexpr std::size_t kNameMax = 200;

// "MainProcess", or the name of the Process that this process runs for.
std::string current_process_name();
// The pid of the process that started this one through Process::start, or 0 (a program
// not started by mproc).
pid_t parent_process_pid() noexcept;

// The CPUs in this process's affinity mask; at least 1.
int cpu_count() noexcept;

namespace detail {
// In a child just forked by Process::start, before its task runs: from then on this
// process is `name` (at most kNameMax bytes), started by `parent`. Async-signal-safe:
// copies into static storage, allocates nothing.
void become_child(const char *name, std::size_t length, pid_t parent) noexcept;
}  // namespace detail

}  // namespace mproc::core::process
