// ProcessPool's crash matrix (after CPython's test_concurrent_futures deadlock tests): a
// worker dies in a task (SIGKILL, _exit), is SIGKILLed from outside while it runs, dies
// halfway through sending a result, dies or fails in its initializer, dies while the pool
// shuts down; the pool is terminated with work pending. Each case must end with a clear
// error on the tasks concerned only, every other task done, and no hang. Through the C ABI,
// for fork and spawn pools.
#include <mproc/mproc.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

// Generous: a loaded 2-core machine is slow, never this slow.
constexpr double kWait = 60;

class PoolFault : public ::testing::TestWithParam<int> {};

std::string method_name(const ::testing::TestParamInfo<int> &info) {
    switch (info.param) {
        case MPROC_START_FORK:
            return "fork";
        case MPROC_START_SPAWN:
            return "spawn";
        default:
            return "forkserver";
    }
}

mproc_pool_t *make_pool(int processes, int method, mproc_task_t *initializer = nullptr) {
    mproc_pool_options_t o;
    EXPECT_EQ(mproc_pool_options_init(&o), MPROC_OK);
    o.processes = processes;
    o.start_method = method;
    o.initializer = initializer;
    mproc_pool_t *pool = nullptr;
    EXPECT_EQ(mproc_pool_create(&o, &pool), MPROC_OK) << mproc_last_error();
    return pool;
}

mproc_task_t *fixture(const char *symbol, const char *signature) {
    mproc_task_t *t = nullptr;
    EXPECT_EQ(mproc_task_create(MPROC_TEST_TASKS_LIB, symbol, signature, &t), MPROC_OK);
    return t;
}

mproc_task_t *fixture_int(const char *symbol, const char *signature, long long arg) {
    mproc_task_t *t = fixture(symbol, signature);
    EXPECT_EQ(mproc_task_arg_int(t, arg), MPROC_OK);
    return t;
}

mproc_task_t *add_task(int a, int b) {
    mproc_task_t *t = fixture("add", "i(ii)");
    EXPECT_EQ(mproc_task_arg_int(t, a), MPROC_OK);
    EXPECT_EQ(mproc_task_arg_int(t, b), MPROC_OK);
    return t;
}

// The future's status and message, waiting for it.
struct Ending {
    int code = MPROC_ETIMEDOUT;
    std::string message;
    long long value = 0;
};
Ending end_of(mproc_future_t *f) {
    Ending e;
    mproc_result_t r{};
    e.code = mproc_future_result(f, kWait, &r);
    e.message = mproc_last_error();
    if (e.code == MPROC_OK) e.value = r.i;
    return e;
}

std::vector<int> worker_pids(mproc_pool_t *pool) {
    int pids[64];
    size_t n = 0;
    EXPECT_EQ(mproc_pool_worker_pids(pool, pids, 64, &n), MPROC_OK);
    return std::vector<int>(pids, pids + n);
}

// Waits until the pool has `count` workers, none of them in `gone`.
bool await_workers(mproc_pool_t *pool, std::size_t count, const std::vector<int> &gone) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
        const std::vector<int> now = worker_pids(pool);
        bool fresh = now.size() == count;
        for (int p : gone)
            fresh = fresh && std::find(now.begin(), now.end(), p) == now.end();
        if (fresh) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

// A map of adds with `bad` at index `at`: only that one fails, with `expect` in its message.
void only_the_bad_task_fails(mproc_pool_t *pool, mproc_task_t *bad, std::size_t at,
                             std::size_t chunksize, const std::vector<std::string> &expect) {
    constexpr std::size_t kN = 24;
    std::vector<mproc_task_t *> owned;
    std::vector<const mproc_task_t *> tasks;
    for (std::size_t k = 0; k < kN; ++k) {
        if (k == at) {
            tasks.push_back(bad);
            continue;
        }
        owned.push_back(add_task(static_cast<int>(k), 100));
        tasks.push_back(owned.back());
    }
    std::vector<mproc_future_t *> futures(kN);
    ASSERT_EQ(mproc_pool_map_async(pool, tasks.data(), kN, chunksize, futures.data()), MPROC_OK);
    for (std::size_t k = 0; k < kN; ++k) {
        const Ending e = end_of(futures[k]);
        if (k == at) {
            EXPECT_EQ(e.code, MPROC_EBROKEN) << e.message;
            for (const std::string &s : expect)
                EXPECT_NE(e.message.find(s), std::string::npos) << e.message;
        } else {
            EXPECT_EQ(e.code, MPROC_OK) << "item " << k << ": " << e.message;
            EXPECT_EQ(e.value, static_cast<long long>(k) + 100);
        }
    }
    mproc_futures_close(futures.data(), kN);
    for (mproc_task_t *t : owned)
        mproc_task_close(t);
}

TEST_P(PoolFault, TaskThatSigkillsItsWorkerFailsAloneAndIsReplaced) {
    mproc_pool_t *pool = make_pool(2, GetParam());
    mproc_task_t *kill = fixture("pool_kill_self", "i()");
    for (std::size_t chunksize : {std::size_t{1}, std::size_t{4}}) {
        only_the_bad_task_fails(pool, kill, 9, chunksize,
                                {"killed by signal 9 (SIGKILL)", "pool_kill_self", "worker '"});
    }
    EXPECT_TRUE(await_workers(pool, 2, {}));
    mproc_task_close(kill);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

TEST_P(PoolFault, TaskThatExitsNamesTheStatus) {
    mproc_pool_t *pool = make_pool(2, GetParam());
    mproc_task_t *exit3 = fixture_int("pool_exit", "i(i)", 3);
    only_the_bad_task_fails(pool, exit3, 0, 2, {"exited with status 3", "pool_exit"});
    EXPECT_TRUE(await_workers(pool, 2, {}));
    mproc_task_close(exit3);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

TEST_P(PoolFault, WorkerKilledFromOutsideDuringALongTask) {
    mproc_pool_t *pool = make_pool(1, GetParam());
    const std::vector<int> pids = worker_pids(pool);
    ASSERT_EQ(pids.size(), 1u);
    mproc_task_t *slow = fixture_int("pool_sleep_ms", "i(i)", 30000);
    mproc_future_t *f = nullptr;
    ASSERT_EQ(mproc_pool_apply_async(pool, slow, &f), MPROC_OK);
    int running = 0;
    for (int i = 0; i < 6000 && !running; ++i) {
        mproc_future_running(f, &running);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let it start the task
    ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
    const Ending e = end_of(f);
    EXPECT_EQ(e.code, MPROC_EBROKEN) << e.message;
    EXPECT_NE(e.message.find("killed by signal 9"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(std::to_string(pids[0])), std::string::npos) << e.message;
    // A replacement runs the next task.
    mproc_task_t *add = add_task(1, 2);
    mproc_result_t r{};
    EXPECT_EQ(mproc_pool_apply(pool, add, kWait, &r), MPROC_OK) << mproc_last_error();
    EXPECT_EQ(r.i, 3);
    EXPECT_TRUE(await_workers(pool, 1, pids));
    mproc_future_close(f);
    mproc_task_close(add);
    mproc_task_close(slow);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

TEST_P(PoolFault, CrashWhileSendingAResultCostsThatTaskOnly) {
    // A forkserver's children have the server's environment (as CPython's), not the
    // client's at start time: the hook would reach every worker, or none.
    if (GetParam() == MPROC_START_FORKSERVER) GTEST_SKIP() << "environment hook";
    // The hook is read when a worker starts: only the first worker has it.
    ASSERT_EQ(::setenv("MPROC_POOL_TEST_CRASH", "send", 1), 0);
    mproc_pool_t *pool = make_pool(1, GetParam());
    ::unsetenv("MPROC_POOL_TEST_CRASH");
    mproc_task_t *add = add_task(20, 22);
    mproc_future_t *first = nullptr;
    ASSERT_EQ(mproc_pool_apply_async(pool, add, &first), MPROC_OK);
    const Ending e = end_of(first);
    EXPECT_EQ(e.code, MPROC_EBROKEN) << e.message;
    EXPECT_NE(e.message.find("killed by signal 9"), std::string::npos) << e.message;
    mproc_result_t r{};
    EXPECT_EQ(mproc_pool_apply(pool, add, kWait, &r), MPROC_OK) << mproc_last_error();
    EXPECT_EQ(r.i, 42);
    mproc_future_close(first);
    mproc_task_close(add);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

// An initializer that dies, exits or fails breaks the pool: no respawn loop, no hang.
void initializer_breaks_the_pool(int method, const char *symbol, const char *expect) {
    mproc_task_t *init = fixture(symbol, "i()");
    mproc_pool_t *pool = make_pool(2, method, init);
    ASSERT_NE(pool, nullptr);
    mproc_task_t *add = add_task(1, 1);
    std::vector<mproc_future_t *> futures;
    for (int k = 0; k < 5; ++k) {
        mproc_future_t *f = nullptr;
        const int rc = mproc_pool_apply_async(pool, add, &f);
        if (rc == MPROC_OK) {
            futures.push_back(f);
        } else {
            EXPECT_EQ(rc, MPROC_EBROKEN) << mproc_last_error();
        }
    }
    for (mproc_future_t *f : futures) {
        const Ending e = end_of(f);
        EXPECT_EQ(e.code, MPROC_EBROKEN) << e.message;
        EXPECT_NE(e.message.find("initializer"), std::string::npos) << e.message;
        EXPECT_NE(e.message.find(expect), std::string::npos) << e.message;
        mproc_future_close(f);
    }
    mproc_future_t *later = nullptr;
    EXPECT_EQ(mproc_pool_apply_async(pool, add, &later), MPROC_EBROKEN);
    EXPECT_NE(std::string(mproc_last_error()).find("initializer"), std::string::npos)
        << mproc_last_error();
    // No respawn loop: the workers go, and none comes back.
    EXPECT_TRUE(await_workers(pool, 0, {}));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(worker_pids(pool).empty());
    EXPECT_EQ(mproc_pool_shutdown(pool), MPROC_OK);
    EXPECT_EQ(mproc_pool_join(pool, kWait), MPROC_OK) << mproc_last_error();
    mproc_task_close(add);
    mproc_task_close(init);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

// A worker killed while it starts (in a slow initializer, before its first task) is
// replaced like any other: two such deaths in a row leave the pool working.
TEST_P(PoolFault, WorkerKilledWhileItStartsIsReplaced) {
    mproc_task_t *init = fixture("pool_init_slow", "i()");
    mproc_pool_t *pool = make_pool(1, GetParam(), init);
    ASSERT_NE(pool, nullptr);
    std::vector<int> killed;
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(await_workers(pool, 1, killed));
        const int pid = worker_pids(pool).at(0);
        ASSERT_EQ(::kill(pid, SIGKILL), 0);
        killed.push_back(pid);
    }
    mproc_task_t *add = add_task(2, 3);
    mproc_future_t *f = nullptr;
    ASSERT_EQ(mproc_pool_apply_async(pool, add, &f), MPROC_OK) << mproc_last_error();
    const Ending e = end_of(f);
    EXPECT_EQ(e.code, MPROC_OK) << e.message;
    mproc_future_close(f);
    EXPECT_EQ(mproc_pool_shutdown(pool), MPROC_OK);
    EXPECT_EQ(mproc_pool_join(pool, kWait), MPROC_OK) << mproc_last_error();
    mproc_task_close(add);
    mproc_task_close(init);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

TEST_P(PoolFault, InitializerKilledBreaksThePool) {
    initializer_breaks_the_pool(GetParam(), "pool_init_crash", "killed by signal 9");
}

TEST_P(PoolFault, InitializerExitBreaksThePool) {
    initializer_breaks_the_pool(GetParam(), "pool_init_exit", "exited with status 4");
}

TEST_P(PoolFault, InitializerFailureBreaksThePool) {
    initializer_breaks_the_pool(GetParam(), "pool_init_fail", "returned 7");
}

TEST_P(PoolFault, WorkerKilledWhileThePoolShutsDown) {
    mproc_pool_t *pool = make_pool(2, GetParam());
    mproc_task_t *slow = fixture_int("pool_sleep_ms", "i(i)", 300);
    // Both workers past their start-up first (the pool hands one task to each): one killed
    // before it is ready breaks the whole pool by design, and a spawned worker under ASan
    // can take longer than the 100 ms below to get ready.
    const mproc_task_t *warm_up[2] = {slow, slow};
    mproc_future_t *warm_futures[2];
    ASSERT_EQ(mproc_pool_map(pool, warm_up, 2, 1, kWait, warm_futures), MPROC_OK)
        << mproc_last_error();
    mproc_futures_close(warm_futures, 2);
    const mproc_task_t *tasks[6] = {slow, slow, slow, slow, slow, slow};
    mproc_future_t *futures[6];
    ASSERT_EQ(mproc_pool_map_async(pool, tasks, 6, 1, futures), MPROC_OK);
    ASSERT_EQ(mproc_pool_shutdown(pool), MPROC_OK);
    const std::vector<int> pids = worker_pids(pool);
    ASSERT_FALSE(pids.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(pids[0], SIGKILL);
    EXPECT_EQ(mproc_pool_join(pool, kWait), MPROC_OK) << mproc_last_error();
    int broken = 0;
    for (mproc_future_t *f : futures) {
        const Ending e = end_of(f);
        EXPECT_TRUE(e.code == MPROC_OK || e.code == MPROC_EBROKEN) << e.message;
        broken += e.code == MPROC_EBROKEN;
    }
    EXPECT_LE(broken, 1);
    EXPECT_TRUE(worker_pids(pool).empty());
    mproc_futures_close(futures, 6);
    mproc_task_close(slow);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

TEST_P(PoolFault, TerminateWithTasksPending) {
    mproc_pool_t *pool = make_pool(2, GetParam());
    mproc_task_t *slow = fixture_int("pool_sleep_ms", "i(i)", 20000);
    std::vector<const mproc_task_t *> tasks(10, slow);
    std::vector<mproc_future_t *> futures(10);
    ASSERT_EQ(mproc_pool_map_async(pool, tasks.data(), 10, 1, futures.data()), MPROC_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(mproc_pool_terminate(pool), MPROC_OK);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
    EXPECT_TRUE(worker_pids(pool).empty());
    int cancelled = 0;
    for (mproc_future_t *f : futures) {
        const Ending e = end_of(f);
        EXPECT_TRUE(e.code == MPROC_ECANCELLED || e.code == MPROC_EBROKEN) << e.message;
        cancelled += e.code == MPROC_ECANCELLED;
    }
    EXPECT_GE(cancelled, 6);
    EXPECT_EQ(mproc_pool_join(pool, kWait), MPROC_OK);
    mproc_future_t *f = nullptr;
    EXPECT_EQ(mproc_pool_apply_async(pool, slow, &f), MPROC_ECLOSED);
    mproc_futures_close(futures.data(), 10);
    mproc_task_close(slow);
    EXPECT_EQ(mproc_pool_close(pool), MPROC_OK);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, PoolFault,
                         ::testing::Values(MPROC_START_FORK, MPROC_START_SPAWN,
                                           MPROC_START_FORKSERVER),
                         method_name);

}  // namespace
