// Future (core::pool::Future): the phases (pending, running, finished, cancelled), result
// and error outcomes, cancel rules, done-callbacks before and after done (order, once, a
// throwing one), wait with timeouts, wait_some for each ReturnWhen, wait_any as
// as_completed, and completion racing with waiters and cancels from many threads.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "pool/future.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

using mproc::core::kCancelled;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::pool::Future;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::ReturnWhen;
using mproc::core::sync::Deadline;
using Phase = Future::Phase;
using namespace std::chrono_literals;

namespace {

mproc::core::task::Result int_result(long long v) {
    mproc::core::task::Result r;
    r.type = 'i';
    r.i = v;
    return r;
}

// Completes `f` with `v` after `delay`, from another thread.
std::thread finish_later(FuturePtr f, std::chrono::milliseconds delay, long long v) {
    return std::thread([f, delay, v] {
        std::this_thread::sleep_for(delay);
        f->set_running();
        f->set_result(int_result(v));
    });
}

}  // namespace

TEST(Future, StartsPendingThenRunsThenFinishes) {
    FuturePtr f = Future::make();
    EXPECT_EQ(f->phase(), Phase::kPending);
    EXPECT_FALSE(f->done());
    EXPECT_FALSE(f->running());
    EXPECT_EQ(f->outcome(), nullptr);
    EXPECT_TRUE(f->set_running());
    EXPECT_TRUE(f->running());
    EXPECT_FALSE(f->set_running());  // once only
    f->set_result(int_result(7));
    EXPECT_TRUE(f->done());
    EXPECT_FALSE(f->running());
    EXPECT_FALSE(f->cancelled());
    EXPECT_FALSE(f->failed());
    ASSERT_NE(f->outcome(), nullptr);
    EXPECT_EQ(f->outcome()->status, kOk);
    EXPECT_EQ(f->outcome()->result.i, 7);
}

TEST(Future, OutcomeIsWrittenOnce) {
    FuturePtr f = Future::make();
    f->set_result(int_result(1));
    const auto *first = f->outcome();
    f->set_error(kNotFound, "late");
    f->set_result(int_result(2));
    EXPECT_EQ(f->outcome(), first);
    EXPECT_EQ(f->outcome()->result.i, 1);
    EXPECT_EQ(f->outcome()->status, kOk);
}

TEST(Future, ErrorIsKeptWithItsMessage) {
    FuturePtr f = Future::make();
    f->set_running();
    f->set_error(kNotFound, "task 'x:y': no symbol");
    ASSERT_NE(f->outcome(), nullptr);
    EXPECT_EQ(f->outcome()->status, kNotFound);
    EXPECT_EQ(f->outcome()->message, "task 'x:y': no symbol");
    EXPECT_TRUE(f->failed());
}

TEST(Future, CancelOnlyWhilePending) {
    FuturePtr pending = Future::make();
    EXPECT_TRUE(pending->cancel());
    EXPECT_TRUE(pending->cancelled());
    EXPECT_TRUE(pending->done());
    EXPECT_TRUE(pending->failed());
    EXPECT_TRUE(pending->cancel());          // again: still true
    EXPECT_FALSE(pending->set_running());    // a pool skips it
    EXPECT_EQ(pending->outcome(), nullptr);  // no outcome
    pending->set_result(int_result(1));      // ignored
    EXPECT_TRUE(pending->cancelled());

    FuturePtr running = Future::make();
    running->set_running();
    EXPECT_FALSE(running->cancel());
    EXPECT_TRUE(running->running());

    FuturePtr finished = Future::make();
    finished->set_result(int_result(1));
    EXPECT_FALSE(finished->cancel());
    EXPECT_FALSE(finished->cancelled());
}

TEST(Future, WaitTimesOutThenSeesCompletion) {
    FuturePtr f = Future::make();
    EXPECT_FALSE(f->wait(Deadline::after(0)));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(f->wait(Deadline::after(0.05)));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
    std::thread t = finish_later(f, 50ms, 3);
    EXPECT_TRUE(f->wait(Deadline::after(30)));
    EXPECT_EQ(f->outcome()->result.i, 3);
    t.join();
    EXPECT_TRUE(f->wait(Deadline::after(0)));
}

TEST(Future, WaitForeverWakesOnCancel) {
    FuturePtr f = Future::make();
    std::thread t([f] {
        std::this_thread::sleep_for(50ms);
        f->cancel();
    });
    EXPECT_TRUE(f->wait(Deadline::forever()));
    EXPECT_TRUE(f->cancelled());
    t.join();
}

TEST(Future, CallbacksRunOnceInOrderAndAtOnceWhenDone) {
    FuturePtr f = Future::make();
    std::vector<int> order;
    std::thread::id where;
    f->add_done_callback([&](const FuturePtr &g) {
        EXPECT_EQ(g.get(), f.get());
        order.push_back(1);
        where = std::this_thread::get_id();
    });
    f->add_done_callback([&](const FuturePtr &) { throw std::runtime_error("ignored"); });
    f->add_done_callback([&](const FuturePtr &) { order.push_back(2); });
    EXPECT_TRUE(order.empty());
    std::thread t([f] { f->set_result(int_result(1)); });
    t.join();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_NE(where, std::this_thread::get_id());  // the completing thread ran them
    f->add_done_callback([&](const FuturePtr &) {
        order.push_back(3);
        where = std::this_thread::get_id();
    });
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(where, std::this_thread::get_id());
    f->set_result(int_result(2));  // ignored: callbacks do not run again
    EXPECT_EQ(order.size(), 3u);
}

TEST(Future, CancelRunsCallbacks) {
    FuturePtr f = Future::make();
    int calls = 0;
    f->add_done_callback([&](const FuturePtr &g) {
        EXPECT_TRUE(g->cancelled());
        ++calls;
    });
    EXPECT_TRUE(f->cancel());
    EXPECT_TRUE(f->cancel());
    EXPECT_EQ(calls, 1);
}

TEST(Future, WaitSomeFirstCompleted) {
    std::vector<FuturePtr> fs{Future::make(), Future::make(), Future::make()};
    std::size_t ndone = 99;
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kFirstCompleted, Deadline::after(0.02), &ndone),
              kTimedOut);
    EXPECT_EQ(ndone, 0u);
    std::thread t = finish_later(fs[1], 30ms, 1);
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kFirstCompleted, Deadline::after(30), &ndone), kOk);
    EXPECT_EQ(ndone, 1u);
    t.join();
}

TEST(Future, WaitSomeFirstExceptionReturnsOnFailureOrAllDone) {
    std::vector<FuturePtr> fs{Future::make(), Future::make(), Future::make()};
    fs[0]->set_result(int_result(1));  // a success does not end the wait
    std::size_t ndone = 0;
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kFirstException, Deadline::after(0.02), &ndone),
              kTimedOut);
    EXPECT_EQ(ndone, 1u);
    std::thread t([f = fs[2]] {
        std::this_thread::sleep_for(30ms);
        f->set_error(kNotFound, "missing");
    });
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kFirstException, Deadline::after(30), &ndone), kOk);
    EXPECT_EQ(ndone, 2u);
    t.join();
    // A cancelled one counts as an exception too.
    std::vector<FuturePtr> gs{Future::make(), Future::make()};
    gs[1]->cancel();
    EXPECT_EQ(Future::wait_some(gs, ReturnWhen::kFirstException, Deadline::after(0), nullptr), kOk);
    // All done without failure: also returns.
    std::vector<FuturePtr> hs{Future::make(), Future::make()};
    hs[0]->set_result(int_result(1));
    hs[1]->set_result(int_result(1));
    EXPECT_EQ(Future::wait_some(hs, ReturnWhen::kFirstException, Deadline::after(0), nullptr), kOk);
}

TEST(Future, WaitSomeAllCompleted) {
    std::vector<FuturePtr> fs;
    for (int i = 0; i < 8; ++i)
        fs.push_back(Future::make());
    std::size_t ndone = 0;
    fs[3]->set_result(int_result(1));
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kAllCompleted, Deadline::after(0.02), &ndone),
              kTimedOut);
    EXPECT_EQ(ndone, 1u);
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i) {
        if (i != 3) ts.push_back(finish_later(fs[i], std::chrono::milliseconds(5 * i), i));
    }
    EXPECT_EQ(Future::wait_some(fs, ReturnWhen::kAllCompleted, Deadline::after(30), &ndone), kOk);
    EXPECT_EQ(ndone, 8u);
    for (auto &t : ts)
        t.join();
    EXPECT_EQ(Future::wait_some({}, ReturnWhen::kAllCompleted, Deadline::after(0), &ndone), kOk);
}

TEST(Future, WaitAnyIsAsCompleted) {
    std::vector<FuturePtr> fs{Future::make(), Future::make(), Future::make()};
    std::size_t index = 99;
    EXPECT_EQ(Future::wait_any(fs, Deadline::after(0.01), &index), kTimedOut);
    std::vector<std::thread> ts;
    ts.push_back(finish_later(fs[2], 10ms, 2));
    ts.push_back(finish_later(fs[0], 150ms, 0));
    ts.push_back(finish_later(fs[1], 300ms, 1));
    std::vector<FuturePtr> left = fs;
    std::vector<long long> seen;
    while (!left.empty()) {
        ASSERT_EQ(Future::wait_any(left, Deadline::after(30), &index), kOk);
        seen.push_back(left[index]->outcome()->result.i);
        left.erase(left.begin() + static_cast<long>(index));
    }
    for (auto &t : ts)
        t.join();
    // Well-separated delays: completion order (generous for a loaded machine).
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], 2);
    // Lowest index of those done.
    EXPECT_EQ(Future::wait_any(fs, Deadline::after(0), &index), kOk);
    EXPECT_EQ(index, 0u);
}

TEST(Future, ManyWaitersAndCancelRaceWithCompletion) {
    for (int round = 0; round < 200; ++round) {
        FuturePtr f = Future::make();
        std::atomic<int> callbacks{0};
        f->add_done_callback([&](const FuturePtr &) { callbacks.fetch_add(1); });
        std::atomic<int> woke{0};
        std::vector<std::thread> waiters;
        for (int i = 0; i < 3; ++i) {
            waiters.emplace_back([&, f] {
                if (f->wait(Deadline::after(30))) woke.fetch_add(1);
            });
        }
        std::atomic<int> cancels{0};
        std::thread canceller([&, f] {
            if (f->cancel()) cancels.fetch_add(1);
        });
        std::thread runner([f] {
            if (f->set_running()) f->set_result(int_result(1));
        });
        runner.join();
        canceller.join();
        for (auto &t : waiters)
            t.join();
        EXPECT_EQ(woke.load(), 3);
        EXPECT_EQ(callbacks.load(), 1);
        EXPECT_TRUE(f->done());
        EXPECT_EQ(f->cancelled(), cancels.load() == 1);
        EXPECT_EQ(f->outcome() != nullptr, cancels.load() == 0);
    }
}
