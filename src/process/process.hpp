// Process: a child process that runs a task, like multiprocessing.Process with the "fork"
// start method. The child is a copy of the caller made by fork(); it runs the task and
// leaves with _exit(the task's exit code), never returning into the caller's code and never
// running the caller's atexit handlers. A task that cannot be loaded or called exits 1
// with "mproc: process 'NAME': <why>" on stderr.
//
// Only the thread that calls start() exists in the child. Whatever another thread held at
// fork time (a lock, the malloc arena of a non-glibc allocator) stays held there for ever:
// as with Python's fork method, start processes before threads, or have tasks that touch
// nothing another thread may hold. Before the task runs the child only does
// async-signal-safe work (prctl, getppid, copies into static storage). After it, the child
// flushes stdio (fflush(NULL), as Python flushes sys.stdout) so that the task's buffered
// output is not lost to _exit; start() flushes the parent's stdio before fork() so that
// nothing is written twice. That flush is the one place where a FILE lock held by another
// thread at fork time would hang the child; the failure message goes out with write(2).
//
// Daemon children get PR_SET_PDEATHSIG(SIGKILL): the kernel kills them when the parent
// dies, even by SIGKILL. Linux ties that signal to the *thread* that forked, not to the
// process: a daemon started from a thread that then ends is killed at that moment. Start
// daemon processes from a thread that lives as long as they should (the main thread).
//
// Every started child is reaped (see child.hpp); exit codes follow Python: the exit
// status, or minus the number of the signal that killed it.
//
// Threads and processes. A Process may be used from many threads at once. Only the process
// that started a child may wait for, query or signal it: in a fork child, an inherited
// Process reports kInvalid (Python asserts the same), except that it may be destroyed.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "error.hpp"
#include "process/child.hpp"
#include "process/current_process.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::process {

// How start() makes the child (multiprocessing's start methods): kFork copies the caller
// (see above); kSpawn execs mproc-worker, which runs a task reference (spawn_start.hpp);
// kForkserver has a server (mproc-worker in server mode, started on first use) fork a
// child that runs a task reference (forkserver.hpp). kDefault is the process-wide default
// at start() time: kFork unless set.
enum class StartMethod : int { kDefault = 0, kFork = 1, kSpawn = 2, kForkserver = 3 };
StartMethod default_start_method() noexcept;
// Throws Error(kInvalid) for a value that is not a start method (kDefault resets to kFork).
void set_default_start_method(StartMethod method);

class Process {
  public:
    // Not started yet. name nullopt: "Process-N", N counting the Processes made in this
    // process from 1. Throws Error(kInvalid) for an incomplete task (fewer arguments than
    // its signature) or a name over kNameMax bytes.
    // Error(kInvalid) too for a function task with kSpawn or kForkserver.
    Process(task::Task target, std::optional<std::string> name, bool daemon,
            StartMethod method = StartMethod::kDefault);

    Process(Process &&) noexcept;
    Process &operator=(Process &&) = delete;
    Process(const Process &) = delete;
    Process &operator=(const Process &) = delete;
    // A child still running is left running, and stays registered to be reaped by
    // active_children().
    ~Process();

    const std::string &name() const noexcept;
    bool daemon() const noexcept;

    // Starts the child. Throws Error(kInvalid) if started already (or a function task with
    // a default of spawn or forkserver), Error(kNotFound) without mproc-worker (spawn,
    // forkserver), Error(kNoMemory or kSystem) if fork or spawn fails.
    void start();

    // Waits up to the deadline for the child to end, and reaps it: kOk or kTimedOut.
    // Throws Error(kInvalid) if not started (or started by another process).
    Status join(const sync::Deadline &deadline);

    // True between start() and the child's end. Never blocks.
    bool is_alive();

    // The exit code once the child has ended (reaping it if needed); nullopt while it runs
    // or before start. Throws Error(kSystem) if the program reaped it behind our back
    // (SIGCHLD set to SIG_IGN, waitpid(-1)), or, for a forkserver child, if the server
    // died before it could relay the status: it ended, but with an unknown status.
    std::optional<int> exitcode();

    // The child's pid once started, else 0.
    pid_t pid() const noexcept;
    // True once started by the calling process; false before start, and in a fork child
    // for a Process inherited from its parent.
    bool started_here() const noexcept;

    // Sends signum (1 .. SIGRTMAX) to the child unless it has been reaped. Throws
    // Error(kInvalid) if not started or for a bad signal number.
    void send_signal(int signum);

    // A descriptor that polls readable once the child has ended, owned by this object: the
    // pidfd, or for a forkserver child its status channel. Throws Error(kInvalid) if not
    // started, Error(kSystem) without pidfd_open (fork and spawn).
    int fd() const;

    // For capi::Handle: nothing to wake (no call on a Process blocks on its handle).
    void close() noexcept {}

  private:
    struct State;
    // The child, once started by this process; else throws Error(kInvalid) for `what`.
    std::shared_ptr<Child> started_child(const char *what) const;

    std::unique_ptr<State> state_;
};

namespace detail {
// The child's side of start(), for every start method: from now on this process is
// `name`, started by `parent` (what parent_process() reports: the Process's owner); a
// daemon arranges to die with `forked_by`, the process that really forked it (the owner,
// or the forkserver). Runs the task and leaves with its exit code (1 and the reason on
// stderr if it fails). Never returns.
[[noreturn]] void run_as_child(const task::Task &task, const std::string &name, bool daemon,
                               pid_t parent, pid_t forked_by) noexcept;
}  // namespace detail

// The pids of the children started by Process::start in this process that are still
// running; reaps those that ended (multiprocessing.active_children()), and the finished
// subprocess children on subprocess's reap-later list.
std::vector<pid_t> active_children();

}  // namespace mproc::core::process
