// mproc::Process and the module functions: exit codes of function tasks and of libc's abs run
// by reference with both start methods, join timeouts, kill / terminate / signals as minus
// the signal number, names and the daemon flag, the child's view of itself and its parent,
// the pidfd, close while running, the destructor killing and reaping a running child,
// active_children, the default start method, the forkserver start method, and moved-from
// objects.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/process.hpp"
#include "mproc/task.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::seconds_since;
using mproc_test::shared;

namespace {

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

void *as_arg(int value) {
    return reinterpret_cast<void *>(static_cast<std::intptr_t>(value));
}

// What a child and the test share (MAP_SHARED).
struct gate {
    std::atomic<int> started{0};
    std::atomic<int> release{0};
};

// Announces itself, waits (at most 60 s) for the release, and exits 7.
int wait_for_release(void *arg) {
    gate &g = *static_cast<gate *>(arg);
    g.started.store(1);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (g.release.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    return 7;
}

int sleep_a_minute(void *) {
    std::this_thread::sleep_for(60s);
    return 0;
}

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

bool reaped(int pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

bool contains(const std::vector<int> &pids, int pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Restores the default start method when a test ends, even a failing one.
struct start_method_guard {
    ~start_method_guard() { mproc::set_start_method(mproc::start_method::default_); }
};

}  // namespace

TEST(CppProcess, FunctionTaskResultIsTheExitCode) {
    for (const int code : {0, 3, 255}) {
        mproc::Process p(mproc::Task::from_function(return_arg, as_arg(code)));
        EXPECT_EQ(p.pid(), std::nullopt) << "no pid before start";
        EXPECT_EQ(p.exitcode(), std::nullopt);
        EXPECT_FALSE(p.is_alive());
        p.start();
        ASSERT_TRUE(p.pid().has_value());
        EXPECT_GT(*p.pid(), 0);
        EXPECT_NE(*p.pid(), ::getpid());
        ASSERT_TRUE(p.join(30s)) << "exit code " << code;
        EXPECT_EQ(p.exitcode(), code);
        EXPECT_FALSE(p.is_alive());
        EXPECT_THROW(p.start(), mproc::invalid_argument_error) << "started twice";
    }
    mproc::Process low_byte(mproc::Task::from_function(return_arg, as_arg(256 + 4)));
    low_byte.start();
    low_byte.join();
    EXPECT_EQ(low_byte.exitcode(), 4);
}

TEST(CppProcess, LibcAbsByReferenceWithForkAndSpawn) {
    const mproc::Task abs_task = mproc::Task::call_of("libc.so.6", "abs", "i(i)", -7);
    for (const auto method :
         {mproc::start_method::fork, mproc::start_method::spawn, mproc::start_method::forkserver}) {
        mproc::process_options options;
        options.method = method;
        mproc::Process p(abs_task, options);
        p.start();
        ASSERT_TRUE(p.join(30s)) << "method " << static_cast<int>(method);
        EXPECT_EQ(p.exitcode(), 7) << "method " << static_cast<int>(method);
    }
    mproc::process_options spawn;
    spawn.method = mproc::start_method::spawn;
    EXPECT_THROW(mproc::Process(mproc::Task::from_function(return_arg), spawn),
                 mproc::invalid_argument_error)
        << "a function pointer means nothing in a fresh program";
}

TEST(CppProcess, ATaskThatCannotBeCalledExitsOne) {
    mproc::Process p(mproc::Task::reference("libm.so.6", "mproc_no_such_symbol", "i()"));
    p.start();
    ASSERT_TRUE(p.join(30s));
    EXPECT_EQ(p.exitcode(), 1);
    EXPECT_THROW(mproc::Process(mproc::Task::reference("libc.so.6", "abs", "i(i)")),
                 mproc::invalid_argument_error)
        << "an incomplete task";
}

TEST(CppProcess, JoinTimesOutThenKillGivesMinusNine) {
    shared<gate> g;
    mproc::Process p(mproc::Task::from_function(wait_for_release, &*g));
    p.start();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(p.join(300ms));
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_FALSE(p.join(0s)) << "a zero timeout only looks";
    EXPECT_FALSE(p.join(-1s)) << "a negative timeout only looks";
    EXPECT_TRUE(p.is_alive());
    EXPECT_EQ(p.exitcode(), std::nullopt);
    p.kill();
    ASSERT_TRUE(p.join(30s));
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.exitcode(), -9);
    p.kill();  // once reaped, signals do nothing
}

TEST(CppProcess, TerminateAndSendSignalGiveMinusTheSignal) {
    mproc::Process t(mproc::Task::from_function(sleep_a_minute));
    t.start();
    t.terminate();
    ASSERT_TRUE(t.join(30s));
    EXPECT_EQ(t.exitcode(), -SIGTERM);

    mproc::Process s(mproc::Task::from_function(sleep_a_minute));
    EXPECT_THROW(s.kill(), mproc::invalid_argument_error) << "not started";
    s.start();
    EXPECT_THROW(s.send_signal(0), mproc::invalid_argument_error);
    s.send_signal(SIGUSR1);
    ASSERT_TRUE(s.join(30s));
    EXPECT_EQ(s.exitcode(), -SIGUSR1);
}

TEST(CppProcess, ReleasedChildEndsWithItsResult) {
    shared<gate> g;
    mproc::Process p(mproc::Task::from_function(wait_for_release, &*g));
    p.start();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (g->started.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(g->started.load(), 1);
    EXPECT_TRUE(p.is_alive());
    g->release.store(1);
    p.join();
    EXPECT_EQ(p.exitcode(), 7);
}

TEST(CppProcess, NamesAndTheDaemonFlag) {
    mproc::process_options options;
    options.name = "cpp-worker";
    options.daemon = true;
    mproc::Process named(mproc::Task::from_function(return_arg), options);
    EXPECT_EQ(named.name(), "cpp-worker");
    EXPECT_TRUE(named.daemon());

    mproc::Process plain(mproc::Task::from_function(return_arg));
    EXPECT_EQ(plain.name().rfind("Process-", 0), 0u) << plain.name();
    EXPECT_FALSE(plain.daemon());

    options.name = std::string("a\0b", 3);
    EXPECT_THROW(mproc::Process(mproc::Task::from_function(return_arg), options),
                 mproc::invalid_argument_error);
    options.name = std::string(MPROC_PROCESS_NAME_MAX + 1, 'n');
    EXPECT_THROW(mproc::Process(mproc::Task::from_function(return_arg), options),
                 mproc::invalid_argument_error);
    // Never started: the destructors free them without ado.
}

namespace {

struct expected_view {
    int parent_pid;
};

// Exit 0 if the child sees its own name and its parent; a distinct code for each mismatch.
int look_around(void *arg) {
    const expected_view &want = *static_cast<const expected_view *>(arg);
    try {
        const mproc::process_info me = mproc::current_process();
        if (me.name != "cpp-child") return 10;
        if (me.pid != ::getpid()) return 11;
        const std::optional<int> parent = mproc::parent_process();
        if (!parent) return 12;
        if (*parent != want.parent_pid) return 13;
        return 0;
    } catch (...) {
        return 14;
    }
}

}  // namespace

TEST(CppProcess, CurrentAndParentProcess) {
    const mproc::process_info me = mproc::current_process();
    EXPECT_EQ(me.name, "MainProcess");
    EXPECT_EQ(me.pid, ::getpid());
    EXPECT_EQ(mproc::parent_process(), std::nullopt);
    EXPECT_GE(mproc::cpu_count(), 1);

    expected_view want{::getpid()};
    mproc::process_options options;
    options.name = "cpp-child";
    mproc::Process p(mproc::Task::from_function(look_around, &want), options);
    p.start();
    ASSERT_TRUE(p.join(30s));
    EXPECT_EQ(p.exitcode(), 0) << "10: name, 11: pid, 12: no parent, 13: wrong parent";
}

TEST(CppProcess, FdBecomesReadableWhenTheChildEnds) {
    shared<gate> g;
    mproc::Process p(mproc::Task::from_function(wait_for_release, &*g));
    EXPECT_THROW((void)p.fd(), mproc::invalid_argument_error) << "not started";
    p.start();
    const int fd = p.fd();
    EXPECT_GE(fd, 0);
    EXPECT_FALSE(readable(fd, 0));
    g->release.store(1);
    EXPECT_TRUE(readable(fd, 30000));
    ASSERT_TRUE(p.join(30s));
    EXPECT_EQ(p.exitcode(), 7);
}

TEST(CppProcess, CloseWhileRunningThrowsAndKeepsTheObject) {
    mproc::Process p(mproc::Task::from_function(sleep_a_minute));
    p.start();
    EXPECT_THROW(p.close(), mproc::invalid_argument_error);
    EXPECT_TRUE(p.valid());
    EXPECT_TRUE(p.is_alive());
    p.kill();
    ASSERT_TRUE(p.join(30s));
    p.close();
    EXPECT_FALSE(p.valid());
    EXPECT_THROW((void)p.pid(), mproc::bad_handle_error);
    p.close();  // a no-op once closed
}

TEST(CppProcess, DestructorKillsAndReapsARunningChild) {
    int pid = 0;
    const auto start = std::chrono::steady_clock::now();
    {
        mproc::Process p(mproc::Task::from_function(sleep_a_minute));
        p.start();
        pid = p.pid().value();
        EXPECT_TRUE(p.is_alive());
    }
    EXPECT_LT(seconds_since(start), 30.0) << "the destructor waited for the child's minute";
    EXPECT_TRUE(reaped(pid)) << "the child was not reaped";
    EXPECT_NE(::kill(pid, 0), 0) << "the child still exists";

    // Move assignment over a running process does the same to the old child.
    mproc::Process a(mproc::Task::from_function(sleep_a_minute));
    a.start();
    const int old_pid = a.pid().value();
    a = mproc::Process(mproc::Task::from_function(return_arg, as_arg(5)));
    EXPECT_TRUE(reaped(old_pid));
    a.start();
    ASSERT_TRUE(a.join(30s));
    EXPECT_EQ(a.exitcode(), 5);
}

TEST(CppProcess, ActiveChildrenListsTheRunningOnes) {
    shared<gate> g;
    mproc::Process p(mproc::Task::from_function(wait_for_release, &*g));
    p.start();
    const int pid = p.pid().value();
    EXPECT_TRUE(contains(mproc::active_children(), pid));
    g->release.store(1);
    // active_children reaps the child once it ended: no join needed.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (contains(mproc::active_children(), pid) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(2ms);
    }
    EXPECT_FALSE(contains(mproc::active_children(), pid));
    EXPECT_TRUE(reaped(pid));
    EXPECT_EQ(p.exitcode(), 7);
}

TEST(CppProcess, ManyChildrenAtOnceInActiveChildren) {
    shared<gate> g;
    std::vector<mproc::Process> children;
    for (int k = 0; k < 20; ++k) {
        children.emplace_back(mproc::Task::from_function(wait_for_release, &*g));
        children.back().start();
    }
    const std::vector<int> listed = mproc::active_children();
    for (const mproc::Process &c : children)
        EXPECT_TRUE(contains(listed, c.pid().value()));
    g->release.store(1);
    for (mproc::Process &c : children) {
        ASSERT_TRUE(c.join(30s));
        EXPECT_EQ(c.exitcode(), 7);
    }
}

TEST(CppProcess, TheDefaultStartMethod) {
    start_method_guard restore;
    EXPECT_EQ(mproc::get_start_method(), mproc::start_method::fork);
    mproc::set_start_method(mproc::start_method::spawn);
    EXPECT_EQ(mproc::get_start_method(), mproc::start_method::spawn);

    // Known only at start: a function task then fails to start.
    mproc::Process fn(mproc::Task::from_function(return_arg));
    EXPECT_THROW(fn.start(), mproc::invalid_argument_error);
    mproc::Process ref(mproc::Task::call_of("libc.so.6", "abs", "i(i)", -11));
    ref.start();
    ASSERT_TRUE(ref.join(30s));
    EXPECT_EQ(ref.exitcode(), 11);

    mproc::set_start_method(mproc::start_method::default_);
    EXPECT_EQ(mproc::get_start_method(), mproc::start_method::fork);
    EXPECT_THROW(mproc::set_start_method(static_cast<mproc::start_method>(9)),
                 mproc::invalid_argument_error);
}

TEST(CppProcess, TheForkserverStartMethod) {
    start_method_guard restore;
    mproc::process_options options;
    options.method = mproc::start_method::forkserver;
    options.name = "fs-cpp";
    EXPECT_THROW(mproc::Process(mproc::Task::from_function(return_arg), options),
                 mproc::invalid_argument_error)
        << "a function pointer means nothing in the server";

    // A running child: killed, -9; its fd polls readable at the end.
    mproc::Process sleeper(mproc::Task::call_of("libc.so.6", "sleep", "I(I)", 60u), options);
    EXPECT_EQ(sleeper.name(), "fs-cpp");
    sleeper.start();
    EXPECT_TRUE(sleeper.is_alive());
    EXPECT_FALSE(sleeper.join(200ms));
    EXPECT_EQ(sleeper.exitcode(), std::nullopt);
    EXPECT_TRUE(contains(mproc::active_children(), sleeper.pid().value()));
    const int fd = sleeper.fd();
    sleeper.kill();
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 30'000), 1);
    ASSERT_TRUE(sleeper.join(60s));
    EXPECT_EQ(sleeper.exitcode(), -SIGKILL);

    mproc::Process term(mproc::Task::call_of("libc.so.6", "sleep", "I(I)", 60u), options);
    term.start();
    term.terminate();
    ASSERT_TRUE(term.join(60s));
    EXPECT_EQ(term.exitcode(), -SIGTERM);

    // As the default; a function task then fails at start.
    mproc::set_start_method(mproc::start_method::forkserver);
    EXPECT_EQ(mproc::get_start_method(), mproc::start_method::forkserver);
    mproc::Process fn(mproc::Task::from_function(return_arg));
    EXPECT_THROW(fn.start(), mproc::invalid_argument_error);
    mproc::Process ref(mproc::Task::call_of("libc.so.6", "abs", "i(i)", -12));
    ref.start();
    ASSERT_TRUE(ref.join(60s));
    EXPECT_EQ(ref.exitcode(), 12);

    // The destructor of a running forkserver child kills it and waits for it.
    int pid = 0;
    {
        mproc::Process doomed(mproc::Task::call_of("libc.so.6", "sleep", "I(I)", 60u));
        doomed.start();
        pid = doomed.pid().value();
    }
    EXPECT_FALSE(contains(mproc::active_children(), pid));
}

TEST(CppProcess, MovedFromProcessesThrowBadHandle) {
    mproc::Task moved_task = mproc::Task::from_function(return_arg, as_arg(6));
    mproc::Task target = std::move(moved_task);
    EXPECT_THROW(mproc::Process{moved_task},
                 mproc::bad_handle_error);  // NOLINT(bugprone-use-after-move)

    mproc::Process a(target);
    mproc::Process b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_THROW(a.start(), mproc::bad_handle_error);
    EXPECT_THROW(a.join(1s), mproc::bad_handle_error);
    EXPECT_THROW((void)a.is_alive(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.exitcode(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.pid(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.name(), mproc::bad_handle_error);
    EXPECT_THROW(a.kill(), mproc::bad_handle_error);
    a.close();  // nothing to close
    b.start();
    ASSERT_TRUE(b.join(30s));
    EXPECT_EQ(b.exitcode(), 6);
}
