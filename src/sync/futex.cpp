#include "sync/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace mproc::core::sync {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

bool futex_wait(std::atomic<std::uint32_t> &word, std::uint32_t expected,
                std::int64_t until_ns) noexcept {
    timespec ts{};
    timespec *timeout = nullptr;
    if (until_ns >= 0) {
        ts.tv_sec = static_cast<time_t>(until_ns / 1000000000);
        ts.tv_nsec = static_cast<long>(until_ns % 1000000000);
        timeout = &ts;
    }
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so a wait cut short by a
    // signal or a spurious wake-up does not restart a relative timeout from scratch.
    long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&word), FUTEX_WAIT_BITSET,
                        expected, timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
    return !(rc == -1 && errno == ETIMEDOUT);
}

void futex_wake(std::atomic<std::uint32_t> &word, int count) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&word), FUTEX_WAKE, count, nullptr,
              nullptr, 0);
}

}  // namespace mproc::core::sync
