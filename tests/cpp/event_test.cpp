// mproc::Event: the flag, bounded waits, wake-ups across threads and processes, close.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/event.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::wait_child;

TEST(CppEvent, SetAndClearChangeTheFlag) {
    mproc::Event event = mproc::Event::create();
    EXPECT_FALSE(event.is_set());
    event.set();
    EXPECT_TRUE(event.is_set());
    event.set();  // idempotent
    EXPECT_TRUE(event.is_set());
    event.clear();
    EXPECT_FALSE(event.is_set());
}

TEST(CppEvent, WaitTimesOutWhileUnset) {
    mproc::Event event = mproc::Event::create();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(event.wait(50ms));
    const double waited = seconds_since(start);
    EXPECT_GE(waited, 0.04);
    EXPECT_LT(waited, 2.0);
    EXPECT_FALSE(event.wait(0s));
}

TEST(CppEvent, WaitReturnsAtOnceWhenSet) {
    mproc::Event event = mproc::Event::create();
    event.set();
    EXPECT_TRUE(event.wait(0s));
    EXPECT_TRUE(event.wait());  // forever, but the flag is set
}

TEST(CppEvent, SetWakesEveryWaitingThread) {
    mproc::Event event = mproc::Event::create();
    std::atomic<int> woken{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            if (event.wait(10s)) ++woken;
        });
    }
    std::this_thread::sleep_for(30ms);
    event.set();
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(woken.load(), 4);
}

TEST(CppEvent, SetInAChildWakesTheParent) {
    scoped_name<mproc::Event> name("child_sets");
    mproc::Event event = mproc::Event::create(name);
    const pid_t pid = fork_child([&] {
        std::this_thread::sleep_for(20ms);
        mproc::Event::open(name).set();
        return 0;
    });
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(event.wait(10s));
    EXPECT_EQ(wait_child(pid), 0);
}

TEST(CppEvent, ParentAndChildHandshakeThroughTwoEvents) {
    mproc::Event ping = mproc::Event::create();  // anonymous: inherited by the child
    mproc::Event pong = mproc::Event::create();
    const pid_t pid = fork_child([&] {
        if (!ping.wait(10s)) return 1;
        ping.clear();
        pong.set();
        return 0;
    });
    ASSERT_GT(pid, 0);
    ping.set();
    EXPECT_TRUE(pong.wait(10s));
    EXPECT_EQ(wait_child(pid), 0);
    EXPECT_FALSE(ping.is_set()) << "the child's clear() is seen by the parent";
}

TEST(CppEvent, CloseWakesABlockedWaitWithClosedError) {
    mproc::Event event = mproc::Event::create();
    std::atomic<int> code{0};
    std::thread t([&] {
        try {
            event.wait();
            code = 1;
        } catch (const mproc::error &e) {
            code = e.code();
        }
    });
    std::this_thread::sleep_for(100ms);  // let it block
    event.close();
    t.join();
    EXPECT_EQ(code.load(), MPROC_ECLOSED);
}

TEST(CppEvent, MoveLeavesAnEmptyObject) {
    mproc::Event a = mproc::Event::create();
    a.set();
    mproc::Event b = std::move(a);
    EXPECT_TRUE(b.is_set());
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW(a.set(), mproc::bad_handle_error);
    EXPECT_THROW(a.wait(0s), mproc::bad_handle_error);
    a = std::move(b);
    EXPECT_TRUE(a.is_set());
}

TEST(CppEvent, CreateOrOpenSharesTheFlag) {
    scoped_name<mproc::Event> name("create_or_open");
    mproc::Event a = mproc::Event::create_or_open(name);
    mproc::Event b = mproc::Event::create_or_open(name);
    a.set();
    EXPECT_TRUE(b.is_set());
    EXPECT_EQ(b.name(), name.str());
}
