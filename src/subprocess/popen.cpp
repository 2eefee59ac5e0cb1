#include "subprocess/popen.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pipe/sigpipe_block.hpp"
#include "subprocess/reaper.hpp"
#include "sync/process_identity.hpp"
#include "sync/wait_gate.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif

namespace mproc::core::subprocess {

using sync::Deadline;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;     // a default pipe's whole capacity
constexpr std::size_t kWriteChunk = 1024 * 1024;  // at most per write(), to stay responsive
constexpr std::int64_t kFirstBackoffNs = 500'000;
constexpr std::int64_t kMaxBackoffNs = 50'000'000;

// The time left until the deadline, for ppoll: nullptr for forever, zero once expired.
timespec *time_left(const Deadline &deadline, timespec *ts, std::int64_t cap_ns = -1) {
    std::int64_t left = -1;
    if (!deadline.is_forever()) {
        left = deadline.expired() ? 0 : deadline.at_ns() - Deadline::now_ns();
        if (left < 0) left = 0;
    }
    if (cap_ns >= 0 && (left < 0 || left > cap_ns)) left = cap_ns;
    if (left < 0) return nullptr;
    ts->tv_sec = static_cast<time_t>(left / 1000000000);
    ts->tv_nsec = static_cast<long>(left % 1000000000);
    return ts;
}

int returncode_of(int status) noexcept {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return 0;  // stopped or continued: not asked for (no WUNTRACED / WCONTINUED)
}

}  // namespace

struct Popen::State {
    State(int wake_descriptor, std::uint32_t owner_pid)
        : wake_fd(wake_descriptor), owner(owner_pid) {}
    ~State() {
        for (int &fd : fds) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        if (pidfd >= 0) ::close(pidfd);
        if (wake_fd >= 0) ::close(wake_fd);
    }
    State(const State &) = delete;
    State &operator=(const State &) = delete;

    pid_t pid = -1;
    std::string name;
    int pidfd = -1;             // -1: none (old kernel); waits then poll waitpid
    const int wake_fd;          // eventfd that close() signals
    const std::uint32_t owner;  // the process that started the child
    std::atomic<bool> polling_wait{false};
    std::atomic<bool> closed{false};
    sync::WaitGate gate;

    // Under `mutex`: the reaping, and the pipes (communicate closes them as they end).
    mutable std::mutex mutex;
    bool reaped = false;
    int returncode = 0;
    int fds[3] = {-1, -1, -1};
    bool closed_by_communicate[3] = {false, false, false};

    // Under `turn`: communicate's progress, kept across a timeout.
    // A plain mutex taken with try_lock and short sleeps, not a std::timed_mutex: GCC 12's
    // ThreadSanitizer does not see pthread_mutex_clocklock and reports false unlocks.
    std::mutex turn;
    bool started_communicating = false;
    const void *first_input = nullptr;
    std::size_t first_length = 0;
    std::string input_rest;  // what is left to write after a timeout
    std::string out, err;

    void require_owner(const char *what) const {
        if (sync::current_pid() != owner) {
            throw Error(kInvalid, "popen '" + name + "': " + what +
                                      ": the child belongs to process " + std::to_string(owner));
        }
    }

    void signal_wake() noexcept {
        const std::uint64_t one = 1;
        ssize_t ignored = ::write(wake_fd, &one, sizeof one);
        (void)ignored;  // EAGAIN: the counter is huge already, so readable anyway
    }
    void drain_wake() noexcept {
        std::uint64_t count;
        ssize_t ignored = ::read(wake_fd, &count, sizeof count);
        (void)ignored;
    }

    // Under `mutex`: reaps the child if it ended. True (and *rc) once it has been reaped.
    bool reap_locked(int *rc) {
        while (!reaped) {
            int status = 0;
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == 0) return false;
            if (r == pid) {
                returncode = returncode_of(status);
                reaped = true;
            } else if (errno == ECHILD) {
                // SIGCHLD ignored (the kernel reaped it), or someone's waitpid(-1) took it:
                // it ended and its status is gone. Python says 0 too.
                returncode = 0;
                reaped = true;
            } else if (errno != EINTR) {
                throw_errno(errno, "popen '" + name + "': waitpid");
            }
        }
        *rc = returncode;
        return true;
    }

    bool try_reap(int *rc) {
        std::lock_guard<std::mutex> lock(mutex);
        return reap_locked(rc);
    }

    // Waits for the child to end, inside a WaitGate pass: kOk, kTimedOut, kClosed.
    Status wait_for_exit(const Deadline &deadline, int *rc) {
        bool use_pidfd = pidfd >= 0 && !polling_wait.load(std::memory_order_relaxed);
        std::int64_t backoff = kFirstBackoffNs;
        for (;;) {
            if (try_reap(rc)) return kOk;
            if (gate.closed()) return kClosed;
            if (deadline.expired()) return kTimedOut;
            pollfd fds_to_poll[2];
            nfds_t count = 0;
            if (use_pidfd) fds_to_poll[count++] = {pidfd, POLLIN, 0};
            const nfds_t wake_index = count;
            fds_to_poll[count++] = {wake_fd, POLLIN, 0};
            timespec ts{};
            timespec *limit = time_left(deadline, &ts, use_pidfd ? -1 : backoff);
            if (!use_pidfd) backoff = std::min(backoff * 2, kMaxBackoffNs);
            const int r = ::ppoll(fds_to_poll, count, limit, nullptr);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw_errno(errno, "popen '" + name + "': poll");
            }
            if (fds_to_poll[wake_index].revents != 0) {
                if (gate.closed()) return kClosed;
                drain_wake();  // not a close: a stray count
            }
            if (use_pidfd && fds_to_poll[0].revents != 0) {
                // Readable: it ended. Should waitpid still see it running (a kernel that
                // signals the pidfd at the leader thread's exit, before the whole process
                // is done), poll waitpid from here on rather than spin on the pidfd.
                if (try_reap(rc)) return kOk;
                use_pidfd = false;
            }
        }
    }

    // Under `turn`: closes the caller's end of a pipe that communicate finished with.
    void close_stream(int stream) noexcept {
        std::lock_guard<std::mutex> lock(mutex);
        if (fds[stream] >= 0) ::close(fds[stream]);
        fds[stream] = -1;
        closed_by_communicate[stream] = true;
    }
};

Popen::Popen(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

Popen::Popen(Popen &&other) noexcept : state_(std::move(other.state_)) {}

Popen::~Popen() {
    close();
}

Popen Popen::start(const std::vector<std::string> &argv, const SpawnOptions &options) {
    reap_finished();
    const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) throw_errno(errno, "subprocess: eventfd");
    std::unique_ptr<State> state;
    try {
        state = std::make_unique<State>(wake, sync::current_pid());
    } catch (...) {
        ::close(wake);
        throw;
    }
    const Spawned spawned = spawn(argv, options);  // throws with no child left
    State &s = *state;
    s.pid = spawned.pid;
    for (int stream = 0; stream < 3; ++stream)
        s.fds[stream] = spawned.fds[stream];
    // The pid cannot be reused before we reap it, so this pidfd is the child's.
    const long pidfd = ::syscall(SYS_pidfd_open, spawned.pid, 0);
    s.pidfd = pidfd >= 0 ? static_cast<int>(pidfd) : -1;
    try {
        s.name = "pid " + std::to_string(spawned.pid) + " (" + argv[0] + ")";
    } catch (...) {
        reap_later(spawned.pid);  // the child runs on, unobserved, like a closed Popen's
        throw;
    }
    return Popen(std::move(state));
}

const std::string &Popen::name() const noexcept {
    return state_->name;
}

pid_t Popen::pid() const noexcept {
    return state_->pid;
}

bool Popen::has_pidfd() const noexcept {
    return state_->pidfd >= 0;
}

void Popen::use_polling_wait_for_testing() noexcept {
    state_->polling_wait.store(true, std::memory_order_relaxed);
}

Status Popen::poll(int *returncode) {
    State &s = *state_;
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    s.require_owner("poll");
    return s.try_reap(returncode) ? kOk : kEmpty;
}

Status Popen::wait(const Deadline &deadline, int *returncode) {
    State &s = *state_;
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    s.require_owner("wait");
    return s.wait_for_exit(deadline, returncode);
}

Status Popen::send_signal(int signum) {
    State &s = *state_;
    if (signum < 0 || signum > SIGRTMAX) {
        throw Error(kInvalid, "popen '" + s.name + "': send_signal: " + std::to_string(signum) +
                                  " is not a signal number");
    }
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    s.require_owner("send_signal");
    std::lock_guard<std::mutex> lock(s.mutex);
    // Unreaped, the pid is still our child's (a zombie at worst), never another process's.
    if (s.reaped) return kOk;
    if (::kill(s.pid, signum) != 0 && errno != ESRCH) {
        throw_errno(errno, "popen '" + s.name + "': kill(" + std::to_string(signum) + ")");
    }
    return kOk;
}

int Popen::pipe_fd(int stream, bool *closed_by_communicate) const {
    const State &s = *state_;
    if (stream < 0 || stream > 2) return -1;
    std::lock_guard<std::mutex> lock(s.mutex);
    if (closed_by_communicate != nullptr) *closed_by_communicate = s.closed_by_communicate[stream];
    return s.fds[stream];
}

Status Popen::communicate(const void *input, std::size_t length, const Deadline &deadline,
                          Communicated *result) {
    State &s = *state_;
    if (input == nullptr && length > 0) {
        throw Error(kInvalid, "popen '" + s.name + "': communicate: input is NULL");
    }
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    s.require_owner("communicate");

    // One communicate at a time; a second one waits its turn, within its deadline.
    std::unique_lock<std::mutex> turn(s.turn, std::try_to_lock);
    while (!turn.owns_lock()) {
        if (s.gate.closed()) return kClosed;
        if (deadline.expired()) return kTimedOut;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        turn.try_lock();
    }

    const bool has_input = length > 0 || input != nullptr;
    const char *cursor = nullptr;
    std::size_t left = 0;
    if (!s.started_communicating) {
        if (has_input && s.fds[0] < 0) {
            throw Error(kInvalid, "popen '" + s.name + "': communicate: input given, but stdin " +
                                      (s.closed_by_communicate[0] ? "is closed" : "is not a pipe"));
        }
        s.started_communicating = true;
        s.first_input = input;
        s.first_length = length;
        cursor = static_cast<const char *>(input);
        left = length;
    } else {
        if (has_input && (input != s.first_input || length != s.first_length)) {
            throw Error(kInvalid, "popen '" + s.name +
                                      "': communicate: going on after a timeout takes no new "
                                      "input (pass NULL, or the first call's input again)");
        }
        cursor = s.input_rest.data();
        left = s.input_rest.size();
    }
    if (s.fds[0] >= 0 && left == 0) s.close_stream(0);

    // Non-blocking stdin for this call. On the way out (a timeout, close, an error), the
    // flags come back and what is left of the input is kept for the next call.
    int stdin_flags = -1;
    if (s.fds[0] >= 0) {
        stdin_flags = ::fcntl(s.fds[0], F_GETFL);
        if (stdin_flags < 0 || ::fcntl(s.fds[0], F_SETFL, stdin_flags | O_NONBLOCK) != 0) {
            throw_errno(errno, "popen '" + s.name + "': communicate: fcntl(stdin)");
        }
    }
    struct Leave {
        State &s;
        const char *&cursor;
        std::size_t &left;
        int flags;
        ~Leave() {
            if (s.fds[0] >= 0) {
                ::fcntl(s.fds[0], F_SETFL, flags);
                try {
                    std::string rest(cursor, left);  // cursor may point into input_rest
                    s.input_rest.swap(rest);
                } catch (...) {
                    s.close_stream(0);  // cannot keep it: end the input instead
                }
            } else {
                s.input_rest.clear();
            }
        }
    } leave{s, cursor, left, stdin_flags};

    std::optional<pipe::SigpipeBlock> sigpipe;
    if (s.fds[0] >= 0) sigpipe.emplace();
    std::vector<char> buffer;
    std::string *sinks[3] = {nullptr, &s.out, &s.err};

    while (s.fds[0] >= 0 || s.fds[1] >= 0 || s.fds[2] >= 0) {
        pollfd fds_to_poll[4];
        int stream_of[4];
        nfds_t count = 0;
        for (int stream = 0; stream < 3; ++stream) {
            if (s.fds[stream] < 0) continue;
            stream_of[count] = stream;
            fds_to_poll[count++] = {s.fds[stream],
                                    static_cast<short>(stream == 0 ? POLLOUT : POLLIN), 0};
        }
        stream_of[count] = -1;
        fds_to_poll[count++] = {s.wake_fd, POLLIN, 0};
        timespec ts{};
        const int r = ::ppoll(fds_to_poll, count, time_left(deadline, &ts), nullptr);
        if (r < 0 && errno != EINTR) throw_errno(errno, "popen '" + s.name + "': poll");
        for (nfds_t i = 0; r > 0 && i < count; ++i) {
            if (fds_to_poll[i].revents == 0) continue;
            const int stream = stream_of[i];
            if (stream < 0) {
                if (s.gate.closed()) return kClosed;
                s.drain_wake();
            } else if (stream == 0) {
                const ssize_t w = ::write(s.fds[0], cursor, std::min(left, kWriteChunk));
                if (w > 0) {
                    cursor += w;
                    left -= static_cast<std::size_t>(w);
                    if (left == 0) s.close_stream(0);
                } else if (w < 0 && errno == EPIPE) {
                    // The child stopped reading: the rest of the input goes nowhere.
                    sigpipe->discard_ours();
                    left = 0;
                    s.close_stream(0);
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    throw_errno(errno, "popen '" + s.name + "': communicate: write to stdin");
                }
            } else {
                if (buffer.empty()) buffer.resize(kReadChunk);
                const ssize_t n = ::read(s.fds[stream], buffer.data(), buffer.size());
                if (n > 0) {
                    sinks[stream]->append(buffer.data(), static_cast<std::size_t>(n));
                } else if (n == 0) {
                    s.close_stream(stream);
                } else if (errno != EAGAIN && errno != EINTR) {
                    throw_errno(errno, std::string("popen '") + s.name +
                                           "': communicate: read from " +
                                           (stream == 1 ? "stdout" : "stderr"));
                }
            }
        }
        if ((s.fds[0] >= 0 || s.fds[1] >= 0 || s.fds[2] >= 0) && deadline.expired()) {
            return kTimedOut;
        }
    }

    int rc = 0;
    const Status w = s.wait_for_exit(deadline, &rc);
    if (w != kOk) return w;
    result->out = s.closed_by_communicate[1] ? &s.out : nullptr;
    result->err = s.closed_by_communicate[2] ? &s.err : nullptr;
    result->returncode = rc;
    return kOk;
}

void Popen::take_output(std::string *out, std::string *err) {
    State &s = *state_;
    std::lock_guard<std::mutex> turn(s.turn);
    *out = std::move(s.out);
    *err = std::move(s.err);
    s.out.clear();
    s.err.clear();
}

void Popen::close() noexcept {
    if (!state_) return;
    State &s = *state_;
    if (s.closed.exchange(true)) return;
    const bool mine = sync::current_pid() == s.owner;
    if (!mine) {
        // A forked copy: its descriptors are its own to close; the child is not.
        for (int &fd : s.fds) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        return;
    }
    s.gate.close([&s] { s.signal_wake(); });
    std::lock_guard<std::mutex> lock(s.mutex);
    for (int &fd : s.fds) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int rc = 0;
    bool ended = false;
    try {
        ended = s.reap_locked(&rc);
    } catch (...) {
        ended = false;
    }
    if (!ended) reap_later(s.pid);
}

}  // namespace mproc::core::subprocess
