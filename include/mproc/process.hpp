// mproc/process.hpp -- mproc::Process, a child process that runs an mproc::Task, like
// multiprocessing.Process; the start methods; and multiprocessing's module functions
// (active_children, cpu_count, current_process, parent_process).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/task.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// How a process starts its child (multiprocessing's start methods; see "Process" in
// mproc.h). fork: a copy of the caller, any task works, but only the calling thread exists
// in the child, so start processes before threads. spawn: a fresh mproc-worker program that
// loads a task reference by name (function-pointer tasks are invalid_argument_error); safe
// from any thread. forkserver: a fork of a server (mproc-worker in server mode, started by
// the first such start) that runs a task reference; cheaper than spawn after the first,
// as safe from any thread, function-pointer tasks are invalid_argument_error. default_:
// whatever set_start_method() chose when the process starts.
enum class start_method {
    default_ = MPROC_START_DEFAULT,
    fork = MPROC_START_FORK,
    spawn = MPROC_START_SPAWN,
    forkserver = MPROC_START_FORKSERVER,
};

// Sets the start method of processes made with start_method::default_, as
// multiprocessing.set_start_method (but it may be set again at any time; default_ restores
// fork). Applies to processes started afterwards. Throws invalid_argument_error.
inline void set_start_method(start_method method) {
    detail::check(mproc_set_start_method(static_cast<int>(method)));
}

// The start method of processes made with start_method::default_: fork unless set.
inline start_method get_start_method() {
    int method = MPROC_START_FORK;
    detail::check(mproc_get_start_method(&method));
    return static_cast<start_method>(method);
}

// Options of an mproc::Process.
struct process_options {
    // Its name(); std::nullopt: "Process-N", N counting up from 1 in this process. At most
    // MPROC_PROCESS_NAME_MAX bytes.
    std::optional<std::string> name;
    // A daemon child is killed (SIGKILL) when the thread that started it ends -- with its
    // process, even by SIGKILL -- so start daemons from a thread that lives as long as they
    // should.
    bool daemon = false;
    // How the child starts; default_: get_start_method() at start().
    start_method method = start_method::default_;
};

namespace detail {

// What the destructor of an mproc::Process does with its handle: close it, and if the
// child still runs (the C close refuses), kill the child, reap it and close again. Errors
// are dropped: it runs in a destructor.
inline int process_close_or_kill(mproc_process_t *p) {
    int rc = mproc_process_close(p);
    if (rc == MPROC_EINVAL) {
        (void)mproc_process_kill(p);
        (void)mproc_process_join(p, -1.0);
        rc = mproc_process_close(p);
    }
    return rc;
}

}  // namespace detail

// A child process that runs a task, like multiprocessing.Process: construct it (not started
// yet), start(), then join() it. The child exits with the task's int result (& 0xff; 0 for a
// task whose result is not an integer; 1 if the task could not be loaded or called, with
// the reason on its stderr). exitcode() follows Python: empty while the child runs, its exit
// status once it ended, or minus the signal number if a signal killed it (-9 after kill()).
// Every started child is reaped (by join, is_alive, exitcode, close or active_children), so
// none stays a zombie.
//
// Move-only. The destructor (and move assignment over a process) frees the object; if its
// child is still running then, it KILLS the child (SIGKILL) and waits for it to end, since
// the object cannot be freed while the child runs and leaving it would leak both. Python
// lets such a child run on; here join() it, or terminate() it and join() it, before the
// process object goes away, and use daemon for children that must die with their parent.
// (An object copied into a forked child by fork() is only freed there, never killing
// anything.) A moved-from process holds no handle and every call on it throws
// bad_handle_error. Safe to use from many threads at once.
class Process {
  public:
    // Creates a process for `target` (copied: the task may change or go away afterwards);
    // not started yet. Throws invalid_argument_error (target incomplete: fewer arguments
    // than its signature; name too long; a function-pointer task with start_method::spawn
    // or start_method::forkserver),
    // bad_handle_error (a moved-from task), out_of_memory_error.
    explicit Process(const Task &target, const process_options &options = process_options()) {
        mproc_process_options_t opts;
        detail::check(mproc_process_options_init(&opts));
        std::string name;
        if (options.name) {
            name = detail::c_string("process name", *options.name);
            opts.name = name.c_str();
        }
        opts.daemon = options.daemon ? 1 : 0;
        opts.start_method = static_cast<int>(options.method);
        mproc_process_t *h = nullptr;
        detail::check(mproc_process_create(target.handle(), &opts, &h));
        h_.reset(h);
    }

    Process(Process &&) noexcept = default;
    Process &operator=(Process &&) noexcept = default;
    ~Process() = default;

    // Starts the child with the process's start method (or the default at this moment);
    // returns once it runs (fork, forkserver) or has been handed the task (spawn). Throws
    // invalid_argument_error (started already; a function-pointer task and the spawn or
    // forkserver method), not_found_error (spawn, forkserver: no mproc-worker),
    // out_of_memory_error and system_error (fork or spawn failed), bad_handle_error.
    void start() { detail::check(mproc_process_start(h_.get())); }

    // Blocks until the child ends, and reaps it. Throws invalid_argument_error (not
    // started), bad_handle_error.
    void join() { detail::check(mproc_process_join(h_.get(), -1.0)); }

    // Waits up to `limit` for the child to end, and reaps it. Returns false if it still runs
    // at the timeout -- where Python's join returns None with is_alive() still true -- and
    // true once it ended (exitcode() is then set). A zero or negative limit only looks.
    // Throws invalid_argument_error (not started), bad_handle_error.
    bool join(timeout limit) {
        const int rc = mproc_process_join(h_.get(), limit.seconds());
        if (rc == MPROC_ETIMEDOUT) return false;
        detail::check(rc);
        return true;
    }

    // Whether the child runs: true between a successful start() and its end (reaping it if
    // it ended). Never blocks. Throws bad_handle_error.
    bool is_alive() const {
        int alive = 0;
        detail::check(mproc_process_is_alive(h_.get(), &alive));
        return alive != 0;
    }

    // The child's exit code once it ended: its exit status, or minus the signal that killed
    // it; std::nullopt before start() and while it runs (Python's None). Never blocks.
    // Throws system_error if someone else reaped the child (SIGCHLD ignored, a waitpid(-1)
    // elsewhere), so that its status is lost; bad_handle_error.
    std::optional<int> exitcode() const {
        int code = 0;
        const int rc = mproc_process_exitcode(h_.get(), &code);
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return code;
    }

    // The child's process id once started; std::nullopt before start() (Python's None).
    // Never blocks. Throws bad_handle_error.
    std::optional<int> pid() const {
        int id = 0;
        const int rc = mproc_process_pid(h_.get(), &id);
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return id;
    }

    // The name given in process_options, or "Process-N". Throws bad_handle_error.
    std::string name() const {
        char buf[MPROC_PROCESS_NAME_MAX + 1];
        detail::check(mproc_process_name(h_.get(), buf, sizeof buf));
        return std::string(buf);
    }

    // The daemon flag given in process_options. Throws bad_handle_error.
    bool daemon() const {
        int d = 0;
        detail::check(mproc_process_daemon(h_.get(), &d));
        return d != 0;
    }

    // Send SIGTERM (terminate), SIGKILL (kill) or `signum` (1 .. SIGRTMAX) to the child;
    // nothing happens if it has already ended. Never block: join() afterwards to wait for
    // the end. Throw invalid_argument_error (not started; a bad signal number),
    // bad_handle_error.
    void terminate() { detail::check(mproc_process_terminate(h_.get())); }
    void kill() { detail::check(mproc_process_kill(h_.get())); }
    void send_signal(int signum) { detail::check(mproc_process_send_signal(h_.get(), signum)); }

    // A descriptor that becomes readable when the child ends (a pidfd; for a forkserver
    // child, the channel its exit status arrives on), for poll(), epoll or an event loop;
    // owned by the process object: do not close it or read from it. Throws
    // invalid_argument_error (not started), system_error (no pidfd_open: Linux < 5.3),
    // bad_handle_error.
    int fd() const {
        int d = -1;
        detail::check(mproc_process_fd(h_.get(), &d));
        return d;
    }

    // The C handle, still owned by the process (nullptr once moved from or closed).
    mproc_process_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Frees the object now, as Python's close(): allowed once the child has ended or if it
    // was never started. While the child runs it throws invalid_argument_error and keeps
    // everything (join or kill it first). Does nothing on a moved-from or closed process.
    void close() {
        if (mproc_process_t *h = h_.get()) {
            detail::check(mproc_process_close(h));
            (void)h_.release();
        }
    }

  private:
    detail::unique_handle<mproc_process_t, detail::process_close_or_kill> h_;
};

// The process ids of the children started by mproc::Process (in any thread) that still
// run, reaping those that ended, as multiprocessing.active_children(); also reaps finished
// children of destroyed mproc::Popen objects. Never blocks.
inline std::vector<int> active_children() {
    std::vector<int> pids(16);
    for (;;) {
        std::size_t n = 0;
        const int rc = mproc_active_children(pids.data(), pids.size(), &n);
        if (rc == MPROC_ETOOBIG) {
            pids.resize(n + 16);  // more children than room: again, with room to spare
            continue;
        }
        detail::check(rc);
        pids.resize(n);
        return pids;
    }
}

// The CPUs this process may run on (its affinity mask), at least 1, as
// os.process_cpu_count().
inline int cpu_count() {
    int n = 1;
    detail::check(mproc_cpu_count(&n));
    return n;
}

// What current_process() reports.
struct process_info {
    std::string name;  // "MainProcess", or the mproc::Process's name in a child it started
    int pid = 0;       // getpid()
};

// The calling process as mproc names it, as multiprocessing.current_process().
inline process_info current_process() {
    char buf[MPROC_PROCESS_NAME_MAX + 1];
    process_info info;
    detail::check(mproc_current_process(buf, sizeof buf, &info.pid));
    info.name = buf;
    return info;
}

// The parent's process id if the caller is a child started by an mproc::Process (either
// start method), else std::nullopt, as multiprocessing.parent_process() returning None.
inline std::optional<int> parent_process() {
    int pid = 0;
    const int rc = mproc_parent_process(&pid);
    if (rc == MPROC_EEMPTY) return std::nullopt;
    detail::check(rc);
    return pid;
}

}  // namespace mproc
