// Process: exit codes (0, 3, 255, & 0xff, -signal), join with a timeout, is_alive and
// exitcode before, during and after, the pidfd, names, active_children reaping (and
// keeping the exit code for the Process), no zombies, the child's view of itself
// (current_process, parent_process, a fresh registry, nested children), stdio flushing,
// a task that cannot be called, the waitpid fallback without pidfd, many threads on one
// Process, and cpu_count.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "process/child.hpp"
#include "process/current_process.hpp"
#include "process/process.hpp"
#include "process/spawn_start.hpp"
#include "subprocess/reaper.hpp"
#include "task/task.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::kSystem;
using mproc::core::kTimedOut;
using mproc::core::process::active_children;
using mproc::core::process::Child;
using mproc::core::process::Process;
using mproc::core::task::Task;
namespace process = mproc::core::process;

#if defined(__SANITIZE_THREAD__)
#define MPROC_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MPROC_TEST_UNDER_TSAN 1
#endif
#endif
#ifndef MPROC_TEST_UNDER_TSAN
#define MPROC_TEST_UNDER_TSAN 0
#endif

namespace {

// ---- Tasks (int fn(void *)) -------------------------------------------------------------

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

Task returning(int code) {
    return Task::function(return_arg, reinterpret_cast<void *>(static_cast<std::intptr_t>(code)));
}

// What a child and its parent share: a release flag, and what the child saw.
struct Board {
    std::atomic<int> release{0};
    std::atomic<int> started{0};
    std::atomic<int> parent_pid{0};
    std::atomic<int> own_pid{0};
    std::atomic<int> active_at_start{-1};
    std::atomic<int> grandchild_code{-1000};
    char name[256];
    char grandchild_name[256];
};

// Announces itself, then waits (at most 60 s) for the parent's release; exits 7.
int wait_for_release(void *arg) {
    auto *board = static_cast<Board *>(arg);
    board->started.fetch_add(1);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (board->release.load() == 0 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return 7;
}

int sleep_a_minute(void *) {
    for (int i = 0; i < 600; ++i)
        ::usleep(100'000);
    return 0;
}

// Records the child's view of itself, and starts a Process of its own.
int look_around(void *arg) {
    auto *board = static_cast<Board *>(arg);
    const std::string name = process::current_process_name();
    std::snprintf(board->name, sizeof board->name, "%s", name.c_str());
    board->parent_pid.store(static_cast<int>(process::parent_process_pid()));
    board->own_pid.store(static_cast<int>(::getpid()));
    board->active_at_start.store(static_cast<int>(active_children().size()));
    try {
        Process grandchild(returning(9), std::nullopt, false);
        std::snprintf(board->grandchild_name, sizeof board->grandchild_name, "%s",
                      grandchild.name().c_str());
        grandchild.start();
        if (grandchild.join(after(20)) != kOk) return 2;
        board->grandchild_code.store(grandchild.exitcode().value_or(-1000));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "look_around: %s\n", e.what());
        return 3;
    }
    return 0;
}

// Kills and reaps a child that a failing test left running.
struct KillOnExit {
    Process &p;
    ~KillOnExit() {
        try {
            if (p.started_here() && p.is_alive()) {
                p.send_signal(SIGKILL);
                p.join(after(10));
            }
        } catch (...) {
        }
    }
};

// True if `pid` is no child of ours any more (reaped): waitpid says ECHILD.
bool reaped(pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

// True if `pid` has ended and waits to be reaped (WNOWAIT: this does not reap it).
bool waitable(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

bool contains(const std::vector<pid_t> &pids, pid_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

}  // namespace

// ---- Exit codes ---------------------------------------------------------------------------

TEST(Process, ExitCodeIsTheTaskResult) {
    for (int code : {0, 3, 255}) {
        Process p(returning(code), std::nullopt, false);
        KillOnExit guard{p};
        p.start();
        ASSERT_EQ(p.join(after(30)), kOk);
        ASSERT_TRUE(p.exitcode().has_value());
        EXPECT_EQ(*p.exitcode(), code);
    }
}

TEST(Process, ExitCodeIsTheLowByteOfTheResult) {
    for (auto [result, code] : {std::pair{256 + 3, 3}, std::pair{-1, 255}, std::pair{512, 0}}) {
        Process p(returning(result), std::nullopt, false);
        KillOnExit guard{p};
        p.start();
        ASSERT_EQ(p.join(after(30)), kOk);
        EXPECT_EQ(p.exitcode().value_or(-1000), code) << "result " << result;
    }
}

TEST(Process, KillGivesMinusNineAndTerminateMinusFifteen) {
    for (int sig : {SIGKILL, SIGTERM, SIGUSR1}) {
        Process p(Task::function(sleep_a_minute, nullptr), std::nullopt, false);
        KillOnExit guard{p};
        p.start();
        p.send_signal(sig);
        ASSERT_EQ(p.join(after(30)), kOk);
        EXPECT_EQ(p.exitcode().value_or(-1000), -sig);
        EXPECT_FALSE(p.is_alive());
    }
}

TEST(Process, TaskReferencesRunInTheChild) {
    // abs(-7) from the C library: an int result is the exit code.
    Task abs_task = Task::reference("libc.so.6", "abs", "i(i)");
    abs_task.add_int(-7);
    Process p(abs_task, std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);

    // cos(0.0) from libm: a double result exits 0.
    Task cos_task = Task::reference("libm.so.6", "cos", "d(d)");
    cos_task.add_double(0.0);
    Process q(cos_task, std::nullopt, false);
    KillOnExit guard_q{q};
    q.start();
    ASSERT_EQ(q.join(after(30)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), 0);
}

TEST(Process, ATaskThatCannotBeCalledExitsOneWithTheReasonOnStderr) {
    Task missing = Task::reference("libmproc-no-such-library.so", "f", "i()");
    Process p(missing, std::string("lost"), false);
    KillOnExit guard{p};
    // The child writes to descriptor 2: catch it in a pipe for the child's lifetime.
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(stderr);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    p.start();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(fds[1]);
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 1);
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    EXPECT_EQ(text.rfind("mproc: process 'lost': ", 0), 0u) << text;
    EXPECT_NE(text.find("libmproc-no-such-library.so"), std::string::npos) << text;
}

TEST(Process, AnIncompleteTaskIsRefused) {
    Task cos_task = Task::reference("libm.so.6", "cos", "d(d)");  // no argument given
    EXPECT_EQ(status_of([&] { Process p(cos_task, std::nullopt, false); }), kInvalid);
}

// ---- Waiting ------------------------------------------------------------------------------

TEST(Process, JoinTimesOutOnARunningChildThenKillEndsIt) {
    Shared<Board> board;
    Process p(Task::function(wait_for_release, &*board), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.join(after(0.3)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_EQ(p.join(after(0)), kTimedOut);
    EXPECT_TRUE(p.is_alive());
    EXPECT_FALSE(p.exitcode().has_value());
    p.send_signal(SIGKILL);
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), -SIGKILL);
    EXPECT_EQ(p.join(after(0)), kOk);  // joining again is fine
}

TEST(Process, IsAliveAndExitcodeFollowTheChild) {
    Shared<Board> board;
    Process p(Task::function(wait_for_release, &*board), std::nullopt, false);
    KillOnExit guard{p};
    EXPECT_FALSE(p.is_alive());
    EXPECT_FALSE(p.exitcode().has_value());
    EXPECT_EQ(p.pid(), 0);
    p.start();
    EXPECT_TRUE(p.is_alive());
    EXPECT_GT(p.pid(), 0);
    ASSERT_TRUE(eventually([&] { return board->started.load() == 1; }, 20s));
    EXPECT_TRUE(p.is_alive());
    EXPECT_FALSE(p.exitcode().has_value());
    board->release.store(1);
    // is_alive alone reaps: no join.
    ASSERT_TRUE(eventually([&] { return !p.is_alive(); }, 20s));
    EXPECT_TRUE(reaped(p.pid()));
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);
}

TEST(Process, NoZombieIsLeftAfterJoin) {
    Process p(returning(0), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    const pid_t pid = p.pid();
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_TRUE(reaped(pid));
    const char state = task_state(static_cast<std::uint32_t>(pid));
    EXPECT_TRUE(state == 0 || state != 'Z') << "state " << state;
}

TEST(Process, TheFdBecomesReadableWhenTheChildEnds) {
    Shared<Board> board;
    Process p(Task::function(wait_for_release, &*board), std::nullopt, false);
    KillOnExit guard{p};
    EXPECT_EQ(status_of([&] { p.fd(); }), kInvalid);
    p.start();
    const int fd = p.fd();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(p.fd(), fd);  // the same descriptor each time
    EXPECT_FALSE(readable(fd, 0));
    board->release.store(1);
    EXPECT_TRUE(readable(fd, 20'000));
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);
}

TEST(Process, WithoutPidfdJoinPollsWaitpid) {
    Child::disable_pidfd_for_testing(true);
    Shared<Board> board;
    Process p(Task::function(wait_for_release, &*board), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    Child::disable_pidfd_for_testing(false);
    std::string message;
    EXPECT_EQ(status_of([&] { p.fd(); }, &message), kSystem);
    EXPECT_NE(message.find("pidfd_open"), std::string::npos) << message;
    EXPECT_EQ(p.join(after(0.2)), kTimedOut);
    EXPECT_TRUE(p.is_alive());
    board->release.store(1);
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);
    EXPECT_TRUE(reaped(p.pid()));

    // Signals go through kill() then.
    Child::disable_pidfd_for_testing(true);
    Process q(Task::function(sleep_a_minute, nullptr), std::nullopt, false);
    KillOnExit guard_q{q};
    q.start();
    Child::disable_pidfd_for_testing(false);
    q.send_signal(SIGTERM);
    ASSERT_EQ(q.join(after(30)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), -SIGTERM);
}

TEST(Process, ManyThreadsJoinAndSignalOneProcess) {
    Process p(Task::function(sleep_a_minute, nullptr), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    std::atomic<int> joined{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            if (p.join(after(60)) == kOk) joined.fetch_add(1);
            (void)p.exitcode();
            (void)p.is_alive();
        });
    }
    threads.emplace_back([&] {
        std::this_thread::sleep_for(50ms);
        p.send_signal(SIGKILL);
        p.send_signal(SIGKILL);  // again, racing with the reap: never an error
    });
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(joined.load(), 4);
    EXPECT_EQ(p.exitcode().value_or(-1000), -SIGKILL);
}

// ---- Misuse -------------------------------------------------------------------------------

TEST(Process, MisuseIsInvalid) {
    Process p(Task::function(sleep_a_minute, nullptr), std::nullopt, false);
    KillOnExit guard{p};
    EXPECT_EQ(status_of([&] { p.join(after(0)); }), kInvalid);
    EXPECT_EQ(status_of([&] { p.send_signal(SIGTERM); }), kInvalid);
    p.start();
    EXPECT_EQ(status_of([&] { p.start(); }), kInvalid);
    for (int bad : {0, -1, SIGRTMAX + 1, 1000}) {
        EXPECT_EQ(status_of([&] { p.send_signal(bad); }), kInvalid) << bad;
    }
    EXPECT_TRUE(p.is_alive());  // none of that reached it
    p.send_signal(SIGKILL);
    ASSERT_EQ(p.join(after(30)), kOk);
    // After the reap, a signal is silently dropped (the pid may be reused).
    EXPECT_EQ(status_of([&] { p.send_signal(SIGKILL); }), kOk);
    EXPECT_EQ(status_of([&] { p.start(); }), kInvalid);
}

// ---- Names --------------------------------------------------------------------------------

TEST(Process, NamesDefaultToProcessNAndCountUp) {
    Process a(returning(0), std::nullopt, false);
    Process b(returning(0), std::nullopt, false);
    const std::regex pattern("Process-([0-9]+)");
    std::smatch ma, mb;
    ASSERT_TRUE(std::regex_match(a.name(), ma, pattern)) << a.name();
    ASSERT_TRUE(std::regex_match(b.name(), mb, pattern)) << b.name();
    EXPECT_EQ(std::stoi(mb[1]), std::stoi(ma[1]) + 1);
    EXPECT_GE(std::stoi(ma[1]), 1);

    Process c(returning(0), std::string("worker"), true);
    EXPECT_EQ(c.name(), "worker");
    EXPECT_TRUE(c.daemon());
    EXPECT_FALSE(a.daemon());
    Process longest(returning(0), std::string(process::kNameMax, 'n'), false);
    EXPECT_EQ(longest.name().size(), process::kNameMax);
    EXPECT_EQ(
        status_of([&] { Process p(returning(0), std::string(process::kNameMax + 1, 'n'), false); }),
        kInvalid);
}

// ---- The registry -------------------------------------------------------------------------

TEST(Process, ActiveChildrenListsRunningChildrenAndReapsTheRest) {
    Shared<Board> board;
    Process a(Task::function(wait_for_release, &*board), std::nullopt, false);
    Process b(Task::function(wait_for_release, &*board), std::nullopt, false);
    KillOnExit guard_a{a}, guard_b{b};
    a.start();
    b.start();
    std::vector<pid_t> running = active_children();
    EXPECT_TRUE(contains(running, a.pid()));
    EXPECT_TRUE(contains(running, b.pid()));
    board->release.store(1);
    ASSERT_TRUE(readable(a.fd(), 20'000));
    ASSERT_TRUE(readable(b.fd(), 20'000));
    running = active_children();
    EXPECT_FALSE(contains(running, a.pid()));
    EXPECT_FALSE(contains(running, b.pid()));
    EXPECT_TRUE(reaped(a.pid()));
    EXPECT_TRUE(reaped(b.pid()));
    // The reap recorded the status for the Process objects.
    EXPECT_FALSE(a.is_alive());
    EXPECT_EQ(a.exitcode().value_or(-1000), 7);
    EXPECT_EQ(b.exitcode().value_or(-1000), 7);
}

TEST(Process, AChildWhoseProcessObjectIsGoneIsStillReaped) {
    Shared<Board> board;
    pid_t pid = 0;
    {
        Process p(Task::function(wait_for_release, &*board), std::nullopt, false);
        p.start();
        pid = p.pid();
    }  // destroyed while the child runs: neither killed nor waited for
    EXPECT_TRUE(contains(active_children(), pid));
    board->release.store(1);
    EXPECT_TRUE(eventually([&] { return !contains(active_children(), pid); }, 20s));
    EXPECT_TRUE(reaped(pid));
}

TEST(Process, ActiveChildrenAlsoReapsSubprocessLeftovers) {
    // A child nobody waits for any more, put on subprocess's reap-later list (as a Popen
    // closed while its child runs does).
    Shared<Board> board;
    const pid_t pid = run_in_child([&] { return wait_for_release(&*board); });
    ChildReaper cleanup;
    cleanup.add(pid);
    mproc::core::subprocess::reap_later(pid);
    board->release.store(1);
    // Waitable (not just a zombie leader: a thread of the child may still be leaving).
    ASSERT_TRUE(eventually([&] { return waitable(pid); }, 20s));
    (void)active_children();
    EXPECT_TRUE(reaped(pid));
    EXPECT_FALSE(mproc::core::subprocess::reap_later_pending(pid));
}

// ---- The child's view ---------------------------------------------------------------------

TEST(Process, TheChildKnowsItsNameParentAndStartsWithNoChildren) {
    EXPECT_EQ(process::current_process_name(), "MainProcess");
    EXPECT_EQ(process::parent_process_pid(), 0);
    Shared<Board> sleeper_board;
    // A sibling running while the child starts: the child must not count it as its own.
    Process sibling(Task::function(wait_for_release, &*sleeper_board), std::nullopt, false);
    KillOnExit guard_sibling{sibling};
    sibling.start();

    Shared<Board> board;
    Process p(Task::function(look_around, &*board), std::string("explorer"), false);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 0);
    EXPECT_STREQ(board->name, "explorer");
    EXPECT_EQ(board->parent_pid.load(), ::getpid());
    EXPECT_EQ(board->own_pid.load(), p.pid());
    EXPECT_EQ(board->active_at_start.load(), 0);
    // The child counts its own Processes from 1, and reaps its own children.
    EXPECT_STREQ(board->grandchild_name, "Process-1");
    EXPECT_EQ(board->grandchild_code.load(), 9);

    sleeper_board->release.store(1);
    ASSERT_EQ(sibling.join(after(30)), kOk);
}

TEST(Process, AForkChildCannotWaitForOrSignalItsSiblings) {
    Process p(Task::function(sleep_a_minute, nullptr), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    const pid_t child = run_in_child([&] {
        int failures = 0;
        failures += status_of([&] { p.join(after(0)); }) != kInvalid;
        failures += status_of([&] { p.send_signal(SIGKILL); }) != kInvalid;
        failures += status_of([&] { p.is_alive(); }) != kInvalid;
        failures += p.started_here();
        failures += !active_children().empty();
        return failures;
    });
    EXPECT_EQ(wait_child(child, 20s), 0);
    EXPECT_TRUE(p.is_alive());
    p.send_signal(SIGKILL);
    ASSERT_EQ(p.join(after(30)), kOk);
}

namespace {

FILE *shared_stream = nullptr;

int write_child(void *) {
    std::fputs("child", shared_stream);  // buffered: only the exit's flush writes it
    return 0;
}

}  // namespace

TEST(Process, StdioIsFlushedOnceByEachSide) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    shared_stream = ::fdopen(fds[1], "w");
    ASSERT_NE(shared_stream, nullptr);
    static char buffer[4096];
    ::setvbuf(shared_stream, buffer, _IOFBF, sizeof buffer);
    std::fputs("pre-", shared_stream);  // pending in our buffer at fork time
    Process p(Task::function(write_child, nullptr), std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(30)), kOk);
    std::fclose(shared_stream);
    shared_stream = nullptr;
    std::string text;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    EXPECT_EQ(text, "pre-child");
}

// ---- CPUs ---------------------------------------------------------------------------------

TEST(Process, CpuCountIsTheAffinityMask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
    EXPECT_GE(process::cpu_count(), 1);
    EXPECT_EQ(process::cpu_count(), CPU_COUNT(&set));
}

// ---- The spawn start method ------------------------------------------------------------

TEST(ProcessSpawn, RunsATaskReferenceInAFreshProgram) {
    Task add = Task::reference(MPROC_TEST_TASKS_LIB, "add", "i(ii)");
    add.add_int(3);
    add.add_int(4);
    Process p(add, std::string("adder"), false, process::StartMethod::kSpawn);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 7);

    // The child is mproc-worker, not a copy of this test program.
    Task sleeper = Task::reference("libc.so.6", "sleep", "I(I)");
    sleeper.add_uint(30);
    Process q(sleeper, std::nullopt, false, process::StartMethod::kSpawn);
    KillOnExit guard_q{q};
    q.start();
    char exe[4096] = {};
    const std::string link = "/proc/" + std::to_string(q.pid()) + "/exe";
    std::string target;
    for (int i = 0; i < 500 && target.find("mproc-worker") == std::string::npos; ++i) {
        const ssize_t n = ::readlink(link.c_str(), exe, sizeof exe - 1);
        target = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
        if (target.find("mproc-worker") == std::string::npos) std::this_thread::sleep_for(10ms);
    }
    EXPECT_NE(target.find("mproc-worker"), std::string::npos) << target;
    q.send_signal(SIGKILL);
    ASSERT_EQ(q.join(after(30)), kOk);
    EXPECT_EQ(q.exitcode().value_or(-1000), -SIGKILL);
}

TEST(ProcessSpawn, AFunctionTaskIsRefused) {
    Task fn = Task::function([](void *) { return 0; }, nullptr);
    EXPECT_EQ(status_of([&] { Process(fn, std::nullopt, false, process::StartMethod::kSpawn); }),
              kInvalid);
    // Through the default, the refusal comes at start, and the Process stays unstarted.
    process::set_default_start_method(process::StartMethod::kSpawn);
    Process p(fn, std::nullopt, false);
    EXPECT_EQ(status_of([&] { p.start(); }), kInvalid);
    EXPECT_EQ(p.pid(), 0);
    process::set_default_start_method(process::StartMethod::kFork);
}

TEST(ProcessSpawn, ATaskThatCannotBeCalledExitsOne) {
    Task missing = Task::reference(MPROC_TEST_TASKS_LIB, "no_such_function", "i()");
    Process p(missing, std::nullopt, false, process::StartMethod::kSpawn);
    KillOnExit guard{p};
    p.start();
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 1);
}

TEST(ProcessSpawn, TheDefaultStartMethodIsForkAndCanBeChanged) {
    EXPECT_EQ(process::default_start_method(), process::StartMethod::kFork);
    EXPECT_EQ(status_of([] { process::set_default_start_method(process::StartMethod(7)); }),
              kInvalid);
    EXPECT_EQ(status_of([] {
                  Process(Task::reference("libc.so.6", "abs", "i(i)"), std::nullopt, false,
                          process::StartMethod(-1));
              }),
              kInvalid);
    process::set_default_start_method(process::StartMethod::kSpawn);
    EXPECT_EQ(process::default_start_method(), process::StartMethod::kSpawn);
    Task abs_task = Task::reference("libc.so.6", "abs", "i(i)");
    abs_task.add_int(-9);
    Process p(abs_task, std::nullopt, false);
    KillOnExit guard{p};
    p.start();
    process::set_default_start_method(process::StartMethod::kDefault);  // back to fork
    EXPECT_EQ(process::default_start_method(), process::StartMethod::kFork);
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 9);
}

TEST(ProcessSpawn, AMissingWorkerIsNotFoundAtStart) {
    ::setenv("MPROC_WORKER", "/nonexistent/mproc-worker", 1);
    Task abs_task = Task::reference("libc.so.6", "abs", "i(i)");
    abs_task.add_int(1);
    Process p(abs_task, std::nullopt, false, process::StartMethod::kSpawn);
    EXPECT_EQ(status_of([&] { p.start(); }), mproc::core::kNotFound);
    ::unsetenv("MPROC_WORKER");
    EXPECT_EQ(p.pid(), 0);
    p.start();  // unstarted after the failure: it can start once the worker is found
    ASSERT_EQ(p.join(after(30)), kOk);
    EXPECT_EQ(p.exitcode().value_or(-1000), 1);
}

TEST(ProcessSpawn, TheJobSurvivesTheTripAndGarbageIsRefused) {
    process::WorkerJob job;
    job.name = "worker-name";
    job.daemon = true;
    job.parent = 4321;
    job.task = "task bytes";
    const std::string bytes = process::encode_job(job);
    process::WorkerJob back = process::decode_job(bytes);
    EXPECT_EQ(back.name, job.name);
    EXPECT_TRUE(back.daemon);
    EXPECT_EQ(back.parent, 4321);
    EXPECT_EQ(back.task, job.task);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_EQ(status_of([&] { process::decode_job(bytes.substr(0, n)); }), kInvalid) << n;
    }
    EXPECT_EQ(status_of([&] { process::decode_job(bytes + "x"); }), kInvalid);
    std::string bad_magic = bytes;
    bad_magic[0] = 'X';
    EXPECT_EQ(status_of([&] { process::decode_job(bad_magic); }), kInvalid);
}
