// Popen: one started child program, like Python's subprocess.Popen: its pid, its pipes,
// waiting for it (with a timeout), signalling it, and communicate().
//
// Reaping. The child is reaped by poll(), wait() or communicate(), whichever first sees it
// end; its returncode is then kept (the exit status, or minus the signal that ended it).
// Signals are sent only while it has not been reaped, under the same lock as the reaping,
// so a signal can never reach another process that got the pid again. close() of a child
// that still runs neither kills nor waits for it: it goes on the process-wide "reap later"
// list (subprocess/reaper.hpp), which reap_finished() sweeps — Popen::start calls it, and
// so does mproc_active_children — so it does not stay a zombie. No SIGCHLD handler is
// installed. If SIGCHLD is ignored (SIG_IGN), the kernel reaps children itself and their
// status is lost: the returncode is then 0, as in Python.
//
// Waiting with a timeout sleeps in poll() on a pidfd of the child (pidfd_open, Linux >=
// 5.3); without one (older kernels, seccomp), it polls waitpid(WNOHANG) with a backoff
// from 0.5 ms to 50 ms.
//
// communicate() writes the input, reads stdout and stderr, all in one poll() loop, so it
// cannot deadlock whatever the sizes; stdin is written non-blocking (O_NONBLOCK for the
// time of the call), in pieces of at most 1 MiB. A child that stops reading (EPIPE) ends
// the input, as in Python, and no SIGPIPE reaches the caller: SIGPIPE is blocked in the
// calling thread around the writes, and the one a write raised is taken with sigtimedwait
// before it is unblocked (it is directed at the writing thread). At the timeout it returns
// kTimedOut and keeps what it read and what it has still to write (a copy): the next call
// goes on from there. The pipes must not be read or written by anyone else meanwhile.
//
// Threads. Every call may come from any thread. communicate() calls are serialised. close()
// wakes the calls blocked in wait() or communicate() (they return kClosed), waits for them
// to leave, and closes the pipes.
//
// Processes. A Popen belongs to the process that started the child: in a forked child of
// that process, calls other than close() throw Error(kInvalid), and close() only closes the
// descriptors it inherited.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "subprocess/spawn.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::subprocess {

// What communicate() collected: each points to all that the child wrote to that pipe
// (nullptr for a stream that is not a pipe), owned by the Popen, unchanged until it is
// destroyed once communicate() returned kOk.
struct Communicated {
    const std::string *out = nullptr;
    const std::string *err = nullptr;
    int returncode = 0;
};

class Popen {
  public:
    // Starts the child (see spawn.hpp for what it gets, and the errors thrown). Sweeps the
    // reap-later list first.
    static Popen start(const std::vector<std::string> &argv, const SpawnOptions &options);

    Popen(Popen &&other) noexcept;
    Popen &operator=(Popen &&) = delete;
    Popen(const Popen &) = delete;
    Popen &operator=(const Popen &) = delete;
    ~Popen();  // close()

    // "pid 1234 (sleep)": for error messages.
    const std::string &name() const noexcept;
    pid_t pid() const noexcept;

    // kOk and *returncode once the child ended (reaping it), kEmpty while it runs. Never
    // blocks. kClosed after close().
    Status poll(int *returncode);
    // As poll, waiting up to the deadline: kOk, kTimedOut, kClosed.
    Status wait(const sync::Deadline &deadline, int *returncode);

    // Sends `signum` (0 only checks) unless the child has been reaped (then nothing). kOk,
    // kClosed; throws Error(kInvalid) for a signal number out of range.
    Status send_signal(int signum);
    Status terminate() { return send_signal(15); }
    Status kill() { return send_signal(9); }

    // The caller's end of the stream's pipe (0 stdin, 1 stdout, 2 stderr), or -1 if it is
    // not a pipe; *closed_by_communicate says whether it was one that communicate closed.
    int pipe_fd(int stream, bool *closed_by_communicate = nullptr) const;

    // Feeds input[0..length) to stdin and closes it, reads stdout and stderr to their end,
    // then waits for the child, all by the deadline: kOk (*result filled), kTimedOut (the
    // next call goes on: see the top of this file), kClosed. The input goes to the first
    // call; a call that goes on after a timeout must pass no input (nullptr, 0) or the
    // same (pointer and length) again, which is then not sent twice. Throws Error(kInvalid)
    // for input when stdin is not a pipe (or another input on a call that goes on),
    // Error(kSystem) for I/O errors.
    Status communicate(const void *input, std::size_t length, const sync::Deadline &deadline,
                       Communicated *result);

    // For run(): moves out what communicate() read so far.
    void take_output(std::string *out, std::string *err);

    // See the top of this file. Idempotent.
    void close() noexcept;

    // Tests: wait without the pidfd (the backoff loop of older kernels).
    void use_polling_wait_for_testing() noexcept;
    bool has_pidfd() const noexcept;

  private:
    struct State;
    explicit Popen(std::unique_ptr<State> state) noexcept;
    std::unique_ptr<State> state_;
};

}  // namespace mproc::core::subprocess
