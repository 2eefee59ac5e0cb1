// Lock and RLock: a process killed while holding or waiting for the lock never wedges it.
// Each round forks a victim that loops acquire / work / release and SIGKILLs it at a
// random moment; a survivor process contends the whole time. After every round the parent
// must get the lock (MPROC_OK, or MPROC_EOWNERDEAD when the victim died holding it) and
// the survivor must never time out.
#include <mproc/mproc.h>

#include <thread>
#include <vector>

#include "fault_support.hpp"

using namespace mproc_fault;

namespace {

struct Counters {
    std::atomic<int> started;
    std::atomic<int> stop;
    std::atomic<long> survivor_rounds;
    std::atomic<long> owner_dead_seen;
};

// The operations a test needs, so Lock and RLock share one round loop.
struct LockOps {
    const char *kind;
    int (*acquire)(void *, double);
    int (*release)(void *);
    int levels;  // how deep the victim acquires (RLock recursion)
};

int lock_acquire(void *h, double t) {
    return mproc_lock_acquire(static_cast<mproc_lock_t *>(h), t);
}
int lock_release(void *h) {
    return mproc_lock_release(static_cast<mproc_lock_t *>(h));
}
int rlock_acquire(void *h, double t) {
    return mproc_rlock_acquire(static_cast<mproc_rlock_t *>(h), t);
}
int rlock_release(void *h) {
    return mproc_rlock_release(static_cast<mproc_rlock_t *>(h));
}

bool acquired(int rc) {
    return rc == MPROC_OK || rc == MPROC_EOWNERDEAD;
}

// The victim: loops taking the lock `levels` deep, doing a little work inside.
int victim_loop(const LockOps &ops, void *lock, Counters *counters) {
    counters->started.store(1);
    for (unsigned i = 0;; ++i) {
        for (int level = 0; level < ops.levels; ++level) {
            if (!acquired(ops.acquire(lock, -1.0))) return 10;
        }
        for (volatile int spin = 0; spin < static_cast<int>(i % 200); ++spin) {
        }
        for (int level = 0; level < ops.levels; ++level) {
            if (ops.release(lock) != MPROC_OK) return 11;
        }
    }
}

// The survivor: must get the lock within its (generous) timeout every time.
int survivor_loop(const LockOps &ops, void *lock, Counters *counters) {
    while (counters->stop.load() == 0) {
        int rc = ops.acquire(lock, 10.0);
        if (!acquired(rc)) return 20;
        if (rc == MPROC_EOWNERDEAD) counters->owner_dead_seen++;
        counters->survivor_rounds++;
        if (ops.release(lock) != MPROC_OK) return 21;
    }
    return 0;
}

void run_kill_rounds(const LockOps &ops, void *lock) {
    Counters *counters = shared_block<Counters>();
    pid_t survivor = spawn([&] { return survivor_loop(ops, lock, counters); });
    const int n = rounds();
    for (int round = 0; round < n; ++round) {
        counters->started.store(0);
        pid_t victim = spawn([&] { return victim_loop(ops, lock, counters); });
        ASSERT_TRUE(await_flag(counters->started)) << "round " << round;
        sleep_us(random_us(300));
        // Half the rounds check while the victim is an unreaped zombie: a dead owner
        // must be recognised before its parent reaps it.
        const bool reap_first = round % 2 == 0;
        ASSERT_TRUE(kill_victim(victim, reap_first)) << "round " << round;

        int rc = ops.acquire(lock, 5.0);
        ASSERT_TRUE(acquired(rc)) << ops.kind << " round " << round << ": " << mproc_errname(rc)
                                  << " " << mproc_last_error();
        if (rc == MPROC_EOWNERDEAD) counters->owner_dead_seen++;
        ASSERT_EQ(ops.release(lock), MPROC_OK) << "round " << round;
        if (!reap_first) {
            ASSERT_EQ(reap(victim, 5.0), -SIGKILL) << "round " << round;
        }
    }
    counters->stop.store(1);
    EXPECT_EQ(reap(survivor, 15.0), 0) << "the survivor timed out or failed";
    EXPECT_GT(counters->survivor_rounds.load(), 0);
    // The victim holds the lock much of the time: some kills must land while it does,
    // or this test is not testing recovery at all.
    EXPECT_GT(counters->owner_dead_seen.load(), 0);
    std::printf("%s: %d kills, %ld recovered from a dead owner, survivor took it %ld times\n",
                ops.kind, n, counters->owner_dead_seen.load(), counters->survivor_rounds.load());
    free_shared_block(counters);
}

}  // namespace

TEST(LockFault, OwnerKilledAtRandomMomentsNeverWedgesTheLock) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    std::string name = unique_name("lock");
    mproc_lock_t *lock = nullptr;
    ASSERT_EQ(mproc_lock_create(name.c_str(), nullptr, &lock), MPROC_OK);
    run_kill_rounds(LockOps{"lock", lock_acquire, lock_release, 1}, lock);
    EXPECT_EQ(mproc_lock_close(lock), MPROC_OK);
    EXPECT_EQ(mproc_lock_unlink(name.c_str()), MPROC_OK);
}

TEST(RLockFault, OwnerKilledAtRandomMomentsNeverWedgesTheLock) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    std::string name = unique_name("rlock");
    mproc_rlock_t *rlock = nullptr;
    ASSERT_EQ(mproc_rlock_create(name.c_str(), nullptr, &rlock), MPROC_OK);
    run_kill_rounds(LockOps{"rlock", rlock_acquire, rlock_release, 3}, rlock);
    unsigned count = 99;
    EXPECT_EQ(mproc_rlock_count(rlock, &count), MPROC_OK);
    EXPECT_EQ(count, 0u);
    EXPECT_EQ(mproc_rlock_close(rlock), MPROC_OK);
    EXPECT_EQ(mproc_rlock_unlink(name.c_str()), MPROC_OK);
}

// The thread variant of the same workload, for TSan: threads contend with timeouts and
// update a plain (non-atomic) counter under the lock; TSan reports any missing
// happens-before edge, and the final count proves mutual exclusion.
template <typename Handle>
void contend_with_threads(Handle *lock, int (*acquire)(Handle *, double), int (*release)(Handle *),
                          int levels) {
    long counter = 0;
    std::atomic<long> taken{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20000; ++i) {
                double timeout = (i + t) % 7 == 0 ? 0.0 : 5.0;
                int rc = acquire(lock, timeout);
                if (rc == MPROC_ETIMEDOUT && timeout == 0.0) continue;
                if (rc != MPROC_OK) {
                    failures++;
                    continue;
                }
                for (int level = 1; level < levels; ++level) {
                    if (acquire(lock, 0.0) != MPROC_OK) failures++;
                }
                ++counter;
                taken++;
                for (int level = 0; level < levels; ++level) {
                    if (release(lock) != MPROC_OK) failures++;
                }
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(counter, taken.load());
}

TEST(LockFault, ThreadsContendWithTimeouts) {
    mproc_lock_t *lock = nullptr;
    ASSERT_EQ(mproc_lock_create(nullptr, nullptr, &lock), MPROC_OK);
    contend_with_threads(lock, mproc_lock_acquire, mproc_lock_release, 1);
    EXPECT_EQ(mproc_lock_close(lock), MPROC_OK);
}

TEST(RLockFault, ThreadsContendWithTimeouts) {
    mproc_rlock_t *rlock = nullptr;
    ASSERT_EQ(mproc_rlock_create(nullptr, nullptr, &rlock), MPROC_OK);
    contend_with_threads(rlock, mproc_rlock_acquire, mproc_rlock_release, 3);
    EXPECT_EQ(mproc_rlock_close(rlock), MPROC_OK);
}
