#include "process/child.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "process/forkserver_protocol.hpp"
#include "sync/process_identity.hpp"

namespace mproc::core::process {

namespace {

std::atomic<bool> pidfd_disabled{false};

int open_pidfd(pid_t pid) noexcept {
    if (pidfd_disabled.load(std::memory_order_relaxed)) {
        errno = ENOSYS;
        return -1;
    }
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // always close-on-exec
#else
    errno = ENOSYS;
    return -1;
#endif
}

// 0, or -1 with errno (ENOSYS on kernels before 5.1).
int pidfd_send_signal(int pidfd, int signum) noexcept {
#ifdef SYS_pidfd_send_signal
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signum, nullptr, 0));
#else
    (void)pidfd;
    (void)signum;
    errno = ENOSYS;
    return -1;
#endif
}

timespec to_timespec(std::int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

void sleep_ns(std::int64_t ns) noexcept {
    const timespec ts = to_timespec(ns);
    ::nanosleep(&ts, nullptr);  // EINTR: the caller loops anyway
}

// The started children of this process that have not been reaped. Never destroyed, so a
// thread that reaps during exit never meets a destroyed registry.
struct Registry {
    std::mutex mutex;
    std::uint32_t owner = 0;  // the pid these are the children of
    std::list<std::shared_ptr<Child>> children;

    // Under mutex: in a fork child the list is the parent's (our siblings): start afresh.
    void adopt_if_inherited() noexcept {
        const std::uint32_t me = sync::current_pid();
        if (owner == me) return;
        owner = me;
        children.clear();
    }
};

Registry &registry() {
    static Registry *const instance = [] {
        auto *r = new Registry();
        // Held across fork(), so the child's copy is never locked by a thread that does
        // not exist there (a child may start processes of its own).
        pthread_atfork([] { registry().mutex.lock(); }, [] { registry().mutex.unlock(); },
                       [] { registry().mutex.unlock(); });
        return r;
    }();
    return *instance;
}

}  // namespace

Child::Child(Token, std::string label) : label_(std::move(label)) {}

Child::~Child() {
    if (pidfd_ >= 0) ::close(pidfd_);
    if (channel_ >= 0) ::close(channel_);
}

Child::Reservation Child::reserve(std::string label) {
    Reservation r;
    r.node_.push_back(std::make_shared<Child>(Token{}, std::move(label)));
    (void)registry();  // its fork handlers must be in place before the fork
    return r;
}

std::shared_ptr<Child> Child::Reservation::commit(pid_t pid) noexcept {
    std::shared_ptr<Child> child = node_.front();
    child->pid_ = pid;
    child->pidfd_ = open_pidfd(pid);
    // ESRCH: it was reaped already behind our back (SIGCHLD ignored): waitpid will say.
    child->pidfd_error_ = child->pidfd_ < 0 ? errno : 0;
    Registry &reg = registry();
    std::lock_guard<std::mutex> guard(reg.mutex);
    reg.adopt_if_inherited();
    reg.children.splice(reg.children.end(), node_);
    return child;
}

std::shared_ptr<Child> Child::Reservation::commit_relayed(pid_t pid, int pidfd,
                                                          int channel) noexcept {
    std::shared_ptr<Child> child = node_.front();
    child->pid_ = pid;
    child->pidfd_ = pidfd;
    child->pidfd_error_ = pidfd < 0 ? ENOSYS : 0;
    child->channel_ = channel;
    Registry &reg = registry();
    std::lock_guard<std::mutex> guard(reg.mutex);
    reg.adopt_if_inherited();
    reg.children.splice(reg.children.end(), node_);
    return child;
}

int Child::pidfd(int *error) const noexcept {
    if (error != nullptr) *error = pidfd_error_;
    return pidfd_;
}

bool Child::read_status_locked() {
    for (;;) {
        forkserver::StatusRecord record{};
        const ssize_t n = ::recv(channel_, &record, sizeof record, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return false;
        if (n == static_cast<ssize_t>(sizeof record) && record.kind != forkserver::kStatus) {
            continue;  // not ours to read (the pid was read at start): skip it
        }
        reaped_ = true;
        if (n == static_cast<ssize_t>(sizeof record)) {
            known_ = true;
            if (WIFEXITED(record.value)) {
                code_ = WEXITSTATUS(record.value);
            } else if (WIFSIGNALED(record.value)) {
                code_ = -WTERMSIG(record.value);
            }
        }
        // else the end of the channel (or an error on it): the server died before it could
        // tell, and the child has closed its end too, so it has ended, status unknown.
        return true;
    }
}

bool Child::reap_locked() {
    if (channel_ >= 0) return read_status_locked();
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    reaped_ = true;
    if (r == pid_) {
        known_ = true;
        if (WIFEXITED(status)) {
            code_ = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            code_ = -WTERMSIG(status);
        }
    }
    // else ECHILD: someone else reaped it; it has ended, with a status we cannot know.
    return true;
}

void Child::unregister() noexcept {
    Registry &reg = registry();
    std::lock_guard<std::mutex> guard(reg.mutex);
    if (reg.owner != sync::current_pid()) return;
    reg.children.remove_if([this](const std::shared_ptr<Child> &c) { return c.get() == this; });
}

bool Child::reap_if_ended() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        if (reaped_) return true;
        if (!reap_locked()) return false;
    }
    // Outside mutex_: the registry's lock comes first (active() holds it to reap).
    unregister();
    return true;
}

Status Child::wait(const sync::Deadline &deadline) {
    // Without a pidfd: sleep 0.1 ms, doubling up to 5 ms, between looks.
    std::int64_t backoff_ns = 100'000;
    for (;;) {
        if (reap_if_ended()) return kOk;
        if (deadline.expired()) return kTimedOut;
        if (pidfd_ >= 0 || channel_ >= 0) {
            // Slices of a second: a wait forever needs no wake-up, but a slice costs nothing.
            const timespec ts =
                to_timespec(deadline.slice_end_ns(1'000'000'000) - sync::Deadline::now_ns());
            pollfd p{channel_ >= 0 ? channel_ : pidfd_, POLLIN, 0};
            if (::ppoll(&p, 1, &ts, nullptr) > 0 && !reap_if_ended()) {
                sleep_ns(1'000'000);  // ended but not reapable yet: do not spin
            }
        } else {
            sleep_ns(deadline.slice_end_ns(backoff_ns) - sync::Deadline::now_ns());
            if (backoff_ns < 5'000'000) backoff_ns *= 2;
        }
    }
}

bool Child::exit_code(int *code, bool *known) {
    if (!reap_if_ended()) return false;
    std::lock_guard<std::mutex> guard(mutex_);
    *code = code_;
    *known = known_;
    return true;
}

void Child::send_signal(int signum) {
    std::lock_guard<std::mutex> guard(mutex_);
    // Reaped: the pid may belong to another process by now. Unreaped, it cannot be reused
    // (we hold the only right to reap it, and mutex_), even if it has ended. A relayed
    // child is reaped by the server: look for its status first, which narrows (only the
    // pidfd closes) the window in which the pid may have been reused.
    if (reaped_ || (channel_ >= 0 && read_status_locked())) return;
    if (pidfd_ >= 0) {
        if (pidfd_send_signal(pidfd_, signum) == 0 || errno == ESRCH) return;
        if (errno != ENOSYS) throw_errno(errno, label_ + ": pidfd_send_signal");
    }
    if (::kill(pid_, signum) != 0 && errno != ESRCH) throw_errno(errno, label_ + ": kill");
}

std::vector<pid_t> Child::active() {
    std::vector<pid_t> running;
    Registry &reg = registry();
    std::lock_guard<std::mutex> guard(reg.mutex);
    reg.adopt_if_inherited();
    running.reserve(reg.children.size());
    for (auto it = reg.children.begin(); it != reg.children.end();) {
        Child &c = **it;
        bool ended;
        {
            std::lock_guard<std::mutex> child_guard(c.mutex_);
            ended = c.reaped_ || c.reap_locked();
        }
        if (ended) {
            it = reg.children.erase(it);
        } else {
            running.push_back(c.pid_);
            ++it;
        }
    }
    return running;
}

void Child::disable_pidfd_for_testing(bool disable) noexcept {
    pidfd_disabled.store(disable, std::memory_order_relaxed);
}

}  // namespace mproc::core::process
