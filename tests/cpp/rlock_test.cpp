// mproc::RLock: recursion through the standard wrappers, ownership per thread, exclusion
// between processes, owner death, moves.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "mproc/lock.hpp"
#include "mproc/rlock.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::shared;
using mproc_test::wait_child;
using mproc_test::watchdog;

TEST(CppRLock, LockGuardsNestInOneThread) {
    mproc::RLock rlock = mproc::RLock::create();
    EXPECT_FALSE(rlock.is_owned());
    {
        std::lock_guard<mproc::RLock> outer(rlock);
        {
            std::lock_guard<mproc::RLock> middle(rlock);
            std::unique_lock<mproc::RLock> inner(rlock);
            EXPECT_EQ(rlock.count(), 3u);
        }
        EXPECT_EQ(rlock.count(), 1u);
        EXPECT_TRUE(rlock.is_owned());
    }
    EXPECT_EQ(rlock.count(), 0u);
    EXPECT_FALSE(rlock.is_owned());
}

TEST(CppRLock, OtherThreadWaitsUntilEveryLevelIsReleased) {
    mproc::RLock rlock = mproc::RLock::create();
    rlock.lock();
    rlock.lock();
    bool got_while_held = true;
    std::thread([&] { got_while_held = rlock.try_lock_for(30ms); }).join();
    EXPECT_FALSE(got_while_held);

    rlock.unlock();
    bool got_at_one_level = true;
    std::thread([&] { got_at_one_level = rlock.try_lock(); }).join();
    EXPECT_FALSE(got_at_one_level) << "one level is still held";

    rlock.unlock();
    bool got_when_free = false;
    std::thread([&] {
        got_when_free = rlock.try_lock();
        if (got_when_free) rlock.unlock();
    }).join();
    EXPECT_TRUE(got_when_free);
}

TEST(CppRLock, ReleaseByAnotherThreadThrowsNotOwner) {
    mproc::RLock rlock = mproc::RLock::create();
    std::lock_guard<mproc::RLock> hold(rlock);
    int code = 0;
    std::thread([&] {
        try {
            rlock.release();
        } catch (const mproc::not_owner_error &e) {
            code = e.code();
        }
    }).join();
    EXPECT_EQ(code, MPROC_ENOTOWNER);
    EXPECT_TRUE(rlock.is_owned()) << "a refused release leaves the lock as it was";
}

TEST(CppRLock, ScopedLockTakesAnRLockAndALockTogether) {
    mproc::RLock rlock = mproc::RLock::create();
    mproc::Lock lock = mproc::Lock::create();
    {
        std::scoped_lock hold(rlock, lock);
        EXPECT_TRUE(rlock.is_owned());
        EXPECT_TRUE(lock.locked());
    }
    EXPECT_FALSE(rlock.is_owned());
    EXPECT_FALSE(lock.locked());
}

TEST(CppRLock, AcquireWithTimeoutReportsTimedOut) {
    mproc::RLock rlock = mproc::RLock::create();
    std::lock_guard<mproc::RLock> hold(rlock);
    mproc::acquire_result r = mproc::acquire_result::acquired;
    std::thread([&] { r = rlock.acquire(20ms); }).join();
    EXPECT_EQ(r, mproc::acquire_result::timed_out);
    EXPECT_EQ(rlock.acquire(0s), mproc::acquire_result::acquired) << "the owner re-enters";
    rlock.release();
}

TEST(CppRLock, ExcludesForkedProcesses) {
    scoped_name<mproc::RLock> name("procs");
    mproc::RLock rlock = mproc::RLock::create(name);
    shared<std::atomic<int>> step;
    rlock.lock();
    rlock.lock();
    const pid_t pid = fork_child([&] {
        mproc::RLock mine = mproc::RLock::open(name);
        if (mine.try_lock()) return 1;  // the parent holds it
        step->store(1);
        if (!mine.try_lock_for(10s)) return 2;
        if (mine.count() != 1) return 3;
        mine.unlock();
        return 0;
    });
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (step->load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    rlock.unlock();
    rlock.unlock();
    EXPECT_EQ(wait_child(pid), 0);
}

TEST(CppRLock, TakesOverFromADeadOwnerAtOneLevel) {
    mproc::RLock rlock = mproc::RLock::create();
    const pid_t pid = fork_child([&] {
        rlock.lock();
        rlock.lock();
        return 0;  // dies holding two levels
    });
    ASSERT_GT(pid, 0);
    ASSERT_EQ(wait_child(pid), 0);

    EXPECT_EQ(rlock.acquire(10s), mproc::acquire_result::owner_died);
    EXPECT_TRUE(rlock.is_owned());
    EXPECT_EQ(rlock.count(), 1u) << "the dead owner's levels are not inherited";
    rlock.release();
    EXPECT_FALSE(rlock.is_owned());

    // And through lock(), as std::lock_guard uses it.
    const pid_t pid2 = fork_child([&] {
        rlock.lock();
        return 0;
    });
    ASSERT_GT(pid2, 0);
    ASSERT_EQ(wait_child(pid2), 0);
    watchdog bound(10s, [&] { rlock.close(); });
    {
        std::lock_guard<mproc::RLock> hold(rlock);
        EXPECT_TRUE(rlock.is_owned());
    }
    EXPECT_FALSE(bound.fired());
}

TEST(CppRLock, MoveKeepsOwnershipWithTheThread) {
    mproc::RLock a = mproc::RLock::create();
    a.lock();
    mproc::RLock b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(b.is_owned()) << "ownership belongs to the thread, not the C++ object";
    b.unlock();
    EXPECT_THROW(a.release(), mproc::bad_handle_error);
}

TEST(CppRLock, OpenOfMissingNameThrowsNotFound) {
    scoped_name<mproc::RLock> name("missing");
    try {
        (void)mproc::RLock::open(name);
        FAIL() << "open of a missing name did not throw";
    } catch (const mproc::not_found_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTFOUND);
        EXPECT_NE(std::string(e.what()).find(name.str()), std::string::npos)
            << "the message names the object: " << e.what();
    }
}
