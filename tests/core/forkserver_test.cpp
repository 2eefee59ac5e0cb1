// The forkserver start method: children are forks of one server (mproc-worker in server
// mode), reused across starts; exit codes and signals as with fork; the status channel as
// the Process's fd; the child's stdout, stderr and name; active_children lists the children
// but not the server; function tasks refused; the default method; a missing worker; a
// killed server (its daemon children die, the others run on with an unknown status, and
// the next start starts a new server); a fork child starts a server of its own; many
// threads starting at once; the server ends with its client.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "process/forkserver.hpp"
#include "process/process.hpp"
#include "task/task.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kInvalid;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kSystem;
using mproc::core::kTimedOut;
using mproc::core::process::active_children;
using mproc::core::process::Process;
using mproc::core::process::StartMethod;
using mproc::core::task::Task;
namespace process = mproc::core::process;
namespace forkserver = mproc::core::process::forkserver;

namespace {

constexpr StartMethod kFs = StartMethod::kForkserver;

Task abs_of(int value) {
    Task t = Task::reference("libc.so.6", "abs", "i(i)");
    t.add_int(value);
    return t;
}

Task sleep_for_s(unsigned seconds) {
    Task t = Task::reference("libc.so.6", "sleep", "I(I)");
    t.add_uint(seconds);
    return t;
}

// Kills and joins a child that a failing test left running.
struct KillOnExit {
    Process &p;
    ~KillOnExit() {
        try {
            if (p.started_here() && p.is_alive()) {
                p.send_signal(SIGKILL);
                p.join(after(20));
            }
        } catch (...) {
        }
    }
};

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

// Field 4 of /proc/PID/stat (the parent's pid), or 0.
pid_t parent_of(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    FILE *f = std::fopen(path, "r");
    if (f == nullptr) return 0;
    char buf[512] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char *paren = std::strrchr(buf, ')');
    char state = 0;
    int ppid = 0;
    if (paren == nullptr || std::sscanf(paren + 1, " %c %d", &state, &ppid) != 2) return 0;
    return static_cast<pid_t>(ppid);
}

bool gone(pid_t pid) {
    const char state = task_state(static_cast<std::uint32_t>(pid));
    return state == 0 || state == 'Z' || state == 'X';
}

bool contains(const std::vector<pid_t> &pids, pid_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Points descriptor `target` at a fresh pipe for a scope; text() reads what has arrived
// until `wanted` shows up (or 20 s passed). Reads without waiting for the end of the pipe:
// a server started meanwhile would hold its write end.
class Capture {
  public:
    explicit Capture(int target) : target_(target) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
        read_ = fds[0];
        std::fflush(nullptr);
        saved_ = ::dup(target);
        ::dup2(fds[1], target);
        ::close(fds[1]);
    }
    void restore() {
        if (saved_ < 0) return;
        std::fflush(nullptr);
        ::dup2(saved_, target_);
        ::close(saved_);
        saved_ = -1;
    }
    ~Capture() {
        restore();
        ::close(read_);
    }
    std::string text_until(const std::string &wanted) {
        std::string text;
        const auto end = std::chrono::steady_clock::now() + 20s;
        while (text.find(wanted) == std::string::npos && std::chrono::steady_clock::now() < end) {
            if (!readable(read_, 100)) continue;
            char buf[512];
            const ssize_t n = ::read(read_, buf, sizeof buf);
            if (n <= 0) break;
            text.append(buf, static_cast<std::size_t>(n));
        }
        return text;
    }

  private:
    int target_;
    int read_ = -1;
    int saved_ = -1;
};

}  // namespace

TEST(Forkserver, ChildrenAreForksOfOneServer) {
    Task add = Task::reference(MPROC_TEST_TASKS_LIB, "add", "i(ii)");
    add.add_int(3);
    add.add_int(4);
    Process p(add, std::string("adder"), false, kFs);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(60)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);
    const pid_t server = forkserver::server_pid_for_testing();
    ASSERT_GT(server, 0);
    // The server is mproc-worker, our child, and no child in active_children's sense.
    char exe[4096] = {};
    const std::string link = "/proc/" + std::to_string(server) + "/exe";
    const ssize_t n = ::readlink(link.c_str(), exe, sizeof exe - 1);
    EXPECT_NE(std::string(exe, n > 0 ? static_cast<std::size_t>(n) : 0).find("mproc-worker"),
              std::string::npos);
    EXPECT_EQ(parent_of(server), ::getpid());

    Process q(sleep_for_s(60), std::nullopt, false, kFs);
    KillOnExit guard_q{q};
    q.start();
    EXPECT_EQ(forkserver::server_pid_for_testing(), server);  // reused
    EXPECT_EQ(parent_of(q.pid()), server);
    std::vector<pid_t> running = active_children();
    EXPECT_TRUE(contains(running, q.pid()));
    EXPECT_FALSE(contains(running, server));
    q.send_signal(SIGKILL);
    ASSERT_EQ(q.join(after(60)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), -SIGKILL);
    EXPECT_FALSE(contains(active_children(), q.pid()));
    // The server reaped it before it told us: nothing of it is left.
    EXPECT_TRUE(eventually(
        [&] {
            return task_state(static_cast<std::uint32_t>(q.pid())) == 0 ||
                   parent_of(q.pid()) != server;
        },
        20s));
}

TEST(Forkserver, ExitCodesAndSignalsAreAsWithFork) {
    for (int value : {0, -3, 255, 256 + 5}) {
        Process p(abs_of(value), std::nullopt, false, kFs);
        KillOnExit guard{p};
        p.start();
        ASSERT_EQ(p.join(after(60)), kOk);
        EXPECT_EQ(p.exitcode().value_or(-1000), std::abs(value) & 0xff) << value;
    }
    for (int sig : {SIGKILL, SIGTERM, SIGUSR1}) {
        Process p(sleep_for_s(60), std::nullopt, false, kFs);
        KillOnExit guard{p};
        p.start();
        EXPECT_TRUE(p.is_alive());
        p.send_signal(sig);
        ASSERT_EQ(p.join(after(60)), kOk);
        EXPECT_EQ(p.exitcode().value_or(-1000), -sig);
        EXPECT_FALSE(p.is_alive());
        // After the end, signals are dropped silently.
        EXPECT_EQ(status_of([&] { p.send_signal(SIGKILL); }), kOk);
    }
}

TEST(Forkserver, JoinTimesOutAndTheFdTellsTheEnd) {
    Process p(sleep_for_s(60), std::nullopt, false, kFs);
    KillOnExit guard{p};
    EXPECT_EQ(status_of([&] { p.fd(); }), kInvalid);
    p.start();
    const int fd = p.fd();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(p.fd(), fd);
    EXPECT_FALSE(readable(fd, 0));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.join(after(0.3)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_EQ(p.join(after(0)), kTimedOut);
    EXPECT_TRUE(p.is_alive());
    EXPECT_FALSE(p.exitcode().has_value());
    p.send_signal(SIGTERM);
    EXPECT_TRUE(readable(fd, 30'000));
    ASSERT_EQ(p.join(after(60)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), -SIGTERM);
    EXPECT_EQ(p.join(after(0)), kOk);  // again: fine
}

TEST(Forkserver, IsAliveAloneSeesTheEnd) {
    Process p(abs_of(-9), std::nullopt, false, kFs);
    KillOnExit guard{p};
    p.start();
    ASSERT_TRUE(eventually([&] { return !p.is_alive(); }, 30s));
    EXPECT_EQ(p.exitcode().value_or(-1000), 9);
}

TEST(Forkserver, TheChildWritesToTheClientsStdoutAndStderrOfTheMoment) {
    {  // the server must exist before the redirection, to prove that it is not inherited
        Process warm(abs_of(0), std::nullopt, false, kFs);
        warm.start();
        ASSERT_EQ(warm.join(after(60)), kOk);
    }
    Capture out(STDOUT_FILENO);
    Task puts_task = Task::reference("libc.so.6", "puts", "i(s)");
    puts_task.add_string("hello from a forkserver child");
    Process p(puts_task, std::nullopt, false, kFs);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(60)), kOk);
    out.restore();
    EXPECT_NE(out.text_until("hello from a forkserver child").find("hello from a forkserver child"),
              std::string::npos);

    // A task that cannot be called: exit 1, and the reason, with the Process's name, on
    // the stderr that was ours when it started.
    Capture err(STDERR_FILENO);
    Task missing = Task::reference(MPROC_TEST_TASKS_LIB, "no_such_function", "i()");
    Process q(missing, std::string("fs-lost"), false, kFs);
    KillOnExit guard_q{q};
    q.start();
    err.restore();
    ASSERT_EQ(q.join(after(60)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), 1);
    const std::string text = err.text_until("no_such_function");
    EXPECT_NE(text.find("mproc: process 'fs-lost': "), std::string::npos) << text;
}

TEST(Forkserver, FunctionTasksAreRefusedAndTheDefaultCanBeForkserver) {
    Task fn = Task::function([](void *) { return 0; }, nullptr);
    EXPECT_EQ(status_of([&] { Process(fn, std::nullopt, false, kFs); }), kInvalid);
    process::set_default_start_method(kFs);
    EXPECT_EQ(process::default_start_method(), kFs);
    Process p(fn, std::nullopt, false);
    EXPECT_EQ(status_of([&] { p.start(); }), kInvalid);
    EXPECT_EQ(p.pid(), 0);
    Process q(abs_of(-6), std::nullopt, false);
    KillOnExit guard{q};
    q.start();
    process::set_default_start_method(StartMethod::kDefault);
    EXPECT_EQ(process::default_start_method(), StartMethod::kFork);
    ASSERT_EQ(q.join(after(60)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), 6);
}

TEST(Forkserver, AMissingWorkerIsNotFoundAtStart) {
    // In a fork child: a fresh process has no server yet, so it must look for the program.
    const pid_t child = run_in_child([] {
        ::setenv("MPROC_WORKER", "/nonexistent/mproc-worker", 1);
        Process p(abs_of(1), std::nullopt, false, kFs);
        std::string message;
        if (status_of([&] { p.start(); }, &message) != kNotFound) return 1;
        if (message.find("forkserver") == std::string::npos) return 2;
        if (p.pid() != 0) return 3;
        ::unsetenv("MPROC_WORKER");
        p.start();  // unstarted after the failure
        if (p.join(after(60)) != kOk) return 4;
        return p.exitcode().value_or(-1000) == 1 ? 0 : 5;
    });
    EXPECT_EQ(wait_child(child, 120s), 0);
}

TEST(Forkserver, AForkChildStartsAServerOfItsOwn) {
    Process warm(abs_of(0), std::nullopt, false, kFs);
    warm.start();
    ASSERT_EQ(warm.join(after(60)), kOk);
    const pid_t ours = forkserver::server_pid_for_testing();
    ASSERT_GT(ours, 0);
    const pid_t child = run_in_child([&] {
        if (forkserver::server_pid_for_testing() != 0) return 1;
        Process p(abs_of(-11), std::nullopt, false, kFs);
        p.start();
        const pid_t theirs = forkserver::server_pid_for_testing();
        if (theirs == 0 || theirs == ours) return 2;
        if (parent_of(theirs) != ::getpid()) return 3;
        if (p.join(after(60)) != kOk) return 4;
        return p.exitcode().value_or(-1000) == 11 ? 0 : 5;
    });
    EXPECT_EQ(wait_child(child, 120s), 0);
    EXPECT_EQ(forkserver::server_pid_for_testing(), ours);
}

TEST(Forkserver, AKilledServerIsReplacedAndItsChildrenAreAccountedFor) {
    Process warm(abs_of(0), std::nullopt, false, kFs);
    warm.start();
    ASSERT_EQ(warm.join(after(60)), kOk);
    Process daemon(sleep_for_s(60), std::string("fs-daemon"), true, kFs);
    Process plain(sleep_for_s(60), std::string("fs-plain"), false, kFs);
    KillOnExit guard_d{daemon}, guard_p{plain};
    daemon.start();
    plain.start();
    const pid_t old_server = forkserver::server_pid_for_testing();
    ASSERT_GT(old_server, 0);
    ASSERT_EQ(::kill(old_server, SIGKILL), 0);

    // The daemon child dies with the server (PR_SET_PDEATHSIG); its status is lost.
    ASSERT_EQ(daemon.join(after(60)), kOk);
    EXPECT_EQ(status_of([&] { daemon.exitcode(); }), kSystem);
    // The other runs on, still ours to signal (through its pidfd, or its pid).
    EXPECT_TRUE(plain.is_alive());
    EXPECT_TRUE(contains(active_children(), plain.pid()));
    plain.send_signal(SIGKILL);
    ASSERT_EQ(plain.join(after(60)), kOk);
    std::string message;
    EXPECT_EQ(status_of([&] { plain.exitcode(); }, &message), kSystem);
    EXPECT_NE(message.find("forkserver died"), std::string::npos) << message;

    // The next start starts a new server; the old one is reaped, not left a zombie.
    Process next(abs_of(-12), std::nullopt, false, kFs);
    KillOnExit guard_n{next};
    next.start();
    ASSERT_EQ(next.join(after(60)), kOk);
    EXPECT_EQ(next.exitcode().value_or(-1000), 12);
    const pid_t new_server = forkserver::server_pid_for_testing();
    EXPECT_GT(new_server, 0);
    EXPECT_NE(new_server, old_server);
    EXPECT_TRUE(eventually(
        [&] {
            (void)active_children();
            int status = 0;
            return ::waitpid(old_server, &status, WNOHANG) < 0 && errno == ECHILD;
        },
        20s));
}

TEST(Forkserver, ADeadServerFoundByActiveChildrenIsReaped) {
    Process warm(abs_of(0), std::nullopt, false, kFs);
    warm.start();
    ASSERT_EQ(warm.join(after(60)), kOk);
    const pid_t server = forkserver::server_pid_for_testing();
    ASSERT_GT(server, 0);
    ASSERT_EQ(::kill(server, SIGKILL), 0);
    EXPECT_TRUE(eventually(
        [&] {
            (void)active_children();
            return forkserver::server_pid_for_testing() == 0;
        },
        20s));
    int status = 0;
    EXPECT_TRUE(::waitpid(server, &status, WNOHANG) < 0 && errno == ECHILD);
}

TEST(Forkserver, ManyThreadsStartAtOnce) {
    constexpr int kThreads = 4;
    constexpr int kEach = 5;
    std::atomic<int> right{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const int value = t * 10 + i;
                try {
                    Process p(abs_of(-value), std::nullopt, false, kFs);
                    p.start();
                    if (p.join(after(60)) == kOk && p.exitcode().value_or(-1) == value) {
                        right.fetch_add(1);
                    }
                } catch (const std::exception &e) {
                    ADD_FAILURE() << e.what();
                }
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(right.load(), kThreads * kEach);
}

TEST(Forkserver, TheServerEndsWithItsClientAndTakesTheDaemonsAlong) {
    struct Board {
        std::atomic<int> ready{0};
        std::atomic<int> server{0};
        std::atomic<int> daemon_pid{0};
        std::atomic<int> plain_pid{0};
    };
    Shared<Board> board;
    const pid_t client = run_in_child([&] {
        Process d(sleep_for_s(60), std::nullopt, true, kFs);
        Process p(sleep_for_s(60), std::nullopt, false, kFs);
        d.start();
        p.start();
        board->server.store(forkserver::server_pid_for_testing());
        board->daemon_pid.store(d.pid());
        board->plain_pid.store(p.pid());
        board->ready.store(1);
        return 0;  // exits with both running: _exit, no destructors
    });
    EXPECT_EQ(wait_child(client, 120s), 0);
    ASSERT_EQ(board->ready.load(), 1);
    const pid_t server = board->server.load();
    const pid_t plain = board->plain_pid.load();
    EXPECT_TRUE(eventually([&] { return gone(server); }, 30s));
    EXPECT_TRUE(eventually([&] { return gone(board->daemon_pid.load()); }, 30s));
    // The non-daemon child runs on (reparented); end it.
    EXPECT_FALSE(gone(plain));
    ::kill(plain, SIGKILL);
    EXPECT_TRUE(eventually([&] { return gone(plain); }, 30s));
}
