// Event: multiprocessing.Event semantics between threads and processes, the set-then-clear
// race, timeouts, and close() with a blocked waiter.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/event.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::Event;

TEST(Event, StartsClearAndWaitTimesOut) {
    Names names;
    Event event = Event::create(names.make("clear"), CreateOptions{});
    EXPECT_FALSE(event.is_set());
    EXPECT_EQ(event.wait(after(0)), kTimedOut);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(event.wait(after(0.15)), kTimedOut);
    const double took = seconds_since(start);
    EXPECT_GE(took, 0.14);
    EXPECT_LT(took, 3.0);
}

TEST(Event, SetMakesWaitReturnAtOnceUntilCleared) {
    Names names;
    Event event = Event::create(names.make("set"), CreateOptions{});
    event.set();
    EXPECT_TRUE(event.is_set());
    EXPECT_EQ(event.wait(after(0)), kOk);
    EXPECT_EQ(event.wait(after(-1)), kOk);
    event.set();  // setting a set event changes nothing
    EXPECT_TRUE(event.is_set());
    event.clear();
    EXPECT_FALSE(event.is_set());
    EXPECT_EQ(event.wait(after(0)), kTimedOut);
    event.clear();
    EXPECT_FALSE(event.is_set());
}

TEST(Event, OpenedByNameSharesTheFlag) {
    Names names;
    const std::string name = names.make("open");
    Event event = Event::create(name, CreateOptions{});
    Event other = Event::open(name);
    event.set();
    EXPECT_TRUE(other.is_set());
    other.clear();
    EXPECT_FALSE(event.is_set());
}

TEST(Event, SetWakesEveryWaitingThread) {
    Names names;
    Event event = Event::create(names.make("wake_all"), CreateOptions{});
    constexpr int kWaiters = 5;
    std::atomic<int> started{0}, woke{0};
    std::vector<std::uint32_t> tids(kWaiters, 0);
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.emplace_back([&, i] {
            tids[i] = current_tid();
            started.fetch_add(1);
            if (event.wait(after(10)) == kOk) woke.fetch_add(1);
        });
    }
    ASSERT_TRUE(eventually([&] { return started.load() == kWaiters; }));
    for (std::uint32_t tid : tids)
        wait_until_sleeping(tid);
    EXPECT_EQ(woke.load(), 0);
    event.set();
    for (auto &t : waiters)
        t.join();
    EXPECT_EQ(woke.load(), kWaiters);
}

TEST(Event, NegativeTimeoutWaitsUntilSet) {
    Names names;
    Event event = Event::create(names.make("forever"), CreateOptions{});
    std::thread setter([&] {
        std::this_thread::sleep_for(100ms);
        event.set();
    });
    EXPECT_EQ(event.wait(after(-1)), kOk);
    setter.join();
}

TEST(Event, ASetFollowedAtOnceByClearStillWakesTheWaiter) {
    Names names;
    Event event = Event::create(names.make("set_clear"), CreateOptions{});
    for (int round = 0; round < 5; ++round) {
        std::atomic<std::uint32_t> tid{0};
        std::atomic<int> result{1};
        std::thread waiter([&] {
            tid = current_tid();
            result = event.wait(after(5));
        });
        ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
        wait_until_sleeping(tid);
        event.set();
        event.clear();
        waiter.join();
        EXPECT_EQ(result.load(), kOk) << "round " << round;
        EXPECT_FALSE(event.is_set());
    }
}

TEST(Event, ASetFollowedAtOnceByClearWakesAWaiterInAnotherProcess) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("set_clear_proc");
    Event event = Event::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Event mine = Event::open(name);
        stage->store(1);
        return mine.wait(after(5)) == kOk ? 0 : 1;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    wait_until_sleeping(static_cast<std::uint32_t>(child));
    event.set();
    event.clear();
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Event, SetInOneProcessWakesWaitersInOthers) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("procs");
    Event event = Event::create(name, CreateOptions{});
    std::vector<pid_t> children;
    for (int c = 0; c < 3; ++c) {
        children.push_back(reaper.add(run_in_child([&] {
            Event mine = Event::open(name);
            if (mine.wait(after(10)) != kOk) return 1;
            return mine.is_set() ? 0 : 2;
        })));
    }
    std::this_thread::sleep_for(50ms);
    event.set();
    for (pid_t pid : children)
        EXPECT_EQ(wait_child(pid), 0);
}

TEST(Event, WaitTimesOutInAnotherProcessWhileClear) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("proc_timeout");
    Event event = Event::create(name, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Event mine = Event::open(name);
        if (mine.wait(after(0)) != kTimedOut) return 1;
        return mine.wait(after(0.1)) == kTimedOut ? 0 : 2;
    }));
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Event, CloseWakesAWaitBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    Event event = Event::create(name, CreateOptions{});
    Event other = Event::open(name);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = event.wait(after(-1));
        returned_ns = mproc::core::sync::Deadline::now_ns();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    Watchdog watchdog(10s, [&] { other.set(); });
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    event.close();
    waiter.join();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
    EXPECT_FALSE(other.is_set());
}
