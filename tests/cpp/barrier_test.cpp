// mproc::Barrier: release of all parties, arrival indices, action lambdas (one that throws
// breaks the barrier), timeouts, abort and reset, moves, and forked processes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/barrier.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::shared;
using mproc_test::wait_child;

namespace {

// What one party's wait() ended with.
struct outcome {
    int index = -1;     // the arrival index, if wait returned
    int code = 0;       // the mproc::error code, if it threw one
    std::string other;  // what() of any other exception
};

outcome wait_on(mproc::Barrier &barrier, mproc::timeout limit) {
    outcome o;
    try {
        o.index = static_cast<int>(barrier.wait(limit));
    } catch (const mproc::error &e) {
        o.code = e.code();
    } catch (const std::exception &e) {
        o.other = e.what();
    }
    return o;
}

// Runs `parties` threads that each wait once on `barrier`.
std::vector<outcome> wait_in_threads(mproc::Barrier &barrier, int parties,
                                     mproc::timeout limit = std::chrono::seconds(10)) {
    std::vector<outcome> outcomes(parties);
    std::vector<std::thread> threads;
    for (int i = 0; i < parties; ++i) {
        threads.emplace_back([&, i] { outcomes[i] = wait_on(barrier, limit); });
    }
    for (auto &t : threads)
        t.join();
    return outcomes;
}

}  // namespace

TEST(CppBarrier, ReleasesAllPartiesWithDistinctIndices) {
    mproc::Barrier barrier = mproc::Barrier::create(3);
    EXPECT_EQ(barrier.parties(), 3u);
    const auto outcomes = wait_in_threads(barrier, 3);
    std::set<int> indices;
    for (const auto &o : outcomes) {
        EXPECT_EQ(o.code, 0);
        indices.insert(o.index);
    }
    EXPECT_EQ(indices, (std::set<int>{0, 1, 2}));
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

TEST(CppBarrier, IsReusableRoundAfterRound) {
    mproc::Barrier barrier = mproc::Barrier::create(2);
    for (int round = 0; round < 20; ++round) {
        const auto outcomes = wait_in_threads(barrier, 2);
        EXPECT_EQ(outcomes[0].index + outcomes[1].index, 1) << "round " << round;
    }
}

TEST(CppBarrier, ActionLambdaRunsOnceBeforeAnyPartyIsReleased) {
    mproc::Barrier barrier = mproc::Barrier::create(3);
    std::atomic<int> runs{0};
    barrier.set_action([&] { ++runs; });
    std::atomic<int> saw_action{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] {
            if (wait_on(barrier, std::chrono::seconds(10)).code == 0 && runs.load() == 1) {
                ++saw_action;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(runs.load(), 1);
    EXPECT_EQ(saw_action.load(), 3);
}

TEST(CppBarrier, ActionThatThrowsBreaksTheBarrier) {
    mproc::Barrier barrier = mproc::Barrier::create(2);
    barrier.set_action([] { throw std::runtime_error("action failed"); });
    const auto outcomes = wait_in_threads(barrier, 2);

    // The party that ran the action gets its exception, as in Python; the other one finds
    // the barrier broken. Nothing crossed the C boundary (we are still running).
    int got_action_error = 0;
    int got_broken = 0;
    for (const auto &o : outcomes) {
        if (o.other == "action failed") ++got_action_error;
        if (o.code == MPROC_EBROKEN) ++got_broken;
        EXPECT_EQ(o.index, -1) << "no party passes a barrier whose action failed";
    }
    EXPECT_EQ(got_action_error, 1);
    EXPECT_EQ(got_broken, 1);
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW(barrier.wait(1s), mproc::broken_barrier_error);

    barrier.reset();
    barrier.set_action({});  // an empty function removes the action
    EXPECT_FALSE(barrier.broken());
    for (const auto &o : wait_in_threads(barrier, 2))
        EXPECT_EQ(o.code, 0);
}

TEST(CppBarrier, ActionThatThrowsANonStandardTypeAlsoBreaksIt) {
    mproc::Barrier barrier = mproc::Barrier::create(1);
    barrier.set_action([] { throw 42; });
    EXPECT_THROW(barrier.wait(1s), int);
    EXPECT_TRUE(barrier.broken());
}

TEST(CppBarrier, WaitThatTimesOutBreaksTheBarrier) {
    mproc::Barrier barrier = mproc::Barrier::create(2);
    const auto start = std::chrono::steady_clock::now();
    try {
        barrier.wait(40ms);
        FAIL() << "a lone party passed a barrier for two";
    } catch (const mproc::timeout_error &e) {
        EXPECT_EQ(e.code(), MPROC_ETIMEDOUT);
    }
    EXPECT_GE(seconds_since(start), 0.03);
    EXPECT_TRUE(barrier.broken());
    try {
        barrier.wait(1s);
        FAIL() << "wait on a broken barrier did not throw";
    } catch (const mproc::broken_barrier_error &e) {
        EXPECT_EQ(e.code(), MPROC_EBROKEN);
    }
}

TEST(CppBarrier, AbortWakesWaitersWithBrokenBarrierError) {
    mproc::Barrier barrier = mproc::Barrier::create(3);
    std::vector<outcome> outcomes(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
        threads.emplace_back([&, i] { outcomes[i] = wait_on(barrier, std::chrono::seconds(10)); });
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (barrier.n_waiting() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(barrier.n_waiting(), 2u);
    barrier.abort();
    for (auto &t : threads)
        t.join();
    for (const auto &o : outcomes)
        EXPECT_EQ(o.code, MPROC_EBROKEN);
    EXPECT_TRUE(barrier.broken());
}

TEST(CppBarrier, ResetMakesABrokenBarrierUsableAgain) {
    mproc::Barrier barrier = mproc::Barrier::create(2);
    barrier.abort();
    EXPECT_TRUE(barrier.broken());
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    for (const auto &o : wait_in_threads(barrier, 2))
        EXPECT_EQ(o.code, 0);
}

TEST(CppBarrier, ActionSurvivesAMoveOfTheBarrier) {
    std::atomic<int> runs{0};
    mproc::Barrier original = mproc::Barrier::create(1);
    original.set_action([&] { ++runs; });
    mproc::Barrier moved = std::move(original);
    EXPECT_FALSE(original.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW(original.wait(0s), mproc::bad_handle_error);
    EXPECT_EQ(moved.wait(1s), 0u);
    EXPECT_EQ(runs.load(), 1);

    mproc::Barrier assigned = mproc::Barrier::create(5);
    assigned = std::move(moved);
    EXPECT_EQ(assigned.parties(), 1u);
    EXPECT_EQ(assigned.wait(1s), 0u);
    EXPECT_EQ(runs.load(), 2);
}

TEST(CppBarrier, InvalidPartiesThrow) {
    EXPECT_THROW(mproc::Barrier::create(0), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Barrier::create(MPROC_BARRIER_MAX_PARTIES + 1), mproc::too_big_error);
}

TEST(CppBarrier, SynchronisesForkedProcesses) {
    scoped_name<mproc::Barrier> name("procs");
    mproc::Barrier barrier = mproc::Barrier::create(name, 3);
    shared<std::atomic<int>> arrived;
    std::vector<pid_t> pids;
    for (int c = 0; c < 2; ++c) {
        pids.push_back(fork_child([&] {
            mproc::Barrier mine = mproc::Barrier::open(name);
            arrived->fetch_add(1);
            const unsigned int index = mine.wait(10s);
            // Nobody passes before all three arrived.
            if (arrived->load() != 3) return 50;
            return 10 + static_cast<int>(index);
        }));
    }
    std::this_thread::sleep_for(20ms);
    arrived->fetch_add(1);
    std::set<int> indices{static_cast<int>(barrier.wait(10s))};
    for (pid_t pid : pids) {
        ASSERT_GT(pid, 0);
        const int status = wait_child(pid);
        EXPECT_GE(status, 10);
        EXPECT_LE(status, 12);
        indices.insert(status - 10);
    }
    EXPECT_EQ(indices, (std::set<int>{0, 1, 2}));
}

TEST(CppBarrier, ActionRunsWhereTheLastPartyArrivesIfItsHandleHasOne) {
    mproc::Barrier barrier = mproc::Barrier::create(2);  // anonymous, inherited by fork
    shared<std::atomic<int>> ran_in;                     // the pid that ran the action
    auto wait_for_one_waiter = [&] {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (barrier.n_waiting() < 1 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    };
    const pid_t pid = fork_child([&] {
        barrier.set_action([&] { ran_in->store(static_cast<int>(::getpid())); });
        barrier.wait(10s);      // round 1: the child arrives first
        wait_for_one_waiter();  // round 2: the child arrives last
        barrier.wait(10s);
        return 0;
    });
    ASSERT_GT(pid, 0);

    wait_for_one_waiter();
    barrier.wait(10s);  // last of round 1, on a handle without an action
    EXPECT_EQ(ran_in->load(), 0);
    barrier.wait(10s);  // first of round 2
    EXPECT_EQ(ran_in->load(), static_cast<int>(pid));
    EXPECT_EQ(wait_child(pid), 0);
}
