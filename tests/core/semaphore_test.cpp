// Semaphore and BoundedSemaphore: counting, timeouts, the bound and the maximum,
// release(n) waking n, between threads and processes, and close() with a blocked caller.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/semaphore.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::kOverflow;
using mproc::core::kTimedOut;
using mproc::core::kTooBig;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::kSemaphoreValueMax;
using mproc::core::sync::Semaphore;

TEST(Semaphore, AcquireTakesTheValueDownToZeroThenTimesOut) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("count"), 2, false, CreateOptions{});
    EXPECT_EQ(sem.value(), 2u);
    EXPECT_EQ(sem.bound(), 0u) << "unbounded";
    EXPECT_EQ(sem.acquire(after(0)), kOk);
    EXPECT_EQ(sem.acquire(after(0)), kOk);
    EXPECT_EQ(sem.value(), 0u);
    EXPECT_EQ(sem.acquire(after(0)), kTimedOut);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(sem.acquire(after(0.15)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.14);
    EXPECT_EQ(sem.release(1), kOk);
    EXPECT_EQ(sem.value(), 1u);
    EXPECT_EQ(sem.acquire(after(0)), kOk);
}

TEST(Semaphore, StartingAtZeroBlocksUntilReleased) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("zero"), 0, false, CreateOptions{});
    std::thread releaser([&] {
        std::this_thread::sleep_for(100ms);
        EXPECT_EQ(sem.release(1), kOk);
    });
    EXPECT_EQ(sem.acquire(after(-1)), kOk);
    releaser.join();
    EXPECT_EQ(sem.value(), 0u);
}

TEST(Semaphore, UnboundedReleaseMayExceedTheInitialValue) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("unbounded"), 1, false, CreateOptions{});
    EXPECT_EQ(sem.release(5), kOk);
    EXPECT_EQ(sem.value(), 6u);
}

TEST(Semaphore, ReleaseOfZeroIsInvalid) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("release0"), 1, false, CreateOptions{});
    EXPECT_EQ(sem.release(0), kInvalid);
    EXPECT_EQ(sem.value(), 1u);
}

TEST(Semaphore, ReleasePastTheMaximumIsOverflowAndChangesNothing) {
    Names names;
    Semaphore sem =
        Semaphore::create(names.make("max"), kSemaphoreValueMax - 1, false, CreateOptions{});
    EXPECT_EQ(sem.release(2), kOverflow);
    EXPECT_EQ(sem.value(), kSemaphoreValueMax - 1);
    EXPECT_EQ(sem.release(0xffffffffu), kOverflow);
    EXPECT_EQ(sem.release(1), kOk);
    EXPECT_EQ(sem.value(), kSemaphoreValueMax);
    EXPECT_EQ(sem.release(1), kOverflow);
    EXPECT_EQ(sem.value(), kSemaphoreValueMax);
}

TEST(Semaphore, CreateOverTheMaximumIsTooBig) {
    Names names;
    const std::string name = names.make("too_big");
    EXPECT_EQ(status_of([&] { Semaphore::create(name, kSemaphoreValueMax + 1, false, {}); }),
              kTooBig);
    EXPECT_FALSE(shm_file_exists(name));
}

TEST(Semaphore, BoundedOverReleaseIsOverflowWithTheValueUnchanged) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("bounded"), 2, true, CreateOptions{});
    EXPECT_EQ(sem.bound(), 2u);
    EXPECT_EQ(sem.release(1), kOverflow);
    EXPECT_EQ(sem.value(), 2u);
    ASSERT_EQ(sem.acquire(after(0)), kOk);
    EXPECT_EQ(sem.release(2), kOverflow) << "1 + 2 is over the bound";
    EXPECT_EQ(sem.value(), 1u);
    EXPECT_EQ(sem.release(1), kOk);
    EXPECT_EQ(sem.value(), 2u);
    ASSERT_EQ(sem.acquire(after(0)), kOk);
    ASSERT_EQ(sem.acquire(after(0)), kOk);
    EXPECT_EQ(sem.release(2), kOk);
    EXPECT_EQ(sem.value(), 2u);
}

TEST(Semaphore, OpenedByNameSharesTheValueAndTheBound) {
    Names names;
    const std::string name = names.make("open");
    Semaphore sem = Semaphore::create(name, 3, true, CreateOptions{});
    Semaphore other = Semaphore::open(name);
    EXPECT_EQ(other.bound(), 3u);
    ASSERT_EQ(other.acquire(after(0)), kOk);
    EXPECT_EQ(sem.value(), 2u);
    EXPECT_EQ(sem.release(1), kOk);
    EXPECT_EQ(other.release(1), kOverflow);
}

TEST(Semaphore, AtMostValueThreadsAreInsideAtOnce) {
    Names names;
    constexpr unsigned kValue = 3;
    Semaphore sem = Semaphore::create(names.make("threads"), kValue, false, CreateOptions{});
    std::atomic<int> inside{0}, most{0}, passes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 300; ++i) {
                ASSERT_EQ(sem.acquire(after(10)), kOk);
                int now = inside.fetch_add(1) + 1;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                if (i % 16 == 0) std::this_thread::yield();
                inside.fetch_sub(1);
                passes.fetch_add(1);
                ASSERT_EQ(sem.release(1), kOk);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_LE(most.load(), static_cast<int>(kValue));
    EXPECT_GE(most.load(), 1);
    EXPECT_EQ(passes.load(), 8 * 300);
    EXPECT_EQ(sem.value(), kValue);
}

TEST(Semaphore, AtMostValueProcessesAreInsideAtOnce) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("procs");
    constexpr unsigned kValue = 2;
    Semaphore sem = Semaphore::create(name, kValue, true, CreateOptions{});
    struct Counters {
        std::atomic<int> inside;
        std::atomic<int> most;
    };
    Shared<Counters> shared;
    std::vector<pid_t> children;
    for (int c = 0; c < 4; ++c) {
        children.push_back(reaper.add(run_in_child([&] {
            Semaphore mine = Semaphore::open(name);
            for (int i = 0; i < 500; ++i) {
                if (mine.acquire(after(10)) != kOk) return 1;
                int now = shared->inside.fetch_add(1) + 1;
                int seen = shared->most.load();
                while (now > seen && !shared->most.compare_exchange_weak(seen, now)) {
                }
                shared->inside.fetch_sub(1);
                if (mine.release(1) != kOk) return 2;
            }
            return 0;
        })));
    }
    for (pid_t pid : children)
        EXPECT_EQ(wait_child(pid, 30s), 0);
    EXPECT_LE(shared->most.load(), static_cast<int>(kValue));
    EXPECT_EQ(sem.value(), kValue);
}

TEST(Semaphore, ReleaseOfNWakesExactlyNWaiters) {
    Names names;
    Semaphore sem = Semaphore::create(names.make("release_n"), 0, false, CreateOptions{});
    constexpr int kWaiters = 4;
    std::atomic<int> started{0}, acquired{0}, failed{0};
    std::vector<std::uint32_t> tids(kWaiters, 0);
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.emplace_back([&, i] {
            tids[i] = current_tid();
            started.fetch_add(1);
            if (sem.acquire(after(10)) == kOk) {
                acquired.fetch_add(1);
            } else {
                failed.fetch_add(1);
            }
        });
    }
    ASSERT_TRUE(eventually([&] { return started.load() == kWaiters; }));
    for (std::uint32_t tid : tids)
        wait_until_sleeping(tid);

    EXPECT_EQ(sem.release(2), kOk);
    EXPECT_TRUE(eventually([&] { return acquired.load() == 2; }, 3s));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(acquired.load(), 2) << "only two units were released";
    EXPECT_EQ(sem.value(), 0u);

    EXPECT_EQ(sem.release(2), kOk);
    for (auto &t : waiters)
        t.join();
    EXPECT_EQ(acquired.load(), kWaiters);
    EXPECT_EQ(failed.load(), 0);
}

TEST(Semaphore, ReleaseInOneProcessWakesAnAcquireBlockedInAnother) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("cross");
    Semaphore sem = Semaphore::create(name, 0, false, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Semaphore mine = Semaphore::open(name);
        stage->store(1);
        if (mine.acquire(after(10)) != kOk) return 1;
        return mine.value() == 0 ? 0 : 2;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    wait_until_sleeping(static_cast<std::uint32_t>(child));
    EXPECT_EQ(sem.release(1), kOk);
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(sem.value(), 0u);
}

TEST(Semaphore, AcquireTimesOutInAnotherProcessWhileTheValueIsZero) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("cross_timeout");
    Semaphore sem = Semaphore::create(name, 0, false, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Semaphore mine = Semaphore::open(name);
        if (mine.acquire(after(0)) != kTimedOut) return 1;
        return mine.acquire(after(0.1)) == kTimedOut ? 0 : 2;
    }));
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Semaphore, CloseWakesAnAcquireBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    Semaphore sem = Semaphore::create(name, 0, false, CreateOptions{});
    Semaphore other = Semaphore::open(name);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = sem.acquire(after(-1));
        returned_ns = mproc::core::sync::Deadline::now_ns();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    Watchdog watchdog(10s, [&] { other.release(1); });
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    sem.close();
    waiter.join();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
    EXPECT_EQ(other.value(), 0u) << "nothing was taken";
}
