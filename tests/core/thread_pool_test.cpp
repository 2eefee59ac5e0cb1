// ThreadPool (core::pool::ThreadPool): results of function tasks and task references, a
// task's error in its future, FIFO order, submit after shutdown, shutdown with and without
// waiting and with cancel_pending, shutdown from a pool thread, worker-count limits, an
// incomplete task, submit_all, the destructor draining the queue, and many submitters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "pool/future.hpp"
#include "pool/thread_pool.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

using mproc::core::Error;
using mproc::core::kClosed;
using mproc::core::kInvalid;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::Status;
using mproc::core::pool::Future;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::ThreadPool;
using mproc::core::sync::Deadline;
using mproc::core::task::Task;
using namespace std::chrono_literals;

namespace {

constexpr const char *kLib = MPROC_TEST_TASKS_LIB;

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

std::atomic<int> g_counter{0};
int count_one(void *) {
    g_counter.fetch_add(1);
    return 0;
}

// Blocks until *gate is non-zero (at most 30 s); returns 1.
int wait_gate(void *arg) {
    auto *gate = static_cast<std::atomic<int> *>(arg);
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (gate->load() == 0 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    return 1;
}

struct Order {
    std::mutex mutex;
    std::vector<int> seen;
};
Order g_order;
int record(void *arg) {
    std::lock_guard<std::mutex> guard(g_order.mutex);
    g_order.seen.push_back(static_cast<int>(reinterpret_cast<std::intptr_t>(arg)));
    return 0;
}

void *as_arg(int v) {
    return reinterpret_cast<void *>(static_cast<std::intptr_t>(v));
}

Status status_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const Error &e) {
        return e.status();
    }
    return kOk;
}

bool wait_ok(const FuturePtr &f) {
    return f->wait(Deadline::after(30));
}

}  // namespace

TEST(ThreadPool, RunsFunctionTasks) {
    ThreadPool pool(2);
    EXPECT_EQ(pool.workers(), 2);
    std::vector<FuturePtr> fs;
    for (int i = 0; i < 50; ++i)
        fs.push_back(pool.submit(Task::function(return_arg, as_arg(i))));
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(wait_ok(fs[i]));
        ASSERT_NE(fs[i]->outcome(), nullptr);
        EXPECT_EQ(fs[i]->outcome()->status, kOk);
        EXPECT_EQ(fs[i]->outcome()->result.type, 'i');
        EXPECT_EQ(fs[i]->outcome()->result.i, i);
    }
}

TEST(ThreadPool, RunsTaskReferencesAndReportsTheirErrors) {
    ThreadPool pool(1);
    Task add = Task::reference(kLib, "add", "i(ii)");
    add.add_int(20);
    add.add_int(22);
    FuturePtr ok = pool.submit(add);
    Task missing = Task::reference(kLib, "no_such_symbol", "i()");
    FuturePtr bad = pool.submit(missing);
    ASSERT_TRUE(wait_ok(ok));
    ASSERT_TRUE(wait_ok(bad));
    EXPECT_EQ(ok->outcome()->result.i, 42);
    EXPECT_EQ(bad->outcome()->status, kNotFound);
    EXPECT_NE(bad->outcome()->message.find("task '"), std::string::npos) << bad->outcome()->message;
    EXPECT_NE(bad->outcome()->message.find("no_such_symbol"), std::string::npos);
    EXPECT_TRUE(bad->failed());
    // The task was copied: changing the caller's does not change the queued one.
    add.clear_args();
    add.add_int(1);
    add.add_int(1);
    EXPECT_EQ(ok->outcome()->result.i, 42);
}

TEST(ThreadPool, OneWorkerRunsTasksInSubmitOrder) {
    {
        std::lock_guard<std::mutex> guard(g_order.mutex);
        g_order.seen.clear();
    }
    std::vector<FuturePtr> fs;
    {
        ThreadPool pool(1);
        for (int i = 0; i < 100; ++i)
            fs.push_back(pool.submit(Task::function(record, as_arg(i))));
    }  // the destructor waits for the queue to drain
    for (const auto &f : fs)
        EXPECT_TRUE(f->done());
    std::vector<int> want;
    for (int i = 0; i < 100; ++i)
        want.push_back(i);
    std::lock_guard<std::mutex> guard(g_order.mutex);
    EXPECT_EQ(g_order.seen, want);
}

TEST(ThreadPool, SubmitAfterShutdownIsClosed) {
    ThreadPool pool(1);
    pool.shutdown(true, false);
    EXPECT_EQ(status_of([&] { pool.submit(Task::function(return_arg, nullptr)); }), kClosed);
    EXPECT_EQ(status_of([&] { pool.submit_all({Task::function(return_arg, nullptr)}); }), kClosed);
    pool.shutdown(true, true);  // again: fine
}

TEST(ThreadPool, ShutdownCancelPendingCancelsQueuedTasks) {
    std::atomic<int> gate{0};
    ThreadPool pool(1);
    FuturePtr running = pool.submit(Task::function(wait_gate, &gate));
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!running->running() && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(running->running());
    std::vector<FuturePtr> queued;
    for (int i = 0; i < 5; ++i)
        queued.push_back(pool.submit(Task::function(return_arg, nullptr)));
    pool.shutdown(false, true);  // returns at once although a task runs
    EXPECT_FALSE(running->done());
    for (const auto &f : queued)
        EXPECT_TRUE(f->cancelled());
    gate.store(1);
    pool.shutdown(true, false);
    EXPECT_TRUE(running->done());
    EXPECT_EQ(running->outcome()->result.i, 1);
}

TEST(ThreadPool, ShutdownWithoutCancelRunsTheQueue) {
    g_counter.store(0);
    ThreadPool pool(2);
    std::vector<FuturePtr> fs;
    for (int i = 0; i < 200; ++i)
        fs.push_back(pool.submit(Task::function(count_one, nullptr)));
    pool.shutdown(true, false);
    EXPECT_EQ(g_counter.load(), 200);
    for (const auto &f : fs)
        EXPECT_EQ(f->outcome()->status, kOk);
}

TEST(ThreadPool, ShutdownWaitFromAPoolThreadIsInvalid) {
    ThreadPool pool(1);
    std::atomic<int> status{1};
    FuturePtr f = pool.submit(Task::function(return_arg, nullptr));
    ASSERT_TRUE(wait_ok(f));
    // A callback added to a done future runs here; use a pending one run by the worker.
    std::atomic<int> gate{0};
    FuturePtr g = pool.submit(Task::function(wait_gate, &gate));
    g->add_done_callback([&](const FuturePtr &) {
        EXPECT_TRUE(pool.is_pool_thread());
        status.store(status_of([&] { pool.shutdown(true, false); }));
    });
    gate.store(1);
    ASSERT_TRUE(wait_ok(g));
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (status.load() == 1 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(status.load(), kInvalid);
    EXPECT_FALSE(pool.is_pool_thread());
    // Still open: the failed shutdown changed nothing.
    EXPECT_TRUE(wait_ok(pool.submit(Task::function(return_arg, nullptr))));
}

TEST(ThreadPool, WorkerCountIsChecked) {
    EXPECT_EQ(status_of([] { ThreadPool p(0); }), kInvalid);
    EXPECT_EQ(status_of([] { ThreadPool p(-1); }), kInvalid);
    EXPECT_EQ(status_of([] { ThreadPool p(ThreadPool::kMaxWorkers + 1); }), kInvalid);
}

TEST(ThreadPool, IncompleteTaskIsInvalid) {
    ThreadPool pool(1);
    Task add = Task::reference(kLib, "add", "i(ii)");
    add.add_int(1);
    EXPECT_EQ(status_of([&] { pool.submit(add); }), kInvalid);
    EXPECT_EQ(status_of([&] {
                  pool.submit_all({Task::function(return_arg, nullptr), add});
              }),
              kInvalid);
}

TEST(ThreadPool, SubmitAllReturnsFuturesInOrder) {
    ThreadPool pool(2);
    std::vector<Task> tasks;
    for (int i = 0; i < 64; ++i)
        tasks.push_back(Task::function(return_arg, as_arg(i * 3)));
    std::vector<FuturePtr> fs = pool.submit_all(tasks);
    ASSERT_EQ(fs.size(), 64u);
    ASSERT_EQ(Future::wait_some(fs, mproc::core::pool::ReturnWhen::kAllCompleted,
                                Deadline::after(30), nullptr),
              kOk);
    for (int i = 0; i < 64; ++i)
        EXPECT_EQ(fs[i]->outcome()->result.i, i * 3);
    EXPECT_TRUE(pool.submit_all({}).empty());
}

TEST(ThreadPool, ManySubmittersExactCounts) {
    g_counter.store(0);
    constexpr int kThreads = 4, kEach = 2000;
    std::atomic<int> ok{0};
    {
        ThreadPool pool(3);
        std::vector<std::thread> submitters;
        for (int t = 0; t < kThreads; ++t) {
            submitters.emplace_back([&] {
                std::vector<FuturePtr> mine;
                for (int i = 0; i < kEach; ++i) {
                    mine.push_back(pool.submit(Task::function(count_one, nullptr)));
                }
                for (const auto &f : mine) {
                    if (wait_ok(f) && f->outcome() != nullptr && f->outcome()->status == kOk) {
                        ok.fetch_add(1);
                    }
                }
            });
        }
        for (auto &t : submitters)
            t.join();
    }
    EXPECT_EQ(ok.load(), kThreads * kEach);
    EXPECT_EQ(g_counter.load(), kThreads * kEach);
}

TEST(ThreadPool, TaskCallCacheIsSharedByCopiesAndThreads) {
    // The same reference called from many workers at once, through copies.
    ThreadPool pool(4);
    Task add = Task::reference(kLib, "add", "i(ii)");
    add.add_int(2);
    add.add_int(3);
    std::vector<FuturePtr> fs;
    for (int i = 0; i < 500; ++i)
        fs.push_back(pool.submit(add));
    for (const auto &f : fs) {
        ASSERT_TRUE(wait_ok(f));
        EXPECT_EQ(f->outcome()->result.i, 5);
    }
}
