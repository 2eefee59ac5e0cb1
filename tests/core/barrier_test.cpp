// Barrier: threading.Barrier semantics between threads and processes -- arrival indices,
// generations, the action, abort, reset, timeouts breaking the barrier, one party, and
// close() with a blocked waiter.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/barrier.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kBroken;
using mproc::core::kClosed;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::kTooBig;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::Barrier;
using mproc::core::sync::kBarrierMaxParties;

namespace {

constexpr int kMaxGenerations = 16;

// What the test action sees and records.
struct ActionLog {
    std::atomic<int> calls{0};
    std::atomic<std::uint32_t> tid[kMaxGenerations] = {};
    // Parties that have returned from wait so far; the action must run before any of its
    // generation does.
    std::atomic<int> passed{0};
    std::atomic<int> passed_at_call[kMaxGenerations] = {};
    int result = 0;  // what the action returns
};

int record_action(void *arg) {
    auto *log = static_cast<ActionLog *>(arg);
    int call = log->calls.fetch_add(1);
    if (call < kMaxGenerations) {
        log->tid[call] = current_tid();
        log->passed_at_call[call] = log->passed.load();
    }
    return log->result;
}

// Runs `parties` threads through one generation of `barrier`'s name; returns the results.
std::vector<int> run_generation(const std::string &name, unsigned parties) {
    std::vector<int> results(parties, 1);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < parties; ++i) {
        threads.emplace_back([&, i] {
            Barrier mine = Barrier::open(name);
            results[i] = mine.wait(after(10), nullptr);
        });
    }
    for (auto &t : threads)
        t.join();
    return results;
}

}  // namespace

TEST(Barrier, CreateRejectsZeroAndTooManyParties) {
    Names names;
    EXPECT_EQ(status_of([&] { Barrier::create(names.make("zero"), 0, CreateOptions{}); }),
              kInvalid);
    EXPECT_EQ(status_of([&] {
                  Barrier::create(names.make("many"), kBarrierMaxParties + 1, CreateOptions{});
              }),
              kTooBig);
    Barrier most = Barrier::create(names.make("most"), kBarrierMaxParties, CreateOptions{});
    EXPECT_EQ(most.parties(), kBarrierMaxParties);
}

TEST(Barrier, OnePartyPassesAtOnceAndRunsItsActionEachTime) {
    Names names;
    Barrier barrier = Barrier::create(names.make("one"), 1, CreateOptions{});
    ActionLog log;
    barrier.set_action(record_action, &log);
    for (int i = 0; i < 3; ++i) {
        std::uint32_t index = 99;
        EXPECT_EQ(barrier.wait(after(0), &index), kOk);
        EXPECT_EQ(index, 0u);
    }
    EXPECT_EQ(log.calls.load(), 3);
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, ReportsPartiesAndWaiting) {
    Names names;
    const std::string name = names.make("counts");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    EXPECT_EQ(barrier.parties(), 3u);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    std::thread a([&] { EXPECT_EQ(Barrier::open(name).wait(after(10), nullptr), kOk); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    std::thread b([&] { EXPECT_EQ(Barrier::open(name).wait(after(10), nullptr), kOk); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    EXPECT_EQ(barrier.wait(after(10), nullptr), kOk);
    a.join();
    b.join();
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

TEST(Barrier, IndicesAreDistinctOverSeveralGenerationsBetweenThreads) {
    Names names;
    const std::string name = names.make("indices");
    constexpr unsigned kParties = 4;
    constexpr int kGenerations = 10;
    Barrier barrier = Barrier::create(name, kParties, CreateOptions{});
    std::vector<std::vector<int>> index(kParties, std::vector<int>(kGenerations, -1));
    std::vector<std::thread> threads;
    for (unsigned p = 0; p < kParties; ++p) {
        threads.emplace_back([&, p] {
            Barrier mine = Barrier::open(name);
            for (int g = 0; g < kGenerations; ++g) {
                std::uint32_t i = 99;
                ASSERT_EQ(mine.wait(after(10), &i), kOk) << "generation " << g;
                index[p][g] = static_cast<int>(i);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    for (int g = 0; g < kGenerations; ++g) {
        std::set<int> seen;
        for (unsigned p = 0; p < kParties; ++p)
            seen.insert(index[p][g]);
        EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3})) << "generation " << g;
    }
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, IndicesAreDistinctOverSeveralGenerationsBetweenProcesses) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("indices_procs");
    constexpr unsigned kParties = 3;
    constexpr int kGenerations = 12;
    Barrier barrier = Barrier::create(name, kParties, CreateOptions{});
    struct Table {
        std::atomic<int> index[kParties][kGenerations];
    };
    Shared<Table> table;
    std::vector<pid_t> children;
    for (unsigned p = 1; p < kParties; ++p) {
        children.push_back(reaper.add(run_in_child([&, p] {
            Barrier mine = Barrier::open(name);
            for (int g = 0; g < kGenerations; ++g) {
                std::uint32_t i = 99;
                if (mine.wait(after(10), &i) != kOk) return 10 + g;
                table->index[p][g] = static_cast<int>(i);
            }
            return 0;
        })));
    }
    for (int g = 0; g < kGenerations; ++g) {
        std::uint32_t i = 99;
        ASSERT_EQ(barrier.wait(after(10), &i), kOk) << "generation " << g;
        table->index[0][g] = static_cast<int>(i);
    }
    for (pid_t pid : children)
        EXPECT_EQ(wait_child(pid), 0);
    for (int g = 0; g < kGenerations; ++g) {
        std::set<int> seen;
        for (unsigned p = 0; p < kParties; ++p)
            seen.insert(table->index[p][g].load());
        EXPECT_EQ(seen, (std::set<int>{0, 1, 2})) << "generation " << g;
    }
}

TEST(Barrier, TheActionRunsOncePerTripInTheLastArriverBeforeAnyoneLeaves) {
    Names names;
    const std::string name = names.make("action");
    constexpr unsigned kParties = 3;
    constexpr int kGenerations = 6;
    Barrier barrier = Barrier::create(name, kParties, CreateOptions{});
    ActionLog log;
    std::vector<std::vector<std::uint32_t>> last_tid(kGenerations);
    std::mutex last_mutex;
    std::vector<std::thread> threads;
    for (unsigned p = 0; p < kParties; ++p) {
        threads.emplace_back([&] {
            Barrier mine = Barrier::open(name);
            mine.set_action(record_action, &log);  // every handle has it: one run per trip
            for (int g = 0; g < kGenerations; ++g) {
                std::uint32_t i = 99;
                ASSERT_EQ(mine.wait(after(10), &i), kOk);
                if (i == kParties - 1) {
                    std::lock_guard<std::mutex> hold(last_mutex);
                    last_tid[g].push_back(current_tid());
                }
                log.passed.fetch_add(1);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    ASSERT_EQ(log.calls.load(), kGenerations);
    for (int g = 0; g < kGenerations; ++g) {
        ASSERT_EQ(last_tid[g].size(), 1u) << "generation " << g;
        EXPECT_EQ(log.tid[g].load(), last_tid[g][0]) << "the action ran in the last arriver";
        EXPECT_EQ(log.passed_at_call[g].load(), g * static_cast<int>(kParties))
            << "nobody of generation " << g << " had left when its action ran";
    }
}

TEST(Barrier, AnActionReturningNonZeroBreaksTheBarrierForEveryone) {
    Names names;
    const std::string name = names.make("action_fails");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    ActionLog log;
    log.result = 1;
    barrier.set_action(record_action, &log);
    std::vector<int> results(2, 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] { results[t] = Barrier::open(name).wait(after(10), nullptr); });
    }
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    std::uint32_t index = 99;
    EXPECT_EQ(barrier.wait(after(10), &index), kBroken) << "the last arriver, whose action failed";
    EXPECT_EQ(index, 2u);
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(results, (std::vector<int>{kBroken, kBroken}));
    EXPECT_EQ(log.calls.load(), 1);
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(barrier.wait(after(1), nullptr), kBroken) << "broken until reset";

    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    barrier.set_action(nullptr, nullptr);
    EXPECT_EQ(run_generation(name, 3), (std::vector<int>{kOk, kOk, kOk}));
}

TEST(Barrier, AbortBreaksTheWaitersAndLaterCallsUntilReset) {
    Names names;
    const std::string name = names.make("abort");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    std::vector<int> results(2, 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] { results[t] = Barrier::open(name).wait(after(10), nullptr); });
    }
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    const auto start = std::chrono::steady_clock::now();
    barrier.abort();
    for (auto &t : threads)
        t.join();
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_EQ(results, (std::vector<int>{kBroken, kBroken}));
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_EQ(barrier.wait(after(0), nullptr), kBroken);
    EXPECT_EQ(barrier.wait(after(-1), nullptr), kBroken) << "returns at once";

    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(run_generation(name, 3), (std::vector<int>{kOk, kOk, kOk}));
}

TEST(Barrier, ResetWhilePartiesWaitBreaksThemAndTheBarrierIsUsableAgain) {
    Names names;
    const std::string name = names.make("reset");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    std::vector<int> results(2, 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] { results[t] = Barrier::open(name).wait(after(10), nullptr); });
    }
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    const auto start = std::chrono::steady_clock::now();
    barrier.reset();
    for (auto &t : threads)
        t.join();
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_EQ(results, (std::vector<int>{kBroken, kBroken}));
    EXPECT_FALSE(barrier.broken()) << "reset leaves it whole";
    EXPECT_EQ(barrier.n_waiting(), 0u);
    for (int g = 0; g < 3; ++g) {
        EXPECT_EQ(run_generation(name, 3), (std::vector<int>{kOk, kOk, kOk})) << g;
    }
}

TEST(Barrier, ResetOfAnIdleBarrierChangesNothingVisible) {
    Names names;
    const std::string name = names.make("reset_idle");
    Barrier barrier = Barrier::create(name, 2, CreateOptions{});
    barrier.reset();
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(run_generation(name, 2), (std::vector<int>{kOk, kOk}));
}

TEST(Barrier, ATimeoutIsTimedOutForThatPartyAndBrokenForTheOthers) {
    Names names;
    const std::string name = names.make("timeout");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    std::atomic<int> other{1};
    std::thread waiter([&] { other = Barrier::open(name).wait(after(10), nullptr); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(barrier.wait(after(0.15), nullptr), kTimedOut);
    const double took = seconds_since(start);
    EXPECT_GE(took, 0.14);
    EXPECT_LT(took, 3.0);
    waiter.join();
    EXPECT_EQ(other.load(), kBroken);
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(barrier.wait(after(0), nullptr), kBroken) << "later callers: broken";

    barrier.reset();
    EXPECT_EQ(run_generation(name, 3), (std::vector<int>{kOk, kOk, kOk}));
}

TEST(Barrier, ATryOnceWaitThatIsNotLastTimesOutAndBreaksIt) {
    Names names;
    Barrier barrier = Barrier::create(names.make("try_once"), 2, CreateOptions{});
    EXPECT_EQ(barrier.wait(after(0), nullptr), kTimedOut);
    EXPECT_TRUE(barrier.broken());
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, ATimeoutInOneProcessBreaksTheBarrierInAnother) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("timeout_procs");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Barrier mine = Barrier::open(name);
        int r = mine.wait(after(10), nullptr);
        return r == kBroken ? 0 : 1;
    }));
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    EXPECT_EQ(barrier.wait(after(0.1), nullptr), kTimedOut);
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Barrier, ResetInOneProcessBreaksWaitersInAnother) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("reset_procs");
    Barrier barrier = Barrier::create(name, 2, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Barrier mine = Barrier::open(name);
        if (mine.wait(after(10), nullptr) != kBroken) return 1;
        return mine.wait(after(10), nullptr) == kOk ? 0 : 2;  // the next generation works
    }));
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    barrier.reset();
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    EXPECT_EQ(barrier.wait(after(10), nullptr), kOk);
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Barrier, CloseWakesAWaitBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    Barrier barrier = Barrier::create(name, 2, CreateOptions{});
    Barrier other = Barrier::open(name);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = barrier.wait(after(-1), nullptr);
        returned_ns = mproc::core::sync::Deadline::now_ns();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    ASSERT_TRUE(eventually([&] { return other.n_waiting() == 1; }));
    wait_until_sleeping(tid);
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    std::thread closer([&] { barrier.close(); });
    // If close fails to wake the waiter, break the barrier through another handle.
    bool woke = eventually([&] { return returned_ns.load() != 0; }, 10s);
    if (!woke) other.abort();
    closer.join();
    waiter.join();
    EXPECT_TRUE(woke);
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
}

namespace {

int die_in_action(void *) {
    ::raise(SIGKILL);
    return 0;
}

}  // namespace

TEST(Barrier, APartyKilledWhileRunningTheActionBreaksTheBarrier) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("action_killed");
    Barrier barrier = Barrier::create(name, 2, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Barrier mine = Barrier::open(name);
        mine.set_action(die_in_action, nullptr);
        while (mine.n_waiting() != 1)
            std::this_thread::sleep_for(1ms);
        mine.wait(after(10), nullptr);  // last to arrive: runs the action, and dies in it
        return 1;
    }));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(barrier.wait(after(10), nullptr), kBroken);
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    EXPECT_TRUE(barrier.broken());
    barrier.reset();
    EXPECT_EQ(run_generation(name, 2), (std::vector<int>{kOk, kOk}));
}

TEST(Barrier, APartyThatDiesAfterArrivingStillCounts) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("arrived_dead");
    Barrier barrier = Barrier::create(name, 3, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Barrier mine = Barrier::open(name);
        mine.wait(after(30), nullptr);
        return 1;
    }));
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    ::kill(child, SIGKILL);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    std::uint32_t other_index = 99;
    std::atomic<int> other{1};
    std::thread t([&] { other = Barrier::open(name).wait(after(10), &other_index); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    std::uint32_t index = 99;
    EXPECT_EQ(barrier.wait(after(10), &index), kOk);
    t.join();
    EXPECT_EQ(other.load(), kOk);
    EXPECT_EQ(std::set<std::uint32_t>({index, other_index}), (std::set<std::uint32_t>{1, 2}));
}
