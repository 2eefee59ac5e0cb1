// RLock: multiprocessing.RLock semantics -- recursion owned by one thread of one process,
// owner-only release, timeouts, close() with a blocked caller, and owner death.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/rlock.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kOwnerDead;
using mproc::core::kTimedOut;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::RLock;

TEST(RLock, OwnerMayAcquireAgainAndCountFollowsTheLevel) {
    Names names;
    RLock rlock = RLock::create(names.make("recursion"), CreateOptions{});
    EXPECT_EQ(rlock.count(), 0u);
    EXPECT_FALSE(rlock.is_owned());
    for (unsigned level = 1; level <= 5; ++level) {
        ASSERT_EQ(rlock.acquire(after(0)), kOk);
        EXPECT_EQ(rlock.count(), level);
        EXPECT_TRUE(rlock.is_owned());
    }
    for (unsigned level = 5; level >= 1; --level) {
        EXPECT_EQ(rlock.release(), kOk);
        EXPECT_EQ(rlock.count(), level - 1);
    }
    EXPECT_FALSE(rlock.is_owned());
    EXPECT_EQ(rlock.release(), kNotOwner) << "one release more than acquires";
}

TEST(RLock, IsFreeOnlyOnceReleasedAsOftenAsAcquired) {
    Names names;
    RLock rlock = RLock::create(names.make("free_after_all"), CreateOptions{});
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    auto other_thread_try = [&] {
        int result = -100;
        std::thread t([&] {
            result = rlock.acquire(after(0));
            if (result == kOk) rlock.release();
        });
        t.join();
        return result;
    };
    EXPECT_EQ(other_thread_try(), kTimedOut);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(other_thread_try(), kTimedOut) << "still held at level 1";
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(other_thread_try(), kOk);
}

TEST(RLock, AnotherThreadCannotReleaseIt) {
    Names names;
    RLock rlock = RLock::create(names.make("other_release"), CreateOptions{});
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    std::thread other([&] {
        EXPECT_FALSE(rlock.is_owned());
        EXPECT_EQ(rlock.count(), 0u);
        EXPECT_EQ(rlock.release(), kNotOwner);
        EXPECT_EQ(rlock.acquire(after(0)), kTimedOut);
    });
    other.join();
    EXPECT_EQ(rlock.count(), 2u) << "the failed release changed nothing";
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(rlock.release(), kOk);
}

TEST(RLock, ReleaseOfAFreeRLockIsNotOwner) {
    Names names;
    RLock rlock = RLock::create(names.make("free_release"), CreateOptions{});
    EXPECT_EQ(rlock.release(), kNotOwner);
}

TEST(RLock, AcquireTimesOutWhileAnotherThreadOwnsIt) {
    Names names;
    RLock rlock = RLock::create(names.make("timeout"), CreateOptions{});
    std::atomic<int> stage{0};
    std::thread owner([&] {
        EXPECT_EQ(rlock.acquire(after(0)), kOk);
        stage = 1;
        while (stage.load() != 2)
            std::this_thread::sleep_for(1ms);
        EXPECT_EQ(rlock.release(), kOk);
    });
    ASSERT_TRUE(eventually([&] { return stage.load() == 1; }));
    EXPECT_EQ(rlock.acquire(after(0)), kTimedOut);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(rlock.acquire(after(0.15)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.14);
    stage = 2;
    owner.join();
    EXPECT_EQ(rlock.acquire(after(0)), kOk);
    EXPECT_EQ(rlock.count(), 1u);
    EXPECT_EQ(rlock.release(), kOk);
}

TEST(RLock, NegativeTimeoutWaitsUntilTheOwnerReleasesEveryLevel) {
    Names names;
    RLock rlock = RLock::create(names.make("forever"), CreateOptions{});
    std::atomic<int> stage{0};
    std::thread owner([&] {
        EXPECT_EQ(rlock.acquire(after(0)), kOk);
        EXPECT_EQ(rlock.acquire(after(0)), kOk);
        stage = 1;
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(rlock.release(), kOk);
        std::this_thread::sleep_for(50ms);
        stage = 2;
        EXPECT_EQ(rlock.release(), kOk);
    });
    ASSERT_TRUE(eventually([&] { return stage.load() >= 1; }));
    EXPECT_EQ(rlock.acquire(after(-1)), kOk);
    EXPECT_EQ(stage.load(), 2) << "acquired only after the last level went";
    EXPECT_EQ(rlock.count(), 1u);
    owner.join();
    EXPECT_EQ(rlock.release(), kOk);
}

TEST(RLock, ExcludesBetweenThreads) {
    Names names;
    RLock rlock = RLock::create(names.make("exclusion"), CreateOptions{});
    std::atomic<int> inside{0}, overlaps{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                ASSERT_EQ(rlock.acquire(after(10)), kOk);
                ASSERT_EQ(rlock.acquire(after(0)), kOk);
                if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
                inside.fetch_sub(1);
                ASSERT_EQ(rlock.release(), kOk);
                ASSERT_EQ(rlock.release(), kOk);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(overlaps.load(), 0);
}

TEST(RLock, AForkedChildDoesNotOwnItsParentsRLock) {
    Names names;
    ChildReaper reaper;
    RLock rlock = RLock::create(names.make("fork_owner"), CreateOptions{});
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    // The child's only thread is a copy of the owning thread, with the same stack and
    // thread-local caches: it must still not be taken for the owner.
    pid_t child = reaper.add(run_in_child([&] {
        if (rlock.is_owned()) return 1;
        if (rlock.count() != 0) return 2;
        if (rlock.release() != kNotOwner) return 3;
        if (rlock.acquire(after(0)) != kTimedOut) return 4;
        return 0;
    }));
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(rlock.count(), 1u);
    EXPECT_EQ(rlock.release(), kOk);
}

TEST(RLock, AnotherProcessWaitsUntilEveryLevelIsReleased) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child_owner");
    RLock rlock = RLock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        RLock mine = RLock::open(name);
        if (mine.acquire(after(0)) != kOk || mine.acquire(after(0)) != kOk) return 1;
        if (mine.count() != 2) return 2;
        stage->store(1);
        while (stage->load() != 2)
            std::this_thread::sleep_for(1ms);
        if (mine.release() != kOk) return 3;
        stage->store(3);
        while (stage->load() != 4)
            std::this_thread::sleep_for(1ms);
        return mine.release() == kOk ? 0 : 4;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(rlock.acquire(after(0)), kTimedOut);
    EXPECT_EQ(rlock.release(), kNotOwner) << "the parent does not own the child's lock";
    stage->store(2);
    ASSERT_TRUE(eventually([&] { return stage->load() == 3; }));
    EXPECT_EQ(rlock.acquire(after(0)), kTimedOut) << "level 1 is still held";
    stage->store(4);
    EXPECT_EQ(rlock.acquire(after(5)), kOk);
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(rlock.release(), kOk);
}

TEST(RLock, CloseWakesAnAcquireBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    RLock rlock = RLock::create(name, CreateOptions{});
    ASSERT_EQ(rlock.acquire(after(0)), kOk);  // the main thread owns it
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = rlock.acquire(after(-1));
        returned_ns = mproc::core::sync::Deadline::now_ns();
        if (result == kOk) rlock.release();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    std::thread closer([&] { rlock.close(); });
    // If close fails to wake the waiter, the owner (this thread) releases after a while.
    bool woke = eventually([&] { return returned_ns.load() != 0; }, 10s);
    if (!woke) rlock.release();
    closer.join();
    waiter.join();
    EXPECT_TRUE(woke);
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
    if (woke) {
        EXPECT_EQ(rlock.release(), kOk);
    }
}

TEST(RLock, OwnerKilledWhileHoldingGivesOwnerDeadAtLevelOne) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead");
    RLock rlock = RLock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        RLock mine = RLock::open(name);
        for (int i = 0; i < 3; ++i) {
            if (mine.acquire(after(0)) != kOk) return 1;
        }
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(rlock.acquire(after(0)), kTimedOut);
    ::kill(child, SIGKILL);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(rlock.acquire(after(5)), kOwnerDead);
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_TRUE(rlock.is_owned());
    EXPECT_EQ(rlock.count(), 1u) << "the dead owner's three levels are not inherited";
    EXPECT_EQ(rlock.acquire(after(0)), kOk);
    EXPECT_EQ(rlock.count(), 2u);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(rlock.release(), kNotOwner);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);

    std::thread other([&] {
        EXPECT_EQ(rlock.acquire(after(0)), kOk) << "free for anybody again";
        EXPECT_EQ(rlock.release(), kOk);
    });
    other.join();
}

TEST(RLock, OwnerKilledWhileAnotherProcessIsBlockedInAcquire) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead_blocked");
    RLock rlock = RLock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        RLock mine = RLock::open(name);
        if (mine.acquire(after(0)) != kOk || mine.acquire(after(0)) != kOk) return 1;
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
    EXPECT_EQ(rlock.acquire(after(10)), kOwnerDead);
    const std::int64_t acquired_ns = mproc::core::sync::Deadline::now_ns();
    killer.join();
    EXPECT_LT((acquired_ns - killed_ns.load()) / 1e9, 2.0);
    EXPECT_EQ(rlock.count(), 1u);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    EXPECT_EQ(rlock.acquire(after(0)), kOk);
    EXPECT_EQ(rlock.release(), kOk);
}
