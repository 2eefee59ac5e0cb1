// Thread: the result of a function task and of task references (double, string), the error
// of a task that cannot be called, join with a timeout, is_alive and outcome before and
// after, ident, names, joining itself, misuse, many joiners, destruction while running,
// and a task that ends its thread with pthread_exit.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "process/current_process.hpp"
#include "process/thread.hpp"
#include "task/task.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kInvalid;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kSystem;
using mproc::core::kTimedOut;
using mproc::core::process::Thread;
using mproc::core::task::Task;
namespace process = mproc::core::process;

namespace {

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

struct Gate {
    std::atomic<int> release{0};
    std::atomic<int> started{0};
    std::atomic<std::uint64_t> tid{0};
};

// Records its thread id, then waits (at most 60 s) for the release; returns 5.
int wait_for_release(void *arg) {
    auto *gate = static_cast<Gate *>(arg);
    gate->tid.store(current_tid());
    gate->started.fetch_add(1);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (gate->release.load() == 0 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return 5;
}

// The Thread that join_self joins, and what it got.
Thread *self_thread = nullptr;
std::atomic<int> self_join_status{1};

int join_self(void *) {
    try {
        self_join_status.store(self_thread->join(after(1)));
    } catch (const mproc::core::Error &e) {
        self_join_status.store(e.status());
    }
    return 0;
}

int exit_thread(void *) {
    pthread_exit(nullptr);
}

}  // namespace

TEST(Thread, KeepsTheResultOfAFunctionTask) {
    Thread t(Task::function(return_arg, reinterpret_cast<void *>(std::intptr_t{42})), std::nullopt);
    EXPECT_EQ(t.outcome(), nullptr);
    t.start();
    ASSERT_EQ(t.join(after(30)), kOk);
    const Thread::Outcome *o = t.outcome();
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, kOk);
    EXPECT_EQ(o->result.type, 'i');
    EXPECT_EQ(o->result.i, 42);
    EXPECT_FALSE(t.is_alive());
    EXPECT_EQ(t.join(after(0)), kOk);  // again
}

TEST(Thread, KeepsTheResultOfTaskReferences) {
    Task cos_task = Task::reference("libm.so.6", "cos", "d(d)");
    cos_task.add_double(0.0);
    Thread t(cos_task, std::nullopt);
    t.start();
    ASSERT_EQ(t.join(after(30)), kOk);
    ASSERT_NE(t.outcome(), nullptr);
    EXPECT_EQ(t.outcome()->result.type, 'd');
    EXPECT_EQ(t.outcome()->result.d, 1.0);

    // strchr("mproc", 'p'): a borrowed string result, copied into the outcome.
    Task strchr_task = Task::reference("libc.so.6", "strchr", "s(si)");
    strchr_task.add_string("mproc");
    strchr_task.add_int('p');
    Thread s(strchr_task, std::nullopt);
    s.start();
    ASSERT_EQ(s.join(after(30)), kOk);
    ASSERT_NE(s.outcome(), nullptr);
    EXPECT_EQ(s.outcome()->status, kOk);
    EXPECT_EQ(s.outcome()->result.type, 's');
    EXPECT_EQ(s.outcome()->result.bytes, "proc");
}

TEST(Thread, KeepsTheErrorOfATaskThatCannotBeCalled) {
    Thread t(Task::reference("libm.so.6", "mproc_no_such_symbol", "i()"), std::nullopt);
    t.start();
    ASSERT_EQ(t.join(after(30)), kOk);
    const Thread::Outcome *o = t.outcome();
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, kNotFound);
    EXPECT_NE(o->message.find("mproc_no_such_symbol"), std::string::npos) << o->message;
}

TEST(Thread, JoinTimesOutWhileTheTaskRuns) {
    Gate gate;
    Thread t(Task::function(wait_for_release, &gate), std::nullopt);
    EXPECT_FALSE(t.is_alive());
    t.start();
    EXPECT_TRUE(t.is_alive());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(t.join(after(0.3)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_EQ(t.join(after(0)), kTimedOut);
    EXPECT_TRUE(t.is_alive());
    EXPECT_EQ(t.outcome(), nullptr);
    gate.release.store(1);
    ASSERT_EQ(t.join(after(30)), kOk);
    EXPECT_FALSE(t.is_alive());
    ASSERT_NE(t.outcome(), nullptr);
    EXPECT_EQ(t.outcome()->result.i, 5);
}

TEST(Thread, IdentIsTheKernelThreadIdFromStart) {
    Gate gate;
    Thread t(Task::function(wait_for_release, &gate), std::nullopt);
    EXPECT_EQ(t.ident(), 0u);
    t.start();
    const std::uint64_t ident = t.ident();  // known as soon as start returns
    EXPECT_NE(ident, 0u);
    EXPECT_NE(ident, current_tid());
    ASSERT_TRUE(eventually([&] { return gate.started.load() == 1; }, 20s));
    EXPECT_EQ(gate.tid.load(), ident);
    gate.release.store(1);
    ASSERT_EQ(t.join(after(30)), kOk);
    EXPECT_EQ(t.ident(), ident);  // kept after the end, as Python's
}

TEST(Thread, NamesDefaultToThreadNAndCountUp) {
    Task task = Task::function(return_arg, nullptr);
    Thread a(task, std::nullopt);
    Thread named(task, std::string("reader"));
    Thread b(task, std::nullopt);
    const std::regex pattern("Thread-([0-9]+)");
    std::smatch ma, mb;
    ASSERT_TRUE(std::regex_match(a.name(), ma, pattern)) << a.name();
    ASSERT_TRUE(std::regex_match(b.name(), mb, pattern)) << b.name();
    EXPECT_EQ(std::stoi(mb[1]), std::stoi(ma[1]) + 1);  // a named thread takes no number
    EXPECT_EQ(named.name(), "reader");
    EXPECT_EQ(status_of([&] { Thread t(task, std::string(process::kNameMax + 1, 'x')); }),
              kInvalid);
    Task incomplete = Task::reference("libm.so.6", "cos", "d(d)");
    EXPECT_EQ(status_of([&] { Thread t(incomplete, std::nullopt); }), kInvalid);
}

TEST(Thread, JoiningItselfIsInvalid) {
    self_join_status.store(1);
    Thread t(Task::function(join_self, nullptr), std::nullopt);
    self_thread = &t;
    t.start();
    ASSERT_EQ(t.join(after(30)), kOk);
    EXPECT_EQ(self_join_status.load(), kInvalid);
    self_thread = nullptr;
}

TEST(Thread, MisuseIsInvalid) {
    Gate gate;
    Thread t(Task::function(wait_for_release, &gate), std::nullopt);
    EXPECT_EQ(status_of([&] { t.join(after(0)); }), kInvalid);
    t.start();
    EXPECT_EQ(status_of([&] { t.start(); }), kInvalid);
    gate.release.store(1);
    ASSERT_EQ(t.join(after(30)), kOk);
    EXPECT_EQ(status_of([&] { t.start(); }), kInvalid);
}

TEST(Thread, ManyThreadsJoinAtOnce) {
    Gate gate;
    Thread t(Task::function(wait_for_release, &gate), std::nullopt);
    t.start();
    std::atomic<int> joined{0};
    std::vector<std::thread> joiners;
    for (int i = 0; i < 4; ++i) {
        joiners.emplace_back([&] {
            if (t.join(after(-1)) == kOk) joined.fetch_add(1);
        });
    }
    std::this_thread::sleep_for(20ms);
    gate.release.store(1);
    for (auto &j : joiners)
        j.join();
    EXPECT_EQ(joined.load(), 4);
}

TEST(Thread, DestroyingARunningThreadLetsItFinish) {
    static Gate gate;  // outlives the test: the detached thread reads it
    gate.release.store(0);
    gate.started.store(0);
    {
        Thread t(Task::function(wait_for_release, &gate), std::nullopt);
        t.start();
    }
    ASSERT_TRUE(eventually([&] { return gate.started.load() == 1; }, 20s));
    gate.release.store(1);
}

TEST(Thread, ATaskThatExitsItsThreadStillEndsTheJoin) {
    Thread t(Task::function(exit_thread, nullptr), std::nullopt);
    t.start();
    ASSERT_EQ(t.join(after(30)), kOk);
    ASSERT_NE(t.outcome(), nullptr);
    EXPECT_EQ(t.outcome()->status, kSystem);
    EXPECT_FALSE(t.is_alive());
}
