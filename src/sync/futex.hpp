// futex(2) on a 32-bit word in shared memory. Never FUTEX_PRIVATE: the waiters are in
// other processes.
#pragma once

#include <atomic>
#include <cstdint>

namespace mproc::core::sync {

// Sleeps while *word == expected, until woken or until the absolute CLOCK_MONOTONIC time
// `until_ns` (negative = no limit). Returns false only when the time limit passed; true
// for a wake-up, a changed value or a signal (callers re-check their condition anyway).
bool futex_wait(std::atomic<std::uint32_t> &word, std::uint32_t expected,
                std::int64_t until_ns) noexcept;

// Wakes up to `count` threads sleeping on `word`, in any process.
void futex_wake(std::atomic<std::uint32_t> &word, int count) noexcept;

inline constexpr int kWakeAll = 0x7fffffff;

// One iteration of a spin-wait: tells the CPU we are spinning (x86 pause).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

}  // namespace mproc::core::sync
