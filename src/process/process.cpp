#include "process/process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

#include "process/forkserver.hpp"
#include "process/spawn_start.hpp"
#include "subprocess/reaper.hpp"
#include "sync/process_identity.hpp"

namespace mproc::core::process {

namespace {

// Counts the Processes made in this process, named or not (as Python's _process_counter);
// a fork child starts again from 1.
std::atomic<unsigned> process_counter{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);  // reset in a fork child

enum Phase : int { kNew, kStarting, kStarted };

std::string label_of(const std::string &name) {
    return "process '" + name + "'";
}

// Writes all of text to stderr with write(2): stderr's FILE lock may have been held by
// another thread of the parent at fork time, and stays held here.
void write_stderr(const std::string &text) noexcept {
    const char *p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace

struct Process::State {
    State(task::Task t, std::string n, bool d)
        : task(std::move(t)), name(std::move(n)), daemon(d) {}

    const task::Task task;
    const std::string name;
    const bool daemon;

    std::atomic<int> phase{kNew};
    // Written by start() before phase becomes kStarted (release), then never again.
    std::shared_ptr<Child> child;
    std::uint32_t starter = 0;  // the pid of the process that started it

    StartMethod method = StartMethod::kDefault;
};

namespace {
std::atomic<int> default_method{static_cast<int>(StartMethod::kFork)};
}  // namespace

StartMethod default_start_method() noexcept {
    return static_cast<StartMethod>(default_method.load(std::memory_order_relaxed));
}

void set_default_start_method(StartMethod method) {
    if (method == StartMethod::kDefault) method = StartMethod::kFork;
    if (method != StartMethod::kFork && method != StartMethod::kSpawn &&
        method != StartMethod::kForkserver) {
        throw Error(kInvalid, "set_start_method: " + std::to_string(static_cast<int>(method)) +
                                  " is not a start method (fork 1, spawn 2, forkserver 3)");
    }
    default_method.store(static_cast<int>(method), std::memory_order_relaxed);
}

void detail::run_as_child(const task::Task &task, const std::string &name, bool daemon,
                          pid_t parent, pid_t forked_by) noexcept {
    if (daemon) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died between fork() and prctl(): then no signal will come,
        // and we are an orphan already. Die as the parent's death would have had us die.
        if (::getppid() != forked_by) {
            ::kill(::getpid(), SIGKILL);
            ::_exit(1);
        }
    }
    process_counter.store(0, std::memory_order_relaxed);
    detail::become_child(name.data(), name.size(), parent);

    int code = 1;
    try {
        code = task::exit_code_of(task.call());
    } catch (const std::exception &e) {
        std::fflush(stdout);
        write_stderr("mproc: " + label_of(name) + ": " + e.what() + "\n");
        ::_exit(1);
    } catch (...) {
        // Also a forced unwind (pthread_exit in the task): leaving here ends it.
        std::fflush(stdout);
        write_stderr("mproc: " + label_of(name) + ": unknown error\n");
        ::_exit(1);
    }
    // What the task printed must not be lost to _exit (stdio was flushed before fork, so
    // nothing of the parent's is written twice). Not exit(): the parent's atexit handlers
    // and static destructors are not ours to run.
    std::fflush(nullptr);
    ::_exit(code);
}

Process::Process(task::Task target, std::optional<std::string> name, bool daemon,
                 StartMethod method) {
    const unsigned n = process_counter.fetch_add(1, std::memory_order_relaxed) + 1;
    std::string chosen = name ? std::move(*name) : "Process-" + std::to_string(n);
    if (chosen.size() > kNameMax) {
        throw Error(kInvalid, "process: name of " + std::to_string(chosen.size()) +
                                  " bytes is over the limit of " + std::to_string(kNameMax));
    }
    if (!target.complete()) {
        throw Error(kInvalid, label_of(chosen) + ": the task is incomplete: its signature '" +
                                  target.signature() + "' has more arguments than were given");
    }
    if (method != StartMethod::kDefault && method != StartMethod::kFork &&
        method != StartMethod::kSpawn && method != StartMethod::kForkserver) {
        throw Error(kInvalid, label_of(chosen) + ": " + std::to_string(static_cast<int>(method)) +
                                  " is not a start method (fork 1, spawn 2, forkserver 3)");
    }
    if ((method == StartMethod::kSpawn || method == StartMethod::kForkserver) &&
        target.is_function()) {
        throw Error(kInvalid,
                    label_of(chosen) + ": a function-pointer task cannot run in a " +
                        (method == StartMethod::kSpawn ? "spawned process" : "forkserver child") +
                        " (it means nothing in another program): use a task "
                        "reference, or the fork start method");
    }
    state_ = std::make_unique<State>(std::move(target), std::move(chosen), daemon);
    state_->method = method;
}

Process::Process(Process &&) noexcept = default;

Process::~Process() {
    if (state_ == nullptr || state_->phase.load(std::memory_order_acquire) != kStarted) return;
    if (state_->starter != sync::current_pid()) return;
    // Reap now if it has ended; a child still running stays in the registry.
    try {
        state_->child->reap_if_ended();
    } catch (...) {
    }
}

const std::string &Process::name() const noexcept {
    return state_->name;
}

bool Process::daemon() const noexcept {
    return state_->daemon;
}

void Process::start() {
    int expected = kNew;
    if (!state_->phase.compare_exchange_strong(expected, kStarting, std::memory_order_acq_rel)) {
        throw Error(kInvalid, label_of(state_->name) + ": started already");
    }
    try {
        Child::Reservation reservation = Child::reserve(label_of(state_->name));
        const pid_t parent = ::getpid();
        const StartMethod method =
            state_->method == StartMethod::kDefault ? default_start_method() : state_->method;
        pid_t pid = -1;
        if (method == StartMethod::kForkserver) {
            forkserver::StartedChild started = forkserver::start_child(
                state_->task, state_->name, state_->daemon, label_of(state_->name));
            state_->child = reservation.commit_relayed(started.pid, started.pidfd.release(),
                                                       started.channel.release());
        } else if (method == StartMethod::kSpawn) {
            pid = spawn_worker(state_->task, state_->name, state_->daemon, label_of(state_->name));
        } else {
            // Buffered output of ours would otherwise be written again by the child's flush.
            std::fflush(nullptr);
            pid = ::fork();
            if (pid == 0) {
                detail::run_as_child(state_->task, state_->name, state_->daemon, parent, parent);
            }
            if (pid < 0) {
                const int err = errno;
                throw_errno(err, label_of(state_->name) + ": fork");
            }
        }
        if (method != StartMethod::kForkserver) state_->child = reservation.commit(pid);
        state_->starter = static_cast<std::uint32_t>(parent);
        state_->phase.store(kStarted, std::memory_order_release);
    } catch (...) {
        state_->phase.store(kNew, std::memory_order_release);
        throw;
    }
}

std::shared_ptr<Child> Process::started_child(const char *what) const {
    if (state_->phase.load(std::memory_order_acquire) != kStarted) {
        throw Error(kInvalid, label_of(state_->name) + ": " + what + ": not started");
    }
    if (state_->starter != sync::current_pid()) {
        throw Error(kInvalid, label_of(state_->name) + ": " + what +
                                  ": it was started by process " + std::to_string(state_->starter) +
                                  ", and only that one may wait for or signal it");
    }
    return state_->child;
}

Status Process::join(const sync::Deadline &deadline) {
    return started_child("join")->wait(deadline);
}

bool Process::is_alive() {
    if (state_->phase.load(std::memory_order_acquire) != kStarted) return false;
    return !started_child("is_alive")->reap_if_ended();
}

std::optional<int> Process::exitcode() {
    if (state_->phase.load(std::memory_order_acquire) != kStarted) return std::nullopt;
    int code = 0;
    bool known = false;
    if (!started_child("exitcode")->exit_code(&code, &known)) return std::nullopt;
    if (!known && state_->child->relayed()) {
        throw Error(kSystem, label_of(state_->name) +
                                 ": exitcode: the forkserver died before it could report how "
                                 "the child ended: its status is unknown");
    }
    if (!known) {
        throw Error(kSystem, label_of(state_->name) +
                                 ": exitcode: the child was reaped outside mproc (SIGCHLD "
                                 "ignored, or waitpid(-1) elsewhere): its status is unknown");
    }
    return code;
}

pid_t Process::pid() const noexcept {
    if (state_->phase.load(std::memory_order_acquire) != kStarted) return 0;
    return state_->child->pid();
}

bool Process::started_here() const noexcept {
    return state_->phase.load(std::memory_order_acquire) == kStarted &&
           state_->starter == sync::current_pid();
}

void Process::send_signal(int signum) {
    std::shared_ptr<Child> child = started_child("send_signal");
    if (signum < 1 || signum > SIGRTMAX) {
        throw Error(kInvalid, label_of(state_->name) + ": send_signal: " + std::to_string(signum) +
                                  " is not a signal number (1 to " + std::to_string(SIGRTMAX) +
                                  ")");
    }
    child->send_signal(signum);
}

int Process::fd() const {
    std::shared_ptr<Child> child = started_child("fd");
    if (child->relayed()) return child->channel();
    int error = 0;
    const int fd = child->pidfd(&error);
    if (fd < 0) {
        throw Error(kSystem, label_of(state_->name) +
                                 ": no pidfd for the child: pidfd_open: " + std::strerror(error) +
                                 (error == ENOSYS ? " (Linux before 5.3)" : ""));
    }
    return fd;
}

std::vector<pid_t> active_children() {
    // The Popen children nobody waits for any more (closed while running) are reaped here
    // too, as mproc.h promises: multiprocessing.active_children() is where Python reaps.
    subprocess::reap_finished();
    forkserver::reap_server_if_exited();
    return Child::active();
}

}  // namespace mproc::core::process
