// The forkserver itself (mproc-worker --mproc-forkserver; design in forkserver.hpp): a
// single-threaded loop over the control channel and a signalfd for SIGCHLD. It runs no
// task: every job is forked, and the child becomes the Process's child.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <string>

#include "process/forkserver.hpp"
#include "process/forkserver_protocol.hpp"
#include "process/process.hpp"
#include "process/spawn_start.hpp"
#include "process/unique_fd.hpp"

namespace mproc::core::process::forkserver {

namespace {

constexpr std::size_t kMaxJob = std::size_t{1} << 30;

[[noreturn]] void fail(const std::string &why) noexcept {
    const std::string text = "mproc-forkserver: " + why + "\n";
    ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
    (void)ignored;
    ::_exit(1);
}

struct Kid {
    UniqueFd channel;
    bool daemon = false;
};

// Everything the server holds; a forked child closes all of it but its own channel.
struct State {
    UniqueFd control;
    UniqueFd signals;  // signalfd for SIGCHLD
    std::map<pid_t, Kid> kids;
    sigset_t original_mask;
};

void send_record(int channel, RecordKind kind, int value, int fd = -1) noexcept {
    const StatusRecord record{kind, value};
    // Never blocks: a channel holds a handful of records, and a client that closed its
    // end just makes this fail.
    (void)send_with_fds(channel, &record, sizeof record, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);
}

// Reads exactly n bytes; false at end of file or on an error.
bool read_exactly(int fd, char *data, std::size_t n) noexcept {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::read(fd, data + done, n - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        done += static_cast<std::size_t>(r);
    }
    return true;
}

int open_own_pidfd() noexcept {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
#else
    errno = ENOSYS;
    return -1;
#endif
}

// In the forked child: drop the server's descriptors and signal setup, take the client's
// stdout and stderr, tell the client who we are, and become the Process's child.
[[noreturn]] void become_job(State &state, Kid &self, UniqueFd out, UniqueFd err, bool has_out,
                             bool has_err, const WorkerJob &job, pid_t server) noexcept {
    state.control.reset();
    state.signals.reset();
    for (auto &entry : state.kids) {
        if (&entry.second != &self) entry.second.channel.reset();
    }
    ::sigprocmask(SIG_SETMASK, &state.original_mask, nullptr);
    ::signal(SIGINT, SIG_DFL);
    if (has_out)
        ::dup2(out.get(), STDOUT_FILENO);
    else
        ::close(STDOUT_FILENO);
    if (has_err)
        ::dup2(err.get(), STDERR_FILENO);
    else
        ::close(STDERR_FILENO);
    out.reset();
    err.reset();

    // Before anything can fail: the client learns our pid (and gets a pidfd to signal us
    // without a pid-reuse race). We keep our end open (close-on-exec): see forkserver.hpp.
    UniqueFd pidfd(open_own_pidfd());
    send_record(self.channel.get(), kPid, static_cast<int>(::getpid()), pidfd.get());
    pidfd.reset();

    try {
        task::Task task = task::Task::decode(job.task);
        if (task.is_function()) fail("a function-pointer task cannot run in a forkserver child");
        detail::run_as_child(task, job.name, job.daemon, job.parent, server);
    } catch (const std::exception &e) {
        fail(e.what());
    }
}

// Takes one request from the control channel and forks its child. False at the end of the
// channel (the client has gone) or if the stream is corrupt: the server then ends.
bool serve_one(State &state) noexcept {
    RequestHeader header{};
    int fds[kMaxRequestFds];
    std::size_t nfds = 0;
    bool truncated = false;
    const ssize_t n = recv_with_fds(state.control.get(), &header, sizeof header, fds,
                                    kMaxRequestFds, &nfds, &truncated, 0);
    UniqueFd owned[kMaxRequestFds];
    for (std::size_t i = 0; i < nfds; ++i)
        owned[i].reset(fds[i]);
    if (n <= 0) return false;
    if (static_cast<std::size_t>(n) < sizeof header &&
        !read_exactly(state.control.get(), reinterpret_cast<char *>(&header) + n,
                      sizeof header - static_cast<std::size_t>(n))) {
        return false;
    }
    if (std::memcmp(header.magic, kRequestMagic, sizeof header.magic) != 0 ||
        header.version != kRequestVersion || header.length > kMaxJob) {
        return false;
    }
    std::string bytes(static_cast<std::size_t>(header.length), '\0');
    if (!read_exactly(state.control.get(), bytes.data(), bytes.size())) return false;

    const bool has_out = (header.flags & kHasStdout) != 0;
    const bool has_err = (header.flags & kHasStderr) != 0;
    const std::size_t expected = 1 + (has_out ? 1 : 0) + (has_err ? 1 : 0);
    if (nfds == 0) return true;  // no channel to answer on (we are out of descriptors)
    UniqueFd channel = std::move(owned[0]);
    if (truncated || nfds != expected) {
        send_record(channel.get(), kError, EMFILE);
        return true;
    }
    UniqueFd out = has_out ? std::move(owned[1]) : UniqueFd();
    UniqueFd err = has_err ? std::move(owned[has_out ? 2 : 1]) : UniqueFd();

    WorkerJob job;
    try {
        job = decode_job(bytes);
    } catch (const std::exception &) {
        send_record(channel.get(), kError, EINVAL);
        return true;
    }
    const pid_t server = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        send_record(channel.get(), kError, errno);
        return true;
    }
    Kid &kid = state.kids[pid];  // in the child, pid 0: a slot no real child has
    kid.channel = std::move(channel);
    kid.daemon = job.daemon;
    if (pid == 0) {
        become_job(state, kid, std::move(out), std::move(err), has_out, has_err, job, server);
    }
    return true;
}

// Relays the status of every child that has ended.
void reap(State &state) noexcept {
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        auto it = state.kids.find(pid);
        if (it == state.kids.end()) continue;
        send_record(it->second.channel.get(), kStatus, status);
        state.kids.erase(it);
    }
}

void drain(int signal_fd) noexcept {
    signalfd_siginfo info[16];
    while (::read(signal_fd, info, sizeof info) > 0) {
    }
}

}  // namespace

void run_server() noexcept {
    State state;
    // The control channel came as stdin; the children get /dev/null there.
    state.control.reset(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
    if (!state.control) fail(std::string("no control channel: ") + std::strerror(errno));
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::close(null);
    }
    // ^C in a terminal goes to the whole process group: the client and the children
    // decide what it means, and the server lives as long as its client (as CPython's).
    ::signal(SIGINT, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &chld, &state.original_mask);
    state.signals.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!state.signals) fail(std::string("signalfd: ") + std::strerror(errno));

    for (;;) {
        pollfd p[2] = {{state.control.get(), POLLIN, 0}, {state.signals.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            fail(std::string("poll: ") + std::strerror(errno));
        }
        if (p[1].revents != 0) {
            drain(state.signals.get());
            reap(state);
        }
        if (p[0].revents != 0 && !serve_one(state)) break;
    }
    // The client has gone: its daemon children go with it. The others run on, reparented
    // as the fork start method's children would be.
    for (auto &entry : state.kids) {
        if (entry.second.daemon) ::kill(entry.first, SIGKILL);
    }
    ::_exit(0);
}

}  // namespace mproc::core::process::forkserver
