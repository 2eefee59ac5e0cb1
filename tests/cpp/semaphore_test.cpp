// mproc::Semaphore and mproc::BoundedSemaphore: counting, timeouts, the bound, the lock
// spelling, and signalling and limiting between processes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/semaphore.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::shared;
using mproc_test::wait_child;

TEST(CppSemaphore, AcquireTakesUnitsAndTimesOutAtZero) {
    scoped_name<mproc::Semaphore> name("count");
    mproc::Semaphore sem = mproc::Semaphore::create(name, 2);
    EXPECT_EQ(sem.value(), 2u);
    EXPECT_EQ(sem.bound(), 0u) << "a plain semaphore has no bound";
    EXPECT_TRUE(sem.acquire());
    EXPECT_TRUE(sem.acquire(0s));
    EXPECT_EQ(sem.value(), 0u);

    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sem.acquire(40ms));
    EXPECT_GE(seconds_since(start), 0.03);

    sem.release(2);
    EXPECT_EQ(sem.value(), 2u);
}

TEST(CppSemaphore, AnonymousDefaultsToOneUnit) {
    mproc::Semaphore one = mproc::Semaphore::create();
    EXPECT_EQ(one.value(), 1u);
    mproc::Semaphore zero = mproc::Semaphore::create(0);
    EXPECT_EQ(zero.value(), 0u);
    EXPECT_FALSE(zero.acquire(0s));
}

TEST(CppSemaphore, ReleaseWakesAWaitingThread) {
    mproc::Semaphore sem = mproc::Semaphore::create(0);
    bool got = false;
    std::thread waiter([&] { got = sem.acquire(10s); });
    std::this_thread::sleep_for(20ms);
    sem.release();
    waiter.join();
    EXPECT_TRUE(got);
    EXPECT_EQ(sem.value(), 0u);
}

TEST(CppSemaphore, LockGuardHoldsOneUnitForAScope) {
    mproc::Semaphore sem = mproc::Semaphore::create(3);
    {
        std::lock_guard<mproc::Semaphore> hold(sem);
        EXPECT_EQ(sem.value(), 2u);
        std::unique_lock<mproc::Semaphore> more(sem, std::defer_lock);
        EXPECT_TRUE(more.try_lock_for(10ms));
        EXPECT_EQ(sem.value(), 1u);
    }
    EXPECT_EQ(sem.value(), 3u);
}

TEST(CppSemaphore, ReleaseOfZeroUnitsThrowsInvalidArgument) {
    mproc::Semaphore sem = mproc::Semaphore::create();
    EXPECT_THROW(sem.release(0), mproc::invalid_argument_error);
}

TEST(CppSemaphore, ValueAboveTheMaximumThrowsTooBig) {
    EXPECT_THROW(mproc::Semaphore::create(MPROC_SEMAPHORE_VALUE_MAX + 1u), mproc::too_big_error);
    EXPECT_NO_THROW(mproc::Semaphore::create(MPROC_SEMAPHORE_VALUE_MAX));
}

TEST(CppSemaphore, CreateOrOpenKeepsTheExistingValue) {
    scoped_name<mproc::Semaphore> name("create_or_open");
    mproc::Semaphore first = mproc::Semaphore::create_or_open(name, 5);
    mproc::Semaphore second = mproc::Semaphore::create_or_open(name, 1);
    EXPECT_EQ(second.value(), 5u);
    EXPECT_TRUE(second.acquire(0s));
    EXPECT_EQ(first.value(), 4u);
}

TEST(CppSemaphore, SignalsFromAChildProcess) {
    scoped_name<mproc::Semaphore> name("signal");
    mproc::Semaphore sem = mproc::Semaphore::create(name, 0);
    const pid_t pid = fork_child([&] {
        mproc::Semaphore mine = mproc::Semaphore::open(name);
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(5ms);
            mine.release();
        }
        return 0;
    });
    ASSERT_GT(pid, 0);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(sem.acquire(10s)) << "unit " << i;
    EXPECT_EQ(wait_child(pid), 0);
    EXPECT_EQ(sem.value(), 0u);
}

TEST(CppSemaphore, LimitsConcurrencyAcrossProcesses) {
    mproc::Semaphore sem = mproc::Semaphore::create(2);  // anonymous, inherited by fork
    struct counters {
        std::atomic<int> active;
        std::atomic<int> peak;
    };
    shared<counters> c;
    std::vector<pid_t> pids;
    for (int i = 0; i < 5; ++i) {
        pids.push_back(fork_child([&] {
            for (int round = 0; round < 5; ++round) {
                if (!sem.acquire(10s)) return 1;
                const int now = c->active.fetch_add(1) + 1;
                int peak = c->peak.load();
                while (now > peak && !c->peak.compare_exchange_weak(peak, now)) {
                }
                std::this_thread::sleep_for(2ms);
                c->active.fetch_sub(1);
                sem.release();
            }
            return 0;
        }));
    }
    for (pid_t pid : pids) {
        ASSERT_GT(pid, 0);
        EXPECT_EQ(wait_child(pid), 0);
    }
    EXPECT_LE(c->peak.load(), 2);
    EXPECT_GE(c->peak.load(), 1);
    EXPECT_EQ(sem.value(), 2u);
}

TEST(CppBoundedSemaphore, ReleaseAboveTheBoundThrowsOverflow) {
    mproc::BoundedSemaphore sem = mproc::BoundedSemaphore::create(2);
    EXPECT_EQ(sem.bound(), 2u);
    try {
        sem.release();
        FAIL() << "release above the bound did not throw";
    } catch (const mproc::overflow_error &e) {
        EXPECT_EQ(e.code(), MPROC_EOVERFLOW);
    }
    EXPECT_EQ(sem.value(), 2u) << "a refused release changes nothing";
    ASSERT_TRUE(sem.acquire(0s));
    EXPECT_THROW(sem.release(2), mproc::overflow_error);
    sem.release();
    EXPECT_EQ(sem.value(), 2u);
}

TEST(CppBoundedSemaphore, OpenOfAnUnboundedSemaphoreThrowsKind) {
    scoped_name<mproc::Semaphore> name("unbounded");
    mproc::Semaphore plain = mproc::Semaphore::create(name, 1);
    EXPECT_THROW(mproc::BoundedSemaphore::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::BoundedSemaphore::create_or_open(name, 1), mproc::kind_error);
}

TEST(CppBoundedSemaphore, OpensAsBothKinds) {
    scoped_name<mproc::BoundedSemaphore> name("bounded");
    mproc::BoundedSemaphore created = mproc::BoundedSemaphore::create(name, 3);
    mproc::BoundedSemaphore bounded = mproc::BoundedSemaphore::open(name);
    mproc::Semaphore as_plain = mproc::Semaphore::open(name);
    EXPECT_EQ(bounded.bound(), 3u);
    EXPECT_EQ(as_plain.bound(), 3u);
    ASSERT_TRUE(as_plain.acquire(0s));
    EXPECT_EQ(created.value(), 2u);
    as_plain.release();
    EXPECT_THROW(as_plain.release(), mproc::overflow_error) << "the bound is in shared memory";
}

TEST(CppBoundedSemaphore, MovesIntoASemaphoreKeepingTheBound) {
    mproc::BoundedSemaphore bounded = mproc::BoundedSemaphore::create(1);
    mproc_semaphore_t *const raw = bounded.handle();
    mproc::Semaphore sem = std::move(bounded);
    EXPECT_EQ(sem.handle(), raw);
    EXPECT_FALSE(bounded.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(sem.bound(), 1u);
    EXPECT_THROW(sem.release(), mproc::overflow_error);
}
