// A process pool's worker: the loop that runs in each worker process, and the status word
// through which it tells the pool what it is doing.
//
// The worker opens its inbox, the shared result queue and the status array by name, runs
// the initializer (if any), then takes chunks from its inbox. Before each task it stores
// in its status word the sequence number of that task (counting the tasks it took, from 1),
// and it sends each task's result as soon as the task is done. So when a worker dies, the
// pool knows from that one word, read after the death, which task was running: results it
// has are done, the started task without a result failed, later ones never started.
//
// It exits (code 0) on a "stop" message, after max_tasks tasks, or when its parent process
// is gone (getppid() changed: checked whenever the inbox stays empty for 100 ms).
//
// Test-only hook: if the environment variable MPROC_POOL_TEST_CRASH is "send" when a worker
// starts, the worker SIGKILLs itself halfway through writing its first result into the
// result queue, so that fault tests can check that a half-written result costs only that
// task. Never set it outside tests.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pool/pool_wire.hpp"

namespace mproc::core::pool {

// The status word: (sequence number of the task started last) << 2 | state. The pool
// zeroes it before it starts a worker in that slot.
inline constexpr std::uint64_t kWorkerNotRunning = 0;  // not yet in the worker's code
inline constexpr std::uint64_t kWorkerStarting = 1;    // opening its objects, or in its initializer
inline constexpr std::uint64_t kWorkerReady = 2;       // initialised: taking tasks
inline constexpr unsigned kSeqShift = 2;

inline constexpr std::uint64_t worker_state(std::uint64_t word) {
    return word & 3;
}
inline constexpr std::uint64_t worker_seq(std::uint64_t word) {
    return word >> kSeqShift;
}

// The worker's main loop; returns its exit code. Never throws.
int run_worker(const wire::WorkerConfig &config) noexcept;

// The entry of a fork pool's worker, as a function task: `config` points to the encoded
// configuration (a std::string in the pool, copied into the child by fork).
int fork_worker_entry(void *config);

}  // namespace mproc::core::pool

// Spawn and forkserver workers run this by name, as the task reference (NULL,
// "mproc_pool_worker_main", "i(y)"): mproc-worker is linked with its symbols exported, and
// libmproc exports it too (mproc.h). 1 for a malformed config, else run_worker's code.
extern "C" __attribute__((visibility("default"))) int mproc_pool_worker_main(const void *config,
                                                                             std::size_t len);
