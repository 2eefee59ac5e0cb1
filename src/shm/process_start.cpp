#include "shm/process_start.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mproc::core::shm {

namespace {

// The fields of /proc/<pid>/stat after the process name, which is in parentheses and may
// itself hold ')' and spaces: they start after the last ')'. Empty if unreadable.
bool read_stat_tail(std::uint32_t pid, char *buf, std::size_t cap, const char **tail) noexcept {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = ::read(fd, buf, cap - 1);
    ::close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    const char *paren = std::strrchr(buf, ')');
    if (paren == nullptr || paren[1] != ' ') return false;
    *tail = paren + 2;  // field 3, the state
    return true;
}

// Field `field` (1-based, as proc(5) numbers them) of a stat tail that starts at field 3.
const char *stat_field(const char *tail, int field) noexcept {
    for (int i = 3; i < field; ++i) {
        tail = std::strchr(tail, ' ');
        if (tail == nullptr) return nullptr;
        ++tail;
    }
    return tail;
}

std::uint64_t cached_start = 0;
std::uint32_t cached_start_pid = 0;

}  // namespace

std::uint64_t process_start_time(std::uint32_t pid) noexcept {
    if (pid == 0) return 0;
    char buf[1024];
    const char *tail = nullptr;
    if (!read_stat_tail(pid, buf, sizeof buf, &tail)) return 0;
    const char *start = stat_field(tail, 22);
    if (start == nullptr) return 0;
    return std::strtoull(start, nullptr, 10);
}

std::uint64_t current_process_start_time() noexcept {
    // A fork child has a new pid: the cache is keyed by it. Races only compute it twice.
    const auto pid = static_cast<std::uint32_t>(::getpid());
    if (__atomic_load_n(&cached_start_pid, __ATOMIC_ACQUIRE) != pid) {
        __atomic_store_n(&cached_start, process_start_time(pid), __ATOMIC_RELAXED);
        __atomic_store_n(&cached_start_pid, pid, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&cached_start, __ATOMIC_RELAXED);
}

Liveness process_liveness(std::uint32_t pid, std::uint64_t start_time) noexcept {
    if (pid == 0) return Liveness::kUnknown;
    char buf[1024];
    const char *tail = nullptr;
    if (read_stat_tail(pid, buf, sizeof buf, &tail)) {
        const char state = tail[0];
        if (state == 'Z' || state == 'X' || state == 'x') return Liveness::kDead;
        if (start_time == 0) return Liveness::kAlive;
        const char *start = stat_field(tail, 22);
        if (start == nullptr) return Liveness::kUnknown;
        return std::strtoull(start, nullptr, 10) == start_time ? Liveness::kAlive : Liveness::kDead;
    }
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return Liveness::kDead;
    return Liveness::kUnknown;
}

}  // namespace mproc::core::shm
