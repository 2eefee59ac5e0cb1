// Condition: a waiter killed at any moment of acquire / wait / re-acquire / release never
// swallows a notification meant for a live waiter, and never wedges the condition.
// Each round: a victim cycles through short waits; it is SIGKILLed at a random moment;
// then a fresh live waiter registers, and one notify(1) must wake it, even when the dead
// victim's slot is older.
#include <mproc/mproc.h>

#include <deque>
#include <thread>
#include <vector>

#include "fault_support.hpp"

using namespace mproc_fault;

namespace {

// Where the victim was when it died: set by the victim as it goes.
enum Phase : int { kOutside = 0, kHoldingLock = 1, kInsideWait = 2 };

struct Shared {
    std::atomic<int> phase;
    std::atomic<int> started;
    std::atomic<int> waiter_ready;  // written under the condition's lock
    std::atomic<long> owner_dead_seen;
};

bool acquired(int rc) {
    return rc == MPROC_OK || rc == MPROC_EOWNERDEAD;
}

int victim_loop(mproc_condition_t *cond, Shared *shared, unsigned seed) {
    shared->started.store(1);
    std::mt19937 engine(seed);
    for (;;) {
        if (!acquired(mproc_condition_acquire(cond, -1.0))) return 10;
        shared->phase.store(kHoldingLock);
        // Hold the lock a random while, then wait a random while: the kill lands in
        // either, in about equal measure.
        auto hold_until =
            std::chrono::steady_clock::now() +
            std::chrono::microseconds(std::uniform_int_distribution<int>(0, 300)(engine));
        while (std::chrono::steady_clock::now() < hold_until) {
        }
        double timeout = std::uniform_int_distribution<int>(0, 500)(engine) * 1e-6;
        shared->phase.store(kInsideWait);
        int rc = mproc_condition_wait(cond, timeout);
        if (rc != MPROC_OK && rc != MPROC_ETIMEDOUT && rc != MPROC_EOWNERDEAD) return 11;
        shared->phase.store(kHoldingLock);
        if (mproc_condition_release(cond) != MPROC_OK) return 12;
        shared->phase.store(kOutside);
    }
}

// A live waiter: exits 0 only if it was notified.
int waiter(mproc_condition_t *cond, Shared *shared) {
    int rc = mproc_condition_acquire(cond, 5.0);
    if (!acquired(rc)) return 20;
    if (rc == MPROC_EOWNERDEAD) shared->owner_dead_seen++;
    shared->waiter_ready.store(1);
    rc = mproc_condition_wait(cond, 5.0);
    mproc_condition_release(cond);
    return rc == MPROC_OK ? 0 : 30 - rc;
}

void run_kill_rounds(mproc_condition_t *cond) {
    Shared *shared = shared_block<Shared>();
    const int n = rounds();
    int killed_in[3] = {0, 0, 0};
    for (int round = 0; round < n; ++round) {
        shared->phase.store(kOutside);
        shared->started.store(0);
        shared->waiter_ready.store(0);
        unsigned seed = static_cast<unsigned>(random_engine()());
        pid_t victim = spawn([&] { return victim_loop(cond, shared, seed); });
        ASSERT_TRUE(await_flag(shared->started)) << "round " << round;
        sleep_us(random_us(1500));
        // Half the rounds check while the victim is an unreaped zombie: a dead owner
        // must be recognised before its parent reaps it.
        const bool reap_first = round % 2 == 0;
        ASSERT_TRUE(kill_victim(victim, reap_first)) << "round " << round;
        killed_in[shared->phase.load()]++;

        pid_t live = spawn([&] { return waiter(cond, shared); });
        // Notify once the live waiter is inside wait: it set waiter_ready under the lock
        // and wait released it, so holding the lock and seeing the flag means it waits.
        bool notified = false;
        for (int attempt = 0; attempt < 50000 && !notified; ++attempt) {
            int rc = mproc_condition_acquire(cond, 5.0);
            ASSERT_TRUE(acquired(rc)) << "round " << round << ": " << mproc_last_error();
            if (rc == MPROC_EOWNERDEAD) shared->owner_dead_seen++;
            if (shared->waiter_ready.load()) {
                ASSERT_EQ(mproc_condition_notify(cond, 1), MPROC_OK);
                notified = true;
            }
            ASSERT_EQ(mproc_condition_release(cond), MPROC_OK);
            if (!notified) sleep_us(50);
        }
        ASSERT_TRUE(notified) << "round " << round << ": the live waiter never got to wait";
        ASSERT_EQ(reap(live, 10.0), 0)
            << "round " << round << ": the live waiter missed its notification";
        if (!reap_first) {
            ASSERT_EQ(reap(victim, 5.0), -SIGKILL) << "round " << round;
        }
    }
    // Kills must land both inside wait and while holding the lock, or this test is not
    // testing what it claims (only meaningful with enough rounds).
    if (n >= 200) {
        EXPECT_GT(killed_in[kInsideWait], 0) << "no kill landed inside wait";
        EXPECT_GT(killed_in[kHoldingLock], 0) << "no kill landed while holding the lock";
    }
    std::printf(
        "condition: %d kills: %d inside wait, %d holding the lock, %d outside; "
        "%ld recoveries from a dead lock owner\n",
        n, killed_in[kInsideWait], killed_in[kHoldingLock], killed_in[kOutside],
        shared->owner_dead_seen.load());
    free_shared_block(shared);
}

}  // namespace

TEST(ConditionFault, WaiterKilledAtRandomMomentsNeverSwallowsANotification) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    std::string name = unique_name("cond");
    mproc_condition_t *cond = nullptr;
    ASSERT_EQ(mproc_condition_create(name.c_str(), nullptr, &cond), MPROC_OK);
    run_kill_rounds(cond);
    EXPECT_EQ(mproc_condition_close(cond), MPROC_OK);
    EXPECT_EQ(mproc_condition_unlink(name.c_str()), MPROC_OK);
}

TEST(ConditionFault, WaiterKilledWhileAsleepIsSkippedByNotify) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    // Deterministic version of the race above: the dead waiter is the oldest.
    mproc_lock_t *lock = nullptr;
    mproc_condition_t *cond = nullptr;
    ASSERT_EQ(mproc_lock_create(nullptr, nullptr, &lock), MPROC_OK);
    ASSERT_EQ(mproc_condition_create_with_lock(nullptr, lock, nullptr, &cond), MPROC_OK);
    Shared *shared = shared_block<Shared>();
    pid_t dead = spawn([&] { return waiter(cond, shared); });
    ASSERT_TRUE(await_flag(shared->waiter_ready));
    ASSERT_EQ(mproc_condition_acquire(cond, 5.0), MPROC_OK);  // the dead one is inside wait
    ASSERT_EQ(mproc_condition_release(cond), MPROC_OK);
    kill(dead, SIGKILL);
    ASSERT_EQ(reap(dead, 5.0), -SIGKILL);

    shared->waiter_ready.store(0);
    pid_t live = spawn([&] { return waiter(cond, shared); });
    ASSERT_TRUE(await_flag(shared->waiter_ready));
    ASSERT_EQ(mproc_condition_acquire(cond, 5.0), MPROC_OK);
    ASSERT_EQ(mproc_condition_notify(cond, 1), MPROC_OK);
    ASSERT_EQ(mproc_condition_release(cond), MPROC_OK);
    EXPECT_EQ(reap(live, 10.0), 0);
    free_shared_block(shared);
    EXPECT_EQ(mproc_condition_close(cond), MPROC_OK);
    EXPECT_EQ(mproc_lock_close(lock), MPROC_OK);
}

// Thread variant for TSan: producers and consumers over a plain std::deque guarded by the
// condition, with notify(1), notify_all and timeouts; every item is consumed exactly once.
TEST(ConditionFault, ThreadsProduceAndConsumeWithTimeouts) {
    mproc_condition_t *cond = nullptr;
    ASSERT_EQ(mproc_condition_create(nullptr, nullptr, &cond), MPROC_OK);
    constexpr int kItems = 20000;
    std::deque<int> items;
    long consumed_sum = 0;
    int consumed = 0;
    std::atomic<int> failures{0};
    struct Predicate {
        std::deque<int> *items;
        int *consumed;
    };
    std::vector<std::thread> threads;
    for (int c = 0; c < 2; ++c) {
        threads.emplace_back([&] {
            Predicate p{&items, &consumed};
            for (;;) {
                if (mproc_condition_acquire(cond, 10.0) != MPROC_OK) {
                    failures++;
                    return;
                }
                int rc = mproc_condition_wait_for(
                    cond,
                    [](void *arg) {
                        auto *pred = static_cast<Predicate *>(arg);
                        return static_cast<int>(!pred->items->empty() || *pred->consumed >= kItems);
                    },
                    &p, 0.01);
                if (rc == MPROC_OK && !items.empty()) {
                    consumed_sum += items.front();
                    items.pop_front();
                    ++consumed;
                } else if (rc != MPROC_OK && rc != MPROC_ETIMEDOUT) {
                    failures++;
                }
                bool done = consumed >= kItems;
                if (done) mproc_condition_notify_all(cond);
                mproc_condition_release(cond);
                if (done) return;
            }
        });
    }
    threads.emplace_back([&] {
        for (int i = 1; i <= kItems; ++i) {
            if (mproc_condition_acquire(cond, 10.0) != MPROC_OK) {
                failures++;
                return;
            }
            items.push_back(i);
            mproc_condition_notify(cond, 1);
            mproc_condition_release(cond);
        }
    });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(consumed, kItems);
    EXPECT_EQ(consumed_sum, static_cast<long>(kItems) * (kItems + 1) / 2);
    EXPECT_EQ(mproc_condition_close(cond), MPROC_OK);
}
