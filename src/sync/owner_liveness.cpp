#include "sync/owner_liveness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mproc::core::sync {

namespace {

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z', ...), or 0 if unreadable. The
// process name in parentheses may itself contain ')' and spaces: the state follows the
// last ')'.
char proc_state(std::uint32_t pid) noexcept {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    const char *paren = std::strrchr(buf, ')');
    if (paren == nullptr || paren[1] != ' ') return 0;
    return paren[2];
}

// 1 alive, 0 dead, -1 unknown. A pidfd polls readable once the process has exited, zombie
// or not: three cheap system calls, no path lookup.
int alive_by_pidfd(std::uint32_t pid) noexcept {
#ifdef SYS_pidfd_open
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (fd < 0) return errno == ESRCH ? 0 : -1;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 0);
    ::close(fd);
    if (ready < 0) return -1;
    return ready == 0 ? 1 : 0;
#else
    (void)pid;
    return -1;
#endif
}

}  // namespace

bool process_is_alive(std::uint32_t pid) noexcept {
    if (pid == 0) return false;
    int by_pidfd = alive_by_pidfd(pid);
    if (by_pidfd >= 0) return by_pidfd == 1;
    // Kernels before 5.3: kill() for existence, /proc for the zombie state.
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    char state = proc_state(pid);
    if (state == 0) {
        // /proc not mounted, or the process vanished between the two calls.
        return !(::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
    }
    return state != 'Z' && state != 'X' && state != 'x';
}

}  // namespace mproc::core::sync
