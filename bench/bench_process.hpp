// Child processes for the benchmarks: CPU pinning, forked participants watched by a deadline,
// and running an external program (python3) with its output captured. Every child started
// here is reaped before the function that started it returns, whatever happens.
#pragma once

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "bench_clock.hpp"

namespace mproc_bench {

// The CPUs this process may run on, in increasing order.
inline std::vector<int> usable_cpus() {
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
    return cpus;
}

// Restricts the calling process to one CPU, or to `cpus` when given a set. Returns false if
// the kernel refused; the benchmark then runs unpinned, which only adds noise.
inline bool pin_to_cpus(const std::vector<int> &cpus) {
    if (cpus.empty()) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus)
        CPU_SET(c, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

inline bool pin_to_cpu(int cpu) {
    return cpu >= 0 && pin_to_cpus({cpu});
}

// A forked participant. The child holds the write end of a pipe and never writes to it; the
// pipe hangs up when the child exits, so the parent can sleep in poll() with a deadline
// instead of polling waitpid() (which would wake it up and steal CPU from the participants).
struct Child {
    pid_t pid = -1;
    int exit_fd = -1;
    bool reaped = false;
    int status = 0;
};

// Forks a child that pins itself to `cpu` (if >= 0), runs fn() and _exit()s with its result
// (an escaping exception counts as failure). The child never returns into the caller and
// never runs atexit handlers or flushes stdio buffers it inherited.
inline bool start_child(Child &c, const std::function<int()> &fn, int cpu) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    // Nothing buffered may be copied into the child, where a flush would print it twice.
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        if (cpu >= 0) pin_to_cpu(cpu);
        int rc = 1;
        try {
            rc = fn();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "bench child: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "bench child: unknown exception\n");
        }
        _exit(rc);
    }
    // Closed at once so that a child forked later does not inherit this write end and keep
    // the pipe open after this child exits.
    close(fds[1]);
    c.pid = pid;
    c.exit_fd = fds[0];
    c.reaped = false;
    return true;
}

inline void reap(Child &c) {
    if (c.reaped || c.pid < 0) return;
    while (waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
    }
    if (c.exit_fd >= 0) close(c.exit_fd);
    c.exit_fd = -1;
    c.reaped = true;
}

inline bool exited_ok(const Child &c) {
    return WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0;
}

// Waits for every child to exit, at most `deadline_s` seconds. As soon as one fails, or
// when the deadline passes, the others are killed (they may be blocked forever waiting for
// the failed one). All are reaped on return. Returns true if all exited with status 0;
// otherwise `why` says what happened.
inline bool wait_children(std::vector<Child> &children, double deadline_s, std::string &why) {
    const int64_t deadline = now_ns() + static_cast<int64_t>(deadline_s * 1e9);
    bool ok = true;
    auto kill_rest = [&children]() {
        for (Child &c : children) {
            if (!c.reaped && c.pid > 0) kill(c.pid, SIGKILL);
        }
        for (Child &c : children)
            reap(c);
    };
    for (;;) {
        std::vector<pollfd> pfds;
        std::vector<Child *> live;
        for (Child &c : children) {
            if (!c.reaped) {
                pfds.push_back(pollfd{c.exit_fd, POLLIN, 0});
                live.push_back(&c);
            }
        }
        if (live.empty()) break;
        const int64_t left_ms = (deadline - now_ns()) / 1000000;
        if (left_ms <= 0) {
            why = "deadline passed; children killed";
            ok = false;
            kill_rest();
            break;
        }
        const int n = poll(pfds.data(), pfds.size(), static_cast<int>(left_ms));
        if (n < 0 && errno != EINTR) {
            why = "poll failed";
            ok = false;
            kill_rest();
            break;
        }
        bool failed = false;
        for (size_t i = 0; n > 0 && i < pfds.size(); ++i) {
            if (pfds[i].revents == 0) continue;
            reap(*live[i]);
            if (!exited_ok(*live[i])) failed = true;
        }
        if (failed) {
            why = "a participant failed";
            ok = false;
            kill_rest();
            break;
        }
    }
    for (const Child &c : children) {
        if (ok && !exited_ok(c)) {
            ok = false;
            why = "a participant failed";
        }
    }
    return ok;
}

// The full path of `prog` in $PATH, or "" if it is not there.
inline std::string find_in_path(const char *prog) {
    const char *path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        if (dir.empty()) dir = ".";
        const std::string full = dir + "/" + prog;
        if (access(full.c_str(), X_OK) == 0) return full;
        start = end + 1;
    }
    return "";
}

// Result of running an external program.
struct Captured {
    bool started = false;
    bool timed_out = false;
    int status = 0;
    std::string out;  // its standard output; standard error goes to ours
};

// Runs argv[0] with `argv`, capturing its standard output, for at most `deadline_s` seconds.
// The program runs in a process group of its own so that, past the deadline, it is killed
// together with any processes it forked (python's multiprocessing children), by group id.
inline Captured run_capture(const std::vector<std::string> &argv, double deadline_s) {
    Captured r;
    int fds[2];
    if (argv.empty() || pipe(fds) != 0) return r;
    std::vector<char *> cargv;
    for (const std::string &a : argv)
        cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    setpgid(pid, pid);  // also here, so that the group exists before any kill below
    close(fds[1]);
    r.started = true;
    const int64_t deadline = now_ns() + static_cast<int64_t>(deadline_s * 1e9);
    char buf[4096];
    for (;;) {
        const int64_t left_ms = (deadline - now_ns()) / 1000000;
        if (left_ms <= 0) {
            r.timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int n = poll(&p, 1, static_cast<int>(left_ms));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            kill(-pid, SIGKILL);
            break;
        }
        if (n == 0) continue;
        const ssize_t got = read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // EOF: the program (and its children) closed stdout
        r.out.append(buf, static_cast<size_t>(got));
    }
    close(fds[0]);
    while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
    return r;
}

}  // namespace mproc_bench
