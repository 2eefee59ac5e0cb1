#include "sync/owner_liveness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <type_traits>

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

// Kernels before 5.3: kill() for existence, /proc for the zombie state.
bool alive_by_proc(std::uint32_t pid) noexcept {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    char state = proc_state(pid);
    if (state == 0) return !(::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
    return state != 'Z' && state != 'X' && state != 'x';
}

// A pidfd, or -1 with errno (ESRCH: no such process).
int open_pidfd(std::uint32_t pid) noexcept {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

// A pidfd polls readable once its process has exited, zombie or not.
bool pidfd_exited(int fd) noexcept {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
}

// Recently checked processes keep their pidfd, so a check is one poll() instead of
// pidfd_open + poll + close (about 7 us here): notify and a contended lock check the
// same few processes again and again. A pidfd names one process, not a pid: a cached
// pidfd that reads "exited" is checked again with a fresh one, for a reused pid.
class PidfdCache {
  public:
    // 1 alive, 0 dead, -1 cannot tell here (no pidfd support, cache busy).
    int alive(std::uint32_t pid) noexcept {
        // try_lock: a fork while another thread held the mutex leaves it locked for
        // ever in the child, which then simply goes without the cache.
        std::unique_lock<std::mutex> guard(mutex_, std::try_to_lock);
        if (!guard.owns_lock()) return -1;
        Entry *entry = find(pid);
        if (entry != nullptr && !pidfd_exited(entry->fd)) return 1;
        if (entry != nullptr) forget(*entry);
        int fd = open_pidfd(pid);
        if (fd < 0) return errno == ESRCH ? 0 : -1;
        if (pidfd_exited(fd)) {
            ::close(fd);
            return 0;
        }
        remember(pid, fd);
        return 1;
    }

  private:
    struct Entry {
        std::uint32_t pid = 0;
        int fd = -1;
    };
    static constexpr int kEntries = 32;

    Entry *find(std::uint32_t pid) noexcept {
        for (Entry &e : entries_) {
            if (e.fd >= 0 && e.pid == pid) return &e;
        }
        return nullptr;
    }
    void forget(Entry &e) noexcept {
        ::close(e.fd);
        e = Entry{};
    }
    void remember(std::uint32_t pid, int fd) noexcept {
        Entry &slot = entries_[next_];
        next_ = (next_ + 1) % kEntries;
        if (slot.fd >= 0) ::close(slot.fd);
        slot = Entry{pid, fd};
    }

    std::mutex mutex_;
    Entry entries_[kEntries];
    int next_ = 0;
};

// Trivially destructible, so threads still checking owners during exit never meet a
// destroyed cache; the few descriptors it holds close with the process.
static_assert(std::is_trivially_destructible_v<PidfdCache>);
PidfdCache pidfd_cache_instance;

PidfdCache &pidfd_cache() {
    return pidfd_cache_instance;
}

}  // namespace

bool process_is_alive(std::uint32_t pid) noexcept {
    if (pid == 0) return false;
    int cached = pidfd_cache().alive(pid);
    if (cached >= 0) return cached == 1;
    int fd = open_pidfd(pid);
    if (fd < 0) return errno == ESRCH ? false : alive_by_proc(pid);
    bool exited = pidfd_exited(fd);
    ::close(fd);
    return !exited;
}

}  // namespace mproc::core::sync
