// The pool driver: owns one fork-started mproc::Pool, feeds it checksum tasks by reference
// to this program's own exported mproc_soak_checksum, and publishes the workers' pids for
// the chaos. It runs in a child of its own (never killed by the chaos), so the parent
// stays single-threaded and may fork safely.
#include <mproc/pool.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "message.hpp"
#include "roles.hpp"

extern "C" std::uint64_t mproc_soak_checksum(const void *data, std::size_t len,
                                             unsigned int rounds) {
    std::uint64_t h = soak::fnv1a64(data, len);
    for (unsigned int k = 0; k < rounds; ++k)
        h = soak::splitmix64(h);
    return h;
}

namespace soak {

namespace {

using namespace std::chrono_literals;

constexpr auto kTaskBound = 120s;  // a task takes milliseconds; only a wedged pool is slower
constexpr int kBatch = 8;
constexpr int kFinalTasks = 16;

struct Batch {
    std::vector<mproc::Task> tasks;
    std::vector<std::vector<unsigned char>> payloads;
    std::vector<unsigned int> rounds;

    // Computed here while the workers compute theirs.
    std::uint64_t expected(std::size_t k) const {
        return mproc_soak_checksum(payloads[k].data(), payloads[k].size(), rounds[k]);
    }
};

// Tasks of a millisecond or so (up to 2 million mixing rounds), so that a kill often
// lands on a worker in the middle of one.
Batch make_batch(std::mt19937_64 &rng, int n) {
    Batch b;
    for (int k = 0; k < n; ++k) {
        std::vector<unsigned char> payload(rng() % 2001);
        for (unsigned char &c : payload)
            c = static_cast<unsigned char>(rng());
        const auto rounds = static_cast<unsigned int>(rng() % 2000000);
        b.tasks.push_back(mproc::Task::call_of(std::nullopt, "mproc_soak_checksum", "Q(yI)",
                                               mproc::bytes_view{payload.data(), payload.size()},
                                               rounds));
        b.payloads.push_back(std::move(payload));
        b.rounds.push_back(rounds);
    }
    return b;
}

void publish_pids(const mproc::Pool &pool, PoolLedger &p) {
    const std::vector<int> pids = pool.worker_pids();
    p.npids.store(0, std::memory_order_release);
    std::uint32_t n = 0;
    for (int pid : pids) {
        if (n == kMaxPoolPids) break;
        p.pids[n++].store(pid, std::memory_order_relaxed);
    }
    p.npids.store(n, std::memory_order_release);
}

// Waits for one future (publishing pids meanwhile) and accounts its outcome.
void account(Ledger &ledger, const mproc::Pool &pool, const mproc::Future &f,
             std::uint64_t expected) {
    PoolLedger &p = ledger.pool;
    const auto deadline = std::chrono::steady_clock::now() + kTaskBound;
    while (!f.wait(50ms)) {
        publish_pids(pool, p);
        if (std::chrono::steady_clock::now() > deadline) {
            p.hung.fetch_add(1, std::memory_order_relaxed);
            log_error(ledger, "pool: a task was not done after %lld s",
                      static_cast<long long>(kTaskBound.count()));
            return;
        }
    }
    const int code = f.exception(0s);
    if (code == MPROC_OK) {
        if (f.result(0s).as_uint() == expected) {
            p.tasks_ok.fetch_add(1, std::memory_order_relaxed);
        } else if (p.wrong.fetch_add(1, std::memory_order_relaxed) < 3) {
            log_error(ledger, "pool: a task returned a wrong checksum");
        }
    } else if (code == MPROC_EBROKEN) {
        p.failed_by_kill.fetch_add(1, std::memory_order_relaxed);
    } else if (p.other_errors.fetch_add(1, std::memory_order_relaxed) < 3) {
        log_error(ledger, "pool: a task failed with %s: %s", mproc_errname(code),
                  mproc_last_error());
    }
}

// After the run: one map of fresh tasks must all succeed, and the pool must be back to
// its number of workers.
void final_check(Ledger &ledger, mproc::Pool &pool, std::mt19937_64 &rng, int workers) {
    PoolLedger &p = ledger.pool;
    Batch b = make_batch(rng, kFinalTasks);
    p.final_tasks.store(kFinalTasks, std::memory_order_relaxed);
    try {
        const std::vector<mproc::task_result> results = pool.map(b.tasks, 1, kTaskBound);
        std::uint32_t ok = 0;
        for (std::size_t k = 0; k < results.size(); ++k)
            ok += results[k].as_uint() == b.expected(k) ? 1 : 0;
        p.final_ok.store(ok, std::memory_order_relaxed);
    } catch (const std::exception &e) {
        log_error(ledger, "pool: the final map failed: %s", e.what());
    }
    // Replacements start asynchronously: give them time.
    std::size_t alive = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    do {
        alive = pool.worker_pids().size();
        if (alive == static_cast<std::size_t>(workers)) break;
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    p.final_workers.store(static_cast<std::int32_t>(alive), std::memory_order_relaxed);
}

}  // namespace

int run_pool_driver(const SharedLedger &shared, int workers, std::uint64_t seed) {
    Ledger &ledger = shared.ledger();
    PoolLedger &p = ledger.pool;
    try {
        mproc::pool_options options;
        options.processes = workers;
        options.method = mproc::start_method::fork;  // the task is in this program
        mproc::Pool pool(options);
        std::mt19937_64 rng(seed);
        publish_pids(pool, p);
        while (!stopped(ledger)) {
            Batch b = make_batch(rng, kBatch);
            const std::vector<mproc::Future> futures = pool.map_async(b.tasks, 1);
            for (std::size_t k = 0; k < futures.size(); ++k)
                account(ledger, pool, futures[k], b.expected(k));
            publish_pids(pool, p);
        }
        p.npids.store(0, std::memory_order_release);
        final_check(ledger, pool, rng, workers);
        pool.shutdown();
        if (!pool.join(60s)) log_error(ledger, "pool: join timed out after shutdown");
        p.finished.store(1, std::memory_order_release);
        return 0;
    } catch (const std::exception &e) {
        log_error(ledger, "pool driver: %s", e.what());
        return 2;
    }
}

}  // namespace soak
