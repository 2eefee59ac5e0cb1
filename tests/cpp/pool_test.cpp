// mproc::Pool, the C++ face of the process pool: apply, apply_async, map and map_async with
// fork and spawn pools, errors as exceptions, the initializer, and the refusals after
// shutdown.
#include <mproc/pool.hpp>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 60s;  // generous: a loaded 2-core machine is slow, never this slow

mproc::Task add(int a, int b) {
    return mproc::Task::call_of(MPROC_TEST_TASKS_LIB, "add", "i(ii)", a, b);
}

mproc::pool_options options(mproc::start_method method, int processes = 2) {
    mproc::pool_options o;
    o.method = method;
    o.processes = processes;
    return o;
}

int negate(void *arg) {
    return -*static_cast<int *>(arg);
}

TEST(Pool, ApplyAndApplyAsyncInSpawnPool) {
    mproc::Pool pool(options(mproc::start_method::spawn));
    EXPECT_EQ(pool.processes(), 2);
    EXPECT_EQ(pool.apply(add(2, 3), kWait).as_int(), 5);
    mproc::Future f = pool.apply_async(add(40, 2));
    EXPECT_EQ(f.result(kWait).as_int(), 42);
    const mproc::task_result s =
        pool.apply(mproc::Task::call_of(MPROC_TEST_TASKS_LIB, "greet", "s(s)", "c++"), kWait);
    EXPECT_EQ(s.as_string(), "hello, c++");
}

TEST(Pool, MapKeepsOrderInForkPoolWithFunctionTasks) {
    // The workers are forks made when the pool starts: they see memory as it was then.
    static int values[20];
    for (int k = 0; k < 20; ++k)
        values[k] = k;
    mproc::Pool pool(options(mproc::start_method::fork));
    std::vector<mproc::Task> tasks;
    for (int k = 0; k < 20; ++k)
        tasks.push_back(mproc::Task::from_function(negate, &values[k]));
    for (std::size_t chunksize : {std::size_t{1}, std::size_t{0}, std::size_t{100}}) {
        const std::vector<mproc::task_result> results = pool.map(tasks, chunksize, kWait);
        ASSERT_EQ(results.size(), 20u);
        for (int k = 0; k < 20; ++k)
            EXPECT_EQ(results[k].as_int(), -k);
    }
    std::vector<mproc::Future> futures = pool.map_async(tasks, 3);
    for (int k = 0; k < 20; ++k)
        EXPECT_EQ(futures[k].result(kWait).as_int(), -k);
}

TEST(Pool, ErrorsAreExceptionsPerItem) {
    mproc::Pool pool(options(mproc::start_method::spawn));
    std::vector<mproc::Task> tasks;
    tasks.push_back(add(1, 1));
    tasks.push_back(mproc::Task::reference(MPROC_TEST_TASKS_LIB, "no_such_function", "i()"));
    EXPECT_THROW(pool.map(tasks, 1, kWait), mproc::not_found_error);
    std::vector<mproc::Future> futures = pool.map_async(tasks, 1);
    EXPECT_EQ(futures[0].result(kWait).as_int(), 2);
    EXPECT_THROW(futures[1].result(kWait), mproc::not_found_error);
    // A worker that dies: MPROC_EBROKEN, and the pool goes on.
    mproc::Future killed =
        pool.apply_async(mproc::Task::reference(MPROC_TEST_TASKS_LIB, "pool_kill_self", "i()"));
    try {
        killed.result(kWait);
        ADD_FAILURE() << "a killed worker's task succeeded";
    } catch (const mproc::error &e) {
        EXPECT_EQ(e.code(), MPROC_EBROKEN);
        EXPECT_NE(std::string(e.what()).find("SIGKILL"), std::string::npos) << e.what();
    }
    EXPECT_EQ(pool.apply(add(3, 4), kWait).as_int(), 7);
}

TEST(Pool, InitializerAndMaxTasksPerChild) {
    const mproc::Task init = mproc::Task::reference(MPROC_TEST_TASKS_LIB, "pool_init_mark", "i()");
    mproc::pool_options o = options(mproc::start_method::spawn);
    o.initializer = &init;
    o.max_tasks_per_child = 2;
    mproc::Pool pool(o);
    std::vector<mproc::Task> tasks;
    for (int k = 0; k < 12; ++k) {
        tasks.push_back(mproc::Task::reference(MPROC_TEST_TASKS_LIB, "pool_init_runs_here", "i()"));
    }
    for (const mproc::task_result &r : pool.map(tasks, 1, kWait))
        EXPECT_EQ(r.as_int(), 1);
    std::vector<mproc::Task> pids;
    for (int k = 0; k < 12; ++k) {
        pids.push_back(mproc::Task::reference(MPROC_TEST_TASKS_LIB, "pool_pid", "i()"));
    }
    std::set<long long> distinct;
    for (const mproc::task_result &r : pool.map(pids, 1, kWait))
        distinct.insert(r.as_int());
    EXPECT_GE(distinct.size(), 6u);
}

TEST(Pool, RefusalsAndShutdown) {
    mproc::pool_options bad = options(mproc::start_method::fork, -1);
    EXPECT_THROW(mproc::Pool{bad}, mproc::invalid_argument_error);
    mproc::Pool spawn_pool(options(mproc::start_method::spawn, 1));
    static int one = 1;
    EXPECT_THROW(spawn_pool.apply_async(mproc::Task::from_function(negate, &one)),
                 mproc::invalid_argument_error);
    EXPECT_THROW(spawn_pool.join(0s), mproc::invalid_argument_error);
    mproc::Future f = spawn_pool.apply_async(add(1, 2));
    spawn_pool.shutdown();
    EXPECT_THROW(spawn_pool.apply_async(add(1, 2)), mproc::closed_error);
    EXPECT_TRUE(spawn_pool.join(kWait));
    EXPECT_EQ(f.result(0s).as_int(), 3);
    EXPECT_TRUE(spawn_pool.worker_pids().empty());

    mproc::Pool moved(options(mproc::start_method::fork, 1));
    EXPECT_EQ(moved.worker_pids().size(), 1u);
    mproc::Pool other = std::move(moved);
    EXPECT_THROW(moved.apply(add(1, 1)), mproc::bad_handle_error);
    other.terminate();
    EXPECT_TRUE(other.join(kWait));
}

}  // namespace
