// Child: one child process that this process started and must reap, and the registry of
// those not reaped yet (multiprocessing's process._children), which active_children()
// reads and prunes.
//
// Reaping. Only Child reaps its pid, always with waitpid(pid, WNOHANG) under its mutex,
// and records the status once. Signals are sent under the same mutex and only before the
// reap, so a signal never reaches a pid that the kernel may have given to another process
// since; with a pidfd (Linux >= 5.1/5.3) they go through pidfd_send_signal, which names the
// process itself rather than its number. A program that reaps behind our back
// (SIGCHLD ignored, waitpid(-1) in a handler) makes waitpid fail with ECHILD: the child is
// then taken as ended with an unknown status (exit_known() false).
//
// Waiting. A pidfd polls readable once its process has ended, so a timed wait is one
// ppoll(); without pidfd_open (ENOSYS) it is a waitpid(WNOHANG) loop with short sleeps.
//
// Relayed children. A forkserver child (forkserver.hpp) is the server's child, not ours:
// the server reaps it and writes its wait status on the child's status channel. For such
// a Child, "reaped" means that the status (or the end of the channel: the server died, the
// status is unknown) has been read; waiting is a poll on the channel; signals go through
// the pidfd that the child sent of itself, else to the pid while no status has been read
// (the race of CPython's forkserver: see forkserver.hpp).
//
// Processes. A Child belongs to the process that started it. The registry notices that it
// was inherited across fork() (its owner pid is not ours) and starts empty there: those
// are our siblings, not our children. Its mutex is held across fork() (pthread_atfork) so
// that a child never inherits it locked by a thread that does not exist there.
#pragma once

#include <sys/types.h>

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "error.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::process {

class Child {
  public:
    // What start() needs before fork(), so that nothing can fail after it: the Child (its
    // pid unknown yet) and its node in the registry.
    class Reservation {
      public:
        // In the parent, after fork(): records the pid, opens the pidfd (or falls back to
        // polling) and registers the child. Never throws: the child runs already.
        std::shared_ptr<Child> commit(pid_t pid) noexcept;
        // The same for a forkserver child: takes the pidfd (or -1) and the status channel,
        // whose first record (the pid) has been read.
        std::shared_ptr<Child> commit_relayed(pid_t pid, int pidfd, int channel) noexcept;

      private:
        friend class Child;
        Reservation() = default;
        std::list<std::shared_ptr<Child>> node_;
    };
    // label: "process 'name'", for messages. Throws std::bad_alloc.
    static Reservation reserve(std::string label);

    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;
    ~Child();  // closes the pidfd and the channel

    pid_t pid() const noexcept { return pid_; }
    // The pidfd, or -1 with the errno of pidfd_open in *error.
    int pidfd(int *error) const noexcept;
    // A forkserver child's: true, and its status channel (readable once it ended).
    bool relayed() const noexcept { return channel_ >= 0; }
    int channel() const noexcept { return channel_; }

    // Reaps it if it has ended. True once it has ended (now or before).
    bool reap_if_ended();
    // Waits up to the deadline for the end, and reaps. kOk or kTimedOut.
    Status wait(const sync::Deadline &deadline);
    // Once reaped: true, *code = the exit status or minus the signal number, *known =
    // false if someone else reaped it (then *code is 0). False while it runs.
    bool exit_code(int *code, bool *known);
    // Sends signum unless it has been reaped (then nothing happens). Throws Error.
    void send_signal(int signum);

    // The pids of the registered children still running; reaps and drops the others.
    static std::vector<pid_t> active();

    // Tests: children started from now on behave as on a kernel without pidfd_open.
    static void disable_pidfd_for_testing(bool disable) noexcept;

  private:
    struct Token {};  // make_shared needs a public constructor; this keeps it ours

  public:
    Child(Token, std::string label);

  private:
    bool reap_locked();         // under mutex_
    bool read_status_locked();  // under mutex_, for a relayed child
    void unregister() noexcept;

    // Written once by commit(), before the Child is shared with anyone.
    pid_t pid_ = 0;
    int pidfd_ = -1;
    int pidfd_error_ = 0;
    int channel_ = -1;
    const std::string label_;

    std::mutex mutex_;
    bool reaped_ = false;
    bool known_ = false;
    int code_ = 0;
};

}  // namespace mproc::core::process
