// The forkserver's client side: the server this process uses, and one request per child.
#include "process/forkserver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "error.hpp"
#include "process/forkserver_protocol.hpp"
#include "process/spawn_start.hpp"
#include "subprocess/reaper.hpp"
#include "subprocess/spawn.hpp"
#include "sync/deadline.hpp"
#include "sync/process_identity.hpp"

namespace mproc::core::process::forkserver {

namespace {

// How long a healthy server may take to take a job and fork: it does nothing else, so
// only a stopped or wedged server (or a machine that has stopped scheduling us) is slower.
constexpr double kAnswerTimeoutS = 60.0;
constexpr std::size_t kMaxJob = std::size_t{1} << 30;

// This process's server. `mutex` serialises the requests on the control channel (one
// writer at a time keeps a request's bytes together) and guards the fields.
struct Server {
    std::mutex mutex;
    std::uint32_t owner = 0;  // the pid of the process whose server this is
    pid_t pid = 0;            // 0: none
    int control = -1;
    std::uint64_t generation = 0;  // counts servers, so a failure is reported once per server

    // Under mutex: forgets the server; it is our child, so it goes on subprocess's
    // reap-later list (swept by active_children and Popen) unless `reaped`.
    void forget(bool reaped) noexcept {
        if (control >= 0) ::close(control);
        control = -1;
        if (pid > 0 && !reaped) subprocess::reap_later(pid);
        pid = 0;
        ++generation;
    }
};

Server &server() {
    static Server *const instance = [] {
        auto *s = new Server();  // never destroyed: children may be started during exit
        // The mutex is held across fork(), so the child's copy is never locked by a thread
        // that does not exist there; the child closes its copy of the control channel, so
        // that the server sees the end of it when this process ends, whatever its fork
        // children do. The server is not the fork child's child: it starts its own.
        pthread_atfork([] { server().mutex.lock(); }, [] { server().mutex.unlock(); },
                       [] {
                           Server &me = server();
                           if (me.control >= 0) ::close(me.control);
                           me.control = -1;
                           me.pid = 0;
                           me.owner = 0;
                           me.mutex.unlock();
                       });
        return s;
    }();
    return *instance;
}

// Under mutex: a server for this process, started now if there is none.
void ensure_server(Server &s) {
    const std::uint32_t me = sync::current_pid();
    if (s.owner != me) {  // inherited without our fork handler (a raw clone): not ours
        if (s.control >= 0) ::close(s.control);
        s.control = -1;
        s.pid = 0;
        s.owner = me;
    }
    if (s.control >= 0) return;
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        throw_errno(errno, "socketpair");
    }
    UniqueFd ours(ends[0]);
    UniqueFd theirs(ends[1]);
    subprocess::SpawnOptions options;
    options.in.mode = subprocess::Stdio::kFd;
    options.in.fd = theirs.get();
    // The children get the client's stdout with each job: the server itself never writes
    // there, and must not keep a pipe of the client's open for its lifetime.
    options.out.mode = subprocess::Stdio::kDevNull;
    const subprocess::Spawned spawned =
        subprocess::spawn({worker_path(), "--mproc-forkserver"}, options);
    s.pid = spawned.pid;
    s.control = ours.release();
    ++s.generation;
}

// Waits for `events` on fd until the deadline. False on timeout.
bool wait_for(int fd, short events, const sync::Deadline &deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const std::int64_t left_ns =
            deadline.slice_end_ns(1'000'000'000) - sync::Deadline::now_ns();
        const int ms = left_ns <= 0 ? 0 : static_cast<int>((left_ns + 999'999) / 1'000'000);
        const int r = ::poll(&p, 1, ms);
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) throw_errno(errno, "poll");
        if (deadline.expired()) return false;
    }
}

enum class Sent { kOk, kServerGone, kTimedOut };

// Under mutex: sends one request. kServerGone if the server's end is closed.
Sent send_request(int control, const std::string &job, int child_end,
                  const sync::Deadline &deadline) {
    RequestHeader header{};
    std::memcpy(header.magic, kRequestMagic, sizeof header.magic);
    header.version = kRequestVersion;
    header.length = job.size();
    int fds[kMaxRequestFds] = {child_end};
    std::size_t nfds = 1;
    // The client's stdout and stderr as they are now; a closed one stays closed there.
    for (int stream : {STDOUT_FILENO, STDERR_FILENO}) {
        if (::fcntl(stream, F_GETFD) < 0) continue;
        fds[nfds++] = stream;
        header.flags |= stream == STDOUT_FILENO ? kHasStdout : kHasStderr;
    }
    const char *data = reinterpret_cast<const char *>(&header);
    std::size_t size = sizeof header;
    bool with_fds = true;
    for (int part = 0; part < 2; ++part) {
        std::size_t done = 0;
        while (done < size) {
            // The descriptors ride on the first byte of the header.
            const ssize_t n = send_with_fds(control, data + done, size - done, fds,
                                            with_fds ? nfds : 0, MSG_DONTWAIT);
            if (n > 0) {
                done += static_cast<std::size_t>(n);
                with_fds = false;
                continue;
            }
            if (errno == EPIPE || errno == ECONNRESET) return Sent::kServerGone;
            if (errno != EAGAIN) throw_errno(errno, "forkserver: send");
            if (!wait_for(control, POLLOUT, deadline)) return Sent::kTimedOut;
        }
        data = job.data();
        size = job.size();
    }
    return Sent::kOk;
}

// Reads the first record of a status channel: true with *record, or false at end of file
// (the server died without forking). Throws on timeout (kTimedOut) and errors.
bool read_first_record(int channel, StatusRecord *record, UniqueFd *pidfd,
                       const sync::Deadline &deadline) {
    for (;;) {
        int fd = -1;
        std::size_t nfds = 0;
        bool truncated = false;
        const ssize_t n =
            recv_with_fds(channel, record, sizeof *record, &fd, 1, &nfds, &truncated, MSG_DONTWAIT);
        if (nfds == 1) pidfd->reset(fd);
        if (n == static_cast<ssize_t>(sizeof *record)) return true;
        if (n == 0) return false;
        if (n > 0) throw Error(kSystem, "forkserver: a short record on the status channel");
        if (errno != EAGAIN) throw_errno(errno, "forkserver: recvmsg");
        if (!wait_for(channel, POLLIN, deadline)) {
            throw Error(kTimedOut, "forkserver: no answer");
        }
    }
}

// Whether the server behind `control` has gone (its end closed), waiting up to 1 s: a
// server that exits closes its descriptors one by one, the status channel maybe first.
bool server_gone(int control) {
    pollfd p{control, POLLRDHUP, 0};
    int r;
    do {
        r = ::poll(&p, 1, 1000);
    } while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

StartedChild start_child(const task::Task &task, const std::string &name, bool daemon,
                         const std::string &label) {
    if (task.is_function()) {
        throw Error(kInvalid, label +
                                  ": start: a function-pointer task cannot run in a forkserver "
                                  "child (the server is another program): use a task "
                                  "reference, or the fork start method");
    }
    WorkerJob job;
    job.name = name;
    job.daemon = daemon;
    job.parent = ::getpid();
    job.task = task.encode();
    const std::string bytes = encode_job(job);
    if (bytes.size() > kMaxJob) throw Error(kTooBig, label + ": start: the task is over 1 GiB");
    const std::string what = label + ": start: forkserver";

    Server &s = server();
    for (int attempt = 0;; ++attempt) {
        const bool last = attempt == 1;
        StartedChild child;
        const sync::Deadline deadline = sync::Deadline::after(kAnswerTimeoutS);
        std::uint64_t generation = 0;
        int control = -1;
        {
            // The child's end exists only under the mutex, which our fork handler takes:
            // a fork() in another thread never inherits it (a copy would hold the channel
            // open, and hide the end of file that tells that the server died).
            std::lock_guard<std::mutex> guard(s.mutex);
            int ends[2];
            if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
                throw_errno(errno, what + ": socketpair");
            }
            child.channel.reset(ends[0]);
            // Closed at the end of this scope: from then on the server's copy (and the
            // child's) are the only writers left, so the end of file means that the server
            // died without forking.
            UniqueFd child_end(ends[1]);
            try {
                ensure_server(s);
            } catch (const Error &e) {
                throw Error(e.status(), what + ": " + e.what());
            }
            generation = s.generation;
            control = s.control;
            const Sent sent = send_request(control, bytes, child_end.get(), deadline);
            if (sent == Sent::kServerGone) {
                s.forget(false);
                if (last) throw Error(kSystem, what + ": the server ended twice in a row");
                continue;
            }
            if (sent == Sent::kTimedOut) {
                ::kill(s.pid, SIGKILL);  // our child, not reaped: the pid is still its
                s.forget(false);
                throw Error(kSystem, what + ": the server took no job for " +
                                         std::to_string(static_cast<int>(kAnswerTimeoutS)) +
                                         " s: killed it");
            }
        }
        StatusRecord record{};
        bool answered = false;
        try {
            answered = read_first_record(child.channel.get(), &record, &child.pidfd, deadline);
        } catch (const Error &e) {
            if (e.status() != kTimedOut) throw Error(e.status(), label + ": start: " + e.what());
            std::lock_guard<std::mutex> guard(s.mutex);
            if (s.generation == generation) {
                ::kill(s.pid, SIGKILL);
                s.forget(false);
            }
            throw Error(kSystem, what + ": no answer for " +
                                     std::to_string(static_cast<int>(kAnswerTimeoutS)) +
                                     " s: killed the server");
        }
        if (!answered) {
            std::lock_guard<std::mutex> guard(s.mutex);
            // Another thread may have found it dead and replaced it already.
            if (s.generation == generation) {
                if (!server_gone(control)) {
                    throw Error(kSystem,
                                what + ": the server dropped the job (out of descriptors?)");
                }
                s.forget(false);
            }
            if (last) throw Error(kSystem, what + ": the server ended twice in a row");
            continue;
        }
        if (record.kind == kError) {
            throw_errno(record.value, what + (record.value == EINVAL ? ": bad job" : ": fork"));
        }
        if (record.kind != kPid || record.value <= 0) {
            throw Error(kSystem, what + ": unexpected answer on the status channel");
        }
        child.pid = static_cast<pid_t>(record.value);
        return child;
    }
}

void reap_server_if_exited() noexcept {
    Server &s = server();
    std::lock_guard<std::mutex> guard(s.mutex);
    if (s.owner != sync::current_pid() || s.pid <= 0) return;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(s.pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == s.pid || (r < 0 && errno == ECHILD)) s.forget(true);
}

pid_t server_pid_for_testing() noexcept {
    Server &s = server();
    std::lock_guard<std::mutex> guard(s.mutex);
    return s.owner == sync::current_pid() ? s.pid : 0;
}

}  // namespace mproc::core::process::forkserver
