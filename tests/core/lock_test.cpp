// Lock: multiprocessing.Lock semantics between threads and between processes, timeouts,
// release by anybody, close() of a handle with a blocked caller, and owner death.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/lock.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kOwnerDead;
using mproc::core::kTimedOut;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::Lock;

namespace {

Lock make_lock(Names &names, const char *tag) {
    return Lock::create(names.make(tag), CreateOptions{});
}

}  // namespace

TEST(Lock, StartsUnlockedAndAcquireReleaseToggleIt) {
    Names names;
    Lock lock = make_lock(names, "basic");
    EXPECT_FALSE(lock.locked());
    EXPECT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_TRUE(lock.locked());
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, IsNotRecursive) {
    Names names;
    Lock lock = make_lock(names, "not_recursive");
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut);
    EXPECT_EQ(lock.acquire(after(0.05)), kTimedOut);
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, ReleaseOfAnUnlockedLockIsNotOwner) {
    Names names;
    Lock lock = make_lock(names, "release_unlocked");
    EXPECT_EQ(lock.release(), kNotOwner);
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(lock.release(), kNotOwner) << "a second release";
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, TwoHandlesOfOneNameShareTheLock) {
    Names names;
    const std::string name = names.make("two_handles");
    Lock a = Lock::create(name, CreateOptions{});
    Lock b = Lock::open(name);
    ASSERT_EQ(a.acquire(after(0)), kOk);
    EXPECT_TRUE(b.locked());
    EXPECT_EQ(b.acquire(after(0)), kTimedOut);
    EXPECT_EQ(b.release(), kOk);
    EXPECT_FALSE(a.locked());
}

TEST(Lock, TryOnceFailsAtOnceWhileHeldByAnotherThread) {
    Names names;
    Lock lock = make_lock(names, "try_once");
    std::thread holder([&] { EXPECT_EQ(lock.acquire(after(0)), kOk); });
    holder.join();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut);
    EXPECT_LT(seconds_since(start), 1.0);
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, AcquireTimesOutAfterItsTimeoutWhileHeldByAnotherThread) {
    Names names;
    Lock lock = make_lock(names, "timeout");
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    std::thread waiter([&] {
        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(lock.acquire(after(0.15)), kTimedOut);
        const double took = seconds_since(start);
        EXPECT_GE(took, 0.14);
        EXPECT_LT(took, 3.0);
    });
    waiter.join();
    EXPECT_TRUE(lock.locked());
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, ReleasedByAnotherThreadWakesABlockedAcquire) {
    Names names;
    Lock lock = make_lock(names, "other_thread_release");
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::thread waiter([&] {
        tid = current_tid();
        result = lock.acquire(after(10));
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    // A third thread releases what the main thread acquired: a Lock has no owner thread.
    std::thread releaser([&] { EXPECT_EQ(lock.release(), kOk); });
    releaser.join();
    waiter.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_TRUE(lock.locked()) << "the waiter holds it now";
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, NegativeTimeoutWaitsUntilReleased) {
    Names names;
    Lock lock = make_lock(names, "forever");
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    std::thread releaser([&] {
        std::this_thread::sleep_for(100ms);
        EXPECT_EQ(lock.release(), kOk);
    });
    EXPECT_EQ(lock.acquire(after(-1)), kOk);
    releaser.join();
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, ExcludesBetweenThreads) {
    Names names;
    Lock lock = make_lock(names, "exclusion_threads");
    constexpr int kThreads = 4, kRounds = 2000;
    std::atomic<int> inside{0}, overlaps{0};
    long counter = 0;  // deliberately not atomic: the lock protects it
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                ASSERT_EQ(lock.acquire(after(10)), kOk);
                if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
                ++counter;
                inside.fetch_sub(1);
                ASSERT_EQ(lock.release(), kOk);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(counter, kThreads * kRounds);
}

TEST(Lock, ExcludesBetweenProcesses) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("exclusion_procs");
    Lock lock = Lock::create(name, CreateOptions{});
    struct Counters {
        std::atomic<int> inside;
        std::atomic<int> overlaps;
        long counter;
    };
    Shared<Counters> shared;
    constexpr int kChildren = 3, kRounds = 2000;
    std::vector<pid_t> children;
    for (int c = 0; c < kChildren; ++c) {
        children.push_back(reaper.add(run_in_child([&] {
            Lock mine = Lock::open(name);
            for (int i = 0; i < kRounds; ++i) {
                if (mine.acquire(after(10)) != kOk) return 1;
                if (shared->inside.fetch_add(1) != 0) shared->overlaps.fetch_add(1);
                long v = shared->counter;
                shared->counter = v + 1;
                shared->inside.fetch_sub(1);
                if (mine.release() != kOk) return 2;
            }
            return 0;
        })));
    }
    for (pid_t pid : children)
        EXPECT_EQ(wait_child(pid, 30s), 0);
    EXPECT_EQ(shared->overlaps.load(), 0);
    EXPECT_EQ(shared->counter, long{kChildren} * kRounds);
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, AcquireTimesOutWhileHeldByAnotherProcess) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("held_by_child");
    Lock lock = Lock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        while (stage->load() != 2)
            std::this_thread::sleep_for(1ms);
        return mine.release() == kOk ? 0 : 2;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(lock.acquire(after(0.15)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.14);
    stage->store(2);
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(lock.acquire(after(5)), kOk);
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, ReleasedByAnotherProcess) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child_releases");
    Lock lock = Lock::create(name, CreateOptions{});
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (!mine.locked()) return 1;
        if (mine.release() != kOk) return 2;
        return mine.release() == kNotOwner ? 0 : 3;
    }));
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_FALSE(lock.locked());
    EXPECT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, ReleaseInOneProcessWakesAnAcquireBlockedInAnother) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("wake_child");
    Lock lock = Lock::create(name, CreateOptions{});
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        stage->store(1);
        if (mine.acquire(after(10)) != kOk) return 1;
        return mine.release() == kOk ? 0 : 2;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    wait_until_sleeping(static_cast<std::uint32_t>(child));
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Lock, CloseWakesAnAcquireBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    Lock lock = Lock::create(name, CreateOptions{});
    Lock other = Lock::open(name);
    ASSERT_EQ(lock.acquire(after(0)), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = lock.acquire(after(-1));
        returned_ns = mproc::core::sync::Deadline::now_ns();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    // If close fails to wake it, release the lock after a while so the test ends.
    Watchdog watchdog(10s, [&] { other.release(); });
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    lock.close();
    waiter.join();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
    EXPECT_TRUE(other.locked()) << "close releases the handle, not the lock";
}

TEST(Lock, CloseWakesAnAcquireBlockedOnALockHeldElsewhere) {
    Names names;
    const std::string name = names.make("close_elsewhere");
    Lock lock = Lock::create(name, CreateOptions{});
    Lock other = Lock::open(name);
    ASSERT_EQ(other.acquire(after(0)), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::thread waiter([&] {
        tid = current_tid();
        result = lock.acquire(after(30));
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    const auto start = std::chrono::steady_clock::now();
    lock.close();
    waiter.join();
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_EQ(other.release(), kOk);
}

TEST(Lock, OwnerKilledWhileHoldingGivesOwnerDeadToTheNextAcquirer) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead");
    Lock lock = Lock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut) << "the child holds it and lives";
    ::kill(child, SIGKILL);
    // Not reaped yet: the dead owner is a zombie, which must count as dead.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(lock.acquire(after(5)), kOwnerDead);
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_TRUE(lock.locked()) << "kOwnerDead means acquired";
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut);
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);

    // And it is an ordinary lock again.
    EXPECT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(lock.release(), kNotOwner);
}

TEST(Lock, OwnerKilledWhileAnotherProcessIsBlockedInAcquire) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead_blocked");
    Lock lock = Lock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    std::atomic<std::int64_t> killed_ns{0};
    std::thread killer([&] {
        std::this_thread::sleep_for(200ms);
        killed_ns = mproc::core::sync::Deadline::now_ns();
        ::kill(child, SIGKILL);
    });
    EXPECT_EQ(lock.acquire(after(10)), kOwnerDead);
    const std::int64_t acquired_ns = mproc::core::sync::Deadline::now_ns();
    killer.join();
    EXPECT_LT((acquired_ns - killed_ns.load()) / 1e9, 2.0);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(lock.acquire(after(0)), kOk);
    EXPECT_EQ(lock.release(), kOk);
}

TEST(Lock, OnlyOneOfSeveralWaitersTakesOverFromADeadOwner) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead_many");
    Lock lock = Lock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    constexpr int kWaiters = 4;
    std::atomic<int> owner_dead{0}, ok{0}, other{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.emplace_back([&] {
            Lock mine = Lock::open(name);
            int r = mine.acquire(after(10));
            if (r == kOwnerDead) {
                owner_dead.fetch_add(1);
            } else if (r == kOk) {
                ok.fetch_add(1);
            } else {
                other.fetch_add(1);
                return;
            }
            std::this_thread::sleep_for(1ms);
            mine.release();
        });
    }
    std::this_thread::sleep_for(100ms);
    ::kill(child, SIGKILL);
    for (auto &t : waiters)
        t.join();
    EXPECT_EQ(owner_dead.load(), 1);
    EXPECT_EQ(ok.load(), kWaiters - 1);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    EXPECT_FALSE(lock.locked());
}

// A fork() child inherits the parent's handle, including the count of calls blocked on
// it, but not the parent's blocked threads: closing its copy must not wait for them.
TEST(Lock, AChildClosesAnInheritedHandleWhileAParentThreadIsBlockedOnIt) {
    Names names;
    const std::string name = names.make("fork-close");
    Lock holder = Lock::create(name, CreateOptions{});
    ASSERT_EQ(holder.acquire(after(5)), kOk);
    Lock waiter = Lock::open(name);
    std::atomic<int> result{1};
    std::thread blocked([&] { result = waiter.acquire(after(30)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it block

    pid_t child = run_in_child([&] {
        waiter.close();  // returns at once: no call of this process is inside
        return 0;
    });
    EXPECT_EQ(wait_child(child, std::chrono::seconds(5)), 0);

    EXPECT_EQ(holder.release(), kOk);
    blocked.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(waiter.release(), kOk);
}
