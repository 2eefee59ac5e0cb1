// mproc::Condition: std::unique_lock over the condition, predicate lambdas (including one
// that throws), notify counts, conditions over a Lock or an RLock, and processes.
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/condition.hpp"
#include "mproc/lock.hpp"
#include "mproc/rlock.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::shared;
using mproc_test::wait_child;

TEST(CppCondition, WorksWithStdUniqueLockAndAPredicateLambda) {
    mproc::Condition cond = mproc::Condition::create();
    bool ready = false;  // protected by the condition's lock
    std::thread producer([&] {
        std::this_thread::sleep_for(20ms);
        std::lock_guard<mproc::Condition> hold(cond);
        ready = true;
        cond.notify();
    });
    {
        std::unique_lock<mproc::Condition> hold(cond);
        EXPECT_TRUE(cond.wait_for(10s, [&] { return ready; }));
        EXPECT_TRUE(ready);
        EXPECT_TRUE(hold.owns_lock());
    }
    producer.join();
}

TEST(CppCondition, PredicateThatIsAlreadyTrueDoesNotWait) {
    mproc::Condition cond = mproc::Condition::create();
    std::unique_lock<mproc::Condition> hold(cond);
    int calls = 0;
    const auto start = std::chrono::steady_clock::now();
    cond.wait([&] {
        ++calls;
        return true;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_LT(seconds_since(start), 1.0);
}

TEST(CppCondition, WaitForWithAFalsePredicateTimesOut) {
    mproc::Condition cond = mproc::Condition::create();
    std::unique_lock<mproc::Condition> hold(cond);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(cond.wait_for(50ms, [] { return false; }));
    EXPECT_GE(seconds_since(start), 0.04);
    EXPECT_FALSE(cond.wait_until(std::chrono::system_clock::now() + 20ms, [] { return false; }));
}

TEST(CppCondition, WaitForWithoutAPredicateTimesOut) {
    mproc::Condition cond = mproc::Condition::create();
    std::unique_lock<mproc::Condition> hold(cond);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(cond.wait_for(40ms));
    EXPECT_GE(seconds_since(start), 0.03);
    EXPECT_TRUE(hold.owns_lock());
}

TEST(CppCondition, PredicateThatThrowsPropagatesWithTheLockHeld) {
    mproc::RLock rlock = mproc::RLock::create();
    mproc::Condition cond = mproc::Condition::create(rlock);
    std::unique_lock<mproc::Condition> hold(cond);
    int calls = 0;
    EXPECT_THROW(cond.wait_for(10s,
                               [&]() -> bool {
                                   if (++calls == 1) throw std::runtime_error("predicate failed");
                                   return true;
                               }),
                 std::runtime_error);
    EXPECT_EQ(calls, 1) << "the exception ends the wait";
    EXPECT_TRUE(rlock.is_owned()) << "the lock is held when the exception arrives";
}

TEST(CppCondition, WaitWithoutTheLockThrowsNotOwner) {
    mproc::Condition cond = mproc::Condition::create();
    try {
        cond.wait_for(10ms);
        FAIL() << "wait without the lock did not throw";
    } catch (const mproc::not_owner_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTOWNER);
    }
    // A predicate that is already true ends the wait before the lock is looked at (as in
    // Python's wait_for), so only a false one shows the missing lock.
    EXPECT_THROW(cond.wait_for(10ms, [] { return false; }), mproc::not_owner_error);
}

TEST(CppCondition, NotifyWithoutTheLockThrowsNotOwner) {
    mproc::Condition cond = mproc::Condition::create();
    EXPECT_THROW(cond.notify(), mproc::not_owner_error);
    EXPECT_THROW(cond.notify_all(), mproc::not_owner_error);
}

TEST(CppCondition, NotifyWakesOneAndNotifyAllWakesTheRest) {
    mproc::Condition cond = mproc::Condition::create();
    int entered = 0;  // protected by the lock
    std::atomic<int> notified{0};
    constexpr int kWaiters = 3;
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.emplace_back([&] {
            std::unique_lock<mproc::Condition> hold(cond);
            ++entered;
            if (cond.wait_for(10s)) ++notified;
        });
    }
    // A waiter holds the lock from ++entered until its wait releases it, so once we hold
    // the lock and see every waiter entered, all of them are waiting.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        std::unique_lock<mproc::Condition> hold(cond);
        if (entered == kWaiters || std::chrono::steady_clock::now() > deadline) break;
        hold.unlock();
        std::this_thread::sleep_for(1ms);
    }
    {
        std::lock_guard<mproc::Condition> hold(cond);
        cond.notify(1);
    }
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(notified.load(), 1);
    {
        std::lock_guard<mproc::Condition> hold(cond);
        cond.notify_all();
    }
    for (auto &t : waiters)
        t.join();
    EXPECT_EQ(notified.load(), kWaiters);
}

TEST(CppCondition, OverALockSharesThatLock) {
    mproc::Lock lock = mproc::Lock::create();
    mproc::Condition cond = mproc::Condition::create(lock);
    {
        std::lock_guard<mproc::Condition> hold(cond);
        EXPECT_TRUE(lock.locked());
    }
    EXPECT_FALSE(lock.locked());
    lock.lock();
    EXPECT_FALSE(cond.wait_for(10ms)) << "holding the Lock is holding the condition's lock";
    lock.unlock();
}

TEST(CppCondition, OverAnRLockReleasesEveryLevelWhileWaiting) {
    mproc::RLock rlock = mproc::RLock::create();
    mproc::Condition cond = mproc::Condition::create(rlock);
    bool ready = false;
    rlock.lock();
    rlock.lock();
    std::thread setter([&] {
        // Gets the lock only if the wait released both levels.
        if (!cond.try_lock_for(10s)) return;
        ready = true;
        cond.notify_all();
        cond.unlock();
    });
    EXPECT_TRUE(cond.wait_for(10s, [&] { return ready; }));
    EXPECT_EQ(rlock.count(), 2u) << "every level comes back after the wait";
    rlock.unlock();
    rlock.unlock();
    setter.join();
}

TEST(CppCondition, OpenAttachesTheConditionAndItsLock) {
    scoped_name<mproc::Condition> name("open");
    scoped_name<mproc::Lock> lock_name("open_lock");
    mproc::Lock lock = mproc::Lock::create(lock_name);
    mproc::Condition created = mproc::Condition::create(name, lock);
    mproc::Condition opened = mproc::Condition::open(name);
    EXPECT_EQ(opened.name(), name.str());
    std::lock_guard<mproc::Condition> hold(opened);
    EXPECT_TRUE(lock.locked());
    EXPECT_FALSE(created.try_lock());
}

TEST(CppCondition, ProducerAndConsumerInTwoProcesses) {
    scoped_name<mproc::Condition> name("procs");
    mproc::Condition cond = mproc::Condition::create(name);
    shared<int> state;  // protected by the condition's lock across the processes
    const pid_t pid = fork_child([&] {
        mproc::Condition mine = mproc::Condition::open(name);
        std::unique_lock<mproc::Condition> hold(mine);
        if (!mine.wait_for(10s, [&] { return *state == 1; })) return 1;
        *state = 2;
        mine.notify_all();
        return 0;
    });
    ASSERT_GT(pid, 0);
    {
        std::unique_lock<mproc::Condition> hold(cond);
        *state = 1;
        cond.notify_all();
        EXPECT_TRUE(cond.wait_for(10s, [&] { return *state == 2; }));
    }
    EXPECT_EQ(wait_child(pid), 0);
}

TEST(CppCondition, MoveKeepsTheCondition) {
    mproc::Condition a = mproc::Condition::create();
    mproc::Condition b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW(a.lock(), mproc::bad_handle_error);
    std::unique_lock<mproc::Condition> hold(b);
    EXPECT_FALSE(b.wait_for(1ms));
}

TEST(CppCondition, CloseWakesABlockedWaitWithClosedError) {
    mproc::Condition cond = mproc::Condition::create();
    std::atomic<int> code{0};
    std::thread t([&] {
        try {
            std::unique_lock<mproc::Condition> hold(cond);
            cond.wait();
            code = 1;
        } catch (const mproc::error &e) {
            code = e.code();
        }
    });
    std::this_thread::sleep_for(100ms);  // let it block
    cond.close();
    t.join();
    EXPECT_EQ(code.load(), MPROC_ECLOSED);
}
