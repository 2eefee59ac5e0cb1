// The calling process's and thread's ids, cached: getpid() and gettid() are system calls,
// and the uncontended lock path must make none. The caches are refreshed in a fork child.
#pragma once

#include <cstdint>

namespace mproc::core::sync {

// The id of the calling process.
std::uint32_t current_pid() noexcept;

// The kernel thread id of the calling thread (unique on the machine while it lives).
std::uint32_t current_tid() noexcept;

}  // namespace mproc::core::sync
