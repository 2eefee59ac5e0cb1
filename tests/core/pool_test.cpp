// ProcessPool in the core: fork pools with function-pointer tasks and task references, the
// wire format's validation, chunking, initializers, max_tasks_per_child, and the calls
// refused after shutdown. (Spawn pools and the crash matrix are covered through the C ABI:
// tests/capi/pool_test.c and tests/fault/pool_fault_test.cpp.)
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pool/dispatch.hpp"
#include "pool/pool_wire.hpp"
#include "pool/process_pool.hpp"
#include "test_support.hpp"

namespace {

using mproc::core::Error;
using mproc::core::kOk;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::PoolOptions;
using mproc::core::pool::ProcessPool;
using mproc::core::process::StartMethod;
using mproc::core::sync::Deadline;
using mproc::core::task::Task;
namespace wire = mproc::core::pool::wire;

// Generous: a loaded 2-core machine may be slow, but never this slow.
constexpr double kWait = 60;

PoolOptions fork_options(int processes) {
    PoolOptions o;
    o.processes = processes;
    o.method = StartMethod::kFork;
    return o;
}

Task add_task(int a, int b) {
    Task t = Task::reference(MPROC_TEST_TASKS_LIB, "add", "i(ii)");
    t.add_int(a);
    t.add_int(b);
    return t;
}

const mproc::core::pool::Outcome &outcome_of(const FuturePtr &f) {
    EXPECT_TRUE(f->wait(Deadline::after(kWait)));
    const auto *o = f->outcome();
    if (o == nullptr) throw std::runtime_error("future cancelled or not done");
    return *o;
}

int triple(void *arg) {
    return 3 * *static_cast<int *>(arg);
}

int values[8] = {1, 2, 3, 4, 5, 6, 7, 8};

TEST(ProcessPool, ForkPoolRunsFunctionTasks) {
    ProcessPool pool(fork_options(2));
    EXPECT_EQ(pool.processes(), 2);
    std::vector<FuturePtr> futures;
    for (int &v : values)
        futures.push_back(pool.submit(Task::function(&triple, &v)));
    for (std::size_t k = 0; k < futures.size(); ++k) {
        const auto &o = outcome_of(futures[k]);
        EXPECT_EQ(o.status, kOk) << o.message;
        EXPECT_EQ(o.result.type, 'i');
        EXPECT_EQ(o.result.i, 3 * values[k]);
    }
}

TEST(ProcessPool, MapKeepsOrderWithAnyChunksize) {
    ProcessPool pool(fork_options(2));
    for (std::size_t chunksize :
         {std::size_t{1}, std::size_t{0}, std::size_t{7}, std::size_t{1000}}) {
        std::vector<Task> tasks;
        for (int k = 0; k < 100; ++k)
            tasks.push_back(add_task(k, 1000));
        std::vector<const Task *> list;
        for (const Task &t : tasks)
            list.push_back(&t);
        const std::vector<FuturePtr> futures = pool.map(list, chunksize);
        ASSERT_EQ(futures.size(), tasks.size());
        for (int k = 0; k < 100; ++k) {
            const auto &o = outcome_of(futures[k]);
            ASSERT_EQ(o.status, kOk) << o.message;
            EXPECT_EQ(o.result.i, k + 1000) << "chunksize " << chunksize;
        }
    }
}

TEST(ProcessPool, AutomaticChunksizeIsPythons) {
    using mproc::core::pool::auto_chunksize;
    EXPECT_EQ(auto_chunksize(0, 4), 1u);
    EXPECT_EQ(auto_chunksize(1, 4), 1u);
    EXPECT_EQ(auto_chunksize(16, 4), 1u);
    EXPECT_EQ(auto_chunksize(17, 4), 2u);
    EXPECT_EQ(auto_chunksize(1000, 2), 125u);
    EXPECT_EQ(auto_chunksize(1001, 2), 126u);
}

TEST(ProcessPool, MissingSymbolFailsOnlyItsItem) {
    ProcessPool pool(fork_options(2));
    Task good = add_task(2, 3);
    Task missing = Task::reference(MPROC_TEST_TASKS_LIB, "no_such_function", "i()");
    const std::vector<FuturePtr> futures = pool.map({&good, &missing, &good}, 1);
    EXPECT_EQ(outcome_of(futures[0]).result.i, 5);
    const auto &bad = outcome_of(futures[1]);
    EXPECT_EQ(bad.status, mproc::core::kNotFound);
    EXPECT_NE(bad.message.find("no_such_function"), std::string::npos) << bad.message;
    EXPECT_EQ(outcome_of(futures[2]).result.i, 5);
}

TEST(ProcessPool, InitializerRunsOncePerWorker) {
    PoolOptions o = fork_options(2);
    o.initializer = Task::reference(MPROC_TEST_TASKS_LIB, "pool_init_mark", "i()");
    ProcessPool pool(std::move(o));
    Task runs = Task::reference(MPROC_TEST_TASKS_LIB, "pool_init_runs_here", "i()");
    std::vector<const Task *> list(40, &runs);
    for (const FuturePtr &f : pool.map(list, 1)) {
        const auto &out = outcome_of(f);
        ASSERT_EQ(out.status, kOk) << out.message;
        EXPECT_EQ(out.result.i, 1);
    }
}

TEST(ProcessPool, MaxTasksPerChildReplacesWorkers) {
    PoolOptions o = fork_options(2);
    o.max_tasks_per_child = 3;
    ProcessPool pool(std::move(o));
    Task pid = Task::reference(MPROC_TEST_TASKS_LIB, "pool_pid", "i()");
    std::vector<const Task *> list(30, &pid);
    std::map<int, int> per_pid;
    for (const FuturePtr &f : pool.map(list, 0)) {
        const auto &out = outcome_of(f);
        ASSERT_EQ(out.status, kOk) << out.message;
        ++per_pid[static_cast<int>(out.result.i)];
    }
    EXPECT_GE(per_pid.size(), 10u);
    for (const auto &[p, n] : per_pid)
        EXPECT_LE(n, 3) << "pid " << p;
}

TEST(ProcessPool, RefusesWorkAfterShutdownAndJoinsAfterIt) {
    ProcessPool pool(fork_options(2));
    EXPECT_THROW(
        {
            try {
                pool.join(Deadline::after(0));
            } catch (const Error &e) {
                EXPECT_EQ(e.status(), mproc::core::kInvalid);
                throw;
            }
        },
        Error);
    FuturePtr f = pool.submit(add_task(1, 1));
    pool.shutdown();
    try {
        pool.submit(add_task(1, 1));
        ADD_FAILURE() << "submit after shutdown";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), mproc::core::kClosed);
    }
    EXPECT_EQ(pool.join(Deadline::after(kWait)), kOk);
    EXPECT_EQ(outcome_of(f).result.i, 2);
    EXPECT_TRUE(pool.worker_pids().empty());
}

TEST(ProcessPool, OversizedTaskAndResult) {
    PoolOptions o = fork_options(1);
    o.max_message = 1024;
    ProcessPool pool(std::move(o));
    Task big = Task::reference(MPROC_TEST_TASKS_LIB, "bytes_sum", "q(iyi)");
    big.add_int(0);
    const std::string payload(4096, 'a');
    big.add_bytes(payload.data(), payload.size());
    big.add_int(0);
    try {
        pool.submit(big);
        ADD_FAILURE() << "an oversized task was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), mproc::core::kTooBig);
    }
    Task huge = Task::reference(MPROC_TEST_TASKS_LIB, "pool_big_result", "Y(i)");
    huge.add_int(100000);
    const FuturePtr future = pool.submit(huge);
    const auto &out = outcome_of(future);
    EXPECT_EQ(out.status, mproc::core::kTooBig) << out.message;
    // The worker survived it.
    EXPECT_EQ(outcome_of(pool.submit(add_task(20, 22))).result.i, 42);
}

TEST(ProcessPool, BadOptionsAreInvalid) {
    PoolOptions negative = fork_options(-1);
    EXPECT_THROW(ProcessPool{std::move(negative)}, Error);
    PoolOptions tiny = fork_options(1);
    tiny.max_message = 10;
    EXPECT_THROW(ProcessPool{std::move(tiny)}, Error);
    PoolOptions fn_init;
    fn_init.processes = 1;
    fn_init.method = StartMethod::kSpawn;
    fn_init.initializer = Task::function(&triple, &values[0]);
    EXPECT_THROW(ProcessPool{std::move(fn_init)}, Error);
}

TEST(ProcessPool, TerminateCancelsPendingWork) {
    ProcessPool pool(fork_options(1));
    Task slow = Task::reference(MPROC_TEST_TASKS_LIB, "pool_sleep_ms", "i(i)");
    slow.add_int(5000);
    std::vector<const Task *> list(6, &slow);
    const std::vector<FuturePtr> futures = pool.map(list, 1);
    pool.terminate();
    int cancelled = 0, broken = 0;
    for (const FuturePtr &f : futures) {
        ASSERT_TRUE(f->wait(Deadline::after(kWait)));
        if (f->cancelled()) {
            ++cancelled;
        } else {
            EXPECT_EQ(f->outcome()->status, mproc::core::kBroken);
            ++broken;
        }
    }
    EXPECT_GE(cancelled, 1);
    EXPECT_EQ(pool.join(Deadline::after(kWait)), kOk);
}

TEST(PoolWire, RoundTripsAndRefusesGarbage) {
    wire::ResultMessage r;
    r.chunk = 77;
    r.item = 3;
    r.result.type = 'y';
    r.result.bytes = std::string("a\0b", 3);
    std::string encoded;
    wire::encode_result(r, &encoded);
    const wire::ResultMessage back = wire::decode_result(encoded);
    EXPECT_EQ(back.chunk, 77u);
    EXPECT_EQ(back.item, 3u);
    EXPECT_EQ(back.result.bytes, r.result.bytes);

    std::vector<std::string_view> tasks{"one", "two!"};
    std::string chunk(wire::chunk_size(tasks), '\0');
    wire::encode_chunk(9, tasks, chunk.data());
    const wire::ChunkView view = wire::decode_chunk(chunk);
    EXPECT_EQ(view.id, 9u);
    ASSERT_EQ(view.tasks.size(), 2u);
    EXPECT_EQ(view.tasks[1], "two!");

    wire::WorkerConfig c;
    c.inbox = "a";
    c.results = "b";
    c.status = "c";
    c.max_message = 99;
    EXPECT_EQ(wire::decode_config(wire::encode_config(c)).max_message, 99u);

    // A batch holds messages whole and in order; a cut one is refused.
    std::string batch;
    wire::begin_batch(wire::Type::kChunks, &batch);
    wire::append_to_batch(chunk, &batch);
    wire::append_to_batch(encoded, &batch);
    const std::vector<std::string_view> parts = wire::decode_batch(wire::Type::kChunks, batch);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0], chunk);
    EXPECT_EQ(parts[1], encoded);
    EXPECT_EQ(wire::type_of(batch), wire::Type::kChunks);
    EXPECT_THROW(wire::decode_batch(wire::Type::kResults, batch), Error);
    EXPECT_THROW(wire::decode_batch(wire::Type::kChunks, batch.substr(0, batch.size() - 1)), Error);

    // Every truncation and random bytes: an Error, never a crash.
    std::mt19937 random(1234);
    for (const std::string &good : {encoded, chunk, wire::encode_config(c)}) {
        for (std::size_t n = 0; n < good.size(); ++n) {
            const std::string cut = good.substr(0, n);
            EXPECT_THROW(wire::decode_result(cut), Error);
            EXPECT_THROW(wire::decode_chunk(cut), Error);
            EXPECT_THROW(wire::decode_config(cut), Error);
        }
        for (int round = 0; round < 2000; ++round) {
            std::string noisy = good;
            noisy[random() % noisy.size()] = static_cast<char>(random());
            try {
                (void)wire::decode_result(noisy);
                (void)wire::decode_chunk(noisy);
            } catch (const Error &) {
            }
            try {
                (void)wire::decode_config(noisy);
                (void)wire::decode_notice(noisy);
            } catch (const Error &) {
            }
        }
    }
}

}  // namespace
