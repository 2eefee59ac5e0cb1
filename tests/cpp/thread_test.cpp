// mproc::Thread: results of function tasks and of references (cos, a string), the error of
// a task that cannot be called, join timeouts, ident and names, close while running, the
// destructor joining, and moved-from objects.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "mproc/task.hpp"
#include "mproc/thread.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::seconds_since;

namespace {

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

struct gate {
    std::atomic<int> release{0};
    std::atomic<unsigned long long> tid{0};
};

// Records its kernel thread id, waits (at most 60 s) for the release, and returns 5.
int wait_for_release(void *arg) {
    gate &g = *static_cast<gate *>(arg);
    g.tid.store(static_cast<unsigned long long>(::syscall(SYS_gettid)));
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (g.release.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    return 5;
}

}  // namespace

TEST(CppThread, KeepsTheResultOfAFunctionTask) {
    mproc::Thread t(mproc::Task::from_function(return_arg, reinterpret_cast<void *>(42)));
    EXPECT_FALSE(t.result().has_value()) << "no result before start";
    EXPECT_EQ(t.ident(), std::nullopt);
    EXPECT_FALSE(t.is_alive());
    EXPECT_THROW(t.join(), mproc::invalid_argument_error) << "not started";
    t.start();
    ASSERT_TRUE(t.join(30s));
    const std::optional<mproc::task_result> r = t.result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type(), 'i');
    EXPECT_EQ(r->as_int(), 42);
    EXPECT_FALSE(t.is_alive());
    EXPECT_TRUE(t.join(0s)) << "joining again";
    t.join();
    EXPECT_THROW(t.start(), mproc::invalid_argument_error) << "started twice";
}

TEST(CppThread, KeepsTheResultsOfReferences) {
    mproc::Thread cos(mproc::Task::call_of("libm.so.6", "cos", "d(d)", 0.0));
    cos.start();
    cos.join();
    EXPECT_EQ(cos.result().value().as_double(), 1.0);

    std::optional<mproc::task_result> kept;
    {
        // The task goes away before the thread runs it, the thread before its result is read.
        mproc::Thread strchr_thread(
            mproc::Task::call_of("libc.so.6", "strchr", "s(si)", "mproc", 'p'));
        strchr_thread.start();
        ASSERT_TRUE(strchr_thread.join(30s));
        kept = strchr_thread.result();
    }
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->as_string(), "proc");
}

TEST(CppThread, ResultThrowsTheErrorOfATaskThatCannotBeCalled) {
    mproc::Thread t(mproc::Task::reference("libm.so.6", "mproc_no_such_symbol", "i()"));
    t.start();
    ASSERT_TRUE(t.join(30s));
    for (int k = 0; k < 2; ++k) {
        try {
            (void)t.result();
            FAIL() << "result() did not throw";
        } catch (const mproc::not_found_error &e) {
            EXPECT_NE(std::string(e.what()).find("mproc_no_such_symbol"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_THROW(mproc::Thread(mproc::Task::reference("libc.so.6", "abs", "i(i)")),
                 mproc::invalid_argument_error)
        << "an incomplete task";
}

TEST(CppThread, JoinTimesOutWhileTheTaskRuns) {
    gate g;
    mproc::Thread t(mproc::Task::from_function(wait_for_release, &g));
    t.start();
    EXPECT_TRUE(t.is_alive());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(t.join(300ms));
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_FALSE(t.join(0s));
    EXPECT_TRUE(t.is_alive());
    EXPECT_FALSE(t.result().has_value()) << "no result while it runs";
    EXPECT_THROW(t.close(), mproc::invalid_argument_error) << "closing a running thread";
    EXPECT_TRUE(t.valid());
    g.release.store(1);
    ASSERT_TRUE(t.join(30s));
    EXPECT_FALSE(t.is_alive());
    EXPECT_EQ(t.result().value().as_int(), 5);
    t.close();
    EXPECT_FALSE(t.valid());
}

TEST(CppThread, IdentIsTheKernelThreadIdAndNamesDefault) {
    gate g;
    mproc::Thread t(mproc::Task::from_function(wait_for_release, &g), "cpp-thread");
    EXPECT_EQ(t.name(), "cpp-thread");
    t.start();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (g.tid.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(t.ident().has_value());
    EXPECT_EQ(*t.ident(), g.tid.load());
    EXPECT_NE(*t.ident(), static_cast<unsigned long long>(::syscall(SYS_gettid)));
    g.release.store(1);
    t.join();

    mproc::Thread plain(mproc::Task::from_function(return_arg));
    EXPECT_EQ(plain.name().rfind("Thread-", 0), 0u) << plain.name();
    EXPECT_THROW(mproc::Thread(mproc::Task::from_function(return_arg), std::string("a\0b", 3)),
                 mproc::invalid_argument_error);
}

TEST(CppThread, DestructorJoinsAStartedThread) {
    static std::atomic<int> finished{0};
    finished.store(0);
    const auto start = std::chrono::steady_clock::now();
    {
        mproc::Thread t(mproc::Task::from_function([](void *) -> int {
            std::this_thread::sleep_for(200ms);
            finished.store(1);
            return 0;
        }));
        t.start();
    }
    EXPECT_EQ(finished.load(), 1) << "the destructor returned before the task finished";
    EXPECT_GE(seconds_since(start), 0.15);

    // Never started, or finished and never joined: the destructor frees it without ado.
    { mproc::Thread idle(mproc::Task::from_function(return_arg)); }
    {
        gate g;
        g.release.store(1);
        mproc::Thread done(mproc::Task::from_function(wait_for_release, &g));
        done.start();
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (done.is_alive() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    }
}

TEST(CppThread, MovedFromThreadsThrowBadHandle) {
    mproc::Thread a(mproc::Task::from_function(return_arg, reinterpret_cast<void *>(9)));
    mproc::Thread b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_THROW(a.start(), mproc::bad_handle_error);
    EXPECT_THROW(a.join(1s), mproc::bad_handle_error);
    EXPECT_THROW((void)a.is_alive(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.ident(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.name(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.result(), mproc::bad_handle_error);
    a.close();  // nothing to close
    b.start();
    b.join();
    EXPECT_EQ(b.result().value().as_int(), 9);
    a = std::move(b);  // b's thread is joined already
    EXPECT_EQ(a.result().value().as_int(), 9);
}
