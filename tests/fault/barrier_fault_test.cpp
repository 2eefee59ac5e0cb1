// Barrier: a party killed at any moment of wait (or while running the action, or while
// holding the barrier's internal guard) never leaves a survivor hanging, and after reset
// the barrier works again.
#include <mproc/mproc.h>

#include <thread>
#include <vector>

#include "fault_support.hpp"

using namespace mproc_fault;

namespace {

struct Shared {
    std::atomic<int> victim_started;
    std::atomic<int> survivor_started;
    std::atomic<int> stop;
    std::atomic<long> trips;
};

// An action that takes a little while, so that kills land inside it too.
int slow_action(void *arg) {
    auto *us = static_cast<long *>(arg);
    sleep_us(*us);
    return 0;
}

int party_loop(mproc_barrier_t *barrier, Shared *shared, std::atomic<int> *started,
               bool with_action) {
    long action_us = 50;
    if (with_action) mproc_barrier_set_action(barrier, slow_action, &action_us);
    started->store(1);
    for (;;) {
        int rc = mproc_barrier_wait(barrier, 30.0, nullptr);
        if (rc == MPROC_OK) {
            shared->trips++;
            continue;
        }
        if (rc != MPROC_EBROKEN) return 40 - rc;  // a timeout means we hung
        // Broken: by the parent's abort after the kill, or because the victim died in
        // its action. Either way the parent is about to stop us.
        for (int i = 0; i < 50000 && shared->stop.load() == 0; ++i)
            sleep_us(100);
        return shared->stop.load() != 0 ? 0 : 50;
    }
}

}  // namespace

TEST(BarrierFault, PartyKilledAtRandomMomentsNeverHangsTheOthers) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    std::string name = unique_name("barrier");
    mproc_barrier_t *barrier = nullptr;
    ASSERT_EQ(mproc_barrier_create(name.c_str(), 2, nullptr, &barrier), MPROC_OK);
    Shared *shared = shared_block<Shared>();
    const int n = rounds();
    for (int round = 0; round < n; ++round) {
        shared->victim_started.store(0);
        shared->survivor_started.store(0);
        shared->stop.store(0);
        pid_t victim = spawn([&] {
            return party_loop(barrier, shared, &shared->victim_started, /*with_action=*/true);
        });
        pid_t survivor =
            spawn([&] { return party_loop(barrier, shared, &shared->survivor_started, false); });
        ASSERT_TRUE(await_flag(shared->victim_started)) << "round " << round;
        ASSERT_TRUE(await_flag(shared->survivor_started)) << "round " << round;
        sleep_us(random_us(1000));
        ASSERT_TRUE(kill_victim(victim, round % 2 == 0)) << "round " << round;

        // The survivor may be waiting for a partner that will never come: abort wakes it.
        shared->stop.store(1);
        ASSERT_EQ(mproc_barrier_abort(barrier), MPROC_OK);
        ASSERT_EQ(reap(survivor, 10.0), 0) << "round " << round << ": the survivor hung or failed";
        if (round % 2 == 1) {
            ASSERT_EQ(reap(victim, 5.0), -SIGKILL) << "round " << round;
        }

        // After reset, two live parties pass together.
        ASSERT_EQ(mproc_barrier_reset(barrier), MPROC_OK);
        pid_t partner = spawn([&] {
            unsigned index = 99;
            return mproc_barrier_wait(barrier, 5.0, &index) == MPROC_OK && index < 2 ? 0 : 1;
        });
        unsigned index = 99;
        int rc = mproc_barrier_wait(barrier, 5.0, &index);
        ASSERT_EQ(rc, MPROC_OK) << "round " << round << ": " << mproc_last_error();
        ASSERT_LT(index, 2u);
        ASSERT_EQ(reap(partner, 5.0), 0) << "round " << round;
    }
    EXPECT_GT(shared->trips.load(), 0) << "the parties never met: the test lost its teeth";
    std::printf("barrier: %d kills, %ld trips before them\n", n, shared->trips.load());
    free_shared_block(shared);
    EXPECT_EQ(mproc_barrier_close(barrier), MPROC_OK);
    EXPECT_EQ(mproc_barrier_unlink(name.c_str()), MPROC_OK);
}

TEST(BarrierFault, DeathInsideTheActionBreaksTheBarrierForTheWaiters) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    mproc_barrier_t *barrier = nullptr;
    ASSERT_EQ(mproc_barrier_create(nullptr, 2, nullptr, &barrier), MPROC_OK);
    Shared *shared = shared_block<Shared>();
    pid_t victim = spawn([&] {
        mproc_barrier_set_action(
            barrier,
            [](void *arg) {
                static_cast<std::atomic<int> *>(arg)->store(1);
                for (;;)
                    pause();  // never returns: killed in here
                return 0;
            },
            &shared->victim_started);
        // Arrive second, so this process runs the action.
        while (true) {
            unsigned waiting = 0;
            mproc_barrier_n_waiting(barrier, &waiting);
            if (waiting == 1) break;
            sleep_us(100);
        }
        mproc_barrier_wait(barrier, 30.0, nullptr);
        return 0;
    });
    std::atomic<int> result{1};
    std::thread waiter([&] { result = mproc_barrier_wait(barrier, 30.0, nullptr); });
    ASSERT_TRUE(await_flag(shared->victim_started, 10.0));
    auto killed_at = std::chrono::steady_clock::now();
    kill(victim, SIGKILL);
    waiter.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    EXPECT_EQ(result.load(), MPROC_EBROKEN);
    EXPECT_LT(seconds, 5.0);
    EXPECT_EQ(reap(victim, 5.0), -SIGKILL);
    int broken = 0;
    EXPECT_EQ(mproc_barrier_broken(barrier, &broken), MPROC_OK);
    EXPECT_EQ(broken, 1);
    EXPECT_EQ(mproc_barrier_reset(barrier), MPROC_OK);
    free_shared_block(shared);
    EXPECT_EQ(mproc_barrier_close(barrier), MPROC_OK);
}

// Thread variant for TSan: three threads pass many generations; each writes its slot of a
// plain array before the barrier and reads the others' after it, so a missing
// happens-before edge is a TSan report and a wrong value a failure. Aborts and resets in
// between exercise the broken paths.
TEST(BarrierFault, ThreadsPassGenerationsWithAbortsAndResets) {
    constexpr int kParties = 3;
    constexpr int kGenerations = 2000;
    mproc_barrier_t *barrier = nullptr;
    ASSERT_EQ(mproc_barrier_create(nullptr, kParties, nullptr, &barrier), MPROC_OK);
    int slots[kParties] = {};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kParties; ++t) {
        threads.emplace_back([&, t] {
            for (int g = 1; g <= kGenerations; ++g) {
                slots[t] = g;
                if (mproc_barrier_wait(barrier, 10.0, nullptr) != MPROC_OK) failures++;
                for (int other = 0; other < kParties; ++other) {
                    if (slots[other] < g) failures++;
                }
                // Nobody writes the next generation before all have read this one.
                if (mproc_barrier_wait(barrier, 10.0, nullptr) != MPROC_OK) failures++;
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(failures.load(), 0);

    // Abort with waiters, then reset: the waiters get EBROKEN, the barrier works again.
    std::atomic<int> broken_count{0};
    std::vector<std::thread> waiters;
    for (int t = 0; t < kParties - 1; ++t) {
        waiters.emplace_back([&] {
            if (mproc_barrier_wait(barrier, 10.0, nullptr) == MPROC_EBROKEN) broken_count++;
        });
    }
    for (;;) {
        unsigned waiting = 0;
        mproc_barrier_n_waiting(barrier, &waiting);
        if (waiting == kParties - 1) break;
        sleep_us(100);
    }
    EXPECT_EQ(mproc_barrier_abort(barrier), MPROC_OK);
    for (auto &thread : waiters)
        thread.join();
    EXPECT_EQ(broken_count.load(), kParties - 1);
    EXPECT_EQ(mproc_barrier_reset(barrier), MPROC_OK);
    EXPECT_EQ(mproc_barrier_close(barrier), MPROC_OK);
}
