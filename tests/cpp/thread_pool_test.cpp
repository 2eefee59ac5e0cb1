// mproc::ThreadPool: submit and result, worker counts, map (results in order, the first
// error, a timeout), submit_all, shutdown (closed_error after, cancel_pending, no wait),
// the destructor waiting for the queue, many submitting threads, and moved-from pools.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/future.hpp"
#include "mproc/task.hpp"
#include "mproc/thread_pool.hpp"

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

int wait_gate(void *arg) {
    auto *gate = static_cast<std::atomic<int> *>(arg);
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (gate->load() == 0 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    return 7;
}

}  // namespace

TEST(ThreadPool, SubmitAndWorkers) {
    mproc::ThreadPool pool(3);
    EXPECT_EQ(pool.workers(), 3);
    EXPECT_EQ(pool.submit(mproc::Task::call_of(kLib, "add", "i(ii)", 1, 2)).result(30s).as_int(),
              3);
    int cpus = 0;
    ASSERT_EQ(mproc_cpu_count(&cpus), MPROC_OK);
    EXPECT_EQ(mproc::ThreadPool().workers(), cpus);
    EXPECT_THROW(mproc::ThreadPool(-1), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::ThreadPool(4097), mproc::invalid_argument_error);
}

TEST(ThreadPool, MapGivesResultsInOrder) {
    mproc::ThreadPool pool(2);
    std::vector<mproc::Task> tasks;
    for (int i = 0; i < 30; ++i)
        tasks.push_back(mproc::Task::call_of(kLib, "add", "i(ii)", i, i));
    std::vector<mproc::task_result> results = pool.map(tasks, 30s);
    ASSERT_EQ(results.size(), 30u);
    for (int i = 0; i < 30; ++i)
        EXPECT_EQ(results[i].as_int(), 2 * i);
    EXPECT_TRUE(pool.map({}).empty());
}

TEST(ThreadPool, MapThrowsTheFirstErrorInOrder) {
    mproc::ThreadPool pool(2);
    std::vector<mproc::Task> tasks;
    tasks.push_back(mproc::Task::call_of(kLib, "add", "i(ii)", 1, 1));
    tasks.push_back(mproc::Task::reference(kLib, "first_missing", "i()"));
    tasks.push_back(mproc::Task::reference(kLib, "second_missing", "i()"));
    try {
        (void)pool.map(tasks, 30s);
        FAIL() << "no exception";
    } catch (const mproc::not_found_error &e) {
        EXPECT_NE(std::string(e.what()).find("first_missing"), std::string::npos) << e.what();
    }
    std::atomic<int> gate{0};
    std::vector<mproc::Task> slow;
    slow.push_back(mproc::Task::from_function(wait_gate, &gate));
    EXPECT_THROW((void)pool.map(slow, 30ms), mproc::timeout_error);
    gate.store(1);
    std::vector<mproc::Task> incomplete;
    incomplete.push_back(mproc::Task::reference(kLib, "add", "i(ii)"));
    EXPECT_THROW((void)pool.map(incomplete), mproc::invalid_argument_error);
}

TEST(ThreadPool, SubmitAll) {
    mproc::ThreadPool pool(2);
    std::vector<mproc::Task> tasks;
    for (int i = 0; i < 10; ++i) {
        tasks.push_back(mproc::Task::from_function(return_arg, reinterpret_cast<void *>(i)));
    }
    std::vector<mproc::Future> fs = pool.submit_all(tasks);
    ASSERT_EQ(fs.size(), 10u);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(fs[i].result(30s).as_int(), i);
}

TEST(ThreadPool, ShutdownClosesCancelsAndMayNotWait) {
    std::atomic<int> gate{0};
    mproc::ThreadPool pool(1);
    mproc::Future blocker = pool.submit(mproc::Task::from_function(wait_gate, &gate));
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!blocker.running() && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    mproc::Future queued = pool.submit(mproc::Task::from_function(return_arg, nullptr));
    pool.shutdown(false, true);
    EXPECT_TRUE(queued.cancelled());
    EXPECT_FALSE(blocker.done());
    EXPECT_THROW((void)pool.submit(mproc::Task::from_function(return_arg, nullptr)),
                 mproc::closed_error);
    gate.store(1);
    pool.shutdown();
    EXPECT_TRUE(blocker.done());
    pool.close();
    EXPECT_FALSE(pool.valid());
    EXPECT_THROW((void)pool.workers(), mproc::bad_handle_error);
}

TEST(ThreadPool, DestructorWaitsForTheQueue) {
    g_counter.store(0);
    std::vector<mproc::Future> fs;
    {
        mproc::ThreadPool pool(2);
        for (int i = 0; i < 100; ++i) {
            fs.push_back(pool.submit(mproc::Task::from_function(count_one, nullptr)));
        }
    }
    EXPECT_EQ(g_counter.load(), 100);
    for (const auto &f : fs)
        EXPECT_TRUE(f.done());  // futures outlive their pool
}

TEST(ThreadPool, ManyThreadsSubmitAtOnce) {
    g_counter.store(0);
    mproc::ThreadPool pool(3);
    mproc::Task task = mproc::Task::from_function(count_one, nullptr);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            std::vector<mproc::Future> mine;
            for (int i = 0; i < 500; ++i)
                mine.push_back(pool.submit(task));
            for (const auto &f : mine) {
                if (f.result(60s).as_int() == 0) ok.fetch_add(1);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(ok.load(), 2000);
    EXPECT_EQ(g_counter.load(), 2000);
}

TEST(ThreadPool, MovedFromPool) {
    mproc::ThreadPool a(1);
    mproc::ThreadPool b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_THROW((void)a.submit(mproc::Task::from_function(return_arg, nullptr)),
                 mproc::bad_handle_error);
    EXPECT_EQ(b.submit(mproc::Task::from_function(return_arg, nullptr)).result(30s).as_int(), 0);
    a.close();  // nothing
}
