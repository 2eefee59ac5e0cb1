// The calling process's and thread's ids, cached: getpid() and gettid() are system calls,
// and the uncontended lock path must make none. The caches are refreshed in a fork child.
// The readers are inline because they sit on that path.
#pragma once

#include <atomic>
#include <cstdint>

namespace mproc::core::sync {

namespace detail {
extern std::atomic<std::uint32_t> cached_pid;
// initial-exec: a plain %fs-relative load instead of a __tls_get_addr call. It makes the
// library's whole TLS block static (DF_STATIC_TLS), and a dlopen() (ctypes, any FFI) must
// find room for that block in glibc's small static-TLS surplus: every other thread_local
// of the library is a pointer to heap memory, and tests/abi/check_tls.py keeps the block
// under 256 bytes.
extern thread_local std::uint32_t cached_tid __attribute__((tls_model("initial-exec")));
std::uint32_t load_pid() noexcept;
std::uint32_t load_tid() noexcept;
}  // namespace detail

// The id of the calling process.
inline std::uint32_t current_pid() noexcept {
    std::uint32_t pid = detail::cached_pid.load(std::memory_order_relaxed);
    return pid != 0 ? pid : detail::load_pid();
}

// The kernel thread id of the calling thread (unique on the machine while it lives).
inline std::uint32_t current_tid() noexcept {
    std::uint32_t tid = detail::cached_tid;
    return tid != 0 ? tid : detail::load_tid();
}

}  // namespace mproc::core::sync
