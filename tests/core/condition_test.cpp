// Condition: multiprocessing.Condition over its own RLock, over a Lock and over an RLock --
// ownership checks, timeouts, recursion levels restored after wait, notify(n) waking
// exactly n in arrival order, notify_all, wait_for, attaching by name from another
// process, and close() with a blocked waiter.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "sync/condition.hpp"
#include "sync/lock.hpp"
#include "sync/rlock.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::shm::CreateOptions;
using mproc::core::sync::Condition;
using mproc::core::sync::Lock;
using mproc::core::sync::RLock;

namespace {

enum class Over { kOwnRLock, kLock, kRLock };

const char *label(Over over) {
    switch (over) {
        case Over::kOwnRLock:
            return "own rlock";
        case Over::kLock:
            return "lock";
        case Over::kRLock:
            return "rlock";
    }
    return "?";
}

constexpr Over kAllKinds[] = {Over::kOwnRLock, Over::kLock, Over::kRLock};

// A condition of one of the three kinds, with the lock it was created over.
struct Setup {
    std::string name;
    std::optional<Lock> lock;
    std::optional<RLock> rlock;
    std::optional<Condition> cond;
};

std::unique_ptr<Setup> make_condition(Names &names, Over over) {
    auto s = std::make_unique<Setup>();
    s->name = names.make("cond");
    switch (over) {
        case Over::kOwnRLock:
            s->cond.emplace(Condition::create(s->name, CreateOptions{}));
            break;
        case Over::kLock:
            s->lock.emplace(Lock::create(names.make("cond_lock"), CreateOptions{}));
            s->cond.emplace(Condition::create_with(s->name, *s->lock, CreateOptions{}));
            break;
        case Over::kRLock:
            s->rlock.emplace(RLock::create(names.make("cond_rlock"), CreateOptions{}));
            s->cond.emplace(Condition::create_with(s->name, *s->rlock, CreateOptions{}));
            break;
    }
    return s;
}

// A thread that takes the lock, waits on the condition, and records the result and when
// (in which order) it came back. start() returns once the waiter is registered: its
// acquire-then-wait released the lock, which the starter could then take.
class Waiter {
  public:
    Waiter(Condition &cond, int id, std::mutex &order_mutex, std::vector<int> &order,
           double timeout = 10)
        : cond_(cond), id_(id), order_mutex_(order_mutex), order_(order), timeout_(timeout) {}
    Waiter(const Waiter &) = delete;
    Waiter &operator=(const Waiter &) = delete;
    ~Waiter() {
        if (thread_.joinable()) thread_.join();
    }

    // Starts the thread; returns true once it waits (the starter's acquire succeeded
    // while the waiter was inside wait).
    bool start() {
        thread_ = std::thread([this] {
            if (cond_.acquire(after(10)) != kOk) {
                result_ = -1000;
                done_ = true;
                return;
            }
            about_to_wait_ = true;
            result_ = cond_.wait(after(timeout_));
            {
                std::lock_guard<std::mutex> hold(order_mutex_);
                order_.push_back(id_);
            }
            cond_.release();
            done_ = true;
        });
        if (!eventually([&] { return about_to_wait_.load() || done_.load(); })) return false;
        if (cond_.acquire(after(5)) != kOk) return false;
        cond_.release();
        return !done_.load();
    }
    void join() { thread_.join(); }
    bool done() const { return done_.load(); }
    int result() const { return result_.load(); }

  private:
    Condition &cond_;
    int id_;
    std::mutex &order_mutex_;
    std::vector<int> &order_;
    double timeout_;
    std::atomic<bool> about_to_wait_{false};
    std::atomic<bool> done_{false};
    std::atomic<int> result_{1};
    std::thread thread_;
};

int at_least_three(void *arg) {
    return static_cast<std::atomic<int> *>(arg)->load() >= 3 ? 1 : 0;
}

int never(void *) {
    return 0;
}

}  // namespace

TEST(Condition, WaitWithoutTheLockIsNotOwner) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        EXPECT_EQ(s->cond->wait(after(0.1)), kNotOwner);
        EXPECT_EQ(s->cond->wait(after(-1)), kNotOwner) << "returns at once, never waits";
    }
}

TEST(Condition, NotifyWithoutTheLockIsNotOwner) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        EXPECT_EQ(s->cond->notify(1), kNotOwner);
        EXPECT_EQ(s->cond->notify(UINT32_MAX), kNotOwner);
    }
}

TEST(Condition, WaitAndNotifyFromAThreadThatDoesNotHoldTheLockAreNotOwner) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        ASSERT_EQ(s->cond->acquire(after(0)), kOk);
        std::thread other([&] {
            EXPECT_EQ(s->cond->wait(after(0.1)), kNotOwner);
            EXPECT_EQ(s->cond->notify(1), kNotOwner);
            EXPECT_EQ(s->cond->release(), kNotOwner);
            EXPECT_EQ(s->cond->acquire(after(0)), kTimedOut);
        });
        other.join();
        EXPECT_EQ(s->cond->release(), kOk) << "the failed calls left the lock with its holder";
        EXPECT_EQ(s->cond->release(), kNotOwner);
    }
}

TEST(Condition, NotifyWithNoWaitersDoesNothing) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        ASSERT_EQ(s->cond->acquire(after(0)), kOk);
        EXPECT_EQ(s->cond->notify(1), kOk);
        EXPECT_EQ(s->cond->notify(UINT32_MAX), kOk);
        // A notify with nobody waiting is not remembered for a later waiter.
        EXPECT_EQ(s->cond->wait(after(0.05)), kTimedOut);
        EXPECT_EQ(s->cond->release(), kOk);
    }
}

TEST(Condition, WaitTimesOutAndReturnsWithTheLockHeld) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        ASSERT_EQ(s->cond->acquire(after(0)), kOk);
        EXPECT_EQ(s->cond->wait(after(0)), kTimedOut);
        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(s->cond->wait(after(0.15)), kTimedOut);
        const double took = seconds_since(start);
        EXPECT_GE(took, 0.14);
        EXPECT_LT(took, 3.0);
        std::thread other([&] { EXPECT_EQ(s->cond->acquire(after(0)), kTimedOut); });
        other.join();
        EXPECT_EQ(s->cond->release(), kOk);
        EXPECT_EQ(s->cond->release(), kNotOwner);
    }
}

TEST(Condition, WaitReleasesTheLockAndNotifyWakesTheWaiter) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        std::mutex order_mutex;
        std::vector<int> order;
        Waiter waiter(*s->cond, 0, order_mutex, order);
        ASSERT_TRUE(waiter.start()) << "the waiter's wait released the lock";
        if (s->lock) {
            EXPECT_FALSE(s->lock->locked());
        }
        ASSERT_EQ(s->cond->acquire(after(5)), kOk);
        EXPECT_EQ(s->cond->notify(1), kOk);
        EXPECT_EQ(s->cond->release(), kOk);
        waiter.join();
        EXPECT_EQ(waiter.result(), kOk);
        if (s->lock) {
            EXPECT_FALSE(s->lock->locked());
        }
    }
}

TEST(Condition, OverItsOwnRLockTheRecursionLevelIsRestoredAfterWait) {
    Names names;
    auto s = make_condition(names, Over::kOwnRLock);
    Condition &cond = *s->cond;
    std::atomic<int> stage{0};
    std::atomic<int> result{1};
    std::thread waiter([&] {
        for (int i = 0; i < 3; ++i)
            ASSERT_EQ(cond.acquire(after(0)), kOk);
        stage = 1;
        result = cond.wait(after(10));
        // Three levels again: three releases succeed, a fourth does not.
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(cond.release(), kOk);
        EXPECT_EQ(cond.release(), kNotOwner);
    });
    ASSERT_TRUE(eventually([&] { return stage.load() == 1; }));
    // Every level was released by wait, or this would time out.
    ASSERT_EQ(cond.acquire(after(5)), kOk);
    EXPECT_EQ(cond.notify(1), kOk);
    EXPECT_EQ(cond.release(), kOk);
    waiter.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(cond.acquire(after(0)), kOk) << "free again";
    EXPECT_EQ(cond.release(), kOk);
}

TEST(Condition, OverAnRLockTheRecursionLevelIsRestoredAfterWait) {
    Names names;
    auto s = make_condition(names, Over::kRLock);
    Condition &cond = *s->cond;
    RLock &rlock = *s->rlock;
    // A timed-out wait restores the level too.
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    EXPECT_EQ(cond.wait(after(0.05)), kTimedOut);
    EXPECT_EQ(rlock.count(), 2u);
    EXPECT_EQ(rlock.release(), kOk);
    EXPECT_EQ(rlock.release(), kOk);

    std::atomic<int> stage{0};
    std::atomic<int> result{1};
    std::atomic<unsigned> level_after{0};
    std::thread waiter([&] {
        for (int i = 0; i < 3; ++i)
            ASSERT_EQ(rlock.acquire(after(0)), kOk);
        stage = 1;
        result = cond.wait(after(10));
        level_after = rlock.count();
        for (int i = 0; i < 3; ++i)
            rlock.release();
    });
    ASSERT_TRUE(eventually([&] { return stage.load() == 1; }));
    ASSERT_EQ(rlock.acquire(after(5)), kOk) << "wait released every level";
    EXPECT_EQ(rlock.count(), 1u);
    EXPECT_EQ(cond.notify(1), kOk) << "an RLock taken directly counts as the condition's lock";
    EXPECT_EQ(rlock.release(), kOk);
    waiter.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(level_after.load(), 3u);
}

TEST(Condition, OverALockTheLockIsFreeDuringWaitAndHeldAfter) {
    Names names;
    auto s = make_condition(names, Over::kLock);
    Condition &cond = *s->cond;
    Lock &lock = *s->lock;
    ASSERT_EQ(lock.acquire(after(0)), kOk);  // taken directly: the condition accepts it
    EXPECT_EQ(cond.wait(after(0.05)), kTimedOut);
    EXPECT_TRUE(lock.locked());
    EXPECT_EQ(cond.release(), kOk);
    EXPECT_FALSE(lock.locked());

    std::atomic<int> stage{0};
    std::atomic<int> result{1};
    std::atomic<bool> locked_after{false};
    std::thread waiter([&] {
        ASSERT_EQ(cond.acquire(after(5)), kOk);
        stage = 1;
        result = cond.wait(after(10));
        locked_after = lock.locked();
        cond.release();
    });
    ASSERT_TRUE(eventually([&] { return stage.load() == 1; }));
    ASSERT_EQ(lock.acquire(after(5)), kOk);
    EXPECT_EQ(cond.notify(1), kOk);
    EXPECT_EQ(lock.release(), kOk);
    waiter.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_TRUE(locked_after.load());
    EXPECT_FALSE(lock.locked());
}

TEST(Condition, NotifyOneWakesExactlyOneWaiterInArrivalOrder) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        Condition &cond = *s->cond;
        std::mutex order_mutex;
        std::vector<int> order;
        constexpr int kWaiters = 4;
        std::vector<std::unique_ptr<Waiter>> waiters;
        for (int i = 0; i < kWaiters; ++i) {
            waiters.push_back(std::make_unique<Waiter>(cond, i, order_mutex, order));
            ASSERT_TRUE(waiters.back()->start()) << "waiter " << i;
        }
        auto woken = [&] {
            std::lock_guard<std::mutex> hold(order_mutex);
            return order.size();
        };
        for (int round = 1; round <= kWaiters; ++round) {
            ASSERT_EQ(cond.acquire(after(5)), kOk);
            EXPECT_EQ(cond.notify(1), kOk);
            EXPECT_EQ(cond.release(), kOk);
            EXPECT_TRUE(eventually([&] { return woken() >= static_cast<std::size_t>(round); }));
            std::this_thread::sleep_for(50ms);
            EXPECT_EQ(woken(), static_cast<std::size_t>(round)) << "notify(1) woke more than one";
        }
        for (auto &w : waiters)
            w->join();
        std::lock_guard<std::mutex> hold(order_mutex);
        EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3})) << "oldest first";
        for (auto &w : waiters)
            EXPECT_EQ(w->result(), kOk);
    }
}

TEST(Condition, NotifyOfNWakesTheNOldest) {
    Names names;
    auto s = make_condition(names, Over::kOwnRLock);
    Condition &cond = *s->cond;
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::unique_ptr<Waiter>> waiters;
    for (int i = 0; i < 5; ++i) {
        waiters.push_back(std::make_unique<Waiter>(cond, i, order_mutex, order));
        ASSERT_TRUE(waiters.back()->start());
    }
    auto woken = [&] {
        std::lock_guard<std::mutex> hold(order_mutex);
        return order.size();
    };
    ASSERT_EQ(cond.acquire(after(5)), kOk);
    EXPECT_EQ(cond.notify(3), kOk);
    EXPECT_EQ(cond.release(), kOk);
    EXPECT_TRUE(eventually([&] { return woken() >= 3; }));
    std::this_thread::sleep_for(50ms);
    {
        std::lock_guard<std::mutex> hold(order_mutex);
        ASSERT_EQ(order.size(), 3u);
        std::vector<int> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2}));
    }
    ASSERT_EQ(cond.acquire(after(5)), kOk);
    EXPECT_EQ(cond.notify(10), kOk) << "more than are waiting";
    EXPECT_EQ(cond.release(), kOk);
    for (auto &w : waiters)
        w->join();
    for (auto &w : waiters)
        EXPECT_EQ(w->result(), kOk);
}

TEST(Condition, NotifyAllWakesEveryWaiter) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        Condition &cond = *s->cond;
        std::mutex order_mutex;
        std::vector<int> order;
        std::vector<std::unique_ptr<Waiter>> waiters;
        for (int i = 0; i < 5; ++i) {
            waiters.push_back(std::make_unique<Waiter>(cond, i, order_mutex, order));
            ASSERT_TRUE(waiters.back()->start());
        }
        ASSERT_EQ(cond.acquire(after(5)), kOk);
        EXPECT_EQ(cond.notify(UINT32_MAX), kOk);
        EXPECT_EQ(cond.release(), kOk);
        for (auto &w : waiters)
            w->join();
        for (auto &w : waiters)
            EXPECT_EQ(w->result(), kOk);
        EXPECT_EQ(order.size(), 5u);
    }
}

TEST(Condition, WaitForReturnsOnceThePredicateHolds) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        Condition &cond = *s->cond;
        std::atomic<int> value{0};
        std::atomic<int> stage{0};
        std::atomic<int> result{1};
        std::atomic<int> value_seen{-1};
        std::thread waiter([&] {
            ASSERT_EQ(cond.acquire(after(5)), kOk);
            stage = 1;
            result = cond.wait_for(at_least_three, &value, after(10));
            value_seen = value.load();
            cond.release();
        });
        ASSERT_TRUE(eventually([&] { return stage.load() == 1; }));
        for (int i = 0; i < 3; ++i) {
            ASSERT_EQ(cond.acquire(after(5)), kOk);
            value.fetch_add(1);
            EXPECT_EQ(cond.notify(UINT32_MAX), kOk);
            EXPECT_EQ(cond.release(), kOk);
            std::this_thread::sleep_for(10ms);
        }
        waiter.join();
        EXPECT_EQ(result.load(), kOk);
        EXPECT_EQ(value_seen.load(), 3);
    }
}

TEST(Condition, WaitForAnAlreadyTruePredicateReturnsAtOnce) {
    Names names;
    auto s = make_condition(names, Over::kOwnRLock);
    std::atomic<int> value{3};
    ASSERT_EQ(s->cond->acquire(after(0)), kOk);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(s->cond->wait_for(at_least_three, &value, after(10)), kOk);
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_EQ(s->cond->wait_for(at_least_three, &value, after(0)), kOk);
    EXPECT_EQ(s->cond->release(), kOk);
}

TEST(Condition, WaitForTimesOutWhenThePredicateNeverHolds) {
    Names names;
    auto s = make_condition(names, Over::kLock);
    ASSERT_EQ(s->cond->acquire(after(0)), kOk);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(s->cond->wait_for(never, nullptr, after(0.15)), kTimedOut);
    EXPECT_GE(seconds_since(start), 0.14);
    EXPECT_TRUE(s->lock->locked());
    EXPECT_EQ(s->cond->release(), kOk);
    EXPECT_EQ(s->cond->wait_for(never, nullptr, after(0.05)), kNotOwner);
}

TEST(Condition, WaitForWithoutTheLockIsNotOwnerEvenIfThePredicateHolds) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        std::atomic<int> value{3};
        EXPECT_EQ(s->cond->wait_for(at_least_three, &value, after(0)), kNotOwner);
        EXPECT_EQ(s->cond->wait_for(at_least_three, &value, after(-1)), kNotOwner);
    }
}

TEST(Condition, OpenedByNameInAnotherProcessAttachesTheSameLock) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        ChildReaper reaper;
        auto s = make_condition(names, over);
        Condition &cond = *s->cond;
        Shared<std::atomic<int>> stage;
        const std::string name = s->name;
        ASSERT_EQ(cond.acquire(after(0)), kOk);
        pid_t child = reaper.add(run_in_child([&] {
            Condition mine = Condition::open(name);
            // The parent holds the lock: the child's handle must see that.
            if (mine.acquire(after(0)) != kTimedOut) return 1;
            stage->store(1);
            if (mine.acquire(after(10)) != kOk) return 2;
            stage->store(2);
            if (mine.wait(after(10)) != kOk) return 3;
            return mine.release() == kOk ? 0 : 4;
        }));
        ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
        EXPECT_EQ(cond.release(), kOk);
        ASSERT_TRUE(eventually([&] { return stage->load() == 2; }));
        // The child's wait releases the lock it took, or this acquire would time out.
        ASSERT_EQ(cond.acquire(after(5)), kOk);
        EXPECT_EQ(cond.notify(1), kOk);
        EXPECT_EQ(cond.release(), kOk);
        EXPECT_EQ(wait_child(child), 0);
        if (s->lock) {
            EXPECT_FALSE(s->lock->locked());
        }
    }
}

TEST(Condition, WaitersInOtherProcessesAreWokenOneAtATimeInArrivalOrder) {
    Names names;
    ChildReaper reaper;
    auto s = make_condition(names, Over::kOwnRLock);
    Condition &cond = *s->cond;
    const std::string name = s->name;
    Shared<std::atomic<int>> ready;
    std::vector<pid_t> children;
    for (int c = 0; c < 3; ++c) {
        ready->store(0);
        children.push_back(reaper.add(run_in_child([&] {
            Condition mine = Condition::open(name);
            if (mine.acquire(after(10)) != kOk) return 1;
            ready->store(1);
            if (mine.wait(after(10)) != kOk) return 2;
            return mine.release() == kOk ? 0 : 3;
        })));
        ASSERT_TRUE(eventually([&] { return ready->load() == 1; }));
        ASSERT_EQ(cond.acquire(after(5)), kOk) << "child " << c << " is waiting";
        EXPECT_EQ(cond.release(), kOk);
    }
    auto exited = [](pid_t pid) {
        int status = 0;
        return ::waitpid(pid, &status, WNOHANG) == pid;
    };
    for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(cond.acquire(after(5)), kOk);
        EXPECT_EQ(cond.notify(1), kOk);
        EXPECT_EQ(cond.release(), kOk);
        EXPECT_EQ(wait_child(children[c]), 0) << "child " << c << " is the oldest";
        std::this_thread::sleep_for(50ms);
        for (int later = c + 1; later < 3; ++later) {
            EXPECT_FALSE(exited(children[later])) << "child " << later << " woke too early";
        }
    }
}

TEST(Condition, CloseWakesAWaitBlockedOnTheSameHandle) {
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        Condition other = Condition::open(s->name);
        std::atomic<std::uint32_t> tid{0};
        std::atomic<int> result{1};
        std::atomic<std::int64_t> returned_ns{0};
        std::thread waiter([&] {
            if (s->cond->acquire(after(5)) != kOk) return;
            tid = current_tid();
            result = s->cond->wait(after(-1));
            returned_ns = mproc::core::sync::Deadline::now_ns();
        });
        ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
        wait_until_sleeping(tid);
        const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
        std::thread closer([&] { s->cond->close(); });
        // If close fails to wake the waiter, notify it through another handle.
        bool woke = eventually([&] { return returned_ns.load() != 0; }, 10s);
        if (!woke && other.acquire(after(5)) == kOk) {
            other.notify(UINT32_MAX);
            other.release();
        }
        closer.join();
        waiter.join();
        EXPECT_TRUE(woke);
        EXPECT_EQ(result.load(), kClosed);
        EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
    }
}

TEST(Condition, AWaitEndedByCloseReturnsWithoutTheLock) {
    // condition.hpp: wait returns "kClosed (lock not held)". The caller's handle is closed,
    // so a lock left held there could never be released through it.
    for (Over over : kAllKinds) {
        SCOPED_TRACE(label(over));
        Names names;
        auto s = make_condition(names, over);
        Condition other = Condition::open(s->name);
        std::atomic<std::uint32_t> tid{0};
        std::atomic<int> result{1};
        std::thread waiter([&] {
            if (s->cond->acquire(after(5)) != kOk) return;
            tid = current_tid();
            result = s->cond->wait(after(10));
        });
        ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
        wait_until_sleeping(tid);
        s->cond->close();
        waiter.join();
        EXPECT_EQ(result.load(), kClosed);
        EXPECT_EQ(other.acquire(after(0)), kOk) << "the closed wait left the lock held";
        other.release();
    }
}

TEST(Condition, AWaiterKilledInWaitDoesNotSwallowANotification) {
    Names names;
    ChildReaper reaper;
    auto s = make_condition(names, Over::kOwnRLock);
    Condition &cond = *s->cond;
    const std::string name = s->name;
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Condition mine = Condition::open(name);
        if (mine.acquire(after(10)) != kOk) return 1;
        stage->store(1);
        mine.wait(after(30));
        return 2;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    ASSERT_EQ(cond.acquire(after(5)), kOk) << "the child waits";
    EXPECT_EQ(cond.release(), kOk);

    // A live waiter that arrived after the child, which is the oldest.
    std::mutex order_mutex;
    std::vector<int> order;
    Waiter waiter(cond, 1, order_mutex, order);
    ASSERT_TRUE(waiter.start());
    ::kill(child, SIGKILL);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);

    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(cond.acquire(after(5)), kOk);
    EXPECT_EQ(cond.notify(1), kOk);
    EXPECT_EQ(cond.release(), kOk);
    EXPECT_TRUE(eventually([&] { return waiter.done(); }, 3s))
        << "the notification went to the dead waiter";
    waiter.join();
    EXPECT_EQ(waiter.result(), kOk);
    EXPECT_LT(seconds_since(start), 3.0);
}

TEST(Condition, AWaitThatReacquiresALockFromADeadOwnerIsOwnerDead) {
    Names names;
    ChildReaper reaper;
    auto s = make_condition(names, Over::kLock);
    Condition &cond = *s->cond;
    const std::string lock_name = s->lock->name();
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock lock = Lock::open(lock_name);
        while (stage->load() != 1)
            std::this_thread::sleep_for(1ms);
        // Free only once the parent's wait released it.
        if (lock.acquire(after(10)) != kOk) return 1;
        stage->store(2);
        for (;;)
            ::pause();
    }));
    std::thread killer([&] {
        if (eventually([&] { return stage->load() == 2; }, 10s)) ::kill(child, SIGKILL);
    });
    ASSERT_EQ(cond.acquire(after(0)), kOk);
    stage->store(1);
    // Times out (nobody notifies), then must take the lock back from the dead child.
    EXPECT_EQ(cond.wait(after(0.3)), mproc::core::kOwnerDead);
    killer.join();
    EXPECT_TRUE(s->lock->locked());
    EXPECT_EQ(cond.release(), kOk) << "kOwnerDead: the caller holds the lock";
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
}
