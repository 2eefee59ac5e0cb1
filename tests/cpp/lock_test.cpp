// mproc::Lock: the C++ layer over mproc_lock_* -- factories, RAII close, moves, the
// standard lock wrappers, acquire results, and exclusion between threads and processes.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/lock.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::shared;
using mproc_test::wait_child;
using mproc_test::watchdog;

TEST(CppLock, CreateOpenAndUnlinkByName) {
    scoped_name<mproc::Lock> name("create_open");
    mproc::Lock created = mproc::Lock::create(name);
    EXPECT_EQ(created.name(), name.str());

    mproc::Lock opened = mproc::Lock::open(name);
    created.lock();
    EXPECT_TRUE(opened.locked()) << "two handles of one name share the lock";
    opened.unlock();  // any handle, any thread may release a Lock
    EXPECT_FALSE(created.locked());

    mproc::Lock::unlink(name);
    EXPECT_THROW(mproc::Lock::open(name), mproc::not_found_error);
    EXPECT_TRUE(opened.try_lock()) << "an unlinked lock lives on while handles exist";
    opened.unlock();
}

TEST(CppLock, CreateOfTakenNameThrowsExistsButCreateOrOpenAttaches) {
    scoped_name<mproc::Lock> name("exists");
    mproc::Lock first = mproc::Lock::create(name);
    EXPECT_THROW(mproc::Lock::create(name), mproc::exists_error);

    mproc::Lock second = mproc::Lock::create_or_open(name);
    std::lock_guard<mproc::Lock> hold(first);
    EXPECT_TRUE(second.locked());
}

TEST(CppLock, CreateOrOpenCreatesWhenMissing) {
    scoped_name<mproc::Lock> name("create_or_open");
    mproc::Lock lock = mproc::Lock::create_or_open(name);
    EXPECT_EQ(lock.name(), name.str());
    EXPECT_FALSE(lock.locked());
}

TEST(CppLock, PermissionsReachTheSharedMemoryFile) {
    scoped_name<mproc::Lock> name("perms");
    mproc::Lock lock = mproc::Lock::create(name, mproc::permissions{0640});
    struct stat st {};
    ASSERT_EQ(::stat(("/dev/shm/mproc." + name.str()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(CppLock, DefaultPermissionsAreOwnerOnly) {
    scoped_name<mproc::Lock> name("default_perms");
    mproc::Lock lock = mproc::Lock::create(name);
    struct stat st {};
    ASSERT_EQ(::stat(("/dev/shm/mproc." + name.str()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(CppLock, DestructorClosesAndAnonymousNameGoesWithIt) {
    std::string name;
    {
        mproc::Lock anon = mproc::Lock::create();
        name = anon.name();
        EXPECT_FALSE(name.empty());
        mproc::Lock other = mproc::Lock::open(name);  // opened while the creator has it
        EXPECT_TRUE(other.valid());
    }
    EXPECT_THROW(mproc::Lock::open(name), mproc::not_found_error)
        << "closing the creator's handle removes an anonymous lock's name";
}

TEST(CppLock, ExplicitCloseReleasesTheHandleOnce) {
    mproc::Lock lock = mproc::Lock::create();
    const std::string name = lock.name();
    lock.close();
    EXPECT_FALSE(lock.valid());
    EXPECT_EQ(lock.handle(), nullptr);
    EXPECT_NO_THROW(lock.close()) << "closing twice is harmless";
    EXPECT_THROW(lock.lock(), mproc::bad_handle_error);
    EXPECT_THROW(mproc::Lock::open(name), mproc::not_found_error);
}

TEST(CppLock, MoveTransfersTheHandle) {
    mproc::Lock a = mproc::Lock::create();
    mproc_lock_t *const raw = a.handle();
    mproc::Lock b = std::move(a);
    EXPECT_EQ(b.handle(), raw);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state
    EXPECT_THROW(a.lock(), mproc::bad_handle_error);
    EXPECT_THROW(a.name(), mproc::bad_handle_error);

    std::lock_guard<mproc::Lock> hold(b);
    EXPECT_TRUE(b.locked());
}

TEST(CppLock, MoveAssignmentClosesTheOldHandle) {
    mproc::Lock target = mproc::Lock::create();
    const std::string old_name = target.name();
    mproc::Lock source = mproc::Lock::create();
    mproc_lock_t *const raw = source.handle();

    target = std::move(source);
    EXPECT_EQ(target.handle(), raw);
    EXPECT_THROW(mproc::Lock::open(old_name), mproc::not_found_error)
        << "the anonymous lock target held was closed by the assignment";
    EXPECT_NO_THROW(mproc::Lock::open(target.name()));
}

TEST(CppLock, WorksWithStdLockGuard) {
    mproc::Lock lock = mproc::Lock::create();
    {
        std::lock_guard<mproc::Lock> hold(lock);
        EXPECT_TRUE(lock.locked());
        EXPECT_FALSE(lock.try_lock()) << "a Lock is not recursive";
    }
    EXPECT_FALSE(lock.locked());
}

TEST(CppLock, WorksWithStdUniqueLock) {
    mproc::Lock lock = mproc::Lock::create();
    std::unique_lock<mproc::Lock> hold(lock, std::defer_lock);
    EXPECT_FALSE(lock.locked());
    hold.lock();
    EXPECT_TRUE(lock.locked());
    hold.unlock();
    EXPECT_TRUE(hold.try_lock_for(10ms));
    EXPECT_TRUE(hold.owns_lock());

    bool other_got_it = true;
    std::thread([&] {
        std::unique_lock<mproc::Lock> again(lock, std::try_to_lock);
        other_got_it = again.owns_lock();
    }).join();
    EXPECT_FALSE(other_got_it);
}

TEST(CppLock, WorksWithStdScopedLockWithoutDeadlock) {
    mproc::Lock a = mproc::Lock::create();
    mproc::Lock b = mproc::Lock::create();
    int counter = 0;
    constexpr int kRounds = 2000;
    // Opposite orders in the two threads would deadlock without std::lock's try_lock dance.
    std::thread t1([&] {
        for (int i = 0; i < kRounds; ++i) {
            std::scoped_lock hold(a, b);
            ++counter;
        }
    });
    std::thread t2([&] {
        for (int i = 0; i < kRounds; ++i) {
            std::scoped_lock hold(b, a);
            ++counter;
        }
    });
    t1.join();
    t2.join();
    EXPECT_EQ(counter, 2 * kRounds);
    EXPECT_FALSE(a.locked());
    EXPECT_FALSE(b.locked());
}

TEST(CppLock, TryLockForWaitsAboutTheDurationWhenHeld) {
    mproc::Lock lock = mproc::Lock::create();
    std::lock_guard<mproc::Lock> hold(lock);
    bool got = true;
    double waited = 0;
    std::thread([&] {
        const auto start = std::chrono::steady_clock::now();
        got = lock.try_lock_for(60ms);
        waited = seconds_since(start);
    }).join();
    EXPECT_FALSE(got);
    EXPECT_GE(waited, 0.05);
    EXPECT_LT(waited, 2.0);
}

TEST(CppLock, TryLockUntilUsesTheTimePointsClock) {
    mproc::Lock lock = mproc::Lock::create();
    std::lock_guard<mproc::Lock> hold(lock);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(lock.try_lock_until(std::chrono::system_clock::now() + 40ms));
    EXPECT_GE(seconds_since(start), 0.03);
    EXPECT_FALSE(lock.try_lock_until(std::chrono::steady_clock::now() - 1s))
        << "a past time point tries once";
}

TEST(CppLock, AcquireReportsTimeoutsWithoutThrowing) {
    mproc::Lock lock = mproc::Lock::create();
    EXPECT_EQ(lock.acquire(), mproc::acquire_result::acquired);
    EXPECT_EQ(lock.acquire(0ms), mproc::acquire_result::timed_out);
    EXPECT_EQ(lock.acquire(-5s), mproc::acquire_result::timed_out)
        << "a negative duration tries once; only mproc::forever waits without limit";
    EXPECT_EQ(lock.acquire(20ms), mproc::acquire_result::timed_out);
    lock.release();
    EXPECT_EQ(lock.acquire(std::chrono::hours::max()), mproc::acquire_result::acquired)
        << "a huge duration means forever and must not overflow into an instant timeout";
    lock.release();
}

TEST(CppLock, ReleaseOfUnheldLockThrowsNotOwner) {
    mproc::Lock lock = mproc::Lock::create();
    try {
        lock.release();
        FAIL() << "release of a free lock did not throw";
    } catch (const mproc::not_owner_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTOWNER);
    }
}

TEST(CppLock, UnlockNeverThrowsSoStandardWrappersCanUnwind) {
    static_assert(noexcept(std::declval<mproc::Lock &>().unlock()));
    mproc::Lock lock = mproc::Lock::create();
    EXPECT_NO_THROW(lock.unlock());
    // A handle closed while a std::unique_lock holds it: the unique_lock's destructor must
    // not turn that into std::terminate.
    {
        std::unique_lock<mproc::Lock> hold(lock);
        lock.close();
    }
    EXPECT_FALSE(lock.valid());
}

TEST(CppLock, AnyThreadMayRelease) {
    mproc::Lock lock = mproc::Lock::create();
    lock.lock();
    std::thread([&] { lock.unlock(); }).join();
    EXPECT_FALSE(lock.locked());
}

TEST(CppLock, ExcludesThreads) {
    mproc::Lock lock = mproc::Lock::create();
    long counter = 0;  // deliberately not atomic: the lock is what protects it
    constexpr int kThreads = 4;
    constexpr int kRounds = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                std::lock_guard<mproc::Lock> hold(lock);
                ++counter;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(counter, long{kThreads} * kRounds);
}

TEST(CppLock, ExcludesForkedProcessesOpeningByName) {
    scoped_name<mproc::Lock> name("procs");
    mproc::Lock lock = mproc::Lock::create(name);
    shared<long> counter;  // plain memory: only the lock keeps the increments whole
    constexpr int kChildren = 3;
    constexpr int kRounds = 20000;
    std::vector<pid_t> pids;
    for (int c = 0; c < kChildren; ++c) {
        pids.push_back(fork_child([&] {
            mproc::Lock mine = mproc::Lock::open(name);
            for (int i = 0; i < kRounds; ++i) {
                if (!mine.try_lock_for(10s)) return 1;
                const long v = *counter;
                *counter = v + 1;
                mine.unlock();
            }
            return 0;
        }));
    }
    for (pid_t pid : pids) {
        ASSERT_GT(pid, 0);
        EXPECT_EQ(wait_child(pid), 0);
    }
    EXPECT_EQ(*counter, long{kChildren} * kRounds);
}

TEST(CppLock, AnonymousLockIsInheritedByFork) {
    mproc::Lock lock = mproc::Lock::create();
    lock.lock();
    const pid_t pid = fork_child([&] {
        // Held by the parent: the child cannot take it until the parent lets go.
        if (lock.try_lock()) return 1;
        if (!lock.try_lock_for(10s)) return 2;
        lock.unlock();
        return 0;
    });
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(50ms);
    lock.unlock();
    EXPECT_EQ(wait_child(pid), 0);
}

TEST(CppLock, AcquireReportsOwnerDied) {
    scoped_name<mproc::Lock> name("owner_died");
    mproc::Lock lock = mproc::Lock::create(name);
    const pid_t pid = fork_child([&] {
        mproc::Lock::open(name).lock();  // closing a handle does not release the lock
        return 0;
    });
    ASSERT_GT(pid, 0);
    ASSERT_EQ(wait_child(pid), 0);

    EXPECT_EQ(lock.acquire(10s), mproc::acquire_result::owner_died);
    EXPECT_TRUE(lock.locked()) << "owner_died means the caller holds the lock";
    lock.release();
    EXPECT_EQ(lock.acquire(0s), mproc::acquire_result::acquired);
    lock.release();
}

TEST(CppLock, LockGuardTakesOverFromDeadOwner) {
    mproc::Lock lock = mproc::Lock::create();
    const pid_t pid = fork_child([&] {
        lock.lock();  // and exits holding it
        return 0;
    });
    ASSERT_GT(pid, 0);
    ASSERT_EQ(wait_child(pid), 0);

    watchdog bound(10s, [&] { lock.close(); });
    {
        std::lock_guard<mproc::Lock> hold(lock);  // lock() must treat EOWNERDEAD as acquired
        EXPECT_TRUE(lock.locked());
    }
    EXPECT_FALSE(bound.fired());
    EXPECT_FALSE(lock.locked());
}

TEST(CppLock, CloseWakesABlockedLockWithClosedError) {
    mproc::Lock holder = mproc::Lock::create();
    mproc::Lock waiter = mproc::Lock::open(holder.name());
    holder.lock();
    std::atomic<int> code{0};
    std::thread t([&] {
        try {
            waiter.lock();
            code = 1;
        } catch (const mproc::error &e) {
            code = e.code();
        }
    });
    std::this_thread::sleep_for(100ms);  // let it block
    waiter.close();
    t.join();
    EXPECT_EQ(code.load(), MPROC_ECLOSED);
    holder.unlock();
}
