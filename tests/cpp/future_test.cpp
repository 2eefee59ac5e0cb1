// mproc::Future and mproc::wait / wait_any: results (int, string), a task's error thrown
// by result() with its class and message, exception() codes, cancel and cancelled_error,
// wait and result timeouts, done-callbacks before and after done (order, a throwing one),
// wait for each return_when with a timeout, wait_any as as_completed, moved-from futures.
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

// Blocks until *gate is non-zero (at most 60 s); returns 7.
int wait_gate(void *arg) {
    auto *gate = static_cast<std::atomic<int> *>(arg);
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (gate->load() == 0 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    return 7;
}

bool await_running(const mproc::Future &f) {
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!f.running()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

}  // namespace

TEST(Future, ResultsOfFunctionsAndReferences) {
    mproc::ThreadPool pool(2);
    mproc::Future f =
        pool.submit(mproc::Task::from_function(return_arg, reinterpret_cast<void *>(42)));
    mproc::Future g = pool.submit(mproc::Task::call_of(kLib, "add", "i(ii)", 40, 2));
    mproc::Future s = pool.submit(mproc::Task::call_of(kLib, "greet_new", "S(s)", "ann"));
    EXPECT_EQ(f.result(30s).as_int(), 42);
    EXPECT_EQ(g.result().as_int(), 42);
    EXPECT_EQ(s.result(30s).as_string(), "hi ann");
    EXPECT_TRUE(g.done());
    EXPECT_FALSE(g.running());
    EXPECT_FALSE(g.cancelled());
    EXPECT_EQ(g.exception(), MPROC_OK);
    EXPECT_TRUE(g.wait(0s));
}

TEST(Future, TaskErrorIsThrownByResult) {
    mproc::ThreadPool pool(1);
    mproc::Future f = pool.submit(mproc::Task::reference(kLib, "not_there", "i()"));
    try {
        (void)f.result(30s);
        FAIL() << "no exception";
    } catch (const mproc::not_found_error &e) {
        EXPECT_NE(std::string(e.what()).find("not_there"), std::string::npos) << e.what();
    }
    EXPECT_EQ(f.exception(0s), MPROC_ENOTFOUND);
}

TEST(Future, CancelAndTimeouts) {
    std::atomic<int> gate{0};
    mproc::ThreadPool pool(1);
    mproc::Future blocker = pool.submit(mproc::Task::from_function(wait_gate, &gate));
    ASSERT_TRUE(await_running(blocker));
    mproc::Future queued = pool.submit(mproc::Task::from_function(return_arg, nullptr));
    EXPECT_FALSE(queued.wait(0s));
    EXPECT_FALSE(queued.wait(50ms));
    EXPECT_THROW((void)blocker.result(20ms), mproc::timeout_error);
    EXPECT_THROW((void)blocker.exception(0s), mproc::timeout_error);
    EXPECT_FALSE(blocker.cancel());
    EXPECT_TRUE(queued.cancel());
    EXPECT_TRUE(queued.cancel());
    EXPECT_TRUE(queued.cancelled());
    EXPECT_TRUE(queued.done());
    EXPECT_THROW((void)queued.result(), mproc::cancelled_error);
    EXPECT_EQ(queued.exception(), MPROC_ECANCELLED);
    gate.store(1);
    EXPECT_EQ(blocker.result(30s).as_int(), 7);
}

TEST(Future, CallbacksBeforeAndAfterDone) {
    std::atomic<int> gate{0};
    mproc::ThreadPool pool(1);
    mproc::Future f = pool.submit(mproc::Task::from_function(wait_gate, &gate));
    std::vector<int> order;
    std::atomic<int> calls{0};
    std::thread::id where;
    f.add_done_callback([&](mproc::Future &done) {
        order.push_back(1);
        where = std::this_thread::get_id();
        EXPECT_EQ(done.result(0s).as_int(), 7);
        calls.fetch_add(1);
    });
    f.add_done_callback([&](mproc::Future &) {
        calls.fetch_add(1);
        throw std::runtime_error("swallowed");
    });
    f.add_done_callback([&](mproc::Future &) {
        order.push_back(2);
        calls.fetch_add(1);
    });
    EXPECT_EQ(calls.load(), 0);
    gate.store(1);
    ASSERT_TRUE(f.wait(30s));
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (calls.load() < 3 && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(calls.load(), 3);
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_NE(where, std::this_thread::get_id());
    f.add_done_callback([&](mproc::Future &done) {
        order.push_back(3);
        where = std::this_thread::get_id();
        EXPECT_TRUE(done.done());
    });
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(Future, WaitForEachReturnWhen) {
    std::atomic<int> gate{0};
    mproc::ThreadPool pool(2);
    std::vector<mproc::Future> fs;
    fs.push_back(pool.submit(mproc::Task::from_function(wait_gate, &gate)));
    fs.push_back(pool.submit(mproc::Task::reference(kLib, "missing_here", "i()")));
    ASSERT_TRUE(fs[1].wait(30s));
    fs.push_back(pool.submit(mproc::Task::from_function(wait_gate, &gate)));

    mproc::wait_result r = mproc::wait(fs, mproc::return_when::first_completed, 30s);
    EXPECT_EQ(r.done, (std::vector<std::size_t>{1}));
    EXPECT_EQ(r.not_done, (std::vector<std::size_t>{0, 2}));
    r = mproc::wait(fs, mproc::return_when::first_exception, 0s);
    EXPECT_EQ(r.done.size(), 1u);
    r = mproc::wait(fs, mproc::return_when::all_completed, 50ms);  // a timeout: no error
    EXPECT_EQ(r.not_done.size(), 2u);
    gate.store(1);
    r = mproc::wait(fs);
    EXPECT_EQ(r.done.size(), 3u);
    EXPECT_TRUE(r.not_done.empty());
    EXPECT_TRUE(mproc::wait({}).done.empty());
}

TEST(Future, WaitAnyIsAsCompleted) {
    std::atomic<int> gates[3] = {{0}, {0}, {0}};
    mproc::ThreadPool pool(3);
    std::vector<mproc::Future> left;
    for (auto &g : gates)
        left.push_back(pool.submit(mproc::Task::from_function(wait_gate, &g)));
    EXPECT_EQ(mproc::wait_any(left, 10ms), std::nullopt);
    std::vector<mproc::Future> finished;
    for (int k : {1, 2, 0}) {
        gates[k].store(1);
        std::optional<std::size_t> i = mproc::wait_any(left, 30s);
        ASSERT_TRUE(i.has_value());
        finished.push_back(std::move(left[*i]));
        left.erase(left.begin() + static_cast<long>(*i));
    }
    EXPECT_TRUE(left.empty());
    for (const auto &f : finished)
        EXPECT_EQ(f.result(0s).as_int(), 7);
    EXPECT_THROW((void)mproc::wait_any({}), mproc::invalid_argument_error);
}

TEST(Future, MovedFromAndEmptyFutures) {
    mproc::ThreadPool pool(1);
    mproc::Future f = pool.submit(mproc::Task::from_function(return_arg, nullptr));
    mproc::Future g = std::move(f);
    EXPECT_FALSE(f.valid());
    EXPECT_THROW((void)f.done(), mproc::bad_handle_error);
    EXPECT_THROW((void)f.result(), mproc::bad_handle_error);
    EXPECT_EQ(g.result(30s).as_int(), 0);
    std::vector<mproc::Future> with_empty;
    with_empty.emplace_back();
    EXPECT_THROW((void)mproc::wait(with_empty), mproc::invalid_argument_error);
    g.close();
    EXPECT_FALSE(g.valid());
    g.close();  // again: nothing
}
